#include "cmd/controller/trim.h"

#include <doctest/doctest.h>

#include "lib/k8s/events.h"
#include "lib/k8s/objects.h"

namespace lb::controller {
namespace {

using k8s::json;

// A Service as an API server returns it after `kubectl apply`.
json FullService() {
  return json::parse(R"({
    "apiVersion": "v1", "kind": "Service",
    "metadata": {
      "name": "nginx", "namespace": "default", "uid": "u-1",
      "resourceVersion": "42", "creationTimestamp": "2024-01-02T03:04:05Z",
      "labels": {"app": "nginx"},
      "annotations": {
        "metallb.universe.tf/address-pool": "my-ip-space",
        "metallb.io/allow-shared-ip": "web",
        "kubectl.kubernetes.io/last-applied-configuration": "{\"a\":1}"
      },
      "managedFields": [{"manager": "kubectl", "operation": "Apply"}]
    },
    "spec": {
      "type": "LoadBalancer", "clusterIP": "10.96.0.10",
      "clusterIPs": ["10.96.0.10"], "sessionAffinity": "None",
      "loadBalancerIP": "192.168.1.240", "loadBalancerClass": "x",
      "externalTrafficPolicy": "Local", "healthCheckNodePort": 31000,
      "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
      "internalTrafficPolicy": "Cluster",
      "ports": [{"name": "http", "protocol": "TCP", "port": 80,
                 "targetPort": 8080, "nodePort": 30080}],
      "selector": {"app": "nginx"}
    },
    "status": {"loadBalancer": {"ingress": [{"ip": "192.168.1.240"}]}}
  })");
}

TEST_CASE("a trimmed Service parses to what the controller reads") {
  json full = FullService();
  json trimmed = full;
  TrimService(trimmed);
  CHECK(trimmed.dump().size() < full.dump().size());
  CHECK_FALSE(trimmed["spec"].contains("clusterIPs"));
  CHECK_FALSE(trimmed["spec"]["ports"][0].contains("targetPort"));
  absl::StatusOr<k8s::Service> a = k8s::Service::FromJson(full);
  absl::StatusOr<k8s::Service> b = k8s::Service::FromJson(trimmed);
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(b->meta.name == a->meta.name);
  CHECK(b->meta.ns == a->meta.ns);
  CHECK(b->meta.resource_version == a->meta.resource_version);
  CHECK(b->meta.creation_timestamp == a->meta.creation_timestamp);
  CHECK(b->type == a->type);
  CHECK(b->load_balancer_ip == a->load_balancer_ip);
  CHECK(b->load_balancer_class == a->load_balancer_class);
  CHECK(b->external_traffic_policy == a->external_traffic_policy);
  CHECK(b->ip_families == a->ip_families);
  CHECK(b->ip_family_policy == a->ip_family_policy);
  CHECK(b->selector == a->selector);
  REQUIRE(b->ports.size() == 1);
  CHECK(b->ports[0].protocol == "TCP");
  CHECK(b->ports[0].port == 80);
  REQUIRE(b->ingress.size() == 1);
  CHECK(b->ingress[0].ip == "192.168.1.240");
  CHECK(b->meta.annotations ==
        std::map<std::string, std::string>{
            {"metallb.io/allow-shared-ip", "web"},
            {"metallb.universe.tf/address-pool", "my-ip-space"}});
  CHECK_FALSE(trimmed["metadata"].contains("managedFields"));
  // Events still name the object exactly.
  k8s::ObjectReference ra = k8s::ObjectReference::Of(full);
  k8s::ObjectReference rb = k8s::ObjectReference::Of(trimmed);
  CHECK(rb.api_version == ra.api_version);
  CHECK(rb.kind == ra.kind);
  CHECK(rb.uid == ra.uid);
  CHECK(rb.resource_version == ra.resource_version);
}

TEST_CASE("a trimmed EndpointSlice keeps its Service, readiness and nodes") {
  json full = json::parse(R"({
    "apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
    "metadata": {"name": "nginx-abc", "namespace": "default",
                 "resourceVersion": "7",
                 "labels": {"kubernetes.io/service-name": "nginx",
                            "endpointslice.kubernetes.io/managed-by": "x"}},
    "addressType": "IPv4",
    "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
    "endpoints": [
      {"addresses": ["10.244.1.5"], "conditions": {"ready": true},
       "nodeName": "node-a", "zone": "z",
       "targetRef": {"kind": "Pod", "name": "nginx-1", "uid": "p"}},
      {"addresses": ["10.244.2.5"], "conditions": {"ready": false},
       "nodeName": "node-b"}]
  })");
  json trimmed = full;
  TrimEndpointSlice(trimmed);
  CHECK(trimmed.dump().size() < full.dump().size());
  CHECK_FALSE(trimmed["endpoints"][0].contains("targetRef"));
  absl::StatusOr<k8s::EndpointSlice> s = k8s::EndpointSlice::FromJson(trimmed);
  REQUIRE(s.ok());
  CHECK(s->meta.resource_version == "7");
  CHECK(s->service_name == "nginx");
  REQUIRE(s->endpoints.size() == 2);
  CHECK(s->endpoints[0].ready);
  CHECK(s->endpoints[0].node_name == "node-a");
  CHECK_FALSE(s->endpoints[1].ready);
  CHECK(s->endpoints[1].node_name == "node-b");
}

TEST_CASE("malformed objects are trimmed without throwing") {
  for (const char* text : {R"("a string")", R"({"metadata": "x", "spec": [1]})",
                           R"({"metadata": {"annotations": [1], "labels": 3},
            "spec": {"ports": [1, {"port": "x"}]}, "status": 5,
            "endpoints": [1, {"conditions": 2}]})"}) {
    json s = json::parse(text);
    json e = s;
    CHECK_NOTHROW(TrimService(s));
    CHECK_NOTHROW(TrimEndpointSlice(e));
  }
}

}  // namespace
}  // namespace lb::controller
