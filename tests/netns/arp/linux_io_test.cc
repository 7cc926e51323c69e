// The Linux implementations of PacketConn and LinkWatcher against a real
// kernel: the test process moves itself into a private, unnamed network
// namespace (unshare), which disappears with the process on every exit path,
// and builds a veth pair there.

#include <doctest/doctest.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>

#include <array>
#include <cstdlib>
#include <string>
#include <vector>

#include "lib/arp/af_packet_conn.h"
#include "lib/arp/netlink_link_watcher.h"
#include "lib/arp/wire.h"
#include "tests/status_matchers.h"

namespace lb::arp {
namespace {

const MacAddress kMacA = *MacAddress::Parse("02:00:00:00:0a:01");
const MacAddress kMacB = *MacAddress::Parse("02:00:00:00:0b:01");

bool Sh(const std::string& cmd) { return std::system(cmd.c_str()) == 0; }

struct PrivateNet {
  PrivateNet() {
    REQUIRE(unshare(CLONE_NEWNET) == 0);
    REQUIRE(Sh("ip link set lo up"));
    REQUIRE(
        Sh("ip link add va address 02:00:00:00:0a:01 type veth peer name "
           "vb address 02:00:00:00:0b:01"));
    REQUIRE(Sh("ip addr add 10.78.0.1/24 dev va"));
    REQUIRE(Sh("ip addr add 10.78.0.2/24 dev vb"));
    REQUIRE(Sh("ip link set va up && ip link set vb up"));
    a = static_cast<int>(if_nametoindex("va"));
    b = static_cast<int>(if_nametoindex("vb"));
    REQUIRE(a > 0);
    REQUIRE(b > 0);
  }
  int a = 0;
  int b = 0;
};

PrivateNet& Net() {
  static PrivateNet* net = new PrivateNet();
  return *net;
}

// Receives frames on `conn` for up to `ms` milliseconds.
std::vector<ReceivedFrame> ReceiveFor(PacketConn& conn, int ms) {
  std::vector<ReceivedFrame> out;
  std::vector<ReceivedFrame> buf(16);
  for (int waited = 0; waited < ms; waited += 10) {
    pollfd pfd{conn.ReadyFd(), POLLIN, 0};
    if (poll(&pfd, 1, 10) <= 0) continue;
    auto n = conn.Receive(absl::MakeSpan(buf));
    REQUIRE_OK(n);
    out.insert(out.end(), buf.begin(), buf.begin() + *n);
  }
  return out;
}

TEST_CASE("ARP filter passes requests and replies for this host only") {
  PrivateNet& net = Net();
  AfPacketConnFactory packets;
  ASSIGN_OR_FAIL(auto tx, packets.Open(net.a, Protocol::kArp));
  ASSIGN_OR_FAIL(auto rx, packets.Open(net.b, Protocol::kArp));
  IpAddress vip = *IpAddress::Parse("10.78.0.240");
  ArpFrame req = MakeArpRequest(kMacA, *IpAddress::Parse("10.78.0.1"), vip);
  ArpFrame reply = ArpReplyTo(req, kMacB);
  reply.ethernet.destination = kMacB;  // unicast to vb: PACKET_HOST
  ArpFrame other = req;
  other.ethernet.destination = *MacAddress::Parse("02:00:00:00:0c:01");
  ArpFrame bad_op = req;
  bad_op.op = static_cast<ArpOp>(3);
  REQUIRE_OK(tx->Send({BuildArpFrame(req), BuildArpFrame(reply),
                       BuildArpFrame(other), BuildArpFrame(bad_op)}));
  std::vector<ReceivedFrame> got = ReceiveFor(*rx, 300);
  REQUIRE(got.size() == 2);
  CHECK(got[0].type == PacketType::kBroadcast);
  ASSIGN_OR_FAIL(ArpFrame r0, ParseArpFrame(got[0].bytes()));
  CHECK(r0.target_ip == vip);
  CHECK(got[1].type == PacketType::kHost);
  CHECK(ParseArpFrame(got[1].bytes())->op == ArpOp::kReply);
  // Our own outgoing frames are not looped back to the sender's socket.
  CHECK(ReceiveFor(*tx, 50).empty());
}

TEST_CASE("NDP filter passes NS/NA with hop limit 255 only") {
  PrivateNet& net = Net();
  AfPacketConnFactory packets;
  ASSIGN_OR_FAIL(auto tx, packets.Open(net.a, Protocol::kNdp));
  ASSIGN_OR_FAIL(auto rx, packets.Open(net.b, Protocol::kNdp));
  IpAddress vip = *IpAddress::Parse("fd78::240");
  REQUIRE_OK(rx->JoinGroup(SolicitedNodeMulticast(vip)));
  REQUIRE_OK(rx->JoinGroup(SolicitedNodeMulticast(vip)));  // no-op
  NdFrame ns =
      MakeNeighborSolicitation(kMacA, *IpAddress::Parse("fd78::1"), vip);
  NdFrame low = ns;
  low.hop_limit = 64;
  NdFrame na =
      MakeUnsolicitedAdvertisement(kMacA, *IpAddress::Parse("fe80::1"), vip);
  REQUIRE_OK(tx->Send({BuildNdFrame(ns), BuildNdFrame(low), BuildNdFrame(na)}));
  std::vector<ReceivedFrame> got = ReceiveFor(*rx, 300);
  int ns_seen = 0, na_seen = 0;
  for (const ReceivedFrame& f : got) {
    auto parsed = ParseNdFrame(f.bytes());
    REQUIRE_OK(parsed);  // the hop-limit-64 NS never reaches us
    if (parsed->target != vip) continue;  // the kernel's own ND traffic
    if (parsed->type == NdType::kNeighborSolicitation) ++ns_seen;
    if (parsed->type == NdType::kNeighborAdvertisement) ++na_seen;
  }
  CHECK(ns_seen == 1);
  CHECK(na_seen == 1);
  REQUIRE_OK(rx->LeaveGroup(SolicitedNodeMulticast(vip)));
  CHECK_STATUS(rx->JoinGroup(vip), absl::StatusCode::kInvalidArgument,
               "not an IPv6 multicast group");
}

TEST_CASE("thousands of solicited-node groups can be joined") {
  PrivateNet& net = Net();
  AfPacketConnFactory packets;
  ASSIGN_OR_FAIL(auto rx, packets.Open(net.b, Protocol::kNdp));
  // More than one helper socket's option memory holds at the default
  // net.core.optmem_max.
  std::vector<IpAddress> groups;
  for (int i = 0; i < 6000; ++i) {
    std::array<uint8_t, 16> b = {0xfd,
                                 0x78,
                                 0,
                                 0,
                                 0,
                                 0,
                                 0,
                                 0,
                                 0,
                                 0,
                                 0,
                                 0,
                                 0,
                                 static_cast<uint8_t>(i >> 16),
                                 static_cast<uint8_t>(i >> 8),
                                 static_cast<uint8_t>(i)};
    groups.push_back(SolicitedNodeMulticast(IpAddress::V6(b)));
  }
  for (const IpAddress& g : groups) REQUIRE_OK(rx->JoinGroup(g));
  for (const IpAddress& g : groups) REQUIRE_OK(rx->LeaveGroup(g));
}

TEST_CASE("opening on a missing interface fails clearly") {
  Net();
  AfPacketConnFactory packets;
  CHECK_STATUS(packets.Open(0, Protocol::kArp),
               absl::StatusCode::kInvalidArgument, "interface index");
  CHECK_FALSE(packets.Open(99999, Protocol::kArp).ok());
}

bool WaitForChange(LinkWatcher& w) {
  for (int i = 0; i < 100; ++i) {
    pollfd pfd{w.ReadyFd(), POLLIN, 0};
    poll(&pfd, 1, 20);
    absl::StatusOr<bool> changed = w.Poll();
    if (changed.ok() && *changed) return true;
  }
  return false;
}

const Link* Find(const std::vector<Link>& links, const std::string& name,
                 std::vector<Link>* keep) {
  *keep = links;
  for (const Link& l : *keep) {
    if (l.name == name) return &l;
  }
  return nullptr;
}

TEST_CASE("the netlink watcher follows links, flags, MACs and addresses") {
  PrivateNet& net = Net();
  ASSIGN_OR_FAIL(auto w, NetlinkLinkWatcher::Create());
  ASSIGN_OR_FAIL(bool first, w->Poll());
  CHECK(first);  // the initial table counts as a change
  std::vector<Link> keep;
  const Link* va = Find(w->Links(), "va", &keep);
  REQUIRE(va != nullptr);
  CHECK(va->ifindex == net.a);
  CHECK(va->mac == kMacA);
  CHECK(va->up);
  CHECK(va->ethernet);
  CHECK_FALSE(va->loopback);
  CHECK(va->master == 0);
  bool has_v4 = false;
  for (const LinkAddress& a : va->addresses) {
    has_v4 |= a.prefix == *IpPrefix::Parse("10.78.0.1/24");
  }
  CHECK(has_v4);
  const Link* lo = Find(w->Links(), "lo", &keep);
  REQUIRE(lo != nullptr);
  CHECK(lo->loopback);

  REQUIRE(Sh("ip link set va down"));
  REQUIRE(WaitForChange(*w));
  CHECK_FALSE(Find(w->Links(), "va", &keep)->up);
  REQUIRE(Sh("ip link set va address 02:00:00:00:0a:99 && ip link set va up"));
  REQUIRE(WaitForChange(*w));
  for (int i = 0; i < 20 && !Find(w->Links(), "va", &keep)->up; ++i) {
    WaitForChange(*w);
  }
  va = Find(w->Links(), "va", &keep);
  CHECK(va->up);
  CHECK(va->mac == *MacAddress::Parse("02:00:00:00:0a:99"));
  REQUIRE(Sh("ip addr add fd78::1/64 dev va nodad"));
  REQUIRE(WaitForChange(*w));
  bool has_v6 = false;
  for (const LinkAddress& a : Find(w->Links(), "va", &keep)->addresses) {
    has_v6 |= a.prefix == *IpPrefix::Parse("fd78::1/64");
  }
  CHECK(has_v6);
  REQUIRE(Sh("ip link add br9 type bridge && ip link set vb master br9"));
  REQUIRE(WaitForChange(*w));
  for (int i = 0; i < 20 && Find(w->Links(), "vb", &keep)->master == 0; ++i) {
    WaitForChange(*w);
  }
  const Link* br = Find(w->Links(), "br9", &keep);
  REQUIRE(br != nullptr);
  CHECK(Find(w->Links(), "vb", &keep)->master == br->ifindex);
  REQUIRE(Sh("ip link del br9"));
  REQUIRE(WaitForChange(*w));
  for (int i = 0; i < 20 && Find(w->Links(), "br9", &keep) != nullptr; ++i) {
    WaitForChange(*w);
  }
  CHECK(Find(w->Links(), "br9", &keep) == nullptr);
}

}  // namespace
}  // namespace lb::arp
