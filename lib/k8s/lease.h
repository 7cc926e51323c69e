// lib/k8s/lease.h
//
// coordination.k8s.io/v1 Lease create / get / update, the primitive under
// leader election and node liveness. Updates are conditional on the
// resourceVersion last read, so two writers cannot both win.
//
//   LeaseClient leases(client);
//   absl::StatusOr<Lease> l = leases.Get("lb-system", "lb-controller");
//   if (absl::IsNotFound(l.status())) {
//     Lease fresh;
//     fresh.ns = "lb-system";
//     fresh.name = "lb-controller";
//     fresh.spec.holder_identity = "node-a";
//     fresh.spec.lease_duration_seconds = 15;
//     fresh.spec.renew_time = clock.Now();
//     l = leases.Create(fresh);
//   } else if (l.ok()) {
//     l->spec.renew_time = clock.Now();
//     l = leases.Update(*l);        // IsConflict(): someone else wrote first
//   }
//
// Thread-safety: safe for concurrent use (as safe as the Client).

#ifndef LB_K8S_LEASE_H_
#define LB_K8S_LEASE_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/k8s/client.h"

namespace lb::k8s {

// Lease.spec. Times are written as MicroTime (microsecond precision, UTC).
struct LeaseSpec {
  std::string holder_identity;  // "" = free
  int32_t lease_duration_seconds = 0;
  std::optional<absl::Time> acquire_time;
  std::optional<absl::Time> renew_time;
  int32_t lease_transitions = 0;

  bool operator==(const LeaseSpec& o) const {
    return holder_identity == o.holder_identity &&
           lease_duration_seconds == o.lease_duration_seconds &&
           acquire_time == o.acquire_time && renew_time == o.renew_time &&
           lease_transitions == o.lease_transitions;
  }
};

struct Lease {
  std::string ns;
  std::string name;
  // Set by Get/Create/Update; Update requires it.
  std::string resource_version;
  LeaseSpec spec;
};

// Decodes a Lease object; InvalidArgument naming a malformed field.
absl::StatusOr<Lease> LeaseFromJson(const json& object);
// The `spec` JSON for `spec` (all fields present, times as MicroTime).
json LeaseSpecToJson(const LeaseSpec& spec);

class LeaseClient {
 public:
  explicit LeaseClient(Client& client) : client_(client) {}

  // NotFound if absent.
  absl::StatusOr<Lease> Get(const std::string& ns, const std::string& name);
  // AlreadyExists if the name is taken.
  absl::StatusOr<Lease> Create(const Lease& lease);
  // Writes `lease.spec` if the stored Lease still has
  // `lease.resource_version`: Aborted with IsConflict() when it changed,
  // NotFound when deleted, InvalidArgument when resource_version is empty.
  absl::StatusOr<Lease> Update(const Lease& lease);

 private:
  Client& client_;
};

}  // namespace lb::k8s

#endif  // LB_K8S_LEASE_H_
