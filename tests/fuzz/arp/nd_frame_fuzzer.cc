// Fuzzes the ICMPv6 neighbour-discovery parser and the NDP responder
// decision: no input may crash, a parsed message must survive a build/parse
// round trip, and replies are only produced for an owned address.

#include <cstdint>
#include <cstdlib>

#include "lib/arp/decision.h"
#include "lib/arp/wire.h"

namespace {

using lb::IpAddress;

IpAddress Owned() {
  return IpAddress::V6(
      {0xfd, 0x77, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x40});
}

class OneAddress : public lb::arp::OwnershipView {
 public:
  lb::arp::Ownership Lookup(const IpAddress& a, int) const override {
    return a == Owned() ? lb::arp::Ownership::kOwned
                        : lb::arp::Ownership::kNotOwned;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::Span<const uint8_t> in(data, size);
  lb::arp::MalformedReason why;
  absl::StatusOr<lb::arp::NdFrame> f = lb::arp::ParseNdFrame(in, &why);
  if (f.ok() != (why == lb::arp::MalformedReason::kNone)) std::abort();
  if (f.ok()) {
    auto again = lb::arp::ParseNdFrame(lb::arp::BuildNdFrame(*f));
    if (!again.ok() || again->type != f->type || again->target != f->target ||
        again->source != f->source || again->solicited != f->solicited ||
        again->override_flag != f->override_flag) {
      std::abort();
    }
  }
  lb::arp::InterfaceContext iface;
  iface.ifindex = 2;
  iface.mac = lb::arp::MacAddress({2, 0, 0, 0, 0, 1});
  OneAddress view;
  lb::arp::Decision d =
      lb::arp::DecideNd(iface, lb::arp::PacketType::kMulticast, in, view);
  if (d.reply.has_value() &&
      (!d.address.has_value() || *d.address != Owned())) {
    std::abort();
  }
  return 0;
}
