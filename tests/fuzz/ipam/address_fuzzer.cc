// Parses arbitrary text as an address, prefix and range; whatever parses must
// print back to text that parses to the same value.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "lib/base/ip_address.h"
#include "lib/ipam/prefix.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  if (absl::StatusOr<lb::IpAddress> a = lb::IpAddress::Parse(text); a.ok()) {
    absl::StatusOr<lb::IpAddress> again = lb::IpAddress::Parse(a->ToString());
    if (!again.ok() || *again != *a) std::abort();
  }
  if (absl::StatusOr<lb::ipam::Prefix> p = lb::ipam::Prefix::Parse(text);
      p.ok()) {
    absl::StatusOr<lb::ipam::Prefix> again =
        lb::ipam::Prefix::Parse(p->ToString());
    if (!again.ok() || *again != *p || !p->Contains(p->last())) std::abort();
  }
  if (absl::StatusOr<lb::ipam::IpRange> r = lb::ipam::IpRange::Parse(text);
      r.ok()) {
    absl::StatusOr<lb::ipam::IpRange> again =
        lb::ipam::IpRange::Parse(r->ToString());
    if (!again.ok() || !(*again == *r) || r->Size() == 0) std::abort();
  }
  return 0;
}
