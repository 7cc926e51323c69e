#include "lib/election/membership_decision.h"

#include <doctest/doctest.h>

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/base/clock.h"
#include "lib/election/lease_store.h"
#include "lib/election/ownership.h"

namespace lb::election {
namespace {

constexpr MonoTime kNow = MonoTime::FromOrigin(absl::Hours(100));

// What node "a" knows, and the decision it took last.
struct World {
  World() {
    options.node = "a";
    record.loaded = true;
    record.last_read = kNow - absl::Seconds(1);
    // Settled: claiming for an hour.
    previous.fence = FenceReason::kNone;
    previous.stable_since = kNow - absl::Hours(1);
    previous.heard = {"a"};
    for (int i = 0; i < 20; ++i) {
      requests.push_back({absl::StrCat("10.0.0.", i), {}, true});
    }
  }

  // A peer last heard `ago`, active (claiming) for `active_for`.
  void Heard(const std::string& name, absl::Duration ago,
             absl::Duration active_for = absl::Hours(1)) {
    PeerInfo& p = peers[name];
    p.last_heard = kNow - ago;
    p.active = true;
    p.stable_since = kNow - ago - active_for;
    previous.heard.insert(name);
  }
  // Node `holder`'s Lease, seen to change `ago`.
  void InRecord(const std::string& holder, absl::Duration ago,
                int32_t duration_s = 40) {
    RecordEntry& e = record.leases["speaker-" + holder];
    e.spec.holder_identity = holder;
    e.spec.lease_duration_seconds = duration_s;
    e.observed = kNow - ago;
  }

  Decision At(MonoTime t) const {
    return Decide({peers, record, requests, requests_version, started, stopped},
                  previous, t, options);
  }

