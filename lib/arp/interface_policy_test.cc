#include "lib/arp/interface_policy.h"

#include <doctest/doctest.h>

#include "lib/arp/fake_link_watcher.h"

namespace lb::arp {
namespace {

const MacAddress kMac = *MacAddress::Parse("02:00:00:00:00:01");

TEST_CASE("glob patterns") {
  CHECK(MatchesPattern("veth1234", "veth*"));
  CHECK(MatchesPattern("lo", "lo"));
  CHECK_FALSE(MatchesPattern("lo0", "lo"));
  CHECK(MatchesPattern("eth0.100", "eth?.*"));
  CHECK(MatchesPattern("abcabc", "*bc"));
  CHECK_FALSE(MatchesPattern("eth0", "veth*"));
  CHECK(MatchesPattern("", "*"));
}

TEST_CASE("link eligibility names its reason") {
  InterfacePolicy policy;
  Link eth = EthernetLink(2, "eth0", kMac, {"192.168.1.10/24", "fd77::10/64"});
  CHECK(EvaluateLink(eth, policy) == LinkVerdict::kEligible);

  Link l = eth;
  l.up = false;
  CHECK(EvaluateLink(l, policy) == LinkVerdict::kDown);
  l = eth;
  l.lower_up = false;
  CHECK(EvaluateLink(l, policy) == LinkVerdict::kNoCarrier);
  l = eth;
  l.loopback = true;
  CHECK(EvaluateLink(l, policy) == LinkVerdict::kLoopback);
  l = eth;
  l.ethernet = false;
  CHECK(EvaluateLink(l, policy) == LinkVerdict::kNotEthernet);
  l = eth;
  l.noarp = true;
  CHECK(EvaluateLink(l, policy) == LinkVerdict::kNoArp);
  l = eth;
  l.master = 7;
  CHECK(EvaluateLink(l, policy) == LinkVerdict::kEnslaved);
  l = eth;
  l.name = "cali12345";
  CHECK(EvaluateLink(l, policy) == LinkVerdict::kExcluded);
  CHECK(LinkVerdictName(LinkVerdict::kExcluded) == "excluded");

  InterfacePolicy only;
  only.include = {"eth1"};
  CHECK(EvaluateLink(eth, only) == LinkVerdict::kNotIncluded);
  only.include = {"eth0"};
  CHECK(EvaluateLink(eth, only) == LinkVerdict::kEligible);
  // An explicitly listed name is not excluded by a pattern.
  only.include = {"veth0"};
  l = eth;
  l.name = "veth0";
  CHECK(EvaluateLink(l, only) == LinkVerdict::kEligible);
}

TEST_CASE("an address is served where a prefix contains it") {
  InterfacePolicy policy;
  Link eth = EthernetLink(2, "eth0", kMac, {"192.168.1.10/24", "fd77::10/64"});
  CHECK(EvaluateLinkFor(eth, *IpAddress::Parse("192.168.1.240"), policy) ==
        LinkVerdict::kEligible);
  CHECK(EvaluateLinkFor(eth, *IpAddress::Parse("fd77::240"), policy) ==
        LinkVerdict::kEligible);
  CHECK(EvaluateLinkFor(eth, *IpAddress::Parse("10.0.0.1"), policy) ==
        LinkVerdict::kNoMatchingPrefix);
  policy.require_matching_prefix = false;
  CHECK(EvaluateLinkFor(eth, *IpAddress::Parse("10.0.0.1"), policy) ==
        LinkVerdict::kEligible);
}

TEST_CASE("policy validation") {
  InterfacePolicy p;
  CHECK(ValidatePolicy(p).ok());
  p.exclude.push_back("");
  CHECK(ValidatePolicy(p).code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace lb::arp
