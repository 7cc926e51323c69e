#include "lib/k8s/testing/user_info.h"

#include "absl/strings/str_cat.h"

namespace lb::k8s::testing {

std::string ServiceAccountUsername(const std::string& ns,
                                   const std::string& name) {
  return absl::StrCat(kServiceAccountUsernamePrefix, ns, ":", name);
}

UserInfo ServiceAccountUser(const std::string& ns, const std::string& name,
                            const std::string& uid) {
  UserInfo u;
  u.name = ServiceAccountUsername(ns, name);
  u.uid = uid;
  u.groups = {kServiceAccountsGroup,
              absl::StrCat(kServiceAccountsGroup, ":", ns), kAllAuthenticated};
  return u;
}

UserInfo AnonymousUser() {
  UserInfo u;
  u.name = kAnonymousUser;
  u.groups = {kAllUnauthenticated};
  return u;
}

json UserInfoJson(const UserInfo& user) {
  json out = json::object();
  if (!user.name.empty()) out["username"] = user.name;
  if (!user.uid.empty()) out["uid"] = user.uid;
  if (!user.groups.empty()) out["groups"] = user.groups;
  if (user.extra.is_object() && !user.extra.empty()) out["extra"] = user.extra;
  return out;
}

}  // namespace lb::k8s::testing
