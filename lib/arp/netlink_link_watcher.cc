#include "lib/arp/netlink_link_watcher.h"

#include <linux/if_arp.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>

#include <map>

#include "absl/strings/str_cat.h"

#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000
#endif
#ifndef IFA_F_DADFAILED
#define IFA_F_DADFAILED 0x08
#endif
#ifndef IFA_F_TENTATIVE
#define IFA_F_TENTATIVE 0x40
#endif

namespace lb::arp {
namespace {

absl::Status NlError(absl::string_view what, int err) {
  return absl::UnavailableError(
      absl::StrCat(what, ": ", nl_geterror(err < 0 ? -err : err)));
}

}  // namespace

void NetlinkLinkWatcher::OnChange(nl_cache*, nl_object*, int, void* arg) {
  static_cast<NetlinkLinkWatcher*>(arg)->changed_ = true;
}

absl::StatusOr<std::unique_ptr<NetlinkLinkWatcher>>
NetlinkLinkWatcher::Create() {
  std::unique_ptr<NetlinkLinkWatcher> w(new NetlinkLinkWatcher());
  int err =
      nl_cache_mngr_alloc(nullptr, NETLINK_ROUTE, NL_AUTO_PROVIDE, &w->mngr_);
  if (err < 0) return NlError("nl_cache_mngr_alloc", err);
  err =
      nl_cache_mngr_add(w->mngr_, "route/link", &OnChange, w.get(), &w->links_);
  if (err < 0) return NlError("watching links", err);
  err =
      nl_cache_mngr_add(w->mngr_, "route/addr", &OnChange, w.get(), &w->addrs_);
  if (err < 0) return NlError("watching addresses", err);
  w->refill_ = nl_socket_alloc();
  if (w->refill_ == nullptr) {
    return absl::UnavailableError("nl_socket_alloc failed");
  }
  err = nl_connect(w->refill_, NETLINK_ROUTE);
  if (err < 0) return NlError("nl_connect", err);
  return w;
}

NetlinkLinkWatcher::~NetlinkLinkWatcher() {
  // The manager owns the caches it handed out.
  if (mngr_ != nullptr) nl_cache_mngr_free(mngr_);
  if (refill_ != nullptr) nl_socket_free(refill_);
}

int NetlinkLinkWatcher::ReadyFd() const { return nl_cache_mngr_get_fd(mngr_); }

absl::StatusOr<bool> NetlinkLinkWatcher::Poll() {
  int err = nl_cache_mngr_data_ready(mngr_);
  if (err < 0) {
    // An overrun (ENOBUFS, reported as NLE_NOMEM) loses events: re-read.
    int e1 = nl_cache_refill(refill_, links_);
    int e2 = nl_cache_refill(refill_, addrs_);
    if (e1 < 0 || e2 < 0) {
      return NlError("re-reading links and addresses after a netlink error",
                     e1 < 0 ? e1 : e2);
    }
    changed_ = true;
  }
  bool changed = changed_;
  changed_ = false;
  return changed;
}

std::vector<Link> NetlinkLinkWatcher::Links() const {
  std::map<int, Link> out;
  for (nl_object* o = nl_cache_get_first(links_); o != nullptr;
       o = nl_cache_get_next(o)) {
    rtnl_link* l = reinterpret_cast<rtnl_link*>(o);
    Link link;
    link.ifindex = rtnl_link_get_ifindex(l);
    const char* name = rtnl_link_get_name(l);
    link.name = name != nullptr ? name : "";
    nl_addr* mac = rtnl_link_get_addr(l);
    if (mac != nullptr && nl_addr_get_len(mac) == 6) {
      link.mac = MacAddress::FromBytes(
          static_cast<const uint8_t*>(nl_addr_get_binary_addr(mac)));
    }
    unsigned flags = rtnl_link_get_flags(l);
    link.up = (flags & IFF_UP) != 0;
    link.lower_up = (flags & IFF_LOWER_UP) != 0;
    link.loopback = (flags & IFF_LOOPBACK) != 0;
    link.noarp = (flags & IFF_NOARP) != 0;
    link.ethernet = rtnl_link_get_arptype(l) == ARPHRD_ETHER;
    link.master = rtnl_link_get_master(l);
    out[link.ifindex] = std::move(link);
  }
  for (nl_object* o = nl_cache_get_first(addrs_); o != nullptr;
       o = nl_cache_get_next(o)) {
    rtnl_addr* a = reinterpret_cast<rtnl_addr*>(o);
    auto it = out.find(rtnl_addr_get_ifindex(a));
    nl_addr* local = rtnl_addr_get_local(a);
    if (it == out.end() || local == nullptr) continue;
    IpAddress ip;
    int family = rtnl_addr_get_family(a);
    const uint8_t* bytes =
        static_cast<const uint8_t*>(nl_addr_get_binary_addr(local));
    if (family == AF_INET && nl_addr_get_len(local) == 4) {
      ip = IpAddress::V4FromBytes(bytes);
    } else if (family == AF_INET6 && nl_addr_get_len(local) == 16) {
      ip = IpAddress::V6FromBytes(bytes);
    } else {
      continue;
    }
    absl::StatusOr<IpPrefix> prefix =
        IpPrefix::Create(ip, rtnl_addr_get_prefixlen(a));
    if (!prefix.ok()) continue;
    unsigned flags = rtnl_addr_get_flags(a);
    it->second.addresses.push_back({*prefix, (flags & IFA_F_TENTATIVE) != 0,
                                    (flags & IFA_F_DADFAILED) != 0});
  }
  std::vector<Link> result;
  for (auto& [index, link] : out) result.push_back(std::move(link));
  return result;
}

}  // namespace lb::arp
