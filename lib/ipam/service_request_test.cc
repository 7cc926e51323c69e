#include "lib/ipam/service_request.h"

#include <doctest/doctest.h>

#include "tests/status_matchers.h"

namespace lb::ipam {
namespace {

TEST_CASE("a plain Service asks for any auto-assign IPv4 address") {
  ServiceFields s;
  s.key = "default/nginx";
  ASSIGN_OR_FAIL(Request r, RequestFromService(s));
  CHECK(r.service == "default/nginx");
  CHECK(r.requested.empty());
  CHECK(r.pool.empty());
  CHECK(r.sharing_key.empty());
  CHECK(r.traffic_policy == TrafficPolicy::kCluster);
  CHECK(r.family_policy == IpFamilyPolicy::kSingleStack);
}

TEST_CASE("MetalLB's annotations are recognised by prefix") {
  CHECK(IsMetalLbAnnotation("metallb.universe.tf/address-pool"));
  CHECK(IsMetalLbAnnotation("metallb.io/loadBalancerIPs"));
  CHECK_FALSE(
      IsMetalLbAnnotation("kubectl.kubernetes.io/last-applied-configuration"));
  CHECK_FALSE(IsMetalLbAnnotation("metallb.universe.tf"));
  CHECK_FALSE(IsMetalLbAnnotation("example.com/metallb.io/x"));
}

TEST_CASE("both annotation prefixes are read") {
  for (const char* prefix : {"metallb.universe.tf/", "metallb.io/"}) {
    CAPTURE(prefix);
    ServiceFields s;
    s.key = "default/a";
    s.annotations[absl::StrCat(prefix, "address-pool")] = "blue";
    s.annotations[absl::StrCat(prefix, "allow-shared-ip")] = "k1";
    s.annotations[absl::StrCat(prefix, "loadBalancerIPs")] =
        "10.0.0.1, 2001:db8::1";
    s.ip_family_policy = "RequireDualStack";
    ASSIGN_OR_FAIL(Request r, RequestFromService(s));
    CHECK(r.pool == "blue");
    CHECK(r.sharing_key == "k1");
    REQUIRE(r.requested.size() == 2);
    CHECK(r.requested[1].ToString() == "2001:db8::1");
    CHECK(r.family_policy == IpFamilyPolicy::kRequireDualStack);
    CHECK(r.families == std::vector<IpFamily>{IpFamily::kV4});
  }
}

TEST_CASE("traffic policy Local makes the selector the sharing backend") {
  ServiceFields s;
  s.key = "default/a";
  s.external_traffic_policy = "Local";
  s.selector = {{"tier", "web"}, {"app", "nginx"}};
  s.ports = {{"TCP", 80}};
  s.ip_families = {"IPv6", "IPv4"};
  s.ip_family_policy = "PreferDualStack";
  ASSIGN_OR_FAIL(Request r, RequestFromService(s));
  CHECK(r.traffic_policy == TrafficPolicy::kLocal);
  CHECK(r.backend == "app=nginx,tier=web");
  CHECK(r.families == std::vector<IpFamily>{IpFamily::kV6, IpFamily::kV4});
  CHECK(r.ports.size() == 1);
}

TEST_CASE("malformed or contradictory fields name what is wrong") {
  ServiceFields s;
  s.key = "default/a";
  s.load_balancer_ip = "192.168.1.300";
  CHECK_STATUS(RequestFromService(s), absl::StatusCode::kInvalidArgument,
               "invalid spec.loadBalancerIP \"192.168.1.300\"");
  s.load_balancer_ip = "192.168.1.30";
  s.annotations["metallb.io/loadBalancerIPs"] = "192.168.1.31";
  CHECK_STATUS(RequestFromService(s), absl::StatusCode::kInvalidArgument,
               "both set");
  s.load_balancer_ip.clear();
  s.annotations["metallb.io/loadBalancerIPs"] = "192.168.1.31,nope";
  CHECK_STATUS(RequestFromService(s), absl::StatusCode::kInvalidArgument,
               "invalid address \"nope\" in the loadBalancerIPs annotation");
  s.annotations.clear();
  s.annotations["metallb.io/address-pool"] = "a";
  s.annotations["metallb.universe.tf/address-pool"] = "b";
  CHECK_STATUS(RequestFromService(s), absl::StatusCode::kInvalidArgument,
               "disagree");
  s.annotations.clear();
  s.external_traffic_policy = "Nearby";
  CHECK_STATUS(RequestFromService(s), absl::StatusCode::kInvalidArgument,
               "invalid spec.externalTrafficPolicy \"Nearby\"");
  s.external_traffic_policy.clear();
  s.ip_families = {"IPv5"};
  CHECK_STATUS(RequestFromService(s), absl::StatusCode::kInvalidArgument,
               "\"IPv5\"");
}

}  // namespace
}  // namespace lb::ipam
