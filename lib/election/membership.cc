#include "lib/election/membership.h"

#include <algorithm>
#include <limits>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/election/heartbeat.h"

namespace lb::election {
namespace {

// Upper bound on datagrams handled per PollNetwork(), so a flood cannot
// starve the decision.
constexpr int kMaxDatagramsPerPoll = 10000;

// Retired incarnations remembered per peer, against replays.
constexpr size_t kRememberedIncarnations = 64;

// A random incarnation, so a restart is recognised whatever the clock says.
uint64_t NewIncarnation(absl::Time now, absl::string_view node) {
  std::random_device rd;
  uint64_t x = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  x ^= static_cast<uint64_t>(absl::ToUnixNanos(now));
  for (unsigned char c : node) x = (x ^ c) * 0x100000001b3ull;
  x ^= x >> 29;
  return x == 0 ? 1 : x;
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

absl::Status ValidateMembershipOptions(const MembershipOptions& o) {
  if (o.node.empty() || o.node.size() > kMaxHeartbeatNodeName) {
    return absl::InvalidArgumentError(
        absl::StrCat("node must be 1..", kMaxHeartbeatNodeName, " bytes, got ",
                     o.node.size()));
  }
  if (o.ns.empty()) return absl::InvalidArgumentError("ns must not be empty");
  if (o.hmac_key.size() < kMinHeartbeatKeyBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("hmac_key must have at least ", kMinHeartbeatKeyBytes,
                     " bytes, got ", o.hmac_key.size()));
  }
  if (o.heartbeat_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("heartbeat_interval must be positive");
  }
  if (o.suspect_timeout < 2 * o.heartbeat_interval) {
    return absl::InvalidArgumentError(
        "suspect_timeout must be at least 2 * heartbeat_interval");
  }
  if (o.poll_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("poll_interval must be positive");
  }
  if (o.lease_renew_interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("lease_renew_interval must be positive");
  }
  if (o.lease_duration % absl::Seconds(1) != absl::ZeroDuration() ||
      o.lease_duration < absl::Seconds(1)) {
    return absl::InvalidArgumentError(
        "lease_duration must be a whole number of seconds >= 1");
  }
  if (o.lease_duration < 2 * o.lease_renew_interval) {
    return absl::InvalidArgumentError(
        "lease_duration must be at least 2 * lease_renew_interval");
  }
  if (o.failback_hold < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("failback_hold must not be negative");
  }
  if (o.leave_repeats < 1 || o.leave_repeats > 10) {
    return absl::InvalidArgumentError("leave_repeats must be 1..10");
  }
  if (o.ownership.max_load_factor < 0 ||
      (o.ownership.max_load_factor > 0 && o.ownership.max_load_factor < 1)) {
    return absl::InvalidArgumentError(
        "ownership.max_load_factor must be 0 (off) or >= 1");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Membership>> Membership::Create(
    LeaseStore& store, HeartbeatTransport& transport, Clock& clock,
    MembershipOptions options) {
  if (absl::Status s = ValidateMembershipOptions(options); !s.ok()) return s;
  return std::unique_ptr<Membership>(
      new Membership(store, transport, clock, std::move(options)));
}

Membership::Membership(LeaseStore& store, HeartbeatTransport& transport,
                       Clock& clock, MembershipOptions options)
    : store_(store),
      transport_(transport),
      clock_(clock),
      options_(std::move(options)),
      start_(clock.Now()),
      incarnation_(NewIncarnation(start_, options_.node)) {}

absl::Status Membership::SetAddresses(std::vector<AddressRequest> requests) {
  absl::StatusOr<OwnerMap> check =
      ComputeOwners(requests, {options_.node}, options_.ownership);
  if (!check.ok()) return check.status();
  absl::MutexLock lock(&mu_);
  requests_ = std::move(requests);
  ++requests_version_;
  return absl::OkStatus();
}

void Membership::HandleDatagram(const std::vector<uint8_t>& d, absl::Time now) {
  absl::StatusOr<Heartbeat> hb = DecodeHeartbeat(d, options_.hmac_key);
  if (!hb.ok()) {
    if (absl::IsUnauthenticated(hb.status())) {
      ++stats_.heartbeats_unauthenticated;
    } else {
      ++stats_.heartbeats_malformed;
    }
    return;
  }
  if (hb->node == options_.node) return;
  Peer& p = peers_[hb->node];
  const bool seen_before =
      std::find(p.past_incarnations.begin(), p.past_incarnations.end(),
                hb->incarnation) != p.past_incarnations.end();
  if (seen_before ||
      (hb->incarnation == p.incarnation && hb->sequence <= p.sequence)) {
    ++stats_.heartbeats_replayed;
    return;
  }
  ++stats_.heartbeats_received;
  if (hb->incarnation != p.incarnation) {
    // A restart: the previous incarnation is retired for good.
    if (p.incarnation != 0) p.past_incarnations.push_back(p.incarnation);
    if (p.past_incarnations.size() > kRememberedIncarnations) {
      p.past_incarnations.erase(p.past_incarnations.begin());
    }
  }
  p.incarnation = hb->incarnation;
  p.sequence = hb->sequence;
  p.last_heard = now;
  p.left = hb->leaving;
  p.active = hb->active && !hb->leaving;
  p.stable_since = p.active ? now - absl::Milliseconds(hb->stable_ms)
                            : absl::InfiniteFuture();
}

void Membership::SendHeartbeat(absl::Time now, bool leaving) {
  Heartbeat hb;
  hb.node = options_.node;
  hb.incarnation = incarnation_;
  hb.sequence = ++sequence_;
  hb.leaving = leaving;
  hb.active = !leaving && fence_ == FenceReason::kNone;
  if (hb.active) {
    hb.stable_ms = static_cast<uint32_t>(std::min<int64_t>(
        std::numeric_limits<uint32_t>::max(),
        std::max<int64_t>(0, absl::ToInt64Milliseconds(now - stable_since_))));
  }
  if (transport_.SendToPeers(EncodeHeartbeat(hb, options_.hmac_key)).ok()) {
    ++stats_.heartbeats_sent;
  } else {
    ++stats_.heartbeat_send_errors;
  }
}

std::set<std::string> Membership::RecordNodes(absl::Time now) const {
  // While the store cannot be read, judge the record as of the last read.
  const bool fresh = now - last_list_ok_ <= 2 * options_.lease_renew_interval;
  const absl::Time as_of = fresh ? now : last_list_ok_;
  std::set<std::string> out;
  for (const auto& [name, e] : record_) {
    if (e.spec.holder_identity.empty()) continue;
    // Valid while unexpired and renewed on schedule: a Lease that missed
    // its renewals for RecordGrace() belongs to a node that is down or cut
    // off from the API server (and then fenced by its own quorum rule).
    const absl::Duration valid_for =
        std::min(absl::Seconds(e.spec.lease_duration_seconds), RecordGrace());
    if (e.observed + valid_for > as_of) {
      out.insert(e.spec.holder_identity);
    }
  }
  return out;
}

std::optional<std::vector<std::string>> Membership::Evaluate(absl::Time now) {
  std::set<std::string> heard;
  if (!stopped_) heard.insert(options_.node);
  for (auto& [name, p] : peers_) {
    const bool h = !p.left && now - p.last_heard < options_.suspect_timeout;
    if (p.heard && !h) {
      if (p.left) {
        ++stats_.peers_left;
      } else {
        ++stats_.peers_lost;
        latency_.Record(now - p.last_heard);
      }
    }
    if (!p.heard && h) ++stats_.peers_joined;
    p.heard = h;
    if (h) heard.insert(name);
  }
  std::set<std::string> known = heard;
  // Peers heard within a lease duration count as known even before the
  // record lists them (the record is read only every renew interval).
  for (const auto& [name, p] : peers_) {
    if (!p.left && now - p.last_heard < RecordGrace()) {
      known.insert(name);
    }
  }
  for (const std::string& n : RecordNodes(now)) {
    auto it = peers_.find(n);
    if (it != peers_.end() && it->second.left) continue;
    known.insert(n);
  }
  known.insert(options_.node);
  const size_t h = heard.size();
  const size_t k = known.size();
  const bool quorate = 2 * h > k;

  FenceReason fence = FenceReason::kNone;
  if (stopped_) {
    fence = FenceReason::kStopped;
  } else if (!record_loaded_ || now < start_ + options_.suspect_timeout) {
    fence = FenceReason::kStarting;
  } else if (!quorate) {
    fence = FenceReason::kNoQuorum;
  }
  if (fence != fence_) {
    ++stats_.fence_transitions;
    stable_since_ = fence == FenceReason::kNone ? now : absl::InfiniteFuture();
    fence_ = fence;
  }
  heard_count_ = static_cast<int>(h);
  known_count_ = static_cast<int>(k);
  known_ = std::move(known);

  // Owners over active heard nodes; probationary ones only as a fallback.
  const bool damped = options_.failback_hold > absl::ZeroDuration();
  std::vector<std::string> settled, probation;
  auto add = [&](const std::string& n, absl::Time stable_since) {
    if (damped && stable_since + options_.failback_hold > now) {
      probation.push_back(n);
    } else {
      settled.push_back(n);
    }
  };
  // This node takes addresses only once its peers can have heard that it is
  // active, so they let go first: a gap, not a duplicate.
  const absl::Time self_from = stable_since_ + ActivationDelay();
  if (fence_ == FenceReason::kNone && now >= self_from) {
    add(options_.node, stable_since_);
  }
  for (const auto& [name, p] : peers_) {
    if (p.heard && p.active) add(name, p.stable_since);
  }
  std::string signature = absl::StrCat(requests_version_, "|");
  for (const std::string& n : settled) absl::StrAppend(&signature, n, ",");
  absl::StrAppend(&signature, "|");
  for (const std::string& n : probation) absl::StrAppend(&signature, n, ",");
  absl::StrAppend(&signature, "|", static_cast<int>(fence_));
  if (signature == owners_signature_) return std::nullopt;
  {
    owners_signature_ = std::move(signature);
    ++stats_.owner_recomputes;
    absl::StatusOr<OwnerMap> owners =
        ComputeOwners(requests_, settled, options_.ownership);
    if (owners.ok() && !probation.empty()) {
      std::vector<AddressRequest> orphans;
      for (const AddressRequest& r : requests_) {
        if ((*owners)[r.address].owner.empty()) orphans.push_back(r);
      }
      std::vector<std::string> all = settled;
      all.insert(all.end(), probation.begin(), probation.end());
      absl::StatusOr<OwnerMap> fallback =
          ComputeOwners(orphans, all, options_.ownership);
      if (fallback.ok()) {
        for (auto& [addr, d] : *fallback) (*owners)[addr] = std::move(d);
      }
    }
    owners_ = std::make_shared<const OwnerMap>(owners.ok() ? std::move(*owners)
                                                           : OwnerMap());
  }
  std::vector<std::string> claimed;
  if (fence_ == FenceReason::kNone) {
    for (const auto& [addr, d] : *owners_) {
      if (d.owner == options_.node) claimed.push_back(addr);
    }
  }
  if (claimed == claimed_) return std::nullopt;
  std::vector<std::string> gained, lost;
  std::set_difference(claimed.begin(), claimed.end(), claimed_.begin(),
                      claimed_.end(), std::back_inserter(gained));
  std::set_difference(claimed_.begin(), claimed_.end(), claimed.begin(),
                      claimed.end(), std::back_inserter(lost));
  stats_.claims_gained += static_cast<int64_t>(gained.size());
  stats_.claims_lost += static_cast<int64_t>(lost.size());
  claimed_ = claimed;
  return claimed;
}

void Membership::Notify(
    const std::optional<std::vector<std::string>>& claimed) {
  if (claimed.has_value() && options_.on_claims_changed) {
    options_.on_claims_changed(*claimed);
  }
}

absl::Time Membership::PollNetwork() {
  const absl::Time now = clock_.Now();
  std::optional<std::vector<std::string>> change;
  absl::Time next;
  {
    absl::MutexLock lock(&mu_);
    for (int i = 0; i < kMaxDatagramsPerPoll; ++i) {
      absl::StatusOr<std::optional<std::vector<uint8_t>>> d =
          transport_.TryReceive();
      if (!d.ok() || !d->has_value()) break;
      HandleDatagram(**d, now);
    }
    change = Evaluate(now);
    if (!stopped_ && now >= next_heartbeat_) {
      SendHeartbeat(now, /*leaving=*/false);
      next_heartbeat_ = now - next_heartbeat_ > options_.heartbeat_interval
                            ? now + options_.heartbeat_interval
                            : next_heartbeat_ + options_.heartbeat_interval;
    }
    next = stopped_ ? absl::InfiniteFuture() : next_heartbeat_;
    if (fence_ == FenceReason::kStarting && record_loaded_) {
      next = std::min(next, start_ + options_.suspect_timeout);
    }
    if (fence_ == FenceReason::kNone &&
        now < stable_since_ + ActivationDelay()) {
      next = std::min(next, stable_since_ + ActivationDelay());
    }
    if (fence_ == FenceReason::kNone &&
        options_.failback_hold > absl::ZeroDuration() &&
        stable_since_ + options_.failback_hold > now) {
      next = std::min(next, stable_since_ + options_.failback_hold);
    }
    for (const auto& [name, p] : peers_) {
      if (!p.heard) continue;
      next = std::min(next, p.last_heard + options_.suspect_timeout);
      if (options_.failback_hold > absl::ZeroDuration() &&
          p.stable_since + options_.failback_hold > now) {
        next = std::min(next, p.stable_since + options_.failback_hold);
      }
    }
  }
  Notify(change);
  return next;
}

absl::Status Membership::WriteOwnLease(absl::Time now) {
  const int32_t duration_s =
      static_cast<int32_t>(absl::ToInt64Seconds(options_.lease_duration));
  const std::string name = options_.lease_prefix + options_.node;
  auto fill = [&](Lease& l) {
    if (l.spec.holder_identity != options_.node) {
      if (!l.spec.holder_identity.empty() ||
          l.spec.acquire_time == absl::InfinitePast()) {
        ++l.spec.lease_transitions;
      }
      l.spec.holder_identity = options_.node;
      l.spec.acquire_time = now;
    }
    l.spec.lease_duration_seconds = duration_s;
    l.spec.renew_time = now;
  };
  absl::Status status;
  if (own_lease_.has_value()) {
    Lease update = *own_lease_;
    fill(update);
    absl::StatusOr<Lease> written = store_.Update(update);
    if (written.ok()) {
      own_lease_ = *written;
      return absl::OkStatus();
    }
    own_lease_.reset();
    status = written.status();
    if (!absl::IsAborted(status) && !absl::IsNotFound(status)) return status;
  }
  absl::StatusOr<Lease> current = store_.Get(options_.ns, name);
  if (absl::IsNotFound(current.status())) {
    Lease lease;
    lease.ns = options_.ns;
    lease.name = name;
    fill(lease);
    lease.spec.lease_transitions = 0;
    absl::StatusOr<Lease> created = store_.Create(lease);
    if (!created.ok()) return created.status();
    own_lease_ = *created;
    return absl::OkStatus();
  }
  if (!current.ok()) return current.status();
  Lease update = *current;
  fill(update);
  absl::StatusOr<Lease> written = store_.Update(update);
  if (!written.ok()) return written.status();
  own_lease_ = *written;
  return absl::OkStatus();
}

absl::Time Membership::PollStore() {
  const absl::Time now = clock_.Now();
  const absl::Duration retry =
      std::min(options_.lease_renew_interval, absl::Seconds(1));
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return absl::InfiniteFuture();
  }
  if (now >= next_renew_) {
    absl::Status s = WriteOwnLease(now);
    absl::MutexLock lock(&mu_);
    if (s.ok()) {
      ++stats_.lease_writes;
      next_renew_ = now + options_.lease_renew_interval;
    } else {
      ++stats_.lease_write_errors;
      next_renew_ = now + retry;
    }
  }
  if (now >= next_list_) {
    absl::StatusOr<std::vector<Lease>> leases =
        store_.List(options_.ns, options_.lease_prefix);
    const absl::Time seen = clock_.Now();
    absl::MutexLock lock(&mu_);
    if (leases.ok()) {
      std::map<std::string, RecordEntry> next_record;
      for (const Lease& l : *leases) {
        auto it = record_.find(l.name);
        RecordEntry e{l.spec, seen};
        if (it != record_.end() && it->second.spec == l.spec) {
          e.observed = it->second.observed;
        }
        next_record[l.name] = std::move(e);
      }
      record_ = std::move(next_record);
      record_loaded_ = true;
      last_list_ok_ = seen;
      next_list_ = now + options_.lease_renew_interval;
    } else {
      ++stats_.lease_list_errors;
      next_list_ = now + retry;
    }
  }
  return std::min(next_renew_, next_list_);
}

absl::Status Membership::Leave() {
  std::optional<std::vector<std::string>> change;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return absl::OkStatus();
    const absl::Time now = clock_.Now();
    stopped_ = true;
    change = Evaluate(now);
    for (int i = 0; i < options_.leave_repeats; ++i) {
      SendHeartbeat(now, /*leaving=*/true);
    }
  }
  Notify(change);
  const std::string name = options_.lease_prefix + options_.node;
  absl::Status last;
  for (int attempt = 0; attempt < 3; ++attempt) {
    absl::StatusOr<Lease> current = store_.Get(options_.ns, name);
    if (absl::IsNotFound(current.status())) return absl::OkStatus();
    if (!current.ok()) return current.status();
    if (current->spec.holder_identity != options_.node) {
      return absl::OkStatus();
    }
    Lease update = *current;
    const absl::Time now = clock_.Now();
    update.spec.holder_identity.clear();
    update.spec.lease_duration_seconds = 1;
    update.spec.renew_time = now;
    absl::StatusOr<Lease> written = store_.Update(update);
    if (written.ok()) {
      absl::MutexLock lock(&mu_);
      ++stats_.lease_writes;
      return absl::OkStatus();
    }
    last = written.status();
    if (!absl::IsAborted(last)) break;
  }
  return last;
}

void Membership::RunNetworkLoop() {
  while (true) {
    const absl::Time next =
        std::min(PollNetwork(), clock_.Now() + options_.poll_interval);
    absl::MutexLock lock(&mu_);
    if (clock_.AwaitWithDeadline(&mu_, absl::Condition(&stop_requested_),
                                 next)) {
      return;
    }
  }
}

void Membership::RunStoreLoop() {
  while (true) {
    const absl::Time next = PollStore();
    absl::MutexLock lock(&mu_);
    if (clock_.AwaitWithDeadline(&mu_, absl::Condition(&stop_requested_),
                                 next)) {
      return;
    }
  }
}

void Membership::Stop() {
  absl::MutexLock lock(&mu_);
  stop_requested_ = true;
}

bool Membership::Claims(absl::string_view address) const {
  absl::MutexLock lock(&mu_);
  return std::binary_search(claimed_.begin(), claimed_.end(), address);
}

std::vector<std::string> Membership::Claimed() const {
  absl::MutexLock lock(&mu_);
  return claimed_;
}

MembershipSnapshot Membership::Snapshot() const {
  const absl::Time now = clock_.Now();
  absl::MutexLock lock(&mu_);
  MembershipSnapshot s;
  s.node = options_.node;
  s.fence = fence_;
  s.heard = heard_count_;
  s.known = known_count_;
  const std::set<std::string> record = RecordNodes(now);
  for (const std::string& n : known_) {
    MemberState m;
    m.node = n;
    m.in_record = record.count(n) != 0;
    if (n == options_.node) {
      m.heard = !stopped_;
      m.active = fence_ == FenceReason::kNone;
      m.since_heard = absl::ZeroDuration();
      m.probationary = options_.failback_hold > absl::ZeroDuration() &&
                       stable_since_ + options_.failback_hold > now;
    } else if (auto it = peers_.find(n); it != peers_.end()) {
      m.heard = it->second.heard;
      m.active = it->second.active;
      m.since_heard = now - it->second.last_heard;
      m.probationary = options_.failback_hold > absl::ZeroDuration() &&
                       it->second.stable_since + options_.failback_hold > now;
    }
    s.members.push_back(std::move(m));
  }
  s.owners = owners_;
  s.claimed = claimed_;
  s.stats = stats_;
  s.detection_to_decision = latency_;
  s.last_record_read = last_list_ok_;
  return s;
}

absl::Duration Membership::RecordGrace() const {
  return 2 * options_.lease_renew_interval;
}

absl::Duration Membership::ActivationDelay() const {
  return options_.heartbeat_interval + 2 * options_.poll_interval;
}

absl::Duration Membership::SplitBrainBound(absl::Duration max_delay) const {
  return options_.suspect_timeout + options_.heartbeat_interval + max_delay +
         2 * options_.poll_interval;
}

}  // namespace lb::election
