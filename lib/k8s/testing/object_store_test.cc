// ObjectStore writes with WriteOptions::dry_run: the response of the real
// write, and no change to objects, resourceVersion or watch history.

#include "lib/k8s/testing/object_store.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

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

struct Fixture {
  ObjectStore store{ObjectStoreOptions{}, kNow};
  const ResourceType& configmaps = *store.FindType("", "v1", "configmaps");
  const ResourceType& namespaces = *store.FindType("", "v1", "namespaces");
  const ResourceType& services = *store.FindType("", "v1", "services");

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
