#include "lib/base/simulated_clock.h"

#include "absl/time/clock.h"

namespace lb {

SimulatedClock::SimulatedClock(absl::Time start) : wall_(start) {}

absl::Time SimulatedClock::Now() {
  absl::MutexLock lock(&mu_);
  return wall_;
}

MonoTime SimulatedClock::Monotonic() {
  absl::MutexLock lock(&mu_);
  return mono_;
}

void SimulatedClock::SleepUntil(MonoTime deadline) {
  absl::MutexLock lock(&mu_);
  ++waiters_;
  auto reached = [this, deadline]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return mono_ >= deadline;
  };
  mu_.Await(absl::Condition(&reached));
  --waiters_;
}

void SimulatedClock::AdvanceTime(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  if (d <= absl::ZeroDuration()) return;
  wall_ += d;
  mono_ += d;
}

void SimulatedClock::SetTime(absl::Time t) {
  absl::MutexLock lock(&mu_);
  if (t <= wall_) return;
  mono_ += t - wall_;
  wall_ = t;
}

void SimulatedClock::StepWallClock(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  wall_ += d;
}

int SimulatedClock::WaiterCount() {
  absl::MutexLock lock(&mu_);
  return waiters_;
}

bool SimulatedClock::AwaitWithDeadline(absl::Mutex* mu,
                                       const absl::Condition& cond,
                                       MonoTime deadline) {
  // The caller's condition is guarded by `mu`, our time by `mu_`; neither mutex
  // can wait on the other, so the caller's mutex is released in short real-time
  // slices while simulated time is checked. Real time only paces the polling;
  // the outcome depends on simulated time and `cond` alone.
  {
    absl::MutexLock lock(&mu_);
    ++waiters_;
  }
  bool result = false;
  while (true) {
    if (cond.Eval()) {
      result = true;
      break;
    }
    if (Monotonic() >= deadline) break;
    mu->AwaitWithTimeout(cond, absl::Milliseconds(1));
  }
  {
    absl::MutexLock lock(&mu_);
    --waiters_;
  }
  return result;
}

}  // namespace lb
