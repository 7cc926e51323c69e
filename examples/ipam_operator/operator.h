// examples/ipam_operator/operator.h
//
// How a custom operator embeds lib/ipam: it keeps one Allocator, re-learns the
// addresses Services already carry in their status before allocating anything
// new, allocates for the rest, releases on deletion or type change, and retries
// pending Services when addresses free up. Kubernetes access is left out: the
// operator is fed Service objects and returns the status each one should have.

#ifndef LB_EXAMPLES_IPAM_OPERATOR_OPERATOR_H_
#define LB_EXAMPLES_IPAM_OPERATOR_OPERATOR_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "lib/base/clock.h"
#include "lib/ipam/allocator.h"
#include "lib/ipam/config.h"
#include "lib/ipam/service_request.h"

namespace lb::examples {

struct Service {
  ipam::ServiceFields fields;
  std::string type = "ClusterIP";
  // status.loadBalancer.ingress[].ip as read from the cluster.
  std::vector<std::string> ingress;
};

// What the operator decided for one Service.
struct Outcome {
  std::string service;
  std::vector<std::string> ingress;  // the status to write
  std::string pool;
  std::string message;  // why, for events and logs
  bool ok = true;
};

class IpamOperator {
 public:
  explicit IpamOperator(Clock& clock) : allocator_(clock) {}

  // Loads the config; on error the previous one stays in force.
  absl::Status SetConfig(const ipam::Config& config) {
    return allocator_.SetConfig(config);
  }

  // Start-up: re-learns every Service's existing addresses first, then
  // allocates for the others in the given order. Returns one outcome per
  // LoadBalancer Service.
  std::vector<Outcome> Start(const std::vector<Service>& services);

  // One Service changed (or appeared).
  Outcome Reconcile(const Service& service);

  // A Service was deleted. Returns the outcomes of pending Services that now
  // fit.
  std::vector<Outcome> Delete(const std::string& key);

  const ipam::Allocator& allocator() const { return allocator_; }

 private:
  std::vector<Outcome> RetryPending();

  ipam::Allocator allocator_;
  std::map<std::string, Service> known_;
};

}  // namespace lb::examples

#endif  // LB_EXAMPLES_IPAM_OPERATOR_OPERATOR_H_
