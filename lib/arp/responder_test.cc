#include "lib/arp/responder.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "lib/arp/fake_link_watcher.h"
#include "lib/arp/fake_packet_conn.h"
#include "lib/arp/settling_clock.h"
#include "lib/base/simulated_clock.h"
#include "tests/status_matchers.h"

namespace lb::arp {
namespace {

const MacAddress kNodeMac = *MacAddress::Parse("b8:27:eb:86:e2:85");
const MacAddress kNewMac = *MacAddress::Parse("b8:27:eb:00:00:01");
const MacAddress kClientMac = *MacAddress::Parse("b4:75:0e:63:b2:20");
const MacAddress kOtherMac = *MacAddress::Parse("02:00:00:00:00:99");
const IpAddress kClientIp = *IpAddress::Parse("192.168.1.1");
const IpAddress kVip = *IpAddress::Parse("192.168.1.240");
const IpAddress kClient6 = *IpAddress::Parse("fd77::1");
const IpAddress kVip6 = *IpAddress::Parse("fd77::240");

class VectorSink : public LogSink {
 public:
  void Log(LogLevel, absl::string_view m) override {
    absl::MutexLock lock(&mu_);
    lines_.emplace_back(m);
  }
  std::vector<std::string> lines() {
    absl::MutexLock lock(&mu_);
    return lines_;
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> lines_;
};

// The responder runs on its own threads over the fakes; the test moves
// simulated time and waits, with deadlines, until the responder has handled
// everything it was given.
struct Fixture {
  SimulatedClock time{absl::FromUnixSeconds(1000)};
  SettlingClock clock{time};
  FakeLinkWatcher links;
  FakePacketConnFactory net;
  VectorSink sink;
  // Written by the event loop before it polls the link watcher again, read
  // by the test after Run() has seen it do so.
  std::vector<Conflict> conflicts;
  std::unique_ptr<Responder> responder;

