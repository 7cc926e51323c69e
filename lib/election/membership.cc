#include "lib/election/membership.h"

#include <algorithm>
#include <limits>
#include <random>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"
#include "lib/election/heartbeat.h"

namespace lb::election {
namespace {

// Upper bound on datagrams handled per PollNetwork(), so a flood cannot
// starve the decision.
constexpr int kMaxDatagramsPerPoll = 10000;

// Retired incarnations remembered per peer, against replays.
constexpr size_t kRememberedIncarnations = 64;

// A random incarnation, so a restart is recognised whatever the clock says.
uint64_t NewIncarnation(Clock& clock, absl::string_view node) {
  std::random_device rd;
  uint64_t x = (static_cast<uint64_t>(rd()) << 32) ^ rd();
  x ^= static_cast<uint64_t>(absl::ToUnixNanos(clock.Now()));
  x ^= static_cast<uint64_t>(
      absl::ToInt64Nanoseconds(clock.Monotonic().SinceOrigin()));
  for (unsigned char c : node) x = (x ^ c) * 0x100000001b3ull;
  x ^= x >> 29;
  return x == 0 ? 1 : x;
}

DecisionOptions DecisionOptionsFrom(const MembershipOptions& o) {
  DecisionOptions d;
  d.node = o.node;
  d.heartbeat_interval = o.heartbeat_interval;
  d.suspect_timeout = o.suspect_timeout;
  d.poll_interval = o.poll_interval;
  d.lease_renew_interval = o.lease_renew_interval;
  d.failback_hold = o.failback_hold;
  d.ownership = o.ownership;
  return d;
}

}  // namespace

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
  LB_RETURN_IF_ERROR(ValidateMembershipOptions(options));
  return std::unique_ptr<Membership>(
      new Membership(store, transport, clock, std::move(options)));
}

Membership::Membership(LeaseStore& store, HeartbeatTransport& transport,
                       Clock& clock, MembershipOptions options)
    : store_(store),
      transport_(transport),
      clock_(clock),
      options_(std::move(options)),
      decision_options_(DecisionOptionsFrom(options_)),
      start_(clock.Monotonic()),
      incarnation_(NewIncarnation(clock, options_.node)) {}

absl::Status Membership::SetAddresses(std::vector<AddressRequest> requests) {
  LB_RETURN_IF_ERROR(
      ComputeOwners(requests, {options_.node}, options_.ownership).status());
  {
    absl::MutexLock lock(&mu_);
    requests_ = std::move(requests);
    ++requests_version_;
    dirty_ = true;
  }
  transport_.Wake();
  return absl::OkStatus();
}

void Membership::HandleDatagram(const std::vector<uint8_t>& d, MonoTime now) {
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
  Sequence& q = sequences_[hb->node];
  const bool seen_before =
      std::find(q.past_incarnations.begin(), q.past_incarnations.end(),
                hb->incarnation) != q.past_incarnations.end();
  if (seen_before ||
      (hb->incarnation == q.incarnation && hb->sequence <= q.sequence)) {
    ++stats_.heartbeats_replayed;
    return;
  }
  ++stats_.heartbeats_received;
  if (hb->incarnation != q.incarnation) {
    // A restart: the previous incarnation is retired for good.
    if (q.incarnation != 0) q.past_incarnations.push_back(q.incarnation);
    if (q.past_incarnations.size() > kRememberedIncarnations) {
      q.past_incarnations.erase(q.past_incarnations.begin());
    }
  }
  q.incarnation = hb->incarnation;
  q.sequence = hb->sequence;
  PeerInfo& p = peers_[hb->node];
  const PeerInfo was = p;
  p.last_heard = now;
  p.left = hb->leaving;
  p.active = hb->active && !hb->leaving;
  p.stable_since = p.active ? now - absl::Milliseconds(hb->stable_ms)
                            : MonoTime::InfiniteFuture();
  // A heartbeat that only renews a heard peer's silence changes no decision
  // before next_change; anything else is decided at once. stable_since moves
  // with the network delay on every heartbeat; it matters only under a
  // failback hold.
  const bool damped = options_.failback_hold > absl::ZeroDuration();
  if (decision_.heard.count(hb->node) == 0 || was.left != p.left ||
      was.active != p.active ||
      (damped && was.stable_since != p.stable_since)) {
    dirty_ = true;
  }
}

void Membership::SendHeartbeat(MonoTime now, bool leaving) {
  Heartbeat hb;
  hb.node = options_.node;
  hb.incarnation = incarnation_;
  hb.sequence = ++sequence_;
  hb.leaving = leaving;
  hb.active = !leaving && decision_.fence == FenceReason::kNone;
  if (hb.active) {
    hb.stable_ms = static_cast<uint32_t>(std::min<int64_t>(
        std::numeric_limits<uint32_t>::max(),
        std::max<int64_t>(
            0, absl::ToInt64Milliseconds(now - decision_.stable_since))));
  }
  if (transport_.SendToPeers(EncodeHeartbeat(hb, options_.hmac_key)).ok()) {
    ++stats_.heartbeats_sent;
  } else {
    ++stats_.heartbeat_send_errors;
  }
}

