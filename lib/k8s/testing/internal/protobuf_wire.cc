#include "lib/k8s/testing/internal/protobuf_wire.h"

#include "absl/strings/str_cat.h"

namespace lb::k8s::testing::internal {

const char* WireTypeName(WireType t) {
  switch (t) {
    case WireType::kVarint:
      return "varint";
    case WireType::kFixed64:
      return "fixed64";
    case WireType::kLengthDelimited:
      return "length-delimited";
    case WireType::kFixed32:
      return "fixed32";
  }
  return "unknown";
}

absl::Status WireReader::Error(absl::string_view what) const {
  return absl::InvalidArgumentError(
      absl::StrCat("malformed protobuf at byte ", pos_, ": ", what));
}

absl::Status WireReader::ReadVarint(uint64_t* value) {
  uint64_t v = 0;
  for (int i = 0; i < 10; ++i) {
    if (pos_ >= data_.size()) return Error("truncated varint");
    const uint8_t b = static_cast<uint8_t>(data_[pos_++]);
    // The tenth byte holds bit 63 only.
    if (i == 9 && b > 1) return Error("varint overflows 64 bits");
    v |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
    if ((b & 0x80) == 0) {
      *value = v;
      return absl::OkStatus();
    }
  }
  return Error("varint longer than 10 bytes");
}

absl::Status WireReader::ReadTag(WireTag* tag) {
  const size_t start = pos_;
  uint64_t key = 0;
  if (absl::Status s = ReadVarint(&key); !s.ok()) return s;
  const uint64_t field = key >> 3;
  const uint32_t type = static_cast<uint32_t>(key & 7);
  if (field == 0 || field > 0x1fffffff) {
    pos_ = start;
    return Error(absl::StrCat("invalid field number ", field));
  }
  if (type == 3 || type == 4) {
    pos_ = start;
    return Error(absl::StrCat("field ", field, " uses a group (wire type ",
                              type, "), which Kubernetes' messages never do"));
  }
  if (type == 6 || type == 7) {
    pos_ = start;
    return Error(
        absl::StrCat("field ", field, " has invalid wire type ", type));
  }
  tag->field = static_cast<uint32_t>(field);
  tag->wire_type = static_cast<WireType>(type);
  return absl::OkStatus();
}

absl::Status WireReader::ReadLengthDelimited(absl::string_view* value) {
  uint64_t len = 0;
  if (absl::Status s = ReadVarint(&len); !s.ok()) return s;
  if (len > data_.size() - pos_) {
    return Error(absl::StrCat("length ", len, " runs past the end (",
                              data_.size() - pos_, " bytes left)"));
  }
  *value = data_.substr(pos_, static_cast<size_t>(len));
  pos_ += static_cast<size_t>(len);
  return absl::OkStatus();
}

void WireWriter::Varint(uint64_t value) {
  while (value >= 0x80) {
    out_.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out_.push_back(static_cast<char>(value));
}

void WireWriter::Tag(uint32_t field, WireType t) {
  Varint((static_cast<uint64_t>(field) << 3) | static_cast<uint64_t>(t));
}

void WireWriter::BytesField(uint32_t field, absl::string_view value) {
  Tag(field, WireType::kLengthDelimited);
  Varint(value.size());
  out_.append(value.data(), value.size());
}

}  // namespace lb::k8s::testing::internal
