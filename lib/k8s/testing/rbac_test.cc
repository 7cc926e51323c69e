// RBAC over an ObjectStore (rbac.h): what Roles, ClusterRoles and their
// bindings grant, the 403 kube-apiserver answers, the bootstrap policy, and
// the self-review answers.

#include "lib/k8s/testing/rbac.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "lib/k8s/testing/object_store.h"

namespace lb::k8s::testing {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1800000000);
constexpr char kGroup[] = "rbac.authorization.k8s.io";
constexpr char kVersion[] = "rbac.authorization.k8s.io/v1";

json Meta(const std::string& name, const std::string& ns = "") {
  json m = {{"name", name}};
  if (!ns.empty()) m["namespace"] = ns;
  return m;
}

json RuleOf(std::vector<std::string> verbs, std::vector<std::string> groups,
            std::vector<std::string> resources,
            std::vector<std::string> names = {}) {
  json r = {{"verbs", verbs}, {"apiGroups", groups}, {"resources", resources}};
  if (!names.empty()) r["resourceNames"] = names;
  return r;
}

json UrlRuleOf(std::vector<std::string> verbs, std::vector<std::string> urls) {
  return {{"verbs", verbs}, {"nonResourceURLs", urls}};
}

json User(const std::string& name) {
  return {{"kind", "User"}, {"apiGroup", kGroup}, {"name", name}};
}
json Group(const std::string& name) {
  return {{"kind", "Group"}, {"apiGroup", kGroup}, {"name", name}};
}
json Sa(const std::string& name, const std::string& ns = "") {
  json s = {{"kind", "ServiceAccount"}, {"name", name}};
  if (!ns.empty()) s["namespace"] = ns;
  return s;
}

UserInfo Person(const std::string& name,
                std::vector<std::string> groups = {kAllAuthenticated}) {
  UserInfo u;
  u.name = name;
  u.groups = std::move(groups);
  return u;
}

RequestAttributes Res(const std::string& verb, const std::string& group,
                      const std::string& resource, const std::string& ns,
                      const std::string& name = "",
                      const std::string& subresource = "") {
  RequestAttributes a;
  a.verb = verb;
  a.api_group = group;
  a.resource = resource;
  a.ns = ns;
  a.name = name;
  a.subresource = subresource;
  return a;
}

RequestAttributes Path(const std::string& verb, const std::string& path) {
  RequestAttributes a;
  a.resource_request = false;
  a.verb = verb;
  a.path = path;
  return a;
}

struct Fixture {
  ObjectStore store{ObjectStoreOptions{}, kNow};

  Fixture() {
    for (const char* ns : {"ns1", "ns2"}) {
      Create("", "namespaces", "",
             {{"apiVersion", "v1"},
              {"kind", "Namespace"},
              {"metadata", Meta(ns)}});
    }
  }

  void Create(const std::string& group, const std::string& plural,
              const std::string& ns, json obj) {
    const ResourceType* t = store.FindType(group, plural);
    REQUIRE(t != nullptr);
    ApiResult r = store.Create(*t, ns, std::move(obj), kNow);
    INFO(r.body.dump());
    REQUIRE(r.ok());
  }
  void Role(const std::string& ns, const std::string& name, json rules) {
    Create(kGroup, "roles", ns,
           {{"apiVersion", kVersion},
            {"kind", "Role"},
            {"metadata", Meta(name, ns)},
            {"rules", std::move(rules)}});
  }
  void ClusterRole(const std::string& name, json rules,
                   json labels = json::object(), json aggregation = json()) {
    json meta = Meta(name);
    if (!labels.empty()) meta["labels"] = std::move(labels);
    json obj = {{"apiVersion", kVersion},
                {"kind", "ClusterRole"},
                {"metadata", std::move(meta)},
                {"rules", std::move(rules)}};
    if (!aggregation.is_null()) obj["aggregationRule"] = std::move(aggregation);
    Create(kGroup, "clusterroles", "", std::move(obj));
  }
  void RoleBinding(const std::string& ns, const std::string& name,
                   const std::string& role_kind, const std::string& role,
                   json subjects) {
    Create(kGroup, "rolebindings", ns,
           {{"apiVersion", kVersion},
            {"kind", "RoleBinding"},
            {"metadata", Meta(name, ns)},
            {"roleRef",
             {{"apiGroup", kGroup}, {"kind", role_kind}, {"name", role}}},
            {"subjects", std::move(subjects)}});
  }
  void ClusterRoleBinding(const std::string& name, const std::string& role,
                          json subjects) {
    Create(kGroup, "clusterrolebindings", "",
           {{"apiVersion", kVersion},
            {"kind", "ClusterRoleBinding"},
            {"metadata", Meta(name)},
            {"roleRef",
             {{"apiGroup", kGroup}, {"kind", "ClusterRole"}, {"name", role}}},
            {"subjects", std::move(subjects)}});
  }
  bool Can(const UserInfo& u, const RequestAttributes& a) {
    return Authorize(store, u, a);
  }
};

