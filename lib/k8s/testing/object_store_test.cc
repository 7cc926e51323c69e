// ObjectStore writes with WriteOptions::dry_run (the response of the real
// write, and no change to objects, resourceVersion or watch history) and the
// namespace lifecycle (Terminating on delete, creates refused, contents and
// then the namespace removed by Collect()) and garbage collection by
// ownerReferences for each propagationPolicy.

#include "lib/k8s/testing/object_store.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"

namespace lb::k8s::testing {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1800000000);
const WriteOptions kDryRun{/*dry_run=*/true};

json ConfigMap(const std::string& name, json data) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}}},
          {"data", std::move(data)}};
}

// `obj` with `owner` added to its ownerReferences.
json OwnedBy(json obj, const json& owner, bool block_owner_deletion = false) {
  json ref = {{"apiVersion", owner["apiVersion"]},
              {"kind", owner["kind"]},
              {"name", owner["metadata"]["name"]},
              {"uid", owner["metadata"]["uid"]}};
  if (block_owner_deletion) ref["blockOwnerDeletion"] = true;
  obj["metadata"]["ownerReferences"].push_back(ref);
  return obj;
}

json Policy(const std::string& policy) {
  return {{"propagationPolicy", policy}};
}

json Namespace(const std::string& name) {
  return {{"apiVersion", "v1"},
          {"kind", "Namespace"},
          {"metadata", {{"name", name}}}};
}

struct Fixture {
  ObjectStore store{ObjectStoreOptions{}, kNow};
  const ResourceType& configmaps = *store.FindType("", "v1", "configmaps");
  const ResourceType& namespaces = *store.FindType("", "v1", "namespaces");
  const ResourceType& services = *store.FindType("", "v1", "services");

  // Creates `obj` as a ConfigMap in default; returns it as stored.
  json Make(json obj) {
    ApiResult r = store.Create(configmaps, "default", std::move(obj), kNow);
    REQUIRE(r.code == 201);
    return r.body;
  }
  json Make(const char* name) { return Make(ConfigMap(name, {})); }
  ObjectRef Find(const std::string& name) {
    return store.Get(configmaps, "default", name);
  }
  // The uids an object's ownerReferences name, in order.
  std::vector<std::string> Owners(const std::string& name) {
    ObjectRef o = Find(name);
    REQUIRE(o != nullptr);
    std::vector<std::string> uids;
    for (const json& ref :
         (*o)["metadata"].value("ownerReferences", json::array())) {
      uids.push_back(ref["uid"]);
    }
    return uids;
  }
  // Runs Collect() until it changes nothing; the number of passes that did.
  int CollectAll() {
    int passes = 0;
    while (store.Collect(kNow)) ++passes;
    return passes;
  }

  // Every change after `from`, of any of the three types.
  size_t ChangesSince(int64_t from) {
    size_t n = 0;
    for (const ResourceType* t : {&configmaps, &namespaces, &services}) {
      int64_t pos = from;
      std::vector<StoredEvent> events;
      REQUIRE(store.ReadHistory(*t, Selection{}, &pos, 1000, &events).ok());
      n += events.size();
    }
    return n;
  }
  // The changes to `t` after `from`, as "TYPE name, TYPE name".
  std::string EventsSince(const ResourceType& t, int64_t from) {
    int64_t pos = from;
    std::vector<StoredEvent> events;
    REQUIRE(store.ReadHistory(t, Selection{}, &pos, 1000, &events).ok());
    std::vector<std::string> out;
    for (const StoredEvent& e : events) {
      out.push_back(e.type + " " +
                    (*e.object)["metadata"]["name"].get<std::string>());
    }
    return absl::StrJoin(out, ", ");
  }
};

