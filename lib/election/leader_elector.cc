#include "lib/election/leader_elector.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"

namespace lb::election {

absl::Status ValidateLeaderElectorOptions(const LeaderElectorOptions& o) {
  if (o.ns.empty()) return absl::InvalidArgumentError("ns must not be empty");
  if (o.name.empty()) {
    return absl::InvalidArgumentError("name must not be empty");
  }
  if (o.identity.empty()) {
    return absl::InvalidArgumentError("identity must not be empty");
  }
  if (o.lease_duration <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("lease_duration must be positive");
  }
  if (o.renew_deadline <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("renew_deadline must be positive");
  }
  if (o.retry_period <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("retry_period must be positive");
  }
  if (o.lease_duration % absl::Seconds(1) != absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("lease_duration must be a whole number of seconds, got ",
                     absl::FormatDuration(o.lease_duration)));
  }
  if (o.lease_duration <= o.renew_deadline) {
    return absl::InvalidArgumentError(
        absl::StrCat("lease_duration (", absl::FormatDuration(o.lease_duration),
                     ") must be greater than renew_deadline (",
                     absl::FormatDuration(o.renew_deadline), ")"));
  }
  if (o.renew_deadline <= kRetryJitterFactor * o.retry_period) {
    return absl::InvalidArgumentError(
        absl::StrCat("renew_deadline (", absl::FormatDuration(o.renew_deadline),
                     ") must be greater than 1.2 * retry_period (",
                     absl::FormatDuration(o.retry_period), ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<LeaderElector>> LeaderElector::Create(
    LeaseStore& store, Clock& clock, LeaderElectorOptions options) {
  LB_RETURN_IF_ERROR(ValidateLeaderElectorOptions(options));
  return std::unique_ptr<LeaderElector>(
      new LeaderElector(store, clock, std::move(options)));
}

LeaderElector::LeaderElector(LeaseStore& store, Clock& clock,
                             LeaderElectorOptions options)
    : store_(store),
      clock_(clock),
      options_(std::move(options)),
      rng_(options_.jitter_seed) {}

absl::Duration LeaderElector::Jittered(absl::Duration d) {
  std::uniform_real_distribution<double> dist(0.0, 1.0);
  return d + dist(rng_) * kRetryJitterFactor * d;
}

void LeaderElector::RecordObserved(const Lease& lease, MonoTime now) {
  if (!observed_lease_.has_value() || observed_lease_->spec != lease.spec) {
    observed_time_ = now;
  }
  observed_lease_ = lease;
  absl::MutexLock lock(&mu_);
  observed_holder_ = lease.spec.holder_identity;
}

bool LeaderElector::TryAcquireOrRenew(MonoTime now, absl::Time wall) {
  {
    absl::MutexLock lock(&mu_);
    ++stats_.attempts;
  }
  const int32_t duration_s =
      static_cast<int32_t>(absl::ToInt64Seconds(options_.lease_duration));
  LeaseSpec desired;
  desired.holder_identity = options_.identity;
  desired.lease_duration_seconds = duration_s;
  desired.acquire_time = wall;
  desired.renew_time = wall;

  auto fail = [this] {
    absl::MutexLock lock(&mu_);
    ++stats_.failed_attempts;
    return false;
  };

  // Fast path: we hold a lease that is still valid by our own clock.
  if (observed_lease_.has_value() &&
      observed_lease_->spec.holder_identity == options_.identity &&
      observed_time_ +
              absl::Seconds(observed_lease_->spec.lease_duration_seconds) >
          now) {
    Lease update = *observed_lease_;
    desired.acquire_time = update.spec.acquire_time;
    desired.lease_transitions = update.spec.lease_transitions;
    update.spec = desired;
    absl::StatusOr<Lease> written = store_.Update(update);
    if (written.ok()) {
      RecordObserved(*written, now);
      return true;
    }
    // Fall through to the slow path (e.g. a conflict).
  }

  absl::StatusOr<Lease> current = store_.Get(options_.ns, options_.name);
  if (absl::IsNotFound(current.status())) {
    Lease lease;
    lease.ns = options_.ns;
    lease.name = options_.name;
    lease.spec = desired;
    absl::StatusOr<Lease> created = store_.Create(lease);
    if (!created.ok()) return fail();
    RecordObserved(*created, now);
    return true;
  }
  if (!current.ok()) return fail();
  RecordObserved(*current, now);

  const LeaseSpec& old = current->spec;
  if (!old.holder_identity.empty() &&
      old.holder_identity != options_.identity &&
      observed_time_ + absl::Seconds(old.lease_duration_seconds) > now) {
    // Someone else validly holds it.
    return fail();
  }
  if (old.holder_identity == options_.identity) {
    desired.acquire_time = old.acquire_time;
    desired.lease_transitions = old.lease_transitions;
  } else {
    desired.lease_transitions = old.lease_transitions + 1;
  }
  Lease update = *current;
  update.spec = desired;
  absl::StatusOr<Lease> written = store_.Update(update);
  if (!written.ok()) return fail();
  RecordObserved(*written, now);
  return true;
}

void LeaderElector::ReportLeaderIfChanged() {
  std::string holder;
  {
    absl::MutexLock lock(&mu_);
    holder = observed_holder_;
  }
  if (reported_any_ && holder == reported_leader_) return;
  if (!observed_lease_.has_value()) return;
  reported_any_ = true;
  reported_leader_ = holder;
  if (options_.on_new_leader) options_.on_new_leader(holder);
}

void LeaderElector::SetLeading(bool leading) {
  {
    absl::MutexLock lock(&mu_);
    if (leading_ == leading) return;
    leading_ = leading;
    if (leading) {
      ++stats_.transitions_to_leader;
    } else {
      ++stats_.transitions_from_leader;
    }
  }
  if (leading && options_.on_started_leading) options_.on_started_leading();
  if (!leading && options_.on_stopped_leading) options_.on_stopped_leading();
}

MonoTime LeaderElector::Step() {
  const MonoTime now = clock_.Monotonic();
  if (now < next_step_) return next_step_;
  bool leading = IsLeader();
  if (leading && now - last_renew_ >= options_.renew_deadline) {
    // Too long without a successful renewal: others may take over soon.
    SetLeading(false);
    leading = false;
  }
  const bool ok = TryAcquireOrRenew(now, clock_.Now());
  ReportLeaderIfChanged();
  const MonoTime after = clock_.Monotonic();
  if (ok) {
    last_renew_ = now;
    if (!leading) SetLeading(true);
    next_step_ = now + options_.retry_period;
  } else if (leading) {
    const std::string holder = ObservedLeader();
    const bool taken = !holder.empty() && holder != options_.identity;
    if (taken || after - last_renew_ >= options_.renew_deadline) {
      SetLeading(false);
      next_step_ = after + Jittered(options_.retry_period);
    } else {
      next_step_ = after + options_.retry_period;
    }
  } else {
    next_step_ = after + Jittered(options_.retry_period);
  }
  return next_step_;
}

void LeaderElector::Run() {
  while (true) {
    const MonoTime next = Step();
    absl::MutexLock lock(&mu_);
    if (clock_.AwaitWithDeadline(&mu_, absl::Condition(&stop_requested_),
                                 next)) {
      break;
    }
  }
  if (options_.release_on_stop) {
    (void)Release();
  } else {
    SetLeading(false);
  }
}

void LeaderElector::Stop() {
  absl::MutexLock lock(&mu_);
  stop_requested_ = true;
}

absl::Status LeaderElector::Release() {
  if (!IsLeader()) return absl::OkStatus();
  // Leader-only work stops before anyone else can take over.
  SetLeading(false);
  absl::Status last = absl::OkStatus();
  for (int attempt = 0; attempt < 3; ++attempt) {
    absl::StatusOr<Lease> current = store_.Get(options_.ns, options_.name);
    if (!current.ok()) {
      last = Annotate(
          current.status(),
          absl::StrCat("reading Lease ", options_.ns, "/", options_.name));
      continue;
    }
    if (current->spec.holder_identity != options_.identity) {
      return absl::OkStatus();
    }
    Lease update = *current;
    const absl::Time wall = clock_.Now();
    update.spec.holder_identity.clear();
    update.spec.lease_duration_seconds = 1;
    update.spec.acquire_time = wall;
    update.spec.renew_time = wall;
    absl::StatusOr<Lease> written = store_.Update(update);
    if (written.ok()) {
      RecordObserved(*written, clock_.Monotonic());
      ReportLeaderIfChanged();
      return absl::OkStatus();
    }
    last = Annotate(
        written.status(),
        absl::StrCat("releasing Lease ", options_.ns, "/", options_.name));
    if (!absl::IsAborted(last)) break;
  }
  return last;
}

bool LeaderElector::IsLeader() const {
  absl::MutexLock lock(&mu_);
  return leading_;
}

std::string LeaderElector::ObservedLeader() const {
  absl::MutexLock lock(&mu_);
  return observed_holder_;
}

LeaderElectorStats LeaderElector::stats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

}  // namespace lb::election
