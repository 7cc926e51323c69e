// lib/arp/internal/connection_set.h
//
// The responder's sockets: which PacketConns are open, one per (interface,
// protocol), and which IPv6 multicast groups each has joined. Reconcile()
// brings them to a wanted state computed from the owned addresses and the
// links (close what is no longer wanted, open what is missing, leave and
// join groups) and reports what failed, so that the caller can log it with
// interface names; a connection that failed to open is tried again by the
// next Reconcile.
//
//   ConnectionSet conns(factory, {/*opened=*/Watch, /*closing=*/Unwatch});
//   ConnectionSet::Wanted wanted;
//   wanted[{2, Protocol::kNdp}].insert(SolicitedNodeMulticast(vip6));
//   for (const ConnectionSet::Failure& f : conns.Reconcile(wanted)) Log(f);
//   PacketConn* conn = conns.Find({2, Protocol::kNdp});
//
// Thread-safety: not thread-safe; the owner serialises calls.

#ifndef LB_ARP_INTERNAL_CONNECTION_SET_H_
#define LB_ARP_INTERNAL_CONNECTION_SET_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "lib/arp/address.h"
#include "lib/arp/packet_conn.h"

namespace lb::arp {

// (ifindex, protocol).
using ConnKey = std::pair<int, Protocol>;

class ConnectionSet {
 public:
  // Called after a connection opens and before one closes (either may be
  // empty): the owner watches and unwatches its ReadyFd() here. A
  // connection whose `opened` hook fails is closed again (through
  // `closing`) and reported as a failed open.
  struct Hooks {
    std::function<absl::Status(const ConnKey&, PacketConn&)> opened;
    std::function<void(const ConnKey&, PacketConn&)> closing;
  };
  // The connections to have open, each with the groups it should have
  // joined (empty for ARP).
  using Wanted = std::map<ConnKey, std::set<IpAddress>>;
  // Something Reconcile could not do.
  struct Failure {
    ConnKey key;
    // The group that could not be joined; none if the open failed.
    std::optional<IpAddress> group;
    absl::Status status;
  };

  ConnectionSet(PacketConnFactory& factory, Hooks hooks);
  ~ConnectionSet();  // Closes every connection (calling `closing`).

  ConnectionSet(const ConnectionSet&) = delete;
  ConnectionSet& operator=(const ConnectionSet&) = delete;

  // Closes the connections not in `wanted`, opens the missing ones, leaves
  // the groups no longer wanted (a failed leave is forgotten: the group is
  // dropped with the connection at the latest) and joins the new ones.
  // Returns every open and join that failed, in key order.
  std::vector<Failure> Reconcile(const Wanted& wanted);

  // The open connection for `key`, or nullptr.
  PacketConn* Find(const ConnKey& key) const;
  // The groups joined on `key`'s connection (empty if it is not open).
  std::set<IpAddress> Groups(const ConnKey& key) const;
  // Every open connection, in key order.
  std::vector<std::pair<ConnKey, PacketConn*>> All() const;
  size_t size() const { return conns_.size(); }

 private:
  struct Conn {
    std::unique_ptr<PacketConn> conn;
    std::set<IpAddress> groups;
  };
  void Close(std::map<ConnKey, Conn>::iterator it);

  PacketConnFactory& factory_;
  const Hooks hooks_;
  std::map<ConnKey, Conn> conns_;
};

}  // namespace lb::arp

#endif  // LB_ARP_INTERNAL_CONNECTION_SET_H_
