#include "lib/k8s/informer.h"

#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <set>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "lib/base/simulated_clock.h"
#include "lib/k8s/testing/in_memory_client.h"
#include "tests/status_matchers.h"

namespace lb::k8s {
namespace {

json ConfigMap(const std::string& ns, const std::string& name,
               const std::string& value) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata",
           {{"name", name}, {"namespace", ns}, {"labels", {{"app", "lb"}}}}},
          {"data", {{"v", value}}}};
}

json Namespace(const std::string& name) {
  return {{"apiVersion", "v1"},
          {"kind", "Namespace"},
          {"metadata", {{"name", name}}}};
}

// Records every notification; checks that no object version is delivered
// twice.
struct Recorder {
  void Add(const std::string& what, const json& o) {
    absl::MutexLock l(&mu);
    std::string key = ObjectCache::KeyOf(o);
    std::string rv = o["metadata"]["resourceVersion"];
    if (what != "delete" && !seen.insert(key + "@" + rv).second) ++duplicates;
    events.push_back(what + " " + key);
    last[key] = what == "delete" ? "" : rv;
  }
  EventHandlers Handlers() {
    return {[this](const json& o) { Add("add", o); },
            [this](const json&, const json& o) { Add("update", o); },
            [this](const json& o) { Add("delete", o); }};
  }
  size_t Count() {
    absl::MutexLock l(&mu);
    return events.size();
  }
  absl::Mutex mu;
  std::vector<std::string> events;
  std::set<std::string> seen;
  std::map<std::string, std::string> last;
  int duplicates = 0;
};

struct Fixture {
  Fixture() {
    client = &api;
    REQUIRE_OK(client->Create(kNamespaces, "", Namespace("a")));
    REQUIRE_OK(client->Create(kNamespaces, "", Namespace("b")));
  }
  static testing::InMemoryClientOptions ApiOptions() {
    testing::InMemoryClientOptions o;
    o.bookmark_interval = absl::Hours(1);
    return o;
  }
  InformerOptions Options() {
    InformerOptions o;
    o.ns = "a";
    o.backoff.initial = absl::Milliseconds(20);
    o.backoff.max = absl::Milliseconds(200);
    return o;
  }
  // Moves simulated time in 10 ms steps until `pred` holds (20 simulated
  // seconds at most); the informer's threads run between steps.
  template <typename F>
  bool Eventually(F pred) {
    for (int i = 0; i < 2000; ++i) {
      if (pred()) return true;
      clock.AdvanceTime(absl::Milliseconds(10));
      absl::SleepFor(absl::Milliseconds(1));
    }
    return pred();
  }
  // The cache holds exactly the server's objects at their versions.
  bool CacheMatchesServer(const Informer& informer) {
    auto list = client->List(kConfigMaps, "a");
    if (!list.ok() || list->items.size() != informer.cache().size())
      return false;
    for (const json& item : list->items) {
      ObjectPtr cached = informer.cache().Get(ObjectCache::KeyOf(item));
      if (cached == nullptr || (*cached)["metadata"]["resourceVersion"] !=
                                   item["metadata"]["resourceVersion"]) {
        return false;
      }
    }
    return true;
  }
  SimulatedClock clock;
  testing::InMemoryClient api{clock, ApiOptions()};
  Client* client = nullptr;
};

TEST_CASE("informer lists, syncs, then follows adds, updates and deletes") {
  Fixture f;
  REQUIRE_OK(f.client->Create(kConfigMaps, "a", ConfigMap("a", "one", "1")));
  REQUIRE_OK(f.client->Create(kConfigMaps, "b", ConfigMap("b", "other", "1")));
  Informer informer(*f.client, f.clock, kConfigMaps, f.Options());
  Recorder rec;
  informer.AddHandlers(rec.Handlers());
  CHECK_FALSE(informer.HasSynced());
  informer.Start();
  REQUIRE(informer.WaitForSync(absl::Seconds(5)));
  CHECK(informer.cache().size() == 1);
  CHECK(informer.cache().Get("a/one") != nullptr);
  REQUIRE_OK(f.client->Create(kConfigMaps, "a", ConfigMap("a", "two", "2")));
  REQUIRE_OK(
      f.client->MergePatch(kConfigMaps, "a", "one", {{"data", {{"v", "9"}}}}));
  REQUIRE_OK(f.client->Delete(kConfigMaps, "a", "two"));
  REQUIRE(f.Eventually([&] { return rec.Count() == 4; }));
  informer.Stop();
  CHECK(rec.events == std::vector<std::string>{"add a/one", "add a/two",
                                               "update a/one", "delete a/two"});
  CHECK((*informer.cache().Get("a/one"))["data"]["v"] == "9");
  ASSIGN_OR_FAIL(auto by_label, informer.cache().ListByLabel("app=lb"));
  CHECK(by_label.size() == 1);
  ASSIGN_OR_FAIL(by_label, informer.cache().ListByLabel("app=other"));
  CHECK(by_label.empty());
  CHECK(rec.duplicates == 0);
}

