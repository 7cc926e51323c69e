// lib/arp/netlink_link_watcher.h
//
// The Linux LinkWatcher: a libnl cache manager over rtnetlink with link and
// address caches. Notifications (links appearing, disappearing, going up or
// down, MAC and master changes, addresses added or removed) arrive on
// ReadyFd(); Poll() applies them. If the kernel reports a notification
// overrun, both caches are re-read from scratch. No polling timer.
//
//   ASSIGN_OR_RETURN(std::unique_ptr<NetlinkLinkWatcher> links,
//                    NetlinkLinkWatcher::Create());
//   auto responder = Responder::Create(clock, *links, packets, options);
//
// Thread-safety: not thread-safe (libnl caches are not); the Responder
// serialises its calls.

#ifndef LB_ARP_NETLINK_LINK_WATCHER_H_
#define LB_ARP_NETLINK_LINK_WATCHER_H_

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/arp/link_watcher.h"

struct nl_cache;
struct nl_cache_mngr;
struct nl_object;
struct nl_sock;

namespace lb::arp {

class NetlinkLinkWatcher final : public LinkWatcher {
 public:
  // Subscribes to link and address notifications in the current network
  // namespace and reads both tables. Unavailable if netlink cannot be set up.
  static absl::StatusOr<std::unique_ptr<NetlinkLinkWatcher>> Create();
  ~NetlinkLinkWatcher() override;

  int ReadyFd() const override;
  absl::StatusOr<bool> Poll() override;
  std::vector<Link> Links() const override;

 private:
  NetlinkLinkWatcher() = default;
  static void OnChange(nl_cache* cache, nl_object* obj, int action, void* arg);

  nl_cache_mngr* mngr_ = nullptr;
  nl_sock* refill_ = nullptr;
  nl_cache* links_ = nullptr;
  nl_cache* addrs_ = nullptr;
  bool changed_ = true;
};

}  // namespace lb::arp

#endif  // LB_ARP_NETLINK_LINK_WATCHER_H_
