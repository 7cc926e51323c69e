// Feeds arbitrary bytes to the speaker's side of the channel as a controller
// update, applied on top of a valid snapshot. Nothing may crash, and whatever
// is accepted must lie inside the pools the same state carries: a speaker never
// announces an address outside its configured pools.

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "cmd/channel/assignments.pb.h"
#include "cmd/channel/subscriber.h"
#include "lib/base/ip_address.h"
#include "lib/ipam/pool.h"
#include "lib/ipam/prefix.h"

namespace {

using lb::channel::ReceivedState;
using lb::channel::v1::Update;

lb::channel::v1::Update Snapshot() {
  Update u;
  u.set_snapshot(true);
  u.set_generation(1);
  lb::channel::v1::Pool* p = u.add_pools();
  p->set_name("my-ip-space");
  p->set_protocol("arp");
  p->add_ranges("192.168.1.240/28");
  lb::channel::v1::Announcement* a = u.add_upserts();
  a->set_address("192.168.1.240");
  a->add_services("default/nginx");
  a->add_eligible_nodes("node-a");
  return u;
}

// Every announced address lies in one of the state's pools.
void CheckInsidePools(const ReceivedState& s) {
  std::vector<lb::ipam::PoolSpace> spaces;
  for (const lb::channel::v1::Pool& p : s.pools) {
    lb::ipam::Pool pool;
    pool.name = p.name();
    for (const std::string& r : p.ranges()) {
      absl::StatusOr<lb::ipam::IpRange> range = lb::ipam::IpRange::Parse(r);
      if (range.ok()) pool.ranges.push_back(*range);
    }
    spaces.emplace_back(pool);
  }
  for (const auto& [address, a] : *s.announcements) {
    bool inside = false;
    for (const lb::ipam::PoolSpace& space : spaces) {
      inside = inside || space.Contains(address);
    }
    if (!inside) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Update update;
  if (!update.ParseFromArray(data, static_cast<int>(size))) return 0;
  // Never started: no connection is made.
  lb::channel::Subscriber sub(
      grpc::CreateChannel("127.0.0.1:1", grpc::InsecureChannelCredentials()),
      {.node = "node-a"}, [](const ReceivedState& s) { CheckInsidePools(s); });
  if (!sub.Apply(Snapshot()).ok()) std::abort();
  (void)sub.Apply(update);  // A change, or a snapshot replacing the first.
  CheckInsidePools(sub.Snapshot());
  return 0;
}
