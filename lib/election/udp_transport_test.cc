// Runs in a private network namespace created by this process (root), so
// the datagrams never leave it.
#include "lib/election/udp_transport.h"

#include <doctest/doctest.h>
#include <net/if.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <thread>
#include <vector>

#include "lib/base/clock.h"
#include "lib/election/lease_store.h"
#include "lib/election/membership.h"
#include "tests/status_matchers.h"

namespace lb::election {
namespace {

// Moves this process into a fresh, anonymous network namespace (freed when
// the process exits) and brings its loopback up.
void EnterPrivateNetns() {
  static bool done = false;
  if (done) return;
  INFO("unshare(CLONE_NEWNET): ", strerror(errno));
  REQUIRE(unshare(CLONE_NEWNET) == 0);
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  REQUIRE(fd >= 0);
  ifreq ifr;
  memset(&ifr, 0, sizeof(ifr));
  strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  REQUIRE(ioctl(fd, SIOCGIFFLAGS, &ifr) == 0);
  ifr.ifr_flags |= IFF_UP;
  REQUIRE(ioctl(fd, SIOCSIFFLAGS, &ifr) == 0);
  close(fd);
  done = true;
}

TEST_CASE("bad endpoints are rejected by name") {
  RealClock clock;
  CHECK_STATUS(UdpTransport::Create("127.0.0.1", clock),
               absl::StatusCode::kInvalidArgument, "port");
  CHECK_STATUS(UdpTransport::Create("host:80", clock),
               absl::StatusCode::kInvalidArgument, "not an IPv4");
  CHECK_STATUS(UdpTransport::Create("127.0.0.1:70000", clock),
               absl::StatusCode::kInvalidArgument, "0..65535");
  CHECK_STATUS(UdpTransport::Create("[zz]:1", clock),
               absl::StatusCode::kInvalidArgument, "IPv6");
}

TEST_CASE("datagrams go to every peer over loopback") {
  EnterPrivateNetns();
  RealClock clock;
  ASSIGN_OR_FAIL(auto a, UdpTransport::Create("127.0.0.1:0", clock));
  ASSIGN_OR_FAIL(auto b, UdpTransport::Create("127.0.0.1:0", clock));
  ASSIGN_OR_FAIL(auto c, UdpTransport::Create("[::1]:0", clock));
  CHECK_STATUS(a->SetPeers({"127.0.0.1:1", "bogus"}),
               absl::StatusCode::kInvalidArgument, "bogus");
  REQUIRE_OK(a->SetPeers({b->LocalAddress()}));
  ASSIGN_OR_FAIL(auto a6, UdpTransport::Create("[::1]:0", clock));
  REQUIRE_OK(a6->SetPeers({c->LocalAddress()}));
  auto nothing = b->TryReceive();
  REQUIRE_OK(nothing);
  CHECK_FALSE(nothing->has_value());
  const std::vector<uint8_t> msg = {7, 8, 9};
  REQUIRE_OK(a->SendToPeers(msg));
  REQUIRE_OK(a6->SendToPeers(msg));
  for (HeartbeatTransport* t : {static_cast<HeartbeatTransport*>(b.get()),
                                static_cast<HeartbeatTransport*>(c.get())}) {
    std::optional<std::vector<uint8_t>> got;
    const MonoTime deadline = clock.Monotonic() + absl::Seconds(1);
    while (!got && clock.Monotonic() < deadline) {
      REQUIRE_OK(t->WaitReadable(deadline));
      auto r = t->TryReceive();
      REQUIRE_OK(r);
      got = *r;
    }
    REQUIRE(got.has_value());
    CHECK(*got == msg);
  }
}

TEST_CASE("a peer that cannot be sent to does not stop the others") {
  EnterPrivateNetns();
  RealClock clock;
  ASSIGN_OR_FAIL(auto a, UdpTransport::Create("127.0.0.1:0", clock));
  ASSIGN_OR_FAIL(auto b, UdpTransport::Create("127.0.0.1:0", clock));
  ASSIGN_OR_FAIL(auto c, UdpTransport::Create("127.0.0.1:0", clock));
  // The namespace has only loopback: 198.51.100.1 has no route, so sending
  // to it fails at once (ENETUNREACH), between two peers that work.
  REQUIRE_OK(
      a->SetPeers({b->LocalAddress(), "198.51.100.1:7946", c->LocalAddress()}));
  const std::vector<uint8_t> msg = {1, 2, 3};
  REQUIRE_OK(a->SendToPeers(msg));
  for (HeartbeatTransport* t : {static_cast<HeartbeatTransport*>(b.get()),
                                static_cast<HeartbeatTransport*>(c.get())}) {
    std::optional<std::vector<uint8_t>> got;
    const MonoTime deadline = clock.Monotonic() + absl::Seconds(1);
    while (!got && clock.Monotonic() < deadline) {
      REQUIRE_OK(t->WaitReadable(deadline));
      auto r = t->TryReceive();
      REQUIRE_OK(r);
      got = *r;
    }
    REQUIRE(got.has_value());
    CHECK(*got == msg);
  }
  // Reaching no peer at all is an error that says why.
  REQUIRE_OK(a->SetPeers({"198.51.100.1:7946", "198.51.100.2:7946"}));
  CHECK_STATUS(a->SendToPeers(msg), absl::StatusCode::kUnavailable,
               "reached none of 2 peers: Network is unreachable");
}

TEST_CASE("WaitReadable wakes on a datagram, on Wake() and at its deadline") {
  EnterPrivateNetns();
  RealClock clock;
  ASSIGN_OR_FAIL(auto a, UdpTransport::Create("127.0.0.1:0", clock));
  ASSIGN_OR_FAIL(auto b, UdpTransport::Create("127.0.0.1:0", clock));
  REQUIRE_OK(a->SetPeers({b->LocalAddress()}));
  // Nothing waiting: a past deadline returns at once, a near one on time.
  ASSIGN_OR_FAIL(bool ready, b->WaitReadable(MonoTime::InfinitePast()));
  CHECK_FALSE(ready);
  const MonoTime start = clock.Monotonic();
  ASSIGN_OR_FAIL(ready, b->WaitReadable(start + absl::Milliseconds(30)));
  CHECK_FALSE(ready);
  CHECK(clock.Monotonic() - start >= absl::Milliseconds(30));
  // A datagram ends an unbounded wait.
  std::thread sender([&] { CHECK_OK(a->SendToPeers({1, 2})); });
  ASSIGN_OR_FAIL(ready, b->WaitReadable(MonoTime::InfiniteFuture()));
  sender.join();
  CHECK(ready);
  ASSIGN_OR_FAIL(auto got, b->TryReceive());
  CHECK(got == std::vector<uint8_t>{1, 2});
  // So does Wake() from another thread, and a wake is consumed once.
  std::thread waker([&] { b->Wake(); });
  ASSIGN_OR_FAIL(ready, b->WaitReadable(MonoTime::InfiniteFuture()));
  waker.join();
  CHECK(ready);
  ASSIGN_OR_FAIL(ready, b->WaitReadable(MonoTime::InfinitePast()));
  CHECK_FALSE(ready);
}

TEST_CASE("two speakers over real UDP agree on owners and fail over") {
  EnterPrivateNetns();
  RealClock clock;
  InMemoryLeaseStore store;
  ASSIGN_OR_FAIL(auto ta, UdpTransport::Create("127.0.0.1:0", clock));
  ASSIGN_OR_FAIL(auto tb, UdpTransport::Create("127.0.0.1:0", clock));
  REQUIRE_OK(ta->SetPeers({tb->LocalAddress()}));
  REQUIRE_OK(tb->SetPeers({ta->LocalAddress()}));
  auto options = [](const char* node) {
    MembershipOptions o;
    o.node = node;
    o.hmac_key = "udp-test-key-0123456789";
    return o;
  };
  ASSIGN_OR_FAIL(auto a, Membership::Create(store, *ta, clock, options("a")));
  ASSIGN_OR_FAIL(auto b, Membership::Create(store, *tb, clock, options("b")));
  std::vector<AddressRequest> requests;
  for (int i = 0; i < 20; ++i) {
    requests.push_back({"10.0.0." + std::to_string(i), {}, true});
  }
  REQUIRE_OK(a->SetAddresses(requests));
  REQUIRE_OK(b->SetAddresses(requests));
  std::vector<std::thread> threads;
  threads.emplace_back([&] { a->RunNetworkLoop(); });
  threads.emplace_back([&] { a->RunStoreLoop(); });
  threads.emplace_back([&] { b->RunNetworkLoop(); });
  threads.emplace_back([&] { b->RunStoreLoop(); });
  bool settled = false;
  for (int i = 0; i < 500 && !settled; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    settled = a->Claimed().size() + b->Claimed().size() == 20 &&
              !a->Claimed().empty() && !b->Claimed().empty();
  }
  CHECK(settled);
  // b leaves gracefully: a takes everything.
  REQUIRE_OK(b->Leave());
  bool took_over = false;
  for (int i = 0; i < 500 && !took_over; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    took_over = a->Claimed().size() == 20;
  }
  CHECK(took_over);
  CHECK(a->Snapshot().stats.peers_left == 1);
  a->Stop();
  b->Stop();
  for (auto& t : threads) t.join();
}

}  // namespace
}  // namespace lb::election