  explicit Fixture(ResponderOptions options = {}, bool start = true) {
    links.SetLink(
        EthernetLink(2, "eth0", kNodeMac,
                     {"192.168.1.10/24", "fd77::10/64", "fe80::10/64"}));
    options.log = &sink;
    options.on_conflict = [this](const Conflict& c) { conflicts.push_back(c); };
    auto r = Responder::Create(clock, links, net, options);
    REQUIRE_OK(r);
    responder = std::move(*r);
    if (start) REQUIRE_OK(responder->Start());
  }
  FakePacketConn* Arp(int ifindex = 2) {
    return net.Conn(ifindex, Protocol::kArp);
  }
  FakePacketConn* Ndp(int ifindex = 2) {
    return net.Conn(ifindex, Protocol::kNdp);
  }
  std::vector<std::vector<uint8_t>> Sent(FakePacketConn* c) {
    REQUIRE(c != nullptr);
    return c->TakeSent();
  }
  // Waits until the responder has handled every frame injected and every
  // link change made so far, delivered what they caused (replies, logs,
  // conflict callbacks), and its timer thread has done what is due now.
  void Run() {
    REQUIRE(net.AwaitDelivered());
    // The event loop polls the watcher after it has finished with the
    // frames above; polled twice, it has also delivered what the first
    // poll caused.
    for (int i = 0; i < 2; ++i) {
      links.Nudge();
      REQUIRE(links.AwaitPolled());
    }
    REQUIRE(clock.Settle());
  }
  void Advance(absl::Duration d) {
    clock.AdvanceTime(d);
    Run();
  }
  // When the responder next has timed work (after Run()).
  MonoTime NextDeadline() { return clock.EarliestDeadline(); }
};

TEST_CASE("owning an address opens one ARP socket and sends the burst") {
  Fixture fx;
  REQUIRE_OK(fx.responder->AddAddress(kVip));
  CHECK(fx.net.open_count() == 1);
  fx.Run();
  auto sent = fx.Sent(fx.Arp());
  REQUIRE(sent.size() == 2);
  ASSIGN_OR_FAIL(ArpFrame first, ParseArpFrame(sent[0]));
  ASSIGN_OR_FAIL(ArpFrame second, ParseArpFrame(sent[1]));
  CHECK(first.op == ArpOp::kRequest);
  CHECK(first.IsGratuitous());
  CHECK(first.sender_ip == kVip);
  CHECK(first.sender_mac == kNodeMac);
  CHECK(first.target_mac.IsZero());
  CHECK(second.op == ArpOp::kReply);
  CHECK(second.target_mac == kNodeMac);
  CHECK(second.ethernet.destination.IsBroadcast());
  int rounds = 1;
  for (int i = 0; i < 10; ++i) {
    fx.Advance(absl::Milliseconds(1100));
    size_t n = fx.Sent(fx.Arp()).size();
    if (n > 0) {
      CHECK(n == 2);
      ++rounds;
    }
  }
  CHECK(rounds == 5);
  CHECK(fx.responder->Counters().announcements_sent == 10);
  CHECK(fx.responder->Counters().per_address[kVip].announcements_sent == 10);
  CHECK(fx.NextDeadline() == MonoTime::InfiniteFuture());
}

TEST_CASE("optional refresh re-announces after the burst") {
  ResponderOptions o;
  o.announce.rounds = 2;
  o.announce.refresh = absl::Seconds(100);
  Fixture fx(o);
  REQUIRE_OK(fx.responder->AddAddress(kVip));
  fx.Run();
  fx.Advance(absl::Milliseconds(1100));
  CHECK(fx.Sent(fx.Arp()).size() == 4);  // two rounds of two frames
  fx.Advance(absl::Seconds(50));
  CHECK(fx.Sent(fx.Arp()).empty());
  CHECK(fx.NextDeadline() == fx.clock.Monotonic() + absl::Seconds(50));
  fx.Advance(absl::Seconds(50));
  CHECK(fx.Sent(fx.Arp()).size() == 2);
  REQUIRE_OK(fx.responder->RemoveAddress(kVip));
  fx.Run();
  CHECK(fx.NextDeadline() == MonoTime::InfiniteFuture());
}

TEST_CASE("requests are answered, logged and counted; release silences") {
  Fixture fx;
  REQUIRE_OK(fx.responder->AddAddress(kVip));
  fx.Run();
  fx.Sent(fx.Arp());
  fx.Arp()->Inject(PacketType::kBroadcast,
                   BuildArpFrame(MakeArpRequest(kClientMac, kClientIp, kVip)));
  fx.Run();
  auto sent = fx.Sent(fx.Arp());
  REQUIRE(sent.size() == 1);
  ASSIGN_OR_FAIL(ArpFrame reply, ParseArpFrame(sent[0]));
  CHECK(reply.op == ArpOp::kReply);
  CHECK(reply.ethernet.destination == kClientMac);
  CHECK(reply.sender_ip == kVip);
  CHECK(reply.sender_mac == kNodeMac);
  auto lines = fx.sink.lines();
  REQUIRE(!lines.empty());
  CHECK(lines.back() ==
        "Request: who-has 192.168.1.240? tell 192.168.1.1 "
        "(b4:75:0e:63:b2:20). reply: 192.168.1.240 is-at b8:27:eb:86:e2:85");
  CountersSnapshot c = fx.responder->Counters();
  CHECK(c.requests_seen == 1);
  CHECK(c.replies_sent == 1);
  CHECK(c.per_address[kVip].replies_sent == 1);
  CHECK(c.per_interface["eth0"].replies_sent == 1);
  CHECK(c.decision(DecisionReason::kAnswered) == 1);

  // A request for an address we do not own is counted but not answered.
  fx.Arp()->Inject(
      PacketType::kBroadcast,
      BuildArpFrame(MakeArpRequest(kClientMac, kClientIp,
                                   *IpAddress::Parse("192.168.1.9"))));
  fx.Run();
  CHECK(fx.Sent(fx.Arp()).empty());
  CHECK(fx.responder->Counters().decision(DecisionReason::kNotOwned) == 1);

  // Release: the request queued before RemoveAddress is not answered and no
  // announcement follows. (The loop is stopped so that the request is still
  // queued when the address goes.)
  fx.responder->Stop();
  FakePacketConn* conn = fx.Arp();
  conn->Inject(PacketType::kBroadcast,
               BuildArpFrame(MakeArpRequest(kClientMac, kClientIp, kVip)));
  REQUIRE_OK(fx.responder->RemoveAddress(kVip));
  CHECK(fx.net.open_count() == 0);  // socket closed with the last address
  REQUIRE_OK(fx.responder->Start());
  fx.Advance(absl::Seconds(5));
  CHECK(fx.responder->Counters().replies_sent == 1);
  CHECK_STATUS(fx.responder->RemoveAddress(kVip), absl::StatusCode::kNotFound,
               "192.168.1.240");
}

TEST_CASE("malformed frames are counted by reason and dropped") {
  Fixture fx;
  REQUIRE_OK(fx.responder->AddAddress(kVip));
  REQUIRE_OK(fx.responder->AddAddress(kVip6));
  fx.Run();
  std::vector<uint8_t> bad =
      BuildArpFrame(MakeArpRequest(kClientMac, kClientIp, kVip));
  bad[18] = 8;
  fx.Arp()->Inject(PacketType::kBroadcast, bad);
  fx.Arp()->Inject(PacketType::kBroadcast, absl::MakeConstSpan(bad.data(), 20));
  std::vector<uint8_t> ns =
      BuildNdFrame(MakeNeighborSolicitation(kClientMac, kClient6, kVip6));
  ns[60] ^= 0xff;  // checksum now wrong
  fx.Ndp()->Inject(PacketType::kMulticast, ns);
  fx.Run();
  CountersSnapshot c = fx.responder->Counters();
  CHECK(c.malformed == 3);
  CHECK(c.malformed_count(MalformedReason::kBadAddressLengths) == 1);
  CHECK(c.malformed_count(MalformedReason::kTruncated) == 1);
  CHECK(c.malformed_count(MalformedReason::kBadChecksum) == 1);
  CHECK(c.per_interface["eth0"].malformed == 3);
  CHECK(c.replies_sent == 0);
}

TEST_CASE("IPv6: group joined, NS answered, unsolicited NAs sent") {
  Fixture fx;
  REQUIRE_OK(fx.responder->AddAddress(kVip6));
  REQUIRE(fx.Ndp() != nullptr);
  CHECK(fx.Arp() == nullptr);
  CHECK(fx.Ndp()->groups() ==
        std::set<IpAddress>{SolicitedNodeMulticast(kVip6)});
  fx.Run();
  auto sent = fx.Sent(fx.Ndp());
  REQUIRE(sent.size() == 1);
  ASSIGN_OR_FAIL(NdFrame na, ParseNdFrame(sent[0]));
  CHECK(na.type == NdType::kNeighborAdvertisement);
  CHECK_FALSE(na.solicited);
  CHECK(na.override_flag);
  CHECK(na.destination == AllNodesMulticast());
  CHECK(na.source == *IpAddress::Parse("fe80::10"));
  fx.Ndp()->Inject(
      PacketType::kMulticast,
      BuildNdFrame(MakeNeighborSolicitation(kClientMac, kClient6, kVip6)));
  fx.Run();
  sent = fx.Sent(fx.Ndp());
  REQUIRE(sent.size() == 1);
  ASSIGN_OR_FAIL(NdFrame reply, ParseNdFrame(sent[0]));
  CHECK(reply.solicited);
  CHECK(reply.override_flag);
  CHECK(reply.ethernet.destination == kClientMac);
  REQUIRE_OK(fx.responder->RemoveAddress(kVip6));
  CHECK(fx.Ndp() == nullptr);
}

TEST_CASE("interface churn is followed") {
  Fixture fx;
  REQUIRE_OK(fx.responder->AddAddress(kVip));
  fx.Run();
  fx.Sent(fx.Arp());

  SUBCASE("down stops, up re-announces") {
    fx.links.SetUp(2, false);
    fx.Run();
    CHECK(fx.Arp() == nullptr);
    CHECK(fx.responder->Addresses()[0].interfaces.empty());
    fx.Advance(absl::Seconds(10));
    fx.links.SetUp(2, true);
    fx.Run();
    auto sent = fx.Sent(fx.Arp());
    CHECK(sent.size() == 2);  // fresh burst, first round
  }
  SUBCASE("a MAC change re-announces with the new MAC") {
    fx.Advance(absl::Seconds(10));
    fx.Sent(fx.Arp());
    fx.links.SetMac(2, kNewMac);
    fx.Run();
    auto sent = fx.Sent(fx.Arp());
    REQUIRE(sent.size() == 2);
    ASSIGN_OR_FAIL(ArpFrame f, ParseArpFrame(sent[0]));
    CHECK(f.sender_mac == kNewMac);
    fx.Arp()->Inject(PacketType::kBroadcast, BuildArpFrame(MakeArpRequest(
                                                 kClientMac, kClientIp, kVip)));
    fx.Run();
    sent = fx.Sent(fx.Arp());
    REQUIRE(sent.size() == 1);
    CHECK(ParseArpFrame(sent[0])->sender_mac == kNewMac);
  }
  SUBCASE("the prefix leaving the interface stops service there") {
    fx.links.RemoveAddress(2, *IpPrefix::Parse("192.168.1.10/24"));
    fx.Run();
    CHECK(fx.Arp() == nullptr);
    fx.links.AddAddress(2, *IpPrefix::Parse("192.168.1.20/24"));
    fx.Run();
    CHECK(fx.Sent(fx.Arp()).size() == 2);
  }
  SUBCASE("a new interface on the same prefix is served too") {
    fx.links.SetLink(EthernetLink(3, "eth1", kNewMac, {"192.168.1.11/24"}));
    fx.Run();
    CHECK(fx.Sent(fx.Arp(3)).size() == 2);
    CHECK(fx.Sent(fx.Arp(2)).empty());  // eth0's burst is not restarted
    auto status = fx.responder->Addresses();
    REQUIRE(status.size() == 1);
    CHECK(status[0].interfaces == std::vector<std::string>{"eth0", "eth1"});
  }
  SUBCASE("enslaving the interface stops service, removal too") {
    fx.links.SetMaster(2, 9);
    fx.Run();
    CHECK(fx.Arp() == nullptr);
    fx.links.SetMaster(2, 0);
    fx.Run();
    CHECK(fx.Arp() != nullptr);
    fx.links.RemoveLink(2);
    fx.Run();
    CHECK(fx.Arp() == nullptr);
  }
}

TEST_CASE("explicit interfaces need no matching prefix") {
  Fixture fx;
  fx.links.SetLink(EthernetLink(4, "eth2", kNewMac, {}));
  fx.Run();
  AddressOptions o;
  o.interfaces = {"eth2"};
  REQUIRE_OK(fx.responder->AddAddress(*IpAddress::Parse("10.9.9.9"), o));
  CHECK(fx.Arp(4) != nullptr);
  CHECK(fx.Arp(2) == nullptr);
}

TEST_CASE("probe before claim: quiet success") {
  Fixture fx;
  AddressOptions o;
  o.probe_first = true;
  REQUIRE_OK(fx.responder->AddAddress(kVip, o));
  CHECK(fx.responder->Addresses()[0].state == AddressState::kProbing);
  fx.Run();
  auto sent = fx.Sent(fx.Arp());
  REQUIRE(sent.size() == 1);
  ASSIGN_OR_FAIL(ArpFrame probe, ParseArpFrame(sent[0]));
  CHECK(probe.IsProbe());
  CHECK(probe.target_ip == kVip);
  // Requests are not answered while probing.
  fx.Arp()->Inject(PacketType::kBroadcast,
                   BuildArpFrame(MakeArpRequest(kClientMac, kClientIp, kVip)));
  fx.Advance(absl::Seconds(1));
  fx.Advance(absl::Seconds(1));
  sent = fx.Sent(fx.Arp());
  CHECK(sent.size() == 2);  // probes 2 and 3, no reply
  for (const auto& f : sent) CHECK(ParseArpFrame(f)->IsProbe());
  CHECK(fx.responder->Counters().probes_sent == 3);
  fx.Advance(absl::Seconds(2));  // PROBE wait over: claim and announce
  CHECK(fx.responder->Addresses()[0].state == AddressState::kOwned);
  sent = fx.Sent(fx.Arp());
  REQUIRE(sent.size() == 2);
  CHECK(ParseArpFrame(sent[0])->IsGratuitous());
  CHECK(fx.conflicts.empty());
}

TEST_CASE("probe before claim: another owner answers") {
  Fixture fx;
  AddressOptions o;
  o.probe_first = true;
  REQUIRE_OK(fx.responder->AddAddress(kVip, o));
  fx.Run();
  ArpFrame probe = *ParseArpFrame(fx.Sent(fx.Arp())[0]);
  fx.Arp()->Inject(PacketType::kHost,
                   BuildArpFrame(ArpReplyTo(probe, kOtherMac)));
  fx.Run();
  REQUIRE(fx.conflicts.size() == 1);
  CHECK(fx.conflicts[0].address == kVip);
  CHECK(fx.conflicts[0].other_mac == kOtherMac);
  CHECK(fx.conflicts[0].while_probing);
  CHECK(fx.conflicts[0].interface == "eth0");
  CHECK(fx.conflicts[0].reason == DecisionReason::kConflictReply);
  CHECK(fx.responder->Addresses()[0].state == AddressState::kConflict);
  CHECK(fx.Arp() == nullptr);  // nothing left to serve
  fx.Advance(absl::Seconds(10));
  CHECK(fx.responder->Counters().announcements_sent == 0);
  // Adding it again restarts the claim.
  REQUIRE_OK(fx.responder->AddAddress(kVip, o));
  CHECK(fx.responder->Addresses()[0].state == AddressState::kProbing);
}

TEST_CASE("IPv6 DAD probe and conflict") {
  Fixture fx;
  AddressOptions o;
  o.probe_first = true;
  REQUIRE_OK(fx.responder->AddAddress(kVip6, o));
  fx.Run();
  auto sent = fx.Sent(fx.Ndp());
  REQUIRE(sent.size() == 1);
  ASSIGN_OR_FAIL(NdFrame dad, ParseNdFrame(sent[0]));
  CHECK(dad.IsDad());
  fx.Ndp()->Inject(PacketType::kMulticast,
                   BuildNdFrame(MakeUnsolicitedAdvertisement(
                       kOtherMac, *IpAddress::Parse("fe80::99"), kVip6)));
  fx.Run();
  REQUIRE(fx.conflicts.size() == 1);
  CHECK(fx.conflicts[0].reason == DecisionReason::kConflictAdvertisement);
  CHECK(fx.responder->Addresses()[0].state == AddressState::kConflict);
}

TEST_CASE("passive conflicts on an owned address are reported, rate-limited") {
  Fixture fx;
  REQUIRE_OK(fx.responder->AddAddress(kVip));
  fx.Run();
  for (int i = 0; i < 3; ++i) {
    fx.Arp()->Inject(PacketType::kBroadcast,
                     BuildArpFrame(MakeGratuitousRequest(kOtherMac, kVip)));
  }
  fx.Run();
  CHECK(fx.conflicts.size() == 1);
  CHECK_FALSE(fx.conflicts[0].while_probing);
  CHECK(fx.responder->Counters().conflicts == 3);
  CHECK(fx.responder->Counters().per_address[kVip].conflicts == 3);
  CHECK(fx.responder->Addresses()[0].state == AddressState::kOwned);
  // Another MAC is reported at once.
  const MacAddress third = *MacAddress::Parse("02:00:00:00:00:77");
  fx.Arp()->Inject(PacketType::kBroadcast,
                   BuildArpFrame(MakeGratuitousRequest(third, kVip)));
  fx.Run();
  REQUIRE(fx.conflicts.size() == 2);
  CHECK(fx.conflicts[1].other_mac == third);
  fx.clock.AdvanceTime(absl::Seconds(11));
  fx.Arp()->Inject(PacketType::kBroadcast,
                   BuildArpFrame(MakeGratuitousReply(kOtherMac, kVip)));
  fx.Run();
  CHECK(fx.conflicts.size() == 3);
}

TEST_CASE("wall-clock steps move no announcement, probe or report limit") {
  Fixture fx;
  REQUIRE_OK(fx.responder->AddAddress(kVip));
  fx.Run();
  CHECK(fx.Sent(fx.Arp()).size() == 2);  // round 1
  fx.clock.StepWallClock(absl::Seconds(30));
  fx.Run();
  CHECK(fx.Sent(fx.Arp()).empty());  // round 2 is still 1.1 s away
  fx.Advance(absl::Milliseconds(1100));
  CHECK(fx.Sent(fx.Arp()).size() == 2);
  fx.clock.StepWallClock(-absl::Seconds(60));
  fx.Advance(absl::Milliseconds(1100));
  CHECK(fx.Sent(fx.Arp()).size() == 2);  // round 3 on time

  // Conflict reports: limited on monotonic time, stamped with wall time.
  fx.Arp()->Inject(PacketType::kBroadcast,
                   BuildArpFrame(MakeGratuitousRequest(kOtherMac, kVip)));
  fx.Run();
  REQUIRE(fx.conflicts.size() == 1);
  CHECK(fx.conflicts[0].time == fx.clock.Now());
  fx.clock.StepWallClock(absl::Seconds(30));
  fx.Arp()->Inject(PacketType::kBroadcast,
                   BuildArpFrame(MakeGratuitousRequest(kOtherMac, kVip)));
  fx.Run();
  CHECK(fx.conflicts.size() == 1);  // the same MAC within 10 s
  CHECK(fx.responder->Counters().conflicts == 2);

  // Probes keep their spacing across a step.
  AddressOptions o;
  o.probe_first = true;
  REQUIRE_OK(fx.responder->AddAddress(kVip6, o));
  fx.Run();
  CHECK(fx.Sent(fx.Ndp()).size() == 1);
  fx.clock.StepWallClock(absl::Seconds(30));
  fx.Run();
  CHECK(fx.Sent(fx.Ndp()).empty());
  CHECK(fx.responder->Addresses()[1].state == AddressState::kProbing);
}

TEST_CASE("log lines are rate-limited") {
  ResponderOptions o;
  o.log_lines_per_second = 1;
  o.log_burst = 2;
  Fixture fx(o);
  REQUIRE_OK(fx.responder->AddAddress(kVip));
  fx.Run();
  for (int i = 0; i < 10; ++i) {
    fx.Arp()->Inject(PacketType::kBroadcast, BuildArpFrame(MakeArpRequest(
                                                 kClientMac, kClientIp, kVip)));
  }
  fx.Run();
  CHECK(fx.responder->Counters().replies_sent == 10);
  CHECK(fx.sink.lines().size() == 2);
  CHECK(fx.responder->Counters().log_lines_suppressed == 8);
}

TEST_CASE("SetAddresses replaces the owned set") {
  Fixture fx;
  REQUIRE_OK(fx.responder->AddAddress(kVip));
  fx.Run();
  REQUIRE(fx.responder->Counters().per_address.count(kVip) == 1);
  REQUIRE(fx.responder->Counters().per_address.at(kVip).announcements_sent > 0);
  REQUIRE_OK(fx.responder->SetAddresses({{kVip6, {}}}));
  // The counters of an address no longer held go with it.
  CHECK(fx.responder->Counters().per_address.count(kVip) == 0);
  auto status = fx.responder->Addresses();
  REQUIRE(status.size() == 1);
  CHECK(status[0].address == kVip6);
  CHECK(fx.Arp() == nullptr);
  CHECK_STATUS(fx.responder->SetAddresses({{kVip, {}}, {kVip, {}}}),
               absl::StatusCode::kInvalidArgument, "twice");
  CHECK(fx.responder->Addresses()[0].address == kVip6);  // unchanged
  CHECK_STATUS(fx.responder->AddAddress(*IpAddress::Parse("224.0.0.1")),
               absl::StatusCode::kInvalidArgument, "multicast");
}

TEST_CASE("socket and watcher failures are reported, not fatal") {
  Fixture fx;
  fx.net.FailOpen(2, absl::PermissionDeniedError("no CAP_NET_RAW"));
  REQUIRE_OK(fx.responder->AddAddress(kVip));
  CHECK(fx.net.open_count() == 0);
  bool logged = false;
  for (const auto& l : fx.sink.lines()) {
    logged |= l.find("no CAP_NET_RAW") != std::string::npos;
  }
  CHECK(logged);
  fx.net.FailOpen(2, absl::OkStatus());
  fx.links.SetUp(2, true);  // any link event retries
  fx.Run();
  CHECK(fx.Arp() != nullptr);
  fx.Arp()->FailSends(absl::ResourceExhaustedError("ENOBUFS"));
  fx.Advance(absl::Milliseconds(1100));
  CHECK(fx.responder->Counters().send_errors > 0);
  // A failed poll is reported and processing continues with the last
  // table.
  fx.Arp()->FailSends(absl::OkStatus());
  fx.links.FailNextPoll(absl::InternalError("netlink overrun"));
  fx.Run();
  logged = false;
  for (const auto& l : fx.sink.lines()) {
    logged |= l.find("link watcher failed: INTERNAL: netlink overrun") !=
              std::string::npos;
  }
  CHECK(logged);
  fx.Sent(fx.Arp());
  fx.Arp()->Inject(PacketType::kBroadcast,
                   BuildArpFrame(MakeArpRequest(kClientMac, kClientIp, kVip)));
  fx.Run();
  CHECK(fx.Sent(fx.Arp()).size() == 1);
}

TEST_CASE("replies are counted as sent only once sent; failures are errors") {
  Fixture fx;
  REQUIRE_OK(fx.responder->AddAddress(kVip));
  fx.Run();
  fx.Sent(fx.Arp());
  auto request = BuildArpFrame(MakeArpRequest(kClientMac, kClientIp, kVip));
  // The device queue takes one frame of the batch of three, then is full.
  fx.Arp()->FailSends(absl::ResourceExhaustedError("ENOBUFS"), /*after=*/1);
  for (int i = 0; i < 3; ++i) {
    fx.Arp()->Inject(PacketType::kBroadcast, request);
  }
  fx.Run();
  CHECK(fx.Sent(fx.Arp()).size() == 1);
  CountersSnapshot c = fx.responder->Counters();
  CHECK(c.requests_seen == 3);
  CHECK(c.replies_sent == 1);
  CHECK(c.per_interface["eth0"].replies_sent == 1);
  CHECK(c.per_address[kVip].replies_sent == 1);
  CHECK(c.send_errors == 2);
  CHECK(c.per_interface["eth0"].send_errors == 2);
  // A send that fails outright counts nothing as sent.
  fx.Arp()->FailSends(absl::UnavailableError("interface gone"));
  fx.Arp()->Inject(PacketType::kBroadcast, request);
  fx.Run();
  CHECK(fx.Sent(fx.Arp()).empty());
  c = fx.responder->Counters();
  CHECK(c.replies_sent == 1);
  CHECK(c.per_address[kVip].replies_sent == 1);
  CHECK(c.send_errors == 3);
  // Once sends work again, replies count again.
  fx.Arp()->FailSends(absl::OkStatus());
  fx.Arp()->Inject(PacketType::kBroadcast, request);
  fx.Run();
  CHECK(fx.Sent(fx.Arp()).size() == 1);
  c = fx.responder->Counters();
  CHECK(c.replies_sent == 2);
  CHECK(c.per_interface["eth0"].replies_sent == 2);
  CHECK(c.per_address[kVip].replies_sent == 2);
  CHECK(c.send_errors == 3);
}

TEST_CASE("announcements and probes are counted as sent only once sent") {
  Fixture fx({}, /*start=*/false);
  AddressOptions probe;
  probe.probe_first = true;
  REQUIRE_OK(fx.responder->AddAddress(kVip6, probe));
  REQUIRE_OK(fx.responder->AddAddress(kVip));
  // The first gratuitous pair: the request-style frame goes out, the
  // reply-style one does not.
  fx.Arp()->FailSends(absl::ResourceExhaustedError("ENOBUFS"), /*after=*/1);
  fx.Ndp()->FailSends(absl::ResourceExhaustedError("ENOBUFS"));
  REQUIRE_OK(fx.responder->Start());
  fx.Run();
  CHECK(fx.Sent(fx.Arp()).size() == 1);
  CHECK(fx.Sent(fx.Ndp()).empty());
  CountersSnapshot c = fx.responder->Counters();
  CHECK(c.announcements_sent == 1);
  CHECK(c.per_address[kVip].announcements_sent == 1);
  CHECK(c.per_interface["eth0"].announcements_sent == 1);
  CHECK(c.probes_sent == 0);
  CHECK(c.per_address[kVip6].probes_sent == 0);
  CHECK(c.send_errors == 2);
}

TEST_CASE("option validation") {
  SimulatedClock clock;
  FakeLinkWatcher links;
  FakePacketConnFactory net;
  ResponderOptions o;
  o.receive_batch = 0;
  CHECK_STATUS(Responder::Create(clock, links, net, o),
               absl::StatusCode::kInvalidArgument, "receive_batch");
  o = {};
  o.realtime_priority = 100;
  CHECK_STATUS(Responder::Create(clock, links, net, o),
               absl::StatusCode::kInvalidArgument, "realtime_priority");
  o = {};
  o.announce.rounds = 0;
  CHECK_STATUS(Responder::Create(clock, links, net, o),
               absl::StatusCode::kInvalidArgument, "rounds");
}

TEST_CASE("threads: replies from the event loop, bursts on simulated time") {
  Fixture fx({}, /*start=*/false);
  REQUIRE_OK(fx.responder->AddAddress(kVip));
  FakePacketConn* conn = fx.Arp();
  REQUIRE(conn != nullptr);
  CHECK(conn->TakeSent().empty());  // nothing before Start
  REQUIRE_OK(fx.responder->Start());
  CHECK_STATUS(fx.responder->Start(), absl::StatusCode::kFailedPrecondition,
               "running");
  std::vector<std::vector<uint8_t>> sent;
  auto collect = [&](size_t want) {
    if (!conn->AwaitSent(want - sent.size())) return false;
    for (auto& f : conn->TakeSent()) sent.push_back(std::move(f));
    return sent.size() == want;
  };
  CHECK(collect(2));  // first round at once
  conn->Inject(PacketType::kBroadcast,
               BuildArpFrame(MakeArpRequest(kClientMac, kClientIp, kVip)));
  CHECK(collect(3));
  CHECK(ParseArpFrame(sent[2])->op == ArpOp::kReply);
  CHECK(ParseArpFrame(sent[2])->ethernet.destination == kClientMac);
  // The timer thread waits on the simulated clock.
  REQUIRE(fx.clock.Settle());
  CHECK(fx.NextDeadline() ==
        SimulatedClock::kMonotonicStart + absl::Milliseconds(1100));
  fx.clock.AdvanceTime(absl::Milliseconds(1100));
  CHECK(collect(5));
  // Link changes reach the event loop through the watcher's fd.
  fx.links.SetUp(2, false);
  REQUIRE(fx.links.AwaitPolled());
  fx.responder->Addresses();  // the poll's reconcile is done
  CHECK(fx.Arp() == nullptr);
  fx.responder->Stop();
  fx.responder->Stop();
}

}  // namespace
}  // namespace lb::arp
