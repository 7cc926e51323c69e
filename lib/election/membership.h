// lib/election/membership.h
//
// Provides `Membership`: which speakers are alive, whether this node may
// claim addresses, and which addresses it owns.
//
// Two sources of truth, at two speeds:
//  * the record: one Lease per node (`<lease_prefix><node>` in `ns`), renewed
//    every lease_renew_interval (default 10 s), so API writes grow with nodes,
//    never with addresses. Another node's Lease counts as valid for
//    min(leaseDurationSeconds, 2 * lease_renew_interval) after it was last
//    *seen to change* on this node's clock (client-go semantics: clock
//    offsets do not matter), i.e. until it misses its renewals;
//  * heartbeats: authenticated datagrams (heartbeat.h) every
//    heartbeat_interval (default 100 ms); a peer unheard for suspect_timeout
//    (default 300 ms) is no longer live.
//
// Decision, on every PollNetwork() (the pure function Decide() of
// membership_decision.h):
//  * heard  = this node plus peers heard within suspect_timeout that have not
//             announced that they are leaving;
//  * known  = heard, plus peers heard within 2 * lease_renew_interval, plus
//             the nodes whose Lease is valid (the record; while the store is
//             unreachable the record is frozen as last read, so it never
//             shrinks on stale information);
//  * quorate = |heard| > |known| / 2 (a strict majority: an even split
//             fences both halves, since a name-based tie-break is unsafe
//             when the halves know different members);
//  * the node claims nothing (is fenced) until it has read the record once
//    and heard peers for suspect_timeout, and whenever it is not quorate.
//    So a node that reaches neither the API server nor a majority of its
//    peers stops claiming within suspect_timeout + poll_interval; and a node
//    cut off from a majority whose Leases it still sees renewed stands down
//    too, while the majority takes its addresses: both sides decide within
//    the same timeout, which bounds split brain (see SplitBrainBound()).
//    A lone survivor (e.g. in a two-node cluster whose peer crashed, not
//    left) becomes quorate once the dead nodes have missed their Lease
//    renewals and been silent for 2 * lease_renew_interval: failover then
//    takes about 2-3 renew intervals (20-30 s by default) instead of
//    suspect_timeout.
//    Residual risk: two nodes joining one side of a partition before the
//    other side has read them in the record can make both sides quorate
//    until the next record read (lease_renew_interval).
//  * owners: rendezvous hashing (ownership.h) over the heard nodes that are
//    active (quorate, not starting). A node that becomes active includes
//    itself only heartbeat_interval + 2 * poll_interval later, so peers that
//    give addresses back to it let go first. With failback_hold > 0, a node
//    that has been active for less than the hold (after a restart or a
//    partition) is used only for addresses no settled node is eligible for, so
//    a flapping node does not pull addresses back and forth.
//  * Leave() (graceful stop) stops claiming at once, tells peers with
//    `leaving` heartbeats (they drop it immediately, without waiting for
//    suspect_timeout) and releases the Lease.
//
// All time comes from the injected Clock: every duration (silence, Lease
// validity, start-up, activation, hold, renewal and retry schedules) on its
// monotonic timeline, so a wall-clock step changes nothing; wall time only
// for the renewTime and acquireTime written into this node's Lease. I/O goes
// through the injected LeaseStore and HeartbeatTransport.
//
// RunNetworkLoop() sleeps in HeartbeatTransport::WaitReadable() until a
// datagram arrives, the next thing is due (this node's heartbeat, a peer's
// suspect deadline, a Lease expiring, the end of the start-up or activation
// delay or of a failback hold) or it is woken (Stop(), SetAddresses(), a
// record read by the store loop): an idle node wakes only for heartbeats.
//
// Thread-safety: PollNetwork() and PollStore() may run on two different
// threads (store calls can block; heartbeats must not wait for them); each
// must be called by one thread at a time. Everything else is safe from any
// thread. on_claims_changed runs on the PollNetwork()/Leave() thread with no
// lock held.
//
//   MembershipOptions options;
//   options.node = "node-a";
//   options.hmac_key = key_from_secret;
//   options.on_claims_changed = [&](const std::vector<std::string>& claimed) {
//     announcer.SetAddresses(claimed);
//   };
//   LB_ASSIGN_OR_RETURN(auto m,
//                       Membership::Create(store, udp, clock, options));
//   m->SetAddresses(requests_from_controller);
//   std::thread net([&] { m->RunNetworkLoop(); });
//   std::thread api([&] { m->RunStoreLoop(); });
//   ...
//   // On SIGTERM:
//   m->Leave();
//   m->Stop();
//   net.join();
//   api.join();

