#include "cmd/channel/publisher.h"

#include <doctest/doctest.h>

#include "absl/strings/str_cat.h"

namespace lb::channel {
namespace {

// Test addresses as the maps key them.
IpAddress Ip(absl::string_view text) { return IpAddress::Parse(text).value(); }

v1::Announcement Ann(const std::string& address, const std::string& service,
                     std::vector<std::string> nodes = {"node-a"}) {
  v1::Announcement a;
  a.set_address(address);
  a.add_services(service);
  for (const std::string& n : nodes) a.add_eligible_nodes(n);
  return a;
}

DesiredState State(std::vector<v1::Announcement> anns) {
  DesiredState s;
  for (v1::Announcement& a : anns) {
    s.announcements[Ip(a.address())] = Announcement::FromMessage(a);
  }
  v1::Pool p;
  p.set_name("my-ip-space");
  p.set_protocol("arp");
  p.add_ranges("192.168.1.240/28");
  s.pools.push_back(p);
  return s;
}

TEST_CASE("nothing is streamed before the first publish") {
  Publisher p;
  CHECK(p.generation() == 0);
  CHECK(p.UpdatesSince(p.epoch(), 0).empty());
}

TEST_CASE("a new receiver gets a snapshot; a current one gets nothing") {
  Publisher p;
  CHECK(p.Publish(State({Ann("192.168.1.240", "default/nginx")})) == 1);
  std::vector<std::shared_ptr<const v1::Update>> u =
      p.UpdatesSince(p.epoch(), 0);
  REQUIRE(u.size() == 1);
  CHECK(u[0]->snapshot());
  CHECK(u[0]->generation() == 1);
  CHECK(u[0]->upserts_size() == 1);
  CHECK(u[0]->pools_size() == 1);
  CHECK(p.UpdatesSince(p.epoch(), 1).empty());
}

TEST_CASE("receivers of one generation's snapshot share a single message") {
  Publisher p;
  p.Publish(State({Ann("192.168.1.240", "default/nginx")}));
  std::shared_ptr<const v1::Update> a = p.UpdatesSince(0, 0)[0];
  std::shared_ptr<const v1::Update> b = p.UpdatesSince(p.epoch(), 0)[0];
  CHECK(a == b);
  // Once nobody holds it, it is rebuilt, equal.
  std::string bytes = a->SerializeAsString();
  a.reset();
  b.reset();
  std::shared_ptr<const v1::Update> c = p.UpdatesSince(0, 0)[0];
  CHECK(c->SerializeAsString() == bytes);
  // A later generation gets its own snapshot even while the old one is held.
  p.Publish(State({Ann("192.168.1.241", "default/nginx")}));
  std::shared_ptr<const v1::Update> d = p.UpdatesSince(0, 0)[0];
  CHECK(d != c);
  CHECK(d->generation() == 2);
  CHECK(d->upserts(0).address() == "192.168.1.241");
}

TEST_CASE("republishing the same state does not bump the generation") {
  Publisher p;
  p.Publish(State({Ann("192.168.1.240", "default/nginx")}));
  CHECK(p.Publish(State({Ann("192.168.1.240", "default/nginx")})) == 1);
}

TEST_CASE("changes carry only what changed, and resume from history") {
  Publisher p;
  p.Publish(State(
      {Ann("192.168.1.240", "default/a"), Ann("192.168.1.241", "default/b")}));
  p.Publish(State({Ann("192.168.1.240", "default/a", {"node-a", "node-b"}),
                   Ann("192.168.1.242", "default/c")}));
  std::vector<std::shared_ptr<const v1::Update>> u =
      p.UpdatesSince(p.epoch(), 1);
  REQUIRE(u.size() == 1);
  CHECK_FALSE(u[0]->snapshot());
  CHECK(u[0]->base_generation() == 1);
  CHECK(u[0]->generation() == 2);
  REQUIRE(u[0]->upserts_size() == 2);
  CHECK(u[0]->upserts(0).address() == "192.168.1.240");
  CHECK(u[0]->upserts(0).eligible_nodes_size() == 2);
  CHECK(u[0]->upserts(1).address() == "192.168.1.242");
  REQUIRE(u[0]->removals_size() == 1);
  CHECK(u[0]->removals(0) == "192.168.1.241");
  CHECK_FALSE(u[0]->pools_changed());
}

TEST_CASE("candidate nodes travel once per change, not per announcement") {
  Publisher p;
  v1::Announcement cluster = Ann("192.168.1.240", "default/a", {});
  cluster.set_all_candidate_nodes(true);
  DesiredState s = State({cluster});
  s.candidate_nodes = {"node-a", "node-b"};
  p.Publish(s);
  std::vector<std::shared_ptr<const v1::Update>> snap =
      p.UpdatesSince(p.epoch(), 0);
  REQUIRE(snap.size() == 1);
  CHECK(snap[0]->candidate_nodes_changed());
  CHECK(snap[0]->candidate_nodes_size() == 2);

  // A node joins: one change with the new list and no announcement.
  s.candidate_nodes = {"node-a", "node-b", "node-c"};
  CHECK(p.Publish(s) == 2);
  std::vector<std::shared_ptr<const v1::Update>> u =
      p.UpdatesSince(p.epoch(), 1);
  REQUIRE(u.size() == 1);
  CHECK(u[0]->upserts_size() == 0);
  CHECK(u[0]->candidate_nodes_changed());
  CHECK(u[0]->candidate_nodes(2) == "node-c");
  // Other changes leave the list out.
  v1::Announcement b = Ann("192.168.1.241", "default/b");
  s.announcements[Ip("192.168.1.241")] = Announcement::FromMessage(b);
  CHECK(p.Publish(s) == 3);
  std::vector<std::shared_ptr<const v1::Update>> next =
      p.UpdatesSince(p.epoch(), 2);
  REQUIRE(next.size() == 1);
  CHECK_FALSE(next[0]->candidate_nodes_changed());
  CHECK(next[0]->candidate_nodes_size() == 0);
  CHECK(p.Publish(s) == 3);
}

TEST_CASE("a receiver older than the history gets a snapshot") {
  Publisher p(/*history=*/2);
  for (int i = 0; i < 5; ++i) {
    p.Publish(State({Ann(absl::StrCat("192.168.1.", 240 + i), "default/a")}));
  }
  CHECK(p.generation() == 5);
  std::vector<std::shared_ptr<const v1::Update>> old =
      p.UpdatesSince(p.epoch(), 1);
  REQUIRE(old.size() == 1);
  CHECK(old[0]->snapshot());
  std::vector<std::shared_ptr<const v1::Update>> recent =
      p.UpdatesSince(p.epoch(), 3);
  REQUIRE(recent.size() == 2);
  CHECK(recent[0]->base_generation() == 3);
  CHECK(recent[1]->generation() == 5);
  // A generation from the future (a controller restart) also gets a snapshot.
  CHECK(p.UpdatesSince(p.epoch(), 99)[0]->snapshot());
}

TEST_CASE("the history holds at most a quarter of the state's entries") {
  Publisher p;
  const size_t n = 8 * Publisher::kMinHistoryEntries;
  std::vector<v1::Announcement> anns;
  for (size_t i = 0; i < n; ++i) {
    anns.push_back(Ann(absl::StrCat("10.0.", i / 256, ".", i % 256),
                       absl::StrCat("default/s", i)));
  }
  p.Publish(State(anns));  // generation 1: n upserts
  // Generations 2..9: a quarter of the addresses move to node-b, then back.
  for (int g = 2; g <= 9; ++g) {
    for (size_t i = 0; i < n / 4; ++i) {
      anns[i] = Ann(anns[i].address(), anns[i].services(0),
                    {g % 2 == 0 ? "node-b" : "node-a"});
    }
    p.Publish(State(anns));
  }
  REQUIRE(p.generation() == 9);
  // Each change holds n/4 entries, the limit: only the last one is kept.
  std::vector<std::shared_ptr<const v1::Update>> recent =
      p.UpdatesSince(p.epoch(), 8);
  REQUIRE(recent.size() == 1);
  CHECK_FALSE(recent[0]->snapshot());
  CHECK(recent[0]->upserts_size() == static_cast<int>(n / 4));
  std::vector<std::shared_ptr<const v1::Update>> older =
      p.UpdatesSince(p.epoch(), 7);
  REQUIRE(older.size() == 1);
  CHECK(older[0]->snapshot());
  CHECK(older[0]->upserts_size() == static_cast<int>(n));
  // A change over the limit is not kept at all: a receiver just before it
  // gets a snapshot, and the history no longer holds n/4 entries either.
  for (size_t i = 0; i < n / 2; ++i) {
    anns[i] = Ann(anns[i].address(), anns[i].services(0), {"node-c"});
  }
  REQUIRE(p.Publish(State(anns)) == 10);
  std::vector<std::shared_ptr<const v1::Update>> big =
      p.UpdatesSince(p.epoch(), 9);
  REQUIRE(big.size() == 1);
  CHECK(big[0]->snapshot());
  CHECK(p.UpdatesSince(p.epoch(), 8)[0]->snapshot());
}

TEST_CASE(
    "a receiver at the same generation of another controller instance gets a "
    "snapshot") {
  Publisher before, after;
  CHECK(before.epoch() != 0);
  CHECK(before.epoch() != after.epoch());
  before.Publish(State({Ann("192.168.1.240", "default/a")}));
  before.Publish(State(
      {Ann("192.168.1.240", "default/a"), Ann("192.168.1.241", "default/b")}));
  // The restarted controller reaches generation 2 with different contents.
  after.Publish(State({Ann("192.168.1.241", "default/b")}));
  after.Publish(State({Ann("192.168.1.242", "default/c")}));
  REQUIRE(after.generation() == 2);
  std::vector<std::shared_ptr<const v1::Update>> u =
      after.UpdatesSince(before.epoch(), 2);
  REQUIRE(u.size() == 1);
  CHECK(u[0]->snapshot());
  CHECK(u[0]->epoch() == after.epoch());
  REQUIRE(u[0]->upserts_size() == 1);
  CHECK(u[0]->upserts(0).address() == "192.168.1.242");
  // Within one epoch, the same generation is current: nothing to send.
  CHECK(after.UpdatesSince(after.epoch(), 2).empty());
}

TEST_CASE("WaitBeyond returns on a new generation and reports shutdown") {
  Publisher p;
  p.Publish(State({}));
  CHECK(p.WaitBeyond(0, absl::Milliseconds(1)));
  p.Shutdown();
  CHECK_FALSE(p.WaitBeyond(1, absl::Seconds(10)));
}

}  // namespace
}  // namespace lb::channel
