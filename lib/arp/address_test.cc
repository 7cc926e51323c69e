#include "lib/arp/address.h"

#include <doctest/doctest.h>

#include "tests/status_matchers.h"

namespace lb::arp {
namespace {

TEST_CASE("MacAddress parses and prints") {
  ASSIGN_OR_FAIL(MacAddress m, MacAddress::Parse("B8:27:eb:86:e2:85"));
  CHECK(m.ToString() == "b8:27:eb:86:e2:85");
  CHECK(m.bytes()[0] == 0xb8);
  CHECK_FALSE(m.IsMulticast());
  CHECK(MacAddress::Broadcast().IsBroadcast());
  CHECK(MacAddress::Broadcast().IsMulticast());
  CHECK(MacAddress().IsZero());
  CHECK_STATUS(MacAddress::Parse("b8:27:eb:86:e2"),
               absl::StatusCode::kInvalidArgument, "b8:27:eb:86:e2");
  CHECK_STATUS(MacAddress::Parse("b8:27:eb:86:e2:zz"),
               absl::StatusCode::kInvalidArgument, "invalid MAC");
}

TEST_CASE("IpPrefix contains") {
  ASSIGN_OR_FAIL(IpPrefix p, IpPrefix::Parse("192.168.1.10/28"));
  CHECK(p.Contains(*IpAddress::Parse("192.168.1.15")));
  CHECK_FALSE(p.Contains(*IpAddress::Parse("192.168.1.16")));
  CHECK_FALSE(p.Contains(*IpAddress::Parse("::1")));
  ASSIGN_OR_FAIL(IpPrefix p6, IpPrefix::Parse("fd77::1/64"));
  CHECK(p6.Contains(*IpAddress::Parse("fd77::ffff")));
  CHECK_FALSE(p6.Contains(*IpAddress::Parse("fd78::1")));
  ASSIGN_OR_FAIL(IpPrefix host, IpPrefix::Parse("10.0.0.1"));
  CHECK(host.length() == 32);
  CHECK(host.ToString() == "10.0.0.1/32");
  CHECK_STATUS(IpPrefix::Parse("10.0.0.0/33"),
               absl::StatusCode::kInvalidArgument, "out of range");
  CHECK_STATUS(IpPrefix::Parse("10.0.0.0/x"),
               absl::StatusCode::kInvalidArgument, "bad length");
}

}  // namespace
}  // namespace lb::arp
