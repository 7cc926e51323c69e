#include "lib/ipam/occupancy.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "lib/base/ip_address.h"
#include "lib/ipam/config.h"
#include "lib/ipam/pool.h"

namespace lb::ipam {
namespace {

IpAddress Ip(absl::string_view s) { return IpAddress::Parse(s).value(); }

Pool MakePool(std::vector<const char*> ranges, bool avoid_buggy = false) {
  Pool p;
  p.name = "p";
  for (const char* r : ranges) p.ranges.push_back(IpRange::Parse(r).value());
  p.avoid_buggy_ips = avoid_buggy;
  return p;
}

std::string LowestFree(const Occupancy& o, IpFamily f) {
  std::optional<IpAddress> a = o.LowestFree(f);
  return a ? a->ToString() : "none";
}

TEST_CASE("marking and unmarking keeps maximal runs and the lowest free") {
  PoolSpace space(MakePool({"10.0.0.0/29"}));
  Occupancy o(space);
  CHECK(LowestFree(o, IpFamily::kV4) == "10.0.0.0");
  CHECK(o.run_count(IpFamily::kV4) == 0);
  o.Mark(Ip("10.0.0.0"));
  o.Mark(Ip("10.0.0.2"));
  CHECK(o.run_count(IpFamily::kV4) == 2);
  CHECK(LowestFree(o, IpFamily::kV4) == "10.0.0.1");
  // Filling the gap joins both runs into one.
  o.Mark(Ip("10.0.0.1"));
  CHECK(o.run_count(IpFamily::kV4) == 1);
  CHECK(LowestFree(o, IpFamily::kV4) == "10.0.0.3");
  // Marking twice changes nothing.
  o.Mark(Ip("10.0.0.1"));
  CHECK(o.run_count(IpFamily::kV4) == 1);
  CHECK(o.Contains(Ip("10.0.0.1")));
  CHECK_FALSE(o.Contains(Ip("10.0.0.3")));
  // Unmarking the middle splits the run; unmarking twice changes nothing.
  o.Unmark(Ip("10.0.0.1"));
  o.Unmark(Ip("10.0.0.1"));
  CHECK(o.run_count(IpFamily::kV4) == 2);
  CHECK_FALSE(o.Contains(Ip("10.0.0.1")));
  CHECK(LowestFree(o, IpFamily::kV4) == "10.0.0.1");
  // Unmarking the ends of runs shrinks them away.
  o.Unmark(Ip("10.0.0.0"));
  o.Unmark(Ip("10.0.0.2"));
  CHECK(o.run_count(IpFamily::kV4) == 0);
  o.Unmark(Ip("10.0.0.5"));  // never marked
  CHECK(o.run_count(IpFamily::kV4) == 0);
}

TEST_CASE("unusable addresses and range gaps do not separate runs") {
  // 10.0.0.255 and 10.0.1.0 are unusable; the second range starts after a gap.
  PoolSpace space(MakePool({"10.0.0.254-10.0.1.1", "10.0.2.0/31"}, true));
  Occupancy o(space);
  CHECK(LowestFree(o, IpFamily::kV4) == "10.0.0.254");
  o.Mark(Ip("10.0.0.254"));
  o.Mark(Ip("10.0.1.1"));
  CHECK(o.run_count(IpFamily::kV4) == 1);
  CHECK(LowestFree(o, IpFamily::kV4) == "10.0.2.1");  // 10.0.2.0 is buggy
  o.Mark(Ip("10.0.2.1"));
  CHECK(o.run_count(IpFamily::kV4) == 1);
  CHECK(LowestFree(o, IpFamily::kV4) == "none");
  // Splitting around the unusable addresses leaves the usable neighbours.
  o.Unmark(Ip("10.0.1.1"));
  CHECK(o.run_count(IpFamily::kV4) == 2);
  CHECK(o.Contains(Ip("10.0.0.254")));
  CHECK(o.Contains(Ip("10.0.2.1")));
  CHECK(LowestFree(o, IpFamily::kV4) == "10.0.1.1");
}

TEST_CASE("families are kept apart, and a /64 costs one run") {
  PoolSpace space(MakePool({"10.0.0.0/30", "2001:db8::/64"}));
  Occupancy o(space);
  o.Mark(Ip("10.0.0.0"));
  CHECK(LowestFree(o, IpFamily::kV6) == "2001:db8::");
  for (int i = 0; i < 1000; ++i) {
    o.Mark(Ip(absl::StrCat("2001:db8::", absl::Hex(i))));
  }
  CHECK(o.run_count(IpFamily::kV6) == 1);
  CHECK(o.run_count(IpFamily::kV4) == 1);
  CHECK(LowestFree(o, IpFamily::kV6) == "2001:db8::3e8");
  CHECK(LowestFree(o, IpFamily::kV4) == "10.0.0.1");
  // The last address of the space: no overflow past it.
  o.Mark(Ip("2001:db8::ffff:ffff:ffff:ffff"));
  CHECK(o.run_count(IpFamily::kV6) == 2);
  CHECK(o.Contains(Ip("2001:db8::ffff:ffff:ffff:ffff")));
}

TEST_CASE("a full space has no free address") {
  PoolSpace space(MakePool({"10.0.0.0/31"}));
  Occupancy o(space);
  o.Mark(Ip("10.0.0.1"));
  o.Mark(Ip("10.0.0.0"));
  CHECK(o.run_count(IpFamily::kV4) == 1);
  CHECK(LowestFree(o, IpFamily::kV4) == "none");
  CHECK(LowestFree(o, IpFamily::kV6) == "none");
}

}  // namespace
}  // namespace lb::ipam
