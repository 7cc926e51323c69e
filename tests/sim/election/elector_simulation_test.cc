// Seeded scenarios for LeaderElector: several candidates with clocks running
// at different rates (up to +-5 %), crashes, restarts, graceful releases,
// process pauses, lease-store outages and single candidates cut off from the
// store. Checked after every 50 ms step: at most one running,
// unpaused candidate believes it leads; and after every quiet period long
// enough for a lease to expire, exactly one leads.
// LB_ELECTOR_SEEDS=<n> runs more seeds (default 20).

#include <doctest/doctest.h>

#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/base/simulated_clock.h"
#include "lib/election/leader_elector.h"
#include "lib/election/lease_store.h"
#include "tests/sim/election/sim_cluster.h"

namespace lb::election::sim {
namespace {

struct Candidate {
  std::string id;
  std::unique_ptr<SkewedClock> clock;
  std::unique_ptr<NodeStore> store;  // This candidate's view of the store.
  std::unique_ptr<LeaderElector> elector;
  MonoTime paused_until = MonoTime::InfinitePast();
  MonoTime next_step = MonoTime::InfinitePast();
};

std::vector<std::string> RunScenario(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  SimulatedClock clock(absl::FromUnixSeconds(1700000000));
  InMemoryLeaseStore store;
  std::vector<std::string> problems;
  std::vector<Candidate> cs(3);
  auto start = [&](int i) {
    LeaderElectorOptions o;
    o.ns = "lb-system";
    o.name = "lb-controller";
    o.identity = cs[i].id + "_" + std::to_string(rng() % 100000);
    o.jitter_seed = rng();
    auto e = LeaderElector::Create(*cs[i].store, *cs[i].clock, o);
    if (!e.ok()) {
      problems.push_back(e.status().ToString());
      return;
    }
    cs[i].elector = std::move(*e);
    cs[i].next_step = MonoTime::InfinitePast();
  };
  for (int i = 0; i < 3; ++i) {
    cs[i].id = absl::StrCat("controller-", i);
    cs[i].clock = std::make_unique<SkewedClock>(clock, 0.95 + 0.1 * unit(rng));
    cs[i].store = std::make_unique<NodeStore>(store);
    start(i);
  }
  const absl::Duration tick = absl::Milliseconds(50);
  auto step = [&] {
    clock.AdvanceTime(tick);
    for (Candidate& c : cs) {
      if (!c.elector || clock.Monotonic() < c.paused_until) continue;
      // Step when due on the candidate's own clock.
      if (c.clock->Monotonic() >= c.next_step) {
        c.next_step = c.elector->Step();
      }
    }
    std::vector<std::string> leaders;
    for (Candidate& c : cs) {
      if (c.elector && clock.Monotonic() >= c.paused_until &&
          c.elector->IsLeader()) {
        leaders.push_back(c.id);
      }
    }
    if (leaders.size() > 1) {
      problems.push_back(
          absl::StrCat("seed ", seed, " t=", absl::FormatTime(clock.Now()),
                       ": leaders ", absl::StrJoin(leaders, ",")));
    }
    return leaders.size();
  };
  for (int phase = 0; phase < 6; ++phase) {
    // Chaos: 30 s of events.
    const MonoTime end = clock.Monotonic() + absl::Seconds(30);
    while (clock.Monotonic() < end) {
      if (unit(rng) < 0.01) {  // About every 5 s.
        const int i = static_cast<int>(rng() % 3);
        switch (rng() % 6) {
          case 0:
            cs[i].elector.reset();  // Crash.
            break;
          case 1:
            if (!cs[i].elector) start(i);
            break;
          case 2: {
            // Graceful stop: release, then gone.
            if (cs[i].elector) {
              (void)cs[i].elector->Release();
              cs[i].elector.reset();
            }
            break;
          }
          case 3:
            // A process pause (GC, SIGSTOP) of up to 30 s.
            cs[i].paused_until =
                clock.Monotonic() + absl::Milliseconds(rng() % 30000);
            break;
          case 4:
            store.SetAvailable(!(unit(rng) < 0.5));
            break;
          case 5:
            // This candidate alone loses (or regains) the API server.
            cs[i].store->set_reachable(!cs[i].store->reachable());
            break;
        }
      }
      step();
    }
    // Quiet: everyone runs, store up; a leader must emerge.
    store.SetAvailable(true);
    for (int i = 0; i < 3; ++i) {
      cs[i].store->set_reachable(true);
      cs[i].paused_until = MonoTime::InfinitePast();
      if (!cs[i].elector) start(i);
    }
    size_t leaders = 0;
    for (int i = 0; i < 30 * 20; ++i) leaders = step();
    if (leaders != 1) {
      problems.push_back(absl::StrCat("seed ", seed, " phase ", phase, ": ",
                                      leaders, " leaders after 30 s quiet"));
    }
  }
  return problems;
}

TEST_CASE("seeded elector scenarios: never two active leaders") {
  int seeds = 20;
  if (const char* env = std::getenv("LB_ELECTOR_SEEDS")) {
    seeds = std::atoi(env);
  }
  for (int seed = 1; seed <= seeds; ++seed) {
    std::vector<std::string> problems = RunScenario(seed);
    INFO(absl::StrJoin(problems, "\n"));
    CHECK(problems.empty());
  }
}

}  // namespace
}  // namespace lb::election::sim