TEST_CASE("the store serves the RBAC kinds") {
  Fixture f;
  for (const char* plural :
       {"roles", "clusterroles", "rolebindings", "clusterrolebindings"}) {
    CHECK(f.store.FindType(kGroup, plural) != nullptr);
  }
}

TEST_CASE("nothing is allowed without a binding") {
  Fixture f;
  UserInfo u = Person("u");
  CHECK_FALSE(f.Can(u, Res("get", "", "configmaps", "ns1", "x")));
  CHECK_FALSE(f.Can(u, Path("get", "/api")));
  Decision d = Decide(f.store, u, Res("list", "", "pods", ""));
  CHECK_FALSE(d.allowed);
  CHECK(d.reason == "");
}

TEST_CASE("a Role and RoleBinding grant within their namespace only") {
  Fixture f;
  f.Role("ns1", "reader",
         json::array({RuleOf({"get", "list"}, {""}, {"configmaps"})}));
  f.RoleBinding("ns1", "rb", "Role", "reader", json::array({User("u")}));
  UserInfo u = Person("u");
  CHECK(f.Can(u, Res("get", "", "configmaps", "ns1", "x")));
  CHECK(f.Can(u, Res("list", "", "configmaps", "ns1")));
  CHECK_FALSE(f.Can(u, Res("watch", "", "configmaps", "ns1")));
  CHECK_FALSE(f.Can(u, Res("get", "", "configmaps", "ns2", "x")));
  CHECK_FALSE(f.Can(u, Res("list", "", "configmaps", "")));
  CHECK_FALSE(f.Can(u, Res("get", "", "secrets", "ns1", "x")));
  CHECK_FALSE(f.Can(u, Res("get", "apps", "configmaps", "ns1", "x")));
  CHECK_FALSE(f.Can(Person("other"), Res("get", "", "configmaps", "ns1")));

  Decision d = Decide(f.store, u, Res("get", "", "configmaps", "ns1", "x"));
  CHECK(d.allowed);
  CHECK(d.reason ==
        "RBAC: allowed by RoleBinding \"rb/ns1\" of Role \"reader\" to User "
        "\"u\"");
}

TEST_CASE("a RoleBinding to a Role of another namespace grants nothing") {
  Fixture f;
  f.Role("ns2", "reader", json::array({RuleOf({"get"}, {""}, {"configmaps"})}));
  f.RoleBinding("ns1", "rb", "Role", "reader", json::array({User("u")}));
  Decision d =
      Decide(f.store, Person("u"), Res("get", "", "configmaps", "ns1", "x"));
  CHECK_FALSE(d.allowed);
  CHECK(d.reason ==
        "RBAC: role.rbac.authorization.k8s.io \"reader\" not found");
}

TEST_CASE("a RoleBinding may reference a ClusterRole, within its namespace") {
  Fixture f;
  f.ClusterRole("svc-editor", json::array({RuleOf({"*"}, {""}, {"services"})}));
  f.RoleBinding("ns1", "rb", "ClusterRole", "svc-editor",
                json::array({User("u")}));
  UserInfo u = Person("u");
  CHECK(f.Can(u, Res("delete", "", "services", "ns1", "web")));
  CHECK_FALSE(f.Can(u, Res("delete", "", "services", "ns2", "web")));
  CHECK_FALSE(f.Can(u, Res("list", "", "services", "")));
}

TEST_CASE(
    "a ClusterRoleBinding grants in every namespace and at cluster "
    "scope") {
  Fixture f;
  f.ClusterRole("node-reader",
                json::array({RuleOf({"get", "list", "watch"}, {""},
                                    {"nodes", "services"})}));
  f.ClusterRoleBinding("crb", "node-reader", json::array({User("u")}));
  UserInfo u = Person("u");
  CHECK(f.Can(u, Res("list", "", "nodes", "")));
  CHECK(f.Can(u, Res("watch", "", "services", "ns1")));
  CHECK(f.Can(u, Res("get", "", "services", "ns2", "web")));
  CHECK_FALSE(f.Can(u, Res("update", "", "services", "ns2", "web")));
  Decision d = Decide(f.store, u, Res("list", "", "nodes", ""));
  CHECK(d.reason ==
        "RBAC: allowed by ClusterRoleBinding \"crb\" of ClusterRole "
        "\"node-reader\" to User \"u\"");
}

