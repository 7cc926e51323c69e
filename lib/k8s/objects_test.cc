#include "lib/k8s/objects.h"

#include <doctest/doctest.h>

#include <memory>

#include "lib/base/simulated_clock.h"
#include "lib/k8s/errors.h"
#include "lib/k8s/events.h"
#include "lib/k8s/retry.h"
#include "lib/k8s/testing/in_memory_client.h"
#include "tests/status_matchers.h"

namespace lb::k8s {
namespace {

struct Fixture {
  SimulatedClock clock;
  testing::InMemoryClient api{clock};
  Client* client = &api;
};

TEST_CASE(
    "Service status: typed view, patch of only the ingress, no update loop") {
  Fixture f;
  json svc = json::parse(R"({"apiVersion":"v1","kind":"Service",
    "metadata":{"name":"nginx","annotations":{"metallb.universe.tf/address-pool":"p"}},
    "spec":{"type":"LoadBalancer","ports":[{"name":"http","port":80}],
            "selector":{"app":"nginx"},"sessionAffinityConfig":{"clientIP":{"timeoutSeconds":600}}}})");
  ASSIGN_OR_FAIL(json created, f.client->Create(kServices, "default", svc));
  ASSIGN_OR_FAIL(Service s, Service::FromJson(created));
  CHECK(s.meta.name == "nginx");
  CHECK(s.meta.annotations["metallb.universe.tf/address-pool"] == "p");
  CHECK(s.type == "LoadBalancer");
  CHECK(s.ports.size() == 1);
  CHECK(s.ports[0].node_port >= 30000);
  CHECK(s.ports[0].target_port == "80");
  CHECK(s.ip_families == std::vector<std::string>{"IPv4"});
  CHECK(s.ingress.empty());
  std::vector<LoadBalancerIngress> want = {{"192.168.1.240", "", ""}};
  ASSIGN_OR_FAIL(
      json patched,
      f.client->MergePatch(kServices, "default", "nginx",
                           ServiceStatusPatch(want), Subresource::kStatus));
  ASSIGN_OR_FAIL(s, Service::FromJson(patched));
  REQUIRE(s.ingress.size() == 1);
  CHECK(s.ingress[0].ip_mode == "VIP");  // the server filled it in
  CHECK(IngressEqual(s.ingress, want));  // ... and it compares equal
  CHECK_FALSE(IngressEqual(s.ingress, {{"192.168.1.241", "", ""}}));
  CHECK_FALSE(IngressEqual(s.ingress, {}));
  // Fields the client does not model survived the write.
  CHECK(s.raw["spec"]["sessionAffinityConfig"]["clientIP"]["timeoutSeconds"] ==
        600);
  // Releasing: an empty list.
  ASSIGN_OR_FAIL(patched, f.client->MergePatch(kServices, "default", "nginx",
                                               ServiceStatusPatch({}),
                                               Subresource::kStatus));
  ASSIGN_OR_FAIL(s, Service::FromJson(patched));
  CHECK(s.ingress.empty());
  ASSIGN_OR_FAIL(
      patched, f.client->MergePatch(
                   kServices, "default", "nginx",
                   AnnotationsPatch(
                       {{"metallb.universe.tf/address-pool", std::nullopt}})));
  ASSIGN_OR_FAIL(s, Service::FromJson(patched));
  CHECK(s.meta.annotations.empty());
}

TEST_CASE("EndpointSlice, Node, Secret, ConfigMap decoding") {
  ASSIGN_OR_FAIL(EndpointSlice es, EndpointSlice::FromJson(json::parse(R"({
    "metadata":{"name":"web-abc","namespace":"default",
                "labels":{"kubernetes.io/service-name":"web"}},
    "addressType":"IPv4",
    "endpoints":[{"addresses":["10.0.0.1"],"nodeName":"n1"},
                 {"addresses":["10.0.0.2"],"nodeName":"n2",
                  "conditions":{"ready":false,"terminating":true}}],
    "ports":[{"port":8080,"protocol":"TCP"}]})")));
  CHECK(es.service_name == "web");
  REQUIRE(es.endpoints.size() == 2);
  CHECK(es.endpoints[0].ready);
  CHECK_FALSE(es.endpoints[1].ready);
  CHECK(es.endpoints[1].terminating);
  CHECK(es.endpoints[1].node_name == "n2");
  ASSIGN_OR_FAIL(Node n,
                 Node::FromJson(json::parse(R"({"metadata":{"name":"n1"},
    "status":{"conditions":[{"type":"MemoryPressure","status":"False"},
                            {"type":"Ready","status":"True"}],
              "addresses":[{"type":"InternalIP","address":"192.168.1.10"}]}})")));
  CHECK(n.ready);
  CHECK(n.addresses[0].address == "192.168.1.10");
  ASSIGN_OR_FAIL(Secret sec,
                 Secret::FromJson(json::parse(
                     R"({"metadata":{"name":"s"},"data":{"k":"aGVsbG8="}})")));
  CHECK(sec.data["k"] == "hello");
  CHECK_STATUS(Secret::FromJson(json::parse(
                   R"({"metadata":{"name":"s"},"data":{"k":"!!"}})")),
               absl::StatusCode::kInvalidArgument, "data[\"k\"] is not base64");
  CHECK_STATUS(ConfigMap::FromJson(json::parse(R"({"data":{}})")),
               absl::StatusCode::kInvalidArgument, "metadata.name");
  ASSIGN_OR_FAIL(
      ConfigMap cm,
      ConfigMap::FromJson(json::parse(
          R"({"metadata":{"name":"config"},"data":{"config":"a: 1"}})")));
  CHECK(cm.data["config"] == "a: 1");
}

TEST_CASE("RetryOnConflict re-reads and wins against a concurrent writer") {
  Fixture f;
  // Nothing moves the simulated clock here; the retry's wait is not tested.
  const RetryOptions kNoDelay{.attempts = 5, .delay = absl::ZeroDuration()};
  REQUIRE_OK(f.client->Create(
      kConfigMaps, "default",
      {{"metadata", {{"name", "counter"}}}, {"data", {{"n", "0"}}}}));
  int attempts = 0;
  absl::Status s = RetryOnConflict(
      f.clock,
      [&]() -> absl::Status {
        ++attempts;
        auto cm = f.client->Get(kConfigMaps, "default", "counter");
        if (!cm.ok()) return cm.status();
        if (attempts == 1) {
          // Someone else writes between our read and our write.
          auto other = f.client->MergePatch(kConfigMaps, "default", "counter",
                                            {{"data", {{"other", "1"}}}});
          if (!other.ok()) return other.status();
        }
        int n = std::stoi((*cm)["data"]["n"].get<std::string>());
        return f.client
            ->MergePatch(
                kConfigMaps, "default", "counter",
                {{"metadata",
                  {{"resourceVersion", (*cm)["metadata"]["resourceVersion"]}}},
                 {"data", {{"n", std::to_string(n + 1)}}}})
            .status();
      },
      kNoDelay);
  CHECK_OK(s);
  CHECK(attempts == 2);
  ASSIGN_OR_FAIL(json cm, f.client->Get(kConfigMaps, "default", "counter"));
  CHECK(cm["data"]["n"] == "1");
  CHECK(cm["data"]["other"] == "1");
  // A conflict every time: gives up after the configured attempts.
  attempts = 0;
  s = RetryOnConflict(f.clock,
                      [&] {
                        ++attempts;
                        return StatusFromApi(409, "Conflict",
                                             "the object has been modified");
                      },
                      {.attempts = 3, .delay = absl::ZeroDuration()});
  CHECK(IsConflict(s));
  CHECK(attempts == 3);
}

TEST_CASE("EventRecorder aggregates repeats and rate-limits them") {
  Fixture f;
  SimulatedClock sim(absl::FromUnixSeconds(1700000000));
  EventRecorder recorder(*f.client, sim,
                         {.component = "lb-controller",
                          .host = "node-a",
                          .burst = 3,
                          .refill = absl::Minutes(5)});
  json svc = {{"apiVersion", "v1"},
              {"kind", "Service"},
              {"metadata",
               {{"name", "nginx"}, {"namespace", "default"}, {"uid", "u1"}}}};
  ObjectReference ref = ObjectReference::Of(svc);
  CHECK_OK(recorder.Record(ref, "Normal", "IPAllocated",
                           "Assigned IP \"192.168.1.240\""));
  sim.AdvanceTime(absl::Seconds(1));
  CHECK_OK(recorder.Record(ref, "Normal", "IPAllocated",
                           "Assigned IP \"192.168.1.240\""));
  CHECK_OK(recorder.Record(ref, "Warning", "AllocationFailed", "no addresses"));
  ASSIGN_OR_FAIL(ObjectList events, f.client->List(kEvents, "default"));
  REQUIRE(events.items.size() == 2);
  int total = 0;
  for (const json& e : events.items) {
    ASSIGN_OR_FAIL(EventInfo info, EventInfo::FromJson(e));
    CHECK(info.involved_name == "nginx");
    if (info.reason == "IPAllocated") {
      CHECK(info.count == 2);
      CHECK(e["source"]["component"] == "lb-controller");
      CHECK(e["lastTimestamp"] == "2023-11-14T22:13:21Z");
    }
    total += info.count;
  }
  CHECK(total == 3);
  CHECK_OK(recorder.Record(ref, "Normal", "IPAllocated",
                           "Assigned IP \"192.168.1.240\""));
  CHECK_STATUS(recorder.Record(ref, "Normal", "IPAllocated",
                               "Assigned IP \"192.168.1.240\""),
               absl::StatusCode::kResourceExhausted, "rate-limited");
  sim.AdvanceTime(absl::Minutes(5));
  CHECK_OK(recorder.Record(ref, "Normal", "IPAllocated",
                           "Assigned IP \"192.168.1.240\""));
  CHECK_STATUS(recorder.Record(ref, "Bad", "X", "y"),
               absl::StatusCode::kInvalidArgument, "Normal or Warning");
}

}  // namespace
}  // namespace lb::k8s
