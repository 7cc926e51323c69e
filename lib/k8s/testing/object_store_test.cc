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
  CHECK(f.store
            .Patch(f.configmaps, "default", "b", false, PatchType::kApply,
                   ConfigMap("b", {}), kNow, kDryRun)
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
