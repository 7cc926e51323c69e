// lib/k8s/testing/api_result.h
//
// What a request to the API server stand-in produces, whichever front end
// (HTTP or the in-memory client) carries it: an HTTP code and a body, the
// object on success or an upstream-shaped `Status` on failure.
//
//   ApiResult r = ApiError(404, "NotFound", "services \"web\" not found");
//   r.body["reason"];   // "NotFound", as kube-apiserver says it
//
// Thread-safety: value types and pure functions.

#ifndef LB_K8S_TESTING_API_RESULT_H_
#define LB_K8S_TESTING_API_RESULT_H_

#include <string>
#include <vector>

#include "lib/k8s/json.h"

namespace lb::k8s::testing {

struct ApiResult {
  int code = 200;
  json body;
  // Warnings for the caller, sent as `Warning: 299 - "..."` headers.
  std::vector<std::string> warnings;

  bool ok() const { return code >= 200 && code <= 299; }
};

// A `Status` object (kind Status, status Failure) with `details` if not null.
json StatusObject(int code, const std::string& reason,
                  const std::string& message, json details = json());

// ApiResult{code, StatusObject(...)}.
ApiResult ApiError(int code, const std::string& reason,
                   const std::string& message, json details = json());

// The reason kube-apiserver gives for an HTTP code ("NotFound", "Conflict",
// ...; "InternalError" for codes it has no name for).
const char* ReasonForCode(int code);

}  // namespace lb::k8s::testing

#endif  // LB_K8S_TESTING_API_RESULT_H_
