// lib/base/simulated_clock.h
//
// A Clock whose time moves only when a test calls AdvanceTime or SetTime.
// Sleepers and waiters whose deadline has passed are woken when time moves.
//
//   lb::SimulatedClock clock(absl::FromUnixSeconds(1000));
//   Elector elector(store, clock, options);
//   clock.AdvanceTime(absl::Seconds(15));   // the lease expires
//
// Thread-safety: safe for concurrent use; typically one test thread moves time
// while threads under test sleep on it.

#ifndef LB_BASE_SIMULATED_CLOCK_H_
#define LB_BASE_SIMULATED_CLOCK_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "lib/base/clock.h"

namespace lb {

class SimulatedClock final : public Clock {
 public:
  explicit SimulatedClock(absl::Time start = absl::UnixEpoch());

  absl::Time Now() override ABSL_LOCKS_EXCLUDED(mu_);
  void SleepUntil(absl::Time deadline) override ABSL_LOCKS_EXCLUDED(mu_);
  bool AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& cond,
                         absl::Time deadline) override ABSL_LOCKS_EXCLUDED(mu_);

  // Moves time forward by `d` (must be >= 0) and wakes every sleeper whose
  // deadline has been reached.
  void AdvanceTime(absl::Duration d) ABSL_LOCKS_EXCLUDED(mu_);

  // Sets time to `t` (must not be earlier than Now()).
  void SetTime(absl::Time t) ABSL_LOCKS_EXCLUDED(mu_);

  // Number of threads currently blocked in SleepUntil or AwaitWithDeadline.
  // Lets a test wait until the code under test has reached its wait before
  // moving time.
  int WaiterCount() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  absl::Mutex mu_;
  absl::Time now_ ABSL_GUARDED_BY(mu_);
  int waiters_ ABSL_GUARDED_BY(mu_) = 0;
  // Bumped on every time change so AwaitWithDeadline's polling sees progress.
  unsigned long epoch_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace lb

#endif  // LB_BASE_SIMULATED_CLOCK_H_
