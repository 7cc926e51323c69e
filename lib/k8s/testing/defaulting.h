// lib/k8s/testing/defaulting.h
//
// What the API server stand-in fills in when an object is written, as
// kube-apiserver's defaulting does for the kinds modelled: Services (type,
// clusterIP(s), IP families, ports' protocol, targetPort and nodePort,
// traffic policies, healthCheckNodePort, ingress ipMode), Namespaces
// (Active, with the `kubernetes` finalizer, which updates keep), Secrets
// (type, stringData folded into data),
// Deployments, DaemonSets and ReplicaSets (replicas, strategies, history
// limits) and the pod templates in them and Pods (restart and DNS policy,
// grace period, scheduler, image pull policy, termination messages, port
// protocols, probe timings), and CustomResourceDefinitions (name checks,
// accepted names, Established conditions). validation.h checks the result.
//
//   Defaulter defaulter(/*seed=*/1);
//   ApiResult r = defaulter.Apply(service_type, /*old=*/nullptr, obj, now);
//   if (!r.ok()) return r;   // 422 Invalid, naming the field
//
// Node ports and cluster IPs are chosen at random (from a seed) among
// those no stored Service holds, as kube-apiserver's allocators choose them.
// An update that changes a Service's type drops the fields the new type
// does not use and that the update did not change (node ports, health check
// port, allocateLoadBalancerNodePorts, loadBalancerClass,
// externalTrafficPolicy, cluster IPs, and the load-balancer status), as
// kube-apiserver's Service strategy does.
//
// Thread-safety: not thread-safe (it allocates cluster IPs and node ports).

#ifndef LB_K8S_TESTING_DEFAULTING_H_
#define LB_K8S_TESTING_DEFAULTING_H_

#include <cstdint>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "lib/k8s/json.h"
#include "lib/k8s/testing/api_result.h"
#include "lib/k8s/testing/resource_type.h"

namespace lb::k8s::testing {

class Defaulter {
 public:
  // `seed` drives the random choice of node ports and cluster IPs.
  explicit Defaulter(uint64_t seed) : rng_(seed) {}

  // Applies the defaults of `type` to `obj`. `old` is the stored object for
  // an update (allocated cluster IPs and node ports are kept), null for a
  // create. `now` stamps CRD conditions. A failure (422 Invalid) leaves
  // `obj` partly defaulted; the write must not happen.
  ApiResult Apply(const ResourceType& type, const json* old, json& obj,
                  absl::Time now);

  // Who holds a node port or cluster IP: the Service key ("ns/name") that
  // Commit() recorded, or "".
  std::string NodePortOwner(int port) const;
  std::string ClusterIpOwner(const std::string& ip) const;
  // Records what the stored Service `key` holds now (`service` null once it
  // is deleted), releasing what it held before.
  void Commit(const std::string& key, const json* service);

 private:
  ApiResult DefaultService(const json* old, json& obj);
  ApiResult DefaultCrd(json& obj, absl::Time now);
  void DefaultWorkload(const ResourceType& t, json& obj);
  void DefaultPodSpec(json& spec);
  // A free node port not in `also_taken`, chosen at random; 0 when
  // 30000-32767 is used up.
  int AllocateNodePort(const std::set<int>& also_taken);
  // A free address of 10.96.0.0/12, chosen at random.
  std::string AllocateClusterIp();

  std::mt19937_64 rng_;
  absl::flat_hash_map<int, std::string> node_ports_;
  absl::flat_hash_map<std::string, std::string> cluster_ips_;
  // Service key -> what it holds.
  absl::flat_hash_map<std::string,
                      std::pair<std::vector<int>, std::vector<std::string>>>
      held_;
};

}  // namespace lb::k8s::testing

#endif  // LB_K8S_TESTING_DEFAULTING_H_
