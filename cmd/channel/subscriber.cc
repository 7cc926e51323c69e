#include "cmd/channel/subscriber.h"

#include <google/protobuf/arena.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>

#include "absl/container/btree_set.h"
#include "absl/strings/str_cat.h"
#include "lib/ipam/prefix.h"

namespace lb::channel {
namespace {

constexpr size_t kArenaBlockSize = 256 << 10;

std::vector<ipam::PoolSpace> Spaces(const std::vector<v1::Pool>& pools) {
  std::vector<ipam::PoolSpace> out;
  for (const v1::Pool& p : pools) {
    ipam::Pool pool;
    pool.name = p.name();
    for (const std::string& r : p.ranges()) {
      if (absl::StatusOr<ipam::IpRange> range = ipam::IpRange::Parse(r);
          range.ok()) {
        pool.ranges.push_back(*range);
      }
    }
    out.emplace_back(pool);
  }
  return out;
}

}  // namespace

Subscriber::Subscriber(std::shared_ptr<grpc::ChannelInterface> channel,
                       Options options, Callback on_change,
                       RefusalLog on_refusal)
    : channel_(std::move(channel)),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : real_clock_),
      on_change_(std::move(on_change)),
      on_refusal_(std::move(on_refusal)) {}

Subscriber::~Subscriber() { Stop(); }

bool Subscriber::InPools(const IpAddress& address,
                         const std::vector<ipam::PoolSpace>& pools) {
  for (const ipam::PoolSpace& space : pools) {
    if (space.Contains(address)) return true;
  }
  return false;
}

absl::Status Subscriber::ApplyInPlace(v1::Update& update) {
  std::vector<std::string> refusals;
  ReceivedState copy;
  {
    absl::MutexLock lock(&mu_);
    if (!update.snapshot() && update.epoch() != state_.epoch) {
      ++counters_.gaps;
      return absl::FailedPreconditionError(
          absl::StrCat("change from epoch ", update.epoch(),
                       " does not apply to state from epoch ", state_.epoch));
    }
    if (!update.snapshot() && update.base_generation() != state_.generation) {
      ++counters_.gaps;
      return absl::FailedPreconditionError(
          absl::StrCat("change from generation ", update.base_generation(),
                       " does not apply at generation ", state_.generation));
    }
    if (update.snapshot()) {
      received_ = std::make_shared<AnnouncementMap>();
      ++counters_.snapshots;
    } else {
      ++counters_.changes;
      // Readers hold the current map: change a copy.
      if (received_.use_count() > 1) {
        received_ = std::make_shared<AnnouncementMap>(*received_);
      }
    }
    // Addresses are parsed here, once; a malformed one is refused (and
    // counted) each time it is sent.
    for (v1::Announcement& a : *update.mutable_upserts()) {
      absl::StatusOr<IpAddress> ip = IpAddress::Parse(a.address());
      if (!ip.ok()) {
        ++counters_.refused;
        refusals.push_back(
            absl::StrCat("refusing malformed address \"", a.address(), "\""));
        continue;
      }
      (*received_)[*ip] = Announcement::FromMessage(a);
    }
    for (const std::string& address : update.removals()) {
      if (absl::StatusOr<IpAddress> ip = IpAddress::Parse(address); ip.ok()) {
        received_->erase(*ip);
      }
    }
    if (update.snapshot() || update.pools_changed()) {
      state_.pools.assign(update.pools().begin(), update.pools().end());
    }
    if (update.snapshot() || update.candidate_nodes_changed()) {
      state_.candidate_nodes.assign(update.candidate_nodes().begin(),
                                    update.candidate_nodes().end());
    }
    state_.generation = update.generation();
    state_.epoch = update.epoch();
    std::vector<ipam::PoolSpace> spaces = Spaces(state_.pools);
    absl::btree_set<IpAddress> refused;
    for (const auto& [address, a] : *received_) {
      if (InPools(address, spaces)) continue;
      if (!refused_.count(address)) {
        ++counters_.refused;
        refusals.push_back(absl::StrCat("refusing ", address.ToString(),
                                        ": outside every configured pool"));
      }
      refused.insert(address);
    }
    if (refused.empty()) {
      state_.announcements = received_;
    } else {
      auto admitted = std::make_shared<AnnouncementMap>();
      for (const auto& [address, a] : *received_) {
        if (!refused.count(address)) {
          admitted->emplace_hint(admitted->end(), address, a);
        }
      }
      state_.announcements = std::move(admitted);
    }
    refused_ = std::move(refused);
    copy = state_;
  }
  if (on_refusal_) {
    for (const std::string& why : refusals) on_refusal_(why);
  }
  if (on_change_) on_change_(copy);
  return absl::OkStatus();
}

ReceivedState Subscriber::Snapshot() const {
  absl::MutexLock lock(&mu_);
  return state_;
}

SubscriberCounters Subscriber::counters() const {
  absl::MutexLock lock(&mu_);
  return counters_;
}

void Subscriber::Start() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { Run(); });
}

void Subscriber::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    if (active_ != nullptr) active_->TryCancel();
  }
  if (thread_.joinable()) thread_.join();
}

void Subscriber::Run() {
  auto service = v1::Assignments::NewStub(channel_);
  absl::Duration backoff = options_.min_backoff;
  while (true) {
    grpc::ClientContext context;
    // Wait for the connection rather than fail fast: the waiting call is what
    // drives gRPC's connection attempts (TCP and TLS handshakes); while no call
    // waits, only gRPC's 5 s backup poller would, and an attempt would time
    // out mid-handshake. Stop() cancels the waiting call.
    context.set_wait_for_ready(true);
    v1::WatchRequest request;
    request.set_node(options_.node);
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      active_ = &context;
      request.set_known_generation(state_.generation);
      request.set_known_epoch(state_.epoch);
    }
    std::unique_ptr<grpc::ClientReader<v1::Update>> reader =
        service->Watch(&context, request);
    bool gap = false;
    while (true) {
      // Each message is parsed into an arena of its own and dropped with it:
      // a reused message would keep the largest update's announcements
      // allocated, and thousands of separately allocated parts, freed while
      // the state built from them lives on, would leave the heap in pieces
      // that cannot be given back.
      google::protobuf::ArenaOptions arena_options;
      arena_options.max_block_size = kArenaBlockSize;
      google::protobuf::Arena arena(arena_options);
      auto* update = google::protobuf::Arena::CreateMessage<v1::Update>(&arena);
      if (!reader->Read(update)) break;
      connected_ = true;
      backoff = options_.min_backoff;
      if (!ApplyInPlace(*update).ok()) {
        gap = true;
        context.TryCancel();
        break;
      }
    }
    reader->Finish().IgnoreError();
    connected_ = false;
    bool stopping;
    {
      absl::MutexLock lock(&mu_);
      active_ = nullptr;
      stopping = stopping_;
      ++counters_.reconnects;
      // After a gap, ask for a snapshot; otherwise resume from our generation.
      if (gap) state_.generation = 0;
    }
    if (stopping) return;
    // Back off, but wake at once on Stop.
    absl::MutexLock lock(&mu_);
    clock_.AwaitWithTimeout(&mu_, absl::Condition(&stopping_), backoff);
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

}  // namespace lb::channel