TEST_CASE("a dry-run create answers as a create would and stores nothing") {
  Fixture f;
  const int64_t rv = f.store.resource_version();
  ApiResult r = f.store.Create(f.configmaps, "default",
                               ConfigMap("a", {{"k", "v"}}), kNow, kDryRun);
  CHECK(r.code == 201);
  CHECK(r.body["metadata"]["name"] == "a");
  CHECK(r.body["metadata"]["namespace"] == "default");
  CHECK(r.body["metadata"].contains("uid"));
  CHECK(r.body["metadata"].contains("creationTimestamp"));
  CHECK_FALSE(r.body["metadata"].contains("resourceVersion"));
  CHECK(f.store.Get(f.configmaps, "default", "a") == nullptr);
  CHECK(f.store.resource_version() == rv);
  CHECK(f.ChangesSince(rv) == 0);

  // Every check still runs: a missing namespace, a name clash.
  CHECK(
      f.store.Create(f.configmaps, "nowhere", ConfigMap("a", {}), kNow, kDryRun)
          .code == 404);
  REQUIRE(
      f.store.Create(f.configmaps, "default", ConfigMap("a", {}), kNow).code ==
      201);
  CHECK(
      f.store.Create(f.configmaps, "default", ConfigMap("a", {}), kNow, kDryRun)
          .code == 409);
  // An apply patch of an absent object is a create, dry too.
  const int64_t rv2 = f.store.resource_version();
  WriteOptions dry_apply = kDryRun;
  dry_apply.field_manager = "tester";
  CHECK(f.store
            .Patch(f.configmaps, "default", "b", false, PatchType::kApply,
                   ConfigMap("b", {}), kNow, dry_apply)
            .code == 201);
  CHECK(f.store.Get(f.configmaps, "default", "b") == nullptr);
  CHECK(f.store.resource_version() == rv2);
}

TEST_CASE("dry-run updates and patches return the result, keep the object") {
  Fixture f;
  ApiResult created = f.store.Create(f.configmaps, "default",
                                     ConfigMap("a", {{"k", "1"}}), kNow);
  REQUIRE(created.code == 201);
  const std::string stored_rv = created.body["metadata"]["resourceVersion"];
  const int64_t rv = f.store.resource_version();

  json changed = created.body;
  changed["data"]["k"] = "2";
  ApiResult put = f.store.Update(f.configmaps, "default", "a", false, changed,
                                 kNow, kDryRun);
  CHECK(put.code == 200);
  CHECK(put.body["data"]["k"] == "2");
  CHECK(put.body["metadata"]["resourceVersion"] == stored_rv);

  for (PatchType type : {PatchType::kMerge, PatchType::kStrategicMerge}) {
    ApiResult patched = f.store.Patch(f.configmaps, "default", "a", false, type,
                                      {{"data", {{"k", "3"}}}}, kNow, kDryRun);
    CHECK(patched.code == 200);
    CHECK(patched.body["data"]["k"] == "3");
  }
  ApiResult json_patch = f.store.Patch(
      f.configmaps, "default", "a", false, PatchType::kJson,
      json::array({{{"op", "replace"}, {"path", "/data/k"}, {"value", "4"}}}),
      kNow, kDryRun);
  CHECK(json_patch.code == 200);
  CHECK(json_patch.body["data"]["k"] == "4");

  // A stale resourceVersion is still a conflict.
  changed["metadata"]["resourceVersion"] = "1";
  CHECK(f.store
            .Update(f.configmaps, "default", "a", false, changed, kNow, kDryRun)
            .code == 409);

  CHECK((*f.store.Get(f.configmaps, "default", "a"))["data"]["k"] == "1");
  CHECK(f.store.resource_version() == rv);
  CHECK(f.ChangesSince(rv) == 0);
}

TEST_CASE("a dry-run delete leaves the object, its finalizers and namespace") {
  Fixture f;
  REQUIRE(f.store
              .Create(f.namespaces, "",
                      {{"apiVersion", "v1"},
                       {"kind", "Namespace"},
                       {"metadata", {{"name", "apps"}}}},
                      kNow)
              .code == 201);
  REQUIRE(
      f.store.Create(f.configmaps, "apps", ConfigMap("plain", {}), kNow).code ==
      201);
  json held = ConfigMap("held", {});
  held["metadata"]["finalizers"] = {"example.com/keep"};
  REQUIRE(f.store.Create(f.configmaps, "apps", held, kNow).code == 201);
  const int64_t rv = f.store.resource_version();

  ApiResult plain =
      f.store.Delete(f.configmaps, "apps", "plain", json(), kNow, kDryRun);
  CHECK(plain.code == 200);
  CHECK(plain.body["metadata"]["name"] == "plain");
  // With finalizers, the answer is the object as deletion would mark it.
  ApiResult marked =
      f.store.Delete(f.configmaps, "apps", "held", json(), kNow, kDryRun);
  CHECK(marked.code == 202);
  CHECK(marked.body["metadata"].contains("deletionTimestamp"));
  CHECK(f.store.Delete(f.namespaces, "", "apps", json(), kNow, kDryRun).code ==
        200);
  // Preconditions are still checked.
  CHECK(f.store
            .Delete(f.configmaps, "apps", "plain",
                    {{"preconditions", {{"uid", "not-its-uid"}}}}, kNow,
                    kDryRun)
            .code == 409);

  CHECK(f.store.Get(f.namespaces, "", "apps") != nullptr);
  CHECK(f.store.Get(f.configmaps, "apps", "plain") != nullptr);
  auto still = f.store.Get(f.configmaps, "apps", "held");
  REQUIRE(still != nullptr);
  CHECK_FALSE((*still)["metadata"].contains("deletionTimestamp"));
  CHECK(f.store.resource_version() == rv);
  CHECK(f.ChangesSince(rv) == 0);
}

