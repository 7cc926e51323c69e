#include "lib/arp/decision.h"

#include <doctest/doctest.h>

#include <map>

#include "tests/status_matchers.h"

namespace lb::arp {
namespace {

const MacAddress kClientMac = *MacAddress::Parse("b4:75:0e:63:b2:20");
const MacAddress kNodeMac = *MacAddress::Parse("b8:27:eb:86:e2:85");
const MacAddress kOtherMac = *MacAddress::Parse("02:00:00:00:00:99");
const IpAddress kClientIp = *IpAddress::Parse("192.168.1.1");
const IpAddress kVip = *IpAddress::Parse("192.168.1.240");
const IpAddress kOtherIp = *IpAddress::Parse("192.168.1.241");
const IpAddress kClient6 = *IpAddress::Parse("fd77::1");
const IpAddress kVip6 = *IpAddress::Parse("fd77::240");
const IpAddress kLinkLocal = *IpAddress::Parse("fe80::1");
const IpAddress kAny6 = *IpAddress::Parse("::");

class MapView : public OwnershipView {
 public:
  std::map<IpAddress, std::pair<int, Ownership>> owned;
  Ownership Lookup(const IpAddress& a, int ifindex) const override {
    auto it = owned.find(a);
    if (it == owned.end()) return Ownership::kNotOwned;
    if (it->second.first != ifindex) return Ownership::kOtherInterface;
    return it->second.second;
  }
};

struct Fixture {
  InterfaceContext iface{2, "eth0", kNodeMac, kLinkLocal};
  MapView view;
  Fixture() {
    view.owned[kVip] = {2, Ownership::kOwned};
    view.owned[kVip6] = {2, Ownership::kOwned};
  }
  Decision Arp(const ArpFrame& f, PacketType t = PacketType::kBroadcast) {
    return DecideArp(iface, t, BuildArpFrame(f), view);
  }
  Decision Nd(const NdFrame& f, PacketType t = PacketType::kMulticast) {
    return DecideNd(iface, t, BuildNdFrame(f), view);
  }
};

TEST_CASE("ARP request for an owned address is answered unicast") {
  Fixture fx;
  Decision d = fx.Arp(MakeArpRequest(kClientMac, kClientIp, kVip));
  CHECK(d.reason == DecisionReason::kAnswered);
  REQUIRE(d.reply.has_value());
  ASSIGN_OR_FAIL(ArpFrame r, ParseArpFrame(*d.reply));
  CHECK(r.op == ArpOp::kReply);
  CHECK(r.ethernet.destination == kClientMac);
  CHECK(r.ethernet.source == kNodeMac);
  CHECK(r.sender_ip == kVip);
  CHECK(r.target_ip == kClientIp);
  CHECK(r.target_mac == kClientMac);
  CHECK(d.LogLine() ==
        "Request: who-has 192.168.1.240? tell 192.168.1.1 "
        "(b4:75:0e:63:b2:20). reply: 192.168.1.240 is-at b8:27:eb:86:e2:85");
  CHECK_FALSE(d.conflict_mac.has_value());
  // Unicast (NUD) requests to our MAC are answered too.
  CHECK(fx.Arp(MakeArpRequest(kClientMac, kClientIp, kVip), PacketType::kHost)
            .reason == DecisionReason::kAnswered);
}

TEST_CASE("ARP frames that must not be answered") {
  Fixture fx;
  ArpFrame req = MakeArpRequest(kClientMac, kClientIp, kVip);
  CHECK(fx.Arp(req, PacketType::kOtherHost).reason ==
        DecisionReason::kOtherHost);
  CHECK(fx.Arp(req, PacketType::kOutgoing).reason == DecisionReason::kOutgoing);
  CHECK(fx.Arp(MakeArpRequest(kClientMac, kClientIp, kOtherIp)).reason ==
        DecisionReason::kNotOwned);
  fx.view.owned[kOtherIp] = {3, Ownership::kOwned};
  CHECK(fx.Arp(MakeArpRequest(kClientMac, kClientIp, kOtherIp)).reason ==
        DecisionReason::kWrongInterface);
  CHECK(fx.Arp(MakeArpRequest(kNodeMac, kClientIp, kVip)).reason ==
        DecisionReason::kOwnFrame);
  CHECK(
      fx.Arp(ArpReplyTo(MakeArpRequest(kOtherMac, kVip, kClientIp), kClientMac))
          .reason == DecisionReason::kNotRequest);
  CHECK(fx.Arp(MakeGratuitousRequest(kOtherMac, kOtherIp)).reason ==
        DecisionReason::kGratuitousOther);  // owned on interface 3 only
  CHECK(
      fx.Arp(MakeGratuitousRequest(kOtherMac, *IpAddress::Parse("192.168.1.7")))
          .reason == DecisionReason::kGratuitousOther);
  std::vector<uint8_t> bad = BuildArpFrame(req);
  bad[21] = 9;
  Decision d = DecideArp(fx.iface, PacketType::kBroadcast, bad, fx.view);
  CHECK(d.reason == DecisionReason::kMalformed);
  CHECK(d.malformed == MalformedReason::kBadOpcode);
  CHECK_FALSE(d.reply.has_value());
}

TEST_CASE("ARP conflicts") {
  Fixture fx;
  SUBCASE("another MAC announces an owned address") {
    for (const ArpFrame& f : {MakeGratuitousRequest(kOtherMac, kVip),
                              MakeGratuitousReply(kOtherMac, kVip)}) {
      Decision d = fx.Arp(f);
      CHECK(d.reason == DecisionReason::kConflictAnnouncement);
      CHECK(d.conflict_mac == kOtherMac);
      CHECK(d.address == kVip);
      CHECK_FALSE(d.reply.has_value());
    }
  }
  SUBCASE("another MAC answers for an owned address") {
    Decision d = fx.Arp(
        ArpReplyTo(MakeArpRequest(kClientMac, kClientIp, kVip), kOtherMac),
        PacketType::kHost);
    CHECK(d.reason == DecisionReason::kConflictReply);
    CHECK(d.conflict_mac == kOtherMac);
  }
  SUBCASE("another MAC asks with an owned address as sender") {
    Decision d = fx.Arp(MakeArpRequest(kOtherMac, kVip, kClientIp));
    CHECK(d.reason == DecisionReason::kConflictSender);
  }
  SUBCASE("a probe for an owned address is defended and reported") {
    Decision d = fx.Arp(MakeArpProbe(kOtherMac, kVip));
    CHECK(d.reason == DecisionReason::kAnsweredProbe);
    REQUIRE(d.reply.has_value());
    ASSIGN_OR_FAIL(ArpFrame r, ParseArpFrame(*d.reply));
    CHECK(r.target_ip.IsUnspecified());
    CHECK(r.ethernet.destination == kOtherMac);
    CHECK(d.conflict_mac == kOtherMac);
  }
  SUBCASE("while probing: silent, and another probe is a conflict") {
    fx.view.owned[kVip] = {2, Ownership::kProbing};
    CHECK(fx.Arp(MakeArpRequest(kClientMac, kClientIp, kVip)).reason ==
          DecisionReason::kProbing);
    Decision d = fx.Arp(MakeArpProbe(kOtherMac, kVip));
    CHECK(d.reason == DecisionReason::kConflictProbe);
    CHECK_FALSE(d.reply.has_value());
    CHECK(fx.Arp(MakeGratuitousRequest(kOtherMac, kVip)).reason ==
          DecisionReason::kConflictAnnouncement);
  }
}

TEST_CASE("NS for an owned address gets NA S=1 O=1 unicast") {
  Fixture fx;
  Decision d = fx.Nd(MakeNeighborSolicitation(kClientMac, kClient6, kVip6));
  CHECK(d.reason == DecisionReason::kAnswered);
  REQUIRE(d.reply.has_value());
  ASSIGN_OR_FAIL(NdFrame na, ParseNdFrame(*d.reply));
  CHECK(na.type == NdType::kNeighborAdvertisement);
  CHECK(na.solicited);
  CHECK(na.override_flag);
  CHECK(na.ethernet.destination == kClientMac);
  CHECK(na.destination == kClient6);
  CHECK(na.source == kVip6);
  CHECK(na.target == kVip6);
  CHECK(na.target_lladdr == kNodeMac);
  CHECK(d.LogLine() ==
        "Request: who-has fd77::240? tell fd77::1 (b4:75:0e:63:b2:20). "
        "reply: fd77::240 is-at b8:27:eb:86:e2:85");

  // Unicast NUD probe straight to the address, without SLLAO: answered to
  // the Ethernet source.
  NdFrame nud = MakeNeighborSolicitation(kClientMac, kClient6, kVip6);
  nud.destination = kVip6;
  nud.ethernet.destination = kNodeMac;
  nud.source_lladdr.reset();
  d = fx.Nd(nud, PacketType::kHost);
  CHECK(d.reason == DecisionReason::kAnswered);
  ASSIGN_OR_FAIL(NdFrame na2, ParseNdFrame(*d.reply));
  CHECK(na2.ethernet.destination == kClientMac);
}

TEST_CASE("ND conflicts and drops") {
  Fixture fx;
  SUBCASE("DAD for an owned address is defended to all-nodes") {
    Decision d = fx.Nd(MakeNeighborSolicitation(kOtherMac, kAny6, kVip6));
    CHECK(d.reason == DecisionReason::kAnsweredDad);
    CHECK(d.conflict_mac == kOtherMac);
    ASSIGN_OR_FAIL(NdFrame na, ParseNdFrame(*d.reply));
    CHECK(na.destination == AllNodesMulticast());
    CHECK_FALSE(na.solicited);
    CHECK(na.override_flag);
  }
  SUBCASE("an NA from another MAC for an owned address") {
    Decision d =
        fx.Nd(MakeUnsolicitedAdvertisement(kOtherMac, kLinkLocal, kVip6));
    CHECK(d.reason == DecisionReason::kConflictAdvertisement);
    CHECK(d.conflict_mac == kOtherMac);
  }
  SUBCASE("our own NA is ignored") {
    CHECK(fx.Nd(MakeUnsolicitedAdvertisement(kNodeMac, kLinkLocal, kVip6))
              .reason == DecisionReason::kOwnFrame);
  }
  SUBCASE("not owned, other interface, probing") {
    CHECK(fx.Nd(MakeNeighborSolicitation(kClientMac, kClient6,
                                         *IpAddress::Parse("fd77::9")))
              .reason == DecisionReason::kNotOwned);
    fx.view.owned[kVip6] = {5, Ownership::kOwned};
    CHECK(fx.Nd(MakeNeighborSolicitation(kClientMac, kClient6, kVip6)).reason ==
          DecisionReason::kWrongInterface);
    fx.view.owned[kVip6] = {2, Ownership::kProbing};
    CHECK(fx.Nd(MakeNeighborSolicitation(kClientMac, kClient6, kVip6)).reason ==
          DecisionReason::kProbing);
    Decision d = fx.Nd(MakeNeighborSolicitation(kOtherMac, kAny6, kVip6));
    CHECK(d.reason == DecisionReason::kConflictProbe);
    CHECK_FALSE(d.reply.has_value());
  }
  SUBCASE("malformed") {
    std::vector<uint8_t> b =
        BuildNdFrame(MakeNeighborSolicitation(kClientMac, kClient6, kVip6));
    b[21] = 1;
    Decision d = DecideNd(fx.iface, PacketType::kMulticast, b, fx.view);
    CHECK(d.reason == DecisionReason::kMalformed);
    CHECK(d.malformed == MalformedReason::kBadHopLimit);
  }
}

}  // namespace
}  // namespace lb::arp
