// Allocator benchmark: time per allocation and release at several fill levels
// of an IPv4 /16, a million allocations in an IPv6 /64, re-learning 100k
// assignments, and heap bytes per allocation. Prints one `name: value unit`
// line per figure.
//
//   bazel run -c opt //tests/bench/ipam:allocator_bench

#include <malloc.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "lib/base/clock.h"
#include "lib/ipam/allocator.h"
#include "lib/ipam/config.h"
#include "tests/bench/percentile.h"

namespace {

using lb::IpFamily;
using lb::ipam::Allocator;
using lb::ipam::AllocatorOptions;
using lb::ipam::Request;
using Clock = std::chrono::steady_clock;

double Nanos(Clock::duration d) {
  return std::chrono::duration<double, std::nano>(d).count();
}

size_t HeapBytes() { return mallinfo2().uordblks; }

lb::ipam::Config Config(const char* yaml) {
  return lb::ipam::ParseConfig(yaml).value().config;
}

std::vector<Request> Requests(size_t n, IpFamily f) {
  std::vector<Request> out(n);
  for (size_t i = 0; i < n; ++i) {
    out[i].service = absl::StrCat("namespace-", i % 97, "/service-", i);
    out[i].families = {f};
  }
  return out;
}

void Figure(const std::string& name, double value, const char* unit) {
  std::printf("%s: %.3f %s\n", name.c_str(), value, unit);
}

// Fills a /16 with n services, timing each allocation; releases them in random
// order, timing each release; then, at fill n, times allocations into a
// fragmented pool.
void FillV4(size_t n, lb::RealClock& clock) {
  AllocatorOptions o;
  o.hold_down = absl::ZeroDuration();
  o.remember_previous = absl::ZeroDuration();
  Allocator a(clock, o);
  if (!a.SetConfig(Config("address-pools:\n- name: p\n  protocol: bgp\n  cidr: "
                          "[10.0.0.0/16]\n"))
           .ok()) {
    std::abort();
  }
  std::vector<Request> reqs = Requests(n, IpFamily::kV4);
  std::vector<double> alloc_ns(n), release_ns;
  for (size_t i = 0; i < n; ++i) {
    auto t0 = Clock::now();
    bool ok = a.Allocate(reqs[i]).ok();
    alloc_ns[i] = Nanos(Clock::now() - t0);
    if (!ok) std::abort();
  }
  // Fragment: release a random 10%, then re-allocate them (each fills a hole).
  std::mt19937 rng(1);
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  size_t holes = std::max<size_t>(1, n / 10);
  for (size_t i = 0; i < holes; ++i) a.Release(reqs[order[i]].service);
  std::vector<double> refill_ns(holes);
  for (size_t i = 0; i < holes; ++i) {
    auto t0 = Clock::now();
    bool ok = a.Allocate(reqs[order[i]]).ok();
    refill_ns[i] = Nanos(Clock::now() - t0);
    if (!ok) std::abort();
  }
  release_ns.reserve(n);
  for (size_t i : order) {
    auto t0 = Clock::now();
    bool ok = a.Release(reqs[i].service);
    release_ns.push_back(Nanos(Clock::now() - t0));
    if (!ok) std::abort();
  }
  std::string k = n >= 1000 ? absl::StrCat(n / 1000, "k") : absl::StrCat(n);
  Figure(absl::StrCat("ipam_v4_slash16_", k, "_allocate_median"),
         lb::bench::Percentile(alloc_ns, 0.5), "ns");
  Figure(absl::StrCat("ipam_v4_slash16_", k, "_allocate_into_holes_median"),
         lb::bench::Percentile(refill_ns, 0.5), "ns");
  Figure(absl::StrCat("ipam_v4_slash16_", k, "_release_median"),
         lb::bench::Percentile(release_ns, 0.5), "ns");
}

void MillionV6(lb::RealClock& clock, size_t n) {
  std::vector<Request> reqs = Requests(n, IpFamily::kV6);
  size_t before = HeapBytes();
  AllocatorOptions o;
  Allocator a(clock, o);
  if (!a.SetConfig(Config("address-pools:\n- name: p\n  protocol: arp\n"
                          "  cidr: [\"2001:db8::/64\"]\n"))
           .ok()) {
    std::abort();
  }
  auto t0 = Clock::now();
  for (const Request& r : reqs) {
    if (!a.Allocate(r).ok()) std::abort();
  }
  double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  size_t after = HeapBytes();
  Figure(absl::StrCat("ipam_v6_slash64_", n / 1000, "k_allocate_total"),
         seconds, "s");
  Figure(absl::StrCat("ipam_v6_slash64_", n / 1000, "k_heap_per_allocation"),
         double(after - before) / n, "bytes");
  std::vector<lb::ipam::PoolUsage> u = a.Usage();
  Figure(absl::StrCat("ipam_v6_slash64_", n / 1000, "k_in_use"),
         static_cast<double>(u[0].in_use), "addresses");
}

// Re-learning: 100k services whose status already names an address, in random
// order.
void Relearn(lb::RealClock& clock) {
  const size_t n = 100000;
  std::vector<Request> reqs = Requests(n, IpFamily::kV4);
  std::vector<lb::IpAddress> ips(n);
  for (size_t i = 0; i < n; ++i) {
    ips[i] = lb::IpAddress::V4(0x0a000000u + static_cast<uint32_t>(i) * 3);
  }
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), std::mt19937(2));
  Allocator a(clock);
  if (!a.SetConfig(Config("address-pools:\n- name: p\n  protocol: bgp\n  cidr: "
                          "[10.0.0.0/12]\n"))
           .ok()) {
    std::abort();
  }
  auto t0 = Clock::now();
  a.Reserve(n);
  for (size_t i : order) {
    if (!a.Assign(reqs[i], {ips[i]}).ok()) std::abort();
  }
  double ms =
      std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
  Figure("ipam_relearn_100k_total", ms, "ms");
}

}  // namespace

int main(int argc, char** argv) {
  lb::RealClock clock;
  // `allocator_bench v6 N`: only the IPv6 run, with N allocations (for
  // profiling).
  if (argc == 2 && std::string(argv[1]) == "relearn") {
    Relearn(clock);
    return 0;
  }
  if (argc == 3 && std::string(argv[1]) == "v6") {
    MillionV6(clock, std::stoul(argv[2]));
    return 0;
  }
  std::printf("# bazel run -c opt //tests/bench/ipam:allocator_bench\n");
  for (size_t n : {size_t{1000}, size_t{16000}, size_t{65000}})
    FillV4(n, clock);
  Relearn(clock);
  MillionV6(clock, 1000000);
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  Figure("ipam_bench_peak_rss", ru.ru_maxrss / 1024.0, "MiB");
  return 0;
}
