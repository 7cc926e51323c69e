// lib/election/k8s_lease_store.h
//
// Provides `K8sLeaseStore`, the LeaseStore backed by the Kubernetes API
// (coordination.k8s.io/v1 Leases through lib/k8s). It is a separate target
// so that the rest of lib/election does not depend on the Kubernetes client.
//
// Status codes follow lease_store.h: kNotFound, kAlreadyExists, kAborted for
// a 409 Conflict (stale resourceVersion), kInvalidArgument for bad keys or a
// malformed object; server-side failures (HTTP 5xx) and connection failures
// come back as kUnavailable (or kDeadlineExceeded for 504) so callers treat
// them as "retry later"; other API errors (401, 403, 429, ...) keep the code
// lib/k8s gives them. List skips (and counts) Lease objects it cannot decode.
//
// Thread-safety: safe for concurrent use (as safe as the k8s::Client).
//
//   LB_ASSIGN_OR_RETURN(auto client, lb::k8s::Client::Create(config, clock));
//   lb::election::K8sLeaseStore store(*client);
//   LB_ASSIGN_OR_RETURN(auto elector,
//                       LeaderElector::Create(store, clock, options));

#ifndef LB_ELECTION_K8S_LEASE_STORE_H_
#define LB_ELECTION_K8S_LEASE_STORE_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "lib/election/lease_store.h"
#include "lib/k8s/client.h"
#include "lib/k8s/lease.h"

namespace lb::election {

class K8sLeaseStore final : public LeaseStore {
 public:
  // `client` must outlive the store.
  explicit K8sLeaseStore(k8s::Client& client);

  absl::StatusOr<Lease> Get(absl::string_view ns,
                            absl::string_view name) override;
  absl::StatusOr<Lease> Create(const Lease& lease) override;
  absl::StatusOr<Lease> Update(const Lease& lease) override;
  absl::StatusOr<std::vector<Lease>> List(
      absl::string_view ns, absl::string_view name_prefix) override;

  // Lease objects List could not decode (skipped).
  int64_t malformed_skipped() const { return malformed_skipped_.load(); }

 private:
  k8s::Client& client_;
  k8s::LeaseClient leases_;
  std::atomic<int64_t> malformed_skipped_{0};
};

}  // namespace lb::election

#endif  // LB_ELECTION_K8S_LEASE_STORE_H_
