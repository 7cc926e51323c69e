// ObjectStore::ListObjects and the list rules of list_options.h: pages of one
// snapshot, lists at an exact version, and kube-apiserver's refusals.

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "lib/k8s/testing/list_options.h"
#include "lib/k8s/testing/object_store.h"

namespace lb::k8s::testing {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1800000000);

json ConfigMap(const std::string& name, const std::string& value = "v") {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"labels", {{"app", "x"}}}}},
          {"data", {{"k", value}}}};
}

struct Fixture {
  ObjectStore store{ObjectStoreOptions{}, kNow};
  const ResourceType& configmaps = *store.FindType("", "v1", "configmaps");

  void Create(const std::string& name, const std::string& value = "v") {
    REQUIRE(
        store.Create(configmaps, "default", ConfigMap(name, value), kNow).ok());
  }
  ListPage List(const ListQuery& q, Selection sel = Selection{}) {
    ListPage page;
    ApiResult r = store.ListObjects(configmaps, sel, q, &page);
    INFO(r.body.dump());
    REQUIRE(r.ok());
    return page;
  }
  static std::vector<std::string> Names(const ListPage& page) {
    std::vector<std::string> out;
    for (const auto& o : page.items) {
      out.push_back((*o)["metadata"]["name"].get<std::string>() + "=" +
                    (*o)["data"]["k"].get<std::string>());
    }
    return out;
  }
};

TEST_CASE("pages of a list come from the snapshot of the first page") {
  Fixture f;
  for (const char* n : {"a", "b", "c", "d", "e"}) f.Create(n);
  ListQuery q;
  q.limit = 2;
  ListPage first = f.List(q);
  CHECK(Fixture::Names(first) == std::vector<std::string>{"a=v", "b=v"});
  REQUIRE_FALSE(first.continue_token.empty());
  REQUIRE(first.remaining_item_count.has_value());
  CHECK(*first.remaining_item_count == 3);

  // Changes after the first page do not show on later ones.
  REQUIRE(f.store
              .Update(f.configmaps, "default", "c", false,
                      ConfigMap("c", "new"), kNow)
              .ok());
  REQUIRE(f.store.Delete(f.configmaps, "default", "d", nullptr, kNow).ok());
  f.Create("bb");
  f.Create("z");

  q.continue_token = first.continue_token;
  ListPage second = f.List(q);
  CHECK(Fixture::Names(second) == std::vector<std::string>{"c=v", "d=v"});
  CHECK(second.resource_version == first.resource_version);
  REQUIRE(second.remaining_item_count.has_value());
  CHECK(*second.remaining_item_count == 1);
  q.continue_token = second.continue_token;
  ListPage last = f.List(q);
  CHECK(Fixture::Names(last) == std::vector<std::string>{"e=v"});
  CHECK(last.continue_token.empty());
  CHECK_FALSE(last.remaining_item_count.has_value());

  // A new list sees the present.
  ListPage now = f.List(ListQuery{});
  CHECK(Fixture::Names(now) ==
        std::vector<std::string>{"a=v", "b=v", "bb=v", "c=new", "e=v", "z=v"});
}

TEST_CASE("a list at an exact version is the state at that version") {
  Fixture f;
  f.Create("a");
  const int64_t before = f.store.resource_version();
  f.Create("b");
  REQUIRE(f.store
              .Update(f.configmaps, "default", "a", false, ConfigMap("a", "2"),
                      kNow)
              .ok());
  ListQuery q;
  q.resource_version = std::to_string(before);
  q.resource_version_match = "Exact";
  ListPage page = f.List(q);
  CHECK(Fixture::Names(page) == std::vector<std::string>{"a=v"});
  CHECK(page.resource_version == before);
  // NotOlderThan answers with the present.
  q.resource_version_match = "NotOlderThan";
  CHECK(Fixture::Names(f.List(q)) == std::vector<std::string>{"a=2", "b=v"});
  // So does resourceVersion "0", and it ignores limit as the watch cache
  // does.
  q = ListQuery{};
  q.resource_version = "0";
  q.limit = 1;
  ListPage all = f.List(q);
  CHECK(all.items.size() == 2);
  CHECK(all.continue_token.empty());
}

TEST_CASE("a selector filters pages and hides remainingItemCount") {
  Fixture f;
  for (const char* n : {"a", "b", "c"}) f.Create(n);
  REQUIRE(
      f.store
          .Create(f.configmaps, "default",
                  {{"metadata", {{"name", "other"}}}, {"data", {{"k", "v"}}}},
                  kNow)
          .ok());
  auto sel = Selection::Parse("default", "app=x", "");
  REQUIRE(sel.ok());
  ListQuery q;
  q.limit = 2;
  ListPage first = f.List(q, *sel);
  CHECK(first.items.size() == 2);
  CHECK_FALSE(first.remaining_item_count.has_value());
  q.continue_token = first.continue_token;
  ListPage second = f.List(q, *sel);
  CHECK(Fixture::Names(second) == std::vector<std::string>{"c=v"});
  CHECK(second.continue_token.empty());
}

