#include "lib/k8s/testing/in_memory_client.h"

#include <doctest/doctest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_join.h"
#include "lib/base/simulated_clock.h"
#include "lib/k8s/errors.h"
#include "lib/k8s/resource.h"
#include "lib/k8s/stream_cancel.h"
#include "tests/status_matchers.h"

namespace lb::k8s::testing {
namespace {

json Service(const std::string& name, const std::string& app = "web") {
  return {
      {"apiVersion", "v1"},
      {"kind", "Service"},
      {"metadata",
       {{"name", name}, {"namespace", "default"}, {"labels", {{"app", app}}}}},
      {"spec", {{"type", "LoadBalancer"}, {"ports", {{{"port", 80}}}}}}};
}

// Runs a watch on its own thread, collecting event types and names.
struct Watcher {
  InMemoryClient& client;
  std::thread thread;
  absl::Mutex mu;
  std::vector<std::string> seen ABSL_GUARDED_BY(mu);
  absl::Status result = absl::UnknownError("running");
  std::atomic<bool> done{false};
  StreamCancel cancel;

  // Watches the Services labelled app=web (not default/kubernetes, which a
  // new cluster has).
  Watcher(InMemoryClient& c, WatchOptions options) : client(c) {
    options.label_selector = "app=web";
    thread = std::thread([this, options] {
      result = client.Watch(
          kServices, "default", options,
          [this](WatchEvent e) {
            static constexpr const char* kNames[] = {"ADDED", "MODIFIED",
                                                     "DELETED", "BOOKMARK"};
            absl::MutexLock lock(&mu);
            seen.push_back(
                absl::StrCat(kNames[static_cast<int>(e.type)], " ",
                             e.object["metadata"].value("name", "")));
            return true;
          },
          &cancel);
      done = true;
    });
  }
  ~Watcher() {
    cancel.Cancel();
    thread.join();
  }
  // Waits (bounded, real time) until `n` events were seen.
  std::string Await(size_t n) {
    absl::MutexLock lock(&mu);
    auto enough = [&] {
      mu.AssertHeld();
      return seen.size() >= n;
    };
    mu.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(10));
    return absl::StrJoin(seen, ", ");
  }
  bool AwaitDone() {
    for (int i = 0; i < 10000 && !done; ++i)
      absl::SleepFor(absl::Milliseconds(1));
    return done;
  }
};

TEST_CASE("writes follow kube-apiserver: versions, conflicts, status") {
  SimulatedClock clock;
  InMemoryClient client(clock);
  ASSIGN_OR_FAIL(json created,
                 client.Create(kServices, "default", Service("a")));
  CHECK(created["metadata"].contains("uid"));
  const std::string rv = created["metadata"]["resourceVersion"];
  CHECK_STATUS(client.Create(kServices, "default", Service("a")),
               absl::StatusCode::kAlreadyExists,
               "services \"a\" already exists");
  CHECK(Reason(client.Get(kServices, "default", "b").status()) == "NotFound");

  // A status write touches only the status; a stale update is a conflict.
  ASSIGN_OR_FAIL(
      json patched,
      client.MergePatch(
          kServices, "default", "a",
          {{"status",
            {{"loadBalancer", {{"ingress", {{{"ip", "192.0.2.1"}}}}}}}},
           {"spec", {{"type", "ClusterIP"}}}},
          Subresource::kStatus));
  CHECK(patched["spec"]["type"] == "LoadBalancer");
  CHECK(patched["status"]["loadBalancer"]["ingress"][0]["ip"] == "192.0.2.1");
  json stale = created;
  stale["spec"]["type"] = "NodePort";
  absl::Status conflict = client.Update(kServices, "default", stale).status();
  CHECK(IsConflict(conflict));
  CHECK(absl::IsAborted(conflict));
  CHECK(IsConflict(client.Delete(kServices, "default", "a", rv)));
  CHECK_OK(client.Delete(kServices, "default", "a"));
  CHECK(absl::IsNotFound(client.Get(kServices, "default", "a").status()));
  CHECK_STATUS(client.MergePatch(kServices, "default", "a", json::array()),
               absl::StatusCode::kInvalidArgument, "must be an object");
}

TEST_CASE("lists select by label and carry the version to watch from") {
  SimulatedClock clock;
  InMemoryClient client(clock);
  REQUIRE_OK(client.Create(kServices, "default", Service("a", "web")).status());
  REQUIRE_OK(client.Create(kServices, "default", Service("b", "db")).status());
  ListOptions o;
  o.label_selector = "app=web";
  ASSIGN_OR_FAIL(ObjectList list, client.List(kServices, "default", o));
  REQUIRE(list.items.size() == 1);
  CHECK(list.items[0]["metadata"]["name"] == "a");
  CHECK(list.resource_version == std::to_string(client.resource_version()));
  o.label_selector = "app in (";
  CHECK(absl::IsInvalidArgument(client.List(kServices, "default", o).status()));
}

TEST_CASE("a watch sends the state, then changes, then ends on its timeout") {
  SimulatedClock clock;
  InMemoryClient client(clock);
  REQUIRE_OK(client.Create(kServices, "default", Service("a")).status());
  WatchOptions o;
  o.timeout = absl::Seconds(30);
  o.allow_bookmarks = false;
  Watcher w(client, o);
  CHECK(w.Await(1) == "ADDED a");
  REQUIRE_OK(client.Create(kServices, "default", Service("b")).status());
  REQUIRE_OK(client.Delete(kServices, "default", "a"));
  CHECK(w.Await(3) == "ADDED a, ADDED b, DELETED a");
  CHECK(client.open_watches() == 1);
  clock.AdvanceTime(absl::Seconds(29));
  CHECK_FALSE(w.done.load());
  clock.AdvanceTime(absl::Seconds(1));
  REQUIRE(w.AwaitDone());
  CHECK_OK(w.result);
  CHECK(client.open_watches() == 0);
}

TEST_CASE("a watch resumes from a version, and gets 410 once it is compacted") {
  SimulatedClock clock;
  InMemoryClient client(clock);
  ASSIGN_OR_FAIL(json a, client.Create(kServices, "default", Service("a")));
  REQUIRE_OK(client.Create(kServices, "default", Service("b")).status());
  WatchOptions o;
  o.resource_version = a["metadata"]["resourceVersion"];
  o.allow_bookmarks = false;
  {
    Watcher w(client, o);
    CHECK(w.Await(1) == "ADDED b");
  }
  client.CompactHistory();
  Watcher late(client, o);
  REQUIRE(late.AwaitDone());
  CHECK(IsGone(late.result));
}

TEST_CASE(
    "bookmarks, dropped watches, cancels, failures, an API that is down") {
  SimulatedClock clock;
  InMemoryClientOptions options;
  options.bookmark_interval = absl::Seconds(5);
  InMemoryClient client(clock, options);
  {
    Watcher w(client, WatchOptions{});
    for (int i = 0; i < 10000 && client.open_watches() == 0; ++i) {
      absl::SleepFor(absl::Milliseconds(1));
    }
    REQUIRE(client.open_watches() == 1);
    clock.AdvanceTime(absl::Seconds(5));
    CHECK(w.Await(1) == "BOOKMARK ");
    client.DropWatches();
    REQUIRE(w.AwaitDone());
    CHECK_OK(w.result);
  }
  {
    Watcher w(client, WatchOptions{});
    w.cancel.Cancel();
    REQUIRE(w.AwaitDone());
    CHECK(absl::IsCancelled(w.result));
  }
  const int64_t requests = client.request_count();
  client.FailNextRequests(1, 500, "PATCH", "/status");
  REQUIRE_OK(client.Create(kServices, "default", Service("a")).status());
  CHECK_OK(
      client.MergePatch(kServices, "default", "a", {{"spec", json::object()}})
          .status());
  absl::Status failed =
      client
          .MergePatch(kServices, "default", "a", {{"status", json::object()}},
                      Subresource::kStatus)
          .status();
  CHECK(HttpCode(failed) == 500);
  CHECK(absl::IsInternal(failed));
  CHECK_OK(client
               .MergePatch(kServices, "default", "a",
                           {{"status", json::object()}}, Subresource::kStatus)
               .status());
  CHECK(client.request_count() == requests + 4);

  // Unreachable: calls fail as a refused connection does, watches end so,
  // and the state is there again after.
  Watcher w(client, WatchOptions{});
  for (int i = 0; i < 10000 && client.open_watches() == 0; ++i) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  client.SetReachable(false);
  REQUIRE(w.AwaitDone());
  CHECK(absl::IsUnavailable(w.result));
  CHECK(absl::IsUnavailable(client.Get(kServices, "default", "a").status()));
  client.SetReachable(true);
  CHECK_OK(client.Get(kServices, "default", "a").status());
}

json Named(const char* kind, const std::string& name) {
  return {{"apiVersion", "v1"}, {"kind", kind}, {"metadata", {{"name", name}}}};
}

TEST_CASE("a deleted namespace stays Terminating until Collect()") {
  SimulatedClock clock;
  InMemoryClient client(clock);
  REQUIRE_OK(client.Create(kNamespaces, "", Named("Namespace", "apps")));
  REQUIRE_OK(client.Create(kConfigMaps, "apps", Named("ConfigMap", "a")));
  REQUIRE_OK(client.Delete(kNamespaces, "", "apps"));
  ASSIGN_OR_FAIL(json ns, client.Get(kNamespaces, "", "apps"));
  CHECK(ns["status"]["phase"] == "Terminating");
  CHECK_OK(client.Get(kConfigMaps, "apps", "a"));
  absl::Status refused =
      client.Create(kConfigMaps, "apps", Named("ConfigMap", "b")).status();
  CHECK_STATUS(refused, absl::StatusCode::kPermissionDenied,
               "configmaps \"b\" is forbidden: unable to create new content "
               "in namespace apps because it is being terminated");
  CHECK(Reason(refused) == "Forbidden");

  CHECK(client.Collect());
  CHECK(absl::IsNotFound(client.Get(kConfigMaps, "apps", "a").status()));
  CHECK(absl::IsNotFound(client.Get(kNamespaces, "", "apps").status()));
  CHECK_FALSE(client.Collect());
}

TEST_CASE("dependents of a deleted owner stay until Collect()") {
  SimulatedClock clock;
  InMemoryClient client(clock);
  ASSIGN_OR_FAIL(json owner, client.Create(kConfigMaps, "default",
                                           Named("ConfigMap", "o")));
  json dependent = Named("ConfigMap", "d");
  dependent["metadata"]["ownerReferences"] = {
      {{"apiVersion", "v1"},
       {"kind", "ConfigMap"},
       {"name", "o"},
       {"uid", owner["metadata"]["uid"]}}};
  REQUIRE_OK(client.Create(kConfigMaps, "default", dependent));
  REQUIRE_OK(client.Delete(kConfigMaps, "default", "o"));
  CHECK_OK(client.Get(kConfigMaps, "default", "d"));
  CHECK(client.Collect());
  CHECK(absl::IsNotFound(client.Get(kConfigMaps, "default", "d").status()));
}

}  // namespace
}  // namespace lb::k8s::testing