TEST_CASE("resourceNames limit a rule to the objects named") {
  Fixture f;
  f.Role(
      "ns1", "lease",
      json::array({RuleOf({"get", "update"}, {"coordination.k8s.io"},
                          {"leases"}, {"lb-controller"}),
                   RuleOf({"create"}, {"coordination.k8s.io"}, {"leases"})}));
  f.RoleBinding("ns1", "rb", "Role", "lease", json::array({User("u")}));
  UserInfo u = Person("u");
  const char* g = "coordination.k8s.io";
  CHECK(f.Can(u, Res("get", g, "leases", "ns1", "lb-controller")));
  CHECK(f.Can(u, Res("update", g, "leases", "ns1", "lb-controller")));
  CHECK_FALSE(f.Can(u, Res("update", g, "leases", "ns1", "other")));
  // A list or a create names nothing, so named rules do not cover it.
  CHECK_FALSE(f.Can(u, Res("list", g, "leases", "ns1")));
  CHECK_FALSE(f.Can(u, Res("get", g, "leases", "ns1")));
  CHECK(f.Can(u, Res("create", g, "leases", "ns1")));
}

TEST_CASE("subresources: exact, */sub and * match; the parent does not") {
  Fixture f;
  f.ClusterRole("status-only",
                json::array({RuleOf({"patch"}, {""}, {"services/status"})}));
  f.ClusterRole("any-status",
                json::array({RuleOf({"update"}, {"*"}, {"*/status"})}));
  f.ClusterRole("everything", json::array({RuleOf({"get"}, {""}, {"*"})}));
  f.ClusterRole("parent", json::array({RuleOf({"create"}, {""}, {"pods"})}));
  f.ClusterRoleBinding("a", "status-only", json::array({User("a")}));
  f.ClusterRoleBinding("b", "any-status", json::array({User("b")}));
  f.ClusterRoleBinding("c", "everything", json::array({User("c")}));
  f.ClusterRoleBinding("d", "parent", json::array({User("d")}));

  CHECK(f.Can(Person("a"),
              Res("patch", "", "services", "default", "web", "status")));
  CHECK_FALSE(
      f.Can(Person("a"), Res("patch", "", "services", "default", "web")));

  CHECK(f.Can(Person("b"),
              Res("update", "apps", "deployments", "ns1", "d", "status")));
  CHECK_FALSE(f.Can(Person("b"),
                    Res("update", "apps", "deployments", "ns1", "d", "scale")));
  CHECK_FALSE(
      f.Can(Person("b"), Res("update", "apps", "deployments", "ns1", "d")));
  // "*/status" is not a prefix pattern: "*/xstatus" would not match it.
  CHECK_FALSE(
      f.Can(Person("b"), Res("update", "", "pods", "ns1", "p", "xstatus")));

  CHECK(f.Can(Person("c"), Res("get", "", "pods", "ns1", "p", "log")));
  CHECK(f.Can(Person("c"), Res("get", "", "secrets", "ns1", "s")));

  CHECK_FALSE(
      f.Can(Person("d"), Res("create", "", "pods", "ns1", "p", "eviction")));
  CHECK(f.Can(Person("d"), Res("create", "", "pods", "ns1")));
}

TEST_CASE("wildcard verbs and API groups") {
  Fixture f;
  f.ClusterRole("all-apps",
                json::array({RuleOf({"*"}, {"apps"}, {"deployments"})}));
  f.ClusterRole("get-any-group",
                json::array({RuleOf({"get"}, {"*"}, {"widgets"})}));
  f.ClusterRoleBinding("a", "all-apps", json::array({User("a")}));
  f.ClusterRoleBinding("b", "get-any-group", json::array({User("b")}));
  CHECK(f.Can(Person("a"),
              Res("deletecollection", "apps", "deployments", "ns1")));
  CHECK(f.Can(Person("a"), Res("escalate", "apps", "deployments", "ns1")));
  CHECK_FALSE(
      f.Can(Person("a"), Res("get", "extensions", "deployments", "ns1")));
  CHECK(f.Can(Person("b"), Res("get", "example.com", "widgets", "ns1", "w")));
  CHECK(f.Can(Person("b"), Res("get", "", "widgets", "", "w")));
  CHECK_FALSE(f.Can(Person("b"), Res("list", "example.com", "widgets", "ns1")));
}

