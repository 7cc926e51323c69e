// Cost of answering one ARP request in the responder itself (parse, owned-
// address lookup, reply build, counters), without sockets: the running
// Responder is handed requests by an in-memory connection with 1 and with
// 10,000 owned addresses, and the
// bare decision function runs over a 10,000-entry hash set. Prints
// `name: value unit` lines.

#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "lib/arp/decision.h"
#include "lib/arp/fake_link_watcher.h"
#include "lib/arp/packet_conn.h"
#include "lib/arp/responder.h"
#include "lib/arp/wire.h"
#include "lib/base/simulated_clock.h"

namespace {

using lb::IpAddress;
using lb::arp::MacAddress;

const MacAddress kNodeMac({0x02, 0, 0, 0, 0, 0x0b});
const MacAddress kClientMac({0x02, 0, 0, 0, 0, 0x01});
const IpAddress kClientIp = IpAddress::V4(0x0a000001);

IpAddress Owned(int i) { return IpAddress::V4(0x0a010000 + i); }

double Seconds(std::chrono::steady_clock::time_point a,
               std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// The responder's only connection in ResponderCost: hands the event loop a
// batch of prepared requests and times the responder's work on it, from
// its first Receive() to the Send() that completes the replies. The loop's
// wake-ups are left out, as they were when the benchmark called the
// processing directly.
class BenchConn final : public lb::arp::PacketConn {
 public:
  BenchConn() : fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}
  ~BenchConn() override { close(fd_); }

  int ReadyFd() const override { return fd_; }
  absl::StatusOr<size_t> Receive(
      absl::Span<lb::arp::ReceivedFrame> out) override {
    absl::MutexLock lock(&mu_);
    if (next_ == 0 && queued_ > 0) first_ = std::chrono::steady_clock::now();
    size_t n = 0;
    while (n < out.size() && next_ < queued_) {
      const std::vector<uint8_t>& f = (*frames_)[(offset_ + next_) % 1024];
      lb::arp::ReceivedFrame& r = out[n++];
      r.type = lb::arp::PacketType::kBroadcast;
      r.truncated = false;
      r.length = f.size();
      std::memcpy(r.data.data(), f.data(), f.size());
      ++next_;
    }
    if (next_ == queued_) {
      uint64_t v;
      (void)!read(fd_, &v, sizeof(v));
    }
    return n;
  }
  using PacketConn::Send;
  absl::Status Send(absl::Span<const std::vector<uint8_t>> frames,
                    size_t* sent) override {
    absl::MutexLock lock(&mu_);
    sent_ += frames.size();
    if (queued_ > 0 && sent_ == queued_) {
      last_ = std::chrono::steady_clock::now();
    }
    if (sent != nullptr) *sent = frames.size();
    return absl::OkStatus();
  }
  absl::Status JoinGroup(const IpAddress&) override { return absl::OkStatus(); }
  absl::Status LeaveGroup(const IpAddress&) override {
    return absl::OkStatus();
  }
  uint64_t TakeKernelDrops() override { return 0; }

  // Waits until `n` frames (the announcements) have been sent.
  bool AwaitSent(size_t n) {
    absl::MutexLock lock(&mu_);
    auto done = [this, n]()
                    ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return sent_ >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&done), absl::Seconds(60));
  }
  // Queues `count` requests, frames[offset % 1024] onwards, waits until
  // they are all answered and returns the responder's time on them in
  // seconds (negative if they were not all answered in time).
  double Run(const std::vector<std::vector<uint8_t>>* frames, size_t offset,
             size_t count) {
    absl::MutexLock lock(&mu_);
    frames_ = frames;
    offset_ = offset;
    queued_ = count;
    next_ = 0;
    sent_ = 0;
    uint64_t one = 1;
    (void)!write(fd_, &one, sizeof(one));
    auto done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return sent_ == queued_;
    };
    if (!mu_.AwaitWithTimeout(absl::Condition(&done), absl::Seconds(60))) {
      return -1;
    }
    queued_ = 0;
    return Seconds(first_, last_);
  }

 private:
  const int fd_;
  absl::Mutex mu_;
  const std::vector<std::vector<uint8_t>>* frames_ ABSL_GUARDED_BY(mu_) =
      nullptr;
  size_t offset_ ABSL_GUARDED_BY(mu_) = 0;
  size_t queued_ ABSL_GUARDED_BY(mu_) = 0;
  size_t next_ ABSL_GUARDED_BY(mu_) = 0;
  size_t sent_ ABSL_GUARDED_BY(mu_) = 0;
  std::chrono::steady_clock::time_point first_ ABSL_GUARDED_BY(mu_);
  std::chrono::steady_clock::time_point last_ ABSL_GUARDED_BY(mu_);
};

