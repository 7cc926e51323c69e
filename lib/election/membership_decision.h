// lib/election/membership_decision.h
//
// Provides `Decide`, the decision Membership (membership.h) takes on every
// poll, as a pure function: from the peer table (what this node has heard),
// the Lease record (what it has read), its own state and its previous
// decision, at one instant of its monotonic clock, it computes who is heard
// and known, whether this node is quorate or fenced, the owner of every
// address, what this node claims, what changed since the previous decision,
// and when the decision next changes if nothing new is heard or read. The
// rules are those of membership.h's header comment.
//
// Thread-safety: pure functions; safe to call concurrently.
//
//   DecisionOptions options = DecisionOptionsFrom(membership_options);
//   Decision d = Decide({peers, record, requests, version, started, false},
//                       std::move(previous), clock.Monotonic(), options);
//   if (d.claimed != previous_claimed) announcer.SetAddresses(d.claimed);
//   wake_at = d.next_change;

#ifndef LB_ELECTION_MEMBERSHIP_DECISION_H_
#define LB_ELECTION_MEMBERSHIP_DECISION_H_

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "lib/base/clock.h"
#include "lib/election/lease_store.h"
#include "lib/election/ownership.h"

namespace lb::election {

// Why this node does or does not claim addresses.
enum class FenceReason {
  kNone,      // Claiming.
  kStarting,  // Record not read yet, or still listening for peers.
  kNoQuorum,  // Cannot hear a majority of the known nodes.
  kStopped,   // Leave() was called.
};
absl::string_view FenceReasonName(FenceReason reason);

// What this node knows of one peer, from the peer's heartbeats. Times are on
// this node's monotonic clock.
struct PeerInfo {
  MonoTime last_heard = MonoTime::InfinitePast();
  // When the peer became active (from its stable_ms); InfiniteFuture while
  // it is not active.
  MonoTime stable_since = MonoTime::InfiniteFuture();
  bool left = false;    // Its last heartbeat announced a graceful leave.
  bool active = false;  // Its last heartbeat said it claims addresses.
};

// Peer name -> what is known of it. Never holds this node itself.
using PeerTable = std::map<std::string, PeerInfo>;

// One Lease of the record.
struct RecordEntry {
  LeaseSpec spec;
  // When this node last saw the Lease's spec change (client-go semantics:
  // only this node's clock counts, never the timestamps in the spec).
  MonoTime observed = MonoTime::InfinitePast();
};

// The per-node Leases as last listed.
struct LeaseRecord {
  std::map<std::string, RecordEntry> leases;      // By Lease name.
  bool loaded = false;                            // Listed at least once.
  MonoTime last_read = MonoTime::InfinitePast();  // Last successful list.
};

// The parts of MembershipOptions the decision reads.
struct DecisionOptions {
  std::string node;  // This node's name.
  absl::Duration heartbeat_interval = absl::Milliseconds(100);
  absl::Duration suspect_timeout = absl::Milliseconds(300);
  absl::Duration poll_interval = absl::Milliseconds(10);
  absl::Duration lease_renew_interval = absl::Seconds(10);
  absl::Duration failback_hold = absl::ZeroDuration();
  OwnershipOptions ownership;
};

// How long a peer stays known after it was last heard or its Lease was last
// seen renewed: 2 * lease_renew_interval.
absl::Duration RecordGrace(const DecisionOptions& options);
// How long after becoming active this node waits before it claims:
// heartbeat_interval + 2 * poll_interval.
absl::Duration ActivationDelay(const DecisionOptions& options);

// Everything a decision reads besides the previous decision, the time and
// the options. Borrowed for the call.
struct DecisionInput {
  const PeerTable& peers;
  const LeaseRecord& record;
  const std::vector<AddressRequest>& requests;
  // Changes whenever `requests` does (owners are recomputed only then, or
  // when the nodes they are chosen among change).
  uint64_t requests_version;
  MonoTime started;  // When this node's membership started.
  bool stopped;      // Leave() was called.
};

// A lost peer and how long it had been silent when it was dropped.
struct LostPeer {
  std::string node;
  absl::Duration silence;
};

struct Decision {
  FenceReason fence = FenceReason::kStarting;
  // When this node last stopped being fenced; InfiniteFuture while fenced.
  MonoTime stable_since = MonoTime::InfiniteFuture();
  // This node (unless stopped) and the peers heard within suspect_timeout
  // that have not left.
  std::set<std::string> heard;
  // Heard, plus peers heard within RecordGrace, plus the nodes of valid
  // Leases (except peers that left), plus this node.
  std::set<std::string> known;
  bool quorate() const { return 2 * heard.size() > known.size(); }

  // The active heard nodes owners are chosen among (this node first, then
  // peers by name): settled ones, and those still within failback_hold,
  // used only for addresses no settled node is eligible for.
  std::vector<std::string> settled;
  std::vector<std::string> probation;
  // Owners of every requested address over those nodes; shared by decisions
  // with the same inputs (null before the first decision).
  std::shared_ptr<const OwnerMap> owners;
  uint64_t owners_requests_version = 0;  // The requests `owners` are for.
  // The addresses this node claims (sorted; empty unless fence is kNone).
  std::vector<std::string> claimed;

  // Changes from the previous decision.
  std::vector<std::string> joined;  // Peers newly heard.
  std::vector<LostPeer> lost;       // Peers that fell silent.
  std::vector<std::string> left;    // Peers dropped on a leaving heartbeat.
  bool fence_changed = false;
  bool owners_recomputed = false;
  std::vector<std::string> gained;    // Newly claimed addresses (sorted).
  std::vector<std::string> released;  // No longer claimed (sorted).

  // The earliest instant after `now` at which Decide, with the same input,
  // may decide differently (a peer's suspect deadline, a Lease expiring, the
  // end of the start-up or activation delay or of a failback hold);
  // InfiniteFuture if none.
  MonoTime next_change = MonoTime::InfiniteFuture();
};

// The nodes whose Lease in `record` is valid at `now`: held, and seen to
// change within min(leaseDurationSeconds, RecordGrace). While the record has
// not been read for RecordGrace it is judged as of its last read, so it
// never shrinks on stale information.
std::set<std::string> ValidRecordNodes(const LeaseRecord& record, MonoTime now,
                                       const DecisionOptions& options);

// Decides at `now`, given the previous decision (a default-constructed one
// before the first). Reuses previous.owners when its inputs are unchanged.
Decision Decide(const DecisionInput& input, Decision previous, MonoTime now,
                const DecisionOptions& options);

}  // namespace lb::election

#endif  // LB_ELECTION_MEMBERSHIP_DECISION_H_
