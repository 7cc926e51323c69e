#include "lib/k8s/testing/protobuf_codec.h"

#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "lib/base/status_macros.h"
#include "lib/k8s/testing/internal/protobuf_schema.h"
#include "lib/k8s/testing/internal/protobuf_wire.h"

namespace lb::k8s::testing {
namespace {

using internal::Field;
using internal::FieldKind;
using internal::Message;
using internal::MessageFor;
using internal::WireReader;
using internal::WireTag;
using internal::WireType;
using internal::WireTypeName;
using internal::WireWriter;

constexpr absl::string_view kMagic("k8s\0", 4);

// Seconds of 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, the range of
// meta.v1.Time.
constexpr int64_t kMinSeconds = -62135596800;
constexpr int64_t kMaxSeconds = 253402300799;

std::string Join(const std::string& path, absl::string_view name) {
  return path.empty() ? std::string(name) : absl::StrCat(path, ".", name);
}

std::string Where(const std::string& path) {
  return path.empty() ? "the object" : path;
}

bool ValidUtf8(absl::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const uint8_t c = static_cast<uint8_t>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t n;
    uint32_t cp;
    if ((c & 0xe0) == 0xc0) {
      n = 1;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (s.size() - i <= n) return false;
    for (size_t k = 1; k <= n; ++k) {
      const uint8_t d = static_cast<uint8_t>(s[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    // Overlong forms, surrogates, and code points past U+10FFFF.
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) ||
        (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff)) {
      return false;
    }
    i += n + 1;
  }
  return true;
}

// ---- Decoding ---------------------------------------------------------------

absl::Status Unmodelled(absl::string_view message, const WireTag& tag,
                        const std::string& path) {
  return absl::UnimplementedError(absl::StrCat(
      Where(path), ": field ", tag.field, " (", WireTypeName(tag.wire_type),
      ") of message ", message,
      " is not modelled by this server's protobuf codec; send the object as "
      "application/json"));
}

absl::Status WrongWireType(const Message& m, const Field& f, const WireTag& tag,
                           const std::string& path) {
  return absl::InvalidArgumentError(absl::StrCat(
      Join(path, f.json), ": field ", f.number, " of message ", m.name,
      " has wire type ", WireTypeName(tag.wire_type), "; its type is written ",
      f.kind == FieldKind::kBool || f.kind == FieldKind::kInt32 ||
              f.kind == FieldKind::kInt64
          ? "as a varint"
          : "length-delimited"));
}

absl::Status DecodeMessage(const Message& m, absl::string_view bytes, json& obj,
                           const std::string& path);

absl::StatusOr<std::string> DecodeString(absl::string_view bytes,
                                         const std::string& path) {
  if (!ValidUtf8(bytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat(Where(path), ": a string that is not valid UTF-8"));
  }
  return std::string(bytes);
}

// A message of scalar fields 1 to N - 1 only (meta.v1.Time,
// IntOrString, Quantity, map entries), read by field number; types[n] is the
// wire type of field n. Any other field is refused as not modelled.
struct Small {
  uint64_t varint[4] = {0, 0, 0, 0};
  absl::string_view bytes[4];
  bool seen[4] = {false, false, false, false};
};

template <size_t N>
absl::Status DecodeSmall(absl::string_view bytes, absl::string_view name,
                         const WireType (&types)[N], Small* out,
                         const std::string& path) {
  static_assert(N <= 4, "Small holds fields 1 to 3");
  WireReader r(bytes);
  while (!r.done()) {
    WireTag tag;
    LB_RETURN_IF_ERROR(r.ReadTag(&tag));
    if (tag.field >= N) return Unmodelled(name, tag, path);
    if (tag.wire_type != types[tag.field]) {
      return absl::InvalidArgumentError(
          absl::StrCat(Where(path), ": field ", tag.field, " of message ", name,
                       " has wire type ", WireTypeName(tag.wire_type), ", not ",
                       WireTypeName(types[tag.field])));
    }
    out->seen[tag.field] = true;
    if (tag.wire_type == WireType::kVarint) {
      LB_RETURN_IF_ERROR(r.ReadVarint(&out->varint[tag.field]));
    } else {
      LB_RETURN_IF_ERROR(r.ReadLengthDelimited(&out->bytes[tag.field]));
    }
  }
  return absl::OkStatus();
}

constexpr WireType kV = WireType::kVarint;
constexpr WireType kL = WireType::kLengthDelimited;

// The JSON value of an authentication/v1 ExtraValue {items = 1, repeated
// string}: an array of strings.
absl::StatusOr<json> DecodeExtraValue(absl::string_view bytes,
                                      const std::string& path) {
  json items = json::array();
  WireReader r(bytes);
  while (!r.done()) {
    WireTag tag;
    LB_RETURN_IF_ERROR(r.ReadTag(&tag));
    if (tag.field != 1 || tag.wire_type != kL) {
      return Unmodelled("k8s.io.api.authentication.v1.ExtraValue", tag, path);
    }
    absl::string_view item;
    LB_RETURN_IF_ERROR(r.ReadLengthDelimited(&item));
    LB_ASSIGN_OR_RETURN(std::string v, DecodeString(item, path));
    items.push_back(std::move(v));
  }
  return items;
}

// The JSON value of a Quantity message: its string, "0" when absent.
absl::StatusOr<json> DecodeQuantity(absl::string_view bytes,
                                    const std::string& path) {
  Small s;
  constexpr WireType kTypes[] = {kV, kL};
  LB_RETURN_IF_ERROR(
      DecodeSmall(bytes, "k8s.io.apimachinery.pkg.api.resource.Quantity",
                  kTypes, &s, path));
  if (!s.seen[1]) return json("0");
  if (s.bytes[1].empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Where(path), ": an empty quantity"));
  }
  LB_ASSIGN_OR_RETURN(std::string str, DecodeString(s.bytes[1], path));
  return json(std::move(str));
}

// Sets obj[f.json] (or appends to it when repeated) to `v`; a zero value of a
// field that does not keep zeros removes it instead.
void Put(const Field& f, json v, bool zero, json& obj) {
  if (f.repeated()) {
    json& a = obj[f.json];
    if (!a.is_array()) a = json::array();
    a.push_back(std::move(v));
  } else if (zero && !f.keeps_zero()) {
    obj.erase(f.json);
  } else {
    obj[f.json] = std::move(v);
  }
}

absl::Status DecodeVarintField(const Field& f, uint64_t v, json& obj) {
  switch (f.kind) {
    case FieldKind::kInt32: {
      // Protocol Buffers' int32: the low 32 bits, two's complement.
      const int32_t x = static_cast<int32_t>(static_cast<uint32_t>(v));
      Put(f, json(x), x == 0, obj);
      return absl::OkStatus();
    }
    case FieldKind::kInt64: {
      const int64_t x = static_cast<int64_t>(v);
      Put(f, json(x), x == 0, obj);
      return absl::OkStatus();
    }
    case FieldKind::kBool:
      Put(f, json(v != 0), v == 0, obj);
      return absl::OkStatus();
    default:
      return absl::InternalError("not a varint field");
  }
}

absl::Status DecodeField(const Message& m, const Field& f, const WireTag& tag,
                         WireReader& r, json& obj, const std::string& path) {
  const std::string here = Join(path, f.json);
  const bool varint_kind = f.kind == FieldKind::kInt32 ||
                           f.kind == FieldKind::kInt64 ||
                           f.kind == FieldKind::kBool;
  if (varint_kind) {
    if (tag.wire_type == WireType::kVarint) {
      uint64_t v;
      LB_RETURN_IF_ERROR(r.ReadVarint(&v));
      return DecodeVarintField(f, v, obj);
    }
    if (tag.wire_type == WireType::kLengthDelimited && f.repeated()) {
      // A packed repeated scalar.
      absl::string_view packed;
      LB_RETURN_IF_ERROR(r.ReadLengthDelimited(&packed));
      WireReader p(packed);
      while (!p.done()) {
        uint64_t v;
        LB_RETURN_IF_ERROR(p.ReadVarint(&v));
        LB_RETURN_IF_ERROR(DecodeVarintField(f, v, obj));
      }
      return absl::OkStatus();
    }
    return WrongWireType(m, f, tag, path);
  }
  if (tag.wire_type != WireType::kLengthDelimited) {
    return WrongWireType(m, f, tag, path);
  }
  absl::string_view bytes;
  LB_RETURN_IF_ERROR(r.ReadLengthDelimited(&bytes));
  switch (f.kind) {
    case FieldKind::kString: {
      LB_ASSIGN_OR_RETURN(std::string s, DecodeString(bytes, here));
      const bool zero = s.empty();
      Put(f, json(std::move(s)), zero, obj);
      return absl::OkStatus();
    }
    case FieldKind::kMessage: {
      if (f.repeated()) {
        json& list = obj[f.json];
        if (!list.is_array()) list = json::array();
        json item = json::object();
        LB_RETURN_IF_ERROR(
            DecodeMessage(*f.message, bytes, item,
                          absl::StrCat(here, "[", list.size(), "]")));
        list.push_back(std::move(item));
        return absl::OkStatus();
      }
      // A message field seen twice merges, as Protocol Buffers reads it.
      json& sub = obj[f.json];
      if (!sub.is_object()) sub = json::object();
      return DecodeMessage(*f.message, bytes, sub, here);
    }
    case FieldKind::kInline:
      return DecodeMessage(*f.message, bytes, obj, path);
    case FieldKind::kTime: {
      Small s;
      constexpr WireType kTypes[] = {kV, kV, kV};
      LB_RETURN_IF_ERROR(
          DecodeSmall(bytes, "k8s.io.apimachinery.pkg.apis.meta.v1.Time",
                      kTypes, &s, here));
      if (bytes.empty()) {
        // The zero time: null in JSON.
        obj.erase(f.json);
        return absl::OkStatus();
      }
      const int64_t seconds = static_cast<int64_t>(s.varint[1]);
      if (seconds < kMinSeconds || seconds > kMaxSeconds) {
        return absl::InvalidArgumentError(absl::StrCat(
            here, ": time ", seconds, " s is outside the years 1 to 9999"));
      }
      // RFC 3339 in UTC, the year in four digits.
      obj[f.json] =
          absl::FormatTime("%E4Y-%m-%dT%H:%M:%SZ",
                           absl::FromUnixSeconds(seconds), absl::UTCTimeZone());
      return absl::OkStatus();
    }
    case FieldKind::kIntOrString: {
      Small s;
      constexpr WireType kTypes[] = {kV, kV, kV, kL};
      LB_RETURN_IF_ERROR(
          DecodeSmall(bytes, "k8s.io.apimachinery.pkg.util.intstr.IntOrString",
                      kTypes, &s, here));
      const int64_t type = static_cast<int64_t>(s.varint[1]);
      if (type == 0) {
        const int32_t x =
            static_cast<int32_t>(static_cast<uint32_t>(s.varint[2]));
        Put(f, json(x), x == 0, obj);
      } else if (type == 1) {
        LB_ASSIGN_OR_RETURN(std::string str, DecodeString(s.bytes[3], here));
        Put(f, json(std::move(str)), false, obj);
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat(here, ": IntOrString type ", type,
                         " is neither 0 (int) nor 1 "
                         "(string)"));
      }
      return absl::OkStatus();
    }
    case FieldKind::kQuantity: {
      LB_ASSIGN_OR_RETURN(json q, DecodeQuantity(bytes, here));
      Put(f, std::move(q), false, obj);
      return absl::OkStatus();
    }
    case FieldKind::kRawJson: {
      Small s;
      constexpr WireType kTypes[] = {kV, kL};
      LB_RETURN_IF_ERROR(
          DecodeSmall(bytes, "k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1",
                      kTypes, &s, here));
      json v = json::parse(s.bytes[1], nullptr, /*allow_exceptions=*/false);
      if (v.is_discarded()) {
        return absl::InvalidArgumentError(
            absl::StrCat(Where(here), ": Raw is not JSON text"));
      }
      obj[f.json] = std::move(v);
      return absl::OkStatus();
    }
    case FieldKind::kStringMap:
    case FieldKind::kBytesMap:
    case FieldKind::kQuantityMap:
    case FieldKind::kStringListMap: {
      Small s;
      constexpr WireType kTypes[] = {kV, kL, kL};
      LB_RETURN_IF_ERROR(DecodeSmall(
          bytes, absl::StrCat(m.name, ".", f.json, "Entry"), kTypes, &s, here));
      LB_ASSIGN_OR_RETURN(std::string key, DecodeString(s.bytes[1], here));
      const std::string at = Join(here, key);
      json value;
      if (f.kind == FieldKind::kStringMap) {
        LB_ASSIGN_OR_RETURN(std::string v, DecodeString(s.bytes[2], at));
        value = std::move(v);
      } else if (f.kind == FieldKind::kBytesMap) {
        value = absl::Base64Escape(s.bytes[2]);
      } else if (f.kind == FieldKind::kStringListMap) {
        LB_ASSIGN_OR_RETURN(value, DecodeExtraValue(s.bytes[2], at));
      } else {
        // An entry without a value holds the zero Quantity, "0".
        LB_ASSIGN_OR_RETURN(value, DecodeQuantity(s.bytes[2], at));
      }
      json& map = obj[f.json];
      if (!map.is_object()) map = json::object();
      map[key] = std::move(value);
      return absl::OkStatus();
    }
    default:
      return absl::InternalError("unhandled field kind");
  }
}

