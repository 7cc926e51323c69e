#include "lib/election/leader_elector.h"

#include <doctest/doctest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

#include "lib/base/simulated_clock.h"
#include "lib/election/lease_store.h"
#include "tests/status_matchers.h"

namespace lb::election {
namespace {

LeaderElectorOptions Options(const std::string& identity) {
  LeaderElectorOptions o;
  o.ns = "lb-system";
  o.name = "lb-controller";
  o.identity = identity;
  return o;
}

struct Events {
  int started = 0;
  int stopped = 0;
  std::vector<std::string> leaders;
};

LeaderElectorOptions WithEvents(LeaderElectorOptions o, Events* e) {
  o.on_started_leading = [e] { ++e->started; };
  o.on_stopped_leading = [e] { ++e->stopped; };
  o.on_new_leader = [e](const std::string& id) { e->leaders.push_back(id); };
  return o;
}

TEST_CASE("options are validated like client-go") {
  auto bad = [](auto mutate, const char* what) {
    LeaderElectorOptions o = Options("a");
    mutate(o);
    CHECK_STATUS(ValidateLeaderElectorOptions(o),
                 absl::StatusCode::kInvalidArgument, what);
  };
  CHECK_OK(ValidateLeaderElectorOptions(Options("a")));
  bad([](auto& o) { o.identity = ""; }, "identity");
  bad([](auto& o) { o.ns = ""; }, "ns");
  bad([](auto& o) { o.name = ""; }, "name");
  bad([](auto& o) { o.retry_period = absl::ZeroDuration(); }, "retry_period");
  bad([](auto& o) { o.lease_duration = absl::Milliseconds(15500); },
      "whole number");
  bad([](auto& o) { o.renew_deadline = absl::Seconds(15); },
      "greater than renew_deadline");
  bad(
      [](auto& o) {
        o.renew_deadline = absl::Seconds(2);
        o.retry_period = absl::Seconds(2);
      },
      "1.2 * retry_period");
  InMemoryLeaseStore store;
  SimulatedClock clock;
  LeaderElectorOptions o = Options("a");
  o.lease_duration = absl::Seconds(5);
  CHECK_STATUS(LeaderElector::Create(store, clock, o),
               absl::StatusCode::kInvalidArgument, "lease_duration");
}

TEST_CASE("a lone candidate acquires at once and renews") {
  InMemoryLeaseStore store;
  SimulatedClock clock(absl::FromUnixSeconds(1000));
  Events e;
  ASSIGN_OR_FAIL(auto a, LeaderElector::Create(store, clock,
                                               WithEvents(Options("a"), &e)));
  MonoTime next = a->Step();
  CHECK(a->IsLeader());
  CHECK(e.started == 1);
  CHECK(next == clock.Monotonic() + absl::Seconds(2));
  ASSIGN_OR_FAIL(Lease lease, store.Get("lb-system", "lb-controller"));
  CHECK(lease.spec.holder_identity == "a");
  CHECK(lease.spec.lease_duration_seconds == 15);
  CHECK(lease.spec.lease_transitions == 0);
  const absl::Time acquired = lease.spec.acquire_time;
  // Steps before the next renewal do nothing.
  const int64_t writes = store.writes();
  a->Step();
  CHECK(store.writes() == writes);
  clock.AdvanceTime(absl::Seconds(2));
  a->Step();
  CHECK(store.writes() == writes + 1);
  ASSIGN_OR_FAIL(lease, store.Get("lb-system", "lb-controller"));
  CHECK(lease.spec.acquire_time == acquired);
  CHECK(lease.spec.renew_time == clock.Now());
  CHECK(e.leaders == std::vector<std::string>{"a"});
}

TEST_CASE("a candidate waits LeaseDuration after the last observed change") {
  InMemoryLeaseStore store;
  SimulatedClock clock(absl::FromUnixSeconds(1000));
  Events eb;
  ASSIGN_OR_FAIL(auto a, LeaderElector::Create(store, clock, Options("a")));
  ASSIGN_OR_FAIL(auto b, LeaderElector::Create(store, clock,
                                               WithEvents(Options("b"), &eb)));
  a->Step();
  REQUIRE(a->IsLeader());
  // While a renews, b never gets in.
  for (int i = 0; i < 20; ++i) {
    clock.AdvanceTime(absl::Seconds(1));
    a->Step();
    b->Step();
    CHECK_FALSE(b->IsLeader());
  }
  CHECK(b->ObservedLeader() == "a");
  // a dies (stops stepping). b may take over only once the record has been
  // unchanged for 15 s on b's clock.
  const MonoTime died = clock.Monotonic();
  MonoTime took_over = MonoTime::InfiniteFuture();
  for (int i = 0; i < 400 && !b->IsLeader(); ++i) {
    clock.AdvanceTime(absl::Milliseconds(100));
    b->Step();
    if (b->IsLeader()) took_over = clock.Monotonic();
  }
  REQUIRE(b->IsLeader());
  CHECK(took_over - died >= absl::Seconds(14));
  CHECK(took_over - died <= absl::Seconds(15) + absl::Seconds(5));
  ASSIGN_OR_FAIL(Lease lease, store.Get("lb-system", "lb-controller"));
  CHECK(lease.spec.holder_identity == "b");
  CHECK(lease.spec.lease_transitions == 1);
  CHECK(eb.started == 1);
  CHECK(eb.leaders == std::vector<std::string>{"a", "b"});
}

TEST_CASE("a leader that cannot renew steps down before others take over") {
  InMemoryLeaseStore store;
  SimulatedClock clock(absl::FromUnixSeconds(1000));
  Events ea;
  ASSIGN_OR_FAIL(auto a, LeaderElector::Create(store, clock,
                                               WithEvents(Options("a"), &ea)));
  a->Step();
  REQUIRE(a->IsLeader());
  const MonoTime last_renew = clock.Monotonic();
  store.SetAvailable(false);
  MonoTime stepped_down = MonoTime::InfiniteFuture();
  for (int i = 0; i < 300; ++i) {
    clock.AdvanceTime(absl::Milliseconds(100));
    a->Step();
    if (!a->IsLeader()) {
      stepped_down = clock.Monotonic();
      break;
    }
  }
  CHECK(ea.stopped == 1);
  CHECK(stepped_down - last_renew >= absl::Seconds(10));
  CHECK(stepped_down - last_renew < absl::Seconds(15));
  CHECK(a->stats().failed_attempts > 0);
  // Store back: a competes again like any candidate and wins (its own
  // record), with transitions unchanged.
  store.SetAvailable(true);
  clock.AdvanceTime(absl::Seconds(5));
  a->Step();
  CHECK(a->IsLeader());
  CHECK(ea.started == 2);
}

TEST_CASE("a leader that finds another holder steps down at once") {
  InMemoryLeaseStore store;
  SimulatedClock clock(absl::FromUnixSeconds(1000));
  Events ea;
  ASSIGN_OR_FAIL(auto a, LeaderElector::Create(store, clock,
                                               WithEvents(Options("a"), &ea)));
  a->Step();
  REQUIRE(a->IsLeader());
  // Another writer took the Lease (e.g. while this process was paused).
  ASSIGN_OR_FAIL(Lease lease, store.Get("lb-system", "lb-controller"));
  lease.spec.holder_identity = "intruder";
  lease.spec.lease_transitions = 1;
  REQUIRE_OK(store.Update(lease));
  clock.AdvanceTime(absl::Seconds(2));
  a->Step();
  CHECK_FALSE(a->IsLeader());
  CHECK(ea.stopped == 1);
  CHECK(a->ObservedLeader() == "intruder");
  CHECK(ea.leaders == std::vector<std::string>{"a", "intruder"});
}

TEST_CASE("release hands the lease over at once") {
  InMemoryLeaseStore store;
  SimulatedClock clock(absl::FromUnixSeconds(1000));
  Events ea, eb;
  ASSIGN_OR_FAIL(auto a, LeaderElector::Create(store, clock,
                                               WithEvents(Options("a"), &ea)));
  ASSIGN_OR_FAIL(auto b, LeaderElector::Create(store, clock,
                                               WithEvents(Options("b"), &eb)));
  a->Step();
  b->Step();
  REQUIRE(a->IsLeader());
  REQUIRE_FALSE(b->IsLeader());
  CHECK_OK(a->Release());
  CHECK_FALSE(a->IsLeader());
  CHECK(ea.stopped == 1);
  ASSIGN_OR_FAIL(Lease lease, store.Get("lb-system", "lb-controller"));
  CHECK(lease.spec.holder_identity.empty());
  CHECK(lease.spec.lease_duration_seconds == 1);
  // b's next attempt (within its jittered retry) succeeds without waiting
  // LeaseDuration.
  clock.AdvanceTime(absl::Seconds(5));
  b->Step();
  CHECK(b->IsLeader());
  ASSIGN_OR_FAIL(lease, store.Get("lb-system", "lb-controller"));
  CHECK(lease.spec.lease_transitions == 1);
  CHECK(eb.leaders == std::vector<std::string>{"a", "b"});
  // Releasing when not the leader is a no-op.
  CHECK_OK(a->Release());
  ASSIGN_OR_FAIL(lease, store.Get("lb-system", "lb-controller"));
  CHECK(lease.spec.holder_identity == "b");
}

TEST_CASE(
    "acquire retries are jittered within [RetryPeriod, 2.2 RetryPeriod]") {
  InMemoryLeaseStore store;
  SimulatedClock clock(absl::FromUnixSeconds(1000));
  ASSIGN_OR_FAIL(auto a, LeaderElector::Create(store, clock, Options("a")));
  LeaderElectorOptions ob = Options("b");
  ob.jitter_seed = 42;
  ASSIGN_OR_FAIL(auto b, LeaderElector::Create(store, clock, ob));
  a->Step();
  std::set<int64_t> waits;
  for (int i = 0; i < 20; ++i) {
    const MonoTime now = clock.Monotonic();
    const MonoTime next = b->Step();
    const absl::Duration wait = next - now;
    CHECK(wait >= absl::Seconds(2));
    CHECK(wait <= absl::Seconds(2) * 2.2);
    waits.insert(absl::ToInt64Milliseconds(wait));
    clock.AdvanceTime(next - clock.Monotonic());
    a->Step();
  }
  CHECK(waits.size() > 10);
}

TEST_CASE("two candidates racing for a free lease: exactly one wins") {
  InMemoryLeaseStore store;
  SimulatedClock clock(absl::FromUnixSeconds(1000));
  ASSIGN_OR_FAIL(auto a, LeaderElector::Create(store, clock, Options("a")));
  ASSIGN_OR_FAIL(auto b, LeaderElector::Create(store, clock, Options("b")));
  ASSIGN_OR_FAIL(auto c, LeaderElector::Create(store, clock, Options("c")));
  a->Step();
  CHECK_OK(a->Release());
  // Both observe the free lease and try; the store serialises them.
  clock.AdvanceTime(absl::Seconds(5));
  b->Step();
  c->Step();
  CHECK(b->IsLeader() != c->IsLeader());
}

TEST_CASE("Run drives the elector on the clock and releases on Stop") {
  InMemoryLeaseStore store;
  SimulatedClock clock(absl::FromUnixSeconds(1000));
  Events e;
  ASSIGN_OR_FAIL(auto a, LeaderElector::Create(store, clock,
                                               WithEvents(Options("a"), &e)));
  std::thread runner([&] { a->Run(); });
  while (clock.WaiterCount() == 0) std::this_thread::yield();
  CHECK(a->IsLeader());
  clock.AdvanceTime(absl::Seconds(2));
  while (store.writes() < 2) std::this_thread::yield();
  a->Stop();
  runner.join();
  CHECK_FALSE(a->IsLeader());
  CHECK(e.started == 1);
  CHECK(e.stopped == 1);
  ASSIGN_OR_FAIL(Lease lease, store.Get("lb-system", "lb-controller"));
  CHECK(lease.spec.holder_identity.empty());
}

}  // namespace
}  // namespace lb::election