TEST_CASE("expired, future and malformed versions and tokens are refused") {
  Fixture f;
  for (const char* n : {"a", "b", "c"}) f.Create(n);
  ListQuery q;
  q.limit = 1;
  ListPage first = f.List(q);
  f.Create("d");
  f.store.CompactHistory();
  q.continue_token = first.continue_token;
  ListPage page;
  ApiResult r = f.store.ListObjects(f.configmaps, Selection{}, q, &page);
  CHECK(r.code == 410);
  CHECK(r.body["reason"] == "Expired");
  CHECK(r.body["message"].get<std::string>().find(
            "The provided continue parameter is too old") == 0);
  // The inconsistent token it hands out goes on from the present.
  REQUIRE(r.body["metadata"]["continue"].is_string());
  q.continue_token = r.body["metadata"]["continue"].get<std::string>();
  CHECK(Fixture::Names(f.List(q)) == std::vector<std::string>{"b=v"});

  q = ListQuery{};
  q.resource_version = "1";
  q.resource_version_match = "Exact";
  r = f.store.ListObjects(f.configmaps, Selection{}, q, &page);
  CHECK(r.code == 410);
  CHECK(r.body["message"] ==
        "The resourceVersion for the provided list is too old.");

  q.resource_version = std::to_string(f.store.resource_version() + 5);
  r = f.store.ListObjects(f.configmaps, Selection{}, q, &page);
  CHECK(r.code == 504);
  CHECK(r.body["reason"] == "Timeout");
  CHECK(r.body["message"] ==
        "Too large resource version: " +
            std::to_string(f.store.resource_version() + 5) +
            ", current: " + std::to_string(f.store.resource_version()));
  CHECK(r.body["details"]["causes"][0]["reason"] == "ResourceVersionTooLarge");

  q = ListQuery{};
  q.continue_token = "not a token";
  r = f.store.ListObjects(f.configmaps, Selection{}, q, &page);
  CHECK(r.code == 400);
  CHECK(r.body["message"].get<std::string>().find(
            "continue key is not valid") == 0);
}

TEST_CASE("list options kube-apiserver refuses") {
  auto message = [](const ListQuery& q) {
    ApiResult r = ValidateListQuery(q);
    return r.ok() ? std::string("ok")
                  : std::to_string(r.code) + " " +
                        r.body["message"].get<std::string>();
  };
  ListQuery q;
  q.resource_version_match = "Exact";
  CHECK(message(q) ==
        "422 ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: "
        "Forbidden: resourceVersionMatch is forbidden unless resourceVersion "
        "is provided");
  q.resource_version = "0";
  CHECK(message(q) ==
        "422 ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: "
        "Forbidden: resourceVersionMatch \"exact\" is forbidden for "
        "resourceVersion \"0\"");
  q.resource_version_match = "Newest";
  q.resource_version = "5";
  CHECK(message(q) ==
        "422 ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: "
        "Unsupported value: \"Newest\": supported values: \"Exact\", "
        "\"NotOlderThan\", \"\"");
  q = ListQuery{};
  q.send_initial_events = true;
  CHECK(message(q) ==
        "422 ListOptions.meta.k8s.io \"\" is invalid: sendInitialEvents: "
        "Forbidden: sendInitialEvents is forbidden for list");
  q.watch = true;
  CHECK(message(q) ==
        "422 ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: "
        "Forbidden: sendInitialEvents requires setting resourceVersionMatch "
        "to NotOlderThan");
  q.resource_version_match = "NotOlderThan";
  CHECK(message(q) == "ok");
  q = ListQuery{};
  q.watch = true;
  q.resource_version_match = "NotOlderThan";
  CHECK(message(q) ==
        "422 ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: "
        "Forbidden: resourceVersionMatch is forbidden for watch unless "
        "sendInitialEvents is provided");
  q = ListQuery{};
  q.resource_version = "x";
  CHECK(message(q) == "400 invalid resourceVersion \"x\"");
  q.resource_version = "7";
  q.continue_token = "abc";
  CHECK(message(q) ==
        "400 specifying resource version is not allowed when using continue");
}

TEST_CASE("field selectors are those kube-apiserver supports per kind") {
  ObjectStore store{ObjectStoreOptions{}, kNow};
  auto check = [&](const char* group, const char* plural, const char* sel) {
    const ResourceType* t = store.FindType(group, plural);
    REQUIRE(t != nullptr);
    auto parsed = k8s::internal::FieldSelector::Parse(sel);
    REQUIRE(parsed.ok());
    ApiResult r = CheckFieldSelector(*t, *parsed);
    return r.ok() ? std::string("ok")
                  : std::to_string(r.code) + " " +
                        r.body["message"].get<std::string>();
  };
  CHECK(check("", "configmaps", "metadata.name=a,metadata.namespace=b") ==
        "ok");
  CHECK(check("", "configmaps", "data.k=v") ==
        "400 \"data.k\" is not a known field selector: only "
        "\"metadata.name\", \"metadata.namespace\"");
  CHECK(check("", "pods", "spec.nodeName=n,status.phase!=Running") == "ok");
  CHECK(check("", "pods", "spec.foo=bar") ==
        "400 field label not supported: spec.foo");
  CHECK(check("", "events", "involvedObject.name=web,reason=x") == "ok");
  CHECK(check("", "secrets", "type=kubernetes.io/tls") == "ok");
  CHECK(check("", "services", "spec.type=LoadBalancer") == "ok");
  CHECK(check("", "services", "spec.loadBalancerIP=1") ==
        "400 field label not supported: spec.loadBalancerIP");
  CHECK(check("", "nodes", "spec.unschedulable=false") == "ok");
}

}  // namespace
}  // namespace lb::k8s::testing
