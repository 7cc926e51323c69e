#include "lib/arp/prober.h"

#include <doctest/doctest.h>

#include <vector>

namespace lb::arp {
namespace {

const IpAddress kVip = *IpAddress::Parse("192.168.1.240");
const IpAddress kVip6 = *IpAddress::Parse("fd77::240");
constexpr MonoTime kT0 = MonoTime::FromOrigin(absl::Hours(1000));

using Addresses = std::vector<IpAddress>;

TEST_CASE("three probes 1 s apart, then the claim 2 s after the last") {
  Prober p(ProbeOptions{});
  p.Start(kVip, kT0);
  CHECK(p.IsProbing(kVip));
  CHECK(p.NextDeadline() == kT0);
  std::vector<MonoTime> probes;
  MonoTime claimed = MonoTime::InfiniteFuture();
  for (MonoTime now = kT0; now != MonoTime::InfiniteFuture();
       now = p.NextDeadline()) {
    Prober::Step step = p.TakeDue(now);
    for (const IpAddress& a : step.probe) {
      CHECK(a == kVip);
      probes.push_back(now);
    }
    if (!step.claimed.empty()) {
      CHECK(step.claimed == Addresses{kVip});
      claimed = now;
    }
  }
  CHECK(probes == std::vector<MonoTime>{kT0, kT0 + absl::Seconds(1),
                                        kT0 + absl::Seconds(2)});
  CHECK(claimed == kT0 + absl::Seconds(4));
  CHECK_FALSE(p.IsProbing(kVip));
  CHECK(p.size() == 0);
}

TEST_CASE("nothing is due early") {
  Prober p(ProbeOptions{});
  p.Start(kVip, kT0);
  CHECK(p.TakeDue(kT0).probe.size() == 1);
  Prober::Step early = p.TakeDue(kT0 + absl::Milliseconds(999));
  CHECK(early.probe.empty());
  CHECK(early.claimed.empty());
  CHECK(p.NextDeadline() == kT0 + absl::Seconds(1));
}

TEST_CASE("a conflict abandons the claim") {
  Prober p(ProbeOptions{});
  p.Start(kVip, kT0);
  p.Start(kVip6, kT0);
  p.TakeDue(kT0);
  CHECK(p.Conflict(kVip));
  CHECK_FALSE(p.IsProbing(kVip));
  CHECK_FALSE(p.Conflict(kVip));  // no longer probed
  Prober::Step last;
  for (MonoTime now = kT0; now != MonoTime::InfiniteFuture();
       now = p.NextDeadline()) {
    Prober::Step step = p.TakeDue(now);
    for (const IpAddress& a : step.probe) CHECK(a == kVip6);
    if (!step.claimed.empty()) last = step;
  }
  CHECK(last.claimed == Addresses{kVip6});
}

TEST_CASE("a held address keeps its place and probes once ready") {
  Prober p(ProbeOptions{});
  p.Start(kVip, kT0);
  p.SetReady(kVip, false);
  CHECK(p.NextDeadline() == MonoTime::InfiniteFuture());
  CHECK(p.TakeDue(kT0 + absl::Seconds(10)).probe.empty());
  CHECK(p.IsProbing(kVip));
  p.SetReady(kVip, true);
  MonoTime t = kT0 + absl::Seconds(10);
  CHECK(p.NextDeadline() == kT0);  // overdue: at once
  CHECK(p.TakeDue(t).probe == Addresses{kVip});
  CHECK(p.NextDeadline() == t + absl::Seconds(1));
  // Held during the wait after the last probe, the claim waits too.
  p.TakeDue(t + absl::Seconds(1));
  p.TakeDue(t + absl::Seconds(2));
  p.SetReady(kVip, false);
  CHECK(p.TakeDue(t + absl::Seconds(60)).claimed.empty());
  p.SetReady(kVip, true);
  CHECK(p.TakeDue(t + absl::Seconds(60)).claimed == Addresses{kVip});
}

TEST_CASE("restart begins again; stop forgets") {
  Prober p(ProbeOptions{});
  p.Start(kVip, kT0);
  p.TakeDue(kT0);
  p.TakeDue(kT0 + absl::Seconds(1));
  p.Start(kVip, kT0 + absl::Seconds(1));
  MonoTime t = kT0 + absl::Seconds(1);
  int probes = 0;
  for (MonoTime now = t; now != MonoTime::InfiniteFuture();
       now = p.NextDeadline()) {
    probes += static_cast<int>(p.TakeDue(now).probe.size());
  }
  CHECK(probes == 3);
  p.Start(kVip, kT0);
  p.Stop(kVip);
  p.Stop(kVip);
  CHECK(p.size() == 0);
  CHECK(p.NextDeadline() == MonoTime::InfiniteFuture());
  p.SetReady(kVip, true);  // unknown: no-op
  CHECK(p.size() == 0);
}

TEST_CASE("zero wait claims right after the last probe") {
  ProbeOptions o;
  o.probes = 1;
  o.wait = absl::ZeroDuration();
  Prober p(o);
  p.Start(kVip, kT0);
  Prober::Step step = p.TakeDue(kT0);
  CHECK(step.probe == Addresses{kVip});
  CHECK(step.claimed == Addresses{kVip});
}

TEST_CASE("option validation") {
  CHECK(ValidateProbeOptions(ProbeOptions{}).ok());
  ProbeOptions o;
  o.probes = 0;
  CHECK(ValidateProbeOptions(o).code() == absl::StatusCode::kInvalidArgument);
  o = {};
  o.interval = absl::ZeroDuration();
  CHECK(ValidateProbeOptions(o).code() == absl::StatusCode::kInvalidArgument);
  o = {};
  o.wait = -absl::Seconds(1);
  CHECK(ValidateProbeOptions(o).code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace lb::arp