#ifndef LB_ELECTION_MEMBERSHIP_H_
#define LB_ELECTION_MEMBERSHIP_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "lib/base/clock.h"
#include "lib/election/latency_histogram.h"
#include "lib/election/lease_store.h"
#include "lib/election/membership_decision.h"
#include "lib/election/ownership.h"
#include "lib/election/transport.h"

namespace lb::election {

struct MembershipOptions {
  std::string node;  // This node's name; 1..253 bytes; required.
  std::string ns = "metallb-system";
  std::string lease_prefix = "speaker-";
  // Heartbeat key shared by the cluster; at least 16 bytes; required.
  std::string hmac_key;

  absl::Duration heartbeat_interval = absl::Milliseconds(100);
  // Silence after which a peer is no longer live; >= 2 heartbeat intervals.
  absl::Duration suspect_timeout = absl::Milliseconds(300);
  // The longest this node may take to act on a received datagram or a due
  // deadline, as allowed for by the activation delay and SplitBrainBound().
  // RunNetworkLoop() does not poll at this interval: it wakes on datagrams
  // and deadlines.
  absl::Duration poll_interval = absl::Milliseconds(10);
  // The per-node Lease: duration (whole seconds) and renewal/list interval;
  // lease_duration >= 2 * lease_renew_interval.
  absl::Duration lease_duration = absl::Seconds(40);
  absl::Duration lease_renew_interval = absl::Seconds(10);
  // Damped failback (0 = off): see the header comment.
  absl::Duration failback_hold = absl::ZeroDuration();
  OwnershipOptions ownership;
  // Copies of the `leaving` heartbeat Leave() sends (against loss).
  int leave_repeats = 3;

  // Called whenever the set of addresses this node claims changes, with the
  // new set (sorted).
  std::function<void(const std::vector<std::string>&)> on_claims_changed;
};

// kInvalidArgument names the offending field.
absl::Status ValidateMembershipOptions(const MembershipOptions& options);

struct MembershipStats {
  int64_t heartbeats_sent = 0;
  int64_t heartbeat_send_errors = 0;
  int64_t heartbeats_received = 0;
  int64_t heartbeats_malformed = 0;        // Counted and skipped.
  int64_t heartbeats_unauthenticated = 0;  // Bad MAC: counted and skipped.
  int64_t heartbeats_replayed = 0;         // Old (incarnation, sequence).
  int64_t lease_writes = 0;                // Successful Create/Update.
  int64_t lease_write_errors = 0;
  int64_t lease_list_errors = 0;
  int64_t peers_lost = 0;    // Peers dropped after suspect_timeout.
  int64_t peers_left = 0;    // Peers that announced a graceful leave.
  int64_t peers_joined = 0;  // Peers newly heard.
  int64_t fence_transitions = 0;
  int64_t owner_recomputes = 0;
  int64_t claims_gained = 0;     // Addresses this node started claiming.
  int64_t claims_lost = 0;       // Addresses this node stopped claiming.
  int64_t network_polls = 0;     // PollNetwork() calls (network-loop wake-ups).
  int64_t transport_errors = 0;  // TryReceive()/WaitReadable() failures.
};

struct MemberState {
  std::string node;
  bool heard = false;      // Live by heartbeats.
  bool active = false;     // Its last heartbeat said it claims addresses.
  bool in_record = false;  // Its Lease is valid.
  bool probationary = false;
  absl::Duration since_heard = absl::InfiniteDuration();
};

struct MembershipSnapshot {
  std::string node;
  FenceReason fence = FenceReason::kStarting;
  bool claiming() const { return fence == FenceReason::kNone; }
  int heard = 0;  // Including this node unless stopped.
  int known = 0;
  std::vector<MemberState> members;  // Every known node, by name.
  // As this node sees them; shared with the membership (immutable).
  std::shared_ptr<const OwnerMap> owners;
  std::vector<std::string> claimed;  // Sorted.
  MembershipStats stats;
  // From a peer's last heartbeat to the decision that dropped it.
  LatencyHistogram detection_to_decision;
  // When the record was last read, on the Clock's monotonic timeline.
  MonoTime last_record_read = MonoTime::InfinitePast();
};

class Membership {
 public:
  // Validates `options`. store, transport and clock must outlive this.
  static absl::StatusOr<std::unique_ptr<Membership>> Create(
      LeaseStore& store, HeartbeatTransport& transport, Clock& clock,
      MembershipOptions options);

