// lib/k8s/testing/discovery.h
//
// The discovery documents kubectl reads before anything else, built from the
// kinds served: /version, /api (APIVersions), /apis (APIGroupList),
// /apis/GROUP (APIGroup) and /api/v1, /apis/GROUP/VERSION
// (APIResourceList, with `/status` entries for kinds that serve it).
//
//   json groups = GroupList(store.types());
//   json resources = ResourceList(store.types(), "apps", "v1");
//   if (resources.is_null()) ...   // 404: not served
//
// Thread-safety: pure functions.

#ifndef LB_K8S_TESTING_DISCOVERY_H_
#define LB_K8S_TESTING_DISCOVERY_H_

#include <string>

#include "lib/k8s/json.h"
#include "lib/k8s/testing/resource_type.h"

namespace lb::k8s::testing {

// /version: the Kubernetes release the stand-in speaks for.
json VersionInfo();

// /api, naming `server_address` ("host:port") for every client.
json ApiVersions(const std::string& server_address);

// /apis/GROUP (without kind and apiVersion, as embedded in the group list);
// null when no type of `group` is served.
json GroupDoc(const TypeMap& types, const std::string& group);

// /apis.
json GroupList(const TypeMap& types);

// /api/v1 (group "") or /apis/GROUP/VERSION; null when nothing is served
// there.
json ResourceList(const TypeMap& types, const std::string& group,
                  const std::string& version);

}  // namespace lb::k8s::testing

#endif  // LB_K8S_TESTING_DISCOVERY_H_
