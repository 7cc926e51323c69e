// lib/arp/responder.h
//
// Makes a set of owned IPv4/IPv6 addresses reachable on the local Ethernet
// segment: answers ARP requests and neighbour solicitations for them from
// the right interfaces, announces takeovers with gratuitous ARP / unsolicited
// NAs, optionally probes before claiming, and reports other hosts that
// claim an owned address. All OS access goes through the injected
// LinkWatcher, PacketConnFactory and Clock, so it runs unchanged over the
// fakes in tests.
//
//   lb::RealClock clock;
//   auto links = NetlinkLinkWatcher::Create().value();
//   AfPacketConnFactory packets;
//   ResponderOptions options;
//   options.log = &my_sink;
//   options.on_conflict = [](const Conflict& c) { ... };
//   auto responder =
//       Responder::Create(clock, *links, packets, options).value();
//   responder->AddAddress(*IpAddress::Parse("192.168.1.240"));  // own it
//   responder->Start();                  // event loop + timer threads
//   ...
//   responder->RemoveAddress(vip);       // stops answering at once
//   CountersSnapshot c = responder->Counters();
//   responder->Stop();
//
// Structure: the pure cores decide (lib/arp/decision.h per frame,
// lib/arp/announcer.h and lib/arp/prober.h over time); the responder keeps
// the owned set and the interface table, and wires the cores to its
// sockets (internal/connection_set.h) and threads (internal/event_loop.h).
// Every time it keeps is monotonic (Clock::Monotonic()); wall time appears
// only in Conflict::time.
//
// Interfaces: by default an address is served on every eligible interface
// (lib/arp/interface_policy.h) carrying a prefix that contains it;
// AddressOptions::interfaces names them explicitly instead (no prefix
// needed). Interfaces appearing, going down/up, changing MAC or addresses
// are followed through the LinkWatcher; a (re)appearing interface or a new
// MAC gets a fresh announcement burst.
//
// Conflicts: a frame from another MAC that announces, answers for or uses
// an owned address, probes it (ARP probe, DAD NS) or advertises it (NA) is
// counted and reported through `on_conflict` (at most once per address and
// other MAC per `conflict_report_interval`). A conflict during the optional
// probe stops the claim: the address goes to AddressState::kConflict and is
// neither answered nor announced until it is added again. A conflict on an
// owned address is reported only; the owner decides what to do.
//
// Thread-safety: all public methods are safe for concurrent use. Callbacks
// (`on_conflict`, the log sink) run on the responder's threads without its
// lock held, so they may call back into the responder, except Stop() and
// the destructor (which join those threads).

#ifndef LB_ARP_RESPONDER_H_
#define LB_ARP_RESPONDER_H_

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "lib/arp/address.h"
#include "lib/arp/announcer.h"
#include "lib/arp/counters.h"
#include "lib/arp/decision.h"
#include "lib/arp/interface_policy.h"
#include "lib/arp/link_watcher.h"
#include "lib/arp/log_sink.h"
#include "lib/arp/packet_conn.h"
#include "lib/arp/prober.h"
#include "lib/base/clock.h"

namespace lb::arp {

class ConnectionSet;  // internal/connection_set.h
class EventLoop;      // internal/event_loop.h

struct AddressOptions {
  // Serve only on these interfaces (no prefix match needed). Empty: the
  // responder's InterfacePolicy decides.
  std::vector<std::string> interfaces;
  // Probe for other users of the address before answering for it.
  bool probe_first = false;
};

struct Conflict {
  IpAddress address;
  std::string interface;
  MacAddress other_mac;
  DecisionReason reason = DecisionReason::kConflictAnnouncement;
  bool while_probing = false;  // The claim was abandoned.
  absl::Time time;             // When it was seen: wall clock, for reports.
};

enum class AddressState {
  kProbing,   // Probing before the claim; silent.
  kOwned,     // Answered and announced on its serving interfaces.
  kConflict,  // Probe found another owner; neither answered nor announced.
};

struct AddressStatus {
  IpAddress address;
  AddressState state = AddressState::kOwned;
  // Interfaces it is served on now (may be empty: none eligible).
  std::vector<std::string> interfaces;
};

struct ResponderOptions {
  InterfacePolicy interfaces;
  AnnounceOptions announce;
  // Probing before a claim (RFC 5227 for IPv4, DAD for IPv6), for
  // addresses added with AddressOptions::probe_first.
  ProbeOptions probe;
  // Answered requests are logged here in MetalLB's format, rate-limited;
  // warnings (socket errors, conflicts) too. May be null.
  LogSink* log = nullptr;
  double log_lines_per_second = 10;
  int log_burst = 20;
  std::function<void(const Conflict&)> on_conflict;
  absl::Duration conflict_report_interval = absl::Seconds(10);
  // Frames read per receive call (1..1024).
  int receive_batch = 64;
  // If > 0, the event-loop thread runs with SCHED_FIFO at this priority
  // (1..99), as keepalived does for VRRP, so replies are not delayed behind
  // ordinary work on a busy node. Needs CAP_SYS_NICE; if refused, a warning
  // is logged and the thread runs at normal priority. It never spins.
  int realtime_priority = 0;
};

// InvalidArgument naming the first bad field.
absl::Status ValidateResponderOptions(const ResponderOptions& options);

class Responder {
 public:
  // InvalidArgument for bad options; Internal if epoll/eventfd fail.
  static absl::StatusOr<std::unique_ptr<Responder>> Create(
      Clock& clock, LinkWatcher& links, PacketConnFactory& packets,
      ResponderOptions options);
  ~Responder();  // Stops.

