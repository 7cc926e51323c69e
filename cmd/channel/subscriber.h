// cmd/channel/subscriber.h
//
// Speaker side of the channel. Keeps the last desired state received from the
// controller, applying snapshots and changes in generation order, refusing what
// it must not announce, and reconnecting with backoff. While the controller is
// unreachable the last state stays in force: the data path never depends on the
// controller being up.
//
//   Subscriber sub(grpc::CreateChannel(addr, creds), {.node = "node-1"},
//                  [](const ReceivedState& s) { /* hand to the announcer */ });
//   sub.Start();
//   ...
//   sub.Stop();
//
// Thread-safety: Start/Stop from one thread; the callback runs on the
// subscriber's thread; Snapshot() and counters may be read from any thread.

#ifndef LB_CMD_CHANNEL_SUBSCRIBER_H_
#define LB_CMD_CHANNEL_SUBSCRIBER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/btree_set.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cmd/channel/announcement.h"
#include "cmd/channel/assignments.grpc.pb.h"
#include "cmd/channel/assignments.pb.h"
#include "lib/base/clock.h"
#include "lib/ipam/pool.h"

namespace lb::channel {

struct ReceivedState {
  // The controller instance that published `generation` (Update.epoch).
  uint64_t epoch = 0;
  uint64_t generation = 0;
  // Only announcements that passed validation. Immutable and shared: copies of
  // the state, the subscriber's own included, hold one map between them.
  std::shared_ptr<const AnnouncementMap> announcements =
      std::make_shared<const AnnouncementMap>();
  std::vector<v1::Pool> pools;
  // Eligible for every announcement with all_candidate_nodes.
  std::vector<std::string> candidate_nodes;
};

struct SubscriberCounters {
  uint64_t snapshots = 0;
  uint64_t changes = 0;
  uint64_t gaps = 0;  // changes that did not apply on top of our generation
  uint64_t reconnects = 0;
  // Announcements refused (malformed or outside every pool), each counted
  // once while it stays refused.
  uint64_t refused = 0;
};

class Subscriber {
 public:
  struct Options {
    std::string node;
    absl::Duration min_backoff = absl::Milliseconds(100);
    absl::Duration max_backoff = absl::Seconds(5);
    // Measures the reconnect backoff (on its monotonic timeline); null: the
    // subscriber's own RealClock.
    Clock* clock = nullptr;
  };
  using Callback = std::function<void(const ReceivedState&)>;
  // Called once for each announcement that becomes refused, with the reason,
  // for logs.
  using RefusalLog = std::function<void(const std::string&)>;

  Subscriber(std::shared_ptr<grpc::ChannelInterface> channel, Options options,
             Callback on_change, RefusalLog on_refusal = nullptr);
  ~Subscriber();

  void Start();
  // Ends the stream and joins the thread. The last state stays readable.
  void Stop();

  // Applies one update. kFailedPrecondition for a change that does not apply on
  // top of the current generation (the caller then asks for a snapshot); the
  // state is unchanged in that case.
  // Takes the update by value: its announcements are moved into the state.
  absl::Status Apply(v1::Update update) ABSL_LOCKS_EXCLUDED(mu_) {
    return ApplyInPlace(update);
  }

  ReceivedState Snapshot() const ABSL_LOCKS_EXCLUDED(mu_);
  SubscriberCounters counters() const ABSL_LOCKS_EXCLUDED(mu_);
  bool connected() const { return connected_.load(); }

 private:
  void Run();
  // Apply, moving the announcements out of `update`.
  absl::Status ApplyInPlace(v1::Update& update) ABSL_LOCKS_EXCLUDED(mu_);
  // Whether `address` may be announced under `pools`.
  static bool InPools(const IpAddress& address,
                      const std::vector<ipam::PoolSpace>& pools);

  const std::shared_ptr<grpc::ChannelInterface> channel_;
  const Options options_;
  RealClock real_clock_;
  Clock& clock_;
  const Callback on_change_;
  const RefusalLog on_refusal_;

  mutable absl::Mutex mu_;
  ReceivedState state_ ABSL_GUARDED_BY(mu_);
  // Every announcement received, valid or not, so a pool change can re-admit
  // them. While none is refused this is also state_.announcements: one map,
  // copied before a change only if a reader still holds it.
  std::shared_ptr<AnnouncementMap> received_ ABSL_GUARDED_BY(mu_) =
      std::make_shared<AnnouncementMap>();
  // Addresses refused at the last update (reported once, not per update).
  absl::btree_set<IpAddress> refused_ ABSL_GUARDED_BY(mu_);
  SubscriberCounters counters_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  grpc::ClientContext* active_ ABSL_GUARDED_BY(mu_) = nullptr;

  std::atomic<bool> connected_{false};
  std::thread thread_;
};

}  // namespace lb::channel

#endif  // LB_CMD_CHANNEL_SUBSCRIBER_H_