absl::Status DecodeMessage(const Message& m, absl::string_view bytes, json& obj,
                           const std::string& path) {
  WireReader r(bytes);
  while (!r.done()) {
    WireTag tag;
    LB_RETURN_IF_ERROR(r.ReadTag(&tag));
    const Field* f = m.Find(tag.field);
    if (f == nullptr) return Unmodelled(m.name, tag, path);
    LB_RETURN_IF_ERROR(DecodeField(m, *f, tag, r, obj, path));
  }
  return absl::OkStatus();
}

// ---- Encoding ---------------------------------------------------------------

absl::Status Mismatch(const std::string& path, absl::string_view want,
                      const json& v) {
  return absl::InvalidArgumentError(absl::StrCat(
      path, ": ", v.type_name(), " where the protobuf field needs ", want));
}

absl::StatusOr<int64_t> Integer(const json& v, int64_t lo, int64_t hi,
                                const std::string& path) {
  int64_t x;
  if (v.is_number_unsigned()) {
    const uint64_t u = v.get<uint64_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, ": ", u, " is out of range"));
    }
    x = static_cast<int64_t>(u);
  } else if (v.is_number_integer()) {
    x = v.get<int64_t>();
  } else {
    return Mismatch(path, "an integer", v);
  }
  if (x < lo || x > hi) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": ", x, " is out of range"));
  }
  return x;
}

