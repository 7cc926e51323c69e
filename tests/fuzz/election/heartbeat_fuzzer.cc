// Fuzzes the heartbeat datagram parser and the membership code that handles
// what arrives from the LAN. Properties: any input decodes or fails with
// kInvalidArgument / kUnauthenticated, never crashes; whatever decodes
// re-encodes to the same bytes; a Membership fed the datagram counts it and
// keeps running.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "lib/base/simulated_clock.h"
#include "lib/election/fake_network.h"
#include "lib/election/heartbeat.h"
#include "lib/election/lease_store.h"
#include "lib/election/membership.h"

namespace {

// The key the corpus files were signed with.
constexpr char kKey[] = "fuzz-cluster-key-0123456789";

struct World {
  World() : network(clock, 1) {
    injector = network.Attach("injector");
    receiver_transport = network.Attach("receiver");
    lb::election::MembershipOptions o;
    o.node = "receiver";
    o.hmac_key = kKey;
    membership = std::move(*lb::election::Membership::Create(
        store, *receiver_transport, clock, o));
    (void)membership->SetAddresses({{"192.0.2.1", {}, true}});
  }
  lb::SimulatedClock clock;
  lb::election::InMemoryLeaseStore store;
  lb::election::FakeNetwork network;
  std::unique_ptr<lb::election::HeartbeatTransport> injector;
  std::unique_ptr<lb::election::HeartbeatTransport> receiver_transport;
  std::unique_ptr<lb::election::Membership> membership;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static World* world = new World();
  absl::StatusOr<lb::election::Heartbeat> hb =
      lb::election::DecodeHeartbeat({data, size}, kKey);
  if (hb.ok()) {
    std::vector<uint8_t> again = lb::election::EncodeHeartbeat(*hb, kKey);
    if (again != std::vector<uint8_t>(data, data + size)) std::abort();
  } else if (!absl::IsInvalidArgument(hb.status()) &&
             !absl::IsUnauthenticated(hb.status())) {
    std::abort();
  }
  const auto before = world->membership->Snapshot().stats;
  (void)world->injector->SendToPeers({data, size});
  world->clock.AdvanceTime(absl::Milliseconds(1));
  world->membership->PollNetwork();
  const auto after = world->membership->Snapshot().stats;
  const int64_t handled =
      (after.heartbeats_received - before.heartbeats_received) +
      (after.heartbeats_malformed - before.heartbeats_malformed) +
      (after.heartbeats_unauthenticated - before.heartbeats_unauthenticated) +
      (after.heartbeats_replayed - before.heartbeats_replayed);
  // Every datagram is accounted for, except the receiver's own name.
  if (handled != 1 && !(hb.ok() && hb->node == "receiver")) std::abort();
  return 0;
}
