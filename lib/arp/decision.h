// lib/arp/decision.h
//
// What to do with one received ARP or neighbour-discovery frame: the pure
// core of the responder. Given the receiving interface, the frame and a
// view of which addresses are owned where, it returns a Decision: a reason
// (always), the reply frame to send (if any) and the conflicting MAC (if the
// frame shows another host using an owned address).
//
//   Decision d = DecideArp(iface, frame.type, frame.bytes(), ownership);
//   if (d.reply) conn.Send({*d.reply});
//   if (d.conflict_mac) ReportConflict(d.address, *d.conflict_mac, d.reason);
//   if (d.reason == DecisionReason::kAnswered) Log(d.LogLine());
//
// Rules (research sections 0, 1 and 8):
// - frames sent by us (our MAC as Ethernet source or sender) and frames
//   for other hosts or outgoing are dropped;
// - an ARP request for an owned address on a serving interface is answered
//   unicast from the interface MAC, probes (SPA 0.0.0.0) included;
// - an NS for an owned address is answered with an NA S=1 O=1 unicast to
//   the requester, from the target address; a DAD NS (source ::) is answered to
//   ff02::1 S=0 O=1 and reported as a conflict;
// - another MAC announcing, answering for, probing for or using as sender
//   an owned address is a conflict (not answered, except probes and DAD);
// - while an address is being probed it is never answered.
//
// Thread-safety: pure functions.

#ifndef LB_ARP_DECISION_H_
#define LB_ARP_DECISION_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "lib/arp/address.h"
#include "lib/arp/packet_conn.h"
#include "lib/arp/wire.h"

namespace lb::arp {

// How an address stands on one interface.
enum class Ownership {
  kNotOwned,        // Not ours at all.
  kOtherInterface,  // Ours, but not served on this interface.
  kProbing,         // Being probed before the claim: silent.
  kOwned,           // Ours on this interface: answer.
};

class OwnershipView {
 public:
  virtual ~OwnershipView() = default;
  virtual Ownership Lookup(const IpAddress& address, int ifindex) const = 0;
};

// The receiving interface.
struct InterfaceContext {
  int ifindex = 0;
  std::string name;
  MacAddress mac;
  // The interface's usable IPv6 link-local address, or ::. Solicited NAs are
  // sent from the target address itself (as the kernel does), so this is
  // informational for callers building unsolicited NAs.
  IpAddress nd_source = IpAddress::V6({});
};

enum class DecisionReason {
  kAnswered,         // Request for an owned address: replied.
  kAnsweredProbe,    // ARP probe for an owned address: defended (conflict).
  kAnsweredDad,      // DAD NS for an owned address: defended (conflict).
  kMalformed,        // Failed to parse; see `malformed`.
  kOtherHost,        // sll_pkttype OTHERHOST (or foreign VLAN).
  kOutgoing,         // Our own outgoing frame.
  kOwnFrame,         // Ethernet source or sender MAC is ours.
  kNotRequest,       // Reply/NA not involving an owned address.
  kNotOwned,         // Target not owned by us.
  kWrongInterface,   // Owned, but served on another interface.
  kProbing,          // Owned address being probed: not answered.
  kGratuitousOther,  // Someone announcing an address we do not own.
  kConflictAnnouncement,   // Another MAC announced an owned address.
  kConflictReply,          // Another MAC answered for an owned address.
  kConflictSender,         // Another MAC used an owned address as its sender.
  kConflictProbe,          // Another host probed an address we are probing.
  kConflictAdvertisement,  // Another MAC advertised (NA) an owned address.
  kCount,
};

// "answered", "conflict_reply", ... for logs and metric labels.
absl::string_view DecisionReasonName(DecisionReason reason);

struct Decision {
  DecisionReason reason = DecisionReason::kNotOwned;
  MalformedReason malformed = MalformedReason::kNone;
  // The address the frame was about (target, or the conflicting sender).
  std::optional<IpAddress> address;
  // Whether this frame was a request (ARP op 1 / NS) for someone.
  bool is_request = false;
  std::optional<std::vector<uint8_t>> reply;
  // Set when another host claims an owned address.
  std::optional<MacAddress> conflict_mac;
  // For an answered request (kAnswered): who asked and the MAC we answered
  // with; LogLine() formats them lazily (formatting costs more than the
  // decision itself, and most lines are rate-limited away).
  IpAddress asker_ip;
  MacAddress asker_mac;
  MacAddress answered_with;

  // The MetalLB-format line for an answered request, or "" otherwise.
  std::string LogLine() const;
};

Decision DecideArp(const InterfaceContext& iface, PacketType type,
                   absl::Span<const uint8_t> frame, const OwnershipView& owned);

Decision DecideNd(const InterfaceContext& iface, PacketType type,
                  absl::Span<const uint8_t> frame, const OwnershipView& owned);

// "Request: who-has 192.168.1.240? tell 192.168.1.1 (b4:75:0e:63:b2:20).
// reply: 192.168.1.240 is-at b8:27:eb:86:e2:85" (the same shape for NDP).
std::string FormatRequestLogLine(const IpAddress& target,
                                 const IpAddress& asker_ip,
                                 const MacAddress& asker_mac,
                                 const MacAddress& mac);

}  // namespace lb::arp

#endif  // LB_ARP_DECISION_H_