class BenchConnFactory final : public lb::arp::PacketConnFactory {
 public:
  absl::StatusOr<std::unique_ptr<lb::arp::PacketConn>> Open(
      int, lb::arp::Protocol) override {
    auto conn = std::make_unique<BenchConn>();
    last = conn.get();
    return conn;
  }
  BenchConn* last = nullptr;
};

// ns per answered request through a running Responder with `owned`
// addresses, 256 requests at a time.
double ResponderCost(int owned, int requests) {
  lb::SimulatedClock clock(absl::FromUnixSeconds(1000));
  lb::arp::FakeLinkWatcher links;
  BenchConnFactory net;
  links.SetLink(lb::arp::EthernetLink(2, "eth0", kNodeMac, {"10.0.0.11/8"}));
  lb::arp::ResponderOptions options;
  options.announce.rounds = 1;
  options.announce.frames_per_second = 1e9;
  options.announce.burst = 1 << 30;
  options.receive_batch = 64;
  auto responder = lb::arp::Responder::Create(clock, links, net, options);
  if (!responder.ok()) return -1;
  std::vector<std::pair<IpAddress, lb::arp::AddressOptions>> set;
  for (int i = 0; i < owned; ++i) set.push_back({Owned(i), {}});
  if (!(*responder)->SetAddresses(set).ok()) return -1;
  BenchConn* conn = net.last;
  if (conn == nullptr || !(*responder)->Start().ok()) return -1;
  // The announcements: one round, two frames per address.
  if (!conn->AwaitSent(2 * static_cast<size_t>(owned))) return -1;
  std::vector<std::vector<uint8_t>> frames;
  for (int i = 0; i < 1024; ++i) {
    frames.push_back(lb::arp::BuildArpFrame(lb::arp::MakeArpRequest(
        kClientMac, kClientIp, Owned((i * 7919) % owned))));
  }
  double total = 0;
  int done = 0;
  while (done < requests) {
    double t = conn->Run(&frames, done, 256);
    if (t < 0) return -1;
    total += t;
    done += 256;
  }
  (*responder)->Stop();
  return total * 1e9 / done;
}

class SetView : public lb::arp::OwnershipView {
 public:
  absl::flat_hash_set<IpAddress> owned;
  lb::arp::Ownership Lookup(const IpAddress& a, int) const override {
    return owned.contains(a) ? lb::arp::Ownership::kOwned
                             : lb::arp::Ownership::kNotOwned;
  }
};

}  // namespace

int main() {
  const int kRequests = 200000;
  double one = ResponderCost(1, kRequests);
  double many = ResponderCost(10000, kRequests);
  std::printf("arp_responder_request_cost_1_owned: %.0f ns\n", one);
  std::printf("arp_responder_request_cost_10k_owned: %.0f ns\n", many);
  std::printf("arp_responder_10k_vs_1_owned: %.2f x\n", many / one);

  SetView view;
  for (int i = 0; i < 10000; ++i) view.owned.insert(Owned(i));
  lb::arp::InterfaceContext iface{2, "eth0", kNodeMac, IpAddress::V6({})};
  std::vector<std::vector<uint8_t>> frames;
  for (int i = 0; i < 1024; ++i) {
    frames.push_back(lb::arp::BuildArpFrame(lb::arp::MakeArpRequest(
        kClientMac, kClientIp, Owned((i * 7919) % 10000))));
  }
  size_t replies = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 2000000; ++i) {
    lb::arp::Decision d = lb::arp::DecideArp(
        iface, lb::arp::PacketType::kBroadcast, frames[i % 1024], view);
    replies += d.reply.has_value();
  }
  auto t1 = std::chrono::steady_clock::now();
  std::printf("arp_decision_cost_10k_owned: %.0f ns\n",
              Seconds(t0, t1) * 1e9 / 2000000);
  IpAddress probe = Owned(4242);
  volatile size_t hits = 0;
  t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 10000000; ++i) {
    hits = hits + view.owned.contains(Owned(i % 10000));
  }
  t1 = std::chrono::steady_clock::now();
  (void)probe;
  std::printf("arp_owned_lookup_cost_10k: %.1f ns\n",
              Seconds(t0, t1) * 1e9 / 10000000);
  return replies == 2000000 ? 0 : 1;
}
