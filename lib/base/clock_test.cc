#include "lib/base/clock.h"

#include <doctest/doctest.h>

#include <thread>

#include "absl/synchronization/mutex.h"
#include "lib/base/simulated_clock.h"

namespace lb {
namespace {

TEST_CASE("SimulatedClock moves only when told") {
  SimulatedClock clock(absl::FromUnixSeconds(100));
  CHECK(clock.Now() == absl::FromUnixSeconds(100));
  clock.AdvanceTime(absl::Seconds(5));
  CHECK(clock.Now() == absl::FromUnixSeconds(105));
  clock.SetTime(absl::FromUnixSeconds(90));  // never backwards
  CHECK(clock.Now() == absl::FromUnixSeconds(105));
  clock.SetTime(absl::FromUnixSeconds(200));
  CHECK(clock.Now() == absl::FromUnixSeconds(200));
  CHECK(clock.Monotonic() - SimulatedClock::kMonotonicStart ==
        absl::Seconds(100));
}

TEST_CASE("SimulatedClock steps its wall clock alone") {
  SimulatedClock clock(absl::FromUnixSeconds(100));
  MonoTime start = clock.Monotonic();
  clock.StepWallClock(absl::Seconds(30));
  CHECK(clock.Now() == absl::FromUnixSeconds(130));
  clock.StepWallClock(-absl::Seconds(60));
  CHECK(clock.Now() == absl::FromUnixSeconds(70));
  CHECK(clock.Monotonic() == start);
  clock.AdvanceTime(absl::Seconds(1));
  CHECK(clock.Now() == absl::FromUnixSeconds(71));
  CHECK(clock.Monotonic() == start + absl::Seconds(1));
}

TEST_CASE("a wall-clock step neither wakes nor delays a monotonic sleeper") {
  SimulatedClock clock(absl::FromUnixSeconds(0));
  std::atomic<bool> woke{false};
  MonoTime deadline = clock.Monotonic() + absl::Seconds(10);
  std::thread sleeper([&] {
    clock.SleepUntil(deadline);
    woke = true;
  });
  while (clock.WaiterCount() == 0) std::this_thread::yield();
  clock.StepWallClock(absl::Seconds(3600));
  absl::SleepFor(absl::Milliseconds(20));
  CHECK_FALSE(woke.load());
  clock.StepWallClock(-absl::Seconds(7200));
  clock.AdvanceTime(absl::Seconds(10));
  sleeper.join();
  CHECK(woke.load());
}

TEST_CASE("MonoTime orders and subtracts, infinities at the ends") {
  MonoTime t = MonoTime::FromOrigin(absl::Seconds(5));
  CHECK(t + absl::Seconds(2) - t == absl::Seconds(2));
  CHECK(t - absl::Seconds(5) == MonoTime());
  CHECK(MonoTime::InfinitePast() < MonoTime());
  CHECK(MonoTime::InfiniteFuture() > t + absl::Hours(1e6));
  CHECK(MonoTime::InfiniteFuture() + absl::Seconds(1) ==
        MonoTime::InfiniteFuture());
  CHECK(t.SinceOrigin() == absl::Seconds(5));
}

TEST_CASE("SimulatedClock wakes a sleeper once its deadline is reached") {
  SimulatedClock clock(absl::FromUnixSeconds(0));
  std::atomic<bool> woke{false};
  std::thread sleeper([&] {
    clock.Sleep(absl::Seconds(10));
    woke = true;
  });
  while (clock.WaiterCount() == 0) std::this_thread::yield();
  clock.AdvanceTime(absl::Seconds(9));
  absl::SleepFor(absl::Milliseconds(20));
  CHECK_FALSE(woke.load());
  clock.AdvanceTime(absl::Seconds(1));
  sleeper.join();
  CHECK(woke.load());
}

TEST_CASE("SimulatedClock AwaitWithDeadline returns on condition or deadline") {
  SimulatedClock clock(absl::FromUnixSeconds(0));
  absl::Mutex mu;
  bool flag = false;
  bool result = true;
  std::thread waiter([&] {
    absl::MutexLock lock(&mu);
    result = clock.AwaitWithDeadline(
        &mu, absl::Condition(&flag),
        SimulatedClock::kMonotonicStart + absl::Seconds(30));
  });
  while (clock.WaiterCount() == 0) std::this_thread::yield();
  clock.AdvanceTime(absl::Seconds(31));
  waiter.join();
  CHECK_FALSE(result);

  std::thread waiter2([&] {
    absl::MutexLock lock(&mu);
    result = clock.AwaitWithDeadline(
        &mu, absl::Condition(&flag),
        SimulatedClock::kMonotonicStart + absl::Seconds(1000));
  });
  while (clock.WaiterCount() == 0) std::this_thread::yield();
  {
    absl::MutexLock lock(&mu);
    flag = true;
  }
  waiter2.join();
  CHECK(result);
  CHECK(clock.Now() == absl::FromUnixSeconds(31));
}

TEST_CASE("RealClock sleeps at least the requested time") {
  RealClock clock;
  MonoTime start = clock.Monotonic();
  clock.Sleep(absl::Milliseconds(5));
  CHECK(clock.Monotonic() - start >= absl::Milliseconds(5));
}

TEST_CASE("RealClock's AwaitWithDeadline returns at the monotonic deadline") {
  RealClock clock;
  absl::Mutex mu;
  bool flag = false;
  absl::MutexLock lock(&mu);
  MonoTime start = clock.Monotonic();
  CHECK_FALSE(clock.AwaitWithTimeout(&mu, absl::Condition(&flag),
                                     absl::Milliseconds(20)));
  CHECK(clock.Monotonic() - start >= absl::Milliseconds(20));
  flag = true;
  CHECK(clock.AwaitWithTimeout(&mu, absl::Condition(&flag), absl::Hours(1)));
}

}  // namespace
}  // namespace lb
