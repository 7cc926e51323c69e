#include "lib/ipam/allocator.h"

#include <doctest/doctest.h>

#include <map>
#include <random>
#include <set>

#include "lib/base/simulated_clock.h"
#include "tests/status_matchers.h"

namespace lb::ipam {
namespace {

IpAddress Ip(absl::string_view s) { return IpAddress::Parse(s).value(); }

Config MustParse(absl::string_view yaml) {
  absl::StatusOr<ParsedConfig> p = ParseConfig(yaml);
  REQUIRE_OK(p);
  return p->config;
}

constexpr char kTutorial[] = R"(
address-pools:
- name: my-ip-space
  protocol: arp
  cidr: [192.168.1.240/28]
)";

Request Req(std::string service) {
  Request r;
  r.service = std::move(service);
  return r;
}

Request Shared(std::string service, std::string key,
               std::vector<ServicePort> ports) {
  Request r = Req(std::move(service));
  r.sharing_key = std::move(key);
  r.ports = std::move(ports);
  return r;
}

std::string First(const absl::StatusOr<Assignment>& a) {
  REQUIRE_OK(a);
  REQUIRE(!a->addresses.empty());
  return a->addresses[0].ToString();
}

struct Fixture {
  explicit Fixture(absl::string_view yaml = kTutorial,
                   AllocatorOptions options = {})
      : allocator(clock, options) {
    REQUIRE_OK(allocator.SetConfig(MustParse(yaml)));
  }
  SimulatedClock clock{absl::FromUnixSeconds(1000)};
  Allocator allocator;
};

TEST_CASE(
    "the tutorial: lowest free address first, .255 never, then exhaustion") {
  Fixture f;
  CHECK(First(f.allocator.Allocate(Req("default/nginx"))) == "192.168.1.240");
  for (int i = 1; i < 15; ++i) {
    CHECK(First(f.allocator.Allocate(Req(absl::StrCat("default/s", i)))) ==
          absl::StrCat("192.168.1.", 240 + i));
  }
  CHECK_STATUS(f.allocator.Allocate(Req("default/late")),
               absl::StatusCode::kResourceExhausted,
               "no available IPv4 addresses in any auto-assign pool");
  CHECK(f.allocator.pending_count() == 1);
  CHECK(f.allocator.Retryable().empty());
  std::vector<PoolUsage> usage = f.allocator.Usage();
  REQUIRE(usage.size() == 1);
  CHECK(usage[0].capacity == 15);
  CHECK(usage[0].in_use == 15);
}

TEST_CASE("allocation is idempotent and Lookup reports it") {
  Fixture f;
  absl::StatusOr<Assignment> a = f.allocator.Allocate(Req("default/nginx"));
  absl::StatusOr<Assignment> b = f.allocator.Allocate(Req("default/nginx"));
  CHECK(First(a) == First(b));
  CHECK(b->pool == "my-ip-space");
  CHECK(f.allocator.Lookup("default/nginx")->addresses[0].ToString() ==
        "192.168.1.240");
  CHECK_FALSE(f.allocator.Lookup("default/other").has_value());
  CHECK(f.allocator.Holders(Ip("192.168.1.240")) ==
        std::vector<std::string>{"default/nginx"});
  CHECK(f.allocator.Usage()[0].in_use == 1);
}

TEST_CASE("Reserve keeps every assignment and holder intact") {
  Fixture f;
  for (int i = 0; i < 5; ++i) {
    REQUIRE_OK(f.allocator.Allocate(Req(absl::StrCat("default/s", i))));
  }
  f.allocator.Reserve(100000);
  for (int i = 0; i < 5; ++i) {
    std::string ip = absl::StrCat("192.168.1.", 240 + i);
    CHECK(f.allocator.Lookup(absl::StrCat("default/s", i))
              ->addresses[0]
              .ToString() == ip);
    CHECK(f.allocator.Holders(Ip(ip)) ==
          std::vector<std::string>{absl::StrCat("default/s", i)});
  }
  CHECK(First(f.allocator.Allocate(Req("default/next"))) == "192.168.1.245");
}

TEST_CASE(
    "pools are tried in config order; auto-assign false pools only on "
    "request") {
  Fixture f(R"(
address-pools:
- name: reserved
  protocol: arp
  auto-assign: false
  cidr: [10.0.0.0/30]
- name: first
  protocol: bgp
  cidr: [10.0.1.0/31]
- name: second
  protocol: arp
  cidr: [10.0.2.0/24]
)");
  CHECK(First(f.allocator.Allocate(Req("a/1"))) == "10.0.1.0");
  CHECK(First(f.allocator.Allocate(Req("a/2"))) == "10.0.1.1");
  CHECK(First(f.allocator.Allocate(Req("a/3"))) ==
        "10.0.2.1");  // .0 is arp network
  Request r = Req("a/4");
  r.pool = "reserved";
  absl::StatusOr<Assignment> got = f.allocator.Allocate(r);
  CHECK(First(got) == "10.0.0.1");
  CHECK(got->pool == "reserved");
  r.pool = "nope";
  CHECK_STATUS(f.allocator.Allocate(r), absl::StatusCode::kNotFound,
               "pool \"nope\" does not exist");
  CHECK(f.allocator.PoolOf(Ip("10.0.2.7")) == "second");
  CHECK_FALSE(f.allocator.PoolOf(Ip("10.0.2.0")).has_value());
}

TEST_CASE("avoid-buggy-ips skips .0 and .255 across a /23") {
  Fixture f(
      "address-pools:\n- name: p\n  protocol: bgp\n  avoid-buggy-ips: true\n"
      "  cidr: [10.0.0.254/31, 10.0.1.0/31]\n");
  CHECK(First(f.allocator.Allocate(Req("a/1"))) == "10.0.0.254");
  CHECK(First(f.allocator.Allocate(Req("a/2"))) == "10.0.1.1");
  CHECK_STATUS(f.allocator.Allocate(Req("a/3")),
               absl::StatusCode::kResourceExhausted, "no available");
}

TEST_CASE(
    "requested addresses: explicit, conflicting, outside, excluded, wrong "
    "pool") {
  Fixture f(R"(
address-pools:
- name: main
  protocol: arp
  cidr: [192.168.1.240/28]
- name: manual
  protocol: arp
  auto-assign: false
  cidr: [192.168.1.16/28]
)");
  Request want = Req("default/a");
  want.requested = {Ip("192.168.1.20")};
  CHECK(First(f.allocator.Allocate(want)) == "192.168.1.20");
  Request clash = Req("default/b");
  clash.requested = {Ip("192.168.1.20")};
  CHECK_STATUS(f.allocator.Allocate(clash), absl::StatusCode::kAlreadyExists,
               "\"192.168.1.20\" is already in use by \"default/a\", which "
               "does not allow sharing");
  CHECK(f.allocator.pending_count() == 1);
  Request outside = Req("default/c");
  outside.requested = {Ip("10.9.9.9")};
  CHECK_STATUS(f.allocator.Allocate(outside),
               absl::StatusCode::kFailedPrecondition,
               "requested address \"10.9.9.9\" is not in any configured pool");
  Request bcast = Req("default/d");
  bcast.requested = {Ip("192.168.1.255")};
  CHECK_STATUS(f.allocator.Allocate(bcast),
               absl::StatusCode::kFailedPrecondition, "broadcast address");
  Request wrong_pool = Req("default/e");
  wrong_pool.requested = {Ip("192.168.1.241")};
  wrong_pool.pool = "manual";
  CHECK_STATUS(f.allocator.Allocate(wrong_pool),
               absl::StatusCode::kInvalidArgument,
               "is in pool \"main\", not in the requested pool \"manual\"");
  // Once the holder goes, the conflicting request becomes retryable.
  CHECK(f.allocator.Release("default/a"));
  CHECK(f.allocator.Retryable() == std::vector<std::string>{"default/b"});
  CHECK(First(f.allocator.Allocate(clash)) == "192.168.1.20");
  CHECK(f.allocator.pending_count() == 0);
}

TEST_CASE(
    "sharing: same key and disjoint ports share; anything else does not") {
  Fixture f;
  auto tcp = [](uint16_t p) { return ServicePort{"TCP", p}; };
  auto udp = [](uint16_t p) { return ServicePort{"UDP", p}; };
  CHECK(First(f.allocator.Allocate(Shared("d/web", "k", {tcp(80)}))) ==
        "192.168.1.240");
  CHECK(First(f.allocator.Allocate(Shared("d/dns", "k", {udp(53), tcp(53)}))) ==
        "192.168.1.240");
  CHECK(First(f.allocator.Allocate(Shared("d/web2", "k", {tcp(80)}))) ==
        "192.168.1.241");
  CHECK(First(f.allocator.Allocate(Shared("d/other", "x", {tcp(8080)}))) ==
        "192.168.1.242");
  CHECK(First(f.allocator.Allocate(Req("d/plain"))) == "192.168.1.243");
  CHECK(f.allocator.Holders(Ip("192.168.1.240")) ==
        std::vector<std::string>{"d/dns", "d/web"});
  CHECK(f.allocator.Usage()[0].in_use == 4);

  // Explicit requests get the reason.
  Request r = Shared("d/ssh", "k", {tcp(80)});
  r.requested = {Ip("192.168.1.240")};
  CHECK_STATUS(
      f.allocator.Allocate(r), absl::StatusCode::kAlreadyExists,
      "port TCP/80 is already in use on \"192.168.1.240\" by \"d/web\"");
  r = Shared("d/ssh", "zz", {tcp(22)});
  r.requested = {Ip("192.168.1.240")};
  CHECK_STATUS(
      f.allocator.Allocate(r), absl::StatusCode::kAlreadyExists,
      "with sharing key \"k\", which does not match sharing key \"zz\"");
  r = Req("d/ssh");
  r.requested = {Ip("192.168.1.240")};
  CHECK_STATUS(f.allocator.Allocate(r), absl::StatusCode::kAlreadyExists,
               "this service does not allow sharing");

  // The shared address stays in use until its last holder goes.
  CHECK(f.allocator.Release("d/web"));
  CHECK(f.allocator.Holders(Ip("192.168.1.240")) ==
        std::vector<std::string>{"d/dns"});
  CHECK(f.allocator.Release("d/dns"));
  CHECK(f.allocator.Holders(Ip("192.168.1.240")).empty());
  CHECK(f.allocator.Usage()[0].in_use == 3);
}

TEST_CASE(
    "a service that keeps its address while its sharing key changes shares "
    "under the new key only") {
  auto tcp = [](uint16_t p) { return ServicePort{"TCP", p}; };
  SUBCASE("a key added: others with that key share the address") {
    Fixture f;
    CHECK(First(f.allocator.Allocate(Req("d/a"))) == "192.168.1.240");
    CHECK(First(f.allocator.Allocate(Shared("d/a", "k", {tcp(80)}))) ==
          "192.168.1.240");
    CHECK(First(f.allocator.Allocate(Shared("d/b", "k", {tcp(443)}))) ==
          "192.168.1.240");
  }
  SUBCASE("the key removed: nobody shares the address any more") {
    Fixture f;
    CHECK(First(f.allocator.Allocate(Shared("d/a", "k", {tcp(80)}))) ==
          "192.168.1.240");
    CHECK(First(f.allocator.Allocate(Req("d/a"))) == "192.168.1.240");
    CHECK(First(f.allocator.Allocate(Shared("d/b", "k", {tcp(443)}))) ==
          "192.168.1.241");
    Request explicit_share = Shared("d/c", "k", {tcp(8080)});
    explicit_share.requested = {Ip("192.168.1.240")};
    CHECK_STATUS(f.allocator.Allocate(explicit_share),
                 absl::StatusCode::kAlreadyExists,
                 "\"192.168.1.240\" is already in use by \"d/a\", which does "
                 "not allow sharing");
  }
  SUBCASE("the key changed: the old key leads nowhere after release") {
    Fixture f;
    CHECK(First(f.allocator.Allocate(Shared("d/a", "k1", {tcp(80)}))) ==
          "192.168.1.240");
    CHECK(First(f.allocator.Allocate(Shared("d/a", "k2", {tcp(80)}))) ==
          "192.168.1.240");
    CHECK(First(f.allocator.Allocate(Shared("d/b", "k1", {tcp(443)}))) ==
          "192.168.1.241");
    CHECK(f.allocator.Release("d/a"));
    // 192.168.1.240 is in hold-down, whatever key asks.
    CHECK(First(f.allocator.Allocate(Shared("d/c", "k1", {tcp(8080)}))) ==
          "192.168.1.241");
    CHECK(First(f.allocator.Allocate(Shared("d/d", "k2", {tcp(8080)}))) ==
          "192.168.1.242");
    CHECK(f.allocator.Usage()[0].held == 1);
  }
}

TEST_CASE("sharing with traffic policy Local needs the same backend") {
  Fixture f;
  Request a = Shared("d/a", "k", {{"TCP", 80}});
  a.traffic_policy = TrafficPolicy::kLocal;
  a.backend = "app=web";
  Request b = Shared("d/b", "k", {{"TCP", 443}});
  b.traffic_policy = TrafficPolicy::kLocal;
  b.backend = "app=web";
  Request c = Shared("d/c", "k", {{"TCP", 8443}});
  c.traffic_policy = TrafficPolicy::kLocal;
  c.backend = "app=other";
  Request d = Shared("d/d", "k", {{"TCP", 9000}});  // Cluster
  CHECK(First(f.allocator.Allocate(a)) == "192.168.1.240");
  CHECK(First(f.allocator.Allocate(b)) == "192.168.1.240");
  CHECK(First(f.allocator.Allocate(c)) == "192.168.1.241");
  CHECK(First(f.allocator.Allocate(d)) == "192.168.1.242");
  c.requested = {Ip("192.168.1.240")};
  CHECK_STATUS(f.allocator.Allocate(c), absl::StatusCode::kAlreadyExists,
               "externalTrafficPolicy Local with selector \"app=web\", which "
               "is incompatible "
               "with externalTrafficPolicy Local with selector \"app=other\"");
}

TEST_CASE("released addresses are held back while others are free") {
  Fixture f;
  CHECK(First(f.allocator.Allocate(Req("d/a"))) == "192.168.1.240");
  CHECK(f.allocator.Release("d/a"));
  CHECK_FALSE(f.allocator.Release("d/a"));
  CHECK(f.allocator.Usage()[0].held == 1);
  CHECK(First(f.allocator.Allocate(Req("d/b"))) == "192.168.1.241");
  // An explicit request may take a held address.
  Request want = Req("d/c");
  want.requested = {Ip("192.168.1.240")};
  CHECK(First(f.allocator.Allocate(want)) == "192.168.1.240");
  CHECK(f.allocator.Usage()[0].held == 0);
  CHECK(f.allocator.Release("d/c"));
  // After the hold-down the address is the lowest free again.
  f.clock.AdvanceTime(absl::Minutes(5));
  CHECK(First(f.allocator.Allocate(Req("d/e"))) == "192.168.1.240");
}

TEST_CASE(
    "hold-down and previous addresses are measured on the monotonic clock: a "
    "wall-clock step ends or extends neither") {
  Fixture f;
  CHECK(First(f.allocator.Allocate(Req("d/a"))) == "192.168.1.240");
  CHECK(f.allocator.Release("d/a"));
  // A forward step past the hold-down does not end it.
  f.clock.StepWallClock(absl::Hours(2));
  CHECK(First(f.allocator.Allocate(Req("d/b"))) == "192.168.1.241");
  CHECK(f.allocator.Usage()[0].held == 1);
  // A backward step does not extend it: five minutes of monotonic time do.
  f.clock.StepWallClock(-absl::Hours(4));
  f.clock.AdvanceTime(absl::Minutes(5));
  CHECK(First(f.allocator.Allocate(Req("d/c"))) == "192.168.1.240");
  CHECK(f.allocator.Usage()[0].held == 0);
  CHECK(f.allocator.Release("d/c"));
  CHECK(f.allocator.Release("d/b"));
  // d/b's previous address survives a forward step past remember_previous...
  f.clock.StepWallClock(absl::Hours(3));
  f.clock.AdvanceTime(absl::Minutes(10));
  CHECK(First(f.allocator.Allocate(Req("d/b"))) == "192.168.1.241");
  CHECK(f.allocator.Release("d/b"));
  // ...and is forgotten after an hour of monotonic time, whatever the wall
  // clock did: the lowest free address is given instead.
  f.clock.StepWallClock(-absl::Hours(5));
  f.clock.AdvanceTime(absl::Hours(1));
  CHECK(First(f.allocator.Allocate(Req("d/b"))) == "192.168.1.240");
}

TEST_CASE("when only held addresses remain, the oldest hold is reused") {
  Fixture f(
      "address-pools:\n- name: p\n  protocol: bgp\n  cidr: [10.0.0.0/30]\n");
  for (int i = 0; i < 4; ++i)
    f.allocator.Allocate(Req(absl::StrCat("d/", i))).IgnoreError();
  CHECK(f.allocator.Release("d/2"));
  f.clock.AdvanceTime(absl::Seconds(1));
  CHECK(f.allocator.Release("d/0"));
  CHECK(First(f.allocator.Allocate(Req("d/new1"))) == "10.0.0.2");
  CHECK(First(f.allocator.Allocate(Req("d/new2"))) == "10.0.0.0");
}

TEST_CASE("a service deleted and recreated gets its previous address back") {
  Fixture f;
  CHECK(First(f.allocator.Allocate(Req("d/a"))) == "192.168.1.240");
  CHECK(First(f.allocator.Allocate(Req("d/b"))) == "192.168.1.241");
  CHECK(f.allocator.Release("d/b"));
  CHECK(f.allocator.Release("d/a"));
  CHECK(First(f.allocator.Allocate(Req("d/c"))) == "192.168.1.242");
  CHECK(First(f.allocator.Allocate(Req("d/b"))) == "192.168.1.241");
  // Hold-down over, but d/a's address is still free: it comes back too.
  f.clock.AdvanceTime(absl::Minutes(10));
  CHECK(First(f.allocator.Allocate(Req("d/a"))) == "192.168.1.240");
}

TEST_CASE("the previous address is not returned once somebody else took it") {
  Fixture f(
      "address-pools:\n- name: p\n  protocol: bgp\n  cidr: [10.0.0.0/31]\n");
  CHECK(First(f.allocator.Allocate(Req("d/a"))) == "10.0.0.0");
  CHECK(f.allocator.Release("d/a"));
  Request take = Req("d/x");
  take.requested = {Ip("10.0.0.0")};
  CHECK(First(f.allocator.Allocate(take)) == "10.0.0.0");
  CHECK(f.allocator.Release("d/x"));
  // d/x's own hold and memory now cover 10.0.0.0; d/a gets the other address.
  CHECK(First(f.allocator.Allocate(Req("d/a"))) == "10.0.0.1");
}

TEST_CASE("hold-down and memory can be disabled") {
  AllocatorOptions o;
  o.hold_down = absl::ZeroDuration();
  o.remember_previous = absl::ZeroDuration();
  Fixture f(kTutorial, o);
  CHECK(First(f.allocator.Allocate(Req("d/a"))) == "192.168.1.240");
  CHECK(f.allocator.Release("d/a"));
  CHECK(First(f.allocator.Allocate(Req("d/b"))) == "192.168.1.240");
}

TEST_CASE(
    "re-learning at start-up: first claim wins, a later one gets a clear "
    "conflict") {
  Fixture f;
  CHECK_OK(f.allocator.Assign(Req("d/old"), {Ip("192.168.1.245")}));
  CHECK_STATUS(f.allocator.Assign(Req("d/dup"), {Ip("192.168.1.245")}),
               absl::StatusCode::kAlreadyExists,
               "\"192.168.1.245\" is already in use by \"d/old\"");
  CHECK_OK(
      f.allocator.Assign(Req("d/old"), {Ip("192.168.1.245")}));  // idempotent
  CHECK_STATUS(f.allocator.Assign(Req("d/x"), {Ip("10.0.0.1")}),
               absl::StatusCode::kFailedPrecondition,
               "not in any configured pool");
  // New allocations go around re-learned ones.
  CHECK_OK(f.allocator.Assign(Req("d/first"), {Ip("192.168.1.240")}));
  CHECK(First(f.allocator.Allocate(Req("d/new"))) == "192.168.1.241");
  CHECK(f.allocator.Usage()[0].in_use == 3);
}

TEST_CASE(
    "a config that would orphan addresses is rejected whole, naming the "
    "services") {
  Fixture f;
  CHECK_OK(f.allocator.Assign(Req("default/a"), {Ip("192.168.1.250")}));
  CHECK_OK(f.allocator.Assign(Req("default/b"), {Ip("192.168.1.241")}));
  absl::Status s = f.allocator.SetConfig(
      MustParse("address-pools:\n- name: small\n  protocol: arp\n  cidr: "
                "[192.168.1.248/29]\n"));
  CHECK_STATUS(s, absl::StatusCode::kFailedPrecondition,
               "configuration rejected: new config not compatible with "
               "assigned IPs: service "
               "\"default/b\" cannot own \"192.168.1.241\" under new config");
  CHECK(absl::StrContains(s.message(), "default/a") == false);
  // The old config is still in force.
  CHECK(f.allocator.Usage()[0].pool == "my-ip-space");
  CHECK(First(f.allocator.Allocate(Req("default/c"))) == "192.168.1.240");
  // Removing every pool names everybody.
  absl::Status none = f.allocator.SetConfig(Config{});
  CHECK(absl::StrContains(none.message(),
                          "\"default/a\" cannot own \"192.168.1.250\""));
  CHECK(absl::StrContains(none.message(),
                          "\"default/c\" cannot own \"192.168.1.240\""));
}

TEST_CASE("pools may be renamed, grown and split around addresses in use") {
  Fixture f;
  CHECK(First(f.allocator.Allocate(Req("d/a"))) == "192.168.1.240");
  CHECK(First(f.allocator.Allocate(Req("d/b"))) == "192.168.1.241");
  CHECK_OK(f.allocator.SetConfig(MustParse(R"(
address-pools:
- name: low
  protocol: arp
  cidr: [192.168.1.240/31]
- name: high
  protocol: arp
  cidr: [192.168.1.242/31, 192.168.1.244/30]
)")));
  CHECK(f.allocator.Lookup("d/a")->pool == "low");
  CHECK(First(f.allocator.Allocate(Req("d/c"))) == "192.168.1.242");
  std::vector<PoolUsage> usage = f.allocator.Usage();
  REQUIRE(usage.size() == 2);
  CHECK(usage[0].in_use == 2);
  CHECK(usage[1].in_use == 1);
  CHECK(usage[1].capacity == 6);
}

TEST_CASE(
    "after a config change, pending services that now fit are retryable") {
  Fixture f(
      "address-pools:\n- name: p\n  protocol: bgp\n  cidr: [10.0.0.0/32]\n");
  CHECK(First(f.allocator.Allocate(Req("d/a"))) == "10.0.0.0");
  CHECK_STATUS(f.allocator.Allocate(Req("d/b")),
               absl::StatusCode::kResourceExhausted, "");
  Request in_other = Req("d/c");
  in_other.pool = "other";
  CHECK_STATUS(f.allocator.Allocate(in_other), absl::StatusCode::kNotFound, "");
  CHECK(f.allocator.Retryable().empty());
  CHECK_OK(f.allocator.SetConfig(MustParse(
      "address-pools:\n- name: p\n  protocol: bgp\n  cidr: [10.0.0.0/31]\n")));
  CHECK(f.allocator.Retryable() == std::vector<std::string>{"d/b"});
  f.allocator.ForgetPending("d/b");
  CHECK(f.allocator.Retryable().empty());
}

TEST_CASE("a changed pool annotation moves the service") {
  Fixture f(R"(
address-pools:
- name: a
  protocol: arp
  cidr: [10.0.0.0/28]
- name: b
  protocol: arp
  auto-assign: false
  cidr: [10.0.1.0/28]
)");
  CHECK(First(f.allocator.Allocate(Req("d/s"))) == "10.0.0.1");
  Request moved = Req("d/s");
  moved.pool = "b";
  absl::StatusOr<Assignment> got = f.allocator.Allocate(moved);
  CHECK(First(got) == "10.0.1.1");
  CHECK(got->pool == "b");
  CHECK(f.allocator.Usage()[0].in_use == 0);
  CHECK(f.allocator.Usage()[0].held == 1);
}

TEST_CASE("IP families: single IPv6, dual-stack required and preferred") {
  Fixture f(R"(
address-pools:
- name: v4
  protocol: arp
  cidr: [10.0.0.0/28]
- name: v6
  protocol: arp
  cidr: [2001:db8::/120]
- name: dual
  protocol: arp
  cidr: [10.0.1.0/28, "2001:db8:1::/120"]
)");
  Request v6 = Req("d/v6");
  v6.families = {IpFamily::kV6};
  CHECK(First(f.allocator.Allocate(v6)) == "2001:db8::");
  Request dual = Req("d/dual");
  dual.family_policy = IpFamilyPolicy::kRequireDualStack;
  dual.families = {IpFamily::kV6, IpFamily::kV4};
  absl::StatusOr<Assignment> got = f.allocator.Allocate(dual);
  REQUIRE_OK(got);
  CHECK(got->pool == "dual");
  REQUIRE(got->addresses.size() == 2);
  CHECK(got->addresses[0].ToString() == "2001:db8:1::");
  CHECK(got->addresses[1].ToString() == "10.0.1.1");
  Request prefer = Req("d/prefer");
  prefer.family_policy = IpFamilyPolicy::kPreferDualStack;
  prefer.pool = "v4";
  got = f.allocator.Allocate(prefer);
  REQUIRE_OK(got);
  CHECK(got->addresses.size() == 1);
  CHECK(got->addresses[0].ToString() == "10.0.0.1");
  Request impossible = Req("d/no");
  impossible.family_policy = IpFamilyPolicy::kRequireDualStack;
  impossible.pool = "v4";
  CHECK_STATUS(f.allocator.Allocate(impossible),
               absl::StatusCode::kFailedPrecondition,
               "no IPv4 and IPv6 addresses configured in pool \"v4\"");
  // A dual-stack service re-learned from its status.
  Request relearn = Req("d/relearn");
  CHECK_OK(f.allocator.Assign(relearn, {Ip("10.0.1.5"), Ip("2001:db8:1::5")}));
  CHECK(f.allocator.Lookup("d/relearn")->addresses.size() == 2);
}

// Checks that, for every pool and family, in_use is exactly the number of
// distinct addresses `services` hold there and that in_use + held fits the
// capacity (a counter that wrapped below zero would not).
void CheckUsageMatchesHolders(const Allocator& allocator,
                              const std::vector<std::string>& services) {
  std::map<std::pair<std::string, IpFamily>, std::set<IpAddress>> held;
  for (const std::string& service : services) {
    std::optional<Assignment> a = allocator.Lookup(service);
    if (!a) continue;
    for (const IpAddress& address : a->addresses) {
      CHECK(allocator.PoolOf(address) == a->pool);
      held[{a->pool, address.family()}].insert(address);
    }
  }
  for (const PoolUsage& u : allocator.Usage()) {
    INFO("pool ", u.pool, " ", FamilyName(u.family));
    size_t want = held[{u.pool, u.family}].size();
    CHECK(u.in_use == want);
    CHECK(u.in_use <= u.capacity);
    CHECK(u.held <= u.capacity - u.in_use);
  }
}

TEST_CASE(
    "a dual-stack service keeps both addresses in one pool, and usage per "
    "pool and family stays exact") {
  constexpr char kDual[] = R"(
address-pools:
- name: dual
  protocol: arp
  cidr: [10.0.1.0/28, "2001:db8:1::/120"]
)";
  constexpr char kSplit[] = R"(
address-pools:
- name: v4
  protocol: arp
  cidr: [10.0.1.0/28]
- name: v6
  protocol: arp
  cidr: ["2001:db8:1::/120"]
)";
  const std::vector<std::string> services = {"d/dual"};
  Fixture f(kDual);
  Request dual = Req("d/dual");
  dual.family_policy = IpFamilyPolicy::kRequireDualStack;
  dual.families = {IpFamily::kV4, IpFamily::kV6};
  absl::StatusOr<Assignment> got = f.allocator.Allocate(dual);
  REQUIRE_OK(got);
  REQUIRE(got->addresses ==
          std::vector<IpAddress>{Ip("10.0.1.1"), Ip("2001:db8:1::")});
  CheckUsageMatchesHolders(f.allocator, services);

  // Splitting the pool by family would put the service's addresses in two
  // pools: refused, naming the service, its addresses and the pools.
  CHECK_STATUS(f.allocator.SetConfig(MustParse(kSplit)),
               absl::StatusCode::kFailedPrecondition,
               "service \"d/dual\" cannot keep \"10.0.1.1\" and "
               "\"2001:db8:1::\" under new config: they would be in pools "
               "\"v4\" and \"v6\", and a service's addresses share one pool");
  CHECK(f.allocator.Lookup("d/dual")->pool == "dual");
  CheckUsageMatchesHolders(f.allocator, services);

  // Release: both addresses leave use and enter hold-down, in their pool.
  CHECK(f.allocator.Release("d/dual"));
  CheckUsageMatchesHolders(f.allocator, services);
  std::vector<PoolUsage> u = f.allocator.Usage();
  REQUIRE(u.size() == 2);
  CHECK(u[0].family == IpFamily::kV4);
  CHECK(u[0].capacity == 15);
  CHECK(u[0].in_use == 0);
  CHECK(u[0].held == 1);
  CHECK(u[1].family == IpFamily::kV6);
  CHECK(u[1].capacity == 256);
  CHECK(u[1].in_use == 0);
  CHECK(u[1].held == 1);

  // Re-learning takes them out of hold-down and back into use.
  CHECK_OK(f.allocator.Assign(dual, {Ip("10.0.1.1"), Ip("2001:db8:1::")}));
  CheckUsageMatchesHolders(f.allocator, services);
  u = f.allocator.Usage();
  CHECK(u[0].in_use == 1);
  CHECK(u[0].held == 0);
  CHECK(u[1].in_use == 1);
  CHECK(u[1].held == 0);

  // Once nobody holds them, the split goes through; the held addresses stay
  // held, each in its new pool.
  CHECK(f.allocator.Release("d/dual"));
  REQUIRE_OK(f.allocator.SetConfig(MustParse(kSplit)));
  u = f.allocator.Usage();
  REQUIRE(u.size() == 2);
  CHECK(u[0].pool == "v4");
  CHECK(u[0].in_use == 0);
  CHECK(u[0].held == 1);
  CHECK(u[1].pool == "v6");
  CHECK(u[1].in_use == 0);
  CHECK(u[1].held == 1);
  // Addresses in two pools cannot be re-learned as one service's either.
  CHECK_STATUS(f.allocator.Assign(dual, {Ip("10.0.1.1"), Ip("2001:db8:1::")}),
               absl::StatusCode::kInvalidArgument,
               "requested addresses are in different pools");
  CheckUsageMatchesHolders(f.allocator, services);
  CHECK(f.allocator.Usage()[0].held == 1);
  CHECK(f.allocator.Usage()[1].held == 1);
}

TEST_CASE(
    "moving, re-learning and releasing a dual-stack service frees its "
    "addresses in its own pool") {
  constexpr char kTwoPools[] = R"(
address-pools:
- name: one
  protocol: bgp
  cidr: [10.0.0.0/29, "2001:db8::/125"]
- name: two
  protocol: bgp
  auto-assign: false
  cidr: [10.0.1.0/29, "2001:db8:1::/125"]
)";
  const std::vector<std::string> services = {"d/s", "d/t"};
  auto usage = [](const Allocator& a, size_t i) {
    PoolUsage u = a.Usage().at(i);
    return std::make_pair(static_cast<int>(u.in_use), static_cast<int>(u.held));
  };
  using P = std::pair<int, int>;  // (in use, held)
  for (bool hold : {true, false}) {
    CAPTURE(hold);
    AllocatorOptions o;
    if (!hold) o.hold_down = absl::ZeroDuration();
    Fixture f(kTwoPools, o);
    // Usage rows: one IPv4, one IPv6, two IPv4, two IPv6.
    Request s = Req("d/s");
    s.family_policy = IpFamilyPolicy::kRequireDualStack;
    s.families = {IpFamily::kV6, IpFamily::kV4};
    REQUIRE_OK(f.allocator.Allocate(s));
    CheckUsageMatchesHolders(f.allocator, services);
    CHECK(usage(f.allocator, 0) == P{1, 0});
    CHECK(usage(f.allocator, 1) == P{1, 0});

    // A changed pool annotation moves it: its old addresses are released (and
    // held) in pool one.
    s.pool = "two";
    absl::StatusOr<Assignment> moved = f.allocator.Allocate(s);
    REQUIRE_OK(moved);
    CHECK(moved->addresses ==
          std::vector<IpAddress>{Ip("2001:db8:1::"), Ip("10.0.1.0")});
    CheckUsageMatchesHolders(f.allocator, services);
    CHECK(usage(f.allocator, 0) == P{0, hold ? 1 : 0});
    CHECK(usage(f.allocator, 1) == P{0, hold ? 1 : 0});
    CHECK(usage(f.allocator, 2) == P{1, 0});
    CHECK(usage(f.allocator, 3) == P{1, 0});

    // Re-learning it in pool one frees its pool-two addresses there, at once.
    s.pool.clear();
    CHECK_OK(f.allocator.Assign(s, {Ip("10.0.0.0"), Ip("2001:db8::")}));
    CheckUsageMatchesHolders(f.allocator, services);
    CHECK(usage(f.allocator, 0) == P{1, 0});
    CHECK(usage(f.allocator, 1) == P{1, 0});
    CHECK(usage(f.allocator, 2) == P{0, 0});
    CHECK(usage(f.allocator, 3) == P{0, 0});
    Request t = Req("d/t");
    t.pool = "two";
    CHECK(First(f.allocator.Allocate(t)) == "10.0.1.0");

    // Released: held in pool one, or free at once without hold-down.
    CHECK(f.allocator.Release("d/s"));
    CheckUsageMatchesHolders(f.allocator, services);
    CHECK(usage(f.allocator, 0) == P{0, hold ? 1 : 0});
    CHECK(usage(f.allocator, 1) == P{0, hold ? 1 : 0});
    CHECK(usage(f.allocator, 2) == P{1, 0});
    CHECK(usage(f.allocator, 3) == P{0, 0});
    CHECK(First(f.allocator.Allocate(Req("d/u"))) ==
          (hold ? "10.0.0.1" : "10.0.0.0"));
  }
}