TEST_CASE("a new namespace is Active with the kubernetes finalizer, kept") {
  Fixture f;
  json ns = Namespace("apps");
  ns["spec"]["finalizers"] = {"example.com/audit"};
  ns["status"]["phase"] = "Terminating";
  ApiResult r = f.store.Create(f.namespaces, "", ns, kNow);
  REQUIRE(r.code == 201);
  CHECK(r.body["spec"]["finalizers"] ==
        json({"example.com/audit", "kubernetes"}));
  CHECK(r.body["status"] == json({{"phase", "Active"}}));
  // Only the namespace controller removes them.
  json changed = r.body;
  changed["spec"]["finalizers"] = json::array();
  changed["metadata"]["labels"]["team"] = "a";
  r = f.store.Update(f.namespaces, "", "apps", false, changed, kNow);
  REQUIRE(r.code == 200);
  CHECK(r.body["metadata"]["labels"]["team"] == "a");
  CHECK(r.body["spec"]["finalizers"] ==
        json({"example.com/audit", "kubernetes"}));
}

TEST_CASE("a deleted namespace is Terminating until Collect empties it") {
  Fixture f;
  REQUIRE(f.store.Create(f.namespaces, "", Namespace("apps"), kNow).code ==
          201);
  REQUIRE(
      f.store.Create(f.configmaps, "apps", ConfigMap("plain", {}), kNow).code ==
      201);
  json held = ConfigMap("held", {});
  held["metadata"]["finalizers"] = {"example.com/keep"};
  REQUIRE(f.store.Create(f.configmaps, "apps", held, kNow).code == 201);
  REQUIRE(f.store.Create(f.configmaps, "default", ConfigMap("other", {}), kNow)
              .code == 201);
  const int64_t rv = f.store.resource_version();
  const absl::Time later = kNow + absl::Seconds(30);

  ApiResult r = f.store.Delete(f.namespaces, "", "apps", json(), later);
  CHECK(r.code == 200);
  CHECK(r.body["status"]["phase"] == "Terminating");
  CHECK(r.body["metadata"]["deletionTimestamp"] == "2027-01-15T08:00:30Z");
  CHECK(r.body["spec"]["finalizers"] == json({"kubernetes"}));
  CHECK(f.EventsSince(f.namespaces, rv) == "MODIFIED apps");
  // Nothing inside is deleted by the DELETE itself.
  CHECK(f.store.Get(f.configmaps, "apps", "plain") != nullptr);
  CHECK(f.EventsSince(f.configmaps, rv).empty());

  // Deleting it again answers with it, unchanged.
  const int64_t marked = f.store.resource_version();
  r = f.store.Delete(f.namespaces, "", "apps", json(), later);
  CHECK(r.code == 200);
  CHECK(r.body["status"]["phase"] == "Terminating");
  CHECK(f.store.resource_version() == marked);

  // New content is refused, with kube-apiserver's message and cause, dry
  // runs and apply patches too; what is there may still change.
  for (const WriteOptions& write : {WriteOptions{}, kDryRun}) {
    r = f.store.Create(f.configmaps, "apps", ConfigMap("new", {}), later,
                       write);
    CHECK(r.code == 403);
    CHECK(r.body["reason"] == "Forbidden");
    CHECK(r.body["message"] ==
          "configmaps \"new\" is forbidden: unable to create new content in "
          "namespace apps because it is being terminated");
    CHECK(r.body["details"] ==
          json({{"name", "new"},
                {"kind", "configmaps"},
                {"causes",
                 {{{"reason", "NamespaceTerminating"},
                   {"message", "namespace apps is being terminated"},
                   {"field", "metadata.namespace"}}}}}));
  }
  WriteOptions apply;
  apply.field_manager = "test";
  r = f.store.Patch(f.configmaps, "apps", "applied", false, PatchType::kApply,
                    ConfigMap("applied", {}), later, apply);
  CHECK(r.code == 403);
  CHECK(f.store
            .Patch(f.configmaps, "apps", "plain", false, PatchType::kMerge,
                   {{"data", {{"k", "v"}}}}, later)
            .code == 200);
  CHECK(f.store.Create(f.configmaps, "default", ConfigMap("new", {}), later)
            .code == 201);

  // One pass deletes what it can; the finalizer holds the rest, and the
  // namespace with it.
  const int64_t before_collect = f.store.resource_version();
  CHECK(f.store.Collect(later));
  CHECK(f.store.Get(f.configmaps, "apps", "plain") == nullptr);
  auto still = f.store.Get(f.configmaps, "apps", "held");
  REQUIRE(still != nullptr);
  CHECK((*still)["metadata"]["deletionTimestamp"] == "2027-01-15T08:00:30Z");
  CHECK(f.store.Get(f.namespaces, "", "apps") != nullptr);
  CHECK(f.store.Get(f.configmaps, "default", "other") != nullptr);
  CHECK(f.EventsSince(f.configmaps, before_collect) ==
        "MODIFIED held, DELETED plain");
  CHECK_FALSE(f.store.Collect(later));

  // Once the finalizer goes, so does the last object, and the next pass
  // finishes the namespace.
  REQUIRE(f.store
              .Patch(f.configmaps, "apps", "held", false, PatchType::kMerge,
                     {{"metadata", {{"finalizers", nullptr}}}}, later)
              .code == 200);
  CHECK(f.store.Get(f.configmaps, "apps", "held") == nullptr);
  const int64_t before_finish = f.store.resource_version();
  CHECK(f.store.Collect(later));
  CHECK(f.store.Get(f.namespaces, "", "apps") == nullptr);
  CHECK(f.EventsSince(f.namespaces, before_finish) == "DELETED apps");
  CHECK_FALSE(f.store.Collect(later));
  CHECK(
      f.store.Create(f.configmaps, "apps", ConfigMap("new", {}), later).code ==
      404);
}

