#include "cmd/speaker/announcements.h"

#include <doctest/doctest.h>

namespace lb::speaker {
namespace {

// Test addresses as the maps key them.
IpAddress Ip(absl::string_view text) { return IpAddress::Parse(text).value(); }

// Adds `a` to the announcements of `s`.
void Add(channel::ReceivedState& s, channel::v1::Announcement a) {
  auto map = std::make_shared<channel::AnnouncementMap>(*s.announcements);
  (*map)[Ip(a.address())] = channel::Announcement::FromMessage(a);
  s.announcements = std::move(map);
}

channel::ReceivedState State() {
  channel::ReceivedState s;
  channel::v1::Announcement a;
  a.set_address("192.168.1.240");
  a.add_services("default/nginx");
  a.add_eligible_nodes("node-a");
  a.add_eligible_nodes("node-b");
  Add(s, a);
  channel::v1::Announcement b;
  b.set_address("2001:db8::1");
  b.add_services("default/v6");
  b.add_eligible_nodes("node-b");
  Add(s, b);
  return s;
}

TEST_CASE("desired state becomes one election request per address") {
  Announcements a;
  std::vector<election::AddressRequest> r = a.SetDesired(State());
  REQUIRE(r.size() == 2);
  CHECK(r[0].address == "192.168.1.240");
  CHECK(r[0].eligible == std::vector<std::string>{"node-a", "node-b"});
  CHECK_FALSE(r[0].all_nodes_eligible);
  CHECK(r[1].eligible == std::vector<std::string>{"node-b"});
}

TEST_CASE("Cluster-policy addresses are eligible on every candidate node") {
  channel::ReceivedState s = State();
  s.candidate_nodes = {"node-a", "node-b", "node-c"};
  for (const char* address : {"192.168.1.241", "192.168.1.242"}) {
    channel::v1::Announcement c;
    c.set_address(address);
    c.add_services("default/cluster");
    c.set_all_candidate_nodes(true);
    Add(s, c);
  }
  Announcements a;
  std::vector<election::AddressRequest> r = a.SetDesired(s);
  REQUIRE(r.size() == 4);
  CHECK(r[1].address == "192.168.1.241");
  CHECK(r[1].eligible ==
        std::vector<std::string>{"node-a", "node-b", "node-c"});
  CHECK_FALSE(r[1].all_nodes_eligible);
  // The two share one list rather than a copy each.
  CHECK(r[2].eligible.begin() == r[1].eligible.begin());
  // Explicit lists are kept as sent.
  CHECK(r[0].eligible == std::vector<std::string>{"node-a", "node-b"});
}

TEST_CASE("claims become responder addresses and MetalLB's log lines") {
  Announcements a;
  a.SetDesired(State());
  Announcements::Change c = a.SetClaimed({"192.168.1.240"});
  REQUIRE(c.addresses.size() == 1);
  CHECK(c.addresses[0].first.ToString() == "192.168.1.240");
  CHECK(c.log == std::vector<std::string>{
                     "default/nginx: announcable, making advertisement"});
  // The same claim again logs nothing.
  CHECK(a.SetClaimed({"192.168.1.240"}).log.empty());
  Announcements::Change both = a.SetClaimed({"192.168.1.240", "2001:db8::1"});
  CHECK(both.addresses.size() == 2);
  CHECK(both.log == std::vector<std::string>{
                        "default/v6: announcable, making advertisement"});
  Announcements::Change none = a.SetClaimed({});
  CHECK(none.addresses.empty());
  CHECK(none.log.size() == 2);
  CHECK(a.announced().empty());
}

TEST_CASE("a claim for an address the controller dropped is not announced") {
  Announcements a;
  a.SetDesired(State());
  a.SetDesired(channel::ReceivedState{});
  CHECK(a.SetClaimed({"192.168.1.240"}).addresses.empty());
}

}  // namespace
}  // namespace lb::speaker
