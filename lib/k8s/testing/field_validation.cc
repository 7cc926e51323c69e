#include "lib/k8s/testing/field_validation.h"

#include <cctype>
#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "lib/k8s/testing/schemas.h"

namespace lb::k8s::testing {
namespace {

// The JSON kind Go's decoder names in a type error.
std::string JsonKind(const json& v) {
  if (v.is_string()) return "string";
  if (v.is_boolean()) return "bool";
  if (v.is_array()) return "array";
  if (v.is_object()) return "object";
  return "number";
}

bool IsSpecial(const std::string& ref, const char* name) {
  return absl::EndsWith(ref, name);
}

// Base64 as Go's StdEncoding reads it; the position of the first bad byte,
// or -1 when the text is valid.
int64_t BadBase64At(const std::string& s) {
  size_t n = s.size();
  for (size_t i = 0; i < n; ++i) {
    char c = s[i];
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '+' ||
              c == '/' || (c == '=' && i + 2 >= n);
    if (!ok) return static_cast<int64_t>(i);
  }
  if (n % 4 != 0) return static_cast<int64_t>(n - n % 4);
  return -1;
}

// Quantity's grammar: a signed decimal number and an optional suffix.
bool IsQuantity(const std::string& s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  size_t digits = 0;
  while (i < s.size() &&
         (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) {
    ++i;
    ++digits;
  }
  if (digits == 0) return false;
  std::string suffix = s.substr(i);
  static const char* const kSuffixes[] = {"",   "m",  "k",  "M",  "G",  "T",
                                          "P",  "E",  "Ki", "Mi", "Gi", "Ti",
                                          "Pi", "Ei", "n",  "u"};
  for (const char* k : kSuffixes) {
    if (suffix == k) return true;
  }
  if (!suffix.empty() && (suffix[0] == 'e' || suffix[0] == 'E')) {
    size_t j = 1;
    if (j < suffix.size() && (suffix[j] == '+' || suffix[j] == '-')) ++j;
    if (j == suffix.size()) return false;
    for (; j < suffix.size(); ++j) {
      if (!std::isdigit(static_cast<unsigned char>(suffix[j]))) return false;
    }
    return true;
  }
  return false;
}

std::string Capitalized(const std::string& s) {
  if (s.empty()) return s;
  std::string out = s;
  out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

class Decoder {
 public:
  Decoder(const json& definitions, bool typed, DecodeReport* report)
      : definitions_(definitions), typed_(typed), report_(report) {}

  // `strct` is the Go struct holding the value, `go_path` the dotted path
  // Go's errors name, `path` the indexed one unknown fields name.
  void Value(const json& schema, const std::string& strct,
             const std::string& go_path, const std::string& path, json* v) {
    const json* s = &schema;
    std::string ref;
    while (s->contains("$ref")) {
      ref = (*s)["$ref"].get<std::string>();
      std::string name = ref.substr(std::string(kSchemaRefPrefix).size());
      if (!definitions_.contains(name)) return;
      s = &definitions_[name];
    }
    if (v->is_null()) return;  // null leaves any field at its zero value
    if (!ref.empty() && Special(ref, *s, strct, go_path, *v)) return;
    if (s->value("x-kubernetes-int-or-string", false)) return;
    std::string type = s->value("type", "");
    std::string format = s->value("format", "");
    if (format == "int-or-string") {
      IntOrString(*v);
      return;
    }
    if (type == "string") {
      if (!v->is_string()) return Mismatch(*v, strct, go_path, "string");
      if (format == "byte") {
        int64_t at = BadBase64At(v->get<std::string>());
        if (at >= 0) {
          TypeError(absl::StrCat("illegal base64 data at input byte ", at));
        }
      }
      return;
    }
    if (type == "integer") {
      std::string go = format == "int32" ? "int32" : "int64";
      if (!v->is_number()) return Mismatch(*v, strct, go_path, go);
      CheckInteger(*v, go,
                   absl::StrCat("Go struct field ", strct, ".", go_path,
                                " of type ", go));
      return;
    }
    if (type == "number") {
      if (!v->is_number()) return Mismatch(*v, strct, go_path, "float64");
      return;
    }
    if (type == "boolean") {
      if (!v->is_boolean()) return Mismatch(*v, strct, go_path, "bool");
      return;
    }
    if (type == "array") {
      if (!v->is_array()) {
        return Mismatch(*v, strct, go_path,
                        "[]" + GoType(s->value("items", json::object())));
      }
      const json items = s->value("items", json::object());
      for (size_t i = 0; i < v->size(); ++i) {
        Value(items, strct, go_path, absl::StrCat(path, "[", i, "]"), &(*v)[i]);
      }
      return;
    }
    if (type == "object") {
      std::string name = StructName(ref, strct, go_path);
      if (!v->is_object()) {
        return Mismatch(*v, strct, go_path, GoType(schema));
      }
      if (s->value("x-kubernetes-preserve-unknown-fields", false) &&
          !s->contains("properties")) {
        return;
      }
      if (s->contains("additionalProperties")) {
        const json& values = (*s)["additionalProperties"];
        if (!values.is_object()) return;
        for (auto it = v->begin(); it != v->end(); ++it) {
          Value(values, strct, go_path, Join(path, it.key()), &it.value());
        }
        return;
      }
      Object(*s, name, go_path, path, v);
    }
  }

  void Object(const json& s, const std::string& name,
              const std::string& go_path, const std::string& path, json* v) {
    const json props = s.value("properties", json::object());
    bool preserve = s.value("x-kubernetes-preserve-unknown-fields", false);
    std::vector<std::string> drop;
    for (auto it = v->begin(); it != v->end(); ++it) {
      auto p = props.find(it.key());
      if (p == props.end()) {
        if (preserve) continue;
        report_->unknown.push_back(
            absl::StrCat("unknown field \"", Join(path, it.key()), "\""));
        drop.push_back(it.key());
        continue;
      }
      Value(*p, name, Join(go_path, it.key()), Join(path, it.key()),
            &it.value());
    }
    for (const std::string& k : drop) v->erase(k);
  }

 private:
  static std::string Join(const std::string& path, const std::string& key) {
    return path.empty() ? key : absl::StrCat(path, ".", key);
  }

  // The Go struct an object schema stands for: its definition's name, or for
  // an inline object the holder's name and the field's ("NodeSpec").
  static std::string StructName(const std::string& ref,
                                const std::string& holder,
                                const std::string& go_path) {
    if (!ref.empty()) return ref.substr(ref.rfind('.') + 1);
    std::string field = go_path.substr(go_path.rfind('.') + 1);
    if (go_path.find('.') == std::string::npos &&
        (field == "spec" || field == "status")) {
      return holder + Capitalized(field);
    }
    return Capitalized(field);
  }

  // The Go type of a field with `schema`, as Go's errors print it.
  std::string GoType(const json& schema) const {
    if (schema.contains("$ref")) {
      std::string ref = schema["$ref"].get<std::string>();
      std::string name = ref.substr(ref.rfind('.') + 1);
      if (IsSpecial(ref, "intstr.IntOrString")) return "intstr.IntOrString";
      if (IsSpecial(ref, "resource.Quantity")) return "resource.Quantity";
      return "v1." + name;
    }
    std::string type = schema.value("type", "");
    std::string format = schema.value("format", "");
    if (type == "string") return format == "byte" ? "[]uint8" : "string";
    if (type == "integer") return format == "int32" ? "int32" : "int64";
    if (type == "number") return "float64";
    if (type == "boolean") return "bool";
    if (type == "array") {
      return "[]" + GoType(schema.value("items", json::object()));
    }
    if (schema.contains("additionalProperties")) {
      return "map[string]" + GoType(schema["additionalProperties"]);
    }
    return "map[string]interface {}";
  }

  // Types with their own JSON decoding; true when `ref` is one of them.
  bool Special(const std::string& ref, const json& s, const std::string& strct,
               const std::string& go_path, const json& v) {
    if (IsSpecial(ref, "meta.v1.Time") || IsSpecial(ref, "meta.v1.MicroTime")) {
      if (!v.is_string()) {
        TypeError(absl::StrCat("json: cannot unmarshal ", JsonKind(v),
                               " into Go value of type string"));
        return true;
      }
      std::string text = v.get<std::string>();
      absl::Time t;
      std::string err;
      if (!text.empty() &&
          !absl::ParseTime(absl::RFC3339_full, text, &t, &err)) {
        TypeError(absl::StrCat("parsing time \"", text,
                               "\" as \"2006-01-02T15:04:05Z07:00\": cannot "
                               "parse \"",
                               text, "\" as \"2006\""));
      }
      return true;
    }
    if (IsSpecial(ref, "resource.Quantity")) {
      if (v.is_number()) return true;
      if (!v.is_string() || !IsQuantity(v.get<std::string>())) {
        TypeError(
            "quantities must match the regular expression "
            "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'");
      }
      return true;
    }
    return false;
  }

  void IntOrString(const json& v) {
    if (v.is_string()) return;
    if (!v.is_number()) {
      TypeError(absl::StrCat("json: cannot unmarshal ", JsonKind(v),
                             " into Go value of type int32"));
      return;
    }
    CheckInteger(v, "int32", "Go value of type int32");
  }

  void CheckInteger(const json& v, const std::string& go,
                    const std::string& target) {
    const double lo = go == "int32" ? -2147483648.0 : -9223372036854775808.0;
    const double hi = go == "int32" ? 2147483647.0 : 9223372036854775807.0;
    bool ok;
    if (v.is_number_float()) {
      ok = false;
    } else if (v.is_number_unsigned()) {
      ok = static_cast<double>(v.get<uint64_t>()) <= hi;
    } else {
      double d = static_cast<double>(v.get<int64_t>());
      ok = d >= lo && d <= hi;
    }
    if (!ok) {
      TypeError(absl::StrCat("json: cannot unmarshal number ", v.dump(),
                             " into ", target));
    }
  }

  void Mismatch(const json& v, const std::string& strct,
                const std::string& go_path, const std::string& go) {
    TypeError(absl::StrCat("json: cannot unmarshal ", JsonKind(v),
                           " into Go struct field ", strct, ".", go_path,
                           " of type ", go));
  }

  void TypeError(std::string message) {
    if (typed_ && report_->type_error.empty()) {
      report_->type_error = std::move(message);
    }
  }

  const json& definitions_;
  const bool typed_;
  DecodeReport* report_;
};

// Records repeated keys while nlohmann's parser reads the text.
class DuplicateFinder : public json::json_sax_t {
 public:
  bool null() override { return Scalar(); }
  bool boolean(bool) override { return Scalar(); }
  bool number_integer(json::number_integer_t) override { return Scalar(); }
  bool number_unsigned(json::number_unsigned_t) override { return Scalar(); }
  bool number_float(json::number_float_t, const std::string&) override {
    return Scalar();
  }
  bool string(std::string&) override { return Scalar(); }
  bool binary(json::binary_t&) override { return Scalar(); }
  bool start_object(std::size_t) override {
    Open(false);
    return true;
  }
  bool key(std::string& k) override {
    Frame& f = frames_.back();
    if (!f.keys.insert(k).second) {
      duplicates_.push_back(
          absl::StrCat("duplicate field \"", Child(f, k), "\""));
    }
    f.key = k;
    return true;
  }
  bool end_object() override { return Close(); }
  bool start_array(std::size_t) override {
    Open(true);
    return true;
  }
  bool end_array() override { return Close(); }
  bool parse_error(std::size_t, const std::string&,
                   const nlohmann::detail::exception&) override {
    duplicates_.clear();
    return false;
  }
  std::vector<std::string> duplicates() const { return duplicates_; }

 private:
  struct Frame {
    bool array = false;
    std::string path;
    std::set<std::string> keys;
    std::string key;
    size_t index = 0;
  };
  static std::string Child(const Frame& f, const std::string& key) {
    return f.path.empty() ? key : absl::StrCat(f.path, ".", key);
  }
  // The path of the value being read in the innermost container.
  std::string Here() const {
    if (frames_.empty()) return "";
    const Frame& f = frames_.back();
    if (f.array) return absl::StrCat(f.path, "[", f.index, "]");
    return Child(f, f.key);
  }
  void Open(bool array) {
    Frame f;
    f.array = array;
    f.path = Here();
    frames_.push_back(std::move(f));
  }
  bool Close() {
    frames_.pop_back();
    return Scalar();
  }
  bool Scalar() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
    return true;
  }
  std::vector<Frame> frames_;
  std::vector<std::string> duplicates_;
};

std::string GoNumber(const json& v) {
  if (!v.is_number_float()) return v.dump();
  // %v of a float64: the shortest form, exponent past 21 digits.
  double d = v.get<double>();
  if (d == std::floor(d) && std::fabs(d) < 1e21) {
    return absl::StrCat(static_cast<int64_t>(d));
  }
  return v.dump();
}

}  // namespace

absl::StatusOr<FieldValidation> ParseFieldValidation(const std::string& v) {
  if (v.empty() || v == "Warn") return FieldValidation::kWarn;
  if (v == "Ignore") return FieldValidation::kIgnore;
  if (v == "Strict") return FieldValidation::kStrict;
  return absl::InvalidArgumentError(absl::StrCat(
      "fieldValidation: Unsupported value: \"", v,
      "\": supported values: \"\", \"Ignore\", \"Strict\", \"Warn\""));
}

DecodeReport DecodeObject(const json& definitions, const json& schema,
                          const std::string& kind, bool typed, json* object) {
  DecodeReport report;
  Decoder decoder(definitions, typed, &report);
  if (!object->is_object()) return report;
  const json* s = &schema;
  while (s->contains("$ref")) {
    std::string ref = (*s)["$ref"].get<std::string>();
    std::string name = ref.substr(std::string(kSchemaRefPrefix).size());
    if (!definitions.contains(name)) return report;
    s = &definitions[name];
  }
  decoder.Object(*s, kind, "", "", object);
  return report;
}

std::vector<std::string> DuplicateFields(const std::string& body) {
  DuplicateFinder finder;
  json::sax_parse(body, &finder);
  return finder.duplicates();
}

std::string GoValueString(const json& v) {
  if (v.is_null()) return "<nil>";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number()) return GoNumber(v);
  std::vector<std::string> parts;
  if (v.is_array()) {
    for (const json& e : v) parts.push_back(GoValueString(e));
    return absl::StrCat("[", absl::StrJoin(parts, " "), "]");
  }
  // nlohmann's objects iterate in key order, as Go prints maps.
  for (auto it = v.begin(); it != v.end(); ++it) {
    parts.push_back(absl::StrCat(it.key(), ":", GoValueString(it.value())));
  }
  return absl::StrCat("map[", absl::StrJoin(parts, " "), "]");
}

}  // namespace lb::k8s::testing