TEST_CASE("an empty namespace goes in one pass; metadata finalizers hold it") {
  Fixture f;
  REQUIRE(f.store.Create(f.namespaces, "", Namespace("empty"), kNow).code ==
          201);
  json held = Namespace("held");
  held["metadata"]["finalizers"] = {"example.com/keep"};
  REQUIRE(f.store.Create(f.namespaces, "", held, kNow).code == 201);
  REQUIRE(f.store.Delete(f.namespaces, "", "empty", json(), kNow).code == 200);
  REQUIRE(f.store.Delete(f.namespaces, "", "held", json(), kNow).code == 200);
  CHECK(f.store.Collect(kNow));
  CHECK(f.store.Get(f.namespaces, "", "empty") == nullptr);
  auto ns = f.store.Get(f.namespaces, "", "held");
  REQUIRE(ns != nullptr);
  CHECK_FALSE((*ns)["spec"].contains("finalizers"));
  CHECK((*ns)["status"]["phase"] == "Terminating");
  CHECK(f.store.Delete(f.namespaces, "", "held", json(), kNow).code == 202);
  REQUIRE(f.store
              .Patch(f.namespaces, "", "held", false, PatchType::kMerge,
                     {{"metadata", {{"finalizers", nullptr}}}}, kNow)
              .code == 200);
  CHECK(f.store.Get(f.namespaces, "", "held") == nullptr);
}

TEST_CASE("default, kube-system and kube-public may not be deleted") {
  Fixture f;
  const int64_t rv = f.store.resource_version();
  for (const char* name : {"default", "kube-system", "kube-public"}) {
    for (const WriteOptions& write : {WriteOptions{}, kDryRun}) {
      ApiResult r = f.store.Delete(f.namespaces, "", name, json(), kNow, write);
      CHECK(r.code == 403);
      CHECK(r.body["reason"] == "Forbidden");
      CHECK(r.body["message"] ==
            absl::StrCat("namespaces \"", name,
                         "\" is forbidden: this namespace may not be deleted"));
      CHECK(r.body["details"] ==
            json({{"name", name}, {"kind", "namespaces"}}));
    }
  }
  CHECK(f.store.resource_version() == rv);
  CHECK(
      f.store.Delete(f.namespaces, "", "kube-node-lease", json(), kNow).code ==
      200);
}

