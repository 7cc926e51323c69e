// lib/base/simulated_clock.h
//
// A Clock whose time moves only when a test says so. AdvanceTime moves both
// timelines together, as real time passing does; StepWallClock moves only the
// wall clock, either way, as an NTP step or a VM resume does. Sleepers and
// waiters whose (monotonic) deadline has passed are woken when time moves.
//
//   lb::SimulatedClock clock(absl::FromUnixSeconds(1000));
//   Elector elector(store, clock, options);
//   clock.AdvanceTime(absl::Seconds(15));     // the lease expires
//   clock.StepWallClock(-absl::Seconds(30));  // nothing measured may change
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
  // The monotonic origin of every SimulatedClock: an arbitrary point, far
  // from MonoTime(), so code that treats the origin as "never" shows up.
  static constexpr MonoTime kMonotonicStart =
      MonoTime::FromOrigin(absl::Hours(1000));

  // Wall time starts at `start`, monotonic time at kMonotonicStart.
  explicit SimulatedClock(absl::Time start = absl::UnixEpoch());

  using Clock::AwaitWithDeadline;
  using Clock::SleepUntil;

  absl::Time Now() override ABSL_LOCKS_EXCLUDED(mu_);
  MonoTime Monotonic() override ABSL_LOCKS_EXCLUDED(mu_);
  void SleepUntil(MonoTime deadline) override ABSL_LOCKS_EXCLUDED(mu_);
  bool AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& cond,
                         MonoTime deadline) override ABSL_LOCKS_EXCLUDED(mu_);

  // Moves both clocks forward by `d` (must be >= 0) and wakes every sleeper
  // whose deadline has been reached.
  void AdvanceTime(absl::Duration d) ABSL_LOCKS_EXCLUDED(mu_);

  // Moves both clocks forward so that Now() is `t` (nothing if `t` is not
  // later than Now()).
  void SetTime(absl::Time t) ABSL_LOCKS_EXCLUDED(mu_);

  // Moves the wall clock alone by `d`, forward or backward; monotonic time
  // and every deadline stay where they are.
  void StepWallClock(absl::Duration d) ABSL_LOCKS_EXCLUDED(mu_);

  // Number of threads currently blocked in SleepUntil or AwaitWithDeadline.
  // Lets a test wait until the code under test has reached its wait before
  // moving time.
  int WaiterCount() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  absl::Mutex mu_;
  absl::Time wall_ ABSL_GUARDED_BY(mu_);
  MonoTime mono_ ABSL_GUARDED_BY(mu_) = kMonotonicStart;
  int waiters_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace lb

#endif  // LB_BASE_SIMULATED_CLOCK_H_
