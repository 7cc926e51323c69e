// A wall-clock step (an NTP step, a VM resuming) in the middle of a run,
// forward and backward by 30 s, on every node at once (each node's
// SkewedClock follows the base clock's wall time). Durations are measured on
// the monotonic clock, so nothing may notice:
//  * Membership: no failover, no fencing, no lost Lease; heartbeats and Lease
//    renewals keep their rate; a crash right after the step still fails over
//    within the usual bound;
//  * LeaderElector: the leader keeps leading and renewing, nobody else takes
//    over.

#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "lib/base/simulated_clock.h"
#include "lib/election/leader_elector.h"
#include "lib/election/lease_store.h"
#include "tests/sim/election/sim_cluster.h"

namespace lb::election::sim {
namespace {

const absl::Duration kSteps[] = {absl::Seconds(30), -absl::Seconds(30)};

SimConfig StepConfig() {
  SimConfig config;
  config.seed = 21;
  config.nodes = 5;
  config.addresses = 40;
  config.max_rate_skew = 0.02;
  return config;
}

TEST_CASE("membership: a wall-clock step changes nothing") {
  for (const absl::Duration step : kSteps) {
    CAPTURE(absl::FormatDuration(step));
    SimCluster sim(StepConfig());
    sim.SetDelay(absl::Milliseconds(1), absl::Milliseconds(5));
    sim.StartAll();
    sim.RunFor(absl::Seconds(5));
    REQUIRE(sim.CheckConverged(true).empty());
    const auto owners = sim.Owners();
    std::vector<MembershipStats> before;
    for (int i = 0; i < sim.size(); ++i) {
      before.push_back(sim.membership(i).Snapshot().stats);
    }

    sim.clock().StepWallClock(step);
    // Longer than a Lease's validity on the record (2 renew intervals).
    const absl::Duration run = absl::Seconds(60);
    int steps = 0, bad_owner_steps = 0, fenced_steps = 0;
    for (absl::Duration t; t < run; t += StepConfig().tick) {
      sim.Step();
      ++steps;
      if (sim.Owners() != owners) ++bad_owner_steps;
      for (int i = 0; i < sim.size(); ++i) {
        if (!sim.membership(i).Snapshot().claiming()) ++fenced_steps;
      }
    }
    CHECK(steps > 0);
    CHECK(bad_owner_steps == 0);
    CHECK(fenced_steps == 0);
    CHECK(sim.violations().empty());
    const MembershipOptions defaults;
    // Heartbeats every heartbeat_interval, Lease renewals every
    // lease_renew_interval, with the clocks' rate skew and a margin of one.
    const double skew = 1 - StepConfig().max_rate_skew;
    const int64_t want_heartbeats =
        static_cast<int64_t>(skew * (run / defaults.heartbeat_interval)) - 1;
    const int64_t want_renewals =
        static_cast<int64_t>(skew * (run / defaults.lease_renew_interval)) - 1;
    for (int i = 0; i < sim.size(); ++i) {
      CAPTURE(sim.name(i));
      const MembershipSnapshot s = sim.membership(i).Snapshot();
      CHECK(s.stats.peers_lost == before[i].peers_lost);
      CHECK(s.stats.fence_transitions == before[i].fence_transitions);
      CHECK(s.stats.claims_gained == before[i].claims_gained);
      CHECK(s.stats.claims_lost == before[i].claims_lost);
      CHECK(s.stats.heartbeats_sent - before[i].heartbeats_sent >=
            want_heartbeats);
      CHECK(s.stats.lease_writes - before[i].lease_writes >= want_renewals);
      CHECK(s.heard == sim.size());
      CHECK(s.known == sim.size());
      for (const MemberState& m : s.members) {
        CAPTURE(m.node);
        CHECK(m.in_record);  // No Lease lost.
        CHECK(m.heard);
      }
    }
  }
}

TEST_CASE("membership: a crash right after a wall-clock step fails over") {
  for (const absl::Duration step : kSteps) {
    CAPTURE(absl::FormatDuration(step));
    const SimConfig config = StepConfig();
    SimCluster sim(config);
    sim.SetDelay(absl::Milliseconds(1), absl::Milliseconds(5));
    sim.StartAll();
    sim.RunFor(absl::Seconds(5));
    REQUIRE(sim.CheckConverged(true).empty());
    sim.clock().StepWallClock(step);
    sim.RunFor(absl::Seconds(1));
    sim.Crash(2);
    const MembershipOptions& o = config.membership;
    const absl::Duration bound =
        (o.suspect_timeout + 2 * o.poll_interval + sim.max_delay()) *
            (1 + 2 * config.max_rate_skew) +
        2 * config.tick;
    sim.RunFor(bound);
    const std::vector<std::string> problems = sim.CheckConverged(false);
    INFO(absl::StrJoin(problems, "\n"));
    CHECK(problems.empty());
    CHECK(sim.violations().empty());
  }
}

TEST_CASE("leader elector: a wall-clock step changes nothing") {
  for (const absl::Duration step : kSteps) {
    CAPTURE(absl::FormatDuration(step));
    SimulatedClock clock(absl::FromUnixSeconds(1700000000));
    InMemoryLeaseStore store;
    struct Candidate {
      std::unique_ptr<SkewedClock> clock;
      std::unique_ptr<LeaderElector> elector;
    };
    std::vector<Candidate> cs;
    const double rates[] = {0.97, 1.0, 1.03};
    for (int i = 0; i < 3; ++i) {
      Candidate c;
      c.clock = std::make_unique<SkewedClock>(clock, rates[i]);
      LeaderElectorOptions o;
      o.ns = "lb-system";
      o.name = "lb-controller";
      o.identity = absl::StrCat("controller-", i);
      o.jitter_seed = static_cast<uint64_t>(i) + 1;
      auto e = LeaderElector::Create(store, *c.clock, o);
      REQUIRE(e.ok());
      c.elector = std::move(*e);
      cs.push_back(std::move(c));
    }
    const absl::Duration tick = absl::Milliseconds(50);
    auto step_all = [&] {
      clock.AdvanceTime(tick);
      // Step() does nothing until it is due.
      for (Candidate& c : cs) c.elector->Step();
    };
    for (int i = 0; i < 20 * 20; ++i) step_all();  // 20 s.
    int leader = -1;
    for (int i = 0; i < 3; ++i) {
      if (cs[i].elector->IsLeader()) leader = i;
    }
    REQUIRE(leader >= 0);
    std::vector<LeaderElectorStats> before;
    for (Candidate& c : cs) before.push_back(c.elector->stats());
    const int64_t writes = store.writes();

    clock.StepWallClock(step);
    const absl::Duration run = absl::Seconds(60);
    int bad_steps = 0;
    for (absl::Duration t; t < run; t += tick) {
      step_all();
      for (int i = 0; i < 3; ++i) {
        if (cs[i].elector->IsLeader() != (i == leader)) ++bad_steps;
      }
    }
    CHECK(bad_steps == 0);
    for (int i = 0; i < 3; ++i) {
      CAPTURE(i);
      const LeaderElectorStats s = cs[i].elector->stats();
      CHECK(s.transitions_to_leader == before[i].transitions_to_leader);
      CHECK(s.transitions_from_leader == before[i].transitions_from_leader);
      CHECK(cs[i].elector->ObservedLeader() ==
            absl::StrCat("controller-", leader));
    }
    // The leader renews every retry_period (2 s) on its own clock.
    const LeaderElectorOptions defaults;
    const int64_t want =
        static_cast<int64_t>(rates[leader] * (run / defaults.retry_period)) - 1;
    CHECK(store.writes() - writes >= want);
  }
}

}  // namespace
}  // namespace lb::election::sim
