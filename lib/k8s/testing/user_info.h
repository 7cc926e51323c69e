// lib/k8s/testing/user_info.h
//
// Who a request to the API server stand-in is from, as kube-apiserver's
// authenticators say it (k8s.io/apiserver's user.Info), and the well-known
// user and group names.
//
//   UserInfo sa = ServiceAccountUser("default", "web", uid);
//   sa.name;     // "system:serviceaccount:default:web"
//   UserInfoJson(sa);   // {"username": ..., "uid": ..., "groups": [...]}
//
// Thread-safety: value types and pure functions.

#ifndef LB_K8S_TESTING_USER_INFO_H_
#define LB_K8S_TESTING_USER_INFO_H_

#include <string>
#include <vector>

#include "lib/k8s/json.h"

namespace lb::k8s::testing {

// Every authenticated user is in this group.
inline constexpr char kAllAuthenticated[] = "system:authenticated";
// The anonymous user's group.
inline constexpr char kAllUnauthenticated[] = "system:unauthenticated";
// Members are allowed everything, before any authorizer is asked.
inline constexpr char kSystemPrivilegedGroup[] = "system:masters";
inline constexpr char kAnonymousUser[] = "system:anonymous";
// Every service account is in this group, and in "<this>:<namespace>".
inline constexpr char kServiceAccountsGroup[] = "system:serviceaccounts";
inline constexpr char kServiceAccountUsernamePrefix[] =
    "system:serviceaccount:";
// The `extra` key naming the credential a request authenticated with.
inline constexpr char kCredentialIdKey[] =
    "authentication.kubernetes.io/credential-id";

// Who a request is from, as kube-apiserver's authenticators say.
struct UserInfo {
  // "system:serviceaccount:ns:sa", "kubernetes-admin", "system:anonymous"
  std::string name;
  std::string uid;
  // Always includes system:authenticated for authenticated users.
  std::vector<std::string> groups;
  // Key -> array of strings: authentication.kubernetes.io/credential-id etc.
  json extra = json::object();
};

// "system:serviceaccount:<ns>:<name>".
std::string ServiceAccountUsername(const std::string& ns,
                                   const std::string& name);

// The user a service account token authenticates as: groups
// system:serviceaccounts, system:serviceaccounts:<ns> and
// system:authenticated, no extra.
UserInfo ServiceAccountUser(const std::string& ns, const std::string& name,
                            const std::string& uid);

// The user of a request without credentials (kube-apiserver's anonymous
// authenticator): system:anonymous in group system:unauthenticated.
UserInfo AnonymousUser();

// The authentication.k8s.io UserInfo object: username, uid, groups, extra,
// each left out when empty (as their `omitempty` tags do).
json UserInfoJson(const UserInfo& user);

}  // namespace lb::k8s::testing

#endif  // LB_K8S_TESTING_USER_INFO_H_
