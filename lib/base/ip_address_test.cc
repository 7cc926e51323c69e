#include "lib/base/ip_address.h"

#include <doctest/doctest.h>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "tests/status_matchers.h"

namespace lb {
namespace {

TEST_CASE("IPv4 parses, prints, orders and steps") {
  ASSIGN_OR_FAIL(IpAddress a, IpAddress::Parse("192.168.1.240"));
  CHECK(a.is_v4());
  CHECK(a.family() == IpFamily::kV4);
  CHECK(a.value() == absl::uint128(0xc0a801f0u));
  CHECK(a.v4_value() == 0xc0a801f0u);
  CHECK(a == IpAddress::V4(0xc0a801f0u));
  CHECK(a.size() == 4);
  CHECK(a.data()[0] == 192);
  CHECK(a.data()[3] == 240);
  CHECK(a.ToString() == "192.168.1.240");
  CHECK(a.Offset(15).ToString() == "192.168.1.255");
  CHECK(a.Offset(16).ToString() == "192.168.2.0");
  CHECK(a < a.Offset(1));
  CHECK(a.Offset(1) > a);
}

TEST_CASE("IPv6 parses, prints canonically and steps across words") {
  ASSIGN_OR_FAIL(IpAddress a, IpAddress::Parse("2001:DB8:0:0:0:0:0:1"));
  CHECK(a.is_v6());
  CHECK(a.size() == 16);
  CHECK(a.data()[0] == 0x20);
  CHECK(a.data()[15] == 0x01);
  CHECK(a.ToString() == "2001:db8::1");
  CHECK(a.Offset(0xffff).ToString() == "2001:db8::1:0");
  ASSIGN_OR_FAIL(IpAddress b,
                 IpAddress::Parse("2001:db8::ffff:ffff:ffff:ffff"));
  CHECK(b.Offset(1).ToString() == "2001:db8:0:1::");
  CHECK(b < b.Offset(1));
  CHECK(IpAddress::FromValue(IpFamily::kV6, b.value()) == b);
  CHECK(IpAddress::V6FromBytes(b.data()) == b);
}

TEST_CASE("offsets that leave the address space are refused") {
  ASSIGN_OR_FAIL(IpAddress v4max, IpAddress::Parse("255.255.255.255"));
  CHECK_FALSE(v4max.Checked(1).has_value());
  CHECK(v4max.Checked(0).has_value());
  CHECK(v4max.value() == MaxValue(IpFamily::kV4));
  ASSIGN_OR_FAIL(IpAddress v6max,
                 IpAddress::Parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
  CHECK_FALSE(v6max.Checked(1).has_value());
  CHECK(v6max.value() == MaxValue(IpFamily::kV6));
}

TEST_CASE("IPv4 sorts before IPv6 and families never compare equal") {
  ASSIGN_OR_FAIL(IpAddress v4, IpAddress::Parse("10.0.0.1"));
  ASSIGN_OR_FAIL(IpAddress v6, IpAddress::Parse("::a00:1"));
  CHECK(v4.value() == v6.value());
  CHECK(v4 != v6);
  CHECK(v4 < v6);
  absl::flat_hash_set<IpAddress> set = {v4, v6, v4};
  CHECK(set.size() == 2);
}

TEST_CASE("special ranges are recognised in both families") {
  CHECK(IpAddress().IsUnspecified());
  CHECK(IpAddress::Parse("::")->IsUnspecified());
  CHECK_FALSE(IpAddress::Parse("::1")->IsUnspecified());
  CHECK(IpAddress::Parse("fe80::1")->IsLinkLocal());
  CHECK(IpAddress::Parse("169.254.3.4")->IsLinkLocal());
  CHECK_FALSE(IpAddress::Parse("169.255.3.4")->IsLinkLocal());
  CHECK(IpAddress::Parse("ff02::1")->IsMulticast());
  CHECK(IpAddress::Parse("239.1.1.1")->IsMulticast());
  CHECK_FALSE(IpAddress::Parse("240.1.1.1")->IsMulticast());
}

TEST_CASE("malformed addresses name the text") {
  for (const char* bad :
       {"", "1.2.3", "1.2.3.256", "01.2.3.4", "1.2.3.4 ", "::g", "1::2::3",
        "fe80::1%eth0", "[::1]", "192.168.1.0/24",
        "0000:0000:0000:0000:0000:0000:0000:0000:0"}) {
    CAPTURE(bad);
    CHECK_STATUS(IpAddress::Parse(bad), absl::StatusCode::kInvalidArgument,
                 absl::StrCat("\"", bad, "\""));
  }
}

}  // namespace
}  // namespace lb
