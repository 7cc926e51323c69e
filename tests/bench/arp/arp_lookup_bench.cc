// Cost of answering one ARP request in the responder itself (parse, owned-
// address lookup, reply build, counters), without sockets: the Responder
// runs over in-memory fakes with 1 and with 10,000 owned addresses, and the
// bare decision function runs over a 10,000-entry hash set. Prints
// `name: value unit` lines.

#include <chrono>
#include <cstdio>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "lib/arp/decision.h"
#include "lib/arp/fake_link_watcher.h"
#include "lib/arp/fake_packet_conn.h"
#include "lib/arp/responder.h"
#include "lib/arp/wire.h"
#include "lib/base/simulated_clock.h"

namespace {

using lb::IpAddress;
using lb::arp::MacAddress;

const MacAddress kNodeMac({0x02, 0, 0, 0, 0, 0x0b});
const MacAddress kClientMac({0x02, 0, 0, 0, 0, 0x01});
const IpAddress kClientIp = IpAddress::V4(0x0a000001);

IpAddress Owned(int i) { return IpAddress::V4(0x0a010000 + i); }

double Seconds(std::chrono::steady_clock::time_point a,
               std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// ns per answered request through a running Responder with `owned`
// addresses: from queueing 4096 requests at once to the last reply sent, so
// the event loop's one wake-up is spread over the batch.
double ResponderCost(int owned, int requests) {
  lb::SimulatedClock clock(absl::FromUnixSeconds(1000));
  lb::arp::FakeLinkWatcher links;
  lb::arp::FakePacketConnFactory net;
  links.SetLink(lb::arp::EthernetLink(2, "eth0", kNodeMac, {"10.0.0.11/8"}));
  lb::arp::ResponderOptions options;
  options.announce.rounds = 1;
  options.announce.frames_per_second = 1e9;
  options.announce.burst = 1 << 30;
  options.receive_batch = 64;
  auto responder = lb::arp::Responder::Create(clock, links, net, options);
  if (!responder.ok()) return -1;
  std::vector<std::pair<IpAddress, lb::arp::AddressOptions>> set;
  for (int i = 0; i < owned; ++i) set.push_back({Owned(i), {}});
  if (!(*responder)->SetAddresses(set).ok()) return -1;
  lb::arp::FakePacketConn* conn = net.Conn(2, lb::arp::Protocol::kArp);
  if (!(*responder)->Start().ok()) return -1;
  // The announcements: one round, two frames per address.
  if (!conn->AwaitSent(2 * static_cast<size_t>(owned))) return -1;
  conn->TakeSent();
  std::vector<std::vector<uint8_t>> frames;
  for (int i = 0; i < 1024; ++i) {
    frames.push_back(lb::arp::BuildArpFrame(lb::arp::MakeArpRequest(
        kClientMac, kClientIp, Owned((i * 7919) % owned))));
  }
  double total = 0;
  int done = 0;
  constexpr int kBatch = 4096;
  while (done < requests) {
    std::vector<std::vector<uint8_t>> batch;
    batch.reserve(kBatch);
    for (int i = 0; i < kBatch; ++i) batch.push_back(frames[(done + i) % 1024]);
    auto t0 = std::chrono::steady_clock::now();
    conn->InjectAll(lb::arp::PacketType::kBroadcast, std::move(batch));
    if (!conn->AwaitSent(kBatch)) return -1;
    auto t1 = std::chrono::steady_clock::now();
    total += Seconds(t0, t1);
    done += kBatch;
    if (conn->TakeSent().size() != kBatch) return -1;
  }
  (*responder)->Stop();
  return total * 1e9 / done;
}

class SetView : public lb::arp::OwnershipView {
 public:
  absl::flat_hash_set<IpAddress> owned;
  lb::arp::Ownership Lookup(const IpAddress& a, int) const override {
    return owned.contains(a) ? lb::arp::Ownership::kOwned
                             : lb::arp::Ownership::kNotOwned;
  }
};

}  // namespace

int main() {
  const int kRequests = 200000;
  double one = ResponderCost(1, kRequests);
  double many = ResponderCost(10000, kRequests);
  std::printf("arp_responder_request_cost_1_owned: %.0f ns\n", one);
  std::printf("arp_responder_request_cost_10k_owned: %.0f ns\n", many);
  std::printf("arp_responder_10k_vs_1_owned: %.2f x\n", many / one);

  SetView view;
  for (int i = 0; i < 10000; ++i) view.owned.insert(Owned(i));
  lb::arp::InterfaceContext iface{2, "eth0", kNodeMac, IpAddress::V6({})};
  std::vector<std::vector<uint8_t>> frames;
  for (int i = 0; i < 1024; ++i) {
    frames.push_back(lb::arp::BuildArpFrame(lb::arp::MakeArpRequest(
        kClientMac, kClientIp, Owned((i * 7919) % 10000))));
  }
  size_t replies = 0;
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 2000000; ++i) {
    lb::arp::Decision d = lb::arp::DecideArp(
        iface, lb::arp::PacketType::kBroadcast, frames[i % 1024], view);
    replies += d.reply.has_value();
  }
  auto t1 = std::chrono::steady_clock::now();
  std::printf("arp_decision_cost_10k_owned: %.0f ns\n",
              Seconds(t0, t1) * 1e9 / 2000000);
  IpAddress probe = Owned(4242);
  volatile size_t hits = 0;
  t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 10000000; ++i) {
    hits = hits + view.owned.contains(Owned(i % 10000));
  }
  t1 = std::chrono::steady_clock::now();
  (void)probe;
  std::printf("arp_owned_lookup_cost_10k: %.1f ns\n",
              Seconds(t0, t1) * 1e9 / 10000000);
  return replies == 2000000 ? 0 : 1;
}
