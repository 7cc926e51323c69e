#include "lib/arp/internal/event_loop.h"

#include <doctest/doctest.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <vector>

#include "absl/synchronization/mutex.h"
#include "lib/arp/settling_clock.h"
#include "lib/base/simulated_clock.h"

namespace lb::arp {
namespace {

// Records what the loop's handlers saw.
struct Recorder {
  absl::Mutex mu;
  std::vector<uint64_t> keys ABSL_GUARDED_BY(mu);
  std::vector<MonoTime> timer_runs ABSL_GUARDED_BY(mu);
  // What the timer handler returns next.
  MonoTime next ABSL_GUARDED_BY(mu) = MonoTime::InfiniteFuture();
  std::vector<int> fds;  // drained by the ready handler, by key

  EventLoop::Handlers Handlers() {
    return {[this](absl::Span<const uint64_t> ready) {
              absl::MutexLock lock(&mu);
              for (uint64_t k : ready) {
                uint64_t v;
                (void)!read(fds.at(k), &v, sizeof(v));
                keys.push_back(k);
              }
            },
            [this](MonoTime now) {
              absl::MutexLock lock(&mu);
              timer_runs.push_back(now);
              return next;
            }};
  }
  bool AwaitKeys(size_t n) {
    absl::MutexLock lock(&mu);
    auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
      return keys.size() >= n;
    };
    return mu.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(10));
  }
  std::vector<uint64_t> Keys() {
    absl::MutexLock lock(&mu);
    return keys;
  }
  std::vector<MonoTime> TimerRuns() {
    absl::MutexLock lock(&mu);
    return timer_runs;
  }
  void SetNext(MonoTime t) {
    absl::MutexLock lock(&mu);
    next = t;
  }
};

void Signal(int fd) {
  uint64_t one = 1;
  (void)!write(fd, &one, sizeof(one));
}

constexpr MonoTime kT0 = SimulatedClock::kMonotonicStart;

TEST_CASE("timers: at start, at the deadline returned, after a kick") {
  SimulatedClock time;
  SettlingClock clock(time);
  Recorder rec;
  auto loop = EventLoop::Create(clock, {});
  REQUIRE(loop.ok());
  rec.SetNext(kT0 + absl::Seconds(2));
  REQUIRE((*loop)->Start(rec.Handlers()).ok());
  REQUIRE(clock.Settle());
  CHECK(rec.TimerRuns() == std::vector<MonoTime>{kT0});
  CHECK(clock.EarliestDeadline() == kT0 + absl::Seconds(2));
  clock.AdvanceTime(absl::Milliseconds(1999));
  REQUIRE(clock.Settle());
  CHECK(rec.TimerRuns().size() == 1);
  rec.SetNext(MonoTime::InfiniteFuture());
  clock.AdvanceTime(absl::Milliseconds(1));
  REQUIRE(clock.Settle());
  CHECK(rec.TimerRuns() == std::vector<MonoTime>{kT0, kT0 + absl::Seconds(2)});
  // Nothing timed left: time passing runs nothing, a kick does.
  clock.AdvanceTime(absl::Hours(1));
  REQUIRE(clock.Settle());
  CHECK(rec.TimerRuns().size() == 2);
  (*loop)->Kick();
  REQUIRE(clock.Settle());
  REQUIRE(rec.TimerRuns().size() == 3);
  CHECK(rec.TimerRuns()[2] == kT0 + absl::Seconds(2) + absl::Hours(1));
  // A wall-clock step wakes nothing.
  rec.SetNext(clock.Monotonic() + absl::Seconds(10));
  (*loop)->Kick();
  REQUIRE(clock.Settle());
  clock.StepWallClock(absl::Seconds(30));
  REQUIRE(clock.Settle());
  CHECK(rec.TimerRuns().size() == 4);
  (*loop)->Stop();
}

TEST_CASE("descriptors: readable ones are reported by key until unwatched") {
  SimulatedClock time;
  Recorder rec;
  int a = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  int b = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  rec.fds = {a, b};
  auto loop = EventLoop::Create(time, {});
  REQUIRE(loop.ok());
  CHECK((*loop)->Watch(a, EventLoop::kReservedKey).code() ==
        absl::StatusCode::kInvalidArgument);
  CHECK((*loop)->Watch(-1, 5).code() == absl::StatusCode::kInternal);
  REQUIRE((*loop)->Watch(a, 0).ok());
  REQUIRE((*loop)->Watch(b, 1).ok());
  Signal(b);  // readable before Start: reported once running
  REQUIRE((*loop)->Start(rec.Handlers()).ok());
  CHECK((*loop)->Start(rec.Handlers()).code() ==
        absl::StatusCode::kFailedPrecondition);
  REQUIRE(rec.AwaitKeys(1));
  Signal(a);
  REQUIRE(rec.AwaitKeys(2));
  CHECK(rec.Keys() == std::vector<uint64_t>{1, 0});
  (*loop)->Unwatch(a);
  Signal(a);
  Signal(b);
  REQUIRE(rec.AwaitKeys(3));
  // Stop and start again: the watches stay.
  (*loop)->Stop();
  (*loop)->Stop();
  Signal(b);
  REQUIRE((*loop)->Start(rec.Handlers()).ok());
  REQUIRE(rec.AwaitKeys(4));
  (*loop)->Stop();
  // `a` was signalled twice after Unwatch and never reported.
  CHECK(rec.Keys() == std::vector<uint64_t>{1, 0, 1, 1});
  close(a);
  close(b);
}

}  // namespace
}  // namespace lb::arp
