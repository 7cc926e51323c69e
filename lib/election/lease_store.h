// lib/election/lease_store.h
//
// Provides the storage contract behind every election in this library: a
// `LeaseStore` that reads and writes `coordination.k8s.io/v1` Lease records
// with optimistic concurrency, and `InMemoryLeaseStore`, a complete in-process
// implementation (used by tests, simulations and single-process setups). The
// Kubernetes-backed store is a separate target so that this library does not
// depend on the Kubernetes client.
//
// Thread-safety: implementations must be safe for concurrent use.
// InMemoryLeaseStore is.
//
//   lb::election::InMemoryLeaseStore store;
//   Lease lease{.ns = "lb-system", .name = "lb-controller"};
//   lease.spec.holder_identity = "node-a";
//   absl::StatusOr<Lease> created = store.Create(lease);
//   // created->resource_version is now set; pass it back on Update.

#ifndef LB_ELECTION_LEASE_STORE_H_
#define LB_ELECTION_LEASE_STORE_H_

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace lb::election {

// The `spec` of a Lease. An empty holder means the lease is free.
struct LeaseSpec {
  std::string holder_identity;
  int32_t lease_duration_seconds = 0;
  absl::Time acquire_time = absl::InfinitePast();  // InfinitePast: unset.
  absl::Time renew_time = absl::InfinitePast();    // InfinitePast: unset.
  int32_t lease_transitions = 0;

  friend bool operator==(const LeaseSpec& a, const LeaseSpec& b) {
    return a.holder_identity == b.holder_identity &&
           a.lease_duration_seconds == b.lease_duration_seconds &&
           a.acquire_time == b.acquire_time && a.renew_time == b.renew_time &&
           a.lease_transitions == b.lease_transitions;
  }
  friend bool operator!=(const LeaseSpec& a, const LeaseSpec& b) {
    return !(a == b);
  }
};

// A Lease object: identity, the store's opaque version and the spec.
struct Lease {
  std::string ns;    // metadata.namespace; must be non-empty.
  std::string name;  // metadata.name; must be non-empty.
  // metadata.resourceVersion. Set by the store; Update requires the value
  // last read, Create ignores it.
  std::string resource_version;
  LeaseSpec spec;
};

// Storage for Lease objects with Kubernetes semantics.
//
// Status codes shared by all implementations:
//   kNotFound         the Lease does not exist (Get, Update).
//   kAlreadyExists    Create of a Lease that exists (HTTP 409 AlreadyExists).
//   kAborted          Update with a stale resource_version (HTTP 409 Conflict).
//   kInvalidArgument  empty namespace or name.
//   kUnavailable / kDeadlineExceeded  the store cannot be reached now; the
//                     caller should retry later.
class LeaseStore {
 public:
  virtual ~LeaseStore() = default;

  // Reads the Lease `ns`/`name`.
  virtual absl::StatusOr<Lease> Get(absl::string_view ns,
                                    absl::string_view name) = 0;

  // Creates `lease`; returns it as stored, with its new resource_version.
  virtual absl::StatusOr<Lease> Create(const Lease& lease) = 0;

  // Replaces the spec of an existing Lease if `lease.resource_version` is the
  // current one; returns it as stored, with its new resource_version.
  virtual absl::StatusOr<Lease> Update(const Lease& lease) = 0;

  // Lists the Leases of namespace `ns` whose name starts with `name_prefix`,
  // ordered by name.
  virtual absl::StatusOr<std::vector<Lease>> List(
      absl::string_view ns, absl::string_view name_prefix) = 0;
};

// A LeaseStore held in memory, with write counters and fault injection.
class InMemoryLeaseStore final : public LeaseStore {
 public:
  InMemoryLeaseStore() = default;

  absl::StatusOr<Lease> Get(absl::string_view ns,
                            absl::string_view name) override;
  absl::StatusOr<Lease> Create(const Lease& lease) override;
  absl::StatusOr<Lease> Update(const Lease& lease) override;
  absl::StatusOr<std::vector<Lease>> List(
      absl::string_view ns, absl::string_view name_prefix) override;

  // While unavailable, every call fails with kUnavailable and changes
  // nothing (an API server outage).
  void SetAvailable(bool available);

  // Number of successful Create + Update calls so far (the API write load).
  int64_t writes() const;
  // Number of successful Get + List calls so far.
  int64_t reads() const;

 private:
  absl::Status CheckReachable() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::map<std::pair<std::string, std::string>, Lease> leases_
      ABSL_GUARDED_BY(mu_);
  int64_t next_version_ ABSL_GUARDED_BY(mu_) = 1;
  bool available_ ABSL_GUARDED_BY(mu_) = true;
  int64_t writes_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t reads_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace lb::election

#endif  // LB_ELECTION_LEASE_STORE_H_
