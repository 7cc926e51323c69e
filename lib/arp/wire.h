// lib/arp/wire.h
//
// Pure wire formats: Ethernet II headers, ARP for IPv4 over Ethernet
// (RFC 826, RFC 5227), and ICMPv6 neighbour discovery (RFC 4861: neighbour
// solicitation and advertisement with link-layer address options). Builders
// produce complete Ethernet frames ready for an AF_PACKET SOCK_RAW socket;
// parsers are bounds-checked and report why a frame is malformed, so callers
// can count it by reason and drop it.
//
//   ArpFrame request = MakeArpRequest(client_mac, client_ip, vip);
//   std::vector<uint8_t> bytes = BuildArpFrame(request);
//   MalformedReason why;
//   absl::StatusOr<ArpFrame> parsed = ParseArpFrame(bytes, &why);
//   if (!parsed.ok()) CountMalformed(why);
//   std::vector<uint8_t> reply = BuildArpFrame(ArpReplyTo(*parsed, my_mac));
//
// Thread-safety: stateless functions and plain values.

#ifndef LB_ARP_WIRE_H_
#define LB_ARP_WIRE_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "lib/arp/address.h"

namespace lb::arp {

inline constexpr uint16_t kEtherTypeArp = 0x0806;
inline constexpr uint16_t kEtherTypeIpv6 = 0x86dd;
inline constexpr size_t kEthernetHeaderSize = 14;
inline constexpr size_t kArpFrameSize = 42;      // Ethernet + ARP payload.
inline constexpr size_t kMinEthernetFrame = 60;  // Without FCS.
inline constexpr size_t kNdFrameSize = 86;       // With one 8-byte option.

// Why a frame was rejected. Stable order: used as an index into counters.
enum class MalformedReason {
  kNone = 0,
  kTruncated,             // Shorter than its headers or declared lengths.
  kWrongEtherType,        // Not ARP / not IPv6.
  kBadHardwareType,       // ARP htype != 1 (Ethernet).
  kBadProtocolType,       // ARP ptype != 0x0800.
  kBadAddressLengths,     // ARP hlen/plen != 6/4.
  kBadOpcode,             // ARP op not 1 or 2.
  kBadIpVersion,          // IPv6 version field != 6.
  kNotIcmpv6,             // IPv6 next header != 58.
  kNotNeighborDiscovery,  // ICMPv6 type not 135/136.
  kBadHopLimit,           // ND hop limit != 255.
  kBadCode,               // ICMPv6 code != 0.
  kBadChecksum,           // ICMPv6 checksum mismatch.
  kBadOptionLength,       // ND option with length 0 or beyond the message.
  kMulticastTarget,       // ND target address is multicast.
  kBadDadSolicitation,    // NS from :: with SLLAO or to a non solicited-node
                          // group.
  kCount,
};

// Short snake_case name, e.g. "bad_checksum", for logs and metric labels.
absl::string_view MalformedReasonName(MalformedReason reason);

struct EthernetHeader {
  MacAddress destination;
  MacAddress source;
  uint16_t ether_type = 0;
};

enum class ArpOp : uint16_t { kRequest = 1, kReply = 2 };

// An ARP packet for IPv4 over Ethernet, with its Ethernet header.
struct ArpFrame {
  EthernetHeader ethernet;
  ArpOp op = ArpOp::kRequest;
  MacAddress sender_mac;
  IpAddress sender_ip;  // IPv4.
  MacAddress target_mac;
  IpAddress target_ip;  // IPv4.

