// lib/ipam/allocator.h
//
// Hands out addresses from configured pools to services, the way MetalLB does,
// and deterministically: the lowest free address of the first eligible pool in
// config order. Supports IP sharing, requested addresses, pool selection, IP
// families, re-learning existing assignments, and a hold-down for released
// addresses.
//
//   lb::RealClock clock;
//   Allocator allocator(clock);
//   LB_RETURN_IF_ERROR(allocator.SetConfig(parsed.config));
//   Request req;
//   req.service = "default/nginx";
//   absl::StatusOr<Assignment> a = allocator.Allocate(req);   // 192.168.1.240
//   allocator.Release("default/nginx");
//   for (const std::string& s : allocator.Retryable()) { /* Allocate(s) */ }
//
// Rules:
//   * Pool choice: the pool annotation when given (auto-assign does not
//     matter), else every auto-assign pool in config order. Within a pool, the
//     lowest usable address that is free, or already used by services this one
//     may share with.
//   * Sharing (MetalLB's): both services carry the same non-empty sharing key,
//     their (protocol, port) pairs do not overlap, and their traffic policies
//     are compatible (Cluster with Cluster; Local with Local only for the same
//     backend selector).
//   * One pool per service: a dual-stack service's two addresses come from the
//     same pool, and stay in one pool across config changes.
//   * Hold-down: a released address is not handed out automatically again for
//     `hold_down` while any other address of the pool is free; explicit
//     requests and re-learning ignore it. A service released and allocated
//     again under the same key within `remember_previous` gets its previous
//     addresses back if they are free. Both are measured on the clock's
//     monotonic timeline, so a wall-clock step changes neither.
//   * Start-up: Assign() re-learns an assignment read from a Service's status.
//     The first service to claim an address keeps it; a later incompatible
//     claim is kAlreadyExists.
//   * SetConfig() rejects a config that would orphan an address in use, or
//     split a service's addresses between two pools, naming every such
//     service, and keeps the previous config.
//
// Cost: Allocate, Assign and Release are O(log n) in the number of allocated
// addresses (plus the number of addresses sharing one key when sharing); memory
// grows with allocations and config, never with pool size.
//
// Thread-safety: not thread-safe; callers serialise access (the controller's
// single work loop does).

#ifndef LB_IPAM_ALLOCATOR_H_
#define LB_IPAM_ALLOCATOR_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/btree_set.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/inlined_vector.h"
#include "absl/container/node_hash_map.h"
#include "absl/numeric/int128.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "lib/base/clock.h"
#include "lib/base/ip_address.h"
#include "lib/ipam/config.h"
#include "lib/ipam/pool.h"
#include "lib/ipam/release_history.h"

namespace lb::ipam {

enum class TrafficPolicy { kCluster, kLocal };

enum class IpFamilyPolicy { kSingleStack, kPreferDualStack, kRequireDualStack };

struct ServicePort {
  std::string protocol;  // "TCP", "UDP", "SCTP"
  uint16_t port = 0;
  friend bool operator==(const ServicePort& a, const ServicePort& b) {
    return a.protocol == b.protocol && a.port == b.port;
  }
};

// What a service asks for. Built from a Service by the caller (see
// annotations.h).
struct Request {
  // "namespace/name". Required.
  std::string service;
  // Explicit addresses (spec.loadBalancerIP, or the loadBalancerIPs
  // annotation), at most one per family. Empty: choose automatically.
  std::vector<IpAddress> requested;
  // Pool annotation. Empty: any auto-assign pool.
  std::string pool;
  // allow-shared-ip annotation. Empty: the address is not shared.
  std::string sharing_key;
  std::vector<ServicePort> ports;
  TrafficPolicy traffic_policy = TrafficPolicy::kCluster;
  // For kLocal: the pod selector in a canonical form; services may share only
  // with the same backend.
  std::string backend;
  IpFamilyPolicy family_policy = IpFamilyPolicy::kSingleStack;
  // spec.ipFamilies in order of preference. Empty means {kV4}.
  std::vector<IpFamily> families;
};

struct Assignment {
  std::string pool;
  // One address per family, in the order of the request's families.
  std::vector<IpAddress> addresses;
};

struct AllocatorOptions {
  // How long a released address is passed over while others are free. 0
  // disables. Default: 5 minutes (longer than typical neighbour-cache
  // lifetimes).
  absl::Duration hold_down = absl::Minutes(5);
  // How long a released service's addresses are remembered for its return.
  // Default: 1 hour.
  absl::Duration remember_previous = absl::Hours(1);
};

// Usage of one pool and family.
struct PoolUsage {
  std::string pool;
  IpFamily family = IpFamily::kV4;
  // Exact counts (an IPv6 /64 has 2^64 addresses).
  absl::uint128 capacity = 0;
  absl::uint128 in_use = 0;
  // Released addresses still in hold-down.
  absl::uint128 held = 0;
};

class Allocator {
 public:
  // `clock` must outlive the allocator.
  explicit Allocator(Clock& clock, AllocatorOptions options = {});
  ~Allocator();

