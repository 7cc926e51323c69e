#include "lib/election/membership.h"

#include <doctest/doctest.h>

#include <chrono>
#include <future>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "lib/base/simulated_clock.h"
#include "lib/election/fake_network.h"
#include "lib/election/heartbeat.h"
#include "lib/election/lease_store.h"
#include "tests/status_matchers.h"

namespace lb::election {
namespace {

constexpr char kKey[] = "test-cluster-key-0123456789";

class Cluster {
 public:
  explicit Cluster(int addresses = 60) {
    for (int i = 0; i < addresses; ++i) {
      requests_.push_back({absl::StrCat("192.168.1.", i), {}, true});
    }
  }

  MembershipOptions Options(const std::string& name) {
    MembershipOptions o;
    o.node = name;
    o.hmac_key = kKey;
    return o;
  }

  void Start(const std::string& name) { Start(Options(name)); }
  void Start(MembershipOptions o) {
    Node& n = nodes_[o.node];
    n.m.reset();
    n.t = net_.Attach(o.node);
    auto m = Membership::Create(store_, *n.t, clock_, o);
    REQUIRE_OK(m);
    n.m = std::move(*m);
    REQUIRE_OK(n.m->SetAddresses(requests_));
  }
  void Crash(const std::string& name) {
    nodes_[name].m.reset();
    nodes_[name].t.reset();
  }
  Membership& Get(const std::string& name) { return *nodes_.at(name).m; }

  // Advances time one tick and polls every running node.
  void Step(absl::Duration tick = absl::Milliseconds(10)) {
    clock_.AdvanceTime(tick);
    for (auto& [name, n] : nodes_) {
      if (!n.m) continue;
      n.m->PollStore();
      n.m->PollNetwork();
    }
  }

  // Address -> nodes claiming it.
  std::map<std::string, std::vector<std::string>> Claims() {
    std::map<std::string, std::vector<std::string>> out;
    for (const AddressRequest& r : requests_) out[r.address];
    for (auto& [name, n] : nodes_) {
      if (!n.m) continue;
      for (const std::string& a : n.m->Claimed()) out[a].push_back(name);
    }
    return out;
  }
  int Duplicates() {
    int d = 0;
    for (const auto& [a, owners] : Claims()) d += owners.size() > 1;
    return d;
  }
  int Unowned() {
    int d = 0;
    for (const auto& [a, owners] : Claims()) d += owners.empty();
    return d;
  }
  // Steps until every address has exactly one claimer; returns the time it
  // took, or InfiniteDuration after `limit`.
  absl::Duration StepUntilSettled(absl::Duration limit) {
    const MonoTime start = clock_.Monotonic();
    while (clock_.Monotonic() - start <= limit) {
      if (Duplicates() == 0 && Unowned() == 0) {
        return clock_.Monotonic() - start;
      }
      Step();
    }
    return absl::InfiniteDuration();
  }
  std::map<std::string, std::string> OwnerOf() {
    std::map<std::string, std::string> out;
    for (const auto& [a, owners] : Claims()) {
      out[a] = owners.size() == 1 ? owners[0] : "";
    }
    return out;
  }

  SimulatedClock& clock() { return clock_; }
  InMemoryLeaseStore& store() { return store_; }
  FakeNetwork& net() { return net_; }
  const std::vector<AddressRequest>& requests() const { return requests_; }

