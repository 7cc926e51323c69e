#include "lib/arp/announcer.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace lb::arp {

absl::Status ValidateAnnounceOptions(const AnnounceOptions& o) {
  if (o.rounds < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("announce rounds must be >= 1, got ", o.rounds));
  }
  if (o.interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("announce interval must be positive");
  }
  if (o.refresh < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("announce refresh must not be negative");
  }
  if (!(o.frames_per_second > 0)) {
    return absl::InvalidArgumentError(
        "announce frames_per_second must be positive");
  }
  if (o.burst < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("announce burst must be >= 2, got ", o.burst));
  }
  return absl::OkStatus();
}

Announcer::Announcer(const AnnounceOptions& options) : options_(options) {}

void Announcer::Start(const IpAddress& address, int ifindex, MonoTime now) {
  Stop(address, ifindex);
  entries_[{address, ifindex}] = Entry{now, 1};
  // An interface's bucket starts full with its first announcement.
  auto b = buckets_.find(ifindex);
  if (b == buckets_.end()) {
    b = buckets_
            .emplace(ifindex, Bucket{TokenBucket(options_.frames_per_second,
                                                 options_.burst, now),
                                     {}})
            .first;
  }
  b->second.queue.insert({now, address});
}

void Announcer::Stop(const IpAddress& address, int ifindex) {
  auto it = entries_.find(Key{address, ifindex});
  if (it == entries_.end()) return;
  auto b = buckets_.find(ifindex);
  if (b != buckets_.end()) b->second.queue.erase({it->second.due, address});
  entries_.erase(it);
}

void Announcer::StopInterface(int ifindex) {
  auto b = buckets_.find(ifindex);
  if (b == buckets_.end()) return;
  for (const auto& [due, address] : b->second.queue) {
    entries_.erase(Key{address, ifindex});
  }
  buckets_.erase(b);
}

std::vector<Announcer::Due> Announcer::TakeDue(MonoTime now) {
  std::vector<Due> out;
  for (auto& [ifindex, b] : buckets_) {
    while (!b.queue.empty()) {
      auto first = b.queue.begin();
      if (first->first > now) break;
      IpAddress address = first->second;
      if (!b.pacing.TryTake(now, Cost(address))) break;
      b.queue.erase(first);
      Entry& e = entries_[{address, ifindex}];
      out.push_back({address, ifindex, e.round});
      ++e.round;
      if (e.round <= options_.rounds) {
        e.due = now + options_.interval;
      } else if (options_.refresh > absl::ZeroDuration()) {
        e.due = now + options_.refresh;
      } else {
        entries_.erase(Key{address, ifindex});
        continue;
      }
      b.queue.insert({e.due, address});
    }
  }
  return out;
}

MonoTime Announcer::NextDeadline(MonoTime now) const {
  MonoTime next = MonoTime::InfiniteFuture();
  for (const auto& [ifindex, b] : buckets_) {
    if (b.queue.empty()) continue;
    const auto& [due, address] = *b.queue.begin();
    MonoTime at = std::max(due, now);
    MonoTime paced = b.pacing.WhenAvailable(at, Cost(address));
    // The bucket's answer is exact in real numbers; a microsecond more keeps
    // floating-point rounding from waking the caller just before the tokens
    // are there (and again, and again).
    if (paced > at) at = paced + absl::Microseconds(1);
    next = std::min(next, at);
  }
  return next;
}

}  // namespace lb::arp
