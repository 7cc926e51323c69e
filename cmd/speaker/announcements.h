// cmd/speaker/announcements.h
//
// The speaker's bookkeeping between its three parts: what the controller asks
// to be announced (channel::ReceivedState), which of those addresses this node
// owns (lib/election's claims), and what the responder answers for (lib/arp).
// Pure: no I/O.
//
// Thread-safety: not thread-safe; the daemon serialises calls.

#ifndef LB_CMD_SPEAKER_ANNOUNCEMENTS_H_
#define LB_CMD_SPEAKER_ANNOUNCEMENTS_H_

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cmd/channel/subscriber.h"
#include "lib/arp/address.h"
#include "lib/arp/responder.h"
#include "lib/election/ownership.h"

namespace lb::speaker {

class Announcements {
 public:
  // Records the controller's latest desired state and returns the requests for
  // lib/election: one per address, with the nodes eligible for it.
  std::vector<election::AddressRequest> SetDesired(
      const channel::ReceivedState& state);

  struct Change {
    // The complete set for Responder::SetAddresses.
    std::vector<std::pair<IpAddress, arp::AddressOptions>> addresses;
    // One line per Service whose announcement started or stopped on this node,
    // in MetalLB's words.
    std::vector<std::string> log;
  };
  // This node now claims exactly `claimed` (addresses as text, as
  // lib/election names them: ToString() of the desired state's keys).
  Change SetClaimed(const std::vector<std::string>& claimed);

  // Addresses this node answers for, with their Services.
  const std::map<IpAddress, std::vector<std::string>>& announced() const {
    return announced_;
  }

 private:
  // The controller's latest desired state (shared with the subscriber).
  std::shared_ptr<const channel::AnnouncementMap> desired_ =
      std::make_shared<const channel::AnnouncementMap>();
  std::map<IpAddress, std::vector<std::string>> announced_;
};

}  // namespace lb::speaker

#endif  // LB_CMD_SPEAKER_ANNOUNCEMENTS_H_