TEST_CASE("usage of an IPv6 /64 is exact") {
  Fixture f(
      "address-pools:\n- name: big\n  protocol: arp\n  cidr: "
      "[\"2001:db8::/64\"]\n");
  Request r = Req("d/a");
  r.families = {IpFamily::kV6};
  REQUIRE_OK(f.allocator.Allocate(r));
  std::vector<PoolUsage> u = f.allocator.Usage();
  REQUIRE(u.size() == 1);
  CHECK(u[0].family == IpFamily::kV6);
  CHECK(u[0].capacity == absl::uint128(1) << 64);
  CHECK(u[0].in_use == 1);
}

TEST_CASE("requests are validated") {
  SimulatedClock clock;
  Allocator empty(clock);
  CHECK_STATUS(empty.Allocate(Req("d/a")),
               absl::StatusCode::kFailedPrecondition,
               "no configuration loaded yet");
  Fixture f;
  CHECK_STATUS(f.allocator.Allocate(Req("")),
               absl::StatusCode::kInvalidArgument, "no service key");
  Request two = Req("d/two");
  two.requested = {Ip("192.168.1.241"), Ip("192.168.1.242")};
  two.family_policy = IpFamilyPolicy::kRequireDualStack;
  CHECK_STATUS(f.allocator.Allocate(two), absl::StatusCode::kInvalidArgument,
               "at most one address per family");
}