TEST_CASE(
    "informer survives dropped watches without losing or repeating events") {
  Fixture f;
  Informer informer(*f.client, f.clock, kConfigMaps, f.Options());
  Recorder rec;
  informer.AddHandlers(rec.Handlers());
  informer.Start();
  REQUIRE(informer.WaitForSync(absl::Seconds(5)));
  for (int i = 0; i < 20; ++i) {
    REQUIRE_OK(f.client->Create(kConfigMaps, "a",
                                ConfigMap("a", "c" + std::to_string(i), "x")));
    if (i % 3 == 0) {
      // Drop watches until the informer has seen one end, so each of these
      // rounds forces a re-watch (a drop between two watches ends nothing).
      int64_t before = informer.watches();
      REQUIRE(f.Eventually([&] {
        f.api.DropWatches();
        return informer.watches() > before;
      }));
    }
    if (i % 4 == 0) {
      REQUIRE_OK(f.client->MergePatch(kConfigMaps, "a", "c0",
                                      {{"data", {{"v", std::to_string(i)}}}}));
    }
  }
  REQUIRE(f.Eventually([&] { return f.CacheMatchesServer(informer); }));
  CHECK(informer.lists() == 1);  // re-watched, never relisted
  CHECK(informer.watches() >= 7);
  informer.Stop();
  CHECK(rec.duplicates == 0);
  int adds = 0;
  for (const auto& e : rec.events) adds += e.rfind("add", 0) == 0;
  CHECK(adds == 20);
}

TEST_CASE("a transform shapes what is cached and handed to handlers") {
  Fixture f;
  json with_fields = ConfigMap("a", "one", "1");
  with_fields["metadata"]["managedFields"] = {
      {{"manager", "kubectl"}, {"operation", "Apply"}}};
  REQUIRE_OK(f.client->Create(kConfigMaps, "a", with_fields));
  InformerOptions o = f.Options();
  o.transform = DropManagedFields;
  Informer informer(*f.client, f.clock, kConfigMaps, o);
  absl::Mutex mu;
  int handled_with_fields = 0;
  EventHandlers h;
  h.on_add = [&](const json& obj) {
    absl::MutexLock l(&mu);
    if (obj["metadata"].contains("managedFields")) ++handled_with_fields;
  };
  h.on_update = [&](const json&, const json& obj) { h.on_add(obj); };
  informer.AddHandlers(h);
  informer.Start();
  REQUIRE(informer.WaitForSync(absl::Seconds(5)));
  // Listed, then watched.
  json two = ConfigMap("a", "two", "2");
  two["metadata"]["managedFields"] = with_fields["metadata"]["managedFields"];
  REQUIRE_OK(f.client->Create(kConfigMaps, "a", two));
  REQUIRE(f.Eventually([&] { return informer.cache().size() == 2; }));
  informer.Stop();
  for (const char* key : {"a/one", "a/two"}) {
    ObjectPtr cached = informer.cache().Get(key);
    REQUIRE(cached != nullptr);
    CHECK_FALSE((*cached)["metadata"].contains("managedFields"));
    CHECK((*cached)["metadata"].contains("resourceVersion"));
  }
  CHECK(handled_with_fields == 0);
  // The server still has them: only the informer's copy is trimmed.
  ASSIGN_OR_FAIL(json on_server, f.client->Get(kConfigMaps, "a", "one"));
  CHECK(on_server["metadata"].contains("managedFields"));
}

