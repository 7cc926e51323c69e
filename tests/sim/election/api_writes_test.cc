// Counts Lease writes of a simulated speaker cluster: the steady API write
// rate must depend on the number of nodes only (one renewal per node per
// lease_renew_interval), never on the number of addresses.

#include <doctest/doctest.h>

#include <cstdint>

#include "tests/sim/election/sim_cluster.h"

namespace lb::election::sim {
namespace {

struct Rates {
  double writes_per_second;
  double reads_per_second;
  int claimed;
};

Rates Measure(int nodes, int addresses) {
  SimConfig config;
  config.seed = 5;
  config.nodes = nodes;
  config.addresses = addresses;
  config.restricted_fraction = 0;
  config.tick = absl::Milliseconds(50);
  config.check_every_step = false;
  SimCluster sim(config);
  sim.StartAll();
  sim.RunFor(absl::Seconds(30));
  const int64_t writes = sim.store().writes();
  const int64_t reads = sim.store().reads();
  const absl::Duration window = absl::Seconds(120);
  sim.RunFor(window);
  int claimed = 0;
  for (const auto& [addr, owners] : sim.Claims()) {
    claimed += static_cast<int>(owners.size());
  }
  const double secs = absl::ToDoubleSeconds(window);
  return {(sim.store().writes() - writes) / secs,
          (sim.store().reads() - reads) / secs, claimed};
}

TEST_CASE("10 nodes x 1000 addresses: writes grow with nodes only") {
  const Rates many = Measure(10, 1000);
  const Rates few = Measure(10, 10);
  const Rates twice = Measure(20, 1000);
  MESSAGE("10 nodes x 1000 addresses: ", many.writes_per_second, " writes/s, ",
          many.reads_per_second, " reads/s");
  MESSAGE("10 nodes x 10 addresses: ", few.writes_per_second, " writes/s");
  MESSAGE("20 nodes x 1000 addresses: ", twice.writes_per_second, " writes/s");
  // Every address is served, once.
  CHECK(many.claimed == 1000);
  CHECK(few.claimed == 10);
  CHECK(twice.claimed == 1000);
  // At most nodes / renew interval (10 / 10 s), and not far below it.
  CHECK(many.writes_per_second <= 10 / 10.0 + 1e-9);
  CHECK(many.writes_per_second >= 0.95);
  // Independent of the number of addresses: exactly the same writes.
  CHECK(many.writes_per_second == few.writes_per_second);
  // Proportional to the number of nodes.
  CHECK(twice.writes_per_second ==
        doctest::Approx(2 * many.writes_per_second).epsilon(0.02));
  CHECK(many.reads_per_second <= 10 / 10.0 + 1e-9);
}

}  // namespace
}  // namespace lb::election::sim
