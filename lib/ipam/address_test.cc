#include "lib/ipam/address.h"

#include <doctest/doctest.h>

#include "tests/status_matchers.h"

namespace lb::ipam {
namespace {

TEST_CASE("IPv4 parses, prints and orders") {
  ASSIGN_OR_FAIL(IpAddress a, IpAddress::Parse("192.168.1.240"));
  CHECK(a.is_v4());
  CHECK(a.value() == absl::uint128(0xc0a801f0u));
  CHECK(a.ToString() == "192.168.1.240");
  CHECK(a.Offset(15).ToString() == "192.168.1.255");
  CHECK(a.Offset(16).ToString() == "192.168.2.0");
  CHECK(a < a.Offset(1));
}

TEST_CASE("IPv6 parses and prints canonically") {
  ASSIGN_OR_FAIL(IpAddress a, IpAddress::Parse("2001:DB8:0:0:0:0:0:1"));
  CHECK_FALSE(a.is_v4());
  CHECK(a.ToString() == "2001:db8::1");
  CHECK(a.Offset(0xffff).ToString() == "2001:db8::1:0");
  ASSIGN_OR_FAIL(IpAddress b,
                 IpAddress::Parse("2001:db8::ffff:ffff:ffff:ffff"));
  CHECK(b.Offset(1).ToString() == "2001:db8:0:1::");
}

TEST_CASE("offsets that leave the address space are refused") {
  ASSIGN_OR_FAIL(IpAddress v4max, IpAddress::Parse("255.255.255.255"));
  CHECK_FALSE(v4max.Checked(1).has_value());
  CHECK(v4max.Checked(0).has_value());
  ASSIGN_OR_FAIL(IpAddress v6max,
                 IpAddress::Parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
  CHECK_FALSE(v6max.Checked(1).has_value());
}

TEST_CASE("IPv4 sorts before IPv6 and families never compare equal") {
  ASSIGN_OR_FAIL(IpAddress v4, IpAddress::Parse("10.0.0.1"));
  ASSIGN_OR_FAIL(IpAddress v6, IpAddress::Parse("::a00:1"));
  CHECK(v4.value() == v6.value());
  CHECK(v4 != v6);
  CHECK(v4 < v6);
}

TEST_CASE("malformed addresses name the text") {
  for (const char* bad :
       {"", "1.2.3", "1.2.3.256", "01.2.3.4", "1.2.3.4 ", "::g", "1::2::3",
        "fe80::1%eth0", "[::1]", "192.168.1.0/24"}) {
    CAPTURE(bad);
    CHECK_STATUS(IpAddress::Parse(bad), absl::StatusCode::kInvalidArgument,
                 absl::StrCat("\"", bad, "\""));
  }
}

}  // namespace
}  // namespace lb::ipam