 private:
  struct Node {
    std::unique_ptr<HeartbeatTransport> t;
    std::unique_ptr<Membership> m;
  };
  SimulatedClock clock_{absl::FromUnixSeconds(1000000)};
  InMemoryLeaseStore store_;
  FakeNetwork net_{clock_, 1};
  std::vector<AddressRequest> requests_;
  std::map<std::string, Node> nodes_;
};

TEST_CASE("options are validated") {
  InMemoryLeaseStore store;
  SimulatedClock clock;
  FakeNetwork net(clock, 1);
  auto t = net.Attach("a");
  auto bad = [&](auto mutate, const char* what) {
    MembershipOptions o;
    o.node = "a";
    o.hmac_key = kKey;
    mutate(o);
    CHECK_STATUS(Membership::Create(store, *t, clock, o),
                 absl::StatusCode::kInvalidArgument, what);
  };
  bad([](auto& o) { o.node = ""; }, "node");
  bad([](auto& o) { o.hmac_key = "short"; }, "hmac_key");
  bad([](auto& o) { o.suspect_timeout = absl::Milliseconds(150); },
      "suspect_timeout");
  bad([](auto& o) { o.lease_duration = absl::Seconds(15); },
      "2 * lease_renew_interval");
  bad([](auto& o) { o.lease_duration = absl::Milliseconds(40500); },
      "whole number");
  bad([](auto& o) { o.ownership.max_load_factor = 0.5; }, "max_load_factor");
}

TEST_CASE("a starting cluster settles on one owner per address, as hashed") {
  Cluster c;
  for (const char* n : {"a", "b", "c"}) c.Start(n);
  // Nothing is claimed before the settle time.
  for (int i = 0; i < 20; ++i) {
    c.Step();
    CHECK(c.Duplicates() == 0);
  }
  CHECK(c.StepUntilSettled(absl::Seconds(1)) < absl::Seconds(1));
  ASSIGN_OR_FAIL(OwnerMap expected,
                 ComputeOwners(c.requests(), {"a", "b", "c"}, {}));
  auto owner = c.OwnerOf();
  for (const auto& [addr, d] : expected) CHECK(owner[addr] == d.owner);
  MembershipSnapshot s = c.Get("a").Snapshot();
  CHECK(s.claiming());
  CHECK(s.heard == 3);
  CHECK(s.known == 3);
  CHECK(s.members.size() == 3);
  CHECK(s.owners->size() == 60);
  CHECK(s.stats.heartbeats_received > 0);
}

TEST_CASE("a crashed node's addresses move within the failover bound") {
  Cluster c;
  for (const char* n : {"a", "b", "c", "d"}) c.Start(n);
  REQUIRE(c.StepUntilSettled(absl::Seconds(2)) != absl::InfiniteDuration());
  auto before = c.OwnerOf();
  c.Crash("b");
  absl::Duration failover = c.StepUntilSettled(absl::Seconds(2));
  CHECK(failover <= absl::Milliseconds(300) + absl::Milliseconds(30));
  auto after = c.OwnerOf();
  int moved = 0;
  for (const auto& [addr, owner] : before) {
    if (owner == "b") {
      ++moved;
      CHECK(after[addr] != "b");
    } else {
      CHECK(after[addr] == owner);  // Nothing else moves.
    }
  }
  CHECK(moved > 0);
  MembershipSnapshot s = c.Get("a").Snapshot();
  CHECK(s.stats.peers_lost == 1);
  CHECK(s.detection_to_decision.count() == 1);
  CHECK(s.detection_to_decision.Quantile(1.0) >= absl::Milliseconds(300));
  CHECK(s.detection_to_decision.Quantile(1.0) <= absl::Milliseconds(350));
}

TEST_CASE("a graceful leave hands over at once and releases the lease") {
  Cluster c;
  for (const char* n : {"a", "b", "c"}) c.Start(n);
  REQUIRE(c.StepUntilSettled(absl::Seconds(2)) != absl::InfiniteDuration());
  CHECK_FALSE(c.Get("b").Claimed().empty());
  CHECK_OK(c.Get("b").Leave());
  CHECK(c.Get("b").Claimed().empty());
  CHECK(c.Get("b").Snapshot().fence == FenceReason::kStopped);
  c.Step();
  CHECK(c.Duplicates() == 0);
  CHECK(c.Unowned() == 0);  // Within one poll, not suspect_timeout.
  CHECK(c.Get("a").Snapshot().stats.peers_left == 1);
  ASSIGN_OR_FAIL(Lease l, c.store().Get("metallb-system", "speaker-b"));
  CHECK(l.spec.holder_identity.empty());
  // The two survivors stay quorate: the leaver is not counted as known.
  for (int i = 0; i < 200; ++i) c.Step(absl::Milliseconds(100));
  CHECK(c.Get("a").Snapshot().known == 2);
  CHECK(c.Get("a").Snapshot().claiming());
}

TEST_CASE("a node cut off from the majority fences; healing converges") {
  Cluster c;
  for (const char* n : {"a", "b", "c", "d", "e"}) c.Start(n);
  REQUIRE(c.StepUntilSettled(absl::Seconds(2)) != absl::InfiniteDuration());
  auto before = c.OwnerOf();
  c.net().Partition({{"a"}});
  absl::Duration duplicated = absl::ZeroDuration();
  MonoTime fenced_at = MonoTime::InfiniteFuture();
  const MonoTime cut = c.clock().Monotonic();
  for (int i = 0; i < 300; ++i) {
    c.Step();
    if (c.Duplicates() > 0) duplicated += absl::Milliseconds(10);
    if (fenced_at == MonoTime::InfiniteFuture() &&
        c.Get("a").Snapshot().fence == FenceReason::kNoQuorum) {
      fenced_at = c.clock().Monotonic();
    }
  }
  CHECK(fenced_at - cut <= absl::Milliseconds(330));
  CHECK(duplicated <= c.Get("a").SplitBrainBound(absl::ZeroDuration()));
  CHECK(c.Get("a").Claimed().empty());
  CHECK(c.Unowned() == 0);
  // The store is reachable, yet "a" stays fenced: it sees the others renew.
  for (int i = 0; i < 100; ++i) c.Step(absl::Seconds(1));
  CHECK(c.Get("a").Snapshot().fence == FenceReason::kNoQuorum);
  CHECK(c.Duplicates() == 0);
  c.net().Heal();
  for (int i = 0; i < 100; ++i) {
    c.Step();
    CHECK(c.Duplicates() == 0);  // Losers let go before "a" claims.
  }
  CHECK(c.Get("a").Snapshot().claiming());
  CHECK(c.OwnerOf() == before);
}

TEST_CASE("heartbeats keep ownership while the lease store is down") {
  Cluster c;
  for (const char* n : {"a", "b", "c"}) c.Start(n);
  REQUIRE(c.StepUntilSettled(absl::Seconds(2)) != absl::InfiniteDuration());
  auto before = c.OwnerOf();
  c.store().SetAvailable(false);
  for (int i = 0; i < 120; ++i) c.Step(absl::Seconds(1));
  CHECK(c.OwnerOf() == before);
  CHECK(c.Get("a").Snapshot().stats.lease_write_errors > 0);
  // A crash during the outage still fails over: 2 of 3 is a majority.
  c.Crash("c");
  CHECK(c.StepUntilSettled(absl::Seconds(1)) < absl::Milliseconds(400));
}

TEST_CASE(
    "two nodes: a crash leaves an even split; the survivor waits for "
    "the lease") {
  Cluster c;
  c.Start("a");
  c.Start("b");
  REQUIRE(c.StepUntilSettled(absl::Seconds(2)) != absl::InfiniteDuration());
  c.Crash("a");
  const MonoTime crashed = c.clock().Monotonic();
  for (int i = 0; i < 50; ++i) c.Step();
  // b cannot tell a crash from a partition: one of two is not a majority.
  CHECK(c.Get("b").Snapshot().fence == FenceReason::kNoQuorum);
  CHECK(c.Get("b").Claimed().empty());
  // a misses its Lease renewals (every 10 s) and has been silent for 20 s.
  REQUIRE(c.StepUntilSettled(absl::Seconds(60)) != absl::InfiniteDuration());
  const absl::Duration waited = c.clock().Monotonic() - crashed;
  CHECK(waited >= absl::Seconds(20));
  CHECK(waited <= absl::Seconds(31));
  CHECK(c.Get("b").Claimed().size() == 60);
}

TEST_CASE("forged and replayed heartbeats are counted and ignored") {
  Cluster c;
  c.Start("a");
  c.Start("b");
  c.Start("c");
  auto intruder = c.net().Attach("intruder");
  REQUIRE(c.StepUntilSettled(absl::Seconds(2)) != absl::InfiniteDuration());
  // The intruder has been capturing; keep one of b's genuine heartbeats.
  std::vector<uint8_t> captured;
  while (true) {
    auto d = intruder->TryReceive();
    REQUIRE_OK(d);
    if (!d->has_value()) break;
    auto hb = DecodeHeartbeat(**d, kKey);
    if (hb.ok() && hb->node == "b") captured = **d;
  }
  REQUIRE_FALSE(captured.empty());
  Heartbeat forged{"d", 1, 1, false, true, 100000};
  CHECK_OK(
      intruder->SendToPeers(EncodeHeartbeat(forged, "not-the-key-000000")));
  CHECK_OK(intruder->SendToPeers(std::vector<uint8_t>{1, 2, 3}));
  // The captured heartbeat, replayed.
  CHECK_OK(intruder->SendToPeers(captured));
  c.Step();
  MembershipSnapshot s = c.Get("a").Snapshot();
  CHECK(s.stats.heartbeats_unauthenticated == 1);
  CHECK(s.stats.heartbeats_malformed == 1);
  CHECK(s.stats.heartbeats_replayed == 1);
  CHECK(s.known == 3);
}

TEST_CASE("a restarted peer is heard at once; its old incarnation is not") {
  Cluster c;
  for (const char* n : {"a", "b", "c"}) c.Start(n);
  REQUIRE(c.StepUntilSettled(absl::Seconds(2)) != absl::InfiniteDuration());
  auto z = c.net().Attach("z");
  const std::vector<uint8_t> old_late =
      EncodeHeartbeat({"z", 5000, 10, false, false, 0}, kKey);
  CHECK_OK(
      z->SendToPeers(EncodeHeartbeat({"z", 5000, 9, false, false, 0}, kKey)));
  c.Step();
  const int64_t replayed = c.Get("a").Snapshot().stats.heartbeats_replayed;
  const int64_t received = c.Get("a").Snapshot().stats.heartbeats_received;
  // z restarts; whatever its new incarnation, it is heard at once.
  CHECK_OK(
      z->SendToPeers(EncodeHeartbeat({"z", 10, 1, false, false, 0}, kKey)));
  c.Step();
  CHECK(c.Get("a").Snapshot().stats.heartbeats_received == received + 1);
  // A replay of the retired incarnation is refused, even with a new sequence.
  CHECK_OK(z->SendToPeers(old_late));
  c.Step();
  CHECK(c.Get("a").Snapshot().stats.heartbeats_replayed == replayed + 1);
  bool z_heard = false;
  for (const MemberState& m : c.Get("a").Snapshot().members) {
    if (m.node == "z") z_heard = m.heard;
  }
  CHECK(z_heard);
}

TEST_CASE(
    "damped failback: a restarted node gets its addresses back only "
    "after the hold") {
  Cluster c;
  auto start = [&](const std::string& n) {
    MembershipOptions o = c.Options(n);
    o.failback_hold = absl::Seconds(5);
    c.Start(o);
  };
  for (const char* n : {"a", "b", "c"}) start(n);
  REQUIRE(c.StepUntilSettled(absl::Seconds(2)) != absl::InfiniteDuration());
  for (int i = 0; i < 60; ++i) c.Step(absl::Milliseconds(100));  // Settled.
  auto before = c.OwnerOf();
  c.Crash("c");
  REQUIRE(c.StepUntilSettled(absl::Seconds(1)) != absl::InfiniteDuration());
  start("c");
  for (int i = 0; i < 400; ++i) {  // 4 s: c is back but on probation.
    c.Step();
    CHECK(c.Duplicates() == 0);
  }
  CHECK(c.Get("c").Claimed().empty());
  CHECK(c.Get("c").Snapshot().claiming());
  for (int i = 0; i < 200; ++i) c.Step();
  CHECK(c.StepUntilSettled(absl::Seconds(1)) != absl::InfiniteDuration());
  CHECK(c.OwnerOf() == before);
}

TEST_CASE(
    "a lone restarted node claims nothing before it has read the "
    "record") {
  Cluster c;
  for (const char* n : {"a", "b", "c"}) c.Start(n);
  REQUIRE(c.StepUntilSettled(absl::Seconds(2)) != absl::InfiniteDuration());
  c.store().SetAvailable(false);
  c.net().Partition({{"c"}});
  c.Crash("c");
  c.Start("c");
  for (int i = 0; i < 300; ++i) c.Step();
  CHECK(c.Get("c").Snapshot().fence == FenceReason::kStarting);
  CHECK(c.Get("c").Claimed().empty());
}

TEST_CASE("claims callback reports every change") {
  Cluster c;
  std::vector<std::vector<std::string>> seen;
  MembershipOptions o = c.Options("a");
  o.on_claims_changed = [&](const std::vector<std::string>& claimed) {
    seen.push_back(claimed);
  };
  c.Start(o);
  c.Start("b");
  c.Start("c");
  REQUIRE(c.StepUntilSettled(absl::Seconds(2)) != absl::InfiniteDuration());
  REQUIRE_FALSE(seen.empty());
  CHECK(seen.back() == c.Get("a").Claimed());
  CHECK(c.Get("a").Claims(seen.back().front()));
  const size_t before = seen.back().size();
  c.Crash("b");
  REQUIRE(c.StepUntilSettled(absl::Seconds(1)) != absl::InfiniteDuration());
  CHECK(seen.back().size() > before);
  CHECK(seen.back() == c.Get("a").Claimed());
  CHECK_STATUS(c.Get("a").SetAddresses({{"x", {}, true}, {"x", {}, true}}),
               absl::StatusCode::kInvalidArgument, "duplicate");
}

// Forwards to a transport and records the deadline of every WaitReadable().
class RecordingTransport final : public HeartbeatTransport {
 public:
  explicit RecordingTransport(HeartbeatTransport& t) : t_(t) {}
  absl::Status SendToPeers(absl::Span<const uint8_t> d) override {
    return t_.SendToPeers(d);
  }
  absl::StatusOr<std::optional<std::vector<uint8_t>>> TryReceive() override {
    return t_.TryReceive();
  }
  absl::StatusOr<bool> WaitReadable(MonoTime deadline) override {
    {
      absl::MutexLock lock(&mu_);
      deadlines_.push_back(deadline);
    }
    return t_.WaitReadable(deadline);
  }
  void Wake() override { t_.Wake(); }

