// lib/k8s/testing/internal/protobuf_wire.h
//
// Protocol Buffers' binary wire format, at the level of tags, varints and
// length-delimited fields: what the stand-in's protobuf codec reads Kubernetes
// request bodies with and writes responses with. No schema here.
//
//   WireReader r(bytes);
//   while (!r.done()) {
//     WireTag tag;
//     RETURN_IF_ERROR(r.ReadTag(&tag));
//     if (tag.wire_type == WireType::kVarint) RETURN_IF_ERROR(r.ReadVarint(&v));
//   }
//   WireWriter w;
//   w.VarintField(1, 42);
//   w.BytesField(2, "raw");
//   std::string out = w.Take();
//
// Every malformed input (a truncated varint or length, a varint longer than
// ten bytes, a length past the end, field number 0, the group wire types 3
// and 4, or the unused 6 and 7) is an InvalidArgument status, never a crash.
//
// Thread-safety: value types; a reader or writer is not shared.

#ifndef LB_K8S_TESTING_INTERNAL_PROTOBUF_WIRE_H_
#define LB_K8S_TESTING_INTERNAL_PROTOBUF_WIRE_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace lb::k8s::testing::internal {

enum class WireType : uint8_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kFixed32 = 5,
};

// "varint", "fixed64", "length-delimited", "fixed32".
const char* WireTypeName(WireType t);

struct WireTag {
  uint32_t field = 0;  // 1 .. 2^29-1
  WireType wire_type = WireType::kVarint;
};

class WireReader {
 public:
  explicit WireReader(absl::string_view data) : data_(data) {}

  bool done() const { return pos_ >= data_.size(); }
  // Offset of the next unread byte.
  size_t position() const { return pos_; }

  absl::Status ReadTag(WireTag* tag);
  absl::Status ReadVarint(uint64_t* value);
  // The payload of a length-delimited field (a view into the input).
  absl::Status ReadLengthDelimited(absl::string_view* value);

 private:
  absl::Status Error(absl::string_view what) const;

  absl::string_view data_;
  size_t pos_ = 0;
};

class WireWriter {
 public:
  void Tag(uint32_t field, WireType t);
  void Varint(uint64_t value);
  void VarintField(uint32_t field, uint64_t value) {
    Tag(field, WireType::kVarint);
    Varint(value);
  }
  // An int32 field: negative values are sign-extended to ten bytes, as
  // Protocol Buffers writes them.
  void Int32Field(uint32_t field, int32_t value) {
    VarintField(field, static_cast<uint64_t>(static_cast<int64_t>(value)));
  }
  void BytesField(uint32_t field, absl::string_view value);

  const std::string& data() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
};

}  // namespace lb::k8s::testing::internal

#endif  // LB_K8S_TESTING_INTERNAL_PROTOBUF_WIRE_H_