TEST_CASE("ServiceAccount subjects") {
  Fixture f;
  f.ClusterRole("cm-reader",
                json::array({RuleOf({"get"}, {""}, {"configmaps"})}));
  // No namespace in a RoleBinding: the binding's own.
  f.RoleBinding("ns1", "local", "ClusterRole", "cm-reader",
                json::array({Sa("app")}));
  // An explicit one may name another namespace's account.
  f.RoleBinding("ns2", "cross", "ClusterRole", "cm-reader",
                json::array({Sa("app", "ns1")}));
  // A ClusterRoleBinding's ServiceAccount without a namespace matches none.
  f.ClusterRoleBinding("no-ns", "cm-reader", json::array({Sa("orphan")}));

  UserInfo app = ServiceAccountUser("ns1", "app", "uid-1");
  CHECK(app.name == "system:serviceaccount:ns1:app");
  CHECK(f.Can(app, Res("get", "", "configmaps", "ns1", "x")));
  CHECK(f.Can(app, Res("get", "", "configmaps", "ns2", "x")));
  Decision d = Decide(f.store, app, Res("get", "", "configmaps", "ns2", "x"));
  CHECK(d.reason ==
        "RBAC: allowed by RoleBinding \"cross/ns2\" of ClusterRole "
        "\"cm-reader\" to ServiceAccount \"app/ns1\"");
  d = Decide(f.store, app, Res("get", "", "configmaps", "ns1", "x"));
  CHECK(d.reason ==
        "RBAC: allowed by RoleBinding \"local/ns1\" of ClusterRole "
        "\"cm-reader\" to ServiceAccount \"app/ns1\"");

  // The same account name in ns2 is another account.
  CHECK_FALSE(f.Can(ServiceAccountUser("ns2", "app", "uid-2"),
                    Res("get", "", "configmaps", "ns2", "x")));
  for (const char* ns : {"ns1", "ns2", "kube-system", ""}) {
    CHECK_FALSE(f.Can(ServiceAccountUser(ns, "orphan", "u"),
                      Res("get", "", "configmaps", ns, "x")));
  }
  // A user whose name only looks like an account's is that account to RBAC,
  // as in kube-apiserver: names are what authenticators vouch for.
  CHECK(f.Can(Person("system:serviceaccount:ns1:app"),
              Res("get", "", "configmaps", "ns1", "x")));
}

TEST_CASE("Group subjects") {
  Fixture f;
  f.ClusterRole("lister", json::array({RuleOf({"list"}, {""}, {"pods"})}));
  f.ClusterRoleBinding("all-sas", "lister",
                       json::array({Group("system:serviceaccounts:ns1")}));
  f.ClusterRoleBinding("team", "lister",
                       json::array({User("nobody"), Group("devs")}));
  CHECK(f.Can(ServiceAccountUser("ns1", "x", ""), Res("list", "", "pods", "")));
  CHECK_FALSE(
      f.Can(ServiceAccountUser("ns2", "x", ""), Res("list", "", "pods", "")));
  UserInfo dev = Person("alice", {"devs", kAllAuthenticated});
  CHECK(f.Can(dev, Res("list", "", "pods", "ns2")));
  Decision d = Decide(f.store, dev, Res("list", "", "pods", "ns2"));
  CHECK(d.reason ==
        "RBAC: allowed by ClusterRoleBinding \"team\" of ClusterRole "
        "\"lister\" to Group \"devs\"");
  CHECK_FALSE(f.Can(Person("bob"), Res("list", "", "pods", "ns2")));
}

TEST_CASE("an aggregated ClusterRole holds the rules of the roles it selects") {
  Fixture f;
  f.ClusterRole("monitoring", json::array({RuleOf({"get"}, {""}, {"ignored"})}),
                json::object(),
                {{"clusterRoleSelectors",
                  json::array({{{"matchLabels", {{"agg", "mon"}}}}})}});
  f.ClusterRole("pods-part", json::array({RuleOf({"list"}, {""}, {"pods"})}),
                {{"agg", "mon"}});
  f.ClusterRole("svc-part", json::array({RuleOf({"list"}, {""}, {"services"})}),
                {{"agg", "mon"}});
  f.ClusterRole("unlabelled",
                json::array({RuleOf({"list"}, {""}, {"secrets"})}));
  f.RoleBinding("ns1", "rb", "ClusterRole", "monitoring",
                json::array({User("u")}));
  UserInfo u = Person("u");
  CHECK(f.Can(u, Res("list", "", "pods", "ns1")));
  CHECK(f.Can(u, Res("list", "", "services", "ns1")));
  CHECK_FALSE(f.Can(u, Res("list", "", "secrets", "ns1")));
  // The aggregation controller replaces the role's own rules.
  CHECK_FALSE(f.Can(u, Res("get", "", "ignored", "ns1", "x")));
  CHECK_FALSE(f.Can(u, Res("list", "", "pods", "ns2")));

  // A role labelled later joins at once.
  f.ClusterRole("cm-part",
                json::array({RuleOf({"list"}, {""}, {"configmaps"})}),
                {{"agg", "mon"}});
  CHECK(f.Can(u, Res("list", "", "configmaps", "ns1")));
}

