// lib/base/clock.h
//
// The one way code under lib/ reads time and waits. Libraries take a `Clock&`
// at construction; mains pass a `RealClock`, tests pass a `SimulatedClock`
// (lib/base/simulated_clock.h) and move time explicitly.
//
//   lb::RealClock clock;                  // in main()
//   Announcer announcer(conn, clock);     // libraries borrow it
//
// Every wait that has a deadline goes through the clock too
// (AwaitWithDeadline), so simulated time can drive it.
//
// Thread-safety: implementations are safe for concurrent use.

#ifndef LB_BASE_CLOCK_H_
#define LB_BASE_CLOCK_H_

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace lb {

class Clock {
 public:
  virtual ~Clock() = default;

  // The current time.
  virtual absl::Time Now() = 0;

  // Blocks the calling thread until Now() >= `deadline`.
  virtual void SleepUntil(absl::Time deadline) = 0;

  // Blocks for `d`; equivalent to SleepUntil(Now() + d).
  void Sleep(absl::Duration d) { SleepUntil(Now() + d); }

  // Waits until `cond` holds or Now() >= `deadline`, whichever comes first.
  // REQUIRES: `mu` is held by the caller; it is held again on return.
  // Returns the value of `cond` on return. A SimulatedClock re-evaluates `cond`
  // whenever `mu` is released by a writer and whenever time moves.
  virtual bool AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& cond,
                                 absl::Time deadline) = 0;
};

// The system clock. Construct one in main() and pass it down.
class RealClock final : public Clock {
 public:
  absl::Time Now() override;
  void SleepUntil(absl::Time deadline) override;
  bool AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& cond,
                         absl::Time deadline) override;
};

}  // namespace lb

#endif  // LB_BASE_CLOCK_H_
