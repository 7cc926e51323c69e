#include "lib/arp/link_watcher.h"

namespace lb::arp {

IpAddress Link::Ipv6LinkLocal() const {
  for (const LinkAddress& a : addresses) {
    const IpAddress& ip = a.prefix.address();
    if (ip.is_v6() && ip.IsLinkLocal() && !a.tentative && !a.dad_failed) {
      return ip;
    }
  }
  return IpAddress::V6({});
}

}  // namespace lb::arp
