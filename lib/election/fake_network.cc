#include "lib/election/fake_network.h"

#include <algorithm>
#include <utility>

namespace lb::election {

class FakeNetwork::Endpoint final : public HeartbeatTransport {
 public:
  Endpoint(FakeNetwork* net, std::string name)
      : net_(net), name_(std::move(name)) {}
  ~Endpoint() override { net_->Detach(this); }

  absl::Status SendToPeers(absl::Span<const uint8_t> datagram) override {
    return net_->Send(this, datagram);
  }
  absl::StatusOr<std::optional<std::vector<uint8_t>>> TryReceive() override {
    return net_->Receive(this);
  }
  absl::StatusOr<bool> WaitReadable(MonoTime deadline) override {
    return net_->WaitReadable(this, deadline);
  }
  void Wake() override { net_->Wake(this); }
  const std::string& name() const { return name_; }

 private:
  FakeNetwork* net_;
  std::string name_;
};

FakeNetwork::FakeNetwork(Clock& clock, uint64_t seed)
    : clock_(clock), rng_(seed) {}

FakeNetwork::~FakeNetwork() = default;

std::unique_ptr<HeartbeatTransport> FakeNetwork::Attach(
    const std::string& name) {
  auto e = std::make_unique<Endpoint>(this, name);
  absl::MutexLock lock(&mu_);
  auto it = endpoints_.find(name);
  if (it != endpoints_.end()) inboxes_.erase(it->second);
  endpoints_[name] = e.get();
  inboxes_[e.get()];
  return e;
}

void FakeNetwork::Detach(const Endpoint* e) {
  absl::MutexLock lock(&mu_);
  auto it = endpoints_.find(e->name());
  if (it != endpoints_.end() && it->second == e) endpoints_.erase(it);
  inboxes_.erase(e);
}

void FakeNetwork::SetLoss(double probability) {
  absl::MutexLock lock(&mu_);
  loss_ = std::clamp(probability, 0.0, 1.0);
}

void FakeNetwork::SetDelay(absl::Duration min, absl::Duration max) {
  absl::MutexLock lock(&mu_);
  delay_min_ = std::max(absl::ZeroDuration(), min);
  delay_max_ = std::max(delay_min_, max);
}

void FakeNetwork::Partition(
    const std::vector<std::vector<std::string>>& groups) {
  absl::MutexLock lock(&mu_);
  group_.clear();
  for (size_t g = 0; g < groups.size(); ++g) {
    for (const std::string& n : groups[g]) group_[n] = static_cast<int>(g) + 1;
  }
}

void FakeNetwork::Heal() {
  absl::MutexLock lock(&mu_);
  group_.clear();
}

int FakeNetwork::GroupOf(const std::string& name) const {
  auto it = group_.find(name);
  return it == group_.end() ? 0 : it->second;
}

absl::Status FakeNetwork::Send(const Endpoint* from,
                               absl::Span<const uint8_t> datagram) {
  const MonoTime now = clock_.Monotonic();
  absl::MutexLock lock(&mu_);
  auto self = endpoints_.find(from->name());
  if (self == endpoints_.end() || self->second != from) {
    return absl::UnavailableError("endpoint detached");
  }
  const int my_group = GroupOf(from->name());
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (const auto& [name, ep] : endpoints_) {
    if (ep == from) continue;
    if (GroupOf(name) != my_group || unit(rng_) < loss_) {
      ++dropped_;
      continue;
    }
    const absl::Duration delay =
        delay_min_ + (delay_max_ - delay_min_) * unit(rng_);
    inboxes_[ep].queue.push_back(
        {now + delay, order_++,
         std::vector<uint8_t>(datagram.begin(), datagram.end())});
  }
  return absl::OkStatus();
}

std::optional<std::vector<uint8_t>> FakeNetwork::Receive(const Endpoint* at) {
  const MonoTime now = clock_.Monotonic();
  absl::MutexLock lock(&mu_);
  auto inbox = inboxes_.find(at);
  if (inbox == inboxes_.end()) return std::nullopt;
  std::vector<InFlight>& q = inbox->second.queue;
  auto best = q.end();
  for (auto it = q.begin(); it != q.end(); ++it) {
    if (it->deliver_at > now) continue;
    if (best == q.end() || it->deliver_at < best->deliver_at ||
        (it->deliver_at == best->deliver_at && it->order < best->order)) {
      best = it;
    }
  }
  if (best == q.end()) return std::nullopt;
  std::vector<uint8_t> data = std::move(best->data);
  q.erase(best);
  ++delivered_;
  return data;
}

bool FakeNetwork::Ready(const Endpoint* at, MonoTime now) const {
  auto inbox = inboxes_.find(at);
  if (inbox == inboxes_.end()) return false;
  if (inbox->second.woken) return true;
  for (const InFlight& f : inbox->second.queue) {
    if (f.deliver_at <= now) return true;
  }
  return false;
}

bool FakeNetwork::WaitReadable(const Endpoint* at, MonoTime deadline) {
  absl::MutexLock lock(&mu_);
  auto ready = [this, at]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return Ready(at, clock_.Monotonic());
  };
  const bool got =
      clock_.AwaitWithDeadline(&mu_, absl::Condition(&ready), deadline);
  if (auto inbox = inboxes_.find(at); inbox != inboxes_.end()) {
    inbox->second.woken = false;
  }
  return got;
}

void FakeNetwork::Wake(const Endpoint* at) {
  absl::MutexLock lock(&mu_);
  if (auto inbox = inboxes_.find(at); inbox != inboxes_.end()) {
    inbox->second.woken = true;
  }
}

int64_t FakeNetwork::delivered() const {
  absl::MutexLock lock(&mu_);
  return delivered_;
}

int64_t FakeNetwork::dropped() const {
  absl::MutexLock lock(&mu_);
  return dropped_;
}

}  // namespace lb::election
