#include "lib/k8s/testing/rbac.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "lib/k8s/testing/internal/fields.h"
#include "lib/k8s/testing/validation.h"

namespace lb::k8s::testing {
namespace {

using internal::Field;
using internal::Str;

constexpr char kRbacGroup[] = "rbac.authorization.k8s.io";
constexpr char kRbacVersion[] = "rbac.authorization.k8s.io/v1";

// --- Rule evaluation (pkg/apis/rbac/v1/evaluation_helpers.go) -------------

// The strings of a JSON array; anything else reads as empty.
std::vector<std::string> Strings(const json& list) {
  std::vector<std::string> out;
  if (!list.is_array()) return out;
  for (const json& v : list) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

bool Contains(const std::vector<std::string>& list, const std::string& s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

bool VerbMatches(const json& rule, const std::string& verb) {
  for (const std::string& v : Strings(Field(rule, "verbs"))) {
    if (v == "*" || v == verb) return true;
  }
  return false;
}

bool ApiGroupMatches(const json& rule, const std::string& group) {
  for (const std::string& g : Strings(Field(rule, "apiGroups"))) {
    if (g == "*" || g == group) return true;
  }
  return false;
}

// `combined` is "resource" or "resource/subresource".
bool ResourceMatches(const json& rule, const std::string& combined,
                     const std::string& subresource) {
  for (const std::string& r : Strings(Field(rule, "resources"))) {
    if (r == "*" || r == combined) return true;
    if (subresource.empty()) continue;
    if (r.size() == subresource.size() + 2 && absl::StartsWith(r, "*/") &&
        absl::EndsWith(r, subresource)) {
      return true;
    }
  }
  return false;
}

bool ResourceNameMatches(const json& rule, const std::string& name) {
  std::vector<std::string> names = Strings(Field(rule, "resourceNames"));
  return names.empty() || Contains(names, name);
}

bool NonResourceUrlMatches(const json& rule, const std::string& path) {
  for (const std::string& u : Strings(Field(rule, "nonResourceURLs"))) {
    if (u == "*" || u == path) return true;
    if (absl::EndsWith(u, "*")) {
      absl::string_view prefix = u;
      while (absl::ConsumeSuffix(&prefix, "*")) {
      }
      if (absl::StartsWith(path, prefix)) return true;
    }
  }
  return false;
}

bool RuleAllows(const RequestAttributes& attrs, const json& rule) {
  if (attrs.resource_request) {
    std::string combined = attrs.subresource.empty()
                               ? attrs.resource
                               : attrs.resource + "/" + attrs.subresource;
    return VerbMatches(rule, attrs.verb) &&
           ApiGroupMatches(rule, attrs.api_group) &&
           ResourceMatches(rule, combined, attrs.subresource) &&
           ResourceNameMatches(rule, attrs.name);
  }
  return VerbMatches(rule, attrs.verb) &&
         NonResourceUrlMatches(rule, attrs.path);
}

// --- Aggregation (the cluster-role aggregation controller) ----------------

// metav1.LabelSelector semantics; the empty selector matches everything, an
// unknown operator nothing.
bool SelectorMatches(const json& selector, const json& labels) {
  auto label = [&labels](const std::string& key, std::string* value) {
    if (!labels.is_object()) return false;
    auto it = labels.find(key);
    if (it == labels.end() || !it->is_string()) return false;
    *value = it->get<std::string>();
    return true;
  };
  const json& match_labels = Field(selector, "matchLabels");
  if (match_labels.is_object()) {
    for (auto it = match_labels.begin(); it != match_labels.end(); ++it) {
      std::string v;
      if (!label(it.key(), &v) || v != Str(it.value())) return false;
    }
  }
  const json& exprs = Field(selector, "matchExpressions");
  if (exprs.is_array()) {
    for (const json& e : exprs) {
      std::string v;
      bool has = label(Str(Field(e, "key")), &v);
      std::vector<std::string> values = Strings(Field(e, "values"));
      std::string op = Str(Field(e, "operator"));
      bool ok = false;
      if (op == "In") {
        ok = has && Contains(values, v);
      } else if (op == "NotIn") {
        ok = !has || !Contains(values, v);
      } else if (op == "Exists") {
        ok = has;
      } else if (op == "DoesNotExist") {
        ok = !has;
      }
      if (!ok) return false;
    }
  }
  return true;
}

bool Aggregated(const json& cluster_role) {
  return Field(cluster_role, "aggregationRule").is_object();
}

// ClusterRoles by name.
using RoleIndex = std::map<std::string, const json*>;

// The rules `role` grants: its own, or, when it aggregates, those of the
// roles its selectors match (roles on `path`, the aggregation chain being
// resolved, are skipped, so cycles end).
json EffectiveRules(const RoleIndex& roles, const json& role,
                    std::vector<std::string>* path) {
  if (!Aggregated(role)) {
    const json& rules = Field(role, "rules");
    return rules.is_array() ? rules : json::array();
  }
  json out = json::array();
  std::string name = Str(Field(role, "metadata", "name"));
  path->push_back(name);
  const json& selectors =
      Field(Field(role, "aggregationRule"), "clusterRoleSelectors");
  if (selectors.is_array()) {
    for (const json& selector : selectors) {
      for (const auto& [other_name, other] : roles) {
        if (other_name == name || Contains(*path, other_name)) continue;
        if (!SelectorMatches(selector, Field(*other, "metadata", "labels"))) {
          continue;
        }
        for (const json& rule : EffectiveRules(roles, *other, path)) {
          if (std::find(out.begin(), out.end(), rule) == out.end()) {
            out.push_back(rule);
          }
        }
      }
    }
  }
  path->pop_back();
  return out;
}

// --- Bindings (pkg/registry/rbac/validation/rule.go) ----------------------

bool AppliesToUser(const UserInfo& user, const json& subject,
                   const std::string& ns) {
  std::string kind = Str(Field(subject, "kind"));
  std::string name = Str(Field(subject, "name"));
  if (kind == "User") return user.name == name;
  if (kind == "Group") return Contains(user.groups, name);
  if (kind == "ServiceAccount") {
    std::string sa_ns = Str(Field(subject, "namespace"));
    if (sa_ns.empty()) sa_ns = ns;
    if (sa_ns.empty()) return false;
    return user.name == ServiceAccountUsername(sa_ns, name);
  }
  return false;
}

// The first subject of `binding` that applies to `user`, or null.
const json* AppliesTo(const UserInfo& user, const json& binding,
                      const std::string& ns) {
  const json& subjects = Field(binding, "subjects");
  if (!subjects.is_array()) return nullptr;
  for (const json& s : subjects) {
    if (AppliesToUser(user, s, ns)) return &s;
  }
  return nullptr;
}

std::string DescribeSubject(const json& subject,
                            const std::string& binding_ns) {
  std::string kind = Str(Field(subject, "kind"));
  std::string name = Str(Field(subject, "name"));
  if (kind == "ServiceAccount") {
    std::string ns = Str(Field(subject, "namespace"));
    return absl::StrCat(kind, " ",
                        GoString(name + "/" + (ns.empty() ? binding_ns : ns)));
  }
  return absl::StrCat(kind, " ", GoString(name));
}

// `ClusterRoleBinding "b" of ClusterRole "r" to Group "g"`, or for a
// RoleBinding `RoleBinding "b/ns" of Role "r" to User "u"`.
std::string DescribeBinding(const json& binding, const json& subject,
                            bool cluster) {
  std::string name = Str(Field(binding, "metadata", "name"));
  std::string ns = Str(Field(binding, "metadata", "namespace"));
  const json& ref = Field(binding, "roleRef");
  return absl::StrCat(cluster ? "ClusterRoleBinding " : "RoleBinding ",
                      GoString(cluster ? name : name + "/" + ns), " of ",
                      Str(Field(ref, "kind")), " ",
                      GoString(Str(Field(ref, "name"))), " to ",
                      DescribeSubject(subject, cluster ? "" : ns));
}

// Reads roles and cluster roles from the store for one decision.
class RuleResolver {
 public:
  explicit RuleResolver(const ObjectStore& store)
      : store_(store),
        roles_(store.FindType(kRbacGroup, "roles")),
        cluster_roles_(store.FindType(kRbacGroup, "clusterroles")) {}

  // The rules `role_ref` of a binding in `ns` ("" for a ClusterRoleBinding)
  // grants, or false with `*error` as the rule resolver words it.
  bool Rules(const json& role_ref, const std::string& ns, json* rules,
             std::string* error) {
    std::string kind = Str(Field(role_ref, "kind"));
    std::string name = Str(Field(role_ref, "name"));
    if (kind == "Role") {
      ObjectRef role =
          roles_ == nullptr ? nullptr : store_.Get(*roles_, ns, name);
      if (role == nullptr) {
        *error = absl::StrCat("role.", kRbacGroup, " ", GoString(name),
                              " not found");
        return false;
      }
      const json& r = Field(*role, "rules");
      *rules = r.is_array() ? r : json::array();
      return true;
    }
    if (kind == "ClusterRole") {
      ObjectRef role = cluster_roles_ == nullptr
                           ? nullptr
                           : store_.Get(*cluster_roles_, "", name);
      if (role == nullptr) {
        *error = absl::StrCat("clusterrole.", kRbacGroup, " ", GoString(name),
                              " not found");
        return false;
      }
      if (!Aggregated(*role)) {
        const json& r = Field(*role, "rules");
        *rules = r.is_array() ? r : json::array();
        return true;
      }
      std::vector<std::string> path;
      *rules = EffectiveRules(Index(), *role, &path);
      return true;
    }
    *error = absl::StrCat("unsupported role reference kind: ", GoString(kind));
    return false;
  }

 private:
  // Every ClusterRole, read once, when an aggregated one is met.
  const RoleIndex& Index() {
    if (!indexed_) {
      indexed_ = true;
      all_ = store_.List(*cluster_roles_, Selection{});
      for (const ObjectRef& r : all_) {
        index_[Str(Field(*r, "metadata", "name"))] = r.get();
      }
    }
    return index_;
  }

  const ObjectStore& store_;
  const ResourceType* roles_;
  const ResourceType* cluster_roles_;
  bool indexed_ = false;
  std::vector<ObjectRef> all_;
  RoleIndex index_;
};

// utilerrors.NewAggregate(errs).Error(): one message alone, several
// (duplicates dropped) as "[a, b]".
std::string AggregateErrors(const std::vector<std::string>& errors) {
  std::vector<std::string> seen;
  for (const std::string& e : errors) {
    if (!Contains(seen, e)) seen.push_back(e);
  }
  if (seen.size() == 1) return seen[0];
  return absl::StrCat("[", absl::StrJoin(seen, ", "), "]");
}

// --- Bootstrap policy (plugin/pkg/auth/authorizer/rbac/bootstrappolicy) ---

std::vector<std::string> Sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

json Rule(const std::vector<std::string>& verbs,
          const std::vector<std::string>& groups,
          const std::vector<std::string>& resources,
          const std::vector<std::string>& names = {}) {
  json r = {{"verbs", Sorted(verbs)},
            {"apiGroups", Sorted(groups)},
            {"resources", Sorted(resources)}};
  if (!names.empty()) r["resourceNames"] = Sorted(names);
  return r;
}

json UrlRule(const std::vector<std::string>& verbs,
             const std::vector<std::string>& urls) {
  return {{"verbs", Sorted(verbs)}, {"nonResourceURLs", Sorted(urls)}};
}

json BootstrapMetadata(const std::string& name, json labels = json::object()) {
  labels["kubernetes.io/bootstrapping"] = "rbac-defaults";
  return {{"name", name},
          {"labels", std::move(labels)},
          {"annotations",
           {{"rbac.authorization.kubernetes.io/autoupdate", "true"}}}};
}

json ClusterRole(const std::string& name, json rules,
                 json labels = json::object()) {
  return {{"apiVersion", kRbacVersion},
          {"kind", "ClusterRole"},
          {"metadata", BootstrapMetadata(name, std::move(labels))},
          {"rules", std::move(rules)}};
}

json AggregatedClusterRole(const std::string& name, const std::string& selects,
                           json labels = json::object()) {
  json role = ClusterRole(name, json::array(), std::move(labels));
  role["aggregationRule"] = {
      {"clusterRoleSelectors",
       {{{"matchLabels",
          {{"rbac.authorization.k8s.io/aggregate-to-" + selects, "true"}}}}}}};
  return role;
}

json ClusterRoleBinding(const std::string& name,
                        const std::vector<std::string>& groups) {
  json subjects = json::array();
  for (const std::string& g : groups) {
    subjects.push_back(
        {{"kind", "Group"}, {"apiGroup", kRbacGroup}, {"name", g}});
  }
  return {{"apiVersion", kRbacVersion},
          {"kind", "ClusterRoleBinding"},
          {"metadata", BootstrapMetadata(name)},
          {"roleRef",
           {{"apiGroup", kRbacGroup}, {"kind", "ClusterRole"}, {"name", name}}},
          {"subjects", std::move(subjects)}};
}

json AggregateLabel(const std::string& to) {
  return {{"rbac.authorization.k8s.io/aggregate-to-" + to, "true"}};
}

std::vector<json> BootstrapClusterRoles() {
  const std::vector<std::string> read = {"get", "list", "watch"};
  const std::vector<std::string> write = {"create", "update", "patch", "delete",
                                          "deletecollection"};
  std::vector<std::string> read_write = read;
  read_write.insert(read_write.end(), write.begin(), write.end());
  const std::string core;

  std::vector<json> roles;
  roles.push_back(ClusterRole(
      "cluster-admin",
      json::array({Rule({"*"}, {"*"}, {"*"}), UrlRule({"*"}, {"*"})})));
  roles.push_back(ClusterRole(
      "system:discovery",
      json::array(
          {UrlRule({"get"}, {"/livez", "/readyz", "/healthz", "/version",
                             "/version/", "/openapi", "/openapi/*", "/api",
                             "/api/*", "/apis", "/apis/*"})})));
  roles.push_back(ClusterRole(
      "system:monitoring",
      json::array({UrlRule(
          {"get"}, {"/metrics", "/metrics/slis", "/livez", "/readyz",
                    "/healthz", "/livez/*", "/readyz/*", "/healthz/*"})})));
  roles.push_back(ClusterRole(
      "system:basic-user",
      json::array(
          {Rule({"create"}, {"authorization.k8s.io"},
                {"selfsubjectaccessreviews", "selfsubjectrulesreviews"}),
           Rule({"create"}, {"authentication.k8s.io"},
                {"selfsubjectreviews"})})));
  roles.push_back(ClusterRole(
      "system:public-info-viewer",
      json::array({UrlRule({"get"}, {"/livez", "/readyz", "/healthz",
                                     "/version", "/version/"})})));
  roles.push_back(AggregatedClusterRole("admin", "admin"));
  roles.push_back(
      AggregatedClusterRole("edit", "edit", AggregateLabel("admin")));
  roles.push_back(
      AggregatedClusterRole("view", "view", AggregateLabel("edit")));
  roles.push_back(ClusterRole(
      "system:aggregate-to-admin",
      json::array({Rule({"create"}, {"authorization.k8s.io"},
                        {"localsubjectaccessreviews"}),
                   Rule(read_write, {kRbacGroup}, {"roles", "rolebindings"})}),
      AggregateLabel("admin")));
  roles.push_back(ClusterRole(
      "system:aggregate-to-edit",
      json::array(
          {Rule(read, {core},
                {"pods/attach", "pods/proxy", "pods/exec", "pods/portforward",
                 "secrets", "services/proxy"}),
           Rule({"impersonate"}, {core}, {"serviceaccounts"}),
           Rule(write, {core},
                {"pods", "pods/attach", "pods/proxy", "pods/exec",
                 "pods/portforward"}),
           Rule({"create"}, {core}, {"pods/eviction"}),
           Rule(write, {core},
                {"replicationcontrollers", "replicationcontrollers/scale",
                 "serviceaccounts", "services", "services/proxy",
                 "persistentvolumeclaims", "configmaps", "secrets", "events"}),
           Rule({"create"}, {core}, {"serviceaccounts/token"}),
           Rule(write, {"apps"},
                {"statefulsets", "statefulsets/scale", "daemonsets",
                 "deployments", "deployments/scale", "deployments/rollback",
                 "replicasets", "replicasets/scale"}),
           Rule(write, {"autoscaling"}, {"horizontalpodautoscalers"}),
           Rule(write, {"batch"}, {"jobs", "cronjobs"}),
           Rule(write, {"extensions"},
                {"daemonsets", "deployments", "deployments/scale",
                 "deployments/rollback", "ingresses", "replicasets",
                 "replicasets/scale", "replicationcontrollers/scale",
                 "networkpolicies"}),
           Rule(write, {"policy"}, {"poddisruptionbudgets"}),
           Rule(write, {"networking.k8s.io"}, {"networkpolicies", "ingresses"}),
           Rule(read_write, {"coordination.k8s.io"}, {"leases"})}),
      AggregateLabel("edit")));
  roles.push_back(ClusterRole(
      "system:aggregate-to-view",
      json::array(
          {Rule(read, {core},
                {"pods", "replicationcontrollers",
                 "replicationcontrollers/scale", "serviceaccounts", "services",
                 "services/status", "endpoints", "persistentvolumeclaims",
                 "persistentvolumeclaims/status", "configmaps"}),
           Rule(read, {core},
                {"limitranges", "resourcequotas", "bindings", "events",
                 "pods/status", "resourcequotas/status", "namespaces/status",
                 "replicationcontrollers/status", "pods/log"}),
           Rule(read, {core}, {"namespaces"}),
           Rule(read, {"discovery.k8s.io"}, {"endpointslices"}),
           Rule(read, {"apps"},
                {"controllerrevisions", "statefulsets", "statefulsets/status",
                 "statefulsets/scale", "daemonsets", "daemonsets/status",
                 "deployments", "deployments/status", "deployments/scale",
                 "replicasets", "replicasets/status", "replicasets/scale"}),
           Rule(
               read, {"autoscaling"},
               {"horizontalpodautoscalers", "horizontalpodautoscalers/status"}),
           Rule(read, {"batch"},
                {"jobs", "cronjobs", "cronjobs/status", "jobs/status"}),
           Rule(read, {"extensions"},
                {"daemonsets", "daemonsets/status", "deployments",
                 "deployments/scale", "deployments/status", "ingresses",
                 "ingresses/status", "replicasets", "replicasets/scale",
                 "replicasets/status", "replicationcontrollers/scale",
                 "networkpolicies"}),
           Rule(read, {"policy"},
                {"poddisruptionbudgets", "poddisruptionbudgets/status"}),
           Rule(read, {"networking.k8s.io"},
                {"networkpolicies", "ingresses", "ingresses/status"})}),
      AggregateLabel("view")));

  // The aggregated roles as the aggregation controller leaves them.
  RoleIndex index;
  for (const json& r : roles) index[Str(r["metadata"]["name"])] = &r;
  std::vector<json> rules(roles.size());
  for (size_t i = 0; i < roles.size(); ++i) {
    std::vector<std::string> path;
    if (Aggregated(roles[i])) rules[i] = EffectiveRules(index, roles[i], &path);
  }
  for (size_t i = 0; i < roles.size(); ++i) {
    if (Aggregated(roles[i])) roles[i]["rules"] = std::move(rules[i]);
  }
  return roles;
}

// Go's %#v of an internal authorization.NonResourceAttributes, as a field
// error prints a struct.
std::string GoNonResourceAttributes(const json& nra) {
  return absl::StrCat("authorization.NonResourceAttributes{Path:",
                      GoString(Str(Field(nra, "path"))),
                      ", Verb:", GoString(Str(Field(nra, "verb"))), "}");
}

// The request's apiVersion when it is of `group`, else `group`/v1.
std::string ApiVersionIn(const json& review, const std::string& group) {
  std::string v = Str(Field(review, "apiVersion"));
  return absl::StartsWith(v, group + "/") ? v : group + "/v1";
}

}  // namespace

Decision Decide(const ObjectStore& store, const UserInfo& user,
                const RequestAttributes& attrs) {
  if (Contains(user.groups, kSystemPrivilegedGroup)) return {true, ""};
  RuleResolver resolver(store);
  std::vector<std::string> errors;
  // Visits the bindings of `type` in `ns`; true when one allows.
  auto visit = [&](const char* plural, const std::string& ns, bool cluster,
                   std::string* reason) {
    const ResourceType* type = store.FindType(kRbacGroup, plural);
    if (type == nullptr) return false;
    Selection in_ns;
    in_ns.ns = ns;
    for (const ObjectRef& binding : store.List(*type, in_ns)) {
      const json* subject = AppliesTo(user, *binding, ns);
      if (subject == nullptr) continue;
      json rules;
      std::string error;
      if (!resolver.Rules(Field(*binding, "roleRef"), ns, &rules, &error)) {
        errors.push_back(error);
        continue;
      }
      for (const json& rule : rules) {
        if (RuleAllows(attrs, rule)) {
          *reason = absl::StrCat("RBAC: allowed by ",
                                 DescribeBinding(*binding, *subject, cluster));
          return true;
        }
      }
    }
    return false;
  };
  std::string reason;
  if (visit("clusterrolebindings", "", true, &reason)) return {true, reason};
  if (!attrs.ns.empty() && visit("rolebindings", attrs.ns, false, &reason)) {
    return {true, reason};
  }
  if (errors.empty()) return {false, ""};
  return {false, absl::StrCat("RBAC: ", AggregateErrors(errors))};
}

bool Authorize(const ObjectStore& store, const UserInfo& user,
               const RequestAttributes& attrs) {
  return Decide(store, user, attrs).allowed;
}

ApiResult Forbidden(const UserInfo& user, const RequestAttributes& attrs) {
  return Forbidden(user, attrs, "");
}

ApiResult Forbidden(const UserInfo& user, const RequestAttributes& attrs,
                    const std::string& reason) {
  std::string msg;
  if (!attrs.resource_request) {
    msg = absl::StrCat("User ", GoString(user.name), " cannot ", attrs.verb,
                       " path ", GoString(attrs.path));
  } else {
    std::string resource = attrs.subresource.empty()
                               ? attrs.resource
                               : attrs.resource + "/" + attrs.subresource;
    msg = absl::StrCat(
        "User ", GoString(user.name), " cannot ", attrs.verb, " resource ",
        GoString(resource), " in API group ", GoString(attrs.api_group),
        attrs.ns.empty()
            ? std::string(" at the cluster scope")
            : absl::StrCat(" in the namespace ", GoString(attrs.ns)));
  }
  // responsewriters' sanitizer: nothing that reads as HTML.
  msg =
      absl::StrReplaceAll(msg, {{"&", "&amp;"}, {"<", "&lt;"}, {">", "&gt;"}});
  if (!reason.empty()) absl::StrAppend(&msg, ": ", reason);

  std::string group = attrs.resource_request ? attrs.api_group : "";
  std::string resource = attrs.resource_request ? attrs.resource : "";
  std::string qualified =
      group.empty() ? resource : absl::StrCat(resource, ".", group);
  std::string message;
  if (qualified.empty()) {
    message = "forbidden: " + msg;
  } else if (attrs.name.empty()) {
    message = absl::StrCat(qualified, " is forbidden: ", msg);
  } else {
    message = absl::StrCat(qualified, " ", GoString(attrs.name),
                           " is forbidden: ", msg);
  }
  json details = json::object();
  if (!attrs.name.empty()) details["name"] = attrs.name;
  if (!group.empty()) details["group"] = group;
  if (!resource.empty()) details["kind"] = resource;
  return ApiError(403, "Forbidden", message, std::move(details));
}

std::vector<json> BootstrapRbacObjects() {
  std::vector<json> out = BootstrapClusterRoles();
  out.push_back(ClusterRoleBinding("cluster-admin", {kSystemPrivilegedGroup}));
  out.push_back(ClusterRoleBinding("system:monitoring", {"system:monitoring"}));
  out.push_back(ClusterRoleBinding("system:discovery", {kAllAuthenticated}));
  out.push_back(ClusterRoleBinding("system:basic-user", {kAllAuthenticated}));
  out.push_back(ClusterRoleBinding("system:public-info-viewer",
                                   {kAllAuthenticated, kAllUnauthenticated}));
  return out;
}

ApiResult ReviewAccess(const ObjectStore& store, const UserInfo& user,
                       const json& review) {
  if (!review.is_object()) {
    return ApiError(400, "BadRequest",
                    "not a SelfSubjectAccessReview: the body is not an object");
  }
  const json& spec = Field(review, "spec");
  const json& ra = Field(spec, "resourceAttributes");
  const json& nra = Field(spec, "nonResourceAttributes");
  FieldErrors errs;
  if (ra.is_object() && nra.is_object()) {
    errs.Invalid("spec.nonResourceAttributes", GoNonResourceAttributes(nra),
                 "cannot be specified in combination with resourceAttributes");
  }
  if (!ra.is_object() && !nra.is_object()) {
    errs.Required("spec.resourceAttributes",
                  "exactly one of nonResourceAttributes or resourceAttributes "
                  "must be specified");
  }
  if (!errs.empty()) {
    ResourceType t;
    t.group = "authorization.k8s.io";
    t.version = "v1";
    t.kind = "SelfSubjectAccessReview";
    t.plural = "selfsubjectaccessreviews";
    t.namespaced = false;
    return InvalidResult(t, "", errs);
  }
  RequestAttributes attrs;
  if (ra.is_object()) {
    attrs.resource_request = true;
    attrs.verb = Str(Field(ra, "verb"));
    attrs.ns = Str(Field(ra, "namespace"));
    attrs.api_group = Str(Field(ra, "group"));
    attrs.resource = Str(Field(ra, "resource"));
    attrs.subresource = Str(Field(ra, "subresource"));
    attrs.name = Str(Field(ra, "name"));
  } else {
    attrs.resource_request = false;
    attrs.verb = Str(Field(nra, "verb"));
    attrs.path = Str(Field(nra, "path"));
  }
  Decision d = Decide(store, user, attrs);
  json out = review;
  out["apiVersion"] = ApiVersionIn(review, "authorization.k8s.io");
  out["kind"] = "SelfSubjectAccessReview";
  if (!out["metadata"].is_object() || out["metadata"].empty()) {
    out["metadata"] = {{"creationTimestamp", nullptr}};
  }
  json status = {{"allowed", d.allowed}};
  if (!d.reason.empty()) status["reason"] = d.reason;
  out["status"] = std::move(status);
  return {201, std::move(out)};
}

json ReviewSelf(const UserInfo& user, const json& review) {
  return {{"apiVersion", ApiVersionIn(review, "authentication.k8s.io")},
          {"kind", "SelfSubjectReview"},
          {"metadata", {{"creationTimestamp", nullptr}}},
          {"status", {{"userInfo", UserInfoJson(user)}}}};
}

json ReviewSelf(const UserInfo& user, const json& review, absl::Time now) {
  json out = ReviewSelf(user, review);
  out["metadata"]["creationTimestamp"] = internal::Rfc3339(now);
  return out;
}

}  // namespace lb::k8s::testing
