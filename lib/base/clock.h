// lib/base/clock.h
//
// The one way code under lib/ reads time and waits. Libraries take a `Clock&`
// at construction; mains pass a `RealClock`, tests pass a `SimulatedClock`
// (lib/base/simulated_clock.h) and move time explicitly.
//
// Two timelines:
//  * Now(): wall-clock time, only for timestamps written to the API server
//    and logs (Lease renewTime, Event times). It can jump (an NTP step, a VM
//    resuming), so nothing measures a duration with it.
//  * Monotonic(): a MonoTime that never jumps; every duration, timeout,
//    deadline and backoff is measured on it, and every wait takes one.
//
//   lb::RealClock clock;                          // in main()
//   Announcer announcer(conn, clock);             // libraries borrow it
//   MonoTime deadline = clock.Monotonic() + absl::Seconds(2);
//   clock.SleepUntil(deadline);
//
// Thread-safety: implementations are safe for concurrent use.

#ifndef LB_BASE_CLOCK_H_
#define LB_BASE_CLOCK_H_

#include <ostream>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace lb {

// A point on a monotonic clock. Only differences and order mean anything:
// the origin is arbitrary (for RealClock, the kernel's CLOCK_MONOTONIC zero),
// and a MonoTime never converts to or from wall time. Infinite values compare
// below or above every finite one.
class MonoTime {
 public:
  // The origin.
  constexpr MonoTime() = default;
  static constexpr MonoTime FromOrigin(absl::Duration since_origin) {
    return MonoTime(since_origin);
  }
  static constexpr MonoTime InfinitePast() {
    return MonoTime(-absl::InfiniteDuration());
  }
  static constexpr MonoTime InfiniteFuture() {
    return MonoTime(absl::InfiniteDuration());
  }

  absl::Duration SinceOrigin() const { return since_origin_; }

  MonoTime& operator+=(absl::Duration d) {
    since_origin_ += d;
    return *this;
  }
  MonoTime& operator-=(absl::Duration d) {
    since_origin_ -= d;
    return *this;
  }
  friend MonoTime operator+(MonoTime t, absl::Duration d) { return t += d; }
  friend MonoTime operator+(absl::Duration d, MonoTime t) { return t += d; }
  friend MonoTime operator-(MonoTime t, absl::Duration d) { return t -= d; }
  friend absl::Duration operator-(MonoTime a, MonoTime b) {
    return a.since_origin_ - b.since_origin_;
  }
  friend bool operator==(MonoTime a, MonoTime b) {
    return a.since_origin_ == b.since_origin_;
  }
  friend bool operator!=(MonoTime a, MonoTime b) { return !(a == b); }
  friend bool operator<(MonoTime a, MonoTime b) {
    return a.since_origin_ < b.since_origin_;
  }
  friend bool operator>(MonoTime a, MonoTime b) { return b < a; }
  friend bool operator<=(MonoTime a, MonoTime b) { return !(b < a); }
  friend bool operator>=(MonoTime a, MonoTime b) { return !(a < b); }
  // "mono+1.5s".
  friend std::ostream& operator<<(std::ostream& os, MonoTime t) {
    return os << "mono+" << absl::FormatDuration(t.since_origin_);
  }

 private:
  constexpr explicit MonoTime(absl::Duration d) : since_origin_(d) {}
  absl::Duration since_origin_;
};

class Clock {
 public:
  virtual ~Clock() = default;

  // Wall-clock time, for timestamps only (see the file comment).
  virtual absl::Time Now() = 0;

  // Monotonic time, for every duration and deadline.
  virtual MonoTime Monotonic() = 0;

  // Blocks the calling thread until Monotonic() >= `deadline`.
  virtual void SleepUntil(MonoTime deadline) = 0;

  // Blocks for `d`; equivalent to SleepUntil(Monotonic() + d).
  void Sleep(absl::Duration d) { SleepUntil(Monotonic() + d); }

  // Waits until `cond` holds or Monotonic() >= `deadline`, whichever comes
  // first. REQUIRES: `mu` is held by the caller; it is held again on return.
  // Returns the value of `cond` on return. A SimulatedClock re-evaluates
  // `cond` whenever `mu` is released by a writer and whenever time moves.
  virtual bool AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& cond,
                                 MonoTime deadline) = 0;

  // AwaitWithDeadline(mu, cond, Monotonic() + timeout).
  bool AwaitWithTimeout(absl::Mutex* mu, const absl::Condition& cond,
                        absl::Duration timeout) {
    return AwaitWithDeadline(mu, cond, Monotonic() + timeout);
  }
};

// The system's clocks. Construct one in main() and pass it down.
class RealClock final : public Clock {
 public:
  using Clock::AwaitWithDeadline;
  using Clock::SleepUntil;
  absl::Time Now() override;
  MonoTime Monotonic() override;
  void SleepUntil(MonoTime deadline) override;
  // Waits in slices of at most one second: absl::Mutex measures timeouts on
  // the wall clock, so a wall-clock step can delay the return by at most one
  // slice, never by the size of the step.
  bool AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& cond,
                         MonoTime deadline) override;
};

}  // namespace lb

#endif  // LB_BASE_CLOCK_H_
