// lib/arp/packet_conn.h
//
// The link-layer I/O lib/arp needs, behind a small interface: one
// connection per (interface, protocol) that receives already-filtered
// Ethernet frames without blocking and sends whole Ethernet frames.
// lib/arp/af_packet_conn.h is the Linux implementation (AF_PACKET + classic
// BPF); lib/arp/fake_packet_conn.h is the in-memory one for tests.
//
//   absl::StatusOr<std::unique_ptr<PacketConn>> conn =
//       factory.Open(ifindex, Protocol::kArp);
//   std::array<ReceivedFrame, 64> batch;
//   absl::StatusOr<size_t> n = (*conn)->Receive(absl::MakeSpan(batch));
//
// Thread-safety: a PacketConn may be used by one receiving thread and one
// sending thread at the same time; a factory is safe for concurrent use.

#ifndef LB_ARP_PACKET_CONN_H_
#define LB_ARP_PACKET_CONN_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "lib/arp/address.h"

namespace lb::arp {

// What a connection carries: ARP (EtherType 0x0806: requests and replies) or
// IPv6 neighbour discovery (EtherType 0x86dd: NS and NA only).
enum class Protocol { kArp, kNdp };

// How the frame reached the interface (packet(7) sll_pkttype).
enum class PacketType : uint8_t {
  kHost = 0,  // Unicast to this interface.
  kBroadcast = 1,
  kMulticast = 2,
  kOtherHost = 3,  // Unicast to another host (promiscuous, or foreign VLAN).
  kOutgoing = 4,   // Sent by this host.
};

// One received frame. Frames longer than the buffer are truncated to it
// and `length` is the stored size; `truncated` says so.
struct ReceivedFrame {
  static constexpr size_t kCapacity = 256;
  PacketType type = PacketType::kHost;
  bool truncated = false;
  size_t length = 0;
  std::array<uint8_t, kCapacity> data;

  absl::Span<const uint8_t> bytes() const {
    return absl::MakeConstSpan(data.data(), length);
  }
};

class PacketConn {
 public:
  virtual ~PacketConn() = default;

  // A file descriptor that polls readable while frames are queued; for
  // epoll. Owned by the connection.
  virtual int ReadyFd() const = 0;

  // Moves up to out.size() queued frames into `out` without blocking and
  // returns how many (0 when none is queued). Unavailable if the interface
  // is gone or down (wait for the link watcher), Internal for other errors.
  virtual absl::StatusOr<size_t> Receive(absl::Span<ReceivedFrame> out) = 0;

  // Sends each element as one complete Ethernet frame (the destination MAC
  // is taken from its first 6 bytes), in order, stopping at the first frame
  // that cannot be sent. `*sent` (if not null) is set to how many frames went
  // out: all of them when OK, the ones before the failing frame otherwise.
  // ResourceExhausted if the device queue is full (the rest dropped),
  // Unavailable if the interface is gone, InvalidArgument (nothing sent) if a
  // frame is shorter than an Ethernet header.
  virtual absl::Status Send(absl::Span<const std::vector<uint8_t>> frames,
                            size_t* sent) = 0;
  // Send(frames, nullptr).
  absl::Status Send(absl::Span<const std::vector<uint8_t>> frames) {
    return Send(frames, nullptr);
  }

  // Joins / leaves an IPv6 multicast group on this interface so that the
  // NIC passes it up and MLD-snooping switches forward it (NDP connections
  // only). Joining a joined group or leaving an unjoined one is a no-op.
  virtual absl::Status JoinGroup(const IpAddress& group) = 0;
  virtual absl::Status LeaveGroup(const IpAddress& group) = 0;

  // Frames the kernel dropped for this connection since the last call
  // (receive buffer overflow).
  virtual uint64_t TakeKernelDrops() = 0;
};

class PacketConnFactory {
 public:
  virtual ~PacketConnFactory() = default;

  // Opens a connection on interface `ifindex`. PermissionDenied without
  // CAP_NET_RAW, NotFound for an unknown interface, Internal otherwise.
  virtual absl::StatusOr<std::unique_ptr<PacketConn>> Open(
      int ifindex, Protocol protocol) = 0;
};

}  // namespace lb::arp

#endif  // LB_ARP_PACKET_CONN_H_
