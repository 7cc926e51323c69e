// lib/ipam/pool.h
//
// The usable address space of one configured pool: its ranges minus the
// addresses the pool never hands out (.0/.255 with avoid-buggy-ips; the network
// and, for IPv4, broadcast address of arp-network). Everything is computed
// arithmetically, so cost and memory depend on the number of ranges, never on
// the pool's size.
//
//   PoolSpace space(pool);
//   space.Capacity(IpFamily::kV4);                       // exact, 128-bit
//   std::optional<IpAddress> a = space.NextUsable(from);
//
// Thread-safety: immutable after construction.

#ifndef LB_IPAM_POOL_H_
#define LB_IPAM_POOL_H_

#include <optional>
#include <vector>

#include "absl/numeric/int128.h"
#include "lib/base/ip_address.h"
#include "lib/ipam/config.h"
#include "lib/ipam/prefix.h"

namespace lb::ipam {

// Why an address is not usable in a pool.
enum class Unusable {
  kNone,              // usable
  kOutside,           // in none of the pool's ranges
  kBuggyIp,           // IPv4 .0 or .255 with avoid-buggy-ips
  kNetworkAddress,    // the arp-network's network address
  kBroadcastAddress,  // the arp-network's IPv4 broadcast address
};

// Human-readable reason, e.g. "it ends in .0 or .255 and the pool avoids buggy
// IPs".
absl::string_view UnusableReason(Unusable u);

class PoolSpace {
 public:
  explicit PoolSpace(const Pool& pool);

  const Pool& pool() const { return pool_; }

  // kNone when `a` may be handed out by this pool, otherwise why not.
  Unusable Check(const IpAddress& a) const;
  bool IsUsable(const IpAddress& a) const {
    return Check(a) == Unusable::kNone;
  }
  bool Contains(const IpAddress& a) const;

  // The lowest usable address >= `a` of a's family, or nullopt.
  std::optional<IpAddress> NextUsable(const IpAddress& a) const;
  // The highest usable address <= `a` of a's family, or nullopt.
  std::optional<IpAddress> PrevUsable(const IpAddress& a) const;
  // The lowest usable address of family `f`, or nullopt.
  std::optional<IpAddress> FirstUsable(IpFamily f) const;

  // Exact number of usable addresses of family `f` (saturating at 2^128-1).
  absl::uint128 Capacity(IpFamily f) const;
  bool HasFamily(IpFamily f) const;

  // The pool's ranges of family `f`, ascending.
  const std::vector<IpRange>& Ranges(IpFamily f) const {
    return f == IpFamily::kV4 ? v4_ : v6_;
  }

 private:
  // The excluded addresses inside `r`, counted arithmetically.
  absl::uint128 ExcludedIn(const IpRange& r) const;
  Unusable Excluded(const IpAddress& a) const;

  Pool pool_;
  std::vector<IpRange> v4_;
  std::vector<IpRange> v6_;
};

}  // namespace lb::ipam

#endif  // LB_IPAM_POOL_H_