  // The deadline of the n-th wait (from 1), once it has begun (within 10 s
  // of real time); InfinitePast if it does not.
  MonoTime Wait(size_t n) {
    absl::MutexLock lock(&mu_);
    auto begun = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return deadlines_.size() >= n;
    };
    if (!mu_.AwaitWithTimeout(absl::Condition(&begun), absl::Seconds(10))) {
      return MonoTime::InfinitePast();
    }
    return deadlines_[n - 1];
  }
  size_t waits() {
    absl::MutexLock lock(&mu_);
    return deadlines_.size();
  }

 private:
  HeartbeatTransport& t_;
  absl::Mutex mu_;
  std::vector<MonoTime> deadlines_ ABSL_GUARDED_BY(mu_);
};

TEST_CASE(
    "the network loop sleeps until a datagram or its next deadline; "
    "SetAddresses and Stop wake it") {
  SimulatedClock clock(absl::FromUnixSeconds(1000000));
  InMemoryLeaseStore store;
  FakeNetwork net(clock, 1);
  auto endpoint = net.Attach("a");
  auto peer = net.Attach("b");
  RecordingTransport t(*endpoint);
  MembershipOptions o;
  o.node = "a";
  o.hmac_key = kKey;
  ASSIGN_OR_FAIL(auto m, Membership::Create(store, t, clock, o));
  const MonoTime t0 = clock.Monotonic();
  auto loop = std::async(std::launch::async, [&] { m->RunNetworkLoop(); });
  const absl::Duration ms = absl::Milliseconds(1);

  // First poll at t0: a heartbeat, then sleep until the next one (not for
  // poll_interval).
  CHECK(t.Wait(1) == t0 + 100 * ms);
  CHECK(m->Snapshot().stats.heartbeats_sent == 1);
  // A datagram wakes it; b is heard and its suspect deadline counts.
  clock.AdvanceTime(50 * ms);
  CHECK_OK(
      peer->SendToPeers(EncodeHeartbeat({"b", 7, 1, false, false, 0}, kKey)));
  CHECK(t.Wait(2) == t0 + 100 * ms);
  CHECK(m->Snapshot().stats.heartbeats_received == 1);
  // Heartbeats at t0 + 100 ms and + 200 ms...
  clock.AdvanceTime(50 * ms);
  CHECK(t.Wait(3) == t0 + 200 * ms);
  clock.AdvanceTime(100 * ms);
  CHECK(t.Wait(4) == t0 + 300 * ms);
  // ... and b's suspect deadline, t0 + 50 ms + suspect_timeout, comes before
  // the next one.
  clock.AdvanceTime(100 * ms);
  CHECK(t.Wait(5) == t0 + 350 * ms);
  CHECK(m->Snapshot().stats.heartbeats_sent == 4);
  clock.AdvanceTime(50 * ms);
  CHECK(t.Wait(6) == t0 + 400 * ms);
  CHECK(m->Snapshot().stats.peers_lost == 1);
  // SetAddresses wakes the loop without time moving.
  REQUIRE_OK(m->SetAddresses({{"192.168.1.1", {}, true}}));
  CHECK(t.Wait(7) == t0 + 400 * ms);
  CHECK(clock.Monotonic() == t0 + 350 * ms);
  // One poll per wake-up, nothing in between.
  CHECK(m->Snapshot().stats.network_polls == 7);
  // Stop ends the wait at once.
  m->Stop();
  CHECK(loop.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK(t.waits() == 7);
}

TEST_CASE("a record read by the store loop wakes the network loop") {
  SimulatedClock clock(absl::FromUnixSeconds(1000000));
  InMemoryLeaseStore store;
  FakeNetwork net(clock, 1);
  auto endpoint = net.Attach("a");
  RecordingTransport t(*endpoint);
  MembershipOptions o;
  o.node = "a";
  o.hmac_key = kKey;
  ASSIGN_OR_FAIL(auto m, Membership::Create(store, t, clock, o));
  const MonoTime t0 = clock.Monotonic();
  auto loop = std::async(std::launch::async, [&] { m->RunNetworkLoop(); });
  CHECK(t.Wait(1) == t0 + absl::Milliseconds(100));
  // Read on this thread (the store side may run anywhere): the network loop
  // wakes and now waits for the end of the start-up delay as well.
  m->PollStore();
  CHECK(t.Wait(2) == t0 + absl::Milliseconds(100));
  clock.AdvanceTime(absl::Milliseconds(250));
  CHECK(t.Wait(3) == t0 + absl::Milliseconds(300));
  // Settled at t0 + 300 ms: the next heartbeat, then the end of the
  // activation delay, which comes before the heartbeat after.
  clock.AdvanceTime(absl::Milliseconds(50));
  CHECK(t.Wait(4) == t0 + absl::Milliseconds(350));
  clock.AdvanceTime(absl::Milliseconds(50));
  CHECK(t.Wait(5) == t0 + absl::Milliseconds(300) + o.heartbeat_interval +
                         2 * o.poll_interval);
  CHECK(m->Snapshot().claiming());
  m->Stop();
  CHECK(loop.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
}

}  // namespace
}  // namespace lb::election