std::optional<std::vector<std::string>> Membership::Evaluate(MonoTime now) {
  decision_ =
      Decide({peers_, record_, requests_, requests_version_, start_, stopped_},
             std::move(decision_), now, decision_options_);
  dirty_ = false;
  const Decision& d = decision_;
  stats_.peers_left += static_cast<int64_t>(d.left.size());
  stats_.peers_lost += static_cast<int64_t>(d.lost.size());
  for (const LostPeer& l : d.lost) latency_.Record(l.silence);
  stats_.peers_joined += static_cast<int64_t>(d.joined.size());
  stats_.fence_transitions += d.fence_changed ? 1 : 0;
  stats_.owner_recomputes += d.owners_recomputed ? 1 : 0;
  stats_.claims_gained += static_cast<int64_t>(d.gained.size());
  stats_.claims_lost += static_cast<int64_t>(d.released.size());
  if (d.gained.empty() && d.released.empty()) return std::nullopt;
  return d.claimed;
}

void Membership::Notify(
    const std::optional<std::vector<std::string>>& claimed) {
  if (claimed.has_value() && options_.on_claims_changed) {
    options_.on_claims_changed(*claimed);
  }
}

MonoTime Membership::PollNetwork() {
  const MonoTime now = clock_.Monotonic();
  std::optional<std::vector<std::string>> change;
  MonoTime next;
  {
    absl::MutexLock lock(&mu_);
    ++stats_.network_polls;
    for (int i = 0; i < kMaxDatagramsPerPoll; ++i) {
      absl::StatusOr<std::optional<std::vector<uint8_t>>> d =
          transport_.TryReceive();
      if (!d.ok()) ++stats_.transport_errors;
      if (!d.ok() || !d->has_value()) break;
      HandleDatagram(**d, now);
    }
    if (dirty_ || now >= decision_.next_change) change = Evaluate(now);
    if (!stopped_ && now >= next_heartbeat_) {
      SendHeartbeat(now, /*leaving=*/false);
      next_heartbeat_ = now - next_heartbeat_ > options_.heartbeat_interval
                            ? now + options_.heartbeat_interval
                            : next_heartbeat_ + options_.heartbeat_interval;
    }
    next = stopped_ ? MonoTime::InfiniteFuture()
                    : std::min(next_heartbeat_, decision_.next_change);
  }
  Notify(change);
  return next;
}

absl::Status Membership::WriteOwnLease(absl::Time wall) {
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
      l.spec.acquire_time = wall;
    }
    l.spec.lease_duration_seconds = duration_s;
    l.spec.renew_time = wall;
  };
  if (own_lease_.has_value()) {
    Lease update = *own_lease_;
    fill(update);
    absl::StatusOr<Lease> written = store_.Update(update);
    own_lease_.reset();
    if (written.ok()) {
      own_lease_ = *std::move(written);
      return absl::OkStatus();
    }
    // A conflict or a deleted Lease: read it again below.
    if (!absl::IsAborted(written.status()) &&
        !absl::IsNotFound(written.status())) {
      return Annotate(written.status(), absl::StrCat("renewing Lease ", name));
    }
  }
  absl::StatusOr<Lease> current = store_.Get(options_.ns, name);
  if (absl::IsNotFound(current.status())) {
    Lease lease;
    lease.ns = options_.ns;
    lease.name = name;
    fill(lease);
    lease.spec.lease_transitions = 0;
    LB_ASSIGN_OR_RETURN(
        own_lease_,
        Annotate(store_.Create(lease), absl::StrCat("creating Lease ", name)));
    return absl::OkStatus();
  }
  LB_ASSIGN_OR_RETURN(
      Lease update,
      Annotate(std::move(current), absl::StrCat("reading Lease ", name)));
  fill(update);
  LB_ASSIGN_OR_RETURN(
      own_lease_,
      Annotate(store_.Update(update), absl::StrCat("updating Lease ", name)));
  return absl::OkStatus();
}

MonoTime Membership::PollStore() {
  const MonoTime now = clock_.Monotonic();
  const absl::Duration retry =
      std::min(options_.lease_renew_interval, absl::Seconds(1));
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return MonoTime::InfiniteFuture();
  }
  if (now >= next_renew_) {
    absl::Status s = WriteOwnLease(clock_.Now());
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
    const MonoTime seen = clock_.Monotonic();
    bool read = false;
    {
      absl::MutexLock lock(&mu_);
      if (leases.ok()) {
        std::map<std::string, RecordEntry> next_record;
        for (const Lease& l : *leases) {
          auto it = record_.leases.find(l.name);
          RecordEntry e{l.spec, seen};
          if (it != record_.leases.end() && it->second.spec == l.spec) {
            e.observed = it->second.observed;
          }
          next_record[l.name] = std::move(e);
        }
        record_.leases = std::move(next_record);
        record_.loaded = true;
        record_.last_read = seen;
        next_list_ = now + options_.lease_renew_interval;
        dirty_ = true;
        read = true;
      } else {
        ++stats_.lease_list_errors;
        next_list_ = now + retry;
      }
    }
    if (read) transport_.Wake();
  }
  return std::min(next_renew_, next_list_);
}

