// lib/ipam/service_request.h
//
// Builds an allocator Request from the parts of a Kubernetes Service that
// matter for address allocation, reading MetalLB's annotations under both
// prefixes (`metallb.universe.tf/` and `metallb.io/`):
//   address-pool, allow-shared-ip, loadBalancerIPs (comma-separated).
//
//   ServiceFields svc;
//   svc.key = "default/nginx";
//   svc.annotations = {{"metallb.universe.tf/address-pool", "my-ip-space"}};
//   absl::StatusOr<Request> req = RequestFromService(svc);
//
// No Kubernetes types: callers copy the fields from whatever object model they
// use. Thread-safety: pure functions.

#ifndef LB_IPAM_SERVICE_REQUEST_H_
#define LB_IPAM_SERVICE_REQUEST_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lib/ipam/allocator.h"

namespace lb::ipam {

inline constexpr char kAnnotationPrefixLegacy[] = "metallb.universe.tf/";
inline constexpr char kAnnotationPrefix[] = "metallb.io/";

// True for a key under either prefix: the only annotations RequestFromService
// reads, so callers may keep just these.
bool IsMetalLbAnnotation(absl::string_view key);

struct ServiceFields {
  std::string key;  // "namespace/name"
  std::map<std::string, std::string> annotations;
  std::string load_balancer_ip;         // spec.loadBalancerIP
  std::vector<ServicePort> ports;       // spec.ports
  std::string external_traffic_policy;  // "Cluster" (default) or "Local"
  std::map<std::string, std::string> selector;
  std::string
      ip_family_policy;  // "SingleStack" (default), "PreferDualStack", ...
  std::vector<std::string> ip_families;  // "IPv4", "IPv6"
};

// kInvalidArgument naming the field or annotation when a value is malformed or
// when the two annotation prefixes disagree, or both spec.loadBalancerIP and
// the loadBalancerIPs annotation are set.
absl::StatusOr<Request> RequestFromService(const ServiceFields& service);

}  // namespace lb::ipam

#endif  // LB_IPAM_SERVICE_REQUEST_H_
