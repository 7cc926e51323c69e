#include "lib/k8s/testing/in_memory_client.h"

#include <doctest/doctest.h>

#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "lib/base/simulated_clock.h"
#include "lib/k8s/errors.h"
#include "tests/eventually.h"
#include "tests/status_matchers.h"

namespace lb::k8s::testing {
namespace {

json ConfigMap(const std::string& name, json data) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"labels", {{"app", "lb"}}}}},
          {"data", data}};
}

// Collects a watch's events on a thread of its own.
struct Watcher {
  Watcher(Client& client, WatchOptions options)
      : thread([this, &client, options] {
          absl::Status s = client.Watch(
              kConfigMaps, "default", options,
              [this](WatchEvent e) {
                absl::MutexLock l(&mu);
                events.push_back(std::move(e));
                return true;
              },
              &cancel);
          absl::MutexLock l(&mu);
          status = s;
          done = true;
        }) {}
  ~Watcher() {
    cancel.Cancel();
    thread.join();
  }
  size_t count() {
    absl::MutexLock l(&mu);
    return events.size();
  }
  bool finished() {
    absl::MutexLock l(&mu);
    return done;
  }

  absl::Mutex mu;
  std::vector<WatchEvent> events;
  absl::Status status;
  bool done = false;
  StreamCancel cancel;
  std::thread thread;
};

TEST_CASE("writes follow the API server's rules") {
  SimulatedClock clock(absl::FromUnixSeconds(1700000000));
  InMemoryClient client(clock);
  ASSIGN_OR_FAIL(json created,
                 client.Create(kConfigMaps, "default", ConfigMap("c", {})));
  CHECK(created["metadata"]["uid"].is_string());
  CHECK(created["metadata"]["creationTimestamp"] == "2023-11-14T22:13:20Z");
  CHECK_STATUS(client.Create(kConfigMaps, "default", ConfigMap("c", {})),
               absl::StatusCode::kAlreadyExists,
               "AlreadyExists: configmaps \"c\" already exists");
  CHECK_STATUS(client.Get(kConfigMaps, "default", "nosuch"),
               absl::StatusCode::kNotFound, "configmaps \"nosuch\" not found");
  // A stale resourceVersion is a conflict, as over HTTP.
  json stale = created;
  stale["data"] = {{"k", "v"}};
  REQUIRE_OK(client.Update(kConfigMaps, "default", stale));
  absl::Status conflict = client.Update(kConfigMaps, "default", stale).status();
  CHECK(IsConflict(conflict));
  // Main writes keep a Service's status; /status writes only the status.
  json svc = {
      {"metadata", {{"name", "web"}}},
      {"spec", {{"type", "LoadBalancer"}, {"ports", {{{"port", 80}}}}}}};
  REQUIRE_OK(client.Create(kServices, "default", svc));
  json ingress = {
      {"status", {{"loadBalancer", {{"ingress", {{{"ip", "192.0.2.1"}}}}}}}}};
  REQUIRE_OK(client.MergePatch(kServices, "default", "web", ingress,
                               Subresource::kStatus));
  ASSIGN_OR_FAIL(json after,
                 client.MergePatch(kServices, "default", "web",
                                   {{"metadata", {{"labels", {{"a", "b"}}}}}},
                                   Subresource::kNone));
  CHECK(after["status"]["loadBalancer"]["ingress"][0]["ip"] == "192.0.2.1");
  CHECK(after["spec"]["clusterIP"].is_string());  // defaulted
  ASSIGN_OR_FAIL(ObjectList list,
                 client.List(kConfigMaps, "", {.label_selector = "app=lb"}));
  REQUIRE(list.items.size() == 1);
  CHECK(list.items[0]["kind"] == "ConfigMap");
  CHECK(list.resource_version == std::to_string(client.resource_version()));
  CHECK(absl::IsNotFound(client.Delete(kConfigMaps, "default", "nosuch")));
  REQUIRE_OK(client.Delete(kConfigMaps, "default", "c"));
  CHECK(absl::IsNotFound(
      client.GetObject("", "configmaps", "default", "c").status()));
}

TEST_CASE("injected failures fail the matching calls only, then clear") {
  SimulatedClock clock;
  InMemoryClient client(clock);
  REQUIRE_OK(client.Create(kConfigMaps, "default", ConfigMap("c", {})));
  client.FailNextCalls(2, 503, {Verb::kPatch});
  REQUIRE_OK(client.Get(kConfigMaps, "default", "c"));
  for (int i = 0; i < 2; ++i) {
    absl::Status s =
        client.MergePatch(kConfigMaps, "default", "c", {{"data", {{"k", "v"}}}})
            .status();
    CHECK(absl::IsUnavailable(s));
    CHECK(HttpCode(s) == 503);
  }
  ASSIGN_OR_FAIL(json patched, client.MergePatch(kConfigMaps, "default", "c",
                                                 {{"data", {{"k", "v"}}}}));
  CHECK(patched["data"]["k"] == "v");
  // status_only: a main write goes through, the /status one fails.
  REQUIRE_OK(client.Create(kServices, "default",
                           {{"metadata", {{"name", "web"}}},
                            {"spec", {{"ports", {{{"port", 80}}}}}}}));
  client.FailNextCalls(1, 500, {Verb::kPatch, "services", true});
  REQUIRE_OK(client.MergePatch(kServices, "default", "web",
                               {{"metadata", {{"labels", {{"a", "b"}}}}}}));
  CHECK(absl::IsInternal(client
                             .MergePatch(kServices, "default", "web",
                                         {{"status", json::object()}},
                                         Subresource::kStatus)
                             .status()));
  REQUIRE_OK(client.MergePatch(kServices, "default", "web",
                               {{"status", json::object()}},
                               Subresource::kStatus));
}

