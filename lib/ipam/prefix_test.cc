#include "lib/ipam/prefix.h"

#include <doctest/doctest.h>

#include "tests/status_matchers.h"

namespace lb::ipam {
namespace {

IpAddress Ip(absl::string_view s) { return IpAddress::Parse(s).value(); }

TEST_CASE("prefixes parse with their bounds and size") {
  ASSIGN_OR_FAIL(Prefix p, Prefix::Parse("192.168.1.240/28"));
  CHECK(p.first().ToString() == "192.168.1.240");
  CHECK(p.last().ToString() == "192.168.1.255");
  CHECK(p.Size() == 16);
  CHECK(p.Contains(Ip("192.168.1.250")));
  CHECK_FALSE(p.Contains(Ip("192.168.2.0")));
  CHECK(p.ToString() == "192.168.1.240/28");

  ASSIGN_OR_FAIL(Prefix v6, Prefix::Parse("2001:db8::/64"));
  CHECK(v6.Size() == absl::uint128(1) << 64);
  CHECK(v6.last().ToString() == "2001:db8::ffff:ffff:ffff:ffff");
  ASSIGN_OR_FAIL(Prefix all, Prefix::Parse("::/0"));
  CHECK(all.Size() == absl::Uint128Max());
  ASSIGN_OR_FAIL(Prefix all4, Prefix::Parse("0.0.0.0/0"));
  CHECK(all4.Size() == absl::uint128(1) << 32);
  ASSIGN_OR_FAIL(Prefix host, Prefix::Parse("10.0.0.1/32"));
  CHECK(host.Size() == 1);
}

TEST_CASE("a CIDR with host bits set names the aligned prefix") {
  CHECK_STATUS(Prefix::Parse("192.168.1.241/28"),
               absl::StatusCode::kInvalidArgument,
               "invalid CIDR \"192.168.1.241/28\": host bits are set; the "
               "aligned prefix is "
               "\"192.168.1.240/28\"");
  CHECK_STATUS(Prefix::Parse("2001:db8::1/64"),
               absl::StatusCode::kInvalidArgument, "\"2001:db8::/64\"");
}

TEST_CASE("malformed prefixes are rejected with the reason") {
  CHECK_STATUS(Prefix::Parse("192.168.1.0"), absl::StatusCode::kInvalidArgument,
               "missing /length");
  CHECK_STATUS(Prefix::Parse("192.168.1.0/33"),
               absl::StatusCode::kInvalidArgument, "0 to 32");
  CHECK_STATUS(Prefix::Parse("::/129"), absl::StatusCode::kInvalidArgument,
               "0 to 128");
  CHECK_STATUS(Prefix::Parse("1.2.3.0/-1"), absl::StatusCode::kInvalidArgument,
               "0 to 32");
  CHECK_STATUS(Prefix::Parse("1.2.3.0/ 24"), absl::StatusCode::kInvalidArgument,
               "0 to 32");
  CHECK_STATUS(Prefix::Parse("1.2.3/24"), absl::StatusCode::kInvalidArgument,
               "the address does not parse");
}

TEST_CASE("prefix containment") {
  Prefix p24 = Prefix::Parse("10.1.2.0/24").value();
  CHECK(p24.Contains(Prefix::Parse("10.1.2.128/25").value()));
  CHECK(p24.Contains(p24));
  CHECK_FALSE(p24.Contains(Prefix::Parse("10.1.0.0/16").value()));
  CHECK_FALSE(p24.Contains(Prefix::Parse("10.1.3.0/25").value()));
  CHECK_FALSE(p24.Contains(Prefix::Parse("::/0").value()));
}

TEST_CASE("ranges parse as a-b or CIDR") {
  ASSIGN_OR_FAIL(IpRange r, IpRange::Parse("192.168.10.0 - 192.168.10.20"));
  CHECK(r.Size() == 21);
  CHECK(r.ToString() == "192.168.10.0-192.168.10.20");
  ASSIGN_OR_FAIL(IpRange c, IpRange::Parse("10.0.0.0/30"));
  CHECK(c.Size() == 4);
  CHECK(c.ToString() == "10.0.0.0/30");
  ASSIGN_OR_FAIL(IpRange single, IpRange::Parse("10.0.0.5-10.0.0.5"));
  CHECK(single.Size() == 1);
  ASSIGN_OR_FAIL(IpRange v6, IpRange::Parse("2001:db8::10-2001:db8::1f"));
  CHECK(v6.Size() == 16);
  CHECK(v6.ToString() == "2001:db8::10/124");
}

TEST_CASE("bad ranges say why") {
  CHECK_STATUS(IpRange::Parse("10.0.0.9-10.0.0.1"),
               absl::StatusCode::kInvalidArgument,
               "the first address is above the last");
  CHECK_STATUS(IpRange::Parse("10.0.0.1-2001:db8::1"),
               absl::StatusCode::kInvalidArgument, "different families");
  CHECK_STATUS(IpRange::Parse("10.0.0.1-x"), absl::StatusCode::kInvalidArgument,
               "the last address does not parse");
}

TEST_CASE("range overlap") {
  IpRange a = IpRange::Parse("10.0.0.0-10.0.0.10").value();
  CHECK(a.Overlaps(IpRange::Parse("10.0.0.10-10.0.0.20").value()));
  CHECK_FALSE(a.Overlaps(IpRange::Parse("10.0.0.11-10.0.0.20").value()));
  CHECK_FALSE(a.Overlaps(IpRange::Parse("::-::ffff").value()));
}

}  // namespace
}  // namespace lb::ipam