  Membership(const Membership&) = delete;
  Membership& operator=(const Membership&) = delete;

  // Replaces the addresses and their eligible nodes (from the controller) and
  // wakes the network loop to decide on them. kInvalidArgument (duplicate or
  // empty address): the previous set stays.
  absl::Status SetAddresses(std::vector<AddressRequest> requests);

  // Processes received heartbeats, sends one if due, re-decides. Returns
  // when something is next due (without counting new datagrams), on the
  // Clock's monotonic timeline; InfiniteFuture once stopped.
  MonoTime PollNetwork();

  // Renews this node's Lease and re-reads the record when due (a read wakes
  // the network loop). Returns when it is next due (monotonic).
  MonoTime PollStore();

  // Graceful stop: claim nothing from now on, send `leaving` heartbeats,
  // release this node's Lease. Returns the store error if the release
  // failed (the Lease then expires on its own).
  absl::Status Leave();

  // Run PollNetwork() / PollStore() until Stop(). The network loop calls
  // PollNetwork() whenever a datagram arrives, what it returned is due, or it
  // is woken (see the file comment); the store loop whenever PollStore() is
  // due.
  void RunNetworkLoop();
  void RunStoreLoop();
  // Makes both loops return soon (wakes the network loop). Idempotent.
  void Stop();

  bool Claims(absl::string_view address) const;
  std::vector<std::string> Claimed() const;
  MembershipSnapshot Snapshot() const;

  // The longest two nodes may both claim one address because their views
  // differ, given a maximum one-way network delay `max_delay`, as long as
  // lease-record changes are not in play: suspect_timeout +
  // heartbeat_interval + max_delay + 2 * poll_interval.
  absl::Duration SplitBrainBound(absl::Duration max_delay) const;

 private:
  // Per peer, against replays.
  struct Sequence {
    uint64_t incarnation = 0;
    std::vector<uint64_t> past_incarnations;  // Retired; replays rejected.
    uint64_t sequence = 0;
  };

  Membership(LeaseStore& store, HeartbeatTransport& transport, Clock& clock,
             MembershipOptions options);

  void HandleDatagram(const std::vector<uint8_t>& d, MonoTime now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SendHeartbeat(MonoTime now, bool leaving)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Decides; returns the new claimed set if it changed.
  std::optional<std::vector<std::string>> Evaluate(MonoTime now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status WriteOwnLease(absl::Time wall);
  void Notify(const std::optional<std::vector<std::string>>& claimed);

  LeaseStore& store_;
  HeartbeatTransport& transport_;
  Clock& clock_;
  const MembershipOptions options_;
  const DecisionOptions decision_options_;
  const MonoTime start_;
  const uint64_t incarnation_;

  // Store thread only.
  std::optional<Lease> own_lease_;
  MonoTime next_renew_ = MonoTime::InfinitePast();
  MonoTime next_list_ = MonoTime::InfinitePast();

  mutable absl::Mutex mu_;
  bool stop_requested_ ABSL_GUARDED_BY(mu_) = false;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t sequence_ ABSL_GUARDED_BY(mu_) = 0;
  MonoTime next_heartbeat_ ABSL_GUARDED_BY(mu_) = MonoTime::InfinitePast();
  PeerTable peers_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, Sequence> sequences_ ABSL_GUARDED_BY(mu_);
  LeaseRecord record_ ABSL_GUARDED_BY(mu_);
  std::vector<AddressRequest> requests_ ABSL_GUARDED_BY(mu_);
  uint64_t requests_version_ ABSL_GUARDED_BY(mu_) = 0;
  // Set when an input of the decision changed other than the silence of
  // heard peers; otherwise PollNetwork() decides only at next_change.
  bool dirty_ ABSL_GUARDED_BY(mu_) = true;
  Decision decision_ ABSL_GUARDED_BY(mu_);
  MembershipStats stats_ ABSL_GUARDED_BY(mu_);
  LatencyHistogram latency_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lb::election

#endif  // LB_ELECTION_MEMBERSHIP_H_
