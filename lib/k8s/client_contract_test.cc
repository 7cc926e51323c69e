// What code using a k8s::Client can rely on, whichever implementation it is
// handed: checked on the in-memory client (the API server stand-in's object
// store) on simulated time. HttpClient's own encoding, transport and auth are
// in client_test.cc.
#include <doctest/doctest.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "lib/base/simulated_clock.h"
#include "lib/k8s/client.h"
#include "lib/k8s/errors.h"
#include "lib/k8s/lease.h"
#include "lib/k8s/testing/in_memory_client.h"
#include "tests/eventually.h"
#include "tests/status_matchers.h"

namespace lb::k8s {
namespace {

struct Fixture {
  SimulatedClock clock{absl::FromUnixSeconds(1700000000)};
  testing::InMemoryClient memory{clock};
  Client* client = &memory;
};

json ConfigMap(const std::string& name, json data) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"labels", {{"app", "lb"}}}}},
          {"data", data}};
}

TEST_CASE("create, get, list, patch, delete with server errors surfaced") {
  Fixture f;
  ASSIGN_OR_FAIL(json created, f.client->Create(kConfigMaps, "default",
                                                ConfigMap("c", {{"k", "v"}})));
  CHECK(created["metadata"]["uid"].is_string());
  CHECK_STATUS(f.client->Create(kConfigMaps, "default", ConfigMap("c", {})),
               absl::StatusCode::kAlreadyExists,
               "AlreadyExists: configmaps \"c\" already exists");
  ASSIGN_OR_FAIL(json got, f.client->Get(kConfigMaps, "default", "c"));
  CHECK(got["data"]["k"] == "v");
  ASSIGN_OR_FAIL(ObjectList list,
                 f.client->List(kConfigMaps, "", {.label_selector = "app=lb"}));
  REQUIRE(list.items.size() == 1);
  CHECK(list.items[0]["kind"] == "ConfigMap");
  CHECK(!list.resource_version.empty());
  ASSIGN_OR_FAIL(json patched,
                 f.client->MergePatch(kConfigMaps, "default", "c",
                                      {{"data", {{"k2", "v2"}}}}));
  CHECK(patched["data"] == json({{"k", "v"}, {"k2", "v2"}}));
  ASSIGN_OR_FAIL(patched,
                 f.client->JsonPatch(
                     kConfigMaps, "default", "c",
                     json::parse(R"([{"op":"remove","path":"/data/k"}])")));
  CHECK(patched["data"] == json({{"k2", "v2"}}));
  // A stale resourceVersion in a merge patch is a conflict.
  absl::Status stale =
      f.client
          ->MergePatch(
              kConfigMaps, "default", "c",
              {{"metadata",
                {{"resourceVersion", got["metadata"]["resourceVersion"]}}},
               {"data", {{"x", "y"}}}})
          .status();
  CHECK(IsConflict(stale));
  CHECK(Reason(stale) == "Conflict");
  CHECK(absl::StrContains(stale.message(), "the object has been modified"));
  CHECK_OK(f.client->Delete(kConfigMaps, "default", "c"));
  absl::Status gone = f.client->Get(kConfigMaps, "default", "c").status();
  CHECK(absl::IsNotFound(gone));
  CHECK(HttpCode(gone) == 404);
  CHECK_STATUS(f.client->Create(kConfigMaps, "nosuch", ConfigMap("c", {})),
               absl::StatusCode::kNotFound, "namespaces \"nosuch\" not found");
}

