#include "lib/election/membership_decision.h"

#include <algorithm>
#include <iterator>
#include <utility>

namespace lb::election {
namespace {

// The earliest instant later than `now` among those offered.
class NextChange {
 public:
  explicit NextChange(MonoTime now) : now_(now) {}
  void Consider(MonoTime t) {
    if (t > now_ && t < next_) next_ = t;
  }
  MonoTime next() const { return next_; }

 private:
  const MonoTime now_;
  MonoTime next_ = MonoTime::InfiniteFuture();
};

// Whether the record counts as current at `now` (read within RecordGrace).
bool RecordFresh(const LeaseRecord& record, MonoTime now,
                 const DecisionOptions& options) {
  return now - record.last_read <= RecordGrace(options);
}

absl::Duration ValidFor(const RecordEntry& e, const DecisionOptions& options) {
  // Valid while unexpired and renewed on schedule: a Lease that missed its
  // renewals for RecordGrace belongs to a node that is down or cut off from
  // the API server (and then fenced by its own quorum rule).
  return std::min(absl::Seconds(e.spec.lease_duration_seconds),
                  RecordGrace(options));
}

bool OnProbation(MonoTime stable_since, MonoTime now,
                 const DecisionOptions& options) {
  return options.failback_hold > absl::ZeroDuration() &&
         stable_since + options.failback_hold > now;
}

}  // namespace

absl::string_view FenceReasonName(FenceReason reason) {
  switch (reason) {
    case FenceReason::kNone:
      return "claiming";
    case FenceReason::kStarting:
      return "starting";
    case FenceReason::kNoQuorum:
      return "no-quorum";
    case FenceReason::kStopped:
      return "stopped";
  }
  return "unknown";
}

absl::Duration RecordGrace(const DecisionOptions& options) {
  return 2 * options.lease_renew_interval;
}

absl::Duration ActivationDelay(const DecisionOptions& options) {
  return options.heartbeat_interval + 2 * options.poll_interval;
}

std::set<std::string> ValidRecordNodes(const LeaseRecord& record, MonoTime now,
                                       const DecisionOptions& options) {
  const MonoTime as_of =
      RecordFresh(record, now, options) ? now : record.last_read;
  std::set<std::string> out;
  for (const auto& [name, e] : record.leases) {
    if (e.spec.holder_identity.empty()) continue;
    if (e.observed + ValidFor(e, options) > as_of) {
      out.insert(e.spec.holder_identity);
    }
  }
  return out;
}

Decision Decide(const DecisionInput& in, Decision previous, MonoTime now,
                const DecisionOptions& options) {
  Decision d;
  NextChange next(now);
  const absl::Duration grace = RecordGrace(options);

  // Heard, and who joined or was dropped since the previous decision.
  if (!in.stopped) d.heard.insert(options.node);
  for (const auto& [name, p] : in.peers) {
    const bool h = !p.left && now - p.last_heard < options.suspect_timeout;
    const bool was = previous.heard.count(name) != 0;
    if (was && !h) {
      if (p.left) {
        d.left.push_back(name);
      } else {
        d.lost.push_back({name, now - p.last_heard});
      }
    }
    if (!was && h) d.joined.push_back(name);
    if (h) {
      d.heard.insert(name);
      next.Consider(p.last_heard + options.suspect_timeout);
    }
  }

  // Known: peers heard within the grace count even before the record lists
  // them (the record is read only every renew interval).
  d.known = d.heard;
  for (const auto& [name, p] : in.peers) {
    if (!p.left && now - p.last_heard < grace) {
      d.known.insert(name);
      next.Consider(p.last_heard + grace);
    }
  }
  for (const std::string& n : ValidRecordNodes(in.record, now, options)) {
    auto it = in.peers.find(n);
    if (it != in.peers.end() && it->second.left) continue;
    d.known.insert(n);
  }
  d.known.insert(options.node);
  if (RecordFresh(in.record, now, options)) {
    next.Consider(in.record.last_read + grace + absl::Nanoseconds(1));
    for (const auto& [name, e] : in.record.leases) {
      if (!e.spec.holder_identity.empty()) {
        next.Consider(e.observed + ValidFor(e, options));
      }
    }
  }

  // Fence.
  const MonoTime settle = in.started + options.suspect_timeout;
  d.fence = FenceReason::kNone;
  if (in.stopped) {
    d.fence = FenceReason::kStopped;
  } else if (!in.record.loaded || now < settle) {
    d.fence = FenceReason::kStarting;
    if (in.record.loaded) next.Consider(settle);
  } else if (!d.quorate()) {
    d.fence = FenceReason::kNoQuorum;
  }
  d.fence_changed = d.fence != previous.fence;
  if (d.fence_changed) {
    d.stable_since =
        d.fence == FenceReason::kNone ? now : MonoTime::InfiniteFuture();
  } else {
    d.stable_since = previous.stable_since;
  }

  // The nodes owners are chosen among: active heard ones, probationary ones
  // only as a fallback.
  auto add = [&](const std::string& n, MonoTime stable_since) {
    if (OnProbation(stable_since, now, options)) {
      d.probation.push_back(n);
      next.Consider(stable_since + options.failback_hold);
    } else {
      d.settled.push_back(n);
    }
  };
  if (d.fence == FenceReason::kNone) {
    // This node takes addresses only once its peers can have heard that it
    // is active, so they let go first: a gap, not a duplicate.
    const MonoTime self_from = d.stable_since + ActivationDelay(options);
    if (now >= self_from) {
      add(options.node, d.stable_since);
    } else {
      next.Consider(self_from);
    }
  }
  for (const auto& [name, p] : in.peers) {
    if (p.active && d.heard.count(name) != 0) add(name, p.stable_since);
  }

  // Owners, recomputed only when their inputs changed.
  const bool reuse = previous.owners != nullptr &&
                     previous.owners_requests_version == in.requests_version &&
                     previous.settled == d.settled &&
                     previous.probation == d.probation && !d.fence_changed;
  d.owners_requests_version = in.requests_version;
  if (reuse) {
    d.owners = std::move(previous.owners);
    d.claimed = std::move(previous.claimed);
  } else {
    d.owners_recomputed = true;
    absl::StatusOr<OwnerMap> owners =
        ComputeOwners(in.requests, d.settled, options.ownership);
    if (owners.ok() && !d.probation.empty()) {
      std::vector<AddressRequest> orphans;
      for (const AddressRequest& r : in.requests) {
        if ((*owners)[r.address].owner.empty()) orphans.push_back(r);
      }
      std::vector<std::string> all = d.settled;
      all.insert(all.end(), d.probation.begin(), d.probation.end());
      absl::StatusOr<OwnerMap> fallback =
          ComputeOwners(orphans, all, options.ownership);
      if (fallback.ok()) {
        for (auto& [addr, o] : *fallback) (*owners)[addr] = std::move(o);
      }
    }
    d.owners = std::make_shared<const OwnerMap>(owners.ok() ? std::move(*owners)
                                                            : OwnerMap());
    if (d.fence == FenceReason::kNone) {
      for (const auto& [addr, o] : *d.owners) {
        if (o.owner == options.node) d.claimed.push_back(addr);
      }
    }
    std::set_difference(d.claimed.begin(), d.claimed.end(),
                        previous.claimed.begin(), previous.claimed.end(),
                        std::back_inserter(d.gained));
    std::set_difference(previous.claimed.begin(), previous.claimed.end(),
                        d.claimed.begin(), d.claimed.end(),
                        std::back_inserter(d.released));
  }

  d.next_change = next.next();
  return d;
}

}  // namespace lb::election
