#include "lib/arp/announcer.h"

#include <algorithm>
#include <cmath>

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

void Announcer::Start(const IpAddress& address, int ifindex, absl::Time now) {
  Stop(address, ifindex);
  entries_[{address, ifindex}] = Entry{now, 1};
  Bucket& b = buckets_[ifindex];
  if (b.updated == absl::InfinitePast()) {
    b.tokens = options_.burst;
    b.updated = now;
  }
  b.queue.insert({now, address});
}

void Announcer::Stop(const IpAddress& address, int ifindex) {
  auto it = entries_.find(Key{address, ifindex});
  if (it == entries_.end()) return;
  buckets_[ifindex].queue.erase({it->second.due, address});
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

void Announcer::Refill(Bucket& b, absl::Time now) const {
  if (now > b.updated) {
    b.tokens = std::min<double>(
        options_.burst, b.tokens + absl::ToDoubleSeconds(now - b.updated) *
                                       options_.frames_per_second);
    b.updated = now;
  }
}

std::vector<Announcer::Due> Announcer::TakeDue(absl::Time now) {
  std::vector<Due> out;
  for (auto& [ifindex, b] : buckets_) {
    Refill(b, now);
    while (!b.queue.empty()) {
      auto first = b.queue.begin();
      if (first->first > now) break;
      IpAddress address = first->second;
      int cost = Cost(address);
      if (b.tokens < cost) break;
      b.tokens -= cost;
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

absl::Time Announcer::NextDeadline(absl::Time now) const {
  absl::Time next = absl::InfiniteFuture();
  for (const auto& [ifindex, b] : buckets_) {
    if (b.queue.empty()) continue;
    absl::Time due = b.queue.begin()->first;
    int cost = Cost(b.queue.begin()->second);
    // Tokens available at `due` (or now, if already due).
    absl::Time at = std::max(due, now);
    double tokens = std::min<double>(
        options_.burst,
        b.tokens + std::max(0.0, absl::ToDoubleSeconds(at - b.updated)) *
                       options_.frames_per_second);
    if (tokens < cost) {
      at += absl::Seconds((cost - tokens) / options_.frames_per_second);
      // Round up so that the refill at `at` covers the cost.
      at += absl::Microseconds(1);
    }
    next = std::min(next, at);
  }
  return next;
}

}  // namespace lb::arp
