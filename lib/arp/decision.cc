#include "lib/arp/decision.h"

#include "absl/strings/str_cat.h"

namespace lb::arp {

absl::string_view DecisionReasonName(DecisionReason reason) {
  switch (reason) {
    case DecisionReason::kAnswered:
      return "answered";
    case DecisionReason::kAnsweredProbe:
      return "answered_probe";
    case DecisionReason::kAnsweredDad:
      return "answered_dad";
    case DecisionReason::kMalformed:
      return "malformed";
    case DecisionReason::kOtherHost:
      return "other_host";
    case DecisionReason::kOutgoing:
      return "outgoing";
    case DecisionReason::kOwnFrame:
      return "own_frame";
    case DecisionReason::kNotRequest:
      return "not_request";
    case DecisionReason::kNotOwned:
      return "not_owned";
    case DecisionReason::kWrongInterface:
      return "wrong_interface";
    case DecisionReason::kProbing:
      return "probing";
    case DecisionReason::kGratuitousOther:
      return "gratuitous_other";
    case DecisionReason::kConflictAnnouncement:
      return "conflict_announcement";
    case DecisionReason::kConflictReply:
      return "conflict_reply";
    case DecisionReason::kConflictSender:
      return "conflict_sender";
    case DecisionReason::kConflictProbe:
      return "conflict_probe";
    case DecisionReason::kConflictAdvertisement:
      return "conflict_advertisement";
    case DecisionReason::kCount:
      break;
  }
  return "unknown";
}

std::string FormatRequestLogLine(const IpAddress& target,
                                 const IpAddress& asker_ip,
                                 const MacAddress& asker_mac,
                                 const MacAddress& mac) {
  std::string t = target.ToString();
  return absl::StrCat("Request: who-has ", t, "? tell ", asker_ip.ToString(),
                      " (", asker_mac.ToString(), "). reply: ", t, " is-at ",
                      mac.ToString());
}

std::string Decision::LogLine() const {
  if (reason != DecisionReason::kAnswered || !address.has_value()) return "";
  return FormatRequestLogLine(*address, asker_ip, asker_mac, answered_with);
}

namespace {

// Common pre-checks on the packet type; returns true if the frame is dropped.
bool DropByType(PacketType type, Decision* d) {
  if (type == PacketType::kOtherHost) {
    d->reason = DecisionReason::kOtherHost;
    return true;
  }
  if (type == PacketType::kOutgoing) {
    d->reason = DecisionReason::kOutgoing;
    return true;
  }
  return false;
}

}  // namespace

Decision DecideArp(const InterfaceContext& iface, PacketType type,
                   absl::Span<const uint8_t> frame,
                   const OwnershipView& owned) {
  Decision d;
  if (DropByType(type, &d)) return d;
  absl::StatusOr<ArpFrame> parsed = ParseArpFrame(frame, &d.malformed);
  if (!parsed.ok()) {
    d.reason = DecisionReason::kMalformed;
    return d;
  }
  const ArpFrame& f = *parsed;
  d.is_request = f.op == ArpOp::kRequest;
  if (f.ethernet.source == iface.mac || f.sender_mac == iface.mac) {
    d.reason = DecisionReason::kOwnFrame;
    return d;
  }
  // Another host using an owned address as its sender: conflict, whatever
  // the opcode. A probe has sender 0.0.0.0 and never matches.
  if (!f.sender_ip.IsUnspecified()) {
    Ownership sender = owned.Lookup(f.sender_ip, iface.ifindex);
    if (sender == Ownership::kOwned || sender == Ownership::kProbing) {
      d.address = f.sender_ip;
      d.conflict_mac = f.sender_mac;
      if (f.IsGratuitous()) {
        d.reason = DecisionReason::kConflictAnnouncement;
      } else if (f.op == ArpOp::kReply) {
        d.reason = DecisionReason::kConflictReply;
      } else {
        d.reason = DecisionReason::kConflictSender;
      }
      return d;
    }
    if (f.IsGratuitous()) {
      d.address = f.sender_ip;
      d.reason = DecisionReason::kGratuitousOther;
      return d;
    }
  }
  d.address = f.target_ip;
  if (f.op != ArpOp::kRequest) {
    d.reason = DecisionReason::kNotRequest;
    return d;
  }
  switch (owned.Lookup(f.target_ip, iface.ifindex)) {
    case Ownership::kNotOwned:
      d.reason = DecisionReason::kNotOwned;
      return d;
    case Ownership::kOtherInterface:
      d.reason = DecisionReason::kWrongInterface;
      return d;
    case Ownership::kProbing:
      if (f.IsProbe()) {
        d.reason = DecisionReason::kConflictProbe;
        d.conflict_mac = f.sender_mac;
      } else {
        d.reason = DecisionReason::kProbing;
      }
      return d;
    case Ownership::kOwned:
      break;
  }
  d.reason =
      f.IsProbe() ? DecisionReason::kAnsweredProbe : DecisionReason::kAnswered;
  if (f.IsProbe()) d.conflict_mac = f.sender_mac;
  d.reply = BuildArpFrame(ArpReplyTo(f, iface.mac));
  d.asker_ip = f.sender_ip;
  d.asker_mac = f.sender_mac;
  d.answered_with = iface.mac;
  return d;
}

Decision DecideNd(const InterfaceContext& iface, PacketType type,
                  absl::Span<const uint8_t> frame, const OwnershipView& owned) {
  Decision d;
  if (DropByType(type, &d)) return d;
  absl::StatusOr<NdFrame> parsed = ParseNdFrame(frame, &d.malformed);
  if (!parsed.ok()) {
    d.reason = DecisionReason::kMalformed;
    return d;
  }
  const NdFrame& f = *parsed;
  d.address = f.target;
  d.is_request = f.type == NdType::kNeighborSolicitation;
  MacAddress sender = f.type == NdType::kNeighborSolicitation
                          ? f.source_lladdr.value_or(f.ethernet.source)
                          : f.target_lladdr.value_or(f.ethernet.source);
  if (f.ethernet.source == iface.mac || sender == iface.mac) {
    d.reason = DecisionReason::kOwnFrame;
    return d;
  }
  Ownership o = owned.Lookup(f.target, iface.ifindex);
  if (f.type == NdType::kNeighborAdvertisement) {
    if (o == Ownership::kOwned || o == Ownership::kProbing) {
      d.reason = DecisionReason::kConflictAdvertisement;
      d.conflict_mac = sender;
    } else {
      d.reason = DecisionReason::kNotRequest;
    }
    return d;
  }
  switch (o) {
    case Ownership::kNotOwned:
      d.reason = DecisionReason::kNotOwned;
      return d;
    case Ownership::kOtherInterface:
      d.reason = DecisionReason::kWrongInterface;
      return d;
    case Ownership::kProbing:
      if (f.IsDad()) {
        d.reason = DecisionReason::kConflictProbe;
        d.conflict_mac = f.ethernet.source;
      } else {
        d.reason = DecisionReason::kProbing;
      }
      return d;
    case Ownership::kOwned:
      break;
  }
  // Like the kernel, answer from the target address itself: some resolvers
  // (ndisc6) only accept an NA whose source is the address they asked for.
  d.reply = BuildNdFrame(NeighborAdvertisementTo(f, iface.mac, f.target));
  if (f.IsDad()) {
    d.reason = DecisionReason::kAnsweredDad;
    d.conflict_mac = f.ethernet.source;
  } else {
    d.reason = DecisionReason::kAnswered;
    d.asker_ip = f.source;
    d.asker_mac = f.source_lladdr.value_or(f.ethernet.source);
    d.answered_with = iface.mac;
  }
  return d;
}

}  // namespace lb::arp