  // SPA == TPA: a gratuitous frame (announcement or GARP).
  bool IsGratuitous() const { return sender_ip == target_ip; }
  // SPA 0.0.0.0: an RFC 5227 probe.
  bool IsProbe() const {
    return op == ArpOp::kRequest && sender_ip.IsUnspecified();
  }
};

// Builders for the ARP variants (research section 1.2).
// Broadcast who-has `target` from (`mac`, `ip`), THA zero.
ArpFrame MakeArpRequest(const MacAddress& mac, const IpAddress& ip,
                        const IpAddress& target);
// RFC 5227 probe: broadcast request, SPA 0.0.0.0, THA zero.
ArpFrame MakeArpProbe(const MacAddress& mac, const IpAddress& target);
// Request-style gratuitous ARP (RFC 5227 announcement): op 1, broadcast,
// SPA = TPA = `ip`, THA zero.
ArpFrame MakeGratuitousRequest(const MacAddress& mac, const IpAddress& ip);
// Reply-style gratuitous ARP: op 2, broadcast, SPA = TPA = `ip`, THA = SHA
// (the form Linux honours even within its locktime).
ArpFrame MakeGratuitousReply(const MacAddress& mac, const IpAddress& ip);
// The reply the kernel would send to `request` from interface MAC `mac`:
// op 2, Ethernet unicast to the request's SHA, SHA = `mac`, SPA = the
// request's TPA, THA = request SHA, TPA = request SPA.
ArpFrame ArpReplyTo(const ArpFrame& request, const MacAddress& mac);

// Serialises `frame`, padded with zeros to the 60-byte Ethernet minimum.
std::vector<uint8_t> BuildArpFrame(const ArpFrame& frame);

// Parses an Ethernet frame carrying ARP. On error returns InvalidArgument
// naming the defect and, if `reason` is given, stores the reason there.
absl::StatusOr<ArpFrame> ParseArpFrame(absl::Span<const uint8_t> frame,
                                       MalformedReason* reason = nullptr);

enum class NdType : uint8_t {
  kNeighborSolicitation = 135,
  kNeighborAdvertisement = 136,
};

// An ICMPv6 neighbour solicitation or advertisement, with its IPv6 and
// Ethernet headers.
struct NdFrame {
  EthernetHeader ethernet;
  IpAddress source;       // IPv6 source.
  IpAddress destination;  // IPv6 destination.
  uint8_t hop_limit = 255;
  NdType type = NdType::kNeighborSolicitation;
  IpAddress target;
  // NA flags (ignored for NS).
  bool router = false;
  bool solicited = false;
  bool override_flag = false;
  // Source link-layer address option (NS), target link-layer option (NA).
  std::optional<MacAddress> source_lladdr;
  std::optional<MacAddress> target_lladdr;

  // NS from :: (duplicate address detection).
  bool IsDad() const {
    return type == NdType::kNeighborSolicitation && source.IsUnspecified();
  }
};

// ff02::1:ffXX:XXXX for the low 24 bits of `ip` (RFC 4291 2.7.1).
IpAddress SolicitedNodeMulticast(const IpAddress& ip);
// 33:33 + low 32 bits of an IPv6 multicast address (RFC 2464 section 7).
MacAddress MulticastMac(const IpAddress& ip);
// ff02::1.
IpAddress AllNodesMulticast();

// Multicast NS for `target` from (`mac`, `source`) with SLLAO; `source` ::
// makes a DAD probe (no SLLAO, as RFC 4862 requires).
NdFrame MakeNeighborSolicitation(const MacAddress& mac, const IpAddress& source,
                                 const IpAddress& target);
// Unsolicited NA to ff02::1: S=0, O=1, TLLA = `mac`.
NdFrame MakeUnsolicitedAdvertisement(const MacAddress& mac,
                                     const IpAddress& source,
                                     const IpAddress& target);
// The NA answering `ns` from interface MAC `mac` with IPv6 source `source`:
// S=1, O=1, TLLA, Ethernet unicast to the SLLAO (or the Ethernet source),
// IPv6 to the NS source. A DAD NS (source ::) is answered to ff02::1 with
// S=0, O=1.
NdFrame NeighborAdvertisementTo(const NdFrame& ns, const MacAddress& mac,
                                const IpAddress& source);

// The ICMPv6 checksum over the RFC 8200 pseudo-header and `icmp` (whose
// checksum field must be zero or is included as is).
uint16_t Icmpv6Checksum(const IpAddress& source, const IpAddress& destination,
                        absl::Span<const uint8_t> icmp);

// Serialises `frame` with a correct checksum.
std::vector<uint8_t> BuildNdFrame(const NdFrame& frame);

// Parses an Ethernet frame carrying an ICMPv6 NS or NA and applies the
// RFC 4861 7.1 validity checks. Errors as for ParseArpFrame.
absl::StatusOr<NdFrame> ParseNdFrame(absl::Span<const uint8_t> frame,
                                     MalformedReason* reason = nullptr);

}  // namespace lb::arp

#endif  // LB_ARP_WIRE_H_
