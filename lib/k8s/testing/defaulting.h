// lib/k8s/testing/defaulting.h
//
// What the API server stand-in fills in and rejects when an object is
// written, as kube-apiserver's defaulting and validation do for the kinds
// modelled: Services (type, clusterIP(s), IP families, ports' protocol,
// targetPort and nodePort, traffic policies, healthCheckNodePort, ingress
// ipMode; invalid types and ports rejected), Namespaces (finalizers, phase),
// Secrets (type, stringData folded into data) and CustomResourceDefinitions
// (name checks, accepted names, Established conditions).
//
//   Defaulter defaulter;
//   ApiResult r = defaulter.Apply(service_type, /*old=*/nullptr, obj, now);
//   if (!r.ok()) return r;   // 422 Invalid, naming the field
//
// Thread-safety: not thread-safe (it allocates cluster IPs and node ports).

#ifndef LB_K8S_TESTING_DEFAULTING_H_
#define LB_K8S_TESTING_DEFAULTING_H_

#include "absl/time/time.h"
#include "lib/k8s/json.h"
#include "lib/k8s/testing/api_result.h"
#include "lib/k8s/testing/resource_type.h"

namespace lb::k8s::testing {

class Defaulter {
 public:
  // Applies the defaults of `type` to `obj`. `old` is the stored object for
  // an update (allocated cluster IPs and node ports are kept), null for a
  // create. `now` stamps CRD conditions. A failure (422 Invalid) leaves
  // `obj` partly defaulted; the write must not happen.
  ApiResult Apply(const ResourceType& type, const json* old, json& obj,
                  absl::Time now);

 private:
  ApiResult DefaultService(const json* old, json& obj);
  ApiResult DefaultCrd(json& obj, absl::Time now);
  // 0 when 30000-32767 is used up.
  int AllocateNodePort();

  int cluster_ip_counter_ = 9;
  int next_node_port_ = 30000;
};

}  // namespace lb::k8s::testing

#endif  // LB_K8S_TESTING_DEFAULTING_H_