TEST_CASE("watch: initial state, changes, resume, timeout on the clock") {
  SimulatedClock clock;
  InMemoryClient client(clock);
  REQUIRE_OK(client.Create(kConfigMaps, "default", ConfigMap("a", {})));
  const std::string after_a = std::to_string(client.resource_version());
  {
    WatchOptions o;
    o.timeout = absl::Seconds(30);
    o.allow_bookmarks = false;
    Watcher w(client, o);
    REQUIRE(lb::testing::Eventually([&] { return w.count() == 1; }));
    REQUIRE_OK(client.Create(kConfigMaps, "default", ConfigMap("b", {})));
    REQUIRE_OK(client.Delete(kConfigMaps, "default", "a"));
    REQUIRE(lb::testing::Eventually([&] { return w.count() == 3; }));
    {
      absl::MutexLock l(&w.mu);
      CHECK(w.events[0].type == WatchEvent::Type::kAdded);
      CHECK(w.events[0].object["metadata"]["name"] == "a");
      CHECK(w.events[1].type == WatchEvent::Type::kAdded);
      CHECK(w.events[1].object["metadata"]["name"] == "b");
      CHECK(w.events[2].type == WatchEvent::Type::kDeleted);
    }
    // The stream ends by itself once 30 s of clock time have passed.
    clock.AdvanceTime(absl::Seconds(29));
    CHECK(!w.finished());
    clock.AdvanceTime(absl::Seconds(1));
    REQUIRE(lb::testing::Eventually([&] { return w.finished(); }));
    absl::MutexLock l(&w.mu);
    CHECK(w.status.ok());
  }
  // Resuming after "a" replays exactly what followed.
  std::vector<WatchEvent> replay;
  WatchOptions resume;
  resume.resource_version = after_a;
  resume.allow_bookmarks = false;
  REQUIRE_OK(client.Watch(kConfigMaps, "default", resume, [&](WatchEvent e) {
    replay.push_back(std::move(e));
    return replay.size() < 2;
  }));
  REQUIRE(replay.size() == 2);
  CHECK(replay[0].object["metadata"]["name"] == "b");
  CHECK(replay[1].type == WatchEvent::Type::kDeleted);
  // Once history is compacted the same resume is 410 Gone.
  client.CompactHistory();
  absl::Status gone = client.Watch(kConfigMaps, "default", resume,
                                   [](WatchEvent) { return true; });
  CHECK(IsGone(gone));
  CHECK(client.open_watches() == 0);
}

TEST_CASE("watch: bookmarks on the clock, drop and cancel end it") {
  SimulatedClock clock;
  InMemoryClientOptions options;
  options.bookmark_interval = absl::Seconds(5);
  InMemoryClient client(clock, options);
  {
    Watcher w(client, {});
    REQUIRE(
        lb::testing::Eventually([&] { return client.open_watches() == 1; }));
    clock.AdvanceTime(absl::Seconds(5));
    REQUIRE(lb::testing::Eventually([&] { return w.count() == 1; }));
    {
      absl::MutexLock l(&w.mu);
      CHECK(w.events[0].type == WatchEvent::Type::kBookmark);
      CHECK(w.events[0].object["metadata"]["resourceVersion"] ==
            std::to_string(client.resource_version()));
    }
    client.DropWatches();
    REQUIRE(lb::testing::Eventually([&] { return w.finished(); }));
    absl::MutexLock l(&w.mu);
    CHECK(w.status.ok());
  }
  {
    Watcher w(client, {});
    REQUIRE(
        lb::testing::Eventually([&] { return client.open_watches() == 1; }));
    w.cancel.Cancel();
    REQUIRE(lb::testing::Eventually([&] { return w.finished(); }));
    absl::MutexLock l(&w.mu);
    CHECK(absl::IsCancelled(w.status));
  }
  CHECK(client.open_watches() == 0);
  client.FailNextCalls(1, 500, {Verb::kWatch});
  CHECK(absl::IsInternal(client.Watch(kConfigMaps, "default", {},
                                      [](WatchEvent) { return true; })));
}

}  // namespace
}  // namespace lb::k8s::testing
