// lib/ipam/release_history.h
//
// What the allocator remembers about released addresses, on the monotonic
// timeline (lb::MonoTime), so a wall-clock step neither ends nor extends it:
//   * HoldDown: addresses released recently, each with its pool, oldest
//     first. The allocator passes them over while others are free.
//   * PreviousAddresses: the addresses of recently released services, so a
//     service that returns gets them back while nobody else has taken them.
//
//   HoldDown held(absl::Minutes(5));
//   held.Hold(a, /*pool=*/0, clock.Monotonic());
//   while (auto expired = held.PopExpired(clock.Monotonic())) { ... }
//
//   PreviousAddresses previous(absl::Hours(1));
//   previous.Remember("default/web", {a}, clock.Monotonic());
//   previous.LeadsTo(a, "default/web");   // true until expiry or Claimed()
//
// Thread-safety: not thread-safe; the allocator that owns them serialises
// access.

#ifndef LB_IPAM_RELEASE_HISTORY_H_
#define LB_IPAM_RELEASE_HISTORY_H_

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "lib/base/clock.h"
#include "lib/base/ip_address.h"

namespace lb::ipam {

class HoldDown {
 public:
  // A hold lasts `duration`; zero or less disables holding (enabled() false).
  explicit HoldDown(absl::Duration duration) : duration_(duration) {}

  bool enabled() const { return duration_ > absl::ZeroDuration(); }
  bool empty() const { return held_.empty(); }
  size_t size() const { return held_.size(); }

  // Holds `a`, released at `when`, in pool `pool` (replacing an earlier hold
  // of `a`).
  void Hold(const IpAddress& a, size_t pool, MonoTime when);

  // Ends the hold of `a`; returns the pool it was held in, or nullopt when it
  // was not held.
  std::optional<size_t> Unhold(const IpAddress& a);

  // Ends the oldest hold that has lasted its duration at `now` and returns
  // it with its pool; nullopt when none has.
  std::optional<std::pair<IpAddress, size_t>> PopExpired(MonoTime now);

  // The held address released longest ago for which `match` is true.
  std::optional<IpAddress> Oldest(
      absl::FunctionRef<bool(const IpAddress&)> match) const;

  // After a config change: moves every hold to the pool `pool_of` returns, or
  // ends it when that is nullopt. Returns the holds kept, with their pools.
  std::vector<std::pair<IpAddress, size_t>> Repool(
      absl::FunctionRef<std::optional<size_t>(const IpAddress&)> pool_of);

 private:
  const absl::Duration duration_;
  // Address -> (release time, pool), and the same ordered by release time.
  absl::flat_hash_map<IpAddress, std::pair<MonoTime, size_t>> held_;
  absl::btree_set<std::pair<MonoTime, IpAddress>> queue_;
};

class PreviousAddresses {
 public:
  // Addresses are remembered for `duration`; zero or less disables
  // remembering (enabled() false).
  explicit PreviousAddresses(absl::Duration duration) : duration_(duration) {}

  bool enabled() const { return duration_ > absl::ZeroDuration(); }
  bool empty() const { return by_service_.empty(); }

  // Remembers `addresses` as those `service` held until `when`; each of them
  // now leads back to `service` (and to no service remembered before).
  void Remember(const std::string& service,
                absl::Span<const IpAddress> addresses, MonoTime when);

  // The addresses remembered for `service`, or nullptr. Some may since lead
  // to nobody (see LeadsTo).
  const std::vector<IpAddress>* Of(absl::string_view service) const;

  // Whether `a` still leads back to `service`.
  bool LeadsTo(const IpAddress& a, absl::string_view service) const;

  // `a` now belongs to `service`: it no longer leads back to anyone else.
  void Claimed(const IpAddress& a, absl::string_view service);

  // `service` holds addresses again: forgets what it was remembered with.
  void Forget(absl::string_view service);

  // Forgets every service remembered for its duration at `now`.
  void Expire(MonoTime now);

 private:
  const absl::Duration duration_;
  absl::flat_hash_map<std::string, std::pair<MonoTime, std::vector<IpAddress>>>
      by_service_;
  absl::flat_hash_map<IpAddress, std::string> owner_;
  absl::btree_set<std::pair<MonoTime, std::string>> queue_;
};

}  // namespace lb::ipam

#endif  // LB_IPAM_RELEASE_HISTORY_H_
