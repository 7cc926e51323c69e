// lib/k8s/errors.h
//
// How Kubernetes API failures surface: every failed call returns an
// absl::Status whose code follows the HTTP status and whose message is
// "<reason>: <server message>"; the server's Status `reason` and HTTP code are
// also attached as payloads so callers can branch on them.
//
//   absl::Status s = client.Delete(kServices, "default", "web");
//   if (absl::IsNotFound(s)) ...             // 404, reason NotFound
//   if (lb::k8s::Reason(s) == "Conflict") ...
//
// HTTP -> code: 400/415/422 kInvalidArgument, 401 kUnauthenticated,
// 403 kPermissionDenied, 404 kNotFound, 405 kUnimplemented, 409 kAlreadyExists
// (reason AlreadyExists) or kAborted (reason Conflict), 410 kOutOfRange
// (reason Expired/Gone), 429 kResourceExhausted, 500 kInternal,
// 503 kUnavailable, 504 kDeadlineExceeded. Transport failures (connection
// refused, TLS failure, timeout) are kUnavailable with reason "".
//
// Thread-safety: pure functions.

#ifndef LB_K8S_ERRORS_H_
#define LB_K8S_ERRORS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "lib/k8s/json.h"

namespace lb::k8s {

// Builds the Status for an HTTP response: `body` is parsed as a Kubernetes
// Status object when possible, else used (truncated) as the message.
absl::Status StatusFromHttp(int http_code, absl::string_view body);

// Builds the Status for a decoded Kubernetes Status object: its reason,
// message and code (`http_code` when it carries none).
absl::Status StatusFromObject(int http_code, const json& status);

// Builds a Status from a decoded Kubernetes Status object's fields.
absl::Status StatusFromApi(int http_code, absl::string_view reason,
                           absl::string_view message);

// The server's `reason` ("NotFound", "Conflict", ...), "" if none.
std::string Reason(const absl::Status& status);
// The HTTP code, 0 if none.
int HttpCode(const absl::Status& status);

// absl::IsNotFound / absl::IsAlreadyExists test 404 and create-of-existing.
bool IsConflict(const absl::Status& status);
// 410 Gone / Expired: the requested resourceVersion is too old.
bool IsGone(const absl::Status& status);

}  // namespace lb::k8s

#endif  // LB_K8S_ERRORS_H_
