#include "lib/ipam/release_history.h"

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "lib/base/clock.h"
#include "lib/base/ip_address.h"

namespace lb::ipam {
namespace {

IpAddress Ip(absl::string_view s) { return IpAddress::Parse(s).value(); }

const MonoTime kT0 = MonoTime::FromOrigin(absl::Hours(10));

TEST_CASE("a hold lasts its duration and holds end oldest first") {
  HoldDown held(absl::Minutes(5));
  CHECK(held.enabled());
  CHECK(held.empty());
  held.Hold(Ip("10.0.0.2"), 0, kT0);
  held.Hold(Ip("10.0.0.1"), 1, kT0 + absl::Seconds(1));
  CHECK(held.size() == 2);
  CHECK_FALSE(held.PopExpired(kT0 + absl::Minutes(5) - absl::Nanoseconds(1)));
  auto first = held.PopExpired(kT0 + absl::Minutes(5) + absl::Seconds(1));
  REQUIRE(first);
  CHECK(first->first == Ip("10.0.0.2"));
  CHECK(first->second == 0);
  auto second = held.PopExpired(kT0 + absl::Minutes(5) + absl::Seconds(1));
  REQUIRE(second);
  CHECK(second->first == Ip("10.0.0.1"));
  CHECK(second->second == 1);
  CHECK_FALSE(held.PopExpired(kT0 + absl::Hours(1)));
  CHECK(held.empty());
}

TEST_CASE("unholding returns the pool; holding again restarts the hold") {
  HoldDown held(absl::Minutes(5));
  held.Hold(Ip("10.0.0.1"), 3, kT0);
  CHECK(held.Unhold(Ip("10.0.0.1")) == std::optional<size_t>(3));
  CHECK(held.Unhold(Ip("10.0.0.1")) == std::nullopt);
  held.Hold(Ip("10.0.0.1"), 3, kT0);
  held.Hold(Ip("10.0.0.1"), 4, kT0 + absl::Minutes(4));
  CHECK(held.size() == 1);
  CHECK_FALSE(held.PopExpired(kT0 + absl::Minutes(5)));
  auto expired = held.PopExpired(kT0 + absl::Minutes(9));
  REQUIRE(expired);
  CHECK(expired->second == 4);
  CHECK(held.empty());
}

TEST_CASE("the oldest matching hold, and repooling after a config change") {
  HoldDown held(absl::Minutes(5));
  held.Hold(Ip("2001:db8::1"), 0, kT0);
  held.Hold(Ip("10.0.0.9"), 0, kT0 + absl::Seconds(1));
  held.Hold(Ip("10.0.0.3"), 0, kT0 + absl::Seconds(2));
  auto v4 = [](const IpAddress& a) { return a.family() == IpFamily::kV4; };
  CHECK(held.Oldest(v4) == std::optional<IpAddress>(Ip("10.0.0.9")));
  CHECK(held.Oldest([](const IpAddress&) { return false; }) == std::nullopt);
  // 10.0.0.9 leaves every pool; the others move to pools 1 and 2.
  std::vector<std::pair<IpAddress, size_t>> kept =
      held.Repool([](const IpAddress& a) -> std::optional<size_t> {
        if (a == Ip("10.0.0.9")) return std::nullopt;
        return a.family() == IpFamily::kV4 ? 1 : 2;
      });
  std::sort(kept.begin(), kept.end());
  CHECK(kept == std::vector<std::pair<IpAddress, size_t>>{
                    {Ip("10.0.0.3"), 1}, {Ip("2001:db8::1"), 2}});
  CHECK(held.size() == 2);
  CHECK(held.Oldest(v4) == std::optional<IpAddress>(Ip("10.0.0.3")));
  CHECK(held.Unhold(Ip("2001:db8::1")) == std::optional<size_t>(2));
  CHECK(held.Unhold(Ip("10.0.0.9")) == std::nullopt);
}

TEST_CASE("a zero duration disables holding and remembering") {
  CHECK_FALSE(HoldDown(absl::ZeroDuration()).enabled());
  CHECK_FALSE(PreviousAddresses(absl::ZeroDuration()).enabled());
  CHECK(PreviousAddresses(absl::Seconds(1)).enabled());
}

TEST_CASE("previous addresses lead back to their service until expiry") {
  PreviousAddresses previous(absl::Hours(1));
  CHECK(previous.empty());
  CHECK(previous.Of("d/a") == nullptr);
  std::vector<IpAddress> a = {Ip("10.0.0.1"), Ip("2001:db8::1")};
  previous.Remember("d/a", a, kT0);
  previous.Remember("d/b", {Ip("10.0.0.2")}, kT0 + absl::Minutes(30));
  REQUIRE(previous.Of("d/a") != nullptr);
  CHECK(*previous.Of("d/a") == a);
  CHECK(previous.LeadsTo(Ip("10.0.0.1"), "d/a"));
  CHECK_FALSE(previous.LeadsTo(Ip("10.0.0.1"), "d/b"));
  previous.Expire(kT0 + absl::Hours(1) - absl::Nanoseconds(1));
  CHECK(previous.LeadsTo(Ip("2001:db8::1"), "d/a"));
  previous.Expire(kT0 + absl::Hours(1));
  CHECK(previous.Of("d/a") == nullptr);
  CHECK_FALSE(previous.LeadsTo(Ip("10.0.0.1"), "d/a"));
  CHECK(previous.LeadsTo(Ip("10.0.0.2"), "d/b"));
  previous.Expire(kT0 + absl::Hours(2));
  CHECK(previous.empty());
}

TEST_CASE("an address claimed by another service leads nowhere") {
  PreviousAddresses previous(absl::Hours(1));
  previous.Remember("d/a", {Ip("10.0.0.1"), Ip("10.0.0.2")}, kT0);
  previous.Claimed(Ip("10.0.0.1"), "d/a");  // its own: still leads back
  CHECK(previous.LeadsTo(Ip("10.0.0.1"), "d/a"));
  previous.Claimed(Ip("10.0.0.1"), "d/x");
  CHECK_FALSE(previous.LeadsTo(Ip("10.0.0.1"), "d/a"));
  CHECK(previous.LeadsTo(Ip("10.0.0.2"), "d/a"));
  // A later service remembered with the same address takes it over.
  previous.Remember("d/y", {Ip("10.0.0.2")}, kT0 + absl::Minutes(1));
  CHECK_FALSE(previous.LeadsTo(Ip("10.0.0.2"), "d/a"));
  CHECK(previous.LeadsTo(Ip("10.0.0.2"), "d/y"));
  // Forgetting d/a does not touch what leads to d/y.
  previous.Forget("d/a");
  CHECK(previous.Of("d/a") == nullptr);
  CHECK(previous.LeadsTo(Ip("10.0.0.2"), "d/y"));
}

TEST_CASE("a service remembered again expires from its latest release") {
  PreviousAddresses previous(absl::Hours(1));
  previous.Remember("d/a", {Ip("10.0.0.1")}, kT0);
  previous.Forget("d/a");
  previous.Remember("d/a", {Ip("10.0.0.3")}, kT0 + absl::Minutes(50));
  previous.Expire(kT0 + absl::Hours(1));  // the first release's deadline
  REQUIRE(previous.Of("d/a") != nullptr);
  CHECK(previous.LeadsTo(Ip("10.0.0.3"), "d/a"));
  CHECK_FALSE(previous.LeadsTo(Ip("10.0.0.1"), "d/a"));
  previous.Expire(kT0 + absl::Minutes(110));
  CHECK(previous.Of("d/a") == nullptr);
}

}  // namespace
}  // namespace lb::ipam
