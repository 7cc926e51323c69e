#include "lib/arp/settling_clock.h"

#include <doctest/doctest.h>

#include <thread>

#include "absl/synchronization/mutex.h"
#include "lib/base/simulated_clock.h"

namespace lb::arp {
namespace {

// A worker that does one unit of work each time its deadline passes (then
// waits a second more) or it is poked, like a timer thread.
class Worker {
 public:
  explicit Worker(Clock& clock) : clock_(clock) {
    thread_ = std::thread([this] { Run(); });
  }
  ~Worker() {
    {
      absl::MutexLock lock(&mu_);
      stop_ = true;
    }
    thread_.join();
  }
  void Poke() {
    absl::MutexLock lock(&mu_);
    poked_ = true;
  }
  int work() {
    absl::MutexLock lock(&mu_);
    return work_;
  }

 private:
  bool Wake() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return poked_ || stop_;
  }
  void Run() {
    absl::MutexLock lock(&mu_);
    MonoTime deadline = clock_.Monotonic() + absl::Seconds(1);
    while (!stop_) {
      clock_.AwaitWithDeadline(&mu_, absl::Condition(this, &Worker::Wake),
                               deadline);
      if (stop_) break;
      if (!poked_ && clock_.Monotonic() < deadline) continue;
      poked_ = false;
      ++work_;
      deadline = clock_.Monotonic() + absl::Seconds(1);
    }
  }

  Clock& clock_;
  absl::Mutex mu_;
  bool poked_ ABSL_GUARDED_BY(mu_) = false;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  int work_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

TEST_CASE("nothing waiting: Settle times out") {
  SimulatedClock time;
  SettlingClock clock(time);
  CHECK_FALSE(clock.Settle(absl::Milliseconds(50)));
  CHECK(clock.EarliestDeadline() == MonoTime::InfiniteFuture());
}

TEST_CASE("Settle returns once what time and pokes caused is done") {
  SimulatedClock time;
  SettlingClock clock(time);
  Worker worker(clock);
  REQUIRE(clock.Settle());
  CHECK(worker.work() == 0);
  CHECK(clock.EarliestDeadline() ==
        SimulatedClock::kMonotonicStart + absl::Seconds(1));
  clock.AdvanceTime(absl::Milliseconds(999));
  REQUIRE(clock.Settle());
  CHECK(worker.work() == 0);
  clock.AdvanceTime(absl::Milliseconds(1));
  REQUIRE(clock.Settle());
  CHECK(worker.work() == 1);
  CHECK(clock.EarliestDeadline() ==
        SimulatedClock::kMonotonicStart + absl::Seconds(2));
  worker.Poke();
  REQUIRE(clock.Settle());
  CHECK(worker.work() == 2);
  // Several deadlines passed at once: one unit, then a second from now.
  clock.AdvanceTime(absl::Seconds(5));
  REQUIRE(clock.Settle());
  CHECK(worker.work() == 3);
  // A wall-clock step moves no deadline.
  clock.StepWallClock(absl::Seconds(30));
  clock.StepWallClock(-absl::Seconds(60));
  REQUIRE(clock.Settle());
  CHECK(worker.work() == 3);
  CHECK(clock.Now() == absl::UnixEpoch() + absl::Seconds(1) + absl::Seconds(5) -
                           absl::Seconds(30));
}

}  // namespace
}  // namespace lb::arp
