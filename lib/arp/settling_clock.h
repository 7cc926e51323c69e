// lib/arp/settling_clock.h
//
// A Clock for tests of code that waits on its clock from threads of its
// own (the Responder's timer thread): a SimulatedClock's time, plus
// Settle(), which returns once every thread waiting on this clock has, since
// the call began, checked its condition and the time and found nothing to
// do. Whatever the test changed before Settle() (time moved, state that
// wakes the waiter) has then been acted on, so a test can assert that
// something did not happen without sleeping.
//
//   SimulatedClock time;
//   SettlingClock clock(time);
//   auto responder = Responder::Create(clock, links, net, options).value();
//   responder->Start();
//   clock.AdvanceTime(absl::Seconds(50));
//   REQUIRE(clock.Settle());  // the timer thread is idle again at +50 s
//   CHECK(conn->TakeSent().empty());
//
// Waits poll their condition every millisecond of real time, as
// SimulatedClock's do; real time paces the polling only, never the outcome.
// SleepUntil() is SimulatedClock's and takes no part in Settle().
//
// Thread-safety: safe for concurrent use.

#ifndef LB_ARP_SETTLING_CLOCK_H_
#define LB_ARP_SETTLING_CLOCK_H_

#include <cstdint>
#include <map>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "lib/base/clock.h"
#include "lib/base/simulated_clock.h"

namespace lb::arp {

class SettlingClock final : public Clock {
 public:
  // `time` must outlive this clock; move time through this clock, not
  // `time`, so that Settle() sees every move.
  explicit SettlingClock(SimulatedClock& time) : time_(time) {}

  using Clock::AwaitWithDeadline;
  using Clock::SleepUntil;

  absl::Time Now() override { return time_.Now(); }
  MonoTime Monotonic() override { return time_.Monotonic(); }
  void SleepUntil(MonoTime deadline) override { time_.SleepUntil(deadline); }
  bool AwaitWithDeadline(absl::Mutex* mu, const absl::Condition& cond,
                         MonoTime deadline) override ABSL_LOCKS_EXCLUDED(mu_);

  // SimulatedClock::AdvanceTime and StepWallClock.
  void AdvanceTime(absl::Duration d) ABSL_LOCKS_EXCLUDED(mu_);
  void StepWallClock(absl::Duration d) ABSL_LOCKS_EXCLUDED(mu_);

  // Blocks until at least one thread waits on this clock and every waiting
  // thread has found, after this call began, its condition false and its
  // deadline not reached. False if that takes longer than `timeout` of real
  // time (nothing waits, or a waiter keeps finding work).
  bool Settle(absl::Duration timeout = absl::Seconds(10))
      ABSL_LOCKS_EXCLUDED(mu_);
  // The earliest deadline a thread waits for now
  // (MonoTime::InfiniteFuture() if none waits or none has a finite one).
  // After Settle(): when the waiting code next has work of its own.
  MonoTime EarliestDeadline() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  SimulatedClock& time_;
  absl::Mutex mu_;
  struct Waiter {
    uint64_t last_check = 0;  // 0: none yet
    MonoTime deadline;
  };
  // Idle checks so far, and each waiter's.
  uint64_t checks_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<uint64_t, Waiter> waiters_ ABSL_GUARDED_BY(mu_);
  uint64_t next_waiter_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace lb::arp

#endif  // LB_ARP_SETTLING_CLOCK_H_
