// lib/arp/announcer.h
//
// The schedule of gratuitous announcements: which (address, interface)
// pairs are due to announce, paced per interface. On Start() a pair gets
// `rounds` announcements, the first at once and the rest `interval` apart
// (default 5 rounds 1.1 s apart, as MetalLB); afterwards, if `refresh` is
// set, one more every `refresh` for as long as it is started. Each
// interface has a token bucket (lb::TokenBucket) of `frames_per_second`
// with `burst`, so that 10k addresses taking over at once do not flood the
// LAN: first rounds of all addresses go out before any repeat (earliest due
// first), and a deferred round keeps its place.
//
// The announcer only schedules; the caller builds and sends the frames
// (request-style + reply-style gratuitous ARP for IPv4 = 2 frames, one
// unsolicited NA for IPv6 = 1 frame) and drives it with its Clock's
// monotonic time:
//
//   Announcer announcer(options);
//   announcer.Start(vip, ifindex, clock.Monotonic());
//   for (const Announcer::Due& due : announcer.TakeDue(clock.Monotonic())) {
//     Send(due);
//   }
//   clock.SleepUntil(announcer.NextDeadline(clock.Monotonic()));
//
// Thread-safety: not thread-safe; the owner serialises calls.

#ifndef LB_ARP_ANNOUNCER_H_
#define LB_ARP_ANNOUNCER_H_

#include <map>
#include <set>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "lib/arp/address.h"
#include "lib/base/clock.h"
#include "lib/base/token_bucket.h"

namespace lb::arp {

struct AnnounceOptions {
  // Announcements per takeover (>= 1).
  int rounds = 5;
  // Spacing between them (> 0).
  absl::Duration interval = absl::Milliseconds(1100);
  // Periodic re-announcement after the burst; zero disables it.
  absl::Duration refresh = absl::ZeroDuration();
  // Per-interface pacing, in frames (> 0), and the bucket size (>= 2).
  double frames_per_second = 2000;
  int burst = 200;
};

// InvalidArgument naming the bad field.
absl::Status ValidateAnnounceOptions(const AnnounceOptions& options);

class Announcer {
 public:
  struct Due {
    IpAddress address;
    int ifindex = 0;
    int round = 0;  // 1-based; > rounds for refreshes.
  };

  // REQUIRES: ValidateAnnounceOptions(options).ok().
  explicit Announcer(const AnnounceOptions& options);

  // (Re)starts the burst for `address` on `ifindex`, first round due `now`.
  void Start(const IpAddress& address, int ifindex, MonoTime now);
  // Stops announcing `address` on `ifindex` (no-op if not started).
  void Stop(const IpAddress& address, int ifindex);
  // Stops everything on `ifindex`.
  void StopInterface(int ifindex);

  // Returns the announcements due at `now` that fit the pacing budget and
  // advances their schedules.
  std::vector<Due> TakeDue(MonoTime now);

  // When TakeDue next has something to return (at least `now`);
  // MonoTime::InfiniteFuture() when idle.
  MonoTime NextDeadline(MonoTime now) const;

  // Pairs currently scheduled (bursting or refreshing).
  size_t size() const { return entries_.size(); }
  bool IsScheduled(const IpAddress& address, int ifindex) const {
    return entries_.contains({address, ifindex});
  }

 private:
  using Key = std::pair<IpAddress, int>;
  struct Entry {
    MonoTime due;
    int round = 1;
  };
  struct Bucket {
    TokenBucket pacing;  // Frames.
    // Pending announcements, earliest due first.
    std::set<std::pair<MonoTime, IpAddress>> queue;
  };
  // Frames per announcement.
  static int Cost(const IpAddress& a) { return a.is_v4() ? 2 : 1; }

  AnnounceOptions options_;
  absl::flat_hash_map<Key, Entry> entries_;
  std::map<int, Bucket> buckets_;
};

}  // namespace lb::arp

#endif  // LB_ARP_ANNOUNCER_H_
