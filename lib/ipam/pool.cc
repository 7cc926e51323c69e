#include "lib/ipam/pool.h"

#include <algorithm>

namespace lb::ipam {

absl::string_view UnusableReason(Unusable u) {
  switch (u) {
    case Unusable::kNone:
      return "usable";
    case Unusable::kOutside:
      return "it is outside the pool";
    case Unusable::kBuggyIp:
      return "it ends in .0 or .255 and the pool has avoid-buggy-ips";
    case Unusable::kNetworkAddress:
      return "it is the network address of the pool's arp-network";
    case Unusable::kBroadcastAddress:
      return "it is the broadcast address of the pool's arp-network";
  }
  return "unknown";
}

PoolSpace::PoolSpace(const Pool& pool) : pool_(pool) {
  for (const IpRange& r : pool_.ranges) {
    (r.family() == IpFamily::kV4 ? v4_ : v6_).push_back(r);
  }
  auto by_first = [](const IpRange& a, const IpRange& b) {
    return a.first() < b.first();
  };
  std::sort(v4_.begin(), v4_.end(), by_first);
  std::sort(v6_.begin(), v6_.end(), by_first);
}

bool PoolSpace::HasFamily(IpFamily f) const { return !Ranges(f).empty(); }

bool PoolSpace::Contains(const IpAddress& a) const {
  const std::vector<IpRange>& ranges = Ranges(a.family());
  auto it = std::upper_bound(
      ranges.begin(), ranges.end(), a,
      [](const IpAddress& x, const IpRange& r) { return x < r.first(); });
  return it != ranges.begin() && std::prev(it)->Contains(a);
}

Unusable PoolSpace::Excluded(const IpAddress& a) const {
  if (a.is_v4() && pool_.avoid_buggy_ips) {
    uint32_t low = static_cast<uint32_t>(a.value()) & 0xff;
    if (low == 0 || low == 255) return Unusable::kBuggyIp;
  }
  if (pool_.arp_network && pool_.arp_network->family() == a.family()) {
    if (a == pool_.arp_network->first()) return Unusable::kNetworkAddress;
    if (a.is_v4() && a == pool_.arp_network->last())
      return Unusable::kBroadcastAddress;
  }
  return Unusable::kNone;
}

Unusable PoolSpace::Check(const IpAddress& a) const {
  if (!Contains(a)) return Unusable::kOutside;
  return Excluded(a);
}

std::optional<IpAddress> PoolSpace::NextUsable(const IpAddress& from) const {
  const std::vector<IpRange>& ranges = Ranges(from.family());
  // First range whose last >= from.
  auto it = std::lower_bound(
      ranges.begin(), ranges.end(), from,
      [](const IpRange& r, const IpAddress& x) { return r.last() < x; });
  for (; it != ranges.end(); ++it) {
    IpAddress a = std::max(from, it->first());
    // Excluded addresses are sparse (never more than two in a row), so this is
    // short.
    while (a <= it->last()) {
      if (Excluded(a) == Unusable::kNone) return a;
      std::optional<IpAddress> next = a.Checked(1);
      if (!next) break;
      a = *next;
    }
  }
  return std::nullopt;
}

std::optional<IpAddress> PoolSpace::PrevUsable(const IpAddress& from) const {
  const std::vector<IpRange>& ranges = Ranges(from.family());
  // Last range whose first <= from.
  auto it = std::upper_bound(
      ranges.begin(), ranges.end(), from,
      [](const IpAddress& x, const IpRange& r) { return x < r.first(); });
  while (it != ranges.begin()) {
    --it;
    IpAddress a = std::min(from, it->last());
    while (a >= it->first()) {
      if (Excluded(a) == Unusable::kNone) return a;
      if (a.value() == 0) break;
      a = IpAddress::FromValue(a.family(), a.value() - 1);
    }
  }
  return std::nullopt;
}

std::optional<IpAddress> PoolSpace::FirstUsable(IpFamily f) const {
  const std::vector<IpRange>& ranges = Ranges(f);
  if (ranges.empty()) return std::nullopt;
  return NextUsable(ranges.front().first());
}

absl::uint128 PoolSpace::ExcludedIn(const IpRange& r) const {
  absl::uint128 excluded = 0;
  absl::uint128 lo = r.first().value(), hi = r.last().value();
  bool buggy = r.family() == IpFamily::kV4 && pool_.avoid_buggy_ips;
  if (buggy) {
    // Addresses x in [lo, hi] with x % 256 == k, for k = 0 and 255.
    for (absl::uint128 k : {absl::uint128(0), absl::uint128(255)}) {
      auto upto =
          [&](absl::uint128 n) {  // count of x in [0, n] with x%256 == k
            return n < k ? absl::uint128(0) : (n - k) / 256 + 1;
          };
      excluded += upto(hi) - (lo == 0 ? absl::uint128(0) : upto(lo - 1));
    }
  }
  if (pool_.arp_network && pool_.arp_network->family() == r.family()) {
    IpAddress net = pool_.arp_network->first();
    if (r.Contains(net) && !(buggy && Excluded(net) == Unusable::kBuggyIp))
      ++excluded;
    if (r.family() == IpFamily::kV4) {
      IpAddress bcast = pool_.arp_network->last();
      if (bcast != net && r.Contains(bcast)) {
        uint32_t low = static_cast<uint32_t>(bcast.value()) & 0xff;
        if (!(buggy && (low == 0 || low == 255))) ++excluded;
      }
    }
  }
  return excluded;
}

absl::uint128 PoolSpace::Capacity(IpFamily f) const {
  absl::uint128 total = 0;
  for (const IpRange& r : Ranges(f)) {
    absl::uint128 size = r.Size() - ExcludedIn(r);
    total =
        size > absl::Uint128Max() - total ? absl::Uint128Max() : total + size;
  }
  return total;
}

}  // namespace lb::ipam
