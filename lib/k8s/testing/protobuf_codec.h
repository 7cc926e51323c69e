// lib/k8s/testing/protobuf_codec.h
//
// Kubernetes' protobuf wire form (media type application/vnd.kubernetes.protobuf)
// for the kinds the stand-in models in it, converted to and from the JSON form
// the object store keeps. A body is the 4 bytes "k8s\x00" and a
// runtime.Unknown message {typeMeta = 1 {apiVersion = 1, kind = 2}, raw = 2,
// contentEncoding = 3, contentType = 4} whose raw is the object's message.
//
//   absl::StatusOr<json> cm = DecodeProtobuf(request_body);
//   // {"apiVersion":"v1","kind":"ConfigMap","metadata":{...},"data":{...}}
//   absl::StatusOr<std::string> body = EncodeProtobuf(stored_object);
//
// Kinds modelled: ConfigMap, Secret, Namespace, Service (v1), Deployment
// (apps/v1), their lists, Status (v1) and DeleteOptions (any apiVersion);
// internal/protobuf_schema.h lists their fields. Values map as Go's types
// read and write them: Time is RFC 3339 in seconds (nanos ignored, an empty
// Time is null), IntOrString a number or a string, Quantity a string (kept as
// written, not canonicalised), bytes base64, maps JSON objects, and a zero
// value of a plain field (not a Go pointer, `omitempty` in Go's JSON) reads
// as absent, as Go's JSON encoder leaves it out.
//
// Errors: InvalidArgument for a body that is not well-formed (bad magic,
// truncated or overlong varints, lengths past the end, wrong wire types,
// strings that are not UTF-8, IntOrString types other than 0 and 1, times
// outside years 1-9999) or, on encode, a JSON value that does not fit its
// field; Unimplemented for a kind, a field or an envelope content encoding
// this codec does not model, naming the field number, the message and the
// JSON path. Nothing unmodelled is dropped silently.
//
// Thread-safety: pure functions.

#ifndef LB_K8S_TESTING_PROTOBUF_CODEC_H_
#define LB_K8S_TESTING_PROTOBUF_CODEC_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/k8s/json.h"

namespace lb::k8s::testing {

inline constexpr char kProtobufMediaType[] =
    "application/vnd.kubernetes.protobuf";

// Whether objects of `api_version` and `kind` have a protobuf message here.
bool ProtobufModels(absl::string_view api_version, absl::string_view kind);

// The JSON object a protobuf body carries, with apiVersion and kind from its
// envelope.
absl::StatusOr<json> DecodeProtobuf(absl::string_view body);

// `object` (whose apiVersion and kind pick the message) as a protobuf body.
absl::StatusOr<std::string> EncodeProtobuf(const json& object);

}  // namespace lb::k8s::testing

#endif  // LB_K8S_TESTING_PROTOBUF_CODEC_H_
