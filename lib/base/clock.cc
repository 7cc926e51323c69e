#include "lib/base/clock.h"

#include "absl/time/clock.h"

namespace lb {

absl::Time RealClock::Now() { return absl::Now(); }

void RealClock::SleepUntil(absl::Time deadline) {
  absl::Duration left = deadline - absl::Now();
  if (left > absl::ZeroDuration()) absl::SleepFor(left);
}

bool RealClock::AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& cond,
                                  absl::Time deadline) {
  return mu->AwaitWithDeadline(cond, deadline);
}

}  // namespace lb
