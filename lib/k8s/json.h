// lib/k8s/json.h
//
// The JSON value type lib/k8s speaks: Kubernetes objects, patches and lists
// are nlohmann::json trees. Code that only reads or builds objects (typed
// views, caches, trimming) depends on this alone, not on a client.
//
//   lb::k8s::json patch = {{"metadata", {{"labels", {{"tier", "web"}}}}}};
//
// Thread-safety: a value type.

#ifndef LB_K8S_JSON_H_
#define LB_K8S_JSON_H_

#include "nlohmann/json.hpp"

namespace lb::k8s {

using json = nlohmann::json;

}  // namespace lb::k8s

#endif  // LB_K8S_JSON_H_
