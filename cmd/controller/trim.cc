#include "cmd/controller/trim.h"

#include <initializer_list>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "lib/ipam/service_request.h"

namespace lb::controller {
namespace {

using k8s::json;

// `from`'s members named in `keys`, where present, moved out of `from`.
json Pick(json& from, std::initializer_list<const char*> keys) {
  json out = json::object();
  if (!from.is_object()) return out;
  for (const char* k : keys) {
    auto it = from.find(k);
    if (it != from.end()) out[k] = std::move(*it);
  }
  return out;
}

// Identity fields of metadata (what object references and caches use).
json Meta(json& object) {
  auto md = object.find("metadata");
  if (md == object.end()) return json::object();
  return Pick(*md, {"name", "namespace", "uid", "resourceVersion",
                    "creationTimestamp", "deletionTimestamp"});
}

void Replace(json& object, json trimmed) {
  for (const char* k : {"apiVersion", "kind"}) {
    auto it = object.find(k);
    if (it != object.end()) trimmed[k] = std::move(*it);
  }
  object = std::move(trimmed);
}

}  // namespace

void TrimService(json& service) {
  if (!service.is_object()) return;
  json out = json::object();
  out["metadata"] = Meta(service);
  auto md = service.find("metadata");
  if (md != service.end() && md->is_object()) {
    auto annotations = md->find("annotations");
    if (annotations != md->end() && annotations->is_object()) {
      json kept = json::object();
      for (auto it = annotations->begin(); it != annotations->end(); ++it) {
        if (absl::StartsWith(it.key(), ipam::kAnnotationPrefix) ||
            absl::StartsWith(it.key(), ipam::kAnnotationPrefixLegacy)) {
          kept[it.key()] = std::move(it.value());
        }
      }
      if (!kept.empty()) out["metadata"]["annotations"] = std::move(kept);
    }
  }
  auto spec = service.find("spec");
  if (spec != service.end() && spec->is_object()) {
    json s = Pick(*spec, {"type", "loadBalancerIP", "loadBalancerClass",
                          "externalTrafficPolicy", "ipFamilies",
                          "ipFamilyPolicy", "selector"});
    auto ports = spec->find("ports");
    if (ports != spec->end() && ports->is_array()) {
      json kept = json::array();
      for (json& p : *ports) kept.push_back(Pick(p, {"protocol", "port"}));
      s["ports"] = std::move(kept);
    }
    out["spec"] = std::move(s);
  }
  auto status = service.find("status");
  if (status != service.end() && status->is_object()) {
    json st = Pick(*status, {"loadBalancer"});
    if (!st.empty()) out["status"] = std::move(st);
  }
  Replace(service, std::move(out));
}

void TrimEndpointSlice(json& slice) {
  if (!slice.is_object()) return;
  json out = json::object();
  out["metadata"] = Meta(slice);
  auto md = slice.find("metadata");
  if (md != slice.end() && md->is_object()) {
    auto labels = md->find("labels");
    if (labels != md->end()) {
      json kept = Pick(*labels, {"kubernetes.io/service-name"});
      if (!kept.empty()) out["metadata"]["labels"] = std::move(kept);
    }
  }
  auto endpoints = slice.find("endpoints");
  if (endpoints != slice.end() && endpoints->is_array()) {
    json kept = json::array();
    for (json& e : *endpoints) {
      kept.push_back(Pick(e, {"conditions", "nodeName"}));
    }
    out["endpoints"] = std::move(kept);
  }
  Replace(slice, std::move(out));
}

}  // namespace lb::controller
