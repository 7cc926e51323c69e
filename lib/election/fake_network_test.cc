#include "lib/election/fake_network.h"

#include <doctest/doctest.h>

#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include "lib/base/simulated_clock.h"
#include "tests/status_matchers.h"

namespace lb::election {
namespace {

int Drain(HeartbeatTransport& t) {
  int n = 0;
  while (true) {
    auto d = t.TryReceive();
    REQUIRE_OK(d);
    if (!d->has_value()) return n;
    ++n;
  }
}

TEST_CASE("datagrams reach every other endpoint after the delay") {
  SimulatedClock clock;
  FakeNetwork net(clock, 1);
  auto a = net.Attach("a");
  auto b = net.Attach("b");
  auto c = net.Attach("c");
  net.SetDelay(absl::Milliseconds(5), absl::Milliseconds(5));
  const std::vector<uint8_t> msg = {1, 2, 3};
  CHECK_OK(a->SendToPeers(msg));
  CHECK(Drain(*b) == 0);
  clock.AdvanceTime(absl::Milliseconds(5));
  auto got = b->TryReceive();
  REQUIRE_OK(got);
  REQUIRE(got->has_value());
  CHECK(**got == msg);
  CHECK(Drain(*c) == 1);
  CHECK(Drain(*a) == 0);  // Not to itself.
}

TEST_CASE("partitions and loss drop datagrams; heal restores") {
  SimulatedClock clock;
  FakeNetwork net(clock, 1);
  auto a = net.Attach("a");
  auto b = net.Attach("b");
  auto c = net.Attach("c");
  net.Partition({{"a"}});
  CHECK_OK(a->SendToPeers(std::vector<uint8_t>{1}));
  CHECK_OK(b->SendToPeers(std::vector<uint8_t>{2}));
  CHECK(Drain(*a) == 0);
  CHECK(Drain(*b) == 0);
  CHECK(Drain(*c) == 1);  // b and c share the unnamed group.
  net.Heal();
  net.SetLoss(0.5);
  for (int i = 0; i < 1000; ++i) CHECK_OK(a->SendToPeers({1}));
  const int got = Drain(*b);
  CHECK(got > 400);
  CHECK(got < 600);
  CHECK(net.dropped() > 800);
}

TEST_CASE("a detached endpoint neither sends nor receives") {
  SimulatedClock clock;
  FakeNetwork net(clock, 1);
  auto a = net.Attach("a");
  auto b = net.Attach("b");
  auto a2 = net.Attach("a");  // Restarted: replaces the old endpoint.
  CHECK_STATUS(a->SendToPeers({1}), absl::StatusCode::kUnavailable, "detached");
  CHECK_OK(b->SendToPeers({1}));
  CHECK(Drain(*a2) == 1);
  b.reset();
  CHECK_OK(a2->SendToPeers({1}));
  CHECK(net.delivered() == 1);
}

// Waits (in real time, bounded) until `n` threads block on `clock`.
bool WaitForWaiters(SimulatedClock& clock, int n) {
  const auto limit =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (clock.WaiterCount() < n) {
    if (std::chrono::steady_clock::now() > limit) return false;
    std::this_thread::yield();
  }
  return true;
}

// The outcome of `f`, if it finishes within 10 s of real time.
std::optional<absl::StatusOr<bool>> Within10s(
    std::future<absl::StatusOr<bool>>& f) {
  if (f.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
    return std::nullopt;
  }
  return f.get();
}

TEST_CASE("a past deadline makes WaitReadable a check that never blocks") {
  SimulatedClock clock;
  FakeNetwork net(clock, 1);
  auto a = net.Attach("a");
  auto b = net.Attach("b");
  net.SetDelay(absl::Milliseconds(5), absl::Milliseconds(5));
  ASSIGN_OR_FAIL(bool ready, b->WaitReadable(MonoTime::InfinitePast()));
  CHECK_FALSE(ready);
  CHECK_OK(a->SendToPeers({1}));
  ASSIGN_OR_FAIL(ready, b->WaitReadable(clock.Monotonic()));
  CHECK_FALSE(ready);  // Still in flight.
  clock.AdvanceTime(absl::Milliseconds(5));
  ASSIGN_OR_FAIL(ready, b->WaitReadable(clock.Monotonic()));
  CHECK(ready);
  CHECK(Drain(*b) == 1);
  ASSIGN_OR_FAIL(ready, b->WaitReadable(clock.Monotonic()));
  CHECK_FALSE(ready);
}

TEST_CASE("WaitReadable returns when a delayed datagram becomes due") {
  SimulatedClock clock;
  FakeNetwork net(clock, 1);
  auto a = net.Attach("a");
  auto b = net.Attach("b");
  net.SetDelay(absl::Milliseconds(20), absl::Milliseconds(20));
  CHECK_OK(a->SendToPeers({1}));
  auto waiter = std::async(std::launch::async, [&] {
    return b->WaitReadable(clock.Monotonic() + absl::Seconds(1));
  });
  REQUIRE(WaitForWaiters(clock, 1));
  clock.AdvanceTime(absl::Milliseconds(19));
  CHECK(waiter.wait_for(std::chrono::milliseconds(20)) ==
        std::future_status::timeout);
  clock.AdvanceTime(absl::Milliseconds(1));
  auto got = Within10s(waiter);
  REQUIRE(got.has_value());
  REQUIRE_OK(*got);
  CHECK(**got);
  CHECK(Drain(*b) == 1);
}

TEST_CASE("WaitReadable returns false at its deadline on the clock") {
  SimulatedClock clock;
  FakeNetwork net(clock, 1);
  auto b = net.Attach("b");
  const MonoTime deadline = clock.Monotonic() + absl::Milliseconds(300);
  auto waiter =
      std::async(std::launch::async, [&] { return b->WaitReadable(deadline); });
  REQUIRE(WaitForWaiters(clock, 1));
  clock.StepWallClock(absl::Seconds(30));  // Wall time does not count.
  CHECK(waiter.wait_for(std::chrono::milliseconds(20)) ==
        std::future_status::timeout);
  clock.AdvanceTime(absl::Milliseconds(300));
  auto got = Within10s(waiter);
  REQUIRE(got.has_value());
  REQUIRE_OK(*got);
  CHECK_FALSE(**got);
}

TEST_CASE("Wake ends the wait in progress, or the next one, once") {
  SimulatedClock clock;
  FakeNetwork net(clock, 1);
  auto b = net.Attach("b");
  auto waiter = std::async(std::launch::async, [&] {
    return b->WaitReadable(MonoTime::InfiniteFuture());
  });
  REQUIRE(WaitForWaiters(clock, 1));
  b->Wake();
  auto got = Within10s(waiter);
  REQUIRE(got.has_value());
  REQUIRE_OK(*got);
  CHECK(**got);
  // A wake before the wait is kept for it, and consumed by it.
  b->Wake();
  ASSIGN_OR_FAIL(bool ready, b->WaitReadable(MonoTime::InfiniteFuture()));
  CHECK(ready);
  ASSIGN_OR_FAIL(ready, b->WaitReadable(clock.Monotonic()));
  CHECK_FALSE(ready);
}

}  // namespace
}  // namespace lb::election
