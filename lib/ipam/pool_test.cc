#include "lib/ipam/pool.h"

#include <doctest/doctest.h>

#include "tests/status_matchers.h"

namespace lb::ipam {
namespace {

IpAddress Ip(absl::string_view s) { return IpAddress::Parse(s).value(); }

Pool MakePool(std::vector<const char*> ranges, bool avoid_buggy = false,
              const char* arp_network = nullptr) {
  Pool p;
  p.name = "p";
  for (const char* r : ranges) p.ranges.push_back(IpRange::Parse(r).value());
  p.avoid_buggy_ips = avoid_buggy;
  if (arp_network) p.arp_network = Prefix::Parse(arp_network).value();
  return p;
}

// Counts usable addresses by walking NextUsable, to cross-check Capacity.
absl::uint128 Walk(const PoolSpace& s, IpFamily f) {
  absl::uint128 n = 0;
  std::optional<IpAddress> a = s.FirstUsable(f);
  while (a) {
    ++n;
    std::optional<IpAddress> next = a->Checked(1);
    a = next ? s.NextUsable(*next) : std::nullopt;
  }
  return n;
}

TEST_CASE("capacities match MetalLB's pool counts") {
  struct Case {
    std::vector<const char*> ranges;
    bool avoid_buggy;
    const char* arp_network;
    uint64_t want;
  };
  std::vector<Case> cases = {
      {{"10.0.0.0/24"}, false, nullptr, 256},
      {{"10.0.0.0/24", "10.0.1.0/25"}, false, nullptr, 384},
      {{"10.0.0.0/24", "10.0.1.0/25"}, true, nullptr, 381},
      {{"1.2.3.0/24"}, false, "1.2.3.0/24", 254},
      {{"1.2.3.0/25"}, false, "1.2.3.0/24", 127},
      {{"1.2.3.0/24"}, false, "1.2.0.0/22", 255},
      {{"1.2.3.0/24"}, false, "1.2.0.0/21", 256},
      {{"192.168.1.240/28"}, false, "192.168.1.0/24", 15},
      {{"10.0.0.0/16"}, true, nullptr, 65536 - 512},
      {{"10.0.0.0/24"}, true, "10.0.0.0/24", 254},
      {{"10.0.0.250-10.0.1.5"}, true, nullptr, 10},
  };
  for (const Case& c : cases) {
    CAPTURE(c.ranges[0]);
    PoolSpace s(MakePool(c.ranges, c.avoid_buggy, c.arp_network));
    CHECK(s.Capacity(IpFamily::kV4) == c.want);
    CHECK(Walk(s, IpFamily::kV4) == c.want);
  }
}

TEST_CASE("IPv6 capacities are exact where MetalLB's overflow") {
  PoolSpace s(MakePool({"2001:db8::/64"}));
  CHECK(s.Capacity(IpFamily::kV6) == absl::uint128(1) << 64);
  CHECK(s.Capacity(IpFamily::kV4) == 0);
  PoolSpace big(MakePool({"2001:db8::/32", "2001:db9::/32"}));
  CHECK(big.Capacity(IpFamily::kV6) == absl::uint128(1) << 97);
  PoolSpace all(MakePool({"::/0"}));
  CHECK(all.Capacity(IpFamily::kV6) == absl::Uint128Max());
  PoolSpace arp6(MakePool({"2001:db8::/120"}, false, "2001:db8::/64"));
  CHECK(arp6.Capacity(IpFamily::kV6) ==
        255);  // the subnet-router anycast address is skipped
}

TEST_CASE("usability says why an address is excluded") {
  PoolSpace s(MakePool({"192.168.1.0/24"}, true, "192.168.1.0/24"));
  CHECK(s.Check(Ip("192.168.1.0")) == Unusable::kBuggyIp);
  CHECK(s.Check(Ip("192.168.1.255")) == Unusable::kBuggyIp);
  CHECK(s.Check(Ip("192.168.1.1")) == Unusable::kNone);
  CHECK(s.Check(Ip("192.168.2.1")) == Unusable::kOutside);
  CHECK(s.Check(Ip("2001:db8::1")) == Unusable::kOutside);
  PoolSpace t(MakePool({"192.168.1.240/28"}, false, "192.168.1.0/24"));
  CHECK(t.Check(Ip("192.168.1.255")) == Unusable::kBroadcastAddress);
  PoolSpace u(MakePool({"192.168.1.0/28"}, false, "192.168.1.0/24"));
  CHECK(u.Check(Ip("192.168.1.0")) == Unusable::kNetworkAddress);
}

TEST_CASE("NextUsable and PrevUsable skip exclusions and gaps between ranges") {
  PoolSpace s(MakePool({"10.0.0.250-10.0.1.3", "10.0.5.0/30"}, true));
  CHECK(s.FirstUsable(IpFamily::kV4)->ToString() == "10.0.0.250");
  CHECK(s.NextUsable(Ip("10.0.0.255"))->ToString() == "10.0.1.1");
  CHECK(s.NextUsable(Ip("10.0.1.4"))->ToString() == "10.0.5.1");
  CHECK(s.NextUsable(Ip("10.0.0.1"))->ToString() == "10.0.0.250");
  CHECK_FALSE(s.NextUsable(Ip("10.0.5.4")).has_value());
  CHECK(s.PrevUsable(Ip("10.0.1.0"))->ToString() == "10.0.0.254");
  CHECK(s.PrevUsable(Ip("10.0.5.0"))->ToString() == "10.0.1.3");
  CHECK_FALSE(s.PrevUsable(Ip("10.0.0.249")).has_value());
}

}  // namespace
}  // namespace lb::ipam
