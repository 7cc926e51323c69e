#include "examples/ipam_operator/operator.h"

#include <doctest/doctest.h>

#include "examples/ipam_operator/manifest.h"
#include "lib/base/simulated_clock.h"
#include "tests/status_matchers.h"

namespace lb::examples {
namespace {

constexpr char kConfig[] = R"(
address-pools:
- name: tiny
  protocol: bgp
  cidr: [10.0.0.0/31]
)";

Service Lb(const std::string& key, std::vector<std::string> ingress = {}) {
  Service s;
  s.fields.key = key;
  s.type = "LoadBalancer";
  s.ingress = std::move(ingress);
  return s;
}

TEST_CASE("start-up re-learns existing addresses before allocating new ones") {
  SimulatedClock clock;
  IpamOperator op(clock);
  ASSIGN_OR_FAIL(ipam::ParsedConfig config, LoadConfig(kConfig));
  REQUIRE_OK(op.SetConfig(config.config));
  // The new service comes first in the list, yet cannot take 10.0.0.0 from its
  // owner.
  std::vector<Outcome> out =
      op.Start({Lb("d/new"), Lb("d/owner", {"10.0.0.0"})});
  REQUIRE(out.size() == 2);
  CHECK(out[0].ingress == std::vector<std::string>{"10.0.0.1"});
  CHECK(out[1].ingress == std::vector<std::string>{"10.0.0.0"});
  CHECK(out[1].message == "kept 10.0.0.0");
}

TEST_CASE("a deleted service frees its address for a pending one") {
  SimulatedClock clock;
  IpamOperator op(clock);
  ASSIGN_OR_FAIL(ipam::ParsedConfig config, LoadConfig(kConfig));
  REQUIRE_OK(op.SetConfig(config.config));
  std::vector<Outcome> out = op.Start({Lb("d/a"), Lb("d/b"), Lb("d/c")});
  CHECK_FALSE(out[2].ok);
  CHECK(absl::StrContains(out[2].message, "no available IPv4 addresses"));
  std::vector<Outcome> retried = op.Delete("d/a");
  REQUIRE(retried.size() == 1);
  CHECK(retried[0].service == "d/c");
  CHECK(retried[0].ingress == std::vector<std::string>{"10.0.0.0"});
}

TEST_CASE("changing the type away from LoadBalancer releases the address") {
  SimulatedClock clock;
  IpamOperator op(clock);
  ASSIGN_OR_FAIL(ipam::ParsedConfig config, LoadConfig(kConfig));
  REQUIRE_OK(op.SetConfig(config.config));
  op.Start({Lb("d/a")});
  Service now = Lb("d/a");
  now.type = "ClusterIP";
  Outcome o = op.Reconcile(now);
  CHECK(o.ingress.empty());
  CHECK_FALSE(op.allocator().Lookup("d/a").has_value());
}

TEST_CASE(
    "services are read from manifests with their annotations and status") {
  ASSIGN_OR_FAIL(std::vector<Service> services, LoadServices(R"(
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
  annotations: {metallb.universe.tf/address-pool: blue}
spec:
  type: LoadBalancer
  ports: [{port: 80, protocol: TCP}]
status:
  loadBalancer:
    ingress: [{ip: 10.0.0.1}]
---
kind: Deployment
metadata: {name: x}
)"));
  REQUIRE(services.size() == 1);
  CHECK(services[0].fields.key == "shop/web");
  CHECK(services[0].fields.annotations.at("metallb.universe.tf/address-pool") ==
        "blue");
  CHECK(services[0].ingress == std::vector<std::string>{"10.0.0.1"});
  CHECK(services[0].fields.ports[0].port == 80);
  CHECK_STATUS(LoadServices("kind: [\n"), absl::StatusCode::kInvalidArgument,
               "could not parse manifest");
}

}  // namespace
}  // namespace lb::examples