TEST_CASE("aggregation follows aggregated roles and matchExpressions") {
  Fixture f;
  f.ClusterRole(
      "top", json::array(), json::object(),
      {{"clusterRoleSelectors",
        json::array({{{"matchExpressions",
                       json::array({{{"key", "tier"},
                                     {"operator", "In"},
                                     {"values", {"mid", "other"}}}})}}})}});
  f.ClusterRole("middle", json::array(), {{"tier", "mid"}},
                {{"clusterRoleSelectors",
                  json::array({{{"matchLabels", {{"tier", "leaf"}}}}})}});
  f.ClusterRole("leaf", json::array({RuleOf({"get"}, {""}, {"endpoints"})}),
                {{"tier", "leaf"}});
  // A cycle back to the top ends instead of recursing for ever.
  f.ClusterRole(
      "loop", json::array(), {{"tier", "leaf"}},
      {{"clusterRoleSelectors",
        json::array(
            {{{"matchExpressions",
               json::array({{{"key", "tier"}, {"operator", "Exists"}}})}}})}});
  f.ClusterRoleBinding("crb", "top", json::array({User("u")}));
  CHECK(f.Can(Person("u"), Res("get", "", "endpoints", "ns1", "e")));
  CHECK_FALSE(f.Can(Person("u"), Res("list", "", "endpoints", "ns1")));
}

TEST_CASE("non-resource URLs: exact, prefix with *, and *") {
  Fixture f;
  f.ClusterRole(
      "urls",
      json::array({UrlRuleOf({"get"}, {"/healthz", "/logs/*", "/metrics"})}));
  f.ClusterRole("all-urls", json::array({UrlRuleOf({"*"}, {"*"})}));
  f.ClusterRoleBinding("a", "urls", json::array({User("a")}));
  f.ClusterRoleBinding("b", "all-urls", json::array({User("b")}));
  UserInfo a = Person("a");
  CHECK(f.Can(a, Path("get", "/healthz")));
  CHECK_FALSE(f.Can(a, Path("get", "/healthz/etcd")));
  CHECK(f.Can(a, Path("get", "/logs/")));
  CHECK(f.Can(a, Path("get", "/logs/kube-apiserver.log")));
  CHECK_FALSE(f.Can(a, Path("get", "/logs")));
  CHECK_FALSE(f.Can(a, Path("post", "/metrics")));
  CHECK(f.Can(Person("b"), Path("post", "/anything/at/all")));
  // Non-resource rules grant nothing on resources, nor the reverse.
  CHECK_FALSE(f.Can(Person("b"), Res("get", "", "pods", "ns1")));

  // A RoleBinding cannot grant non-resource URLs.
  f.RoleBinding("ns1", "rb", "ClusterRole", "all-urls",
                json::array({User("c")}));
  CHECK_FALSE(f.Can(Person("c"), Path("get", "/healthz")));
}

TEST_CASE("system:masters is allowed everything, without any binding") {
  Fixture f;
  UserInfo admin =
      Person("kubernetes-admin", {kSystemPrivilegedGroup, kAllAuthenticated});
  Decision d = Decide(f.store, admin, Res("delete", "", "nodes", "", "n1"));
  CHECK(d.allowed);
  CHECK(d.reason == "");
  CHECK(f.Can(admin, Path("get", "/metrics")));
  CHECK(f.Can(admin, Res("impersonate", "", "users", "", "bob")));
}

TEST_CASE("bindings to missing roles are the denial's reason") {
  Fixture f;
  f.ClusterRoleBinding("gone", "missing", json::array({User("u")}));
  f.RoleBinding("ns1", "gone-role", "Role", "missing-role",
                json::array({User("u")}));
  f.ClusterRoleBinding("gone-too", "missing", json::array({User("u")}));
  Decision d = Decide(f.store, Person("u"), Res("get", "", "pods", "ns1", "p"));
  CHECK_FALSE(d.allowed);
  CHECK(d.reason ==
        "RBAC: [clusterrole.rbac.authorization.k8s.io \"missing\" not found, "
        "role.rbac.authorization.k8s.io \"missing-role\" not found]");
  ApiResult r =
      Forbidden(Person("u"), Res("get", "", "pods", "ns1", "p"), d.reason);
  CHECK(r.body["message"] ==
        "pods \"p\" is forbidden: User \"u\" cannot get resource \"pods\" in "
        "API group \"\" in the namespace \"ns1\": RBAC: "
        "[clusterrole.rbac.authorization.k8s.io \"missing\" not found, "
        "role.rbac.authorization.k8s.io \"missing-role\" not found]");
  // A binding that does not apply to the user is not resolved.
  CHECK(
      Decide(f.store, Person("v"), Res("get", "", "pods", "ns1", "p")).reason ==
      "");
}