TEST_CASE("a dry-run namespace delete answers Terminating, holds nothing") {
  Fixture f;
  REQUIRE(f.store.Create(f.namespaces, "", Namespace("apps"), kNow).code ==
          201);
  REQUIRE(f.store.Create(f.configmaps, "apps", ConfigMap("a", {}), kNow).code ==
          201);
  const int64_t rv = f.store.resource_version();
  ApiResult r = f.store.Delete(f.namespaces, "", "apps", json(), kNow, kDryRun);
  CHECK(r.code == 200);
  CHECK(r.body["status"]["phase"] == "Terminating");
  CHECK(r.body["metadata"].contains("deletionTimestamp"));
  CHECK_FALSE(f.store.Collect(kNow));
  auto ns = f.store.Get(f.namespaces, "", "apps");
  REQUIRE(ns != nullptr);
  CHECK((*ns)["status"]["phase"] == "Active");
  CHECK_FALSE((*ns)["metadata"].contains("deletionTimestamp"));
  CHECK(f.store.Get(f.configmaps, "apps", "a") != nullptr);
  CHECK(f.store.resource_version() == rv);
  CHECK(f.ChangesSince(rv) == 0);
  CHECK(f.store.Create(f.configmaps, "apps", ConfigMap("b", {}), kNow).code ==
        201);
}

TEST_CASE("Background: the owner goes at once, its dependents after") {
  Fixture f;
  const json owner = f.Make("owner");
  const json other = f.Make("other");
  const json child = f.Make(OwnedBy(ConfigMap("child", {}), owner));
  f.Make(OwnedBy(ConfigMap("grandchild", {}), child));
  f.Make(OwnedBy(OwnedBy(ConfigMap("shared", {}), owner), other));
  const json unrelated = f.Make("unrelated");

  ApiResult r = f.store.Delete(f.configmaps, "default", "owner",
                               Policy("Background"), kNow);
  CHECK(r.code == 200);
  CHECK(f.Find("owner") == nullptr);
  CHECK(f.Find("child") != nullptr);  // not in the DELETE itself

  CHECK(f.store.Collect(kNow));
  CHECK(f.Find("child") == nullptr);
  // An owner left keeps it; the reference to the gone one goes.
  CHECK(f.Owners("shared") ==
        std::vector<std::string>{other["metadata"]["uid"]});
  f.CollectAll();
  CHECK(f.Find("grandchild") == nullptr);
  CHECK(f.Find("shared") != nullptr);
  CHECK(f.Find("other") != nullptr);
  CHECK(f.Find("unrelated") != nullptr);

  // Background is the default, and what orphanDependents: false means.
  const json second = f.Make("second");
  f.Make(OwnedBy(ConfigMap("second-child", {}), second));
  const json third = f.Make("third");
  f.Make(OwnedBy(ConfigMap("third-child", {}), third));
  CHECK(f.store.Delete(f.configmaps, "default", "second", json(), kNow).code ==
        200);
  CHECK(f.store
            .Delete(f.configmaps, "default", "third",
                    {{"orphanDependents", false}}, kNow)
            .code == 200);
  f.CollectAll();
  CHECK(f.Find("second-child") == nullptr);
  CHECK(f.Find("third-child") == nullptr);
}

TEST_CASE("Orphan: dependents stay, without their reference to the owner") {
  Fixture f;
  const json owner = f.Make("owner");
  const json other = f.Make("other");
  f.Make(OwnedBy(ConfigMap("only", {}), owner));
  f.Make(OwnedBy(OwnedBy(ConfigMap("shared", {}), owner), other));

  ApiResult r =
      f.store.Delete(f.configmaps, "default", "owner", Policy("Orphan"), kNow);
  CHECK(r.code == 202);
  CHECK(r.body["metadata"]["finalizers"] == json({"orphan"}));
  CHECK(r.body["metadata"].contains("deletionTimestamp"));
  CHECK(f.Find("owner") != nullptr);

  const int64_t rv = f.store.resource_version();
  CHECK(f.store.Collect(kNow));
  CHECK(f.Find("owner") == nullptr);
  CHECK(f.Owners("only").empty());
  CHECK_FALSE((*f.Find("only"))["metadata"].contains("ownerReferences"));
  CHECK(f.Owners("shared") ==
        std::vector<std::string>{other["metadata"]["uid"]});
  CHECK(f.EventsSince(f.configmaps, rv) ==
        "MODIFIED only, MODIFIED shared, DELETED owner");
  CHECK_FALSE(f.store.Collect(kNow));

  // orphanDependents: true asks the same.
  f.Make("older");
  r = f.store.Delete(f.configmaps, "default", "older",
                     {{"orphanDependents", true}}, kNow);
  CHECK(r.code == 202);
  CHECK(r.body["metadata"]["finalizers"] == json({"orphan"}));
  // A second delete may change its mind: Background lets it go now.
  r = f.store.Delete(f.configmaps, "default", "older", Policy("Background"),
                     kNow);
  CHECK(r.code == 200);
  CHECK(f.Find("older") == nullptr);
}

