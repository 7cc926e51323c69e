#include "lib/arp/wire.h"

#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace lb::arp {
namespace {

uint16_t Get16(const uint8_t* p) {
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}
void Put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
void PutMac(uint8_t* p, const MacAddress& m) {
  std::memcpy(p, m.bytes().data(), 6);
}
void PutIp(uint8_t* p, const IpAddress& ip) {
  std::memcpy(p, ip.data(), ip.size());
}

absl::Status Malformed(MalformedReason r, MalformedReason* out,
                       absl::string_view what) {
  if (out != nullptr) *out = r;
  return absl::InvalidArgumentError(what);
}

void PutEthernet(uint8_t* p, const EthernetHeader& h) {
  PutMac(p, h.destination);
  PutMac(p + 6, h.source);
  Put16(p + 12, h.ether_type);
}

EthernetHeader GetEthernet(const uint8_t* p) {
  EthernetHeader h;
  h.destination = MacAddress::FromBytes(p);
  h.source = MacAddress::FromBytes(p + 6);
  h.ether_type = Get16(p + 12);
  return h;
}

constexpr size_t kIpv6HeaderSize = 40;
constexpr uint8_t kNextHeaderIcmpv6 = 58;
constexpr uint8_t kOptionSourceLladdr = 1;
constexpr uint8_t kOptionTargetLladdr = 2;

}  // namespace

absl::string_view MalformedReasonName(MalformedReason reason) {
  switch (reason) {
    case MalformedReason::kNone:
      return "none";
    case MalformedReason::kTruncated:
      return "truncated";
    case MalformedReason::kWrongEtherType:
      return "wrong_ether_type";
    case MalformedReason::kBadHardwareType:
      return "bad_hardware_type";
    case MalformedReason::kBadProtocolType:
      return "bad_protocol_type";
    case MalformedReason::kBadAddressLengths:
      return "bad_address_lengths";
    case MalformedReason::kBadOpcode:
      return "bad_opcode";
    case MalformedReason::kBadIpVersion:
      return "bad_ip_version";
    case MalformedReason::kNotIcmpv6:
      return "not_icmpv6";
    case MalformedReason::kNotNeighborDiscovery:
      return "not_neighbor_discovery";
    case MalformedReason::kBadHopLimit:
      return "bad_hop_limit";
    case MalformedReason::kBadCode:
      return "bad_code";
    case MalformedReason::kBadChecksum:
      return "bad_checksum";
    case MalformedReason::kBadOptionLength:
      return "bad_option_length";
    case MalformedReason::kMulticastTarget:
      return "multicast_target";
    case MalformedReason::kBadDadSolicitation:
      return "bad_dad_solicitation";
    case MalformedReason::kCount:
      break;
  }
  return "unknown";
}

ArpFrame MakeArpRequest(const MacAddress& mac, const IpAddress& ip,
                        const IpAddress& target) {
  ArpFrame f;
  f.ethernet = {MacAddress::Broadcast(), mac, kEtherTypeArp};
  f.op = ArpOp::kRequest;
  f.sender_mac = mac;
  f.sender_ip = ip;
  f.target_mac = MacAddress();
  f.target_ip = target;
  return f;
}

ArpFrame MakeArpProbe(const MacAddress& mac, const IpAddress& target) {
  return MakeArpRequest(mac, IpAddress::V4(0), target);
}

ArpFrame MakeGratuitousRequest(const MacAddress& mac, const IpAddress& ip) {
  return MakeArpRequest(mac, ip, ip);
}

ArpFrame MakeGratuitousReply(const MacAddress& mac, const IpAddress& ip) {
  ArpFrame f = MakeArpRequest(mac, ip, ip);
  f.op = ArpOp::kReply;
  f.target_mac = mac;
  return f;
}

ArpFrame ArpReplyTo(const ArpFrame& request, const MacAddress& mac) {
  ArpFrame f;
  f.ethernet = {request.sender_mac, mac, kEtherTypeArp};
  f.op = ArpOp::kReply;
  f.sender_mac = mac;
  f.sender_ip = request.target_ip;
  f.target_mac = request.sender_mac;
  f.target_ip = request.sender_ip;
  return f;
}