absl::StatusOr<std::string> QuantityMessage(const json& v,
                                            const std::string& path) {
  std::string s;
  if (v.is_string()) {
    s = v.get<std::string>();
  } else if (v.is_number()) {
    s = v.dump();
  } else {
    return Mismatch(path, "a quantity", v);
  }
  WireWriter w;
  w.BytesField(1, s);
  return w.Take();
}

absl::StatusOr<std::string> EncodeMessage(const Message& m, const json& obj,
                                          const std::string& path);

// Writes one value of `f` (an element, for repeated fields).
absl::Status EncodeValue(const Field& f, const json& v, const std::string& path,
                         WireWriter& w) {
  switch (f.kind) {
    case FieldKind::kString:
      if (!v.is_string()) return Mismatch(path, "a string", v);
      w.BytesField(f.number, v.get<std::string>());
      return absl::OkStatus();
    case FieldKind::kInt32: {
      LB_ASSIGN_OR_RETURN(int64_t x,
                          Integer(v, std::numeric_limits<int32_t>::min(),
                                  std::numeric_limits<int32_t>::max(), path));
      w.Int32Field(f.number, static_cast<int32_t>(x));
      return absl::OkStatus();
    }
    case FieldKind::kInt64: {
      LB_ASSIGN_OR_RETURN(int64_t x,
                          Integer(v, std::numeric_limits<int64_t>::min(),
                                  std::numeric_limits<int64_t>::max(), path));
      w.VarintField(f.number, static_cast<uint64_t>(x));
      return absl::OkStatus();
    }
    case FieldKind::kBool:
      if (!v.is_boolean()) return Mismatch(path, "a boolean", v);
      w.VarintField(f.number, v.get<bool>() ? 1 : 0);
      return absl::OkStatus();
    case FieldKind::kMessage: {
      LB_ASSIGN_OR_RETURN(std::string sub, EncodeMessage(*f.message, v, path));
      w.BytesField(f.number, sub);
      return absl::OkStatus();
    }
    case FieldKind::kInline:
      return absl::InternalError("inline fields are written by their parent");
    case FieldKind::kTime: {
      if (!v.is_string()) return Mismatch(path, "an RFC 3339 time", v);
      absl::Time t;
      std::string err;
      if (!absl::ParseTime(absl::RFC3339_full, v.get<std::string>(), &t,
                           &err)) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": not an RFC 3339 time: ", err));
      }
      const int64_t seconds = absl::ToUnixSeconds(t);
      if (seconds < kMinSeconds || seconds > kMaxSeconds) {
        return absl::InvalidArgumentError(
            absl::StrCat(path, ": outside the years 1 to 9999"));
      }
      WireWriter sub;
      // Seconds only: Go's metav1.Time writes no nanos.
      sub.VarintField(1, static_cast<uint64_t>(seconds));
      sub.VarintField(2, 0);
      w.BytesField(f.number, sub.data());
      return absl::OkStatus();
    }
    case FieldKind::kIntOrString: {
      WireWriter sub;
      if (v.is_string()) {
        sub.VarintField(1, 1);
        sub.VarintField(2, 0);
        sub.BytesField(3, v.get<std::string>());
      } else {
        LB_ASSIGN_OR_RETURN(int64_t x,
                            Integer(v, std::numeric_limits<int32_t>::min(),
                                    std::numeric_limits<int32_t>::max(), path));
        sub.VarintField(1, 0);
        sub.Int32Field(2, static_cast<int32_t>(x));
        sub.BytesField(3, "");
      }
      w.BytesField(f.number, sub.data());
      return absl::OkStatus();
    }
    case FieldKind::kQuantity: {
      LB_ASSIGN_OR_RETURN(std::string q, QuantityMessage(v, path));
      w.BytesField(f.number, q);
      return absl::OkStatus();
    }
    case FieldKind::kRawJson: {
      WireWriter sub;
      sub.BytesField(1, v.dump());
      w.BytesField(f.number, sub.data());
      return absl::OkStatus();
    }
    case FieldKind::kStringMap:
    case FieldKind::kBytesMap:
    case FieldKind::kQuantityMap:
    case FieldKind::kStringListMap: {
      if (!v.is_object()) return Mismatch(path, "an object", v);
      for (auto it = v.begin(); it != v.end(); ++it) {
        const std::string at = Join(path, it.key());
        WireWriter entry;
        entry.BytesField(1, it.key());
        const json& x = it.value();
        if (f.kind == FieldKind::kQuantityMap) {
          LB_ASSIGN_OR_RETURN(std::string q, QuantityMessage(x, at));
          entry.BytesField(2, q);
        } else if (f.kind == FieldKind::kStringListMap) {
          if (!x.is_array()) return Mismatch(at, "an array of strings", x);
          WireWriter items;
          for (const json& item : x) {
            if (!item.is_string()) return Mismatch(at, "a string", item);
            items.BytesField(1, item.get<std::string>());
          }
          entry.BytesField(2, items.data());
        } else {
          if (!x.is_string()) return Mismatch(at, "a string", x);
          std::string value = x.get<std::string>();
          if (f.kind == FieldKind::kBytesMap) {
            std::string raw;
            if (!absl::Base64Unescape(value, &raw)) {
              return absl::InvalidArgumentError(
                  absl::StrCat(at, ": not valid base64"));
            }
            value = std::move(raw);
          }
          entry.BytesField(2, value);
        }
        w.BytesField(f.number, entry.data());
      }
      return absl::OkStatus();
    }
  }
  return absl::InternalError("unhandled field kind");
}