  Allocator(const Allocator&) = delete;
  Allocator& operator=(const Allocator&) = delete;

  // Installs a new config. kFailedPrecondition, with the previous config kept,
  // when an address in use would belong to no pool, or one service's
  // addresses to two pools; the message names every such service and address.
  // Pools may be renamed, split, grown or shrunk around addresses in use.
  absl::Status SetConfig(const Config& config);
  bool has_config() const { return has_config_; }

  // Gives `request.service` its addresses, or returns the ones it has when they
  // still satisfy the request (idempotent). A service whose request changed
  // (pool, requested addresses, sharing, families) is moved. Errors:
  //   kFailedPrecondition  no config yet; a requested address is in no pool or
  //                        is excluded there; no pool can serve the families
  //                        required
  //   kNotFound            the named pool does not exist
  //   kInvalidArgument     malformed request (no service key, two addresses of
  //                        one family, a requested address outside the named
  //                        pool, ...)
  //   kAlreadyExists       a requested address is held by a service it may not
  //                        share with
  //   kResourceExhausted   no free address in the eligible pools
  // On kAlreadyExists and kResourceExhausted the service is remembered as
  // pending (see Retryable) and holds no address.
  absl::StatusOr<Assignment> Allocate(const Request& request);

  // What Allocate would return, without changing anything.
  absl::StatusOr<Assignment> Plan(const Request& request) const;

  // Prepares room for `services` services, so re-learning a known number of
  // them at start-up does not grow the tables step by step. Optional.
  void Reserve(size_t services);

  // Records that `request.service` already holds `addresses` (read back from
  // the Service's status at start-up). Same checks as an explicit request,
  // hold-down ignored; kAlreadyExists names the holder when another service has
  // the address and may not share it. Replaces what the service held before.
  absl::Status Assign(const Request& request,
                      absl::Span<const IpAddress> addresses);

  // Frees what `service` holds (its addresses enter hold-down) and forgets it
  // as pending. Returns false if it held nothing.
  bool Release(absl::string_view service);

  // The current assignment of `service`, if any.
  std::optional<Assignment> Lookup(absl::string_view service) const;

  // Services holding `address` (several when shared), sorted.
  std::vector<std::string> Holders(const IpAddress& address) const;

  // The pool that would own `address` under the current config, if any.
  std::optional<std::string> PoolOf(const IpAddress& address) const;

  // Pending services (those whose last Allocate failed for lack of addresses or
  // because of a conflict) whose request can be satisfied now, sorted. Call
  // after Release or SetConfig, then Allocate them.
  std::vector<std::string> Retryable() const;

  // Stops tracking `service` as pending (e.g. it was deleted).
  void ForgetPending(absl::string_view service);
  size_t pending_count() const { return pending_.size(); }

  // Capacity and usage per pool and family, pools in config order.
  std::vector<PoolUsage> Usage() const;

  size_t service_count() const { return services_.size(); }

 private:
  struct Sharing;
  struct ServiceRecord;
  struct AddressRecord;
  struct PoolState;
  struct Choice;

  absl::StatusOr<Choice> PlanAt(const Request& request) const;
  absl::StatusOr<Choice> PlanRequested(const Request& request,
                                       absl::Span<const IpAddress> requested,
                                       IpFamilyPolicy policy) const;
  Assignment ToAssignment(const Choice& choice) const;
  absl::Status CheckShareable(const IpAddress& a, const Request& request) const;
  std::optional<IpAddress> FindInPool(const PoolState& pool, IpFamily f,
                                      const Request& request) const;
  bool Satisfies(const ServiceRecord& record, const Request& request) const;
  std::optional<size_t> PoolIndexOf(const IpAddress& a) const;
  void Commit(const Request& request, const Choice& choice);
  // Gives a service that keeps its addresses the sharing of `request`.
  void Reshare(ServiceRecord& record, const Request& request);
  void Detach(const std::string& service, bool hold);
  // Ends the hold of `a`, if any, and counts it out of its pool.
  void Unhold(const IpAddress& a);
  // Frees the holds and forgets the previous addresses that expired by `now`.
  void PurgeExpired(MonoTime now);

  Clock& clock_;
  const AllocatorOptions options_;
  bool has_config_ = false;
  std::vector<std::unique_ptr<PoolState>> pools_;
  // Every pool range, sorted by first address, with its pool index.
  std::vector<std::pair<IpRange, size_t>> range_index_;

  // Node map: the keys' addresses are stable, and address records point at
  // them.
  absl::node_hash_map<std::string, ServiceRecord> services_;
  absl::flat_hash_map<IpAddress, AddressRecord> addresses_;
  // Addresses carrying each sharing key, ordered, for "lowest shareable
  // address".
  absl::flat_hash_map<std::string, absl::btree_set<IpAddress>> by_sharing_key_;

  HoldDown held_;
  PreviousAddresses previous_;

  absl::flat_hash_map<std::string, Request> pending_;
};

}  // namespace lb::ipam

#endif  // LB_IPAM_ALLOCATOR_H_
