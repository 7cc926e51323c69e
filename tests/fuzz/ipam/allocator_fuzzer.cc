// Drives one Allocator through a sequence of operations decoded from the input
// bytes (config changes among pools that grow, shrink, split, merge and vanish;
// automatic and explicit allocations of every family policy, with and without
// sharing; re-learning; releases; time passing) and checks after each step
// what must always hold:
//   * per pool and family, in_use is exactly the number of distinct addresses
//     the services hold there, and in_use + held never exceeds capacity;
//   * every address of a service lies in the pool its assignment names, and
//     the service is among the address's holders;
//   * Plan changes nothing, and for a service holding nothing it succeeds or
//     fails as Allocate then does, with the same pool and families;
//   * the pending services are those whose last Allocate failed for lack of
//     addresses or a conflict, and every one Retryable names can be planned.
// Any violation aborts.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "lib/base/ip_address.h"
#include "lib/base/simulated_clock.h"
#include "lib/ipam/allocator.h"
#include "lib/ipam/config.h"

namespace {

using lb::IpAddress;
using lb::IpFamily;
using lb::ipam::Allocator;
using lb::ipam::AllocatorOptions;
using lb::ipam::Assignment;
using lb::ipam::Config;
using lb::ipam::IpFamilyPolicy;
using lb::ipam::PoolUsage;
using lb::ipam::Request;
using lb::ipam::ServicePort;
using lb::ipam::TrafficPolicy;

constexpr int kServices = 12;

// Small pools, so that exhaustion, hold-down reuse and rejected configs are
// all reached quickly.
constexpr const char* kConfigs[] = {
    // Two dual-stack pools and a manual one.
    R"(
address-pools:
- name: a
  protocol: arp
  cidr: [10.0.0.0/29, "2001:db8::/125"]
- name: b
  protocol: bgp
  avoid-buggy-ips: true
  addresses: [10.0.1.254-10.0.2.1, "2001:db8:1::/126"]
- name: m
  protocol: arp
  auto-assign: false
  cidr: [10.0.3.0/30, "2001:db8:3::/126"]
)",
    // Pool a split by family.
    R"(
address-pools:
- name: a4
  protocol: arp
  cidr: [10.0.0.0/29]
- name: a6
  protocol: arp
  cidr: ["2001:db8::/125"]
- name: b
  protocol: bgp
  avoid-buggy-ips: true
  addresses: [10.0.1.254-10.0.2.1, "2001:db8:1::/126"]
- name: m
  protocol: arp
  auto-assign: false
  cidr: [10.0.3.0/30, "2001:db8:3::/126"]
)",
    // Shrunk, renamed, reordered.
    R"(
address-pools:
- name: b2
  protocol: bgp
  addresses: [10.0.1.254-10.0.2.1, "2001:db8:1::/127"]
- name: a
  protocol: arp
  cidr: [10.0.0.0/30, "2001:db8::/126"]
)",
    // Everything merged into one pool.
    R"(
address-pools:
- name: all
  protocol: bgp
  addresses: [10.0.0.0/29, 10.0.1.254-10.0.2.1, 10.0.3.0/30,
              "2001:db8::/125", "2001:db8:1::/126", "2001:db8:3::/126"]
)",
    // No pools.
    "",
    // Grown; IPv4 only.
    R"(
address-pools:
- name: a
  protocol: arp
  cidr: [10.0.0.0/28]
- name: b
  protocol: bgp
  addresses: [10.0.1.250-10.0.2.10]
)",
};

constexpr const char* kAddresses[] = {
    "10.0.0.0",      "10.0.0.1",     "10.0.0.5",      "10.0.0.7",
    "10.0.1.254",    "10.0.1.255",   "10.0.2.0",      "10.0.2.1",
    "10.0.3.1",      "10.0.9.9",     "2001:db8::",    "2001:db8::3",
    "2001:db8::7",   "2001:db8:1::", "2001:db8:1::3", "2001:db8:3::1",
    "2001:db8:9::1",
};

constexpr const char* kPools[] = {"", "", "", "a", "b", "m", "a6", "all", "z"};

