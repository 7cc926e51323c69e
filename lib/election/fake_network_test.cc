#include "lib/election/fake_network.h"

#include <doctest/doctest.h>

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

}  // namespace
}  // namespace lb::election
