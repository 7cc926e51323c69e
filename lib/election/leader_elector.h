// lib/election/leader_elector.h
//
// Provides `LeaderElector`, a single-leader election over one Lease with the
// semantics of client-go's tools/leaderelection: acquire, renew, release on
// stop, LeaseDuration / RenewDeadline / RetryPeriod with jittered retries,
// and callbacks for started leading, stopped leading and a new observed
// leader. Candidates never compare the Lease's timestamps with their own
// clock: a holder is considered valid for LeaseDuration after the record was
// last *seen to change*, measured on the injected Clock's monotonic timeline,
// so clock offsets between nodes and wall-clock steps are harmless and only
// clock *rate* differences matter. Wall time (Clock::Now()) is used only for
// the acquireTime and renewTime written into the Lease.
//
// Two differences from client-go, both on the safe side: a leader gives up
// once RenewDeadline has passed since its last successful renewal (client-go
// counts from the start of the renew round, up to RetryPeriod later), and at
// once when a failed renewal shows that another candidate holds the Lease.
//
// After losing leadership the elector becomes a candidate again; a caller
// that wants client-go's "exit on loss" behaviour calls Stop() from
// on_stopped_leading.
//
// Thread-safety: Step() and Run() must be called from one thread at a time;
// Stop(), IsLeader(), ObservedLeader() may be called from any thread.
// Callbacks run on the thread calling Step()/Run(), with no lock held.
//
//   LeaderElectorOptions options;
//   options.ns = "lb-system";
//   options.name = "lb-controller";
//   options.identity = "controller-7f9c_1a2b";
//   options.on_started_leading = [&] { controller.Activate(); };
//   options.on_stopped_leading = [&] { controller.Deactivate(); };
//   LB_ASSIGN_OR_RETURN(auto elector,
//                       LeaderElector::Create(store, clock, options));
//   std::thread t([&] { elector->Run(); });   // until elector->Stop()

#ifndef LB_ELECTION_LEADER_ELECTOR_H_
#define LB_ELECTION_LEADER_ELECTOR_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "lib/base/clock.h"
#include "lib/election/lease_store.h"

namespace lb::election {

// client-go's JitterFactor for acquire retries: a wait of RetryPeriod becomes
// a uniform draw from [RetryPeriod, RetryPeriod * (1 + 1.2)].
inline constexpr double kRetryJitterFactor = 1.2;

struct LeaderElectorOptions {
  std::string ns;        // Lease namespace; required.
  std::string name;      // Lease name; required.
  std::string identity;  // Unique per candidate; required.

  // How long a candidate waits, from when it last saw the record change,
  // before it may take over. A whole number of seconds (the Lease field is an
  // integer).
  absl::Duration lease_duration = absl::Seconds(15);
  // How long a leader keeps retrying a failed renewal before it stops leading.
  absl::Duration renew_deadline = absl::Seconds(10);
  // Interval between attempts.
  absl::Duration retry_period = absl::Seconds(2);
  // Whether Run() releases the Lease (empty holder) when stopped.
  bool release_on_stop = true;
  // Seed of the retry jitter.
  uint64_t jitter_seed = 0;

  std::function<void()> on_started_leading;
  std::function<void()> on_stopped_leading;
  // Called with the holder identity whenever the observed holder changes
  // (including to this candidate and to "" when the Lease is released).
  std::function<void(const std::string&)> on_new_leader;
};

// Checks the options as client-go does. kInvalidArgument names the offending
// field: empty ns/name/identity, a non-positive duration, a lease_duration
// that is not a whole number of seconds, lease_duration <= renew_deadline, or
// renew_deadline <= 1.2 * retry_period.
absl::Status ValidateLeaderElectorOptions(const LeaderElectorOptions& options);

// Counters of one elector.
struct LeaderElectorStats {
  int64_t attempts = 0;
  int64_t failed_attempts = 0;  // Store errors and lost races.
  int64_t transitions_to_leader = 0;
  int64_t transitions_from_leader = 0;
};

class LeaderElector {
 public:
  // Validates `options` (see ValidateLeaderElectorOptions). `store` and
  // `clock` must outlive the elector.
  static absl::StatusOr<std::unique_ptr<LeaderElector>> Create(
      LeaseStore& store, Clock& clock, LeaderElectorOptions options);

  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  // Performs whatever is due at clock.Monotonic() (an acquire or renew
  // attempt, or stepping down after the renew deadline) and returns when the
  // next step is due. Fires callbacks.
  MonoTime Step();

  // Calls Step() whenever it is due, waiting on the clock, until Stop(). Then
  // stops leading (on_stopped_leading) and, if release_on_stop, releases the
  // Lease.
  void Run();

  // Makes Run() return soon. Idempotent.
  void Stop();

  // If this candidate leads, stops leading (on_stopped_leading fires) and
  // writes an empty holder with a 1 s duration so others take over at once.
  // kOk also when not leading or when someone else holds the Lease; a store
  // error is returned (the Lease then expires normally).
  absl::Status Release();

  bool IsLeader() const;
  // The holder identity last observed ("" if free or never read).
  std::string ObservedLeader() const;
  LeaderElectorStats stats() const;

 private:
  LeaderElector(LeaseStore& store, Clock& clock, LeaderElectorOptions options);

  // One client-go tryAcquireOrRenew. True if this candidate holds the Lease.
  // `now` measures, `wall` is written into the Lease.
  bool TryAcquireOrRenew(MonoTime now, absl::Time wall);
  void RecordObserved(const Lease& lease, MonoTime now);
  void ReportLeaderIfChanged();
  absl::Duration Jittered(absl::Duration d);
  void SetLeading(bool leading);

  LeaseStore& store_;
  Clock& clock_;
  const LeaderElectorOptions options_;
  std::mt19937_64 rng_;

  // Touched only by the stepping thread.
  std::optional<Lease> observed_lease_;  // Last fetched or written object.
  // When this candidate last saw the record change, on its own clock.
  MonoTime observed_time_ = MonoTime::InfinitePast();
  MonoTime last_renew_ = MonoTime::InfinitePast();
  MonoTime next_step_ = MonoTime::InfinitePast();
  std::string reported_leader_;
  bool reported_any_ = false;

  mutable absl::Mutex mu_;
  bool leading_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_requested_ ABSL_GUARDED_BY(mu_) = false;
  std::string observed_holder_ ABSL_GUARDED_BY(mu_);
  LeaderElectorStats stats_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lb::election

#endif  // LB_ELECTION_LEADER_ELECTOR_H_
