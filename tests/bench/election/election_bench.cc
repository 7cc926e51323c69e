// Election benchmarks on the deterministic simulation (simulated time, so
// the figures do not depend on this machine's load):
//  * failover with default Membership settings: from the crash of an owner
//    to the surviving new owner's claim, per moved address (p50, p99, max);
//    also the library's own detection-to-decision histogram;
//  * steady API write rate (per-node Lease renewals) for 10/100 nodes x
//    1k/10k addresses, against the bound nodes / lease_renew_interval.
// Prints one `name: value unit` line per figure.

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "tests/bench/percentile.h"
#include "tests/sim/election/sim_cluster.h"

namespace lb::election::sim {
namespace {

void Failover(int nodes, int trials) {
  SimConfig config;
  config.seed = 99;
  config.nodes = nodes;
  config.addresses = 100;
  config.restricted_fraction = 0;
  config.tick = absl::Milliseconds(1);
  config.check_every_step = false;
  // Default MembershipOptions: heartbeats every 100 ms, suspect after
  // 300 ms, each node polling every 10 ms at its own phase; simulated time
  // moves in 1 ms ticks; one-way delay 0.1-1 ms.
  SimCluster sim(config);
  sim.SetDelay(absl::Microseconds(100), absl::Microseconds(1000));
  sim.StartAll();
  sim.RunFor(absl::Seconds(3));
  std::mt19937_64 rng(7);
  std::vector<double> ms;
  int problems = 0;
  for (int t = 0; t < trials; ++t) {
    sim.RunFor(absl::Milliseconds(static_cast<int>(rng() % 1000)));
    const int victim = static_cast<int>(rng() % nodes);
    const auto before = sim.Owners();
    std::vector<std::string> moved;
    for (const auto& [addr, owner] : before) {
      if (owner == sim.name(victim)) moved.push_back(addr);
    }
    const MonoTime crash = sim.Monotonic();
    sim.Crash(victim);
    std::vector<bool> done(moved.size(), false);
    size_t remaining = moved.size();
    while (remaining > 0 && sim.Monotonic() - crash < absl::Seconds(5)) {
      sim.Step();
      const auto owners = sim.Owners();
      for (size_t i = 0; i < moved.size(); ++i) {
        if (!done[i] && !owners.at(moved[i]).empty()) {
          done[i] = true;
          --remaining;
          ms.push_back(absl::ToDoubleMilliseconds(sim.Monotonic() - crash));
        }
      }
    }
    problems += static_cast<int>(remaining);
    sim.Start(victim);
    sim.RunFor(absl::Seconds(2));
  }
  const std::string p = absl::StrCat("election_failover_", nodes, "_nodes");
  std::printf("%s_p50: %.0f ms\n", p.c_str(), lb::bench::Percentile(ms, 0.50));
  std::printf("%s_p99: %.0f ms\n", p.c_str(), lb::bench::Percentile(ms, 0.99));
  std::printf("%s_max: %.0f ms\n", p.c_str(), lb::bench::Percentile(ms, 1.0));
  std::printf("%s_samples: %zu addresses\n", p.c_str(), ms.size());
  std::printf("%s_not_moved_within_5s: %d addresses\n", p.c_str(), problems);
  LatencyHistogram merged;
  for (int i = 0; i < nodes; ++i) {
    if (!sim.up(i)) continue;
    const MembershipSnapshot s = sim.membership(i).Snapshot();
    if (s.detection_to_decision.count() > merged.count()) {
      merged = s.detection_to_decision;
    }
  }
  std::printf("%s_detection_to_decision_p50: %.0f ms (bucket bound)\n",
              p.c_str(), absl::ToDoubleMilliseconds(merged.Quantile(0.5)));
  std::printf("%s_detection_to_decision_p99: %.0f ms (bucket bound)\n",
              p.c_str(), absl::ToDoubleMilliseconds(merged.Quantile(0.99)));
}

void WriteRate(int nodes, int addresses) {
  SimConfig config;
  config.seed = 3;
  config.nodes = nodes;
  config.addresses = addresses;
  config.restricted_fraction = 0;
  config.tick = absl::Milliseconds(50);
  config.check_every_step = false;
  SimCluster sim(config);
  sim.StartAll();
  sim.RunFor(absl::Seconds(20));
  const int64_t writes = sim.store().writes();
  const absl::Duration window = absl::Seconds(60);
  sim.RunFor(window);
  const double rate =
      (sim.store().writes() - writes) / absl::ToDoubleSeconds(window);
  int claimed = 0;
  for (const auto& [addr, owners] : sim.Claims()) {
    claimed += owners.size() == 1;
  }
  const std::string p = absl::StrCat("election_api_writes_", nodes, "_nodes_",
                                     addresses, "_addresses");
  std::printf("%s: %.2f writes/s\n", p.c_str(), rate);
  std::printf("%s_bound: %.2f writes/s\n", p.c_str(), nodes / 10.0);
  std::printf("%s_owned: %d addresses\n", p.c_str(), claimed);
}

}  // namespace
}  // namespace lb::election::sim

int main() {
  lb::election::sim::Failover(5, 200);
  lb::election::sim::Failover(10, 100);
  std::fflush(stdout);
  for (int nodes : {10, 100}) {
    for (int addresses : {1000, 10000}) {
      lb::election::sim::WriteRate(nodes, addresses);
      std::fflush(stdout);
    }
  }
  return 0;
}
