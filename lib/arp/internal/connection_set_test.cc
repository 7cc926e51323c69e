#include "lib/arp/internal/connection_set.h"

#include <doctest/doctest.h>

#include <string>
#include <utility>
#include <vector>

#include "lib/arp/fake_packet_conn.h"
#include "lib/arp/wire.h"

namespace lb::arp {
namespace {

const IpAddress kVip6 = *IpAddress::Parse("fd77::240");
const ConnKey kArp2{2, Protocol::kArp};
const ConnKey kNdp2{2, Protocol::kNdp};
const ConnKey kArp3{3, Protocol::kArp};

struct Fixture {
  FakePacketConnFactory net;
  std::vector<std::string> events;
  absl::Status opened_status;  // what the next `opened` hook returns
  ConnectionSet conns{
      net,
      {[this](const ConnKey& k, PacketConn& c) {
         // The connection is usable when announced.
         CHECK(net.Conn(k.first, k.second) == &c);
         events.push_back("opened " + Name(k));
         return std::exchange(opened_status, absl::OkStatus());
       },
       [this](const ConnKey& k, PacketConn& c) {
         CHECK(net.Conn(k.first, k.second) == &c);  // not closed yet
         events.push_back("closing " + Name(k));
       }}};

  static std::string Name(const ConnKey& k) {
    return std::to_string(k.first) +
           (k.second == Protocol::kArp ? "/arp" : "/ndp");
  }
};

TEST_CASE("opens what is wanted, closes what no longer is") {
  Fixture fx;
  CHECK(fx.conns.Reconcile({{kArp2, {}}, {kArp3, {}}}).empty());
  CHECK(fx.net.open_count() == 2);
  CHECK(fx.conns.size() == 2);
  CHECK(fx.conns.Find(kArp2) == fx.net.Conn(2, Protocol::kArp));
  CHECK(fx.conns.Find(kNdp2) == nullptr);
  // Reconciling the same state changes nothing.
  PacketConn* before = fx.conns.Find(kArp2);
  CHECK(fx.conns.Reconcile({{kArp2, {}}, {kArp3, {}}}).empty());
  CHECK(fx.conns.Find(kArp2) == before);
  CHECK(fx.conns.Reconcile({{kArp3, {}}}).empty());
  CHECK(fx.net.Conn(2, Protocol::kArp) == nullptr);
  CHECK(fx.conns.Reconcile({}).empty());
  CHECK(fx.net.open_count() == 0);
  CHECK(fx.events == std::vector<std::string>{"opened 2/arp", "opened 3/arp",
                                              "closing 2/arp",
                                              "closing 3/arp"});
  auto all = fx.conns.All();
  CHECK(all.empty());
}

TEST_CASE("groups are joined and left to match") {
  Fixture fx;
  IpAddress g1 = SolicitedNodeMulticast(kVip6);
  IpAddress g2 = SolicitedNodeMulticast(*IpAddress::Parse("fd77::1:241"));
  REQUIRE(g1 != g2);
  CHECK(fx.conns.Reconcile({{kNdp2, {g1}}}).empty());
  FakePacketConn* conn = fx.net.Conn(2, Protocol::kNdp);
  REQUIRE(conn != nullptr);
  CHECK(conn->groups() == std::set<IpAddress>{g1});
  CHECK(fx.conns.Reconcile({{kNdp2, {g1, g2}}}).empty());
  CHECK(conn->groups() == std::set<IpAddress>{g1, g2});
  CHECK(fx.conns.Groups(kNdp2) == std::set<IpAddress>{g1, g2});
  CHECK(fx.conns.Reconcile({{kNdp2, {g2}}}).empty());
  CHECK(conn->groups() == std::set<IpAddress>{g2});
  CHECK(fx.net.Conn(2, Protocol::kNdp) == conn);  // kept open throughout
  CHECK(fx.conns.Groups(kArp2).empty());
}

TEST_CASE("failed opens and joins are reported and retried") {
  Fixture fx;
  fx.net.FailOpen(2, absl::PermissionDeniedError("no CAP_NET_RAW"));
  IpAddress g = SolicitedNodeMulticast(kVip6);
  auto failures = fx.conns.Reconcile({{kNdp2, {g}}, {kArp3, {}}});
  REQUIRE(failures.size() == 1);
  CHECK(failures[0].key == kNdp2);
  CHECK_FALSE(failures[0].group.has_value());
  CHECK(failures[0].status.code() == absl::StatusCode::kPermissionDenied);
  CHECK(fx.conns.Find(kNdp2) == nullptr);
  CHECK(fx.conns.Find(kArp3) != nullptr);  // the others still open

  fx.net.FailOpen(2, absl::OkStatus());
  CHECK(fx.conns.Reconcile({{kNdp2, {}}, {kArp3, {}}}).empty());
  FakePacketConn* conn = fx.net.Conn(2, Protocol::kNdp);
  REQUIRE(conn != nullptr);
  conn->FailJoins(absl::ResourceExhaustedError("optmem"));
  failures = fx.conns.Reconcile({{kNdp2, {g}}, {kArp3, {}}});
  REQUIRE(failures.size() == 1);
  CHECK(failures[0].key == kNdp2);
  CHECK(failures[0].group == g);
  CHECK(failures[0].status.code() == absl::StatusCode::kResourceExhausted);
  CHECK(fx.conns.Groups(kNdp2).empty());
  conn->FailJoins(absl::OkStatus());
  CHECK(fx.conns.Reconcile({{kNdp2, {g}}, {kArp3, {}}}).empty());
  CHECK(conn->groups() == std::set<IpAddress>{g});
}

TEST_CASE("a connection whose opened hook fails is closed and reported") {
  Fixture fx;
  fx.opened_status = absl::InternalError("epoll_ctl: ENOSPC");
  auto failures = fx.conns.Reconcile({{kArp2, {}}});
  REQUIRE(failures.size() == 1);
  CHECK(failures[0].key == kArp2);
  CHECK(failures[0].status.message() == "epoll_ctl: ENOSPC");
  CHECK(fx.conns.Find(kArp2) == nullptr);
  CHECK(fx.net.open_count() == 0);
  CHECK(fx.events == std::vector<std::string>{"opened 2/arp", "closing 2/arp"});
  CHECK(fx.conns.Reconcile({{kArp2, {}}}).empty());  // tried again
  CHECK(fx.net.open_count() == 1);
}

TEST_CASE("destruction closes everything through the hook") {
  FakePacketConnFactory net;
  int closed = 0;
  {
    ConnectionSet conns(
        net, {nullptr, [&](const ConnKey&, PacketConn&) { ++closed; }});
    CHECK(conns.Reconcile({{kArp2, {}}, {kNdp2, {}}}).empty());
    CHECK(net.open_count() == 2);
  }
  CHECK(closed == 2);
  CHECK(net.open_count() == 0);
}

}  // namespace
}  // namespace lb::arp
