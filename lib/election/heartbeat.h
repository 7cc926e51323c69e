// lib/election/heartbeat.h
//
// Provides the wire format of the fast liveness heartbeats speakers exchange,
// authenticated with HMAC-SHA256 under a key the cluster provides (a Secret),
// so a stranger on the LAN cannot inject liveness.
//
// Layout (big endian), 28 + len(node) + 32 bytes:
//   offset  size  field
//        0     4  magic "LBHB"
//        4     1  version = 1
//        5     1  flags: bit 0 leaving, bit 1 active
//        6     2  len(node)
//        8     8  incarnation
//       16     8  sequence
//       24     4  stable_ms
//       28     n  node (n = len(node))
//     28+n    32  HMAC-SHA256
// The MAC covers every byte before it. Replay protection is the receiver's
// job (Membership): per node, sequences grow within an incarnation, and an
// incarnation once replaced is never accepted again.
//
// Thread-safety: pure functions; safe to call concurrently.
//
//   Heartbeat hb{"node-a", incarnation, ++sequence, false, true, 0};
//   std::vector<uint8_t> wire = EncodeHeartbeat(hb, key);
//   absl::StatusOr<Heartbeat> got = DecodeHeartbeat(wire, key);

#ifndef LB_ELECTION_HEARTBEAT_H_
#define LB_ELECTION_HEARTBEAT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace lb::election {

inline constexpr size_t kMaxHeartbeatNodeName = 253;
inline constexpr size_t kMinHeartbeatKeyBytes = 16;

struct Heartbeat {
  std::string node;          // Sender's node name, 1..253 bytes.
  uint64_t incarnation = 0;  // Random, new on every start of the sender.
  uint64_t sequence = 0;     // Grows with every heartbeat of an incarnation.
  bool leaving = false;      // The sender is stopping and has let go.
  // The sender holds quorum and claims addresses (not fenced, not starting).
  bool active = false;
  // How long the sender has continuously held quorum, in ms (saturating).
  uint32_t stable_ms = 0;
};

// Serialises and signs `hb`. REQUIRES: 1 <= hb.node.size() <= 253.
std::vector<uint8_t> EncodeHeartbeat(const Heartbeat& hb,
                                     absl::string_view key);

// Parses and authenticates a datagram.
//   kInvalidArgument  malformed: short, bad magic, unknown version, bad
//                     lengths (the message says which).
//   kUnauthenticated  the MAC does not match `key`.
absl::StatusOr<Heartbeat> DecodeHeartbeat(absl::Span<const uint8_t> datagram,
                                          absl::string_view key);

}  // namespace lb::election

#endif  // LB_ELECTION_HEARTBEAT_H_