absl::Status Membership::Leave() {
  std::optional<std::vector<std::string>> change;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return absl::OkStatus();
    const MonoTime now = clock_.Monotonic();
    stopped_ = true;
    change = Evaluate(now);
    for (int i = 0; i < options_.leave_repeats; ++i) {
      SendHeartbeat(now, /*leaving=*/true);
    }
  }
  transport_.Wake();
  Notify(change);
  const std::string name = options_.lease_prefix + options_.node;
  absl::Status last;
  for (int attempt = 0; attempt < 3; ++attempt) {
    absl::StatusOr<Lease> current = store_.Get(options_.ns, name);
    if (absl::IsNotFound(current.status())) return absl::OkStatus();
    LB_ASSIGN_OR_RETURN(
        Lease update,
        Annotate(std::move(current), absl::StrCat("reading Lease ", name)));
    if (update.spec.holder_identity != options_.node) {
      return absl::OkStatus();
    }
    update.spec.holder_identity.clear();
    update.spec.lease_duration_seconds = 1;
    update.spec.renew_time = clock_.Now();
    absl::StatusOr<Lease> written = store_.Update(update);
    if (written.ok()) {
      absl::MutexLock lock(&mu_);
      ++stats_.lease_writes;
      return absl::OkStatus();
    }
    last = Annotate(written.status(), absl::StrCat("releasing Lease ", name));
    if (!absl::IsAborted(written.status())) break;
  }
  return last;
}

void Membership::RunNetworkLoop() {
  while (true) {
    const MonoTime next = PollNetwork();
    {
      absl::MutexLock lock(&mu_);
      if (stop_requested_) return;
    }
    absl::StatusOr<bool> woke = transport_.WaitReadable(next);
    if (!woke.ok()) {
      // A socket error: retry after poll_interval rather than spin.
      absl::MutexLock lock(&mu_);
      ++stats_.transport_errors;
      if (clock_.AwaitWithTimeout(&mu_, absl::Condition(&stop_requested_),
                                  options_.poll_interval)) {
        return;
      }
    }
  }
}

void Membership::RunStoreLoop() {
  while (true) {
    const MonoTime next = PollStore();
    absl::MutexLock lock(&mu_);
    if (clock_.AwaitWithDeadline(&mu_, absl::Condition(&stop_requested_),
                                 next)) {
      return;
    }
  }
}

void Membership::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stop_requested_ = true;
  }
  transport_.Wake();
}

bool Membership::Claims(absl::string_view address) const {
  absl::MutexLock lock(&mu_);
  return std::binary_search(decision_.claimed.begin(), decision_.claimed.end(),
                            address);
}

std::vector<std::string> Membership::Claimed() const {
  absl::MutexLock lock(&mu_);
  return decision_.claimed;
}

MembershipSnapshot Membership::Snapshot() const {
  const MonoTime now = clock_.Monotonic();
  absl::MutexLock lock(&mu_);
  const Decision& d = decision_;
  MembershipSnapshot s;
  s.node = options_.node;
  s.fence = d.fence;
  s.heard = static_cast<int>(d.heard.size());
  s.known = static_cast<int>(d.known.size());
  const std::set<std::string> record =
      ValidRecordNodes(record_, now, decision_options_);
  auto probationary = [&](MonoTime stable_since) {
    return options_.failback_hold > absl::ZeroDuration() &&
           stable_since + options_.failback_hold > now;
  };
  for (const std::string& n : d.known) {
    MemberState m;
    m.node = n;
    m.in_record = record.count(n) != 0;
    if (n == options_.node) {
      m.heard = !stopped_;
      m.active = d.fence == FenceReason::kNone;
      m.since_heard = absl::ZeroDuration();
      m.probationary = probationary(d.stable_since);
    } else if (auto it = peers_.find(n); it != peers_.end()) {
      m.heard = d.heard.count(n) != 0;
      m.active = it->second.active;
      m.since_heard = now - it->second.last_heard;
      m.probationary = probationary(it->second.stable_since);
    }
    s.members.push_back(std::move(m));
  }
  s.owners =
      d.owners != nullptr ? d.owners : std::make_shared<const OwnerMap>();
  s.claimed = d.claimed;
  s.stats = stats_;
  s.detection_to_decision = latency_;
  s.last_record_read = record_.last_read;
  return s;
}

absl::Duration Membership::SplitBrainBound(absl::Duration max_delay) const {
  return options_.suspect_timeout + options_.heartbeat_interval + max_delay +
         2 * options_.poll_interval;
}

}  // namespace lb::election