std::vector<uint8_t> BuildArpFrame(const ArpFrame& f) {
  std::vector<uint8_t> out(kMinEthernetFrame, 0);
  uint8_t* p = out.data();
  PutEthernet(p, f.ethernet);
  p += kEthernetHeaderSize;
  Put16(p, 1);
  Put16(p + 2, 0x0800);
  p[4] = 6;
  p[5] = 4;
  Put16(p + 6, static_cast<uint16_t>(f.op));
  PutMac(p + 8, f.sender_mac);
  PutIp(p + 14, f.sender_ip);
  PutMac(p + 18, f.target_mac);
  PutIp(p + 24, f.target_ip);
  return out;
}

absl::StatusOr<ArpFrame> ParseArpFrame(absl::Span<const uint8_t> frame,
                                       MalformedReason* reason) {
  if (reason != nullptr) *reason = MalformedReason::kNone;
  if (frame.size() < kArpFrameSize) {
    return Malformed(MalformedReason::kTruncated, reason,
                     absl::StrCat("ARP frame too short: ", frame.size(),
                                  " bytes, need ", kArpFrameSize));
  }
  const uint8_t* p = frame.data();
  ArpFrame f;
  f.ethernet = GetEthernet(p);
  if (f.ethernet.ether_type != kEtherTypeArp) {
    return Malformed(MalformedReason::kWrongEtherType, reason,
                     absl::StrCat("not ARP: EtherType 0x",
                                  absl::Hex(f.ethernet.ether_type)));
  }
  p += kEthernetHeaderSize;
  if (Get16(p) != 1) {
    return Malformed(
        MalformedReason::kBadHardwareType, reason,
        absl::StrCat("ARP hardware type ", Get16(p), " is not Ethernet (1)"));
  }
  if (Get16(p + 2) != 0x0800) {
    return Malformed(MalformedReason::kBadProtocolType, reason,
                     absl::StrCat("ARP protocol type 0x",
                                  absl::Hex(Get16(p + 2)), " is not IPv4"));
  }
  if (p[4] != 6 || p[5] != 4) {
    return Malformed(
        MalformedReason::kBadAddressLengths, reason,
        absl::StrCat("ARP address lengths ", p[4], "/", p[5], ", want 6/4"));
  }
  uint16_t op = Get16(p + 6);
  if (op != 1 && op != 2) {
    return Malformed(MalformedReason::kBadOpcode, reason,
                     absl::StrCat("ARP opcode ", op, " is neither 1 nor 2"));
  }
  f.op = static_cast<ArpOp>(op);
  f.sender_mac = MacAddress::FromBytes(p + 8);
  f.sender_ip = IpAddress::V4FromBytes(p + 14);
  f.target_mac = MacAddress::FromBytes(p + 18);
  f.target_ip = IpAddress::V4FromBytes(p + 24);
  return f;
}

IpAddress SolicitedNodeMulticast(const IpAddress& ip) {
  std::array<uint8_t, 16> b = {0xff, 0x02, 0, 0, 0,    0, 0, 0,
                               0,    0,    0, 1, 0xff, 0, 0, 0};
  b[13] = ip.data()[13];
  b[14] = ip.data()[14];
  b[15] = ip.data()[15];
  return IpAddress::V6(b);
}

MacAddress MulticastMac(const IpAddress& ip) {
  const uint8_t* d = ip.data();
  return MacAddress({0x33, 0x33, d[12], d[13], d[14], d[15]});
}

IpAddress AllNodesMulticast() {
  std::array<uint8_t, 16> b = {0xff, 0x02, 0, 0, 0, 0, 0, 0,
                               0,    0,    0, 0, 0, 0, 0, 1};
  return IpAddress::V6(b);
}

NdFrame MakeNeighborSolicitation(const MacAddress& mac, const IpAddress& source,
                                 const IpAddress& target) {
  NdFrame f;
  f.destination = SolicitedNodeMulticast(target);
  f.ethernet = {MulticastMac(f.destination), mac, kEtherTypeIpv6};
  f.source = source;
  f.type = NdType::kNeighborSolicitation;
  f.target = target;
  if (!source.IsUnspecified()) f.source_lladdr = mac;
  return f;
}

