// lib/election/fake_network.h
//
// Provides `FakeNetwork`, an in-memory datagram network for tests and
// simulations: endpoints attach by name and get a HeartbeatTransport; the
// network drops, delays and partitions datagrams under a seeded random
// generator and the injected Clock (delays on its monotonic timeline), so a
// run is reproducible from its seed. WaitReadable() waits on that Clock, so a
// thread blocked in it is woken by simulated time moving, by a datagram
// becoming deliverable or by Wake().
//
// Thread-safety: safe for concurrent use.
//
//   lb::SimulatedClock clock;
//   FakeNetwork net(clock, /*seed=*/7);
//   auto a = net.Attach("node-a");
//   auto b = net.Attach("node-b");
//   net.SetLoss(0.05);
//   net.Partition({{"node-a"}, {"node-b"}});   // a and b cannot talk

#ifndef LB_ELECTION_FAKE_NETWORK_H_
#define LB_ELECTION_FAKE_NETWORK_H_

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "lib/base/clock.h"
#include "lib/election/transport.h"

namespace lb::election {

class FakeNetwork {
 public:
  FakeNetwork(Clock& clock, uint64_t seed);
  ~FakeNetwork();

  // Attaches endpoint `name` (replacing an earlier one of that name, whose
  // transport then neither sends nor receives). The transport must not
  // outlive the network.
  std::unique_ptr<HeartbeatTransport> Attach(const std::string& name);

  // Probability in [0, 1] that a datagram is dropped.
  void SetLoss(double probability);
  // Each datagram is delayed by a uniform draw from [min, max].
  void SetDelay(absl::Duration min, absl::Duration max);
  // Only endpoints in the same group can talk; endpoints not named form
  // one more group together. Replaces any earlier partition.
  void Partition(const std::vector<std::vector<std::string>>& groups);
  // Removes every partition.
  void Heal();

  int64_t delivered() const;
  int64_t dropped() const;

 private:
  // The partition group `name` is in; 0 when no partition names it.
  int GroupOf(const std::string& name) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  class Endpoint;
  struct InFlight {
    MonoTime deliver_at;
    uint64_t order;
    std::vector<uint8_t> data;
  };
  struct Inbox {
    std::vector<InFlight> queue;
    bool woken = false;
  };
  absl::Status Send(const Endpoint* from, absl::Span<const uint8_t> datagram);
  std::optional<std::vector<uint8_t>> Receive(const Endpoint* at);
  bool WaitReadable(const Endpoint* at, MonoTime deadline);
  void Wake(const Endpoint* at);
  // Whether `at` has a datagram due at `now` or a pending wake.
  bool Ready(const Endpoint* at, MonoTime now) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Detach(const Endpoint* e);

  Clock& clock_;
  mutable absl::Mutex mu_;
  std::mt19937_64 rng_ ABSL_GUARDED_BY(mu_);
  double loss_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Duration delay_min_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
  absl::Duration delay_max_ ABSL_GUARDED_BY(mu_) = absl::ZeroDuration();
  std::map<std::string, int> group_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, const Endpoint*> endpoints_ ABSL_GUARDED_BY(mu_);
  std::map<const Endpoint*, Inbox> inboxes_ ABSL_GUARDED_BY(mu_);
  uint64_t order_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t delivered_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t dropped_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace lb::election

#endif  // LB_ELECTION_FAKE_NETWORK_H_
