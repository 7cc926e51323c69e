#include "lib/arp/wire.h"

#include <doctest/doctest.h>

#include "tests/status_matchers.h"

namespace lb::arp {
namespace {

const MacAddress kClientMac = *MacAddress::Parse("b4:75:0e:63:b2:20");
const MacAddress kNodeMac = *MacAddress::Parse("b8:27:eb:86:e2:85");
const IpAddress kClientIp = *IpAddress::Parse("192.168.1.1");
const IpAddress kVip = *IpAddress::Parse("192.168.1.240");
const IpAddress kClientIp6 = *IpAddress::Parse("fd77::1");
const IpAddress kVip6 = *IpAddress::Parse("2001:db8::12:3456");

ArpFrame RoundTrip(const ArpFrame& f) {
  std::vector<uint8_t> bytes = BuildArpFrame(f);
  REQUIRE(bytes.size() == kMinEthernetFrame);
  auto parsed = ParseArpFrame(bytes);
  REQUIRE_OK(parsed);
  return *parsed;
}

TEST_CASE("ARP request has the RFC 826 layout") {
  std::vector<uint8_t> b =
      BuildArpFrame(MakeArpRequest(kClientMac, kClientIp, kVip));
  REQUIRE(b.size() == 60);
  // Ethernet broadcast, source, EtherType.
  for (int i = 0; i < 6; ++i) CHECK(b[i] == 0xff);
  CHECK(b[6] == 0xb4);
  CHECK(b[12] == 0x08);
  CHECK(b[13] == 0x06);
  // htype 1, ptype 0x0800, 6/4, op 1.
  CHECK(b[15] == 1);
  CHECK(b[16] == 0x08);
  CHECK(b[18] == 6);
  CHECK(b[19] == 4);
  CHECK(b[21] == 1);
  CHECK(b[28] == 192);                                // SPA
  CHECK(b[41] == 240);                                // TPA last byte
  for (size_t i = 42; i < 60; ++i) CHECK(b[i] == 0);  // padding
}

TEST_CASE("every ARP variant builds and parses") {
  SUBCASE("request") {
    ArpFrame f = RoundTrip(MakeArpRequest(kClientMac, kClientIp, kVip));
    CHECK(f.op == ArpOp::kRequest);
    CHECK(f.sender_mac == kClientMac);
    CHECK(f.sender_ip == kClientIp);
    CHECK(f.target_ip == kVip);
    CHECK(f.target_mac.IsZero());
    CHECK_FALSE(f.IsGratuitous());
    CHECK_FALSE(f.IsProbe());
  }
  SUBCASE("probe") {
    ArpFrame f = RoundTrip(MakeArpProbe(kClientMac, kVip));
    CHECK(f.IsProbe());
    CHECK(f.sender_ip.IsUnspecified());
  }
  SUBCASE("request-style gratuitous") {
    ArpFrame f = RoundTrip(MakeGratuitousRequest(kNodeMac, kVip));
    CHECK(f.op == ArpOp::kRequest);
    CHECK(f.IsGratuitous());
    CHECK(f.target_mac.IsZero());
    CHECK(f.ethernet.destination.IsBroadcast());
  }
  SUBCASE("reply-style gratuitous has THA = SHA") {
    ArpFrame f = RoundTrip(MakeGratuitousReply(kNodeMac, kVip));
    CHECK(f.op == ArpOp::kReply);
    CHECK(f.IsGratuitous());
    CHECK(f.target_mac == kNodeMac);
    CHECK(f.ethernet.destination.IsBroadcast());
  }
  SUBCASE("reply is unicast to the requester's SHA") {
    ArpFrame req = MakeArpRequest(kClientMac, kClientIp, kVip);
    req.ethernet.source = *MacAddress::Parse("02:00:00:00:00:99");
    ArpFrame f = RoundTrip(ArpReplyTo(req, kNodeMac));
    CHECK(f.op == ArpOp::kReply);
    CHECK(f.ethernet.destination == kClientMac);
    CHECK(f.ethernet.source == kNodeMac);
    CHECK(f.sender_mac == kNodeMac);
    CHECK(f.sender_ip == kVip);
    CHECK(f.target_mac == kClientMac);
    CHECK(f.target_ip == kClientIp);
  }
}

TEST_CASE("malformed ARP frames are rejected by reason") {
  std::vector<uint8_t> good =
      BuildArpFrame(MakeArpRequest(kClientMac, kClientIp, kVip));
  MalformedReason why;
  struct Case {
    size_t offset;
    uint8_t value;
    MalformedReason reason;
    const char* text;
  };
  for (const Case& c :
       {Case{13, 0x00, MalformedReason::kWrongEtherType, "not ARP"},
        Case{15, 6, MalformedReason::kBadHardwareType, "hardware type 6"},
        Case{17, 0xdd, MalformedReason::kBadProtocolType, "protocol type"},
        Case{18, 20, MalformedReason::kBadAddressLengths, "20/4"},
        Case{21, 3, MalformedReason::kBadOpcode, "opcode 3"}}) {
    std::vector<uint8_t> bad = good;
    bad[c.offset] = c.value;
    CHECK_STATUS(ParseArpFrame(bad, &why), absl::StatusCode::kInvalidArgument,
                 c.text);
    CHECK(why == c.reason);
  }
  CHECK_STATUS(ParseArpFrame(absl::MakeConstSpan(good.data(), 41), &why),
               absl::StatusCode::kInvalidArgument, "too short");
  CHECK(why == MalformedReason::kTruncated);
  // Unpadded 42-byte frames (as veth delivers) are fine.
  CHECK_OK(ParseArpFrame(absl::MakeConstSpan(good.data(), 42), &why));
  CHECK(why == MalformedReason::kNone);
}

TEST_CASE("solicited-node multicast and its MAC") {
  IpAddress g = SolicitedNodeMulticast(kVip6);
  CHECK(g.ToString() == "ff02::1:ff12:3456");
  CHECK(MulticastMac(g).ToString() == "33:33:ff:12:34:56");
  CHECK(MulticastMac(AllNodesMulticast()).ToString() == "33:33:00:00:00:01");
}

TEST_CASE("ICMPv6 checksum matches a known frame") {
  // NS built by hand, checksum then verified to fold to zero.
  NdFrame ns = MakeNeighborSolicitation(kClientMac, kClientIp6, kVip6);
  std::vector<uint8_t> b = BuildNdFrame(ns);
  REQUIRE(b.size() == kNdFrameSize);
  auto icmp = absl::MakeConstSpan(b.data() + 54, 32);
  CHECK(Icmpv6Checksum(kClientIp6, ns.destination, icmp) == 0);
  // RFC 1071 example-style check: a zeroed checksum field recomputes to it.
  std::vector<uint8_t> copy(icmp.begin(), icmp.end());
  uint16_t stored = static_cast<uint16_t>((copy[2] << 8) | copy[3]);
  copy[2] = copy[3] = 0;
  CHECK(Icmpv6Checksum(kClientIp6, ns.destination, copy) == stored);
}

TEST_CASE("every ND message builds and parses") {
  SUBCASE("multicast NS with SLLAO") {
    std::vector<uint8_t> b =
        BuildNdFrame(MakeNeighborSolicitation(kClientMac, kClientIp6, kVip6));
    CHECK(b[21] == 255);  // hop limit
    CHECK(b[54] == 135);
    ASSIGN_OR_FAIL(NdFrame f, ParseNdFrame(b));
    CHECK(f.type == NdType::kNeighborSolicitation);
    CHECK(f.ethernet.destination.ToString() == "33:33:ff:12:34:56");
    CHECK(f.destination.ToString() == "ff02::1:ff12:3456");
    CHECK(f.target == kVip6);
    REQUIRE(f.source_lladdr.has_value());
    CHECK(*f.source_lladdr == kClientMac);
    CHECK_FALSE(f.IsDad());
  }
  SUBCASE("DAD NS has no SLLAO") {
    std::vector<uint8_t> b = BuildNdFrame(
        MakeNeighborSolicitation(kClientMac, *IpAddress::Parse("::"), kVip6));
    CHECK(b.size() == 78);
    ASSIGN_OR_FAIL(NdFrame f, ParseNdFrame(b));
    CHECK(f.IsDad());
    CHECK_FALSE(f.source_lladdr.has_value());
  }
  SUBCASE("solicited NA has S=1 O=1 and goes unicast") {
    NdFrame ns = MakeNeighborSolicitation(kClientMac, kClientIp6, kVip6);
    IpAddress ll = *IpAddress::Parse("fe80::1");
    std::vector<uint8_t> b =
        BuildNdFrame(NeighborAdvertisementTo(ns, kNodeMac, ll));
    CHECK(b[54] == 136);
    CHECK(b[58] == 0x60);  // S|O
    ASSIGN_OR_FAIL(NdFrame f, ParseNdFrame(b));
    CHECK(f.solicited);
    CHECK(f.override_flag);
    CHECK_FALSE(f.router);
    CHECK(f.ethernet.destination == kClientMac);
    CHECK(f.destination == kClientIp6);
    CHECK(f.source == ll);
    REQUIRE(f.target_lladdr.has_value());
    CHECK(*f.target_lladdr == kNodeMac);
  }
  SUBCASE("NA answering DAD goes to all-nodes with S=0") {
    NdFrame ns =
        MakeNeighborSolicitation(kClientMac, *IpAddress::Parse("::"), kVip6);
    ASSIGN_OR_FAIL(NdFrame f, ParseNdFrame(BuildNdFrame(NeighborAdvertisementTo(
                                  ns, kNodeMac, kVip6))));
    CHECK_FALSE(f.solicited);
    CHECK(f.override_flag);
    CHECK(f.destination == AllNodesMulticast());
  }
  SUBCASE("unsolicited NA") {
    ASSIGN_OR_FAIL(NdFrame f,
                   ParseNdFrame(BuildNdFrame(MakeUnsolicitedAdvertisement(
                       kNodeMac, *IpAddress::Parse("fe80::1"), kVip6))));
    CHECK(f.type == NdType::kNeighborAdvertisement);
    CHECK_FALSE(f.solicited);
    CHECK(f.override_flag);
    CHECK(f.ethernet.destination.ToString() == "33:33:00:00:00:01");
  }
}

TEST_CASE("malformed ND frames are rejected by reason") {
  std::vector<uint8_t> good =
      BuildNdFrame(MakeNeighborSolicitation(kClientMac, kClientIp6, kVip6));
  MalformedReason why;
  auto expect = [&](std::vector<uint8_t> bad, MalformedReason reason,
                    const char* text) {
    CHECK_STATUS(ParseNdFrame(bad, &why), absl::StatusCode::kInvalidArgument,
                 text);
    CHECK(why == reason);
  };
  std::vector<uint8_t> b = good;
  b[21] = 64;
  expect(b, MalformedReason::kBadHopLimit, "hop limit 64");
  b = good;
  b[56] ^= 1;
  expect(b, MalformedReason::kBadChecksum, "checksum");
  b = good;
  b[14] = 0x40;
  expect(b, MalformedReason::kBadIpVersion, "version 4");
  b = good;
  b[20] = 17;
  expect(b, MalformedReason::kNotIcmpv6, "next header 17");
  b = good;
  b[54] = 128;
  expect(b, MalformedReason::kNotNeighborDiscovery, "type 128");
  b = good;
  b[12] = 0x08;
  b[13] = 0x00;
  expect(b, MalformedReason::kWrongEtherType, "not IPv6");
  expect(std::vector<uint8_t>(good.begin(), good.begin() + 60),
         MalformedReason::kTruncated, "exceeds the frame");
  expect(std::vector<uint8_t>(good.begin(), good.begin() + 20),
         MalformedReason::kTruncated, "too short");

  // Defects behind a valid checksum: rebuild through the builder.
  NdFrame ns = MakeNeighborSolicitation(kClientMac, kClientIp6, kVip6);
  ns.target = *IpAddress::Parse("ff02::1");
  expect(BuildNdFrame(ns), MalformedReason::kMulticastTarget, "multicast");

  NdFrame dad =
      MakeNeighborSolicitation(kClientMac, *IpAddress::Parse("::"), kVip6);
  dad.source_lladdr = kClientMac;
  expect(BuildNdFrame(dad), MalformedReason::kBadDadSolicitation, "DAD");

  // Zero-length option, checksum fixed up.
  b = good;
  b[79] = 0;
  b[56] = b[57] = 0;
  uint16_t sum = Icmpv6Checksum(kClientIp6, SolicitedNodeMulticast(kVip6),
                                absl::MakeConstSpan(b.data() + 54, 32));
  b[56] = static_cast<uint8_t>(sum >> 8);
  b[57] = static_cast<uint8_t>(sum);
  expect(b, MalformedReason::kBadOptionLength, "option");

  b = good;
  b[55] = 1;
  b[56] = b[57] = 0;
  sum = Icmpv6Checksum(kClientIp6, SolicitedNodeMulticast(kVip6),
                       absl::MakeConstSpan(b.data() + 54, 32));
  b[56] = static_cast<uint8_t>(sum >> 8);
  b[57] = static_cast<uint8_t>(sum);
  expect(b, MalformedReason::kBadCode, "code 1");

  CHECK(MalformedReasonName(MalformedReason::kBadChecksum) == "bad_checksum");
}

}  // namespace
}  // namespace lb::arp
