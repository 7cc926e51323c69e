// lib/k8s/testing/internal/patch.h
//
// The three PATCH flavours of the Kubernetes API applied to JSON objects:
// RFC 6902 JSON patch, RFC 7386 merge patch and strategic merge patch (merge
// patch plus per-list merge keys and `$patch` / `$setElementOrder` /
// `$retainKeys` / `$deleteFromPrimitiveList` directives) for built-in kinds.
//
// Thread-safety: pure functions.

#ifndef LB_K8S_TESTING_INTERNAL_PATCH_H_
#define LB_K8S_TESTING_INTERNAL_PATCH_H_

#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace lb::k8s::testing::internal {

// InvalidArgument when `patch` is not an array of valid operations;
// FailedPrecondition when an operation cannot apply (missing path, failed
// `test`).
absl::StatusOr<nlohmann::json> ApplyJsonPatch(const nlohmann::json& target,
                                              const nlohmann::json& patch);

// RFC 7386: objects merge recursively, null deletes, anything else replaces.
nlohmann::json ApplyMergePatch(const nlohmann::json& target,
                               const nlohmann::json& patch);

// Strategic merge patch for an object of built-in `kind`. InvalidArgument for
// malformed directives.
absl::StatusOr<nlohmann::json> ApplyStrategicMergePatch(
    const std::string& kind, const nlohmann::json& target,
    const nlohmann::json& patch);

}  // namespace lb::k8s::testing::internal

#endif  // LB_K8S_TESTING_INTERNAL_PATCH_H_
