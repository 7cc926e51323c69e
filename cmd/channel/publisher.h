// cmd/channel/publisher.h
//
// Controller side of the channel. The controller publishes the complete desired
// state whenever it changes; the Publisher numbers the changes by generation,
// keeps a short history of them, and streams to each connected speaker a
// snapshot followed by changes.
//
//   Publisher publisher;
//   AssignmentsService service(publisher);   // register with a grpc::ServerBuilder
//   publisher.Publish(state);                // from the controller's work loop
//
// Thread-safety: all methods are safe to call concurrently.

#ifndef LB_CMD_CHANNEL_PUBLISHER_H_
#define LB_CMD_CHANNEL_PUBLISHER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cmd/channel/announcement.h"
#include "cmd/channel/assignments.grpc.pb.h"
#include "cmd/channel/assignments.pb.h"

namespace lb::channel {

// Everything speakers need, as the controller computes it.
struct DesiredState {
  // Keyed by the announcement's address.
  AnnouncementMap announcements;
  std::vector<v1::Pool> pools;
  // Update.candidate_nodes: eligible for announcements with
  // all_candidate_nodes.
  std::vector<std::string> candidate_nodes;
};

class Publisher {
 public:
  // Keeps the last `history` changes so reconnecting speakers can resume
  // without a snapshot, as long as they hold at most a quarter as many
  // announcements and removals as the state (or kMinHistoryEntries): resuming
  // through more would cost about as much as a snapshot, and the history would
  // hold the state several times over. A larger change is not kept at all.
  explicit Publisher(size_t history = 256);
  static constexpr size_t kMinHistoryEntries = 1024;

  // Replaces the desired state. Returns the generation after the call:
  // unchanged when the state is the same as before.
  uint64_t Publish(DesiredState state) ABSL_LOCKS_EXCLUDED(mu_);

  uint64_t generation() const ABSL_LOCKS_EXCLUDED(mu_);

  // This publisher's instance (random, nonzero); every Update carries it.
  uint64_t epoch() const { return epoch_; }

  // The updates that bring a receiver at generation `known` of `known_epoch` to
  // the current one: the recorded changes when the epoch is this one and
  // `known` is within the history, otherwise one snapshot. Empty when `known`
  // is current or nothing was ever published. Updates are shared, not copied:
  // receivers asking at the same time for a snapshot of one generation share
  // one message (ten speakers connecting at 10k addresses would otherwise
  // hold ten copies of the state).
  std::vector<std::shared_ptr<const v1::Update>> UpdatesSince(
      uint64_t known_epoch, uint64_t known) const ABSL_LOCKS_EXCLUDED(mu_);

  // Waits up to `timeout` for a generation beyond `known`, or for Shutdown.
  // Returns false after Shutdown.
  bool WaitBeyond(uint64_t known, absl::Duration timeout) const
      ABSL_LOCKS_EXCLUDED(mu_);

  // Ends every stream.
  void Shutdown() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // The snapshot of the current generation: the one still held by a receiver
  // if any, else a new one.
  std::shared_ptr<const v1::Update> SnapshotLocked() const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t history_limit_;
  const uint64_t epoch_;
  mutable absl::Mutex mu_;
  DesiredState state_ ABSL_GUARDED_BY(mu_);
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;
  // Change updates, oldest first, each applying on top of generation - 1.
  std::deque<std::shared_ptr<const v1::Update>> history_ ABSL_GUARDED_BY(mu_);
  // The last snapshot handed out; not kept alive here, so it costs nothing
  // once every receiver has sent it.
  mutable std::weak_ptr<const v1::Update> snapshot_ ABSL_GUARDED_BY(mu_);
  // Upserts plus removals over history_.
  size_t history_entries_ ABSL_GUARDED_BY(mu_) = 0;
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
};

// The gRPC service: one Watch stream per speaker.
class AssignmentsService final : public v1::Assignments::Service {
 public:
  // Called as a stream opens (`open` true) and ends, with the node name the
  // speaker gave (WatchRequest.node; "" when it gave none) and, on end, why.
  using StreamObserver = std::function<void(const std::string& node, bool open,
                                            const grpc::Status& end)>;

  // `publisher` must outlive the service. `observer` may be null; it runs on
  // the stream's thread.
  explicit AssignmentsService(Publisher& publisher,
                              StreamObserver observer = nullptr)
      : publisher_(publisher), observer_(std::move(observer)) {}

  grpc::Status Watch(grpc::ServerContext* context,
                     const v1::WatchRequest* request,
                     grpc::ServerWriter<v1::Update>* writer) override;

  // Streams currently open.
  int active_streams() const ABSL_LOCKS_EXCLUDED(mu_);
  // Streams currently open, by the node name each speaker gave; nodes with
  // none open are absent.
  std::map<std::string, int> streams_by_node() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  Publisher& publisher_;
  const StreamObserver observer_;
  mutable absl::Mutex mu_;
  std::map<std::string, int> by_node_ ABSL_GUARDED_BY(mu_);
  int active_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace lb::channel

#endif  // LB_CMD_CHANNEL_PUBLISHER_H_
