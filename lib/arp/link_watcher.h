// lib/arp/link_watcher.h
//
// The interface table lib/arp serves on, behind a small interface: a
// snapshot of links (name, MAC, flags, master, addresses) plus a file
// descriptor that polls readable when the table may have changed.
// lib/arp/netlink_link_watcher.h is the Linux implementation (libnl cache
// manager, event driven); lib/arp/fake_link_watcher.h is for tests.
//
//   std::unique_ptr<LinkWatcher> links = ...;
//   // on EPOLLIN of links->ReadyFd():
//   absl::StatusOr<bool> changed = links->Poll();
//   if (changed.ok() && *changed) Recompute(links->Links());
//
// Thread-safety: not thread-safe; use from one thread (or under a lock).

#ifndef LB_ARP_LINK_WATCHER_H_
#define LB_ARP_LINK_WATCHER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/arp/address.h"

namespace lb::arp {

// An address configured on a link.
struct LinkAddress {
  IpPrefix prefix;
  bool tentative = false;   // IPv6 DAD in progress.
  bool dad_failed = false;  // IPv6 DAD failed.
};

// One network interface as the kernel reports it.
struct Link {
  int ifindex = 0;
  std::string name;
  MacAddress mac;
  bool up = false;        // IFF_UP.
  bool lower_up = false;  // Carrier (IFF_LOWER_UP).
  bool loopback = false;  // IFF_LOOPBACK.
  bool noarp = false;     // IFF_NOARP.
  bool ethernet = false;  // ARPHRD_ETHER.
  int master = 0;         // ifindex of a bond/bridge/VRF it is enslaved to.
  std::vector<LinkAddress> addresses;

  // The first usable IPv6 link-local address, or :: if none.
  IpAddress Ipv6LinkLocal() const;
};

class LinkWatcher {
 public:
  virtual ~LinkWatcher() = default;

  // Polls readable when notifications are pending. Owned by the watcher.
  virtual int ReadyFd() const = 0;

  // Processes pending notifications without blocking. Returns true if the
  // table may have changed since the previous call. Unavailable if the
  // notification channel failed and the table could not be re-read.
  virtual absl::StatusOr<bool> Poll() = 0;

  // The current table, ordered by ifindex.
  virtual std::vector<Link> Links() const = 0;
};

}  // namespace lb::arp

#endif  // LB_ARP_LINK_WATCHER_H_
