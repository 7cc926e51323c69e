// lib/election/transport.h
//
// Provides `HeartbeatTransport`, the small datagram interface membership uses
// to exchange heartbeats, so the real UDP socket (udp_transport.h) and the
// in-memory network of tests and simulations (fake_network.h) are
// interchangeable. Datagrams may be lost, delayed, duplicated or reordered;
// the receiver authenticates and orders them.
//
// Thread-safety: implementations are safe for concurrent use.
//
//   transport.SendToPeers(EncodeHeartbeat(hb, key));
//   while (auto d = transport.TryReceive(); d.ok() && d->has_value()) {
//     Handle(**d);
//   }

#ifndef LB_ELECTION_TRANSPORT_H_
#define LB_ELECTION_TRANSPORT_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

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
};

}  // namespace lb::election

#endif  // LB_ELECTION_TRANSPORT_H_
