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
    result = clock.AwaitWithDeadline(&mu, absl::Condition(&flag),
                                     absl::FromUnixSeconds(30));
  });
  while (clock.WaiterCount() == 0) std::this_thread::yield();
  clock.AdvanceTime(absl::Seconds(31));
  waiter.join();
  CHECK_FALSE(result);

  std::thread waiter2([&] {
    absl::MutexLock lock(&mu);
    result = clock.AwaitWithDeadline(&mu, absl::Condition(&flag),
                                     absl::FromUnixSeconds(1000));
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
  absl::Time start = clock.Now();
  clock.Sleep(absl::Milliseconds(5));
  CHECK(clock.Now() - start >= absl::Milliseconds(5));
}

}  // namespace
}  // namespace lb
