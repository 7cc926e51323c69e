// tests/sim/election/sim_cluster.h
//
// A deterministic, seeded simulation of a cluster of speakers running
// lb::election::Membership over a fake network (loss, delay, partitions),
// a fake lease store (outages, per-node isolation) and per-node clocks that
// may run at different rates. Every Step() advances simulated time by one
// tick, polls every running node and checks the safety invariant (no address
// claimed by two nodes for longer than the stated bound); callers add
// liveness checks at moments they know the cluster should have converged.
//
// Thread-safety: single-threaded.
//
//   SimConfig config;
//   config.seed = 7;
//   SimCluster sim(config);
//   sim.StartAll();
//   sim.RunFor(absl::Seconds(2));
//   sim.Crash(1);
//   sim.RunFor(absl::Milliseconds(400));
//   CHECK(sim.CheckConverged().empty());

#ifndef LB_TESTS_SIM_ELECTION_SIM_CLUSTER_H_
#define LB_TESTS_SIM_ELECTION_SIM_CLUSTER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "lib/base/clock.h"
#include "lib/base/simulated_clock.h"
#include "lib/election/fake_network.h"
#include "lib/election/lease_store.h"
#include "lib/election/membership.h"
#include "lib/election/ownership.h"

namespace lb::election::sim {

struct SimConfig {
  uint64_t seed = 1;
  int nodes = 5;
  int addresses = 40;
  // Fraction of addresses with a random explicit eligible subset (the rest:
  // every node eligible).
  double restricted_fraction = 0.3;
  absl::Duration tick = absl::Milliseconds(10);
  // Each node's clock runs at a rate drawn from [1 - skew, 1 + skew].
  double max_rate_skew = 0;
  // Whether Step() checks the duplicate-claim invariant (costs a pass over
  // every node's claims).
  bool check_every_step = true;
  // Applied to every node (node name and key are filled in).
  MembershipOptions membership;
};

// A Clock running at `rate` times the base clock (both timelines), from the
// base clock's time at construction. Steps of the base clock's wall time
// (SimulatedClock::StepWallClock) show in Now() as they are.
class SkewedClock final : public Clock {
 public:
  SkewedClock(SimulatedClock& base, double rate);
  absl::Time Now() override;
  MonoTime Monotonic() override;
  void SleepUntil(MonoTime deadline) override;
  bool AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& cond,
                         MonoTime deadline) override;

 private:
  MonoTime ToBase(MonoTime t) const;
  SimulatedClock& base_;
  const MonoTime mono_origin_;
  const double rate_;
};

// A view of the shared store from one node, which may be cut off from it.
class NodeStore final : public LeaseStore {
 public:
  explicit NodeStore(LeaseStore& base) : base_(base) {}
  void set_reachable(bool r) { reachable_ = r; }
  bool reachable() const { return reachable_; }
  absl::StatusOr<Lease> Get(absl::string_view ns,
                            absl::string_view name) override;
  absl::StatusOr<Lease> Create(const Lease& lease) override;
  absl::StatusOr<Lease> Update(const Lease& lease) override;
  absl::StatusOr<std::vector<Lease>> List(
      absl::string_view ns, absl::string_view name_prefix) override;

 private:
  LeaseStore& base_;
  bool reachable_ = true;
};

class SimCluster {
 public:
  explicit SimCluster(SimConfig config);
  ~SimCluster();

  int size() const { return static_cast<int>(nodes_.size()); }
  const std::string& name(int i) const { return nodes_[i].name; }
  bool up(int i) const { return nodes_[i].membership != nullptr; }
  Membership& membership(int i) { return *nodes_[i].membership; }
  const std::vector<AddressRequest>& requests() const { return requests_; }

  void StartAll();
  void Start(int i);  // (Re)starts node i; no-op if up.
  void Crash(int i);  // Stops node i without a word.
  void Leave(int i);  // Graceful stop of node i.
  void Partition(const std::vector<std::vector<std::string>>& groups);
  void Heal();
  void SetLoss(double p);
  void SetDelay(absl::Duration min, absl::Duration max);
  void SetStoreAvailable(bool available);
  void SetStoreReachable(int i, bool reachable);

  // One tick: advance time; for every running node, as Membership's loops
  // do, call PollStore() when it is due and PollNetwork() when a datagram or
  // a wake is waiting or what it last returned is due; check safety.
  void Step();
  void RunFor(absl::Duration d);

  // The base clock: wall time (for messages) and monotonic time.
  absl::Time Now() { return clock_.Now(); }
  MonoTime Monotonic() { return clock_.Monotonic(); }
  absl::Duration max_delay() const { return delay_max_; }
  SimulatedClock& clock() { return clock_; }
  InMemoryLeaseStore& store() { return store_; }
  FakeNetwork& network() { return network_; }

  // Address -> running nodes claiming it.
  std::map<std::string, std::vector<std::string>> Claims() const;
  // Address -> its single claimer ("" if none or several).
  std::map<std::string, std::string> Owners() const;
  // Names of running nodes.
  std::vector<std::string> UpNodes() const;

  // The longest a duplicate claim may last: the nodes' SplitBrainBound for
  // the current maximum delay, widened by the clock-rate skew, plus a tick.
  absl::Duration DuplicateBound() const;

  // Empty if every address with an eligible running node has exactly one
  // claimer and (if `exact`) it is the rendezvous owner over the running
  // nodes; otherwise one line per problem.
  std::vector<std::string> CheckConverged(bool exact) const;

  // Safety violations seen by Step() so far (one line each).
  const std::vector<std::string>& violations() const { return violations_; }
  // Longest duplicate claim seen so far.
  absl::Duration longest_duplicate() const { return longest_duplicate_; }

  // What happened, in order, one line each, stamped with the simulated time
  // since construction: every change of a node's claims ("+1.23s node-01
  // claims 10.0.0.1,10.0.0.7") and every fault or restart the caller
  // injected ("+2s crash node-02"). The same seed and calls give the same
  // trace.
  const std::vector<std::string>& trace() const { return trace_; }

 private:
  struct Node {
    std::string name;
    std::unique_ptr<SkewedClock> clock;
    std::unique_ptr<NodeStore> store;
    std::unique_ptr<HeartbeatTransport> transport;
    std::unique_ptr<Membership> membership;
    // What PollNetwork() / PollStore() last returned, on the node's clock.
    MonoTime next_network = MonoTime::InfinitePast();
    MonoTime next_store = MonoTime::InfinitePast();
  };

  SimConfig config_;
  std::mt19937_64 rng_;
  SimulatedClock clock_;
  InMemoryLeaseStore store_;
  FakeNetwork network_;
  std::vector<Node> nodes_;
  std::vector<AddressRequest> requests_;
  absl::Duration delay_max_ = absl::ZeroDuration();
  std::map<std::string, MonoTime> duplicate_since_;
  absl::Duration longest_duplicate_ = absl::ZeroDuration();
  std::vector<std::string> violations_;
  const MonoTime start_;
  std::vector<std::string> trace_;

  void Trace(absl::string_view what);
};

}  // namespace lb::election::sim

#endif  // LB_TESTS_SIM_ELECTION_SIM_CLUSTER_H_
