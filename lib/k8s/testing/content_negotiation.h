// lib/k8s/testing/content_negotiation.h
//
// The media types of the stand-in's request and response bodies, negotiated
// as kube-apiserver negotiates them: a request body in application/json or,
// for the kinds protobuf_codec.h models, application/vnd.kubernetes.protobuf;
// a response in the first type of the Accept header that the server
// produces for the resource, else 406 NotAcceptable.
//
//   ResponseFormat format;
//   ApiResult n = NegotiateResponse(accept, ProtobufModels("v1", "ConfigMap"),
//                                   /*watch=*/false, &format);
//   if (!n.ok()) return n;   // 406 NotAcceptable
//   ...
//   EncodedResponse out = EncodeResponse(format, code, json_body);
//
// Thread-safety: pure functions.

#ifndef LB_K8S_TESTING_CONTENT_NEGOTIATION_H_
#define LB_K8S_TESTING_CONTENT_NEGOTIATION_H_

#include <string>

#include "absl/strings/string_view.h"
#include "lib/k8s/json.h"
#include "lib/k8s/testing/api_result.h"

namespace lb::k8s::testing {

// How a response body is written.
struct ResponseFormat {
  // In application/vnd.kubernetes.protobuf; otherwise application/json.
  bool protobuf = false;
  // The Accept header also takes application/json: the answer when an
  // object cannot be encoded in protobuf.
  bool json_acceptable = true;
  // The chosen media range asks for a server-side Table (`as=Table`).
  bool table = false;
};

// kube-apiserver's output negotiation: the Accept header's media ranges,
// ordered by q (highest first), then concrete types before wildcards, then
// as written; the first that names a type produced here wins, and an empty
// header takes application/json. Produced: application/json (also as a
// Table or a watch stream), and application/vnd.kubernetes.protobuf when
// `protobuf` (the resource's kind has a message) and not `watch` (watches
// stream JSON only) and the range asks for no conversion (`as=`). A range
// with `sv=`, or a `stream=` other than watch, is skipped, as upstream. With
// no match: the 406 NotAcceptable Status, "only the following media types
// are accepted: ...", naming the types produced. OK (200) otherwise, with
// `out` filled in.
ApiResult NegotiateResponse(absl::string_view accept, bool protobuf, bool watch,
                            ResponseFormat* out);

// The media type of a Content-Type header: "type/subtype", lowercased,
// without parameters.
std::string MediaTypeOf(absl::string_view content_type);

// The object of a protobuf request body, which must be of `kind` (the URL's
// kind, or DeleteOptions for a DELETE); OK (200) or the Status kube-apiserver
// answers: 400 BadRequest for a malformed body or another kind, 415
// UnsupportedMediaType for a kind or field protobuf_codec.h does not model.
ApiResult DecodeProtobufBody(absl::string_view body, absl::string_view kind,
                             json* out);

struct EncodedResponse {
  int code;
  std::string body;
  std::string content_type;
};

// A JSON response (`code`, `json_body`) in `format`: re-encoded as protobuf
// when negotiated; when the object has no protobuf form here, kept as JSON
// if the client takes JSON (and for failures, which keep their own Status,
// as kube-apiserver writes them), else replaced by a 406 NotAcceptable
// naming what could not be encoded.
EncodedResponse EncodeResponse(const ResponseFormat& format, int code,
                               std::string json_body);

}  // namespace lb::k8s::testing

#endif  // LB_K8S_TESTING_CONTENT_NEGOTIATION_H_