TEST_CASE("Forbidden in kube-apiserver's words") {
  ApiResult r = Forbidden(ServiceAccountUser("ns", "sa", ""),
                          Res("get", "", "configmaps", "ns", "x"));
  CHECK(r.code == 403);
  CHECK(r.body["kind"] == "Status");
  CHECK(r.body["status"] == "Failure");
  CHECK(r.body["reason"] == "Forbidden");
  CHECK(r.body["code"] == 403);
  CHECK(r.body["message"] ==
        "configmaps \"x\" is forbidden: User \"system:serviceaccount:ns:sa\" "
        "cannot get resource \"configmaps\" in API group \"\" in the "
        "namespace \"ns\"");
  CHECK(r.body["details"] == json{{"name", "x"}, {"kind", "configmaps"}});

  r = Forbidden(Person("u"), Res("list", "", "services", ""));
  CHECK(r.body["message"] ==
        "services is forbidden: User \"u\" cannot list resource \"services\" "
        "in API group \"\" at the cluster scope");
  CHECK(r.body["details"] == json{{"kind", "services"}});

  r = Forbidden(Person("u"),
                Res("update", "coordination.k8s.io", "leases", "ns", "l"));
  CHECK(r.body["message"] ==
        "leases.coordination.k8s.io \"l\" is forbidden: User \"u\" cannot "
        "update resource \"leases\" in API group \"coordination.k8s.io\" in "
        "the namespace \"ns\"");
  CHECK(r.body["details"] == json{{"name", "l"},
                                  {"group", "coordination.k8s.io"},
                                  {"kind", "leases"}});

  r = Forbidden(Person("u"),
                Res("patch", "", "services", "default", "web", "status"));
  CHECK(r.body["message"] ==
        "services \"web\" is forbidden: User \"u\" cannot patch resource "
        "\"services/status\" in API group \"\" in the namespace \"default\"");
  CHECK(r.body["details"] == json{{"name", "web"}, {"kind", "services"}});

  r = Forbidden(Person("u"), Path("get", "/metrics"));
  CHECK(r.body["message"] ==
        "forbidden: User \"u\" cannot get path \"/metrics\"");
  CHECK(r.body["details"] == json::object());

  r = Forbidden(AnonymousUser(), Path("get", "/api"));
  CHECK(r.body["message"] ==
        "forbidden: User \"system:anonymous\" cannot get path \"/api\"");

  r = Forbidden(Person("u"),
                Res("create", "", "serviceaccounts", "ns", "sa", "token"));
  CHECK(r.body["message"] ==
        "serviceaccounts \"sa\" is forbidden: User \"u\" cannot create "
        "resource \"serviceaccounts/token\" in API group \"\" in the "
        "namespace \"ns\"");

  // Nothing in the message reads as HTML; quotes are Go's %q.
  r = Forbidden(Person("<b>&\"q\""), Path("get", "/x<y>"));
  CHECK(r.body["message"] ==
        "forbidden: User \"&lt;b&gt;&amp;\\\"q\\\"\" cannot get path "
        "\"/x&lt;y&gt;\"");
}

const json* FindObject(const std::vector<json>& objects,
                       const std::string& kind, const std::string& name) {
  for (const json& o : objects) {
    if (o["kind"] == kind && o["metadata"]["name"] == name) return &o;
  }
  return nullptr;
}

TEST_CASE("the bootstrap policy as a new cluster holds it") {
  std::vector<json> objects = BootstrapRbacObjects();
  for (const json& o : objects) {
    CHECK(o["apiVersion"] == kVersion);
    CHECK(o["metadata"]["labels"]["kubernetes.io/bootstrapping"] ==
          "rbac-defaults");
    CHECK(o["metadata"]["annotations"]
           ["rbac.authorization.kubernetes.io/autoupdate"] == "true");
  }
  const json* admin = FindObject(objects, "ClusterRole", "cluster-admin");
  REQUIRE(admin != nullptr);
  CHECK((*admin)["rules"] ==
        json::array(
            {{{"verbs", {"*"}}, {"apiGroups", {"*"}}, {"resources", {"*"}}},
             {{"verbs", {"*"}}, {"nonResourceURLs", {"*"}}}}));
  const json* discovery =
      FindObject(objects, "ClusterRole", "system:discovery");
  REQUIRE(discovery != nullptr);
  CHECK((*discovery)["rules"][0]["nonResourceURLs"] ==
        json({"/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez",
              "/openapi", "/openapi/*", "/readyz", "/version", "/version/"}));
  const json* binding =
      FindObject(objects, "ClusterRoleBinding", "system:public-info-viewer");
  REQUIRE(binding != nullptr);
  CHECK((*binding)["subjects"] ==
        json::array({{{"kind", "Group"},
                      {"apiGroup", kGroup},
                      {"name", "system:authenticated"}},
                     {{"kind", "Group"},
                      {"apiGroup", kGroup},
                      {"name", "system:unauthenticated"}}}));
  CHECK((*binding)["roleRef"] == json{{"apiGroup", kGroup},
                                      {"kind", "ClusterRole"},
                                      {"name", "system:public-info-viewer"}});
  // The aggregated roles carry the rules the controller writes into them.
  const json* view = FindObject(objects, "ClusterRole", "view");
  const json* to_view =
      FindObject(objects, "ClusterRole", "system:aggregate-to-view");
  REQUIRE(view != nullptr);
  REQUIRE(to_view != nullptr);
  CHECK((*view)["rules"] == (*to_view)["rules"]);
  CHECK((*view)["metadata"]["labels"]
               ["rbac.authorization.k8s.io/aggregate-to-edit"] == "true");
  const json* edit = FindObject(objects, "ClusterRole", "edit");
  REQUIRE(edit != nullptr);
  CHECK((*edit)["rules"].size() ==
        FindObject(objects, "ClusterRole", "system:aggregate-to-edit")
                ->at("rules")
                .size() +
            (*to_view)["rules"].size());
}

