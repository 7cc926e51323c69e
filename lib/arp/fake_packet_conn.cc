#include "lib/arp/fake_packet_conn.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace lb::arp {

FakePacketConn::FakePacketConn(FakePacketConnFactory* owner, int ifindex,
                               Protocol protocol)
    : owner_(owner),
      ifindex_(ifindex),
      protocol_(protocol),
      event_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

FakePacketConn::~FakePacketConn() {
  size_t dropped;
  {
    absl::MutexLock lock(&mu_);
    dropped = queue_.size();
  }
  owner_->Closed(this, dropped);
  close(event_fd_);
}

absl::StatusOr<size_t> FakePacketConn::Receive(absl::Span<ReceivedFrame> out) {
  size_t n = 0;
  {
    absl::MutexLock lock(&mu_);
    n = ReceiveLocked(out);
  }
  if (n > 0) owner_->Delivered(n);
  return n;
}

size_t FakePacketConn::ReceiveLocked(absl::Span<ReceivedFrame> out) {
  size_t n = 0;
  while (n < out.size() && !queue_.empty()) {
    auto& [type, bytes] = queue_.front();
    ReceivedFrame& f = out[n++];
    f.type = type;
    f.truncated = bytes.size() > ReceivedFrame::kCapacity;
    f.length = std::min(bytes.size(), ReceivedFrame::kCapacity);
    std::memcpy(f.data.data(), bytes.data(), f.length);
    queue_.pop_front();
  }
  if (queue_.empty()) {
    uint64_t v;
    (void)!read(event_fd_, &v, sizeof(v));
  }
  return n;
}

absl::Status FakePacketConn::Send(absl::Span<const std::vector<uint8_t>> frames,
                                  size_t* sent) {
  absl::MutexLock lock(&mu_);
  if (sent != nullptr) *sent = 0;
  for (const auto& f : frames) {
    if (f.size() < 14) {
      return absl::InvalidArgumentError(
          absl::StrCat("frame of ", f.size(), " bytes has no Ethernet header"));
    }
  }
  for (const auto& f : frames) {
    if (!send_status_.ok()) {
      if (sends_before_failure_ == 0) return send_status_;
      --sends_before_failure_;
    }
    sent_.push_back(f);
    if (sent != nullptr) ++*sent;
  }
  return absl::OkStatus();
}

absl::Status FakePacketConn::JoinGroup(const IpAddress& group) {
  absl::MutexLock lock(&mu_);
  if (!join_status_.ok()) return join_status_;
  groups_.insert(group);
  return absl::OkStatus();
}

absl::Status FakePacketConn::LeaveGroup(const IpAddress& group) {
  absl::MutexLock lock(&mu_);
  groups_.erase(group);
  return absl::OkStatus();
}

void FakePacketConn::Inject(PacketType type, absl::Span<const uint8_t> frame) {
  owner_->Injected(1);
  absl::MutexLock lock(&mu_);
  queue_.emplace_back(type, std::vector<uint8_t>(frame.begin(), frame.end()));
  uint64_t one = 1;
  (void)!write(event_fd_, &one, sizeof(one));
}

std::vector<std::vector<uint8_t>> FakePacketConn::TakeSent() {
  absl::MutexLock lock(&mu_);
  return std::exchange(sent_, {});
}

bool FakePacketConn::AwaitSent(size_t n, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return sent_.size() >= n;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout);
}

void FakePacketConn::FailSends(absl::Status status, size_t after) {
  absl::MutexLock lock(&mu_);
  send_status_ = std::move(status);
  sends_before_failure_ = after;
}

void FakePacketConn::FailJoins(absl::Status status) {
  absl::MutexLock lock(&mu_);
  join_status_ = std::move(status);
}

std::set<IpAddress> FakePacketConn::groups() {
  absl::MutexLock lock(&mu_);
  return groups_;
}

absl::StatusOr<std::unique_ptr<PacketConn>> FakePacketConnFactory::Open(
    int ifindex, Protocol protocol) {
  absl::MutexLock lock(&mu_);
  auto fail = fail_open_.find(ifindex);
  if (fail != fail_open_.end() && !fail->second.ok()) return fail->second;
  auto conn = std::unique_ptr<FakePacketConn>(
      new FakePacketConn(this, ifindex, protocol));
  open_[{ifindex, protocol}] = conn.get();
  return std::unique_ptr<PacketConn>(std::move(conn));
}

FakePacketConn* FakePacketConnFactory::Conn(int ifindex, Protocol protocol) {
  absl::MutexLock lock(&mu_);
  auto it = open_.find({ifindex, protocol});
  return it == open_.end() ? nullptr : it->second;
}

int FakePacketConnFactory::open_count() {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(open_.size());
}

void FakePacketConnFactory::FailOpen(int ifindex, absl::Status status) {
  absl::MutexLock lock(&mu_);
  fail_open_[ifindex] = std::move(status);
}

bool FakePacketConnFactory::AwaitDelivered(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto delivered = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return undelivered_ == 0;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&delivered), timeout);
}

void FakePacketConnFactory::Injected(size_t n) {
  absl::MutexLock lock(&mu_);
  undelivered_ += n;
}

void FakePacketConnFactory::Delivered(size_t n) {
  absl::MutexLock lock(&mu_);
  undelivered_ -= n;
}

void FakePacketConnFactory::Closed(FakePacketConn* conn, size_t dropped) {
  absl::MutexLock lock(&mu_);
  undelivered_ -= dropped;
  auto it = open_.find({conn->ifindex(), conn->protocol()});
  if (it != open_.end() && it->second == conn) open_.erase(it);
}

}  // namespace lb::arp
