// lib/k8s/testing/request_info.h
//
// What an HTTP request asks of the API server, as kube-apiserver's
// RequestInfoFactory reads it, for authorization and the audit record:
// resource requests (`/api/v1/...`, `/apis/G/V/...`) with their verb, group,
// resource, subresource, namespace and name; any other path is a non-resource
// request with the method as verb.
//
//   RequestAttributes a = RequestInfoOf("GET", "/api/v1/namespaces/x/pods",
//                                       {{"watch", "true"}});
//   a.verb;   // "watch"
//
// Thread-safety: a pure function.

#ifndef LB_K8S_TESTING_REQUEST_INFO_H_
#define LB_K8S_TESTING_REQUEST_INFO_H_

#include <map>
#include <string>

#include "lib/k8s/testing/rbac.h"

namespace lb::k8s::testing {

// `query` holds the request's query parameters (first value of each).
// Verbs: GET is get (with a name), list or watch (`watch=true`, or the
// legacy `/watch/` path prefix); POST create; PUT update; PATCH patch; DELETE
// delete, or deletecollection without a name. A list or watch whose field
// selector is `metadata.name=X` names X, as kube-apiserver's does, so that
// rules with resourceNames can allow it. The namespaces resource is in the
// namespace it names.
RequestAttributes RequestInfoOf(
    const std::string& method, const std::string& path,
    const std::map<std::string, std::string>& query);

}  // namespace lb::k8s::testing

#endif  // LB_K8S_TESTING_REQUEST_INFO_H_
