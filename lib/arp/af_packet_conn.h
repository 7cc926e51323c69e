// lib/arp/af_packet_conn.h
//
// The Linux PacketConn: one AF_PACKET SOCK_RAW socket per (interface,
// protocol), non-blocking, with a classic BPF filter attached before bind so
// that only ARP requests/replies (ARP) or ICMPv6 NS/NA with hop limit 255
// (NDP) addressed to this host (not OTHERHOST/OUTGOING) are queued.
// Frames are read with recvmmsg and sent with sendmmsg. NDP connections
// join solicited-node groups with IPV6_JOIN_GROUP on a helper UDPv6 socket,
// so the kernel also sends MLD reports for snooping switches.
// Needs CAP_NET_RAW.
//
//   AfPacketConnFactory packets;
//   auto responder = Responder::Create(clock, links, packets, options);
//
// Thread-safety: the factory is stateless; a connection follows
// PacketConn's rules (one receiver, one sender at a time).

#ifndef LB_ARP_AF_PACKET_CONN_H_
#define LB_ARP_AF_PACKET_CONN_H_

#include <memory>

#include "lib/arp/packet_conn.h"

namespace lb::arp {

struct AfPacketOptions {
  // Receive buffer in bytes (the kernel doubles it); absorbs request
  // bursts. Set with SO_RCVBUFFORCE when permitted (CAP_NET_ADMIN), else
  // SO_RCVBUF, which net.core.rmem_max caps.
  int receive_buffer_bytes = 4 << 20;
  // PACKET_QDISC_BYPASS: send straight to the driver queue.
  bool qdisc_bypass = false;
};

class AfPacketConnFactory final : public PacketConnFactory {
 public:
  explicit AfPacketConnFactory(AfPacketOptions options = {})
      : options_(options) {}

  absl::StatusOr<std::unique_ptr<PacketConn>> Open(int ifindex,
                                                   Protocol protocol) override;

 private:
  AfPacketOptions options_;
};

}  // namespace lb::arp

#endif  // LB_ARP_AF_PACKET_CONN_H_
