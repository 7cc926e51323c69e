#include "cmd/channel/announcement.h"

#include <utility>

namespace lb::channel {

Announcement Announcement::FromMessage(v1::Announcement& message) {
  Announcement a;
  a.services.reserve(message.services_size());
  for (std::string& s : *message.mutable_services()) {
    a.services.push_back(std::move(s));
  }
  a.eligible_nodes.reserve(message.eligible_nodes_size());
  for (std::string& n : *message.mutable_eligible_nodes()) {
    a.eligible_nodes.push_back(std::move(n));
  }
  a.all_candidate_nodes = message.all_candidate_nodes();
  return a;
}

void Announcement::ToMessage(const IpAddress& address,
                             v1::Announcement* out) const {
  out->set_address(address.ToString());
  out->mutable_services()->Add(services.begin(), services.end());
  out->mutable_eligible_nodes()->Add(eligible_nodes.begin(),
                                     eligible_nodes.end());
  out->set_all_candidate_nodes(all_candidate_nodes);
}

}  // namespace lb::channel
