// lib/k8s/testing/list_options.h
//
// kube-apiserver's rules for the query of a list or watch: which field
// selectors each kind supports, the resourceVersion / resourceVersionMatch /
// sendInitialEvents / continue combinations it refuses (422 ListOptions
// is invalid), and the opaque `continue` token of a paginated list.
//
//   if (ApiResult r = CheckFieldSelector(type, selection.fields); !r.ok())
//     return r;   // 400 "field label not supported: spec.foo"
//   ListQuery q;
//   if (ApiResult r = ParseListQuery(params, /*watch=*/false, &q); !r.ok())
//     return r;
//
// Thread-safety: value types and pure functions.

#ifndef LB_K8S_TESTING_LIST_OPTIONS_H_
#define LB_K8S_TESTING_LIST_OPTIONS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "lib/k8s/internal/selector.h"
#include "lib/k8s/testing/api_result.h"
#include "lib/k8s/testing/resource_type.h"

namespace lb::k8s::testing {

// 400 BadRequest unless every field the selector names is one kube-apiserver
// lets `type` be selected by: metadata.name and metadata.namespace for every
// kind, plus the kind's own (pods: spec.nodeName, status.phase, ...; events:
// involvedObject.*, reason, type, ...; secrets: type; custom resources: the
// CRD version's selectableFields). The message is kube-apiserver's: "field
// label not supported: X" for kinds with their own fields, `"X" is not a
// known field selector: only "metadata.name", "metadata.namespace"` for the
// others.
ApiResult CheckFieldSelector(const ResourceType& type,
                             const k8s::internal::FieldSelector& selector);

// The list and watch parameters of a GET on a collection, as sent.
struct ListQuery {
  bool watch = false;
  std::string resource_version;        // "" when absent
  std::string resource_version_match;  // "", "Exact", "NotOlderThan"
  std::optional<bool> send_initial_events;
  int64_t limit = 0;  // 0: no limit
  std::string continue_token;
};

// kube-apiserver's ValidateListOptions: 422 `ListOptions.meta.k8s.io "" is
// invalid: ...` naming every misuse (resourceVersionMatch without
// resourceVersion, with continue, unknown, "Exact" with "0";
// sendInitialEvents on a list, or on a watch without resourceVersionMatch
// NotOlderThan; resourceVersionMatch on a watch without sendInitialEvents),
// 400 for a malformed limit or resourceVersion, or for a resourceVersion
// sent with continue.
ApiResult ValidateListQuery(const ListQuery& query);

// 504 Timeout "Too large resource version: N, current: M" (cause
// ResourceVersionTooLarge, retry after 1 s): kube-apiserver's answer to a list
// or watch from a version it has not reached.
ApiResult TooLargeResourceVersion(int64_t requested, int64_t current);

// Where the next page of a list starts: the snapshot's resourceVersion and
// the first object key ("ns/name" or "name") at or after which it goes on.
struct ContinueToken {
  int64_t resource_version = 0;
  std::string start;
};

// The token kube-apiserver sends: unpadded URL-safe base64 of
// {"v":"meta.k8s.io/v1","rv":N,"start":"KEY\u0000"}.
std::string EncodeContinueToken(int64_t resource_version,
                                const std::string& last_key);
// 400 BadRequest naming what is wrong with a token this server did not make.
ApiResult DecodeContinueToken(const std::string& token, ContinueToken* out);

}  // namespace lb::k8s::testing

#endif  // LB_K8S_TESTING_LIST_OPTIONS_H_