// Whether `key` of a JSON object is a field of `m` or of a message inlined in
// it.
bool Claims(const Message& m, const std::string& key) {
  for (const Field& f : m) {
    if (f.kind == FieldKind::kInline) {
      if (Claims(*f.message, key)) return true;
    } else if (key == f.json) {
      return true;
    }
  }
  return false;
}

// Writes the fields of `m` found in `obj`.
absl::Status EncodeFields(const Message& m, const json& obj,
                          const std::string& path, WireWriter& w) {
  for (const Field& f : m) {
    if (f.kind == FieldKind::kInline) {
      WireWriter sub;
      LB_RETURN_IF_ERROR(EncodeFields(*f.message, obj, path, sub));
      w.BytesField(f.number, sub.data());
      continue;
    }
    auto it = obj.find(f.json);
    if (it == obj.end() || it->is_null()) continue;
    const std::string here = Join(path, f.json);
    if (f.repeated()) {
      if (!it->is_array()) return Mismatch(here, "an array", *it);
      for (size_t i = 0; i < it->size(); ++i) {
        LB_RETURN_IF_ERROR(
            EncodeValue(f, (*it)[i], absl::StrCat(here, "[", i, "]"), w));
      }
    } else {
      LB_RETURN_IF_ERROR(EncodeValue(f, *it, here, w));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> EncodeMessage(const Message& m, const json& obj,
                                          const std::string& path) {
  if (!obj.is_object()) return Mismatch(Where(path), "an object", obj);
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (m.top_level && (it.key() == "apiVersion" || it.key() == "kind")) {
      continue;
    }
    if (!Claims(m, it.key())) {
      return absl::UnimplementedError(
          absl::StrCat(Join(path, it.key()), " is not a field of message ",
                       m.name, " that this server's protobuf codec models"));
    }
  }
  WireWriter w;
  LB_RETURN_IF_ERROR(EncodeFields(m, obj, path, w));
  return w.Take();
}

}  // namespace

bool ProtobufModels(absl::string_view api_version, absl::string_view kind) {
  return MessageFor(api_version, kind) != nullptr;
}

absl::StatusOr<json> DecodeProtobuf(absl::string_view body) {
  if (body.size() < kMagic.size() || body.substr(0, kMagic.size()) != kMagic) {
    return absl::InvalidArgumentError(
        "the body is not a Kubernetes protobuf message: it does not start "
        "with the 4 bytes \"k8s\\x00\"");
  }
  // runtime.Unknown {typeMeta = 1, raw = 2, contentEncoding = 3,
  // contentType = 4}, typeMeta {apiVersion = 1, kind = 2}.
  WireReader r(body.substr(kMagic.size()));
  std::string api_version, kind, encoding, content_type;
  absl::string_view raw;
  while (!r.done()) {
    WireTag tag;
    LB_RETURN_IF_ERROR(r.ReadTag(&tag));
    if (tag.field > 4) {
      return Unmodelled("k8s.io.apimachinery.pkg.runtime.Unknown", tag,
                        "the envelope");
    }
    if (tag.wire_type != WireType::kLengthDelimited) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the envelope: field ", tag.field,
          " of message k8s.io.apimachinery.pkg.runtime.Unknown has wire type ",
          WireTypeName(tag.wire_type), ", not length-delimited"));
    }
    absl::string_view value;
    LB_RETURN_IF_ERROR(r.ReadLengthDelimited(&value));
    switch (tag.field) {
      case 1: {
        WireReader t(value);
        while (!t.done()) {
          WireTag tt;
          LB_RETURN_IF_ERROR(t.ReadTag(&tt));
          if ((tt.field != 1 && tt.field != 2) ||
              tt.wire_type != WireType::kLengthDelimited) {
            return absl::InvalidArgumentError(absl::StrCat(
                "the envelope: field ", tt.field, " (",
                WireTypeName(tt.wire_type),
                ") of message k8s.io.apimachinery.pkg.runtime.TypeMeta is "
                "neither apiVersion (1) nor kind (2)"));
          }
          absl::string_view s;
          LB_RETURN_IF_ERROR(t.ReadLengthDelimited(&s));
          LB_ASSIGN_OR_RETURN((tt.field == 1 ? api_version : kind),
                              DecodeString(s, "the envelope"));
        }
        break;
      }
      case 2:
        raw = value;
        break;
      case 3:
        encoding = std::string(value);
        break;
      case 4:
        content_type = std::string(value);
        break;
    }
  }
  if (!encoding.empty()) {
    return absl::UnimplementedError(
        absl::StrCat("the envelope's contentEncoding \"",
                     absl::CHexEscape(encoding), "\" is not supported"));
  }
  if (!content_type.empty() && content_type != kProtobufMediaType) {
    return absl::UnimplementedError(absl::StrCat(
        "the envelope's contentType \"", absl::CHexEscape(content_type),
        "\" is not supported; only ", kProtobufMediaType));
  }
  const Message* m = MessageFor(api_version, kind);
  if (m == nullptr) {
    return absl::UnimplementedError(absl::StrCat(
        "kind \"", absl::CHexEscape(kind), "\" of apiVersion \"",
        absl::CHexEscape(api_version),
        "\" is not modelled by this server's protobuf codec; send it as "
        "application/json"));
  }
  json obj = json::object();
  LB_RETURN_IF_ERROR(DecodeMessage(*m, raw, obj, ""));
  obj["apiVersion"] = api_version;
  obj["kind"] = kind;
  return obj;
}

absl::StatusOr<std::string> EncodeProtobuf(const json& object) {
  if (!object.is_object() || !object.contains("apiVersion") ||
      !object["apiVersion"].is_string() || !object.contains("kind") ||
      !object["kind"].is_string()) {
    return absl::InvalidArgumentError(
        "an object needs string apiVersion and kind to be encoded");
  }
  const std::string api_version = object["apiVersion"].get<std::string>();
  const std::string kind = object["kind"].get<std::string>();
  const Message* m = MessageFor(api_version, kind);
  if (m == nullptr) {
    return absl::UnimplementedError(
        absl::StrCat("kind ", kind, " of apiVersion ", api_version,
                     " is not modelled by this server's protobuf codec"));
  }
  LB_ASSIGN_OR_RETURN(std::string raw, EncodeMessage(*m, object, ""));
  WireWriter type_meta;
  type_meta.BytesField(1, api_version);
  type_meta.BytesField(2, kind);
  WireWriter unknown;
  unknown.BytesField(1, type_meta.data());
  unknown.BytesField(2, raw);
  return absl::StrCat(kMagic, unknown.data());
}

}  // namespace lb::k8s::testing
