#include "cmd/channel/publisher.h"

#include <google/protobuf/arena.h>

#include <algorithm>
#include <random>

namespace lb::channel {
namespace {

bool Same(const google::protobuf::Message& a,
          const google::protobuf::Message& b) {
  return a.SerializeAsString() == b.SerializeAsString();
}

bool SamePools(const std::vector<v1::Pool>& a, const std::vector<v1::Pool>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!Same(a[i], b[i])) return false;
  }
  return true;
}

size_t Entries(const v1::Update& u) {
  return static_cast<size_t>(u.upserts_size() + u.removals_size());
}

// An Update on an arena of its own, which the returned pointer owns: the
// thousands of parts of a snapshot are allocated in a few blocks and freed
// together instead of leaving the heap in pieces.
std::shared_ptr<v1::Update> NewUpdate() {
  google::protobuf::ArenaOptions options;
  options.max_block_size = 256 << 10;
  auto arena = std::make_shared<google::protobuf::Arena>(options);
  v1::Update* update =
      google::protobuf::Arena::CreateMessage<v1::Update>(arena.get());
  return std::shared_ptr<v1::Update>(arena, update);
}

uint64_t RandomEpoch() {
  std::random_device random;
  uint64_t epoch = 0;
  while (epoch == 0) {
    epoch = (static_cast<uint64_t>(random()) << 32) | random();
  }
  return epoch;
}

}  // namespace

Publisher::Publisher(size_t history)
    : history_limit_(history == 0 ? 1 : history), epoch_(RandomEpoch()) {}

uint64_t Publisher::Publish(DesiredState state) {
  absl::MutexLock lock(&mu_);
  std::shared_ptr<v1::Update> update = NewUpdate();
  v1::Update& change = *update;
  for (const auto& [address, announcement] : state.announcements) {
    auto old = state_.announcements.find(address);
    if (old == state_.announcements.end() || old->second != announcement) {
      announcement.ToMessage(address, change.add_upserts());
    }
  }
  for (const auto& [address, announcement] : state_.announcements) {
    if (!state.announcements.count(address)) {
      change.add_removals(address.ToString());
    }
  }
  bool pools_changed = !SamePools(state.pools, state_.pools);
  bool candidates_changed = state.candidate_nodes != state_.candidate_nodes;
  if (generation_ > 0 && change.upserts().empty() &&
      change.removals().empty() && !pools_changed && !candidates_changed) {
    return generation_;
  }
  state_ = std::move(state);
  change.set_base_generation(generation_);
  change.set_generation(++generation_);
  change.set_epoch(epoch_);
  if (pools_changed) {
    change.set_pools_changed(true);
    for (const v1::Pool& p : state_.pools) *change.add_pools() = p;
  }
  if (candidates_changed) {
    change.set_candidate_nodes_changed(true);
    change.mutable_candidate_nodes()->Add(state_.candidate_nodes.begin(),
                                          state_.candidate_nodes.end());
  }
  history_entries_ += Entries(change);
  history_.push_back(std::move(update));
  const size_t max_entries =
      std::max(state_.announcements.size() / 4, kMinHistoryEntries);
  while (history_.size() > history_limit_ ||
         (!history_.empty() && history_entries_ > max_entries)) {
    history_entries_ -= Entries(*history_.front());
    history_.pop_front();
  }
  return generation_;
}

uint64_t Publisher::generation() const {
  absl::MutexLock lock(&mu_);
  return generation_;
}

std::shared_ptr<const v1::Update> Publisher::SnapshotLocked() const {
  if (std::shared_ptr<const v1::Update> held = snapshot_.lock();
      held != nullptr && held->generation() == generation_) {
    return held;
  }
  std::shared_ptr<v1::Update> made = NewUpdate();
  v1::Update& u = *made;
  u.set_generation(generation_);
  u.set_epoch(epoch_);
  u.set_snapshot(true);
  u.mutable_upserts()->Reserve(static_cast<int>(state_.announcements.size()));
  for (const auto& [address, announcement] : state_.announcements) {
    announcement.ToMessage(address, u.add_upserts());
  }
  for (const v1::Pool& p : state_.pools) *u.add_pools() = p;
  u.set_pools_changed(true);
  u.mutable_candidate_nodes()->Add(state_.candidate_nodes.begin(),
                                   state_.candidate_nodes.end());
  u.set_candidate_nodes_changed(true);
  snapshot_ = made;
  return made;
}

std::vector<std::shared_ptr<const v1::Update>> Publisher::UpdatesSince(
    uint64_t known_epoch, uint64_t known) const {
  absl::MutexLock lock(&mu_);
  if (generation_ == 0) return {};
  if (known_epoch != epoch_) return {SnapshotLocked()};
  if (known == generation_) return {};
  bool resumable = known > 0 && known < generation_ && !history_.empty() &&
                   history_.front()->base_generation() <= known;
  if (!resumable) return {SnapshotLocked()};
  std::vector<std::shared_ptr<const v1::Update>> out;
  for (const std::shared_ptr<const v1::Update>& u : history_) {
    if (u->base_generation() >= known) out.push_back(u);
  }
  return out;
}

bool Publisher::WaitBeyond(uint64_t known, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto ready = [this, known]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return shutdown_ || generation_ > known;
  };
  mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  return !shutdown_;
}

void Publisher::Shutdown() {
  absl::MutexLock lock(&mu_);
  shutdown_ = true;
}

grpc::Status AssignmentsService::Watch(grpc::ServerContext* context,
                                       const v1::WatchRequest* request,
                                       grpc::ServerWriter<v1::Update>* writer) {
  // A speaker's name is at most a node name long (253 bytes).
  const std::string node = request->node().substr(0, 253);
  {
    absl::MutexLock lock(&mu_);
    ++active_;
    ++by_node_[node];
  }
  if (observer_) observer_(node, /*open=*/true, grpc::Status::OK);
  // A generation from another controller instance means nothing here: start
  // from 0, so the first state published (or the current one) goes out as a
  // snapshot, and waiting is for any generation.
  uint64_t epoch = publisher_.epoch();
  uint64_t at =
      request->known_epoch() == epoch ? request->known_generation() : 0;
  grpc::Status result = grpc::Status::OK;
  while (!context->IsCancelled()) {
    for (const std::shared_ptr<const v1::Update>& u :
         publisher_.UpdatesSince(epoch, at)) {
      if (!writer->Write(*u)) {
        result =
            grpc::Status(grpc::StatusCode::UNAVAILABLE, "speaker went away");
        break;
      }
      at = u->generation();
    }
    if (!result.ok()) break;
    // Short waits keep cancellation prompt.
    if (!publisher_.WaitBeyond(at, absl::Milliseconds(200))) {
      result = grpc::Status(grpc::StatusCode::UNAVAILABLE,
                            "controller shutting down");
      break;
    }
  }
  if (result.ok()) {
    result = grpc::Status(grpc::StatusCode::CANCELLED, "speaker disconnected");
  }
  {
    absl::MutexLock lock(&mu_);
    --active_;
    if (--by_node_[node] == 0) by_node_.erase(node);
  }
  if (observer_) observer_(node, /*open=*/false, result);
  return result;
}

int AssignmentsService::active_streams() const {
  absl::MutexLock lock(&mu_);
  return active_;
}

std::map<std::string, int> AssignmentsService::streams_by_node() const {
  absl::MutexLock lock(&mu_);
  return by_node_;
}

}  // namespace lb::channel