TEST_CASE("Foreground: blocking dependents go first, then the owner") {
  Fixture f;
  const json owner = f.Make("owner");
  const json other = f.Make("other");
  json held = OwnedBy(ConfigMap("blocking", {}), owner, true);
  held["metadata"]["finalizers"] = {"example.com/keep"};
  f.Make(held);
  f.Make(OwnedBy(ConfigMap("plain", {}), owner));
  f.Make(OwnedBy(OwnedBy(ConfigMap("shared", {}), owner, true), other));

  ApiResult r = f.store.Delete(f.configmaps, "default", "owner",
                               Policy("Foreground"), kNow);
  CHECK(r.code == 202);
  CHECK(r.body["metadata"]["finalizers"] == json({"foregroundDeletion"}));
  CHECK(r.body["metadata"].contains("deletionTimestamp"));

  CHECK(f.store.Collect(kNow));
  CHECK(f.Find("plain") == nullptr);
  // Held by its own finalizer, it holds the owner.
  ObjectRef blocking = f.Find("blocking");
  REQUIRE(blocking != nullptr);
  CHECK((*blocking)["metadata"].contains("deletionTimestamp"));
  CHECK(f.Owners("shared") ==
        std::vector<std::string>{other["metadata"]["uid"]});
  CHECK(f.Find("owner") != nullptr);
  CHECK_FALSE(f.store.Collect(kNow));

  REQUIRE(f.store
              .Patch(f.configmaps, "default", "blocking", false,
                     PatchType::kMerge,
                     {{"metadata", {{"finalizers", nullptr}}}}, kNow)
              .code == 200);
  CHECK(f.Find("blocking") == nullptr);
  CHECK(f.store.Collect(kNow));
  CHECK(f.Find("owner") == nullptr);
  CHECK(f.Find("shared") != nullptr);
}

TEST_CASE("a dependent with dependents of its own goes in the foreground") {
  Fixture f;
  const json owner = f.Make("owner");
  const json middle = f.Make(OwnedBy(ConfigMap("middle", {}), owner, true));
  f.Make(OwnedBy(ConfigMap("tail", {}), middle, true));
  REQUIRE(
      f.store
          .Delete(f.configmaps, "default", "owner", Policy("Foreground"), kNow)
          .code == 202);
  const int64_t rv = f.store.resource_version();
  f.CollectAll();
  CHECK(f.EventsSince(f.configmaps, rv) ==
        "MODIFIED middle, DELETED tail, DELETED middle, DELETED owner");
}

TEST_CASE("owners are found by uid, in their dependent's namespace") {
  Fixture f;
  REQUIRE(f.store.Create(f.namespaces, "", Namespace("apps"), kNow).code ==
          201);
  ApiResult elsewhere =
      f.store.Create(f.configmaps, "apps", ConfigMap("elsewhere", {}), kNow);
  REQUIRE(elsewhere.code == 201);
  const ResourceType& roles =
      *f.store.FindType("rbac.authorization.k8s.io", "v1", "clusterroles");
  ApiResult role =
      f.store.Create(roles, "",
                     {{"apiVersion", "rbac.authorization.k8s.io/v1"},
                      {"kind", "ClusterRole"},
                      {"metadata", {{"name", "reader"}}}},
                     kNow);
  REQUIRE(role.code == 201);
  // A namespaced owner elsewhere is as good as absent.
  f.Make(OwnedBy(ConfigMap("cross", {}), elsewhere.body));
  // A cluster-scoped owner owns across namespaces.
  f.Make(OwnedBy(ConfigMap("by-role", {}), role.body));
  // Absent owners of a kind served: collected.
  json gone = ConfigMap("gone", {});
  gone["metadata"]["uid"] = "00000000-0000-4000-8000-000000000000";
  f.Make(OwnedBy(ConfigMap("orphaned", {}), gone));
  // Of a kind not served: kept, as it cannot be looked up.
  json widget = {{"apiVersion", "example.com/v1"},
                 {"kind", "Widget"},
                 {"metadata", {{"name", "w"}, {"uid", "widget-uid"}}}};
  f.Make(OwnedBy(ConfigMap("by-widget", {}), widget));
  // A cluster-scoped object cannot have a namespaced owner: kept.
  json bound = OwnedBy({{"apiVersion", "rbac.authorization.k8s.io/v1"},
                        {"kind", "ClusterRole"},
                        {"metadata", {{"name", "bound"}}}},
                       gone);
  REQUIRE(f.store.Create(roles, "", bound, kNow).code == 201);

  f.CollectAll();
  CHECK(f.Find("cross") == nullptr);
  CHECK(f.Find("orphaned") == nullptr);
  CHECK(f.Find("by-role") != nullptr);
  CHECK(f.Find("by-widget") != nullptr);
  CHECK(f.store.Get(roles, "", "bound") != nullptr);
  CHECK(f.store.Get(f.configmaps, "apps", "elsewhere") != nullptr);
}

