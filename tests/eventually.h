// tests/eventually.h
//
// Waiting for a condition in tests, with a deadline, never a fixed sleep. For
// tests whose code under test runs on real time (threads of a daemon, gRPC);
// tests on a SimulatedClock advance it instead.
//
//   REQUIRE(lb::testing::Eventually([&] { return daemon.ready(); }));
//
// Thread-safety: `done` runs on the calling thread only.

#ifndef LB_TESTS_EVENTUALLY_H_
#define LB_TESTS_EVENTUALLY_H_

#include <functional>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace lb::testing {

// Polls `done` every 2 ms until it holds (true) or `within` has passed
// (false, after one last look).
inline bool Eventually(const std::function<bool()>& done,
                       absl::Duration within = absl::Seconds(20)) {
  const absl::Time deadline = absl::Now() + within;
  while (absl::Now() < deadline) {
    if (done()) return true;
    absl::SleepFor(absl::Milliseconds(2));
  }
  return done();
}

}  // namespace lb::testing

#endif  // LB_TESTS_EVENTUALLY_H_
