// lib/k8s/resource.h
//
// Names a kind on the API server: group, version, plural and scope. The
// constants cover the kinds this project uses; custom resources are described
// the same way.
//
//   Resource pools{"metallb.io", "v1beta1", "ipaddresspools", "IPAddressPool",
//                  /*namespaced=*/true};
//   client.List(pools, "metallb-system", {});
//
// Thread-safety: value type.

#ifndef LB_K8S_RESOURCE_H_
#define LB_K8S_RESOURCE_H_

#include <string>

namespace lb::k8s {

struct Resource {
  std::string group;  // "" for the core group
  std::string version;
  std::string plural;
  std::string kind;
  bool namespaced = true;

  // "v1" or "group/version".
  std::string ApiVersion() const {
    return group.empty() ? version : group + "/" + version;
  }
  // Collection path: /api/v1/namespaces/NS/services, /apis/g/v/nodes, ...
  // `ns` is ignored for cluster-scoped kinds; empty lists all namespaces.
  std::string CollectionPath(const std::string& ns) const {
    std::string p =
        group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
    if (namespaced && !ns.empty()) p += "/namespaces/" + ns;
    return p + "/" + plural;
  }
  std::string ItemPath(const std::string& ns, const std::string& name) const {
    return CollectionPath(ns) + "/" + name;
  }
};

inline const Resource kServices{"", "v1", "services", "Service", true};
inline const Resource kEndpointSlices{"discovery.k8s.io", "v1",
                                      "endpointslices", "EndpointSlice", true};
inline const Resource kNodes{"", "v1", "nodes", "Node", false};
inline const Resource kConfigMaps{"", "v1", "configmaps", "ConfigMap", true};
inline const Resource kSecrets{"", "v1", "secrets", "Secret", true};
inline const Resource kEvents{"", "v1", "events", "Event", true};
inline const Resource kLeases{"coordination.k8s.io", "v1", "leases", "Lease",
                              true};
inline const Resource kNamespaces{"", "v1", "namespaces", "Namespace", false};

}  // namespace lb::k8s

#endif  // LB_K8S_RESOURCE_H_