TEST_CASE("an unknown propagationPolicy is 422, as kube-apiserver words it") {
  Fixture f;
  f.Make("a");
  const int64_t rv = f.store.resource_version();
  // Checked before anything else: an absent object too.
  for (const char* name : {"a", "absent"}) {
    ApiResult r =
        f.store.Delete(f.configmaps, "default", name, Policy("Sideways"), kNow);
    CHECK(r.code == 422);
    CHECK(r.body["reason"] == "Invalid");
    CHECK(r.body["message"] ==
          "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: "
          "Unsupported value: \"Sideways\": supported values: \"Foreground\", "
          "\"Background\", \"Orphan\", \"nil\"");
    CHECK(r.body["details"] ==
          json({{"group", "meta.k8s.io"},
                {"kind", "DeleteOptions"},
                {"causes",
                 {{{"reason", "FieldValueNotSupported"},
                   {"message",
                    "Unsupported value: \"Sideways\": supported values: "
                    "\"Foreground\", \"Background\", \"Orphan\", \"nil\""},
                   {"field", "propagationPolicy"}}}}}));
  }
  ApiResult both = f.store.Delete(
      f.configmaps, "default", "a",
      {{"propagationPolicy", "Orphan"}, {"orphanDependents", true}}, kNow);
  CHECK(both.code == 422);
  CHECK(both.body["message"] ==
        "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: "
        "Invalid value: \"Orphan\": orphanDependents and deletionPropagation "
        "cannot be both set");
  CHECK(f.Find("a") != nullptr);
  CHECK(f.store.resource_version() == rv);
}

TEST_CASE("dry-run deletes with a propagationPolicy hold nothing") {
  Fixture f;
  const json owner = f.Make("owner");
  f.Make(OwnedBy(ConfigMap("child", {}), owner));
  const int64_t rv = f.store.resource_version();
  ApiResult r = f.store.Delete(f.configmaps, "default", "owner",
                               Policy("Foreground"), kNow, kDryRun);
  CHECK(r.code == 202);
  CHECK(r.body["metadata"]["finalizers"] == json({"foregroundDeletion"}));
  CHECK(r.body["metadata"].contains("deletionTimestamp"));
  r = f.store.Delete(f.configmaps, "default", "owner", Policy("Orphan"), kNow,
                     kDryRun);
  CHECK(r.code == 202);
  CHECK(r.body["metadata"]["finalizers"] == json({"orphan"}));
  r = f.store.Delete(f.configmaps, "default", "owner", Policy("Background"),
                     kNow, kDryRun);
  CHECK(r.code == 200);
  CHECK_FALSE(f.store.Collect(kNow));
  ObjectRef stored = f.Find("owner");
  REQUIRE(stored != nullptr);
  CHECK_FALSE((*stored)["metadata"].contains("finalizers"));
  CHECK_FALSE((*stored)["metadata"].contains("deletionTimestamp"));
  CHECK(f.Find("child") != nullptr);
  CHECK(f.store.resource_version() == rv);
  CHECK(f.ChangesSince(rv) == 0);
}

}  // namespace
}  // namespace lb::k8s::testing

