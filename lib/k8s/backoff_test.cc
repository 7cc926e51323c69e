#include "lib/k8s/backoff.h"

#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "lib/base/simulated_clock.h"

namespace lb::k8s {
namespace {

TEST_CASE("backoff grows by its factor with jitter, caps, and resets") {
  BackoffOptions o;
  o.initial = absl::Milliseconds(100);
  o.max = absl::Milliseconds(400);
  o.factor = 2;
  o.jitter = 0.5;
  Backoff b(o, 42);
  absl::Duration bases[] = {absl::Milliseconds(100), absl::Milliseconds(200),
                            absl::Milliseconds(400), absl::Milliseconds(400)};
  for (absl::Duration base : bases) {
    absl::Duration d = b.Next();
    CHECK(d >= base);
    CHECK(d < base * 1.5);
  }
  CHECK(b.attempts() == 4);
  b.Reset();
  CHECK(b.Next() < absl::Milliseconds(150));
  // Jitter differs between seeds, so replicas do not retry in lockstep.
  Backoff x(o, 1), y(o, 2);
  CHECK(x.Next() != y.Next());
}

TEST_CASE("token bucket allows a burst, then paces at qps on the clock") {
  SimulatedClock clock;
  RateLimiter bucket(clock, /*qps=*/10, /*burst=*/3);
  CHECK(bucket.TryTake());
  CHECK(bucket.TryTake());
  CHECK(bucket.TryTake());
  CHECK_FALSE(bucket.TryTake());
  clock.AdvanceTime(absl::Milliseconds(100));
  CHECK(bucket.TryTake());
  CHECK_FALSE(bucket.TryTake());
  // Wait blocks until the clock has moved far enough.
  std::atomic<bool> done{false};
  std::thread waiter([&] {
    bucket.Wait();
    done = true;
  });
  while (clock.WaiterCount() == 0) std::this_thread::yield();
  CHECK_FALSE(done);
  clock.AdvanceTime(absl::Milliseconds(100));
  waiter.join();
  CHECK(done);
  RateLimiter unlimited(clock, 0, 1);
  for (int i = 0; i < 100; ++i) CHECK(unlimited.TryTake());
}

}  // namespace
}  // namespace lb::k8s