TEST_CASE("informer relists after 410 Gone and after a server restart") {
  Fixture f;
  REQUIRE_OK(f.client->Create(kConfigMaps, "a", ConfigMap("a", "keep", "1")));
  Informer informer(*f.client, f.clock, kConfigMaps, f.Options());
  Recorder rec;
  informer.AddHandlers(rec.Handlers());
  informer.Start();
  REQUIRE(informer.WaitForSync(absl::Seconds(5)));
  // History moves on elsewhere, then is compacted while the informer is cut
  // off: its next watch is from a version the server no longer has.
  for (int i = 0; i < 5; ++i) {
    REQUIRE_OK(f.client->Create(kConfigMaps, "b",
                                ConfigMap("b", std::to_string(i), "x")));
  }
  f.api.SetReachable(false);
  REQUIRE(f.Eventually([&] { return f.api.open_watches() == 0; }));
  f.api.CompactHistory();
  f.api.SetReachable(true);
  REQUIRE(f.Eventually([&] { return informer.lists() == 2; }));
  // The relist found nothing new: no notification for "keep" again.
  REQUIRE_OK(f.client->Create(kConfigMaps, "a", ConfigMap("a", "after", "1")));
  REQUIRE(f.Eventually([&] { return f.CacheMatchesServer(informer); }));
  // A plain restart with state kept: the watch resumes from its version.
  f.api.SetReachable(false);
  REQUIRE(f.Eventually([&] { return f.api.open_watches() == 0; }));
  f.api.SetReachable(true);
  REQUIRE_OK(
      f.client->MergePatch(kConfigMaps, "a", "keep", {{"data", {{"v", "2"}}}}));
  REQUIRE(f.Eventually([&] { return f.CacheMatchesServer(informer); }));
  CHECK(informer.lists() == 2);
  informer.Stop();
  CHECK(rec.duplicates == 0);
  CHECK(rec.events ==
        std::vector<std::string>{"add a/keep", "add a/after", "update a/keep"});
}

TEST_CASE(
    "cache replace emits deletes for vanished objects and nothing for "
    "unchanged") {
  ObjectCache cache;
  auto obj = [](const std::string& name, const std::string& rv) {
    return json{
        {"metadata",
         {{"name", name}, {"namespace", "a"}, {"resourceVersion", rv}}}};
  };
  CHECK(cache.Replace({obj("x", "1"), obj("y", "1")}).size() == 2);
  auto deltas = cache.Replace({obj("x", "1"), obj("z", "3")});
  REQUIRE(deltas.size() == 2);
  CHECK(deltas[0].type == Delta::Type::kAdd);
  CHECK(deltas[1].type == Delta::Type::kDelete);
  CHECK((*deltas[1].old)["metadata"]["name"] == "y");
  CHECK_FALSE(
      cache.Apply(WatchEvent::Type::kModified, obj("x", "1")).has_value());
  CHECK(cache.Apply(WatchEvent::Type::kModified, obj("x", "2"))->type ==
        Delta::Type::kUpdate);
  CHECK_FALSE(
      cache.Apply(WatchEvent::Type::kDeleted, obj("nope", "5")).has_value());
  CHECK_FALSE(
      cache.Apply(WatchEvent::Type::kAdded, json{{"metadata", json::object()}})
          .has_value());
  CHECK(cache.size() == 2);
  CHECK_STATUS(cache.ListByLabel("a in (b"), absl::StatusCode::kInvalidArgument,
               "parenthesis");
}

TEST_CASE("ListByLabel matches whole labels, and the object as stored") {
  ObjectCache cache;
  auto obj = [](const std::string& name, json labels) {
    return json{{"metadata",
                 {{"name", name},
                  {"namespace", "a"},
                  {"resourceVersion", "7"},
                  {"labels", std::move(labels)}}},
                {"data", {{"k", name}}}};
  };
  cache.Replace({obj("web", {{"app", "web"}, {"tier", "front"}}),
                 obj("web2", {{"app", "web2"}}), obj("xapp", {{"xapp", "web"}}),
                 obj("none", json::object())});
  ASSIGN_OR_FAIL(auto web, cache.ListByLabel("app=web"));
  REQUIRE(web.size() == 1);
  CHECK(*web[0] == obj("web", {{"app", "web"}, {"tier", "front"}}));
  ASSIGN_OR_FAIL(auto front, cache.ListByLabel("tier=front,app=web"));
  CHECK(front.size() == 1);
  ASSIGN_OR_FAIL(auto other, cache.ListByLabel("app=we"));
  CHECK(other.empty());
  ASSIGN_OR_FAIL(auto any, cache.ListByLabel("app"));
  CHECK(any.size() == 2);
  CHECK(cache.Get("a/xapp")->at("metadata").at("resourceVersion") == "7");
}

