#include "lib/base/clock.h"

#include <time.h>

#include <algorithm>

#include "absl/time/clock.h"

namespace lb {

absl::Time RealClock::Now() { return absl::Now(); }

MonoTime RealClock::Monotonic() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return MonoTime::FromOrigin(absl::DurationFromTimespec(ts));
}

void RealClock::SleepUntil(MonoTime deadline) {
  // absl::SleepFor sleeps a relative interval (nanosleep, measured on the
  // monotonic clock) and resumes after signals; loop for early returns.
  for (absl::Duration left = deadline - Monotonic();
       left > absl::ZeroDuration(); left = deadline - Monotonic()) {
    absl::SleepFor(left);
  }
}

bool RealClock::AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& cond,
                                  MonoTime deadline) {
  while (true) {
    if (cond.Eval()) return true;
    absl::Duration left = deadline - Monotonic();
    if (left <= absl::ZeroDuration()) return false;
    if (mu->AwaitWithTimeout(cond, std::min(left, absl::Seconds(1)))) {
      return true;
    }
  }
}

}  // namespace lb