struct BootstrappedFixture : Fixture {
  BootstrappedFixture() {
    for (const json& o : BootstrapRbacObjects()) {
      Create(
          kGroup,
          o["kind"] == "ClusterRole" ? "clusterroles" : "clusterrolebindings",
          "", o);
    }
  }
};

TEST_CASE("what the bootstrap policy grants") {
  BootstrappedFixture f;
  UserInfo u = Person("u");
  UserInfo anon = AnonymousUser();
  CHECK(f.Can(u, Path("get", "/api")));
  CHECK(f.Can(u, Path("get", "/apis/apps/v1")));
  CHECK(f.Can(u, Path("get", "/openapi/v3")));
  CHECK(f.Can(u, Path("get", "/version")));
  CHECK_FALSE(f.Can(u, Path("get", "/metrics")));
  CHECK_FALSE(f.Can(u, Path("post", "/api")));
  CHECK(f.Can(anon, Path("get", "/healthz")));
  CHECK(f.Can(anon, Path("get", "/version/")));
  CHECK_FALSE(f.Can(anon, Path("get", "/api")));
  CHECK(f.Can(u, Res("create", "authorization.k8s.io",
                     "selfsubjectaccessreviews", "")));
  CHECK(f.Can(
      u, Res("create", "authentication.k8s.io", "selfsubjectreviews", "")));
  CHECK_FALSE(f.Can(anon, Res("create", "authorization.k8s.io",
                              "selfsubjectaccessreviews", "")));
  CHECK_FALSE(f.Can(u, Res("list", "", "pods", "ns1")));
  Decision d = Decide(f.store, u, Path("get", "/api"));
  CHECK(d.reason ==
        "RBAC: allowed by ClusterRoleBinding \"system:discovery\" of "
        "ClusterRole \"system:discovery\" to Group \"system:authenticated\"");

  // view, edit and admin through a RoleBinding, as `kubectl create
  // rolebinding --clusterrole=view` makes.
  f.RoleBinding("ns1", "viewers", "ClusterRole", "view",
                json::array({User("viewer")}));
  f.RoleBinding("ns1", "editors", "ClusterRole", "edit",
                json::array({User("editor")}));
  f.RoleBinding("ns1", "admins", "ClusterRole", "admin",
                json::array({User("admin")}));
  UserInfo viewer = Person("viewer");
  CHECK(f.Can(viewer, Res("list", "", "configmaps", "ns1")));
  CHECK(f.Can(viewer, Res("get", "apps", "deployments", "ns1", "d")));
  CHECK(f.Can(viewer, Res("get", "", "services", "ns1", "s", "status")));
  CHECK_FALSE(f.Can(viewer, Res("get", "", "secrets", "ns1", "s")));
  CHECK_FALSE(f.Can(viewer, Res("update", "", "configmaps", "ns1", "c")));
  CHECK_FALSE(f.Can(viewer, Res("list", "", "configmaps", "ns2")));
  UserInfo editor = Person("editor");
  CHECK(f.Can(editor, Res("update", "", "configmaps", "ns1", "c")));
  CHECK(f.Can(editor, Res("get", "", "secrets", "ns1", "s")));
  CHECK(f.Can(editor, Res("list", "", "configmaps", "ns1")));
  CHECK(f.Can(editor, Res("create", "", "serviceaccounts", "ns1", "", "")));
  CHECK_FALSE(f.Can(editor, Res("create", "rbac.authorization.k8s.io",
                                "rolebindings", "ns1")));
  CHECK_FALSE(
      f.Can(editor, Res("patch", "", "services", "ns1", "s", "status")));
  UserInfo admin = Person("admin");
  CHECK(f.Can(admin, Res("create", "rbac.authorization.k8s.io", "rolebindings",
                         "ns1")));
  CHECK(f.Can(admin, Res("delete", "apps", "deployments", "ns1", "d")));
  CHECK(f.Can(admin, Res("watch", "", "pods", "ns1")));
  CHECK_FALSE(f.Can(admin, Res("list", "", "nodes", "")));
}