NdFrame MakeUnsolicitedAdvertisement(const MacAddress& mac,
                                     const IpAddress& source,
                                     const IpAddress& target) {
  NdFrame f;
  f.destination = AllNodesMulticast();
  f.ethernet = {MulticastMac(f.destination), mac, kEtherTypeIpv6};
  f.source = source;
  f.type = NdType::kNeighborAdvertisement;
  f.target = target;
  f.solicited = false;
  f.override_flag = true;
  f.target_lladdr = mac;
  return f;
}

NdFrame NeighborAdvertisementTo(const NdFrame& ns, const MacAddress& mac,
                                const IpAddress& source) {
  if (ns.IsDad()) {
    return MakeUnsolicitedAdvertisement(mac, source, ns.target);
  }
  NdFrame f;
  MacAddress to = ns.source_lladdr.value_or(ns.ethernet.source);
  f.ethernet = {to, mac, kEtherTypeIpv6};
  f.source = source;
  f.destination = ns.source;
  f.type = NdType::kNeighborAdvertisement;
  f.target = ns.target;
  f.solicited = true;
  f.override_flag = true;
  f.target_lladdr = mac;
  return f;
}

uint16_t Icmpv6Checksum(const IpAddress& source, const IpAddress& destination,
                        absl::Span<const uint8_t> icmp) {
  uint64_t sum = 0;
  auto add = [&sum](const uint8_t* p, size_t n) {
    for (size_t i = 0; i + 1 < n; i += 2) sum += Get16(p + i);
    if (n % 2 == 1) sum += static_cast<uint16_t>(p[n - 1] << 8);
  };
  add(source.data(), 16);
  add(destination.data(), 16);
  sum += static_cast<uint32_t>(icmp.size());
  sum += kNextHeaderIcmpv6;
  add(icmp.data(), icmp.size());
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

std::vector<uint8_t> BuildNdFrame(const NdFrame& f) {
  const std::optional<MacAddress>& option =
      f.type == NdType::kNeighborSolicitation ? f.source_lladdr
                                              : f.target_lladdr;
  size_t icmp_len = 24 + (option.has_value() ? 8 : 0);
  std::vector<uint8_t> out(kEthernetHeaderSize + kIpv6HeaderSize + icmp_len, 0);
  uint8_t* p = out.data();
  PutEthernet(p, f.ethernet);
  uint8_t* ip = p + kEthernetHeaderSize;
  ip[0] = 0x60;
  Put16(ip + 4, static_cast<uint16_t>(icmp_len));
  ip[6] = kNextHeaderIcmpv6;
  ip[7] = f.hop_limit;
  PutIp(ip + 8, f.source);
  PutIp(ip + 24, f.destination);
  uint8_t* icmp = ip + kIpv6HeaderSize;
  icmp[0] = static_cast<uint8_t>(f.type);
  if (f.type == NdType::kNeighborAdvertisement) {
    icmp[4] =
        static_cast<uint8_t>((f.router ? 0x80 : 0) | (f.solicited ? 0x40 : 0) |
                             (f.override_flag ? 0x20 : 0));
  }
  PutIp(icmp + 8, f.target);
  if (option.has_value()) {
    icmp[24] = f.type == NdType::kNeighborSolicitation ? kOptionSourceLladdr
                                                       : kOptionTargetLladdr;
    icmp[25] = 1;
    PutMac(icmp + 26, *option);
  }
  Put16(icmp + 2, Icmpv6Checksum(f.source, f.destination,
                                 absl::MakeConstSpan(icmp, icmp_len)));
  return out;
}

absl::StatusOr<NdFrame> ParseNdFrame(absl::Span<const uint8_t> frame,
                                     MalformedReason* reason) {
  if (reason != nullptr) *reason = MalformedReason::kNone;
  if (frame.size() < kEthernetHeaderSize + kIpv6HeaderSize) {
    return Malformed(
        MalformedReason::kTruncated, reason,
        absl::StrCat("IPv6 frame too short: ", frame.size(), " bytes"));
  }
  NdFrame f;
  f.ethernet = GetEthernet(frame.data());
  if (f.ethernet.ether_type != kEtherTypeIpv6) {
    return Malformed(MalformedReason::kWrongEtherType, reason,
                     absl::StrCat("not IPv6: EtherType 0x",
                                  absl::Hex(f.ethernet.ether_type)));
  }
  const uint8_t* ip = frame.data() + kEthernetHeaderSize;
  if ((ip[0] >> 4) != 6) {
    return Malformed(MalformedReason::kBadIpVersion, reason,
                     absl::StrCat("IP version ", ip[0] >> 4, " in IPv6 frame"));
  }
  size_t payload = Get16(ip + 4);
  if (ip[6] != kNextHeaderIcmpv6) {
    return Malformed(
        MalformedReason::kNotIcmpv6, reason,
        absl::StrCat("IPv6 next header ", ip[6], " is not ICMPv6"));
  }
  if (frame.size() < kEthernetHeaderSize + kIpv6HeaderSize + payload) {
    return Malformed(
        MalformedReason::kTruncated, reason,
        absl::StrCat("IPv6 payload length ", payload, " exceeds the frame"));
  }
  if (payload < 24) {
    return Malformed(
        MalformedReason::kTruncated, reason,
        absl::StrCat("ICMPv6 length ", payload, " below the ND minimum of 24"));
  }
  f.hop_limit = ip[7];
  f.source = IpAddress::V6FromBytes(ip + 8);
  f.destination = IpAddress::V6FromBytes(ip + 24);
  const uint8_t* icmp = ip + kIpv6HeaderSize;
  if (icmp[0] != 135 && icmp[0] != 136) {
    return Malformed(MalformedReason::kNotNeighborDiscovery, reason,
                     absl::StrCat("ICMPv6 type ", icmp[0],
                                  " is not a neighbour solicitation or "
                                  "advertisement"));
  }
  f.type = static_cast<NdType>(icmp[0]);
  if (f.hop_limit != 255) {
    return Malformed(MalformedReason::kBadHopLimit, reason,
                     absl::StrCat("ND hop limit ", f.hop_limit, ", want 255"));
  }
  if (icmp[1] != 0) {
    return Malformed(MalformedReason::kBadCode, reason,
                     absl::StrCat("ICMPv6 code ", icmp[1], ", want 0"));
  }
  if (Icmpv6Checksum(f.source, f.destination,
                     absl::MakeConstSpan(icmp, payload)) != 0) {
    return Malformed(MalformedReason::kBadChecksum, reason,
                     "ICMPv6 checksum mismatch");
  }
  if (f.type == NdType::kNeighborAdvertisement) {
    f.router = (icmp[4] & 0x80) != 0;
    f.solicited = (icmp[4] & 0x40) != 0;
    f.override_flag = (icmp[4] & 0x20) != 0;
  }
  f.target = IpAddress::V6FromBytes(icmp + 8);
  if (f.target.IsMulticast()) {
    return Malformed(
        MalformedReason::kMulticastTarget, reason,
        absl::StrCat("ND target ", f.target.ToString(), " is multicast"));
  }
  for (size_t off = 24; off < payload;) {
    if (payload - off < 2 || icmp[off + 1] == 0 ||
        off + icmp[off + 1] * 8u > payload) {
      return Malformed(
          MalformedReason::kBadOptionLength, reason,
          absl::StrCat("ND option at offset ", off, " has a bad length"));
    }
    uint8_t type = icmp[off];
    size_t len = icmp[off + 1] * 8u;
    if (len >= 8) {
      if (type == kOptionSourceLladdr) {
        f.source_lladdr = MacAddress::FromBytes(icmp + off + 2);
      } else if (type == kOptionTargetLladdr) {
        f.target_lladdr = MacAddress::FromBytes(icmp + off + 2);
      }
    }
    off += len;
  }
  if (f.IsDad() && (f.source_lladdr.has_value() ||
                    f.destination != SolicitedNodeMulticast(f.target))) {
    return Malformed(MalformedReason::kBadDadSolicitation, reason,
                     "DAD solicitation with a source link-layer option or "
                     "not sent to the solicited-node group");
  }
  return f;
}

}  // namespace lb::arp
