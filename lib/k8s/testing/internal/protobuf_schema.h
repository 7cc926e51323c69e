// lib/k8s/testing/internal/protobuf_schema.h
//
// The subset of Kubernetes' protobuf messages the stand-in's codec speaks:
// for each message, its fields' numbers (from k8s.io/api core/v1 and apps/v1,
// k8s.io/apimachinery meta/v1, util/intstr and api/resource generated.proto),
// JSON names and how a value maps between the two forms. Objects modelled:
// ConfigMap, Secret, Namespace, Service, ServiceAccount (core/v1), Deployment
// (apps/v1), the lists of the first five, TokenRequest and SelfSubjectReview (authentication/v1),
// SelfSubjectAccessReview (authorization/v1), Status and DeleteOptions. A field not listed here is not modelled:
// the codec refuses it rather than dropping it.
//
//   const Message* m = MessageFor("v1", "ConfigMap");
//   const Field* f = m->Find(2);   // data, a map<string, string>
//
// Thread-safety: immutable tables.

#ifndef LB_K8S_TESTING_INTERNAL_PROTOBUF_SCHEMA_H_
#define LB_K8S_TESTING_INTERNAL_PROTOBUF_SCHEMA_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace lb::k8s::testing::internal {

enum class FieldKind : uint8_t {
  kString,  // string: a JSON string (valid UTF-8)
  kInt32,   // int32 varint: a JSON integer
  kInt64,   // int64 varint: a JSON integer
  kBool,    // bool varint: true or false
  // A nested message: a JSON object.
  kMessage,
  // A nested message whose fields sit in the enclosing JSON object (a Go
  // struct embedded with `json:",inline"`, e.g. Probe's ProbeHandler).
  kInline,
  // meta.v1.Time {seconds = 1, nanos = 2}: RFC 3339 in seconds, as Go's
  // metav1.Time reads and writes it (nanos ignored; an empty message is the
  // zero time, null in JSON).
  kTime,
  // util.intstr.IntOrString {type = 1, intVal = 2, strVal = 3}: a JSON
  // integer (type 0) or string (type 1).
  kIntOrString,
  // api.resource.Quantity {string = 1}: a JSON string.
  kQuantity,
  // meta.v1.FieldsV1 {Raw = 1}: any JSON value, Raw holding its JSON text.
  kRawJson,
  // map<string, string>, entries {key = 1, value = 2}: a JSON object.
  kStringMap,
  // map<string, bytes>: a JSON object of base64 strings.
  kBytesMap,
  // map<string, Quantity>: a JSON object of strings.
  kQuantityMap,
  // map<string, ExtraValue>, ExtraValue {items = 1, repeated string}: a JSON
  // object of string arrays (authentication/v1 UserInfo.extra).
  kStringListMap,
};

// Field flags.
inline constexpr uint8_t kRepeated = 1;
// A Go pointer: present on the wire means present in JSON, zero or not.
inline constexpr uint8_t kPointer = 2;
// No `omitempty` in Go's JSON tag: a zero value on the wire is written.
inline constexpr uint8_t kAlways = 4;

struct Message;

struct Field {
  uint32_t number;
  const char* json;
  FieldKind kind;
  uint8_t flags;
  const Message* message;  // kMessage and kInline only

  bool repeated() const { return (flags & kRepeated) != 0; }
  // Whether a zero value read from the wire stays in the JSON form; Go's
  // encoders write zero values of plain fields (omitempty in JSON).
  bool keeps_zero() const { return (flags & (kPointer | kAlways)) != 0; }
};

struct Message {
  const char* name;  // "k8s.io.api.core.v1.ServiceSpec"
  const Field* fields;
  size_t size;
  // A kind's own message: its JSON form also carries apiVersion and kind,
  // which travel in the protobuf envelope, not in the message.
  bool top_level;

  const Field* begin() const { return fields; }
  const Field* end() const { return fields + size; }
  // Null when the message has no field `number`.
  const Field* Find(uint32_t number) const;
};

// The message of an object of `api_version` and `kind` (objects, their
// lists, Status), null when not modelled. DeleteOptions answers for every
// apiVersion, as each group registers it.
const Message* MessageFor(absl::string_view api_version,
                          absl::string_view kind);

}  // namespace lb::k8s::testing::internal

#endif  // LB_K8S_TESTING_INTERNAL_PROTOBUF_SCHEMA_H_