// A model of the allocator without sharing, hold-down or memory: lowest usable
// free address of the first auto-assign pool, found by scanning.
TEST_CASE("random operations agree with a scanning model") {
  AllocatorOptions o;
  o.hold_down = absl::ZeroDuration();
  o.remember_previous = absl::ZeroDuration();
  const char* yaml = R"(
address-pools:
- name: a
  protocol: bgp
  avoid-buggy-ips: true
  cidr: [10.0.0.250-10.0.1.10, 10.0.3.0/29]
- name: b
  protocol: arp
  arp-network: 10.1.0.0/24
  cidr: [10.1.0.0/28, 10.1.0.248/29]
)";
  Fixture f(yaml, o);
  Config config = MustParse(yaml);
  std::vector<PoolSpace> spaces;
  for (const Pool& p : config.pools) spaces.emplace_back(p);
  std::set<IpAddress> used;
  std::map<std::string, IpAddress> owner;
  auto model_pick = [&]() -> std::optional<IpAddress> {
    for (const PoolSpace& s : spaces) {
      for (std::optional<IpAddress> a = s.FirstUsable(IpFamily::kV4); a;
           a = a->Checked(1) ? s.NextUsable(*a->Checked(1)) : std::nullopt) {
        if (!used.count(*a)) return a;
      }
    }
    return std::nullopt;
  };
  std::mt19937 rng(7);
  for (int step = 0; step < 3000; ++step) {
    std::string svc = absl::StrCat("d/", rng() % 60);
    if (owner.count(svc) && rng() % 2 == 0) {
      CHECK(f.allocator.Release(svc));
      used.erase(owner[svc]);
      owner.erase(svc);
    } else if (!owner.count(svc)) {
      std::optional<IpAddress> want = model_pick();
      absl::StatusOr<Assignment> got = f.allocator.Allocate(Req(svc));
      if (!want) {
        CHECK(got.status().code() == absl::StatusCode::kResourceExhausted);
        f.allocator.ForgetPending(svc);
        continue;
      }
      REQUIRE_OK(got);
      REQUIRE(got->addresses[0] == *want);
      used.insert(*want);
      owner[svc] = *want;
    }
    size_t in_use = 0;
    for (const PoolUsage& u : f.allocator.Usage())
      in_use += static_cast<size_t>(u.in_use);
    REQUIRE(in_use == used.size());
  }
}

}  // namespace
}  // namespace lb::ipam