class Input {
 public:
  Input(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool empty() const { return pos_ >= size_; }
  uint8_t Byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  template <typename T, size_t N>
  const T& Pick(const T (&items)[N]) {
    return items[Byte() % N];
  }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// Aborts, naming the broken invariant, when `cond` is false.
#define CHECK_INVARIANT(cond)                                         \
  do {                                                                \
    if (!(cond)) {                                                    \
      std::fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, \
                   __LINE__, #cond);                                  \
      std::abort();                                                   \
    }                                                                 \
  } while (false)

std::string ServiceName(int i) { return absl::StrCat("ns/s", i); }

Request DecodeRequest(Input& in) {
  Request r;
  r.service = ServiceName(in.Byte() % kServices);
  uint8_t shape = in.Byte();
  switch (shape % 4) {
    case 0:
      r.families = {};
      break;
    case 1:
      r.families = {IpFamily::kV6};
      break;
    case 2:
      r.families = {IpFamily::kV4, IpFamily::kV6};
      break;
    case 3:
      r.families = {IpFamily::kV6, IpFamily::kV4};
      break;
  }
  switch ((shape >> 2) % 3) {
    case 0:
      r.family_policy = IpFamilyPolicy::kSingleStack;
      break;
    case 1:
      r.family_policy = IpFamilyPolicy::kPreferDualStack;
      break;
    case 2:
      r.family_policy = IpFamilyPolicy::kRequireDualStack;
      break;
  }
  if (shape & 0x10) r.pool = in.Pick(kPools);
  if (shape & 0x20) {
    r.sharing_key = (in.Byte() & 1) ? "k1" : "k2";
    r.ports = {ServicePort{"TCP", static_cast<uint16_t>(in.Byte() % 3)}};
    if (in.Byte() & 1) {
      r.traffic_policy = TrafficPolicy::kLocal;
      r.backend = (in.Byte() & 1) ? "app=a" : "app=b";
    }
  }
  if (shape & 0x40) {
    r.requested.push_back(IpAddress::Parse(in.Pick(kAddresses)).value());
    if (shape & 0x80) {
      r.requested.push_back(IpAddress::Parse(in.Pick(kAddresses)).value());
    }
  }
  return r;
}

std::vector<IpFamily> Families(const Assignment& a) {
  std::vector<IpFamily> out;
  for (const IpAddress& address : a.addresses) out.push_back(address.family());
  return out;
}

// Everything the allocator reports, as text.
std::string Snapshot(const Allocator& allocator) {
  std::string out;
  for (const PoolUsage& u : allocator.Usage()) {
    absl::StrAppend(&out, u.pool, " ", lb::FamilyName(u.family), " ",
                    absl::Uint128Low64(u.in_use), " ",
                    absl::Uint128Low64(u.held), "\n");
  }
  for (int i = 0; i < kServices; ++i) {
    if (std::optional<Assignment> a = allocator.Lookup(ServiceName(i))) {
      absl::StrAppend(&out, ServiceName(i), " ", a->pool);
      for (const IpAddress& address : a->addresses) {
        absl::StrAppend(&out, " ", address.ToString());
      }
      absl::StrAppend(&out, "\n");
    }
  }
  absl::StrAppend(&out, allocator.pending_count(), "\n");
  return out;
}

// The invariants of the file comment that need no operation.
void CheckState(const Allocator& allocator) {
  std::map<std::pair<std::string, IpFamily>, std::set<IpAddress>> held_by_pool;
  for (int i = 0; i < kServices; ++i) {
    std::string service = ServiceName(i);
    std::optional<Assignment> a = allocator.Lookup(service);
    if (!a) continue;
    CHECK_INVARIANT(!a->addresses.empty() && a->addresses.size() <= 2);
    for (const IpAddress& address : a->addresses) {
      CHECK_INVARIANT(allocator.PoolOf(address) == a->pool);
      std::vector<std::string> holders = allocator.Holders(address);
      CHECK_INVARIANT(std::count(holders.begin(), holders.end(), service) == 1);
      held_by_pool[{a->pool, address.family()}].insert(address);
    }
  }
  size_t counted = 0;
  for (const PoolUsage& u : allocator.Usage()) {
    CHECK_INVARIANT(u.in_use <= u.capacity);
    CHECK_INVARIANT(u.held <= u.capacity - u.in_use);
    auto it = held_by_pool.find({u.pool, u.family});
    size_t expected = it == held_by_pool.end() ? 0 : it->second.size();
    CHECK_INVARIANT(u.in_use == expected);
    counted += expected;
  }
  size_t total = 0;
  for (const auto& [key, addresses] : held_by_pool) total += addresses.size();
  CHECK_INVARIANT(counted == total);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<Config>* configs = [] {
    auto* out = new std::vector<Config>;
    for (const char* yaml : kConfigs) {
      out->push_back(lb::ipam::ParseConfig(yaml).value().config);
    }
    // Refused by the allocator (the parser would refuse it too): two pools
    // overlap.
    Config overlapping = out->front();
    overlapping.pools.push_back(overlapping.pools.front());
    overlapping.pools.back().name = "copy";
    out->push_back(std::move(overlapping));
    return out;
  }();
  Input in(data, size);
  lb::SimulatedClock clock(absl::FromUnixSeconds(1000));
  AllocatorOptions options;
  if (in.Byte() & 1) options.hold_down = absl::ZeroDuration();
  if (in.Byte() & 1) options.remember_previous = absl::ZeroDuration();
  Allocator allocator(clock, options);
  (void)allocator.SetConfig((*configs)[0]);
  // What the allocator should hold as pending.
  std::map<std::string, Request> pending;
  auto allocate = [&](const Request& r) {
    absl::StatusOr<Assignment> got = allocator.Allocate(r);
    if (got.ok()) {
      pending.erase(r.service);
    } else if (got.status().code() == absl::StatusCode::kResourceExhausted ||
               got.status().code() == absl::StatusCode::kAlreadyExists) {
      pending[r.service] = r;
    }
    return got;
  };
  for (int steps = 0; !in.empty() && steps < 400; ++steps) {
    switch (in.Byte() % 9) {
      case 0:
        // A refused config keeps the previous one; CheckState verifies both.
        (void)allocator.SetConfig((*configs)[in.Byte() % configs->size()]);
        break;
      case 1:
      case 2:
        (void)allocate(DecodeRequest(in));
        break;
      case 3: {
        Request r = DecodeRequest(in);
        bool holds = allocator.Lookup(r.service).has_value();
        std::string before = Snapshot(allocator);
        absl::StatusOr<Assignment> plan = allocator.Plan(r);
        CHECK_INVARIANT(Snapshot(allocator) == before);
        absl::StatusOr<Assignment> got = allocate(r);
        if (holds) break;  // Allocate first releases what the service holds.
        // Holds that expired since the last change are still passed over by
        // Plan (it changes nothing), so the addresses may differ; whether it
        // succeeds, the pool and the families may not.
        CHECK_INVARIANT(plan.status().code() == got.status().code());
        if (plan.ok()) {
          CHECK_INVARIANT(plan->pool == got->pool &&
                          Families(*plan) == Families(*got));
        }
        break;
      }
      case 4: {
        // Re-learning: the decoded addresses as read back from a status.
        Request r = DecodeRequest(in);
        std::vector<IpAddress> addresses = std::move(r.requested);
        r.requested.clear();
        if (allocator.Assign(r, addresses).ok()) pending.erase(r.service);
        break;
      }
      case 5: {
        std::string service = ServiceName(in.Byte() % kServices);
        (void)allocator.Release(service);
        pending.erase(service);
        break;
      }
      case 6:
        clock.AdvanceTime(absl::Seconds(20) * in.Byte());
        break;
      case 7:
        for (const std::string& service : allocator.Retryable()) {
          auto it = pending.find(service);
          CHECK_INVARIANT(it != pending.end() &&
                          allocator.Plan(it->second).ok());
        }
        break;
      case 8: {
        std::string service = ServiceName(in.Byte() % kServices);
        allocator.ForgetPending(service);
        pending.erase(service);
        break;
      }
    }
    CHECK_INVARIANT(allocator.pending_count() == pending.size());
    CheckState(allocator);
  }
  return 0;
}
