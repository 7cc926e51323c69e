// lib/election/udp_transport.h
//
// Provides `UdpTransport`, the production HeartbeatTransport: one
// non-blocking UDP socket bound to a local address, sending each heartbeat
// as a unicast datagram to every configured peer (speakers learn peer
// addresses from the Node objects). IPv4 and IPv6 literals are accepted;
// names are not resolved. WaitReadable() sleeps in ppoll(2) on the socket and
// an eventfd that Wake() signals; its deadline is read on the injected Clock,
// which must be the system's (RealClock): ppoll measures on CLOCK_MONOTONIC.
//
// Thread-safety: safe for concurrent use; WaitReadable() from one thread at
// a time.
//
//   LB_ASSIGN_OR_RETURN(auto udp,
//                       UdpTransport::Create("0.0.0.0:7472", clock));
//   LB_RETURN_IF_ERROR(udp->SetPeers({"10.0.0.2:7472", "10.0.0.3:7472"}));

#ifndef LB_ELECTION_UDP_TRANSPORT_H_
#define LB_ELECTION_UDP_TRANSPORT_H_

#include <sys/socket.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "lib/base/clock.h"
#include "lib/election/transport.h"

namespace lb::election {

class UdpTransport final : public HeartbeatTransport {
 public:
  // Binds a UDP socket to `bind_address` ("ip:port" or "[ipv6]:port"; port 0
  // picks a free one). kInvalidArgument for an unparsable address, kInternal
  // (with errno text) if the socket or the eventfd cannot be created or the
  // socket cannot be bound. `clock` must outlive the transport.
  static absl::StatusOr<std::unique_ptr<UdpTransport>> Create(
      absl::string_view bind_address, Clock& clock);

  ~UdpTransport() override;

  // Replaces the peer list. kInvalidArgument names the first bad entry; the
  // previous list stays in force then.
  absl::Status SetPeers(const std::vector<std::string>& peers);

  // The bound local address as "ip:port".
  std::string LocalAddress() const;

  absl::Status SendToPeers(absl::Span<const uint8_t> datagram) override;
  absl::StatusOr<std::optional<std::vector<uint8_t>>> TryReceive() override;
  absl::StatusOr<bool> WaitReadable(MonoTime deadline) override;
  void Wake() override;

 private:
  UdpTransport(int fd, int wake_fd, Clock& clock)
      : fd_(fd), wake_fd_(wake_fd), clock_(clock) {}

  const int fd_;
  const int wake_fd_;  // An eventfd.
  Clock& clock_;
  mutable absl::Mutex mu_;
  std::vector<sockaddr_storage> peers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lb::election

#endif  // LB_ELECTION_UDP_TRANSPORT_H_
