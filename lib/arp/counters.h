// lib/arp/counters.h
//
// What the responder has seen and done, as plain values a daemon copies
// into its metrics: totals, malformed frames by reason, dropped frames by
// decision reason, and per-address and per-interface breakdowns.
//
//   CountersSnapshot c = responder.Counters();
//   metrics.Set("arp_replies_sent", c.replies_sent);
//   for (const auto& [ip, a] : c.per_address) ...
//
// Thread-safety: plain values.

#ifndef LB_ARP_COUNTERS_H_
#define LB_ARP_COUNTERS_H_

#include <array>
#include <cstdint>
#include <map>
#include <string>

#include "lib/arp/address.h"
#include "lib/arp/decision.h"
#include "lib/arp/wire.h"

namespace lb::arp {

struct AddressCounters {
  uint64_t requests_seen = 0;       // ARP requests / NS for the address.
  uint64_t replies_sent = 0;        // Replies / NAs sent for it.
  uint64_t announcements_sent = 0;  // Gratuitous frames / unsolicited NAs.
  uint64_t probes_sent = 0;         // ARP probes / DAD NS before a claim.
  uint64_t conflicts = 0;           // Frames showing another owner.
};

struct InterfaceCounters {
  uint64_t frames_received = 0;
  uint64_t requests_seen = 0;
  uint64_t replies_sent = 0;
  uint64_t announcements_sent = 0;
  uint64_t malformed = 0;
  uint64_t send_errors = 0;
  uint64_t kernel_drops = 0;  // Receive-buffer overflows.
};

struct CountersSnapshot {
  uint64_t frames_received = 0;
  uint64_t requests_seen = 0;
  uint64_t replies_sent = 0;
  uint64_t announcements_sent = 0;
  uint64_t probes_sent = 0;
  uint64_t conflicts = 0;
  uint64_t malformed = 0;
  uint64_t send_errors = 0;
  uint64_t kernel_drops = 0;  // Receive-buffer overflows, all sockets.
  uint64_t log_lines_suppressed = 0;
  // Indexed by MalformedReason.
  std::array<uint64_t, static_cast<size_t>(MalformedReason::kCount)>
      malformed_by_reason{};
  // Indexed by DecisionReason: every received frame counts once.
  std::array<uint64_t, static_cast<size_t>(DecisionReason::kCount)> decisions{};
  // The addresses the responder holds; an address's counters go when it is
  // removed (and start from zero if it is added again), so a node that once
  // held every address of a cluster does not keep counting for them all.
  std::map<IpAddress, AddressCounters> per_address;
  std::map<std::string, InterfaceCounters> per_interface;

  uint64_t decision(DecisionReason r) const {
    return decisions[static_cast<size_t>(r)];
  }
  uint64_t malformed_count(MalformedReason r) const {
    return malformed_by_reason[static_cast<size_t>(r)];
  }
};

}  // namespace lb::arp

#endif  // LB_ARP_COUNTERS_H_
