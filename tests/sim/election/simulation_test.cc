// Seeded chaos scenarios over the simulated cluster. Each seed picks a
// cluster size, clock skew, damping and load bounding, then alternates
// chaos phases (crashes, restarts, graceful leaves, partitions, loss, delay,
// lease-store outages and isolation) with quiet phases. Checked:
//  * after every step: no address is claimed by two nodes for longer than
//    the stated bound (SimCluster::DuplicateBound);
//  * after a crash in an otherwise healthy cluster that keeps a majority:
//    every address with an eligible live node has exactly one owner within
//    the failover bound, and no address of a surviving owner moved;
//  * at the end of every quiet phase: exactly one owner per address, the
//    rendezvous owner over the running nodes.
// LB_SIM_SEEDS=<n> runs more seeds (default 12), from LB_SIM_FIRST_SEED
// (default 1); LB_SIM_TRACE=1 prints events and per-node state of round 1.

#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "tests/sim/election/sim_cluster.h"

namespace lb::election::sim {
namespace {

struct Outcome {
  std::vector<std::string> problems;
  int failover_checks = 0;
  absl::Duration longest_duplicate = absl::ZeroDuration();
};

Outcome RunScenario(uint64_t seed) {
  std::mt19937_64 rng(seed * 7919 + 1);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  auto pick = [&](int n) {
    return static_cast<int>(rng() % static_cast<uint64_t>(n));
  };
  SimConfig config;
  config.seed = seed;
  config.nodes = 3 + static_cast<int>(seed % 5);
  config.addresses = 30;
  config.max_rate_skew = seed % 3 == 0 ? 0.02 : 0.0;
  if (seed % 4 == 1) config.membership.failback_hold = absl::Seconds(2);
  if (seed % 5 == 2) config.membership.ownership.max_load_factor = 1.25;
  // Shorter per-node Leases than the default keep the quiet phases short.
  config.membership.lease_duration = absl::Seconds(20);
  config.membership.lease_renew_interval = absl::Seconds(5);
  const bool bounded = config.membership.ownership.max_load_factor > 0;
  SimCluster sim(config);
  Outcome out;
  auto fail = [&](const std::string& what) {
    out.problems.push_back(absl::StrCat(
        "seed ", seed, " t=", absl::FormatTime(sim.Now()), ": ", what));
  };
  sim.StartAll();
  sim.RunFor(absl::Seconds(2));
  for (const std::string& p : sim.CheckConverged(true)) fail("start: " + p);

  const MembershipOptions& mo = config.membership;
  for (int round = 0; round < 2; ++round) {
    bool partitioned = false, store_down = false, lossy = false;
    std::vector<bool> isolated(sim.size(), false);
    MonoTime last_event = sim.Monotonic();
    // A pending fast-failover check.
    MonoTime check_at = MonoTime::InfiniteFuture();
    std::string crashed;
    std::map<std::string, std::string> owners_before;

    const MonoTime chaos_end = sim.Monotonic() + absl::Seconds(20);
    MonoTime next_event = sim.Monotonic() + absl::Seconds(1);
    while (sim.Monotonic() < chaos_end) {
      if (sim.Monotonic() >= check_at) {
        check_at = MonoTime::InfiniteFuture();
        ++out.failover_checks;
        for (const std::string& p : sim.CheckConverged(false)) {
          fail("failover after crash of " + crashed + ": " + p);
        }
        if (!bounded) {
          const auto now_owners = sim.Owners();
          for (const auto& [addr, owner] : owners_before) {
            if (owner != crashed && now_owners.at(addr) != owner) {
              fail(absl::StrCat(addr, " moved from surviving ", owner, " to ",
                                now_owners.at(addr)));
            }
          }
        }
      }
      if (sim.Monotonic() >= next_event) {
        const bool healthy = !partitioned && !store_down && !lossy &&
                             std::find(isolated.begin(), isolated.end(),
                                       true) == isolated.end() &&
                             sim.Monotonic() - last_event > absl::Seconds(3) &&
                             sim.CheckConverged(false).empty();
        check_at = MonoTime::InfiniteFuture();  // Any event cancels a check.
        const int up = static_cast<int>(sim.UpNodes().size());
        const int i = pick(sim.size());
        // Round 0 only crashes, restarts and leaves (the fast path);
        // round 1 adds network and store faults.
        const int kind = round == 0 ? pick(4) : pick(9);
        switch (kind) {
          case 0:
          case 1:
            if (sim.up(i) && up > 1) {
              if (healthy && 2 * (up - 1) > sim.size()) {
                owners_before = sim.Owners();
                crashed = sim.name(i);
                check_at = sim.Monotonic() +
                           (mo.suspect_timeout + 2 * mo.poll_interval +
                            sim.max_delay()) *
                               (1 + 2 * config.max_rate_skew) +
                           2 * config.tick;
              }
              sim.Crash(i);
            }
            break;
          case 2:
            sim.Start(i);
            break;
          case 3:
            if (sim.up(i) && up > 1) sim.Leave(i);
            break;
          case 4: {
            std::vector<std::string> group;
            for (int n = 0; n < sim.size(); ++n) {
              if (unit(rng) < 0.4) group.push_back(sim.name(n));
            }
            sim.Partition({group});
            partitioned = true;
            break;
          }
          case 5:
            sim.Heal();
            partitioned = false;
            break;
          case 6: {
            const double losses[] = {0, 0.01, 0.05, 0.2};
            const double l = losses[pick(4)];
            sim.SetLoss(l);
            lossy = l > 0;
            const absl::Duration delays[] = {
                absl::ZeroDuration(), absl::Milliseconds(5),
                absl::Milliseconds(20), absl::Milliseconds(50)};
            const absl::Duration d = delays[pick(4)];
            sim.SetDelay(d / 5, d);
            break;
          }
          case 7:
            store_down = !store_down;
            sim.SetStoreAvailable(!store_down);
            break;
          case 8:
            isolated[i] = !isolated[i];
            sim.SetStoreReachable(i, !isolated[i]);
            break;
        }
        if (std::getenv("LB_SIM_TRACE")) {
          fprintf(stderr, "%s event %d i=%d up=%d part=%d store_down=%d\n",
                  absl::FormatTime(sim.Now()).c_str(), kind, i, up, partitioned,
                  store_down);
        }
        last_event = sim.Monotonic();
        next_event = sim.Monotonic() +
                     (round == 0 ? absl::Milliseconds(3100 + pick(2000))
                                 : absl::Milliseconds(500 + pick(5000)));
      }
      sim.Step();
      if (std::getenv("LB_SIM_TRACE") && round == 1) {
        std::string line = absl::FormatTime(sim.Now());
        for (int n = 0; n < sim.size(); ++n) {
          if (!sim.up(n)) {
            line += " [down]";
            continue;
          }
          MembershipSnapshot s = sim.membership(n).Snapshot();
          absl::StrAppend(&line, " [", FenceReasonName(s.fence), " h", s.heard,
                          " k", s.known, " c", s.claimed.size(), "]");
        }
        fprintf(stderr, "%s\n", line.c_str());
      }
    }
    // Quiet phase: repair everything, restart about half of the down nodes.
    sim.Heal();
    sim.SetLoss(0);
    sim.SetDelay(absl::ZeroDuration(), absl::Milliseconds(2));
    sim.SetStoreAvailable(true);
    for (int n = 0; n < sim.size(); ++n) {
      sim.SetStoreReachable(n, true);
      if (!sim.up(n) && unit(rng) < 0.5) sim.Start(n);
    }
    sim.RunFor(absl::Seconds(40));
    for (const std::string& p : sim.CheckConverged(true)) {
      fail(absl::StrCat("quiet phase ", round, ": ", p));
    }
  }
  for (const std::string& v : sim.violations()) fail(v);
  out.longest_duplicate = sim.longest_duplicate();
  return out;
}

TEST_CASE("seeded chaos scenarios keep the invariants") {
  int seeds = 12;
  if (const char* env = std::getenv("LB_SIM_SEEDS")) seeds = std::atoi(env);
  int failover_checks = 0;
  absl::Duration longest = absl::ZeroDuration();
  int first = 1;
  if (const char* env = std::getenv("LB_SIM_FIRST_SEED")) {
    first = std::atoi(env);
  }
  for (int seed = first; seed < first + seeds; ++seed) {
    Outcome o = RunScenario(static_cast<uint64_t>(seed));
    failover_checks += o.failover_checks;
    longest = std::max(longest, o.longest_duplicate);
    INFO("seed ", seed, ":\n", absl::StrJoin(o.problems, "\n"));
    CHECK(o.problems.empty());
  }
  MESSAGE("failover checks: ", failover_checks,
          ", longest duplicate claim: ", absl::FormatDuration(longest));
  CHECK(failover_checks >= seeds / 2);  // The fast path was exercised.
}

struct Run {
  std::vector<std::string> trace;
  std::vector<std::map<std::string, std::string>> owners;
};

// A lossy, delayed, skewed run with a crash and a restart.
Run Record(uint64_t seed) {
  SimConfig config;
  config.seed = seed;
  config.max_rate_skew = 0.02;
  SimCluster sim(config);
  sim.SetLoss(0.1);
  sim.SetDelay(absl::Milliseconds(1), absl::Milliseconds(30));
  sim.StartAll();
  Run run;
  for (int i = 0; i < 40; ++i) {
    sim.RunFor(absl::Milliseconds(100));
    if (i == 10) sim.Crash(2);
    if (i == 25) sim.Start(2);
    run.owners.push_back(sim.Owners());
  }
  run.trace = sim.trace();
  return run;
}

int Count(const std::vector<std::string>& lines, absl::string_view part) {
  int n = 0;
  for (const std::string& l : lines) n += absl::StrContains(l, part);
  return n;
}

TEST_CASE("the same seed gives the same run; another seed another") {
  const Run a = Record(11);
  const Run b = Record(11);  // Independent: a new cluster, clocks, network.
  INFO("trace of seed 11:\n", absl::StrJoin(a.trace, "\n"));
  // The trace holds what the run is known to contain: every node starting
  // and claiming, the crash, the survivors taking over, the restart.
  CHECK(Count(a.trace, "start node-") == 6);
  CHECK(Count(a.trace, "crash node-02") == 1);
  for (const char* n :
       {"node-00", "node-01", "node-02", "node-03", "node-04"}) {
    CAPTURE(n);
    CHECK(Count(a.trace, absl::StrCat(n, " claims ")) >= 1);
  }
  const auto crash = std::find_if(a.trace.begin(), a.trace.end(), [](auto& l) {
    return absl::StrContains(l, "crash node-02");
  });
  REQUIRE(crash != a.trace.end());
  CHECK(Count({crash + 1, a.trace.end()}, " claims ") >= 1);
  // Owned addresses at the end of the run: served, not an empty map.
  int owned = 0;
  for (const auto& [addr, owner] : a.owners.back()) owned += !owner.empty();
  CHECK(owned > 0);

  CHECK(a.trace == b.trace);
  CHECK(a.owners == b.owners);

  const Run c = Record(12);
  CHECK_FALSE(c.trace.empty());
  CHECK(c.trace != a.trace);
}

}  // namespace
}  // namespace lb::election::sim
