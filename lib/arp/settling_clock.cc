#include "lib/arp/settling_clock.h"

#include <algorithm>

namespace lb::arp {

bool SettlingClock::AwaitWithDeadline(absl::Mutex* mu,
                                      const absl::Condition& cond,
                                      MonoTime deadline) {
  uint64_t id;
  {
    absl::MutexLock lock(&mu_);
    id = next_waiter_++;
    waiters_[id] = Waiter{0, deadline};
  }
  bool result;
  while (true) {
    // `mu` is held here, so `cond` sees every change made under it before.
    if (cond.Eval()) {
      result = true;
      break;
    }
    {
      // Time is read and the check recorded in one step, so a Settle() that
      // began after the check also began after the time it saw.
      absl::MutexLock lock(&mu_);
      if (time_.Monotonic() >= deadline) {
        result = false;
        break;
      }
      waiters_[id].last_check = ++checks_;
    }
    mu->AwaitWithTimeout(cond, absl::Milliseconds(1));
  }
  absl::MutexLock lock(&mu_);
  waiters_.erase(id);
  return result;
}

void SettlingClock::AdvanceTime(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  time_.AdvanceTime(d);
}

void SettlingClock::StepWallClock(absl::Duration d) {
  absl::MutexLock lock(&mu_);
  time_.StepWallClock(d);
}

bool SettlingClock::Settle(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  const uint64_t from = checks_;
  auto settled = [this, from]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (waiters_.empty()) return false;
    for (const auto& [id, w] : waiters_) {
      if (w.last_check <= from) return false;
    }
    return true;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&settled), timeout);
}

MonoTime SettlingClock::EarliestDeadline() {
  absl::MutexLock lock(&mu_);
  MonoTime earliest = MonoTime::InfiniteFuture();
  for (const auto& [id, w] : waiters_)
    earliest = std::min(earliest, w.deadline);
  return earliest;
}

}  // namespace lb::arp