TEST_CASE("a cache without objects still finds changes and deletions") {
  ObjectCache cache(/*keep_objects=*/false);
  auto obj = [](const std::string& name, const std::string& rv) {
    return json{{"metadata",
                 {{"name", name}, {"namespace", "a"}, {"resourceVersion", rv}}},
                {"data", {{"k", name}}}};
  };
  std::vector<Delta> added = cache.Replace({obj("x", "1"), obj("y", "1")});
  REQUIRE(added.size() == 2);
  CHECK(*added[0].cur == obj("x", "1"));
  CHECK(cache.size() == 2);
  CHECK(cache.Get("a/x") == nullptr);
  CHECK(cache.List().empty());
  // The same versions again: nothing; a new version: an update without old.
  CHECK_FALSE(
      cache.Apply(WatchEvent::Type::kModified, obj("x", "1")).has_value());
  std::optional<Delta> changed =
      cache.Apply(WatchEvent::Type::kModified, obj("x", "2"));
  REQUIRE(changed.has_value());
  CHECK(changed->type == Delta::Type::kUpdate);
  CHECK(changed->old == nullptr);
  CHECK(*changed->cur == obj("x", "2"));
  // A relist without y: its deletion, named.
  std::vector<Delta> gone = cache.Replace({obj("x", "2")});
  REQUIRE(gone.size() == 1);
  CHECK(gone[0].type == Delta::Type::kDelete);
  CHECK((*gone[0].old)["metadata"]["name"] == "y");
  CHECK((*gone[0].old)["metadata"]["namespace"] == "a");
  // A watched deletion carries the object as reported.
  std::optional<Delta> deleted =
      cache.Apply(WatchEvent::Type::kDeleted, obj("x", "3"));
  REQUIRE(deleted.has_value());
  CHECK(deleted->old == nullptr);
  CHECK(*deleted->cur == obj("x", "3"));
  CHECK(cache.size() == 0);
}

TEST_CASE("an informer without objects hands each event's object over") {
  Fixture f;
  InformerOptions o = f.Options();
  o.keep_objects = false;
  Informer informer(*f.client, f.clock, kConfigMaps, o);
  absl::Mutex mu;
  std::vector<std::string> seen;
  EventHandlers h;
  h.on_add = [&](const json& obj) {
    absl::MutexLock l(&mu);
    seen.push_back("add " + obj["data"]["v"].get<std::string>());
  };
  h.on_update = [&](const json& old_obj, const json& obj) {
    absl::MutexLock l(&mu);
    seen.push_back(std::string(old_obj.is_null() ? "update-from-null " : "?") +
                   obj["data"]["v"].get<std::string>());
  };
  h.on_delete = [&](const json& obj) {
    absl::MutexLock l(&mu);
    seen.push_back("delete " + ObjectCache::KeyOf(obj));
  };
  informer.AddHandlers(h);
  REQUIRE_OK(f.client->Create(kConfigMaps, "a", ConfigMap("a", "one", "1")));
  informer.Start();
  REQUIRE(informer.WaitForSync(absl::Seconds(5)));
  REQUIRE_OK(
      f.client->MergePatch(kConfigMaps, "a", "one", {{"data", {{"v", "2"}}}}));
  REQUIRE_OK(f.client->Delete(kConfigMaps, "a", "one"));
  REQUIRE(f.Eventually([&] {
    absl::MutexLock l(&mu);
    return seen.size() == 3;
  }));
  informer.Stop();
  CHECK(seen == std::vector<std::string>{"add 1", "update-from-null 2",
                                         "delete a/one"});
  CHECK(informer.cache().Get("a/one") == nullptr);
}

TEST_CASE("resync re-delivers cached objects as updates") {
  Fixture f;
  REQUIRE_OK(f.client->Create(kConfigMaps, "a", ConfigMap("a", "one", "1")));
  InformerOptions o = f.Options();
  o.resync_period = absl::Milliseconds(50);
  Informer informer(*f.client, f.clock, kConfigMaps, o);
  std::atomic<int> resyncs{0};
  informer.AddHandlers({nullptr,
                        [&](const json& a, const json& b) {
                          if (a == b) ++resyncs;
                        },
                        nullptr});
  informer.Start();
  REQUIRE(informer.WaitForSync(absl::Seconds(5)));
  CHECK(f.Eventually([&] { return resyncs.load() >= 2; }));
  informer.Stop();
}

}  // namespace
}  // namespace lb::k8s
