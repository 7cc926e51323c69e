// lib/election/transport.h
//
// Provides `HeartbeatTransport`, the small datagram interface membership uses
// to exchange heartbeats, so the real UDP socket (udp_transport.h) and the
// in-memory network of tests and simulations (fake_network.h) are
// interchangeable. Datagrams may be lost, delayed, duplicated or reordered;
// the receiver authenticates and orders them.
//
// A receiver sleeps in WaitReadable() until a datagram arrives, its next
// deadline (on the monotonic clock) passes, or another thread calls Wake(),
// so an idle node spends no CPU between its own heartbeats.
//
// Thread-safety: implementations are safe for concurrent use; WaitReadable()
// is called by one thread at a time.
//
//   transport.SendToPeers(EncodeHeartbeat(hb, key));
//   while (auto d = transport.TryReceive(); d.ok() && d->has_value()) {
//     Handle(**d);
//   }
//   transport.WaitReadable(next_heartbeat);   // another thread: Wake()

#ifndef LB_ELECTION_TRANSPORT_H_
#define LB_ELECTION_TRANSPORT_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "lib/base/clock.h"

namespace lb::election {

class HeartbeatTransport {
 public:
  virtual ~HeartbeatTransport() = default;

  // Sends `datagram` to every current peer; best effort. kUnavailable if it
  // could not be handed to any peer.
  virtual absl::Status SendToPeers(absl::Span<const uint8_t> datagram) = 0;

  // Returns the next received datagram, or nullopt if none is waiting. Never
  // blocks. kInternal on a socket error.
  virtual absl::StatusOr<std::optional<std::vector<uint8_t>>> TryReceive() = 0;

  // Blocks until a datagram may be waiting, Wake() has been called since the
  // last return, or the transport's clock reaches `deadline` (monotonic),
  // whichever is first. A deadline already passed makes it a check that
  // never blocks. Returns true for a datagram or a wake (consuming the wake),
  // false when the deadline passed first. kInternal on a socket error.
  virtual absl::StatusOr<bool> WaitReadable(MonoTime deadline) = 0;

  // Makes the WaitReadable() in progress return, or the next one if none is.
  // Never blocks.
  virtual void Wake() = 0;
};

}  // namespace lb::election

#endif  // LB_ELECTION_TRANSPORT_H_