  DecisionOptions options;
  PeerTable peers;
  LeaseRecord record;
  std::vector<AddressRequest> requests;
  uint64_t requests_version = 1;
  MonoTime started = kNow - absl::Hours(1);
  bool stopped = false;
  Decision previous;
};

std::string Names(const std::set<std::string>& s) {
  return absl::StrJoin(s, ",");
}
std::string Names(const std::vector<std::string>& s) {
  return absl::StrJoin(s, ",");
}

struct Case {
  const char* name;
  std::function<void(World&)> setup;
  FenceReason fence;
  const char* heard;
  const char* known;
  const char* settled;
  const char* probation = "";
};

const std::vector<Case>& Cases() {
  const absl::Duration ms = absl::Milliseconds(1);
  const absl::Duration s = absl::Seconds(1);
  static const std::vector<Case> cases = {
      {"quorum: all three heard",
       [=](World& w) {
         w.Heard("b", 50 * ms);
         w.Heard("c", 80 * ms);
         w.InRecord("a", 3 * s);
         w.InRecord("b", 3 * s);
         w.InRecord("c", 3 * s);
       },
       FenceReason::kNone, "a,b,c", "a,b,c", "a,b,c"},
      {"quorum: two of three heard, the third still in the record",
       [=](World& w) {
         w.Heard("b", 50 * ms);
         w.Heard("c", 400 * ms);  // Silent past suspect_timeout.
         w.InRecord("c", 3 * s);
       },
       FenceReason::kNone, "a,b", "a,b,c", "a,b"},
      {"no quorum: one of three heard",
       [=](World& w) {
         w.Heard("b", 500 * ms);
         w.Heard("c", 500 * ms);
       },
       FenceReason::kNoQuorum, "a", "a,b,c", ""},
      {"even split: two of four heard fences",
       [=](World& w) {
         w.Heard("b", 50 * ms);
         w.Heard("c", 2 * s);
         w.InRecord("d", 3 * s);
       },
       FenceReason::kNoQuorum, "a,b", "a,b,c,d", "b"},
      {"lone survivor: the peer's Lease is still renewed on the record",
       [=](World& w) {
         w.Heard("b", 25 * s);    // Past the 20 s grace by heartbeats...
         w.InRecord("b", 5 * s);  // ... but its Lease changed 5 s ago.
       },
       FenceReason::kNoQuorum, "a", "a,b", ""},
      {"lone survivor: quorate once the peer missed its renewals",
       [=](World& w) {
         w.Heard("b", 21 * s);
         w.InRecord("b", 21 * s);  // valid for min(40 s, 20 s).
       },
       FenceReason::kNone, "a", "a", "a"},
      {"lone survivor: an unreadable record is judged as of its last read",
       [=](World& w) {
         w.Heard("b", 40 * s);
         w.record.last_read = kNow - 30 * s;  // Stale: frozen.
         w.InRecord("b", 35 * s);             // Valid at the last read.
       },
       FenceReason::kNoQuorum, "a", "a,b", ""},
      {"a released Lease (no holder) counts for nobody",
       [=](World& w) {
         w.InRecord("b", 1 * s);
         w.record.leases["speaker-b"].spec.holder_identity.clear();
       },
       FenceReason::kNone, "a", "a", "a"},
      {"starting: the record was never read",
       [=](World& w) {
         w.record = LeaseRecord();
         w.previous.fence = FenceReason::kStarting;
         w.previous.stable_since = MonoTime::InfiniteFuture();
         w.Heard("b", 50 * ms);
       },
       FenceReason::kStarting, "a,b", "a,b", "b"},
      {"starting: still listening for peers",
       [=](World& w) {
         w.started = kNow - 100 * ms;
         w.previous.fence = FenceReason::kStarting;
         w.previous.stable_since = MonoTime::InfiniteFuture();
       },
       FenceReason::kStarting, "a", "a", ""},
      {"stopped: not heard, not claiming",
       [=](World& w) {
         w.stopped = true;
         w.Heard("b", 50 * ms);
         w.Heard("c", 50 * ms);
       },
       FenceReason::kStopped, "b,c", "a,b,c", "b,c"},
      {"a leaving peer is dropped at once and no longer known",
       [=](World& w) {
         w.Heard("b", 50 * ms);
         w.Heard("c", 10 * ms);
         w.peers["c"].left = true;
         w.peers["c"].active = false;
         w.InRecord("c", 1 * s);
       },
       FenceReason::kNone, "a,b", "a,b", "a,b"},
      {"a heard but inactive (fenced or starting) peer owns nothing",
       [=](World& w) {
         w.Heard("b", 50 * ms);
         w.peers["b"].active = false;
       },
       FenceReason::kNone, "a,b", "a,b", "a"},
      {"probation: a peer active for less than the hold",
       [=](World& w) {
         w.options.failback_hold = 5 * s;
         w.Heard("b", 50 * ms);
         w.Heard("c", 50 * ms, /*active_for=*/1 * s);
       },
       FenceReason::kNone, "a,b,c", "a,b,c", "a,b", "c"},
      {"failback: after the hold the peer is settled",
       [=](World& w) {
         w.options.failback_hold = 5 * s;
         w.Heard("b", 50 * ms);
         w.Heard("c", 50 * ms, /*active_for=*/6 * s);
       },
       FenceReason::kNone, "a,b,c", "a,b,c", "a,b,c"},
      {"probation: this node, newly active, serves only orphans",
       [=](World& w) {
         w.options.failback_hold = 5 * s;
         w.previous.stable_since = kNow - 2 * s;
         w.Heard("b", 50 * ms);
       },
       FenceReason::kNone, "a,b", "a,b", "b", "a"},
      {"activation: this node settles now, claims after the delay",
       [=](World& w) {
         w.previous.fence = FenceReason::kStarting;
         w.previous.stable_since = MonoTime::InfiniteFuture();
         w.Heard("b", 50 * ms);
       },
       FenceReason::kNone, "a,b", "a,b", "b"},
  };
  return cases;
}

TEST_CASE("the decision, case by case") {
  for (const Case& c : Cases()) {
    CAPTURE(c.name);
    World w;
    c.setup(w);
    const Decision d = w.At(kNow);
    CHECK(FenceReasonName(d.fence) == FenceReasonName(c.fence));
    CHECK(Names(d.heard) == c.heard);
    CHECK(Names(d.known) == c.known);
    CHECK(Names(d.settled) == c.settled);
    CHECK(Names(d.probation) == c.probation);
    // This node claims what the owners give it, and only when not fenced.
    std::vector<std::string> mine;
    REQUIRE(d.owners != nullptr);
    for (const auto& [addr, o] : *d.owners) {
      if (o.owner == "a" && d.fence == FenceReason::kNone) {
        mine.push_back(addr);
      }
    }
    CHECK(d.claimed == mine);
  }
}

TEST_CASE("nothing changes before next_change") {
  for (const Case& c : Cases()) {
    CAPTURE(c.name);
    World w;
    c.setup(w);
    const Decision d = w.At(kNow);
    CHECK(d.next_change > kNow);
    if (d.next_change == MonoTime::InfiniteFuture()) continue;
    const absl::Duration until = d.next_change - kNow;
    for (const absl::Duration at :
         {until / 4, until / 2, until - absl::Nanoseconds(1)}) {
      CAPTURE(absl::FormatDuration(at));
      const Decision later = w.At(kNow + at);
      CHECK(later.fence == d.fence);
      CHECK(later.heard == d.heard);
      CHECK(later.known == d.known);
      CHECK(later.settled == d.settled);
      CHECK(later.probation == d.probation);
      CHECK(later.claimed == d.claimed);
    }
  }
}

TEST_CASE("next_change is the first deadline that matters") {
  SUBCASE("a heard peer's suspect deadline") {
    World w;
    w.Heard("b", absl::Milliseconds(50));
    w.Heard("c", absl::Milliseconds(120));
    const Decision d = w.At(kNow);
    CHECK(d.next_change == kNow + absl::Milliseconds(180));
    const Decision later = w.At(d.next_change);
    CHECK(Names(later.heard) == "a,b");
    REQUIRE(later.lost.size() == 1);
    CHECK(later.lost[0].node == "c");
    CHECK(later.lost[0].silence == absl::Milliseconds(300));
  }
  SUBCASE("the end of the start-up delay") {
    World w;
    w.started = kNow - absl::Milliseconds(100);
    w.previous.fence = FenceReason::kStarting;
    w.previous.stable_since = MonoTime::InfiniteFuture();
    const Decision d = w.At(kNow);
    CHECK(d.next_change == kNow + absl::Milliseconds(200));
    CHECK(w.At(d.next_change).fence == FenceReason::kNone);
  }
  SUBCASE("activation, then the first claims") {
    World w;
    w.previous.fence = FenceReason::kStarting;
    w.previous.stable_since = MonoTime::InfiniteFuture();
    const Decision d = w.At(kNow);
    CHECK(d.fence == FenceReason::kNone);
    CHECK(d.fence_changed);
    CHECK(d.stable_since == kNow);
    CHECK(d.claimed.empty());
    CHECK(d.next_change == kNow + ActivationDelay(w.options));
    w.previous = d;
    const Decision claiming = w.At(d.next_change);
    CHECK(claiming.claimed.size() == w.requests.size());
    CHECK(claiming.gained.size() == w.requests.size());
    CHECK(claiming.stable_since == kNow);
  }
  SUBCASE("a Lease expiring makes a lone survivor quorate") {
    World w;
    w.Heard("b", absl::Seconds(25));
    w.InRecord("b", absl::Seconds(5));
    const Decision d = w.At(kNow);
    CHECK(d.fence == FenceReason::kNoQuorum);
    CHECK(d.next_change == kNow + absl::Seconds(15));
    CHECK(w.At(d.next_change).fence == FenceReason::kNone);
  }
  SUBCASE("a failback hold ending") {
    World w;
    w.options.failback_hold = absl::Seconds(5);
    w.options.suspect_timeout = absl::Seconds(2);
    w.Heard("b", absl::ZeroDuration(), /*active_for=*/absl::Seconds(4));
    const Decision d = w.At(kNow);
    CHECK(Names(d.probation) == "b");
    CHECK(d.next_change == kNow + absl::Seconds(1));
    const Decision later = w.At(d.next_change);
    CHECK(Names(later.probation).empty());
    CHECK(Names(later.settled) == "a,b");
  }
  SUBCASE("nothing left to wait for") {
    World w;  // Alone, settled, record fresh but empty.
    w.record.last_read = MonoTime::InfinitePast();
    w.record.loaded = true;
    CHECK(w.At(kNow).next_change == MonoTime::InfiniteFuture());
  }
}

TEST_CASE("joins, losses and leaves are reported once, against previous") {
  World w;
  w.Heard("b", absl::Milliseconds(50));
  w.Heard("c", absl::Milliseconds(400));
  w.Heard("d", absl::Milliseconds(10));
  w.peers["d"].left = true;
  w.peers["e"].last_heard = kNow;  // Not heard before.
  const Decision d = w.At(kNow);
  CHECK(Names(d.joined) == "e");
  REQUIRE(d.lost.size() == 1);
  CHECK(d.lost[0].node == "c");
  CHECK(d.lost[0].silence == absl::Milliseconds(400));
  CHECK(Names(d.left) == "d");
  w.previous = d;
  const Decision again = w.At(kNow + absl::Milliseconds(1));
  CHECK(again.joined.empty());
  CHECK(again.lost.empty());
  CHECK(again.left.empty());
}

TEST_CASE("owners are reused until their inputs change") {
  World w;
  w.Heard("b", absl::Milliseconds(50));
  w.Heard("c", absl::Milliseconds(50));
  const Decision first = w.At(kNow);
  CHECK(first.owners_recomputed);
  w.previous = first;
  const Decision same = w.At(kNow + absl::Milliseconds(10));
  CHECK_FALSE(same.owners_recomputed);
  CHECK(same.owners == first.owners);  // Shared, not copied.
  CHECK(same.claimed == first.claimed);
  CHECK(same.gained.empty());
  CHECK(same.released.empty());
  // New requests: recomputed.
  w.requests.push_back({"10.0.1.1", {"b"}, false});
  ++w.requests_version;
  const Decision more = w.At(kNow + absl::Milliseconds(10));
  CHECK(more.owners_recomputed);
  CHECK(more.owners->at("10.0.1.1").owner == "b");
  // b falls silent while c keeps heartbeating: recomputed; b's addresses
  // go to a or c, nothing else moves.
  w.previous = more;
  w.peers["c"].last_heard = kNow + absl::Milliseconds(250);
  const Decision lost = w.At(kNow + absl::Milliseconds(300));
  CHECK(lost.owners_recomputed);
  CHECK(Names(lost.settled) == "a,c");
  CHECK(lost.released.empty());
  std::vector<std::string> from_b;
  for (const auto& [addr, o] : *more.owners) {
    if (o.owner == "b" && lost.owners->at(addr).owner == "a") {
      from_b.push_back(addr);
    } else if (o.owner != "b") {
      CHECK(lost.owners->at(addr).owner == o.owner);
    }
  }
  CHECK_FALSE(from_b.empty());
  CHECK(lost.gained == from_b);
  CHECK(lost.owners->at("10.0.1.1").owner.empty());
}

TEST_CASE("a node that loses quorum releases every claim") {
  World w;
  w.Heard("b", absl::Milliseconds(50));
  w.Heard("c", absl::Milliseconds(50));
  const Decision claiming = w.At(kNow);
  REQUIRE(claiming.fence == FenceReason::kNone);
  REQUIRE_FALSE(claiming.claimed.empty());
  w.previous = claiming;
  const Decision fenced = w.At(kNow + absl::Milliseconds(250));
  CHECK(fenced.fence == FenceReason::kNoQuorum);
  CHECK(fenced.fence_changed);
  CHECK(fenced.stable_since == MonoTime::InfiniteFuture());
  CHECK(fenced.claimed.empty());
  CHECK(fenced.released == claiming.claimed);
  // Owners are still computed (for the snapshot): b and c are not heard.
  CHECK(fenced.settled.empty());
}

TEST_CASE(
    "probation: a probationary node gets only addresses no settled "
    "node is eligible for") {
  World w;
  w.options.failback_hold = absl::Seconds(5);
  w.Heard("b", absl::Milliseconds(50), /*active_for=*/absl::Seconds(1));
  w.requests = {{"10.0.0.1", {"b"}, false}, {"10.0.0.2", {"a", "b"}, false}};
  const Decision d = w.At(kNow);
  CHECK(d.owners->at("10.0.0.1").owner == "b");
  CHECK(d.owners->at("10.0.0.2").owner == "a");
  CHECK(d.claimed == std::vector<std::string>{"10.0.0.2"});
}

TEST_CASE("valid record nodes") {
  World w;
  w.InRecord("b", absl::Seconds(19));
  w.InRecord("c", absl::Seconds(21));
  w.InRecord("d", absl::Seconds(5), /*duration_s=*/4);  // Its own duration.
  CHECK(Names(ValidRecordNodes(w.record, kNow, w.options)) == "b");
  // Stale: judged as of the last read, 25 s ago.
  w.record.last_read = kNow - absl::Seconds(25);
  w.InRecord("e", absl::Seconds(40));
  CHECK(Names(ValidRecordNodes(w.record, kNow, w.options)) == "b,c,d,e");
}

}  // namespace
}  // namespace lb::election
