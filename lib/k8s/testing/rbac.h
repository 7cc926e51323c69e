// lib/k8s/testing/rbac.h
//
// kube-apiserver's authorization, for the API server stand-in: the
// privileged group system:masters, then the RBAC authorizer over the Roles,
// ClusterRoles, RoleBindings and ClusterRoleBindings in an ObjectStore; the
// 403 it answers with; the RBAC objects a new cluster holds; and the
// SelfSubjectAccessReview and SelfSubjectReview answers (`kubectl auth
// can-i`, `kubectl auth whoami`).
//
//   RequestAttributes attrs;
//   attrs.verb = "get";
//   attrs.resource = "configmaps";
//   attrs.ns = "default";
//   attrs.name = "x";
//   Decision d = Decide(store, user, attrs);
//   if (!d.allowed) return Forbidden(user, attrs, d.reason);
//
// Rules are read as the RBAC authorizer reads them (pkg/apis/rbac/v1's
// evaluation helpers): apiGroups and verbs match exactly or by "*";
// resources exactly ("pods", "pods/log"), by "*" (every resource and
// subresource) or by "*/<subresource>"; an empty resourceNames matches every
// name; nonResourceURLs match exactly, by "*", or by a prefix ending in "*".
// A ClusterRoleBinding grants everywhere; a RoleBinding only within its own
// namespace, whether it references a Role of that namespace or a
// ClusterRole. A ClusterRole with an aggregationRule holds the rules of the
// other ClusterRoles its clusterRoleSelectors match (in name order,
// duplicates dropped, aggregated roles included through their own
// selectors) in place of its own, as the cluster-role aggregation controller
// leaves it once settled.
//
// Thread-safety: pure functions; the store is only read, so callers hold
// whatever lock guards it.

#ifndef LB_K8S_TESTING_RBAC_H_
#define LB_K8S_TESTING_RBAC_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "lib/k8s/json.h"
#include "lib/k8s/testing/api_result.h"
#include "lib/k8s/testing/object_store.h"
#include "lib/k8s/testing/user_info.h"

namespace lb::k8s::testing {

// What a request asks to do (kube-apiserver's authorizer.Attributes).
struct RequestAttributes {
  bool resource_request = true;
  // get list watch create update patch delete deletecollection; for a
  // non-resource request the lowercase HTTP method (get post put ...).
  std::string verb;
  std::string api_group;    // "" for core
  std::string resource;     // plural
  std::string subresource;  // "", "status", "token"
  std::string ns;           // "" at cluster scope
  std::string name;         // "" when none
  std::string path;         // non-resource requests: the URL path
};

// An authorizer's answer: allowed or not, and why, in kube-apiserver's words:
// "RBAC: allowed by ClusterRoleBinding \"b\" of ClusterRole \"r\" to User
// \"u\"" when allowed by a binding, "" when allowed by system:masters; when
// denied, "" or the bindings that could not be resolved ("RBAC:
// clusterrole.rbac.authorization.k8s.io \"x\" not found").
struct Decision {
  bool allowed = false;
  std::string reason;
};

// Whether `user` may do `attrs`, with the reason.
Decision Decide(const ObjectStore& store, const UserInfo& user,
                const RequestAttributes& attrs);

// Decide(...).allowed.
bool Authorize(const ObjectStore& store, const UserInfo& user,
               const RequestAttributes& attrs);

// The 403 kube-apiserver answers, in its words, e.g.
//   configmaps "x" is forbidden: User "system:serviceaccount:ns:sa" cannot
//     get resource "configmaps" in API group "" in the namespace "ns"
//   services is forbidden: User "u" cannot list resource "services" in API
//     group "" at the cluster scope
//   forbidden: User "u" cannot get path "/metrics"
// with `: <reason>` appended when `reason` (a denied Decision's) is not
// empty; reason Forbidden, code 403, details {name, group, kind: the
// resource plural}, each left out when empty.
ApiResult Forbidden(const UserInfo& user, const RequestAttributes& attrs);
ApiResult Forbidden(const UserInfo& user, const RequestAttributes& attrs,
                    const std::string& reason);

// The ClusterRoles and ClusterRoleBindings of a new cluster that matter
// here, as kube-apiserver's bootstrap policy writes them (apiVersion
// rbac.authorization.k8s.io/v1, label kubernetes.io/bootstrapping:
// rbac-defaults, annotation rbac.authorization.kubernetes.io/autoupdate:
// "true"): the roles cluster-admin, system:discovery, system:monitoring,
// system:basic-user, system:public-info-viewer, the aggregated admin, edit
// and view with the system:aggregate-to-{admin,edit,view} roles they collect
// (their rules filled in as the aggregation controller fills them), then
// the bindings cluster-admin (group system:masters), system:monitoring
// (group system:monitoring), system:discovery and system:basic-user
// (system:authenticated) and system:public-info-viewer (system:authenticated
// and system:unauthenticated). Roles come before bindings.
std::vector<json> BootstrapRbacObjects();

// The answer to a SelfSubjectAccessReview (authorization.k8s.io) created by
// `user`: 201 with the review and its status {allowed, reason when not
// empty} for spec.resourceAttributes {namespace, verb, group, version,
// resource, subresource, name} or spec.nonResourceAttributes {path, verb};
// 422 Invalid when neither or both are given; 400 when `review` is not an
// object.
ApiResult ReviewAccess(const ObjectStore& store, const UserInfo& user,
                       const json& review);

// The answer to a SelfSubjectReview (authentication.k8s.io) created by
// `user`: status.userInfo {username, uid, groups, extra} (UserInfoJson);
// metadata.creationTimestamp is null, or `now` with the second form, as
// kube-apiserver stamps it.
json ReviewSelf(const UserInfo& user, const json& review);
json ReviewSelf(const UserInfo& user, const json& review, absl::Time now);

}  // namespace lb::k8s::testing

#endif  // LB_K8S_TESTING_RBAC_H_
