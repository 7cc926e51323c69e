#include "lib/arp/announcer.h"

#include <doctest/doctest.h>

#include <map>

namespace lb::arp {
namespace {

const IpAddress kVip = *IpAddress::Parse("192.168.1.240");
const IpAddress kVip6 = *IpAddress::Parse("fd77::240");
constexpr MonoTime kT0 = MonoTime::FromOrigin(absl::Hours(1000));

TEST_CASE("a takeover burst is 5 rounds 1.1 s apart, then silence") {
  Announcer a(AnnounceOptions{});
  a.Start(kVip, 2, kT0);
  std::vector<MonoTime> sent;
  MonoTime now = kT0;
  for (int i = 0; i < 20 && now != MonoTime::InfiniteFuture(); ++i) {
    for (const Announcer::Due& d : a.TakeDue(now)) {
      CHECK(d.address == kVip);
      CHECK(d.ifindex == 2);
      CHECK(d.round == static_cast<int>(sent.size()) + 1);
      sent.push_back(now);
    }
    now = a.NextDeadline(now);
  }
  REQUIRE(sent.size() == 5);
  for (size_t i = 0; i < sent.size(); ++i) {
    CHECK(sent[i] == kT0 + absl::Milliseconds(1100) * static_cast<int>(i));
  }
  CHECK(a.size() == 0);
  CHECK(a.NextDeadline(now) == MonoTime::InfiniteFuture());
}

TEST_CASE("nothing is due early") {
  Announcer a(AnnounceOptions{});
  a.Start(kVip, 2, kT0);
  CHECK(a.TakeDue(kT0).size() == 1);
  CHECK(a.TakeDue(kT0 + absl::Milliseconds(1099)).empty());
  CHECK(a.NextDeadline(kT0) == kT0 + absl::Milliseconds(1100));
}

TEST_CASE("refresh keeps announcing after the burst") {
  AnnounceOptions o;
  o.rounds = 2;
  o.refresh = absl::Seconds(60);
  Announcer a(o);
  a.Start(kVip6, 3, kT0);
  CHECK(a.TakeDue(kT0).size() == 1);
  CHECK(a.TakeDue(kT0 + absl::Milliseconds(1100)).size() == 1);
  MonoTime t = kT0 + absl::Milliseconds(1100);
  CHECK(a.NextDeadline(t) == t + absl::Seconds(60));
  auto due = a.TakeDue(t + absl::Seconds(60));
  REQUIRE(due.size() == 1);
  CHECK(due[0].round == 3);
  CHECK(a.IsScheduled(kVip6, 3));
}

TEST_CASE("stop cancels at once") {
  Announcer a(AnnounceOptions{});
  a.Start(kVip, 2, kT0);
  a.Start(kVip6, 2, kT0);
  a.Start(kVip, 3, kT0);
  a.Stop(kVip, 2);
  auto due = a.TakeDue(kT0);
  CHECK(due.size() == 2);
  a.StopInterface(2);
  CHECK(a.size() == 1);
  CHECK(a.IsScheduled(kVip, 3));
  CHECK_FALSE(a.IsScheduled(kVip6, 2));
}

TEST_CASE("restart begins a new burst") {
  Announcer a(AnnounceOptions{});
  a.Start(kVip, 2, kT0);
  a.TakeDue(kT0);
  a.TakeDue(kT0 + absl::Milliseconds(1100));
  a.Start(kVip, 2, kT0 + absl::Seconds(2));
  auto due = a.TakeDue(kT0 + absl::Seconds(2));
  REQUIRE(due.size() == 1);
  CHECK(due[0].round == 1);
}

TEST_CASE("10k addresses are paced per interface, first rounds first") {
  AnnounceOptions o;
  o.frames_per_second = 2000;
  o.burst = 200;
  Announcer a(o);
  for (uint32_t i = 0; i < 10000; ++i) {
    a.Start(IpAddress::V4(0x0a000000 + i), 2, kT0);
  }
  a.Start(kVip, 9, kT0);  // another interface has its own budget
  std::map<int, int> per_if;
  std::vector<std::pair<MonoTime, int>> rounds;  // when, round
  MonoTime now = kT0;
  int first_rounds_done_at = -1;
  int taken = 0;
  while (now < kT0 + absl::Seconds(60) && now != MonoTime::InfiniteFuture()) {
    for (const Announcer::Due& d : a.TakeDue(now)) {
      ++per_if[d.ifindex];
      if (d.ifindex == 2) {
        ++taken;
        rounds.push_back({now, d.round});
        if (d.round == 1 && taken == 10000) first_rounds_done_at = taken;
      }
    }
    now = a.NextDeadline(now);
  }
  CHECK(per_if[9] == 5);
  CHECK(per_if[2] == 50000);
  // Every first round precedes every second round.
  CHECK(first_rounds_done_at == 10000);
  // Rate: 2 frames per IPv4 announcement; in any 1 s window at most
  // 2000 frames + the burst.
  size_t j = 0;
  for (size_t i = 0; i < rounds.size(); ++i) {
    while (rounds[i].first - rounds[j].first >= absl::Seconds(1)) ++j;
    CHECK((i - j + 1) * 2 <= 2000 + 200 + 2);
    if ((i - j + 1) * 2 > 2202) break;
  }
  // 100k frames at 2000/s take about 50 s.
  absl::Duration span = rounds.back().first - kT0;
  CHECK(span >= absl::Seconds(48));
  CHECK(span <= absl::Seconds(52));
}

TEST_CASE("option validation") {
  AnnounceOptions o;
  CHECK(ValidateAnnounceOptions(o).ok());
  o.rounds = 0;
  CHECK(ValidateAnnounceOptions(o).code() ==
        absl::StatusCode::kInvalidArgument);
  o = {};
  o.interval = absl::ZeroDuration();
  CHECK(ValidateAnnounceOptions(o).code() ==
        absl::StatusCode::kInvalidArgument);
  o = {};
  o.frames_per_second = 0;
  CHECK_FALSE(ValidateAnnounceOptions(o).ok());
  o = {};
  o.burst = 1;
  CHECK_FALSE(ValidateAnnounceOptions(o).ok());
}

}  // namespace
}  // namespace lb::arp