TEST_CASE("dry runs store nothing; strict field validation refuses") {
  Fixture f;
  ASSIGN_OR_FAIL(json answered,
                 f.client->Create(kConfigMaps, "default", ConfigMap("d", {}),
                                  {.dry_run = true}));
  CHECK(answered["metadata"]["uid"].is_string());
  CHECK(absl::IsNotFound(f.client->Get(kConfigMaps, "default", "d").status()));
  REQUIRE_OK(f.client->Create(kConfigMaps, "default", ConfigMap("d", {})));
  REQUIRE_OK(
      f.client->Delete(kConfigMaps, "default", "d", "", {.dry_run = true}));
  CHECK_OK(f.client->Get(kConfigMaps, "default", "d").status());
  json bad = ConfigMap("s", {});
  bad["bogus"] = true;
  CHECK_STATUS(f.client->Create(kConfigMaps, "default", bad,
                                {.field_validation = "Strict"}),
               absl::StatusCode::kInvalidArgument,
               "strict decoding error: unknown field \"bogus\"");
  CHECK_STATUS(f.client->Create(kConfigMaps, "default", bad,
                                {.field_validation = "Loose"}),
               absl::StatusCode::kInvalidArgument, "fieldValidation");
  ASSIGN_OR_FAIL(ObjectList paged,
                 f.client->List(kConfigMaps, "default", {.limit = 1}));
  CHECK(paged.items.size() == 1);
}

TEST_CASE("status is written through /status and main writes keep it") {
  Fixture f;
  json svc = {
      {"apiVersion", "v1"},
      {"kind", "Service"},
      {"metadata", {{"name", "web"}}},
      {"spec", {{"type", "LoadBalancer"}, {"ports", {{{"port", 80}}}}}}};
  REQUIRE_OK(f.client->Create(kServices, "default", svc));
  json ingress = {
      {"status", {{"loadBalancer", {{"ingress", {{{"ip", "192.0.2.1"}}}}}}}}};
  ASSIGN_OR_FAIL(json out, f.client->MergePatch(kServices, "default", "web",
                                                ingress, Subresource::kStatus));
  CHECK(out["status"]["loadBalancer"]["ingress"][0]["ipMode"] == "VIP");
  // Status in a main-resource patch is ignored.
  ASSIGN_OR_FAIL(out,
                 f.client->MergePatch(
                     kServices, "default", "web",
                     {{"metadata", {{"labels", {{"a", "b"}}}}},
                      {"status", {{"loadBalancer", {{"ingress", nullptr}}}}}}));
  CHECK(out["status"]["loadBalancer"]["ingress"][0]["ip"] == "192.0.2.1");
  CHECK(out["metadata"]["labels"]["a"] == "b");
}

TEST_CASE("leases: create, get, conditional update") {
  Fixture f;
  LeaseClient leases(*f.client);
  CHECK(absl::IsNotFound(leases.Get("default", "lb").status()));
  Lease l;
  l.ns = "default";
  l.name = "lb";
  l.spec.holder_identity = "node-a";
  l.spec.lease_duration_seconds = 15;
  l.spec.renew_time = absl::FromUnixMicros(1700000000123456);
  ASSIGN_OR_FAIL(Lease created, leases.Create(l));
  CHECK(created.spec == l.spec);
  CHECK(absl::IsAlreadyExists(leases.Create(l).status()));
  ASSIGN_OR_FAIL(Lease got, leases.Get("default", "lb"));
  CHECK(got.spec.renew_time == l.spec.renew_time);
  got.spec.holder_identity = "node-b";
  got.spec.lease_transitions = 1;
  ASSIGN_OR_FAIL(Lease updated, leases.Update(got));
  CHECK(updated.spec.holder_identity == "node-b");
  CHECK(updated.resource_version != got.resource_version);
  // Writing from the old version loses.
  got.spec.holder_identity = "node-c";
  absl::Status lost = leases.Update(got).status();
  CHECK(IsConflict(lost));
  CHECK(lost.code() == absl::StatusCode::kAborted);
  got.resource_version = "";
  CHECK_STATUS(leases.Update(got), absl::StatusCode::kInvalidArgument,
               "resourceVersion");
  ASSIGN_OR_FAIL(Lease final_state, leases.Get("default", "lb"));
  CHECK(final_state.spec.holder_identity == "node-b");
}