namespace lb::k8s::testing {
namespace {

WriteOptions By(const std::string& manager) {
  WriteOptions w;
  w.field_manager = manager;
  return w;
}

TEST_CASE("writes record their field managers; apply merges and conflicts") {
  Fixture f;
  WriteOptions agent;
  agent.user_agent = "lb-controller/1.0 (linux)";
  ApiResult r = f.store.Create(f.configmaps, "default",
                               ConfigMap("a", {{"k", "1"}}), kNow, agent);
  REQUIRE(r.code == 201);
  const json& created = r.body["metadata"]["managedFields"];
  REQUIRE(created.size() == 1);
  CHECK(created[0] ==
        json{{"manager", "lb-controller"},
             {"operation", "Update"},
             {"apiVersion", "v1"},
             {"time", "2027-01-15T08:00:00Z"},
             {"fieldsType", "FieldsV1"},
             {"fieldsV1",
              {{"f:data", {{".", json::object()}, {"f:k", json::object()}}}}}});

  // PatchOptions: an apply names its manager; only an apply says force.
  r = f.store.Patch(f.configmaps, "default", "a", false, PatchType::kApply,
                    ConfigMap("a", {{"k", "2"}}), kNow);
  CHECK(r.code == 422);
  CHECK(r.body["message"] ==
        "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required "
        "value: is required for apply patch");
  WriteOptions forced = By("x");
  forced.force = false;
  r = f.store.Patch(f.configmaps, "default", "a", false, PatchType::kMerge,
                    {{"data", {{"k", "2"}}}}, kNow, forced);
  CHECK(r.code == 422);
  CHECK(r.body["message"] ==
        "PatchOptions.meta.k8s.io \"\" is invalid: force: Forbidden: may not "
        "be specified for non-apply patch");

  // Changing the Update manager's field conflicts, even dry; nothing stored.
  const int64_t rv = f.store.resource_version();
  WriteOptions dry = By("applier");
  dry.dry_run = true;
  r = f.store.Patch(f.configmaps, "default", "a", false, PatchType::kApply,
                    ConfigMap("a", {{"k", "2"}}), kNow, dry);
  CHECK(r.code == 409);
  CHECK(r.body["message"] ==
        "Apply failed with 1 conflict: conflict with \"lb-controller\" using "
        "v1: .data.k");
  dry.force = true;
  r = f.store.Patch(f.configmaps, "default", "a", false, PatchType::kApply,
                    ConfigMap("a", {{"k", "2"}}), kNow, dry);
  CHECK(r.code == 200);
  CHECK(r.body["data"]["k"] == "2");
  CHECK(f.store.resource_version() == rv);
  CHECK(f.ChangesSince(rv) == 0);

  // A new key is the applier's; the same apply again changes nothing.
  r = f.store.Patch(f.configmaps, "default", "a", false, PatchType::kApply,
                    ConfigMap("a", {{"j", "9"}}), kNow, By("applier"));
  REQUIRE(r.code == 200);
  CHECK(r.body["data"] == json{{"j", "9"}, {"k", "1"}});
  CHECK(r.body["metadata"]["managedFields"][0]["manager"] == "applier");
  CHECK(r.body["metadata"]["managedFields"][0]["operation"] == "Apply");
  const int64_t applied = f.store.resource_version();
  r = f.store.Patch(f.configmaps, "default", "a", false, PatchType::kApply,
                    ConfigMap("a", {{"j", "9"}}), kNow + absl::Seconds(5),
                    By("applier"));
  CHECK(r.code == 200);
  CHECK(f.store.resource_version() == applied);
  // Leaving it out removes it.
  json bare = ConfigMap("a", json::object());
  bare.erase("data");
  r = f.store.Patch(f.configmaps, "default", "a", false, PatchType::kApply,
                    bare, kNow, By("applier"));
  REQUIRE(r.code == 200);
  CHECK(r.body["data"] == json{{"k", "1"}});
  CHECK(r.body["metadata"]["managedFields"].size() == 1);

  // A wrong apiVersion is refused.
  json other = ConfigMap("a", {});
  other["apiVersion"] = "v2";
  r = f.store.Patch(f.configmaps, "default", "a", false, PatchType::kApply,
                    other, kNow, By("applier"));
  CHECK(r.code == 400);
  CHECK(r.body["message"] ==
        "Incorrect version specified in apply patch. Specified patch version: "
        "v2, expected: v1");
}

TEST_CASE("status writes record the status subresource") {
  Fixture f;
  json svc = {{"apiVersion", "v1"},
              {"kind", "Service"},
              {"metadata", {{"name", "web"}}},
              {"spec", {{"ports", {{{"port", 80}}}}}}};
  ApiResult r = f.store.Create(f.services, "default", svc, kNow, By("me"));
  REQUIRE(r.code == 201);
  CHECK(r.body["metadata"]["managedFields"][0]["fieldsV1"]["f:spec"]["f:ports"]
            .contains("k:{\"port\":80,\"protocol\":\"TCP\"}"));
  r = f.store.Patch(
      f.services, "default", "web", true, PatchType::kMerge,
      {{"status", {{"loadBalancer", {{"ingress", {{{"ip", "192.0.2.1"}}}}}}}}},
      kNow, By("lb-controller"));
  REQUIRE(r.code == 200);
  // Entries of one time sort by manager.
  const json& mf = r.body["metadata"]["managedFields"];
  REQUIRE(mf.size() == 2);
  CHECK(mf[0]["manager"] == "lb-controller");
  CHECK(mf[0].value("subresource", "") == "status");
  CHECK(mf[1]["manager"] == "me");
  CHECK(mf[0]["fieldsV1"] ==
        json{{"f:status",
              {{"f:loadBalancer", {{"f:ingress", json::object()}}}}}});
}

}  // namespace
}  // namespace lb::k8s::testing