TEST_CASE("SelfSubjectAccessReview") {
  BootstrappedFixture f;
  f.Role("ns1", "reader", json::array({RuleOf({"get"}, {""}, {"pods"})}));
  f.RoleBinding("ns1", "rb", "Role", "reader", json::array({User("u")}));
  UserInfo u = Person("u");
  json review = {{"apiVersion", "authorization.k8s.io/v1"},
                 {"kind", "SelfSubjectAccessReview"},
                 {"metadata", {{"creationTimestamp", nullptr}}},
                 {"spec",
                  {{"resourceAttributes",
                    {{"namespace", "ns1"},
                     {"verb", "get"},
                     {"resource", "pods"},
                     {"name", "p"}}}}}};
  ApiResult r = ReviewAccess(f.store, u, review);
  CHECK(r.code == 201);
  CHECK(r.body["kind"] == "SelfSubjectAccessReview");
  CHECK(r.body["apiVersion"] == "authorization.k8s.io/v1");
  CHECK(r.body["spec"] == review["spec"]);
  CHECK(r.body["status"] ==
        json{{"allowed", true},
             {"reason",
              "RBAC: allowed by RoleBinding \"rb/ns1\" of Role \"reader\" to "
              "User \"u\""}});

  review["spec"]["resourceAttributes"]["verb"] = "delete";
  r = ReviewAccess(f.store, u, review);
  CHECK(r.code == 201);
  CHECK(r.body["status"] == json{{"allowed", false}});

  review["spec"] = {
      {"nonResourceAttributes", {{"path", "/apis"}, {"verb", "get"}}}};
  r = ReviewAccess(f.store, u, review);
  CHECK(r.body["status"]["allowed"] == true);
  r = ReviewAccess(f.store, AnonymousUser(), review);
  CHECK(r.body["status"] == json{{"allowed", false}});

  r = ReviewAccess(f.store, u, {{"spec", json::object()}});
  CHECK(r.code == 422);
  CHECK(r.body["reason"] == "Invalid");
  CHECK(r.body["message"] ==
        "SelfSubjectAccessReview.authorization.k8s.io \"\" is invalid: "
        "spec.resourceAttributes: Required value: exactly one of "
        "nonResourceAttributes or resourceAttributes must be specified");
  CHECK(r.body["details"]["causes"][0]["field"] == "spec.resourceAttributes");

  r = ReviewAccess(
      f.store, u,
      {{"spec",
        {{"resourceAttributes", {{"verb", "get"}}},
         {"nonResourceAttributes", {{"path", "/x"}, {"verb", "get"}}}}}});
  CHECK(r.code == 422);
  CHECK(r.body["message"] ==
        "SelfSubjectAccessReview.authorization.k8s.io \"\" is invalid: "
        "spec.nonResourceAttributes: Invalid value: "
        "authorization.NonResourceAttributes{Path:\"/x\", Verb:\"get\"}: "
        "cannot be specified in combination with resourceAttributes");

  CHECK(ReviewAccess(f.store, u, json("x")).code == 400);
}

TEST_CASE("SelfSubjectReview") {
  UserInfo sa = ServiceAccountUser("ns1", "app", "uid-1");
  sa.extra = {{kCredentialIdKey, {"JTI=abc"}}};
  json r = ReviewSelf(sa, {{"apiVersion", "authentication.k8s.io/v1"},
                           {"kind", "SelfSubjectReview"}});
  CHECK(r["apiVersion"] == "authentication.k8s.io/v1");
  CHECK(r["kind"] == "SelfSubjectReview");
  CHECK(r["metadata"]["creationTimestamp"].is_null());
  CHECK(r["status"]["userInfo"] ==
        json{{"username", "system:serviceaccount:ns1:app"},
             {"uid", "uid-1"},
             {"groups",
              {"system:serviceaccounts", "system:serviceaccounts:ns1",
               "system:authenticated"}},
             {"extra",
              {{"authentication.kubernetes.io/credential-id", {"JTI=abc"}}}}});
  r = ReviewSelf(AnonymousUser(), json::object(), kNow);
  CHECK(r["apiVersion"] == "authentication.k8s.io/v1");
  CHECK(r["metadata"]["creationTimestamp"] == "2027-01-15T08:00:00Z");
  CHECK(r["status"]["userInfo"] ==
        json{{"username", "system:anonymous"},
             {"groups", {"system:unauthenticated"}}});
}

}  // namespace
}  // namespace lb::k8s::testing
