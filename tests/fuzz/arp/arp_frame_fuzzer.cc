// Fuzzes the ARP frame parser and the ARP responder decision: no input may
// crash, a parsed frame must survive a build/parse round trip unchanged, and
// a reply is only ever produced for an owned address.

#include <cstdint>
#include <cstdlib>

#include "lib/arp/decision.h"
#include "lib/arp/wire.h"

namespace {

using lb::IpAddress;

class OneAddress : public lb::arp::OwnershipView {
 public:
  lb::arp::Ownership Lookup(const IpAddress& a, int) const override {
    return a == IpAddress::V4(0xc0a801f0) ? lb::arp::Ownership::kOwned
                                          : lb::arp::Ownership::kNotOwned;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::Span<const uint8_t> in(data, size);
  lb::arp::MalformedReason why;
  absl::StatusOr<lb::arp::ArpFrame> f = lb::arp::ParseArpFrame(in, &why);
  if (f.ok() != (why == lb::arp::MalformedReason::kNone)) std::abort();
  if (f.ok()) {
    auto again = lb::arp::ParseArpFrame(lb::arp::BuildArpFrame(*f));
    if (!again.ok() || again->op != f->op || again->sender_ip != f->sender_ip ||
        again->target_ip != f->target_ip ||
        again->sender_mac != f->sender_mac ||
        again->target_mac != f->target_mac) {
      std::abort();
    }
  }
  lb::arp::InterfaceContext iface;
  iface.ifindex = 2;
  iface.mac = lb::arp::MacAddress({2, 0, 0, 0, 0, 1});
  OneAddress view;
  lb::arp::Decision d =
      lb::arp::DecideArp(iface, lb::arp::PacketType::kBroadcast, in, view);
  if (d.reply.has_value() &&
      (!d.address.has_value() || *d.address != IpAddress::V4(0xc0a801f0))) {
    std::abort();
  }
  return 0;
}
