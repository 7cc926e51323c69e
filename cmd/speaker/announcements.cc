#include "cmd/speaker/announcements.h"

#include "absl/strings/str_cat.h"

namespace lb::speaker {

std::vector<election::AddressRequest> Announcements::SetDesired(
    const channel::ReceivedState& state) {
  desired_ = state.announcements;
  std::vector<election::AddressRequest> requests;
  requests.reserve(desired_->size());
  // Equal lists share one allocation: all Cluster-policy addresses use the
  // candidates, and Local-policy Services often have the same nodes.
  const election::NodeList candidates(state.candidate_nodes);
  std::map<std::vector<std::string>, election::NodeList> interned;
  for (const auto& [address, a] : *desired_) {
    election::AddressRequest r;
    r.address = address.ToString();
    if (a.all_candidate_nodes) {
      r.eligible = candidates;
    } else {
      auto it = interned.find(a.eligible_nodes);
      if (it == interned.end()) {
        it = interned.emplace(a.eligible_nodes, a.eligible_nodes).first;
      }
      r.eligible = it->second;
    }
    requests.push_back(std::move(r));
  }
  return requests;
}

Announcements::Change Announcements::SetClaimed(
    const std::vector<std::string>& claimed) {
  Change change;
  std::map<IpAddress, std::vector<std::string>> next;
  for (const std::string& text : claimed) {
    // Claims name addresses of the desired state, whose keys were parsed
    // when they arrived; one that does not parse was never desired.
    absl::StatusOr<IpAddress> address = IpAddress::Parse(text);
    if (!address.ok()) continue;
    auto desired = desired_->find(*address);
    // A claim for something the controller no longer wants is not announced.
    if (desired == desired_->end()) continue;
    next[*address] = desired->second.services;
    change.addresses.push_back({*address, arp::AddressOptions{}});
  }
  for (const auto& [address, services] : next) {
    if (announced_.count(address)) continue;
    for (const std::string& s : services) {
      change.log.push_back(
          absl::StrCat(s, ": announcable, making advertisement"));
    }
  }
  for (const auto& [address, services] : announced_) {
    if (next.count(address)) continue;
    for (const std::string& s : services) {
      change.log.push_back(absl::StrCat(s, ": not announcing ",
                                        address.ToString(),
                                        " from this node any more"));
    }
  }
  announced_ = std::move(next);
  return change;
}

}  // namespace lb::speaker