  Responder(const Responder&) = delete;
  Responder& operator=(const Responder&) = delete;

  // Owns `address` (or updates its options). Without probing it is answered
  // at once and announced on every serving interface. Re-adding an address
  // in kConflict starts its claim again. InvalidArgument for unspecified or
  // multicast addresses or an empty interface name.
  absl::Status AddAddress(const IpAddress& address,
                          const AddressOptions& options = {});
  // Stops answering and announcing `address` at once; nothing is sent.
  // NotFound if it is not owned.
  absl::Status RemoveAddress(const IpAddress& address);
  // Makes the owned set exactly `addresses` (adds, updates, removes).
  // InvalidArgument (nothing changed) if any entry is invalid or repeated.
  absl::Status SetAddresses(
      const std::vector<std::pair<IpAddress, AddressOptions>>& addresses);
  std::vector<AddressStatus> Addresses() const;

  // Starts the event-loop thread (frames and link changes, via epoll) and
  // the timer thread (announcements and probes, waiting on the Clock).
  // Nothing is answered, announced or probed until then. A link watcher
  // failure is logged (kError) and processing continues with the last
  // table. FailedPrecondition if already running.
  absl::Status Start();
  // Stops both threads; owned addresses and sockets stay. Idempotent.
  void Stop();

  // A consistent snapshot: every frame counted as received has been
  // handled in full (its reply counted as sent or as a send error).
  CountersSnapshot Counters() const;

 private:
  using ConnKey = std::pair<int, Protocol>;  // (ifindex, protocol)
  struct Entry {
    AddressOptions options;
    AddressState state = AddressState::kOwned;
    std::map<int, MacAddress> serving;  // ifindex -> MAC announced with.
    // Last report per conflicting MAC (rate limit).
    std::map<MacAddress, MonoTime> last_conflict_report;
  };
  // An open connection and what the receive path needs with it, refreshed
  // on every reconcile so that it does no lookups of its own.
  struct ConnContext {
    PacketConn* conn = nullptr;
    InterfaceContext iface;
    InterfaceCounters* counters = nullptr;  // Into counters_.per_interface.
  };
  // Callbacks and log lines collected under the lock, delivered after it.
  struct Pending {
    std::vector<Conflict> conflicts;
    std::vector<std::pair<LogLevel, std::string>> logs;
  };
  class View;

  Responder(Clock& clock, LinkWatcher& links, PacketConnFactory& packets,
            ResponderOptions options, std::unique_ptr<EventLoop> loop);

  absl::Status ValidateAddress(const IpAddress& address,
                               const AddressOptions& options) const;
  void AddLocked(const IpAddress& address, const AddressOptions& options)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RemoveLocked(const IpAddress& address)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void PollLinksLocked(Pending& p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ReconcileLocked(Pending& p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ReconcileAddressLocked(const IpAddress& address, Entry& e)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ReconcileConnsLocked(Pending& p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ProcessConnLocked(const ConnKey& key, Pending& p)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void HandleConflictLocked(const IpAddress& address, int ifindex,
                            const MacAddress& mac, DecisionReason reason,
                            Pending& p) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void RunTimersLocked(MonoTime now, Pending& p)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  MonoTime NextDeadlineLocked(MonoTime now) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Sends `frames` on the connection for `key`; returns how many were sent
  // and counts the rest as send errors.
  size_t SendLocked(const ConnKey& key,
                    const std::vector<std::vector<uint8_t>>& frames, Pending& p)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string InterfaceName(int ifindex) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Deliver(Pending& p);
  // The event loop's handlers.
  void OnReady(absl::Span<const uint64_t> keys) ABSL_LOCKS_EXCLUDED(mu_);
  MonoTime OnTimers(MonoTime now) ABSL_LOCKS_EXCLUDED(mu_);

  Clock& clock_;
  LinkWatcher& links_watcher_;
  const ResponderOptions options_;
  // Outlives conns_, which unwatches through it as connections close.
  const std::unique_ptr<EventLoop> loop_;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<IpAddress, Entry> addresses_ ABSL_GUARDED_BY(mu_);
  std::map<int, Link> links_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<ConnectionSet> conns_ ABSL_GUARDED_BY(mu_);
  std::map<ConnKey, ConnContext> contexts_ ABSL_GUARDED_BY(mu_);
  Announcer announcer_ ABSL_GUARDED_BY(mu_);
  Prober prober_ ABSL_GUARDED_BY(mu_);
  mutable CountersSnapshot counters_ ABSL_GUARDED_BY(mu_);
  // Kept apart from counters_ in a hash map: it is touched per frame.
  absl::flat_hash_map<IpAddress, AddressCounters> per_address_
      ABSL_GUARDED_BY(mu_);
  RateLimitedLog log_ ABSL_GUARDED_BY(mu_);
  std::vector<ReceivedFrame> rx_ ABSL_GUARDED_BY(mu_);
  // Reused by the receive path: the address each queued reply is for.
  std::vector<IpAddress> replied_ ABSL_GUARDED_BY(mu_);
  // Set when a connection may no longer be needed; reconciled after the
  // connection being read is done with.
  bool conns_dirty_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace lb::arp

#endif  // LB_ARP_RESPONDER_H_