TEST_CASE("watch delivers events and ends on server timeout and 410") {
  Fixture f;
  ASSIGN_OR_FAIL(ObjectList list, f.client->List(kConfigMaps, "default"));
  std::vector<WatchEvent> events;
  StreamCancel cancel;
  std::thread watcher([&] {
    WatchOptions o;
    o.resource_version = list.resource_version;
    o.timeout = absl::Seconds(2);
    absl::Status s = f.client->Watch(
        kConfigMaps, "default", o,
        [&](WatchEvent e) {
          events.push_back(std::move(e));
          return true;
        },
        &cancel);
    CHECK_OK(s);  // ended cleanly by timeoutSeconds
  });
  REQUIRE_OK(f.client->Create(kConfigMaps, "default", ConfigMap("a", {})));
  REQUIRE_OK(f.client->MergePatch(kConfigMaps, "default", "a",
                                  {{"data", {{"x", "1"}}}}));
  REQUIRE_OK(f.client->Delete(kConfigMaps, "default", "a"));
  // The stream ends once its 2 s of clock time have passed.
  REQUIRE(
      lb::testing::Eventually([&] { return f.memory.open_watches() == 1; }));
  f.clock.AdvanceTime(absl::Seconds(2));
  watcher.join();
  std::vector<WatchEvent::Type> types;
  for (const auto& e : events) {
    if (e.type != WatchEvent::Type::kBookmark) types.push_back(e.type);
  }
  CHECK(types == std::vector<WatchEvent::Type>{WatchEvent::Type::kAdded,
                                               WatchEvent::Type::kModified,
                                               WatchEvent::Type::kDeleted});
  f.memory.CompactHistory();
  WatchOptions o;
  o.resource_version = list.resource_version;
  absl::Status s = f.client->Watch(kConfigMaps, "default", o,
                                   [](WatchEvent) { return true; });
  CHECK(IsGone(s));
  CHECK(absl::StrContains(s.message(), "too old resource version"));
}

TEST_CASE("watch with a label selector sees objects enter and leave it") {
  Fixture f;
  REQUIRE_OK(f.client->Create(kConfigMaps, "default", ConfigMap("m", {})));
  ASSIGN_OR_FAIL(ObjectList list, f.client->List(kConfigMaps, "default"));
  std::vector<std::string> seen;
  std::thread watcher([&] {
    WatchOptions o;
    o.resource_version = list.resource_version;
    o.label_selector = "tier=web";
    o.timeout = absl::Seconds(2);
    o.allow_bookmarks = false;
    CHECK_OK(f.client->Watch(kConfigMaps, "default", o, [&](WatchEvent e) {
      seen.push_back(std::to_string(static_cast<int>(e.type)) + ":" +
                     e.object["metadata"]["name"].get<std::string>());
      return true;
    }));
  });
  REQUIRE_OK(
      f.client->MergePatch(kConfigMaps, "default", "m",
                           {{"metadata", {{"labels", {{"tier", "web"}}}}}}));
  REQUIRE_OK(f.client->MergePatch(kConfigMaps, "default", "m",
                                  {{"data", {{"k", "v"}}}}));
  REQUIRE_OK(
      f.client->MergePatch(kConfigMaps, "default", "m",
                           {{"metadata", {{"labels", {{"tier", nullptr}}}}}}));
  REQUIRE_OK(f.client->MergePatch(kConfigMaps, "default", "m",
                                  {{"data", {{"k", "w"}}}}));
  REQUIRE(
      lb::testing::Eventually([&] { return f.memory.open_watches() == 1; }));
  f.clock.AdvanceTime(absl::Seconds(2));
  watcher.join();
  // ADDED when it starts matching, MODIFIED while it matches, DELETED when it
  // stops; nothing after.
  CHECK(seen == std::vector<std::string>{"0:m", "1:m", "2:m"});
}

TEST_CASE("watch cancel from another thread") {
  Fixture f;
  StreamCancel cancel;
  absl::Status s;
  std::thread watcher([&] {
    s = f.client->Watch(
        kConfigMaps, "default", {}, [](WatchEvent) { return true; }, &cancel);
  });
  REQUIRE(
      lb::testing::Eventually([&] { return f.memory.open_watches() == 1; }));
  cancel.Cancel();
  watcher.join();
  CHECK(s.code() == absl::StatusCode::kCancelled);
}

}  // namespace
}  // namespace lb::k8s
