// lib/arp/fake_packet_conn.h
//
// In-memory PacketConn and PacketConnFactory for tests. Frames injected with
// Inject() are returned by Receive(); frames passed to Send() are recorded.
// ReadyFd() is a real eventfd, so an epoll loop can wait on fakes, and a
// test can wait until its loop has read what was injected.
//
//   FakePacketConnFactory net;
//   auto responder = Responder::Create(clock, links, net, options).value();
//   responder->Start();
//   ...
//   FakePacketConn* conn = net.Conn(2, Protocol::kArp);
//   conn->Inject(PacketType::kBroadcast, frame);
//   REQUIRE(net.AwaitDelivered());  // the responder has read it
//   std::vector<std::vector<uint8_t>> out = conn->TakeSent();
//
// Thread-safety: all methods are safe for concurrent use.

#ifndef LB_ARP_FAKE_PACKET_CONN_H_
#define LB_ARP_FAKE_PACKET_CONN_H_

#include <deque>
#include <map>
#include <memory>
#include <set>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "lib/arp/packet_conn.h"

namespace lb::arp {

class FakePacketConnFactory;

class FakePacketConn final : public PacketConn {
 public:
  ~FakePacketConn() override;

  int ReadyFd() const override { return event_fd_; }
  absl::StatusOr<size_t> Receive(absl::Span<ReceivedFrame> out) override;
  using PacketConn::Send;
  absl::Status Send(absl::Span<const std::vector<uint8_t>> frames,
                    size_t* sent) override;
  absl::Status JoinGroup(const IpAddress& group) override;
  absl::Status LeaveGroup(const IpAddress& group) override;
  uint64_t TakeKernelDrops() override { return 0; }

  // Queues a frame for Receive().
  void Inject(PacketType type, absl::Span<const uint8_t> frame);
  // Returns and forgets the frames sent so far.
  std::vector<std::vector<uint8_t>> TakeSent();
  // Waits until at least `n` frames are sent and not yet taken. False after
  // `timeout` of real time.
  bool AwaitSent(size_t n, absl::Duration timeout = absl::Seconds(10));
  // Makes Send() fail with `status` once `after` more frames have been
  // sent: a call crossing that point sends the frames before it (a partial
  // send) and fails. OK restores.
  void FailSends(absl::Status status, size_t after = 0);
  // Makes JoinGroup() fail with `status` (OK restores).
  void FailJoins(absl::Status status);
  std::set<IpAddress> groups();
  int ifindex() const { return ifindex_; }
  Protocol protocol() const { return protocol_; }

 private:
  friend class FakePacketConnFactory;
  FakePacketConn(FakePacketConnFactory* owner, int ifindex, Protocol protocol);
  size_t ReceiveLocked(absl::Span<ReceivedFrame> out)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  FakePacketConnFactory* const owner_;
  const int ifindex_;
  const Protocol protocol_;
  const int event_fd_;
  absl::Mutex mu_;
  std::deque<std::pair<PacketType, std::vector<uint8_t>>> queue_
      ABSL_GUARDED_BY(mu_);
  std::vector<std::vector<uint8_t>> sent_ ABSL_GUARDED_BY(mu_);
  std::set<IpAddress> groups_ ABSL_GUARDED_BY(mu_);
  absl::Status send_status_ ABSL_GUARDED_BY(mu_);
  size_t sends_before_failure_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status join_status_ ABSL_GUARDED_BY(mu_);
};

class FakePacketConnFactory final : public PacketConnFactory {
 public:
  absl::StatusOr<std::unique_ptr<PacketConn>> Open(int ifindex,
                                                   Protocol protocol) override;

  // The open connection for (ifindex, protocol), or nullptr. The pointer is
  // valid until the owner closes the connection.
  FakePacketConn* Conn(int ifindex, Protocol protocol);
  // Number of connections open now.
  int open_count();
  // Waits until every frame injected so far has been returned by Receive()
  // or dropped with its closed connection. False after `timeout` of real
  // time.
  bool AwaitDelivered(absl::Duration timeout = absl::Seconds(10));
  // Makes Open() on `ifindex` fail with `status` (OK restores).
  void FailOpen(int ifindex, absl::Status status);

 private:
  friend class FakePacketConn;
  void Closed(FakePacketConn* conn, size_t dropped);
  void Injected(size_t n);
  void Delivered(size_t n);

  absl::Mutex mu_;
  std::map<std::pair<int, Protocol>, FakePacketConn*> open_
      ABSL_GUARDED_BY(mu_);
  std::map<int, absl::Status> fail_open_ ABSL_GUARDED_BY(mu_);
  // Injected frames not yet received (or dropped).
  size_t undelivered_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace lb::arp

#endif  // LB_ARP_FAKE_PACKET_CONN_H_
