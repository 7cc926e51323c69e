// cmd/channel/announcement.h
//
// One announcement as the publisher and the subscriber hold it: the fields of
// a v1::Announcement except its address, which is the key it is stored under,
// parsed once where it crosses the wire. The controller and every speaker hold
// one per address of the cluster; plain values in a B-tree take a fraction of
// the memory of messages in a map.

#ifndef LB_CMD_CHANNEL_ANNOUNCEMENT_H_
#define LB_CMD_CHANNEL_ANNOUNCEMENT_H_

#include <string>
#include <vector>

#include "absl/container/btree_map.h"
#include "cmd/channel/assignments.pb.h"
#include "lib/base/ip_address.h"

namespace lb::channel {

struct Announcement {
  // namespace/name of every Service using the address.
  std::vector<std::string> services;
  // Nodes that may announce, sorted; empty when all_candidate_nodes.
  std::vector<std::string> eligible_nodes;
  // Every node in the state's candidate_nodes may announce.
  bool all_candidate_nodes = false;

  // Moves the fields out of `message`.
  static Announcement FromMessage(v1::Announcement& message);
  // Writes the announcement of `address` into `out` (which may be on an
  // arena).
  void ToMessage(const IpAddress& address, v1::Announcement* out) const;

  friend bool operator==(const Announcement& a, const Announcement& b) {
    return a.all_candidate_nodes == b.all_candidate_nodes &&
           a.services == b.services && a.eligible_nodes == b.eligible_nodes;
  }
  friend bool operator!=(const Announcement& a, const Announcement& b) {
    return !(a == b);
  }
};

// Announcements by address.
using AnnouncementMap = absl::btree_map<IpAddress, Announcement>;

}  // namespace lb::channel

#endif  // LB_CMD_CHANNEL_ANNOUNCEMENT_H_
