// lib/arp/prober.h
//
// The probe-before-claim schedule (RFC 5227 for IPv4, duplicate address
// detection for IPv6): for each address being probed, when its next probe
// is due and when the claim succeeds. A probed address gets `probes` probes,
// the first at once and the rest `interval` apart; `wait` after the last one
// the claim succeeds unless a conflict abandoned it first. An address that
// cannot be probed for now (no interface serves it) is held: its schedule
// does not advance, and a probe that fell due while it was held goes out as
// soon as it is ready again.
//
// The prober only decides; the caller builds and sends the probes (an ARP
// probe or a DAD solicitation on every interface serving the address) and
// drives it with its Clock's monotonic time:
//
//   Prober prober(options);
//   prober.Start(vip, clock.Monotonic());
//   Prober::Step step = prober.TakeDue(clock.Monotonic());
//   for (const IpAddress& a : step.probe) SendProbes(a);
//   for (const IpAddress& a : step.claimed) Claim(a);  // answer, announce
//   if (frame_shows_another_owner) prober.Conflict(vip);  // claim abandoned
//   clock.SleepUntil(prober.NextDeadline());
//
// Thread-safety: not thread-safe; the owner serialises calls.

#ifndef LB_ARP_PROBER_H_
#define LB_ARP_PROBER_H_

#include <set>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "lib/arp/address.h"
#include "lib/base/clock.h"

namespace lb::arp {

struct ProbeOptions {
  int probes = 3;                              // >= 1
  absl::Duration interval = absl::Seconds(1);  // between probes, > 0
  absl::Duration wait = absl::Seconds(2);      // after the last, >= 0
};

// InvalidArgument naming the bad field.
absl::Status ValidateProbeOptions(const ProbeOptions& options);

class Prober {
 public:
  // What falls due at one time.
  struct Step {
    // Send one probe for each of these now.
    std::vector<IpAddress> probe;
    // Probing is over without a conflict: these may be claimed. They are no
    // longer probed.
    std::vector<IpAddress> claimed;
  };

  // REQUIRES: ValidateProbeOptions(options).ok().
  explicit Prober(const ProbeOptions& options);

  // Starts probing `address` from the beginning, first probe due at `now`;
  // it is ready (see SetReady).
  void Start(const IpAddress& address, MonoTime now);
  // Stops probing `address` (no-op if it is not probed).
  void Stop(const IpAddress& address);
  // Another host was seen using `address`: its claim is abandoned and it is
  // no longer probed. Returns whether it was being probed.
  bool Conflict(const IpAddress& address);
  // Whether `address` can be probed now; a held address neither probes nor
  // completes its claim. No-op if it is not probed.
  void SetReady(const IpAddress& address, bool ready);

  // Returns what is due at `now` for ready addresses and advances their
  // schedules.
  Step TakeDue(MonoTime now);

  // When TakeDue next has something to return; MonoTime::InfiniteFuture()
  // if nothing ready is probed.
  MonoTime NextDeadline() const;

  bool IsProbing(const IpAddress& address) const {
    return entries_.contains(address);
  }
  // Addresses being probed, held or not.
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    MonoTime due;
    int probes_sent = 0;
    bool ready = true;
  };

  ProbeOptions options_;
  absl::flat_hash_map<IpAddress, Entry> entries_;
  // The ready entries, earliest due first.
  std::set<std::pair<MonoTime, IpAddress>> queue_;
};

}  // namespace lb::arp

#endif  // LB_ARP_PROBER_H_
