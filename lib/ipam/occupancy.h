// lib/ipam/occupancy.h
//
// The occupied addresses of one pool (in use or held down), kept as maximal
// runs of consecutive usable addresses, per family: memory grows with the
// number of runs, never with the pool's size, and the lowest free address is
// found with one jump per run.
//
//   PoolSpace space(pool);              // 10.0.0.0/29 with avoid-buggy-ips
//   Occupancy occupied(space);
//   occupied.Mark(*IpAddress::Parse("10.0.0.1"));
//   occupied.LowestFree(IpFamily::kV4);  // 10.0.0.2 (10.0.0.0 is not usable)
//
// Thread-safety: not thread-safe; the allocator that owns it serialises access.

#ifndef LB_IPAM_OCCUPANCY_H_
#define LB_IPAM_OCCUPANCY_H_

#include <cstddef>
#include <optional>

#include "absl/container/btree_map.h"
#include "absl/numeric/int128.h"
#include "lib/base/ip_address.h"
#include "lib/ipam/pool.h"

namespace lb::ipam {

class Occupancy {
 public:
  // `space` must outlive the Occupancy. Nothing is occupied at first.
  explicit Occupancy(const PoolSpace& space) : space_(&space) {}

  Occupancy(const Occupancy&) = delete;
  Occupancy& operator=(const Occupancy&) = delete;

  bool Contains(const IpAddress& a) const;

  // Marks `a` occupied (nothing if it already is), joining it to the runs on
  // either side that only unusable addresses separate it from.
  // REQUIRES: `a` is usable in the space.
  void Mark(const IpAddress& a);

  // Marks `a` free (nothing if it already is), splitting its run.
  void Unmark(const IpAddress& a);

  // The lowest usable address of family `f` that is not occupied, or nullopt
  // when every one is.
  std::optional<IpAddress> LowestFree(IpFamily f) const;

  // Number of maximal runs of family `f`.
  size_t run_count(IpFamily f) const { return runs_[Index(f)].size(); }

 private:
  static int Index(IpFamily f) { return f == IpFamily::kV4 ? 0 : 1; }

  const PoolSpace* space_;
  // start -> end (inclusive), per family. Every usable address within a run
  // is occupied; a free usable address separates two runs.
  absl::btree_map<absl::uint128, absl::uint128> runs_[2];
};

}  // namespace lb::ipam

#endif  // LB_IPAM_OCCUPANCY_H_
