#include "cmd/controller/trim.h"

#include <initializer_list>
#include <string>
#include <utility>

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

// (*object)[key] when `object` is an object holding `key`, else nullptr.
json* Member(json* object, const char* key) {
  if (object == nullptr || !object->is_object()) return nullptr;
  auto it = object->find(key);
  return it == object->end() ? nullptr : &*it;
}

// The start of a trimmed object: apiVersion, kind and the identity fields of
// metadata (what object references and the cache use).
json Identity(json& object) {
  json out = Pick(object, {"apiVersion", "kind"});
  json* md = Member(&object, "metadata");
  out["metadata"] =
      md ? Pick(*md, {"name", "namespace", "uid", "resourceVersion",
                      "creationTimestamp", "deletionTimestamp"})
         : json::object();
  return out;
}

}  // namespace

void TrimService(json& service) {
  if (!service.is_object()) return;
  json out = Identity(service);
  if (json* annotations = Member(Member(&service, "metadata"), "annotations");
      annotations != nullptr && annotations->is_object()) {
    json kept = json::object();
    for (auto it = annotations->begin(); it != annotations->end(); ++it) {
      if (ipam::IsMetalLbAnnotation(it.key())) {
        kept[it.key()] = std::move(it.value());
      }
    }
    if (!kept.empty()) out["metadata"]["annotations"] = std::move(kept);
  }
  if (json* spec = Member(&service, "spec");
      spec != nullptr && spec->is_object()) {
    json s = Pick(*spec, {"type", "loadBalancerIP", "loadBalancerClass",
                          "externalTrafficPolicy", "ipFamilies",
                          "ipFamilyPolicy", "selector"});
    if (json* ports = Member(spec, "ports"); ports && ports->is_array()) {
      json kept = json::array();
      for (json& p : *ports) kept.push_back(Pick(p, {"protocol", "port"}));
      s["ports"] = std::move(kept);
    }
    out["spec"] = std::move(s);
  }
  if (json* status = Member(&service, "status"); status != nullptr) {
    json st = Pick(*status, {"loadBalancer"});
    if (!st.empty()) out["status"] = std::move(st);
  }
  service = std::move(out);
}

void TrimEndpointSlice(json& slice) {
  if (!slice.is_object()) return;
  json out = Identity(slice);
  if (json* labels = Member(Member(&slice, "metadata"), "labels")) {
    json kept = Pick(*labels, {"kubernetes.io/service-name"});
    if (!kept.empty()) out["metadata"]["labels"] = std::move(kept);
  }
  if (json* endpoints = Member(&slice, "endpoints");
      endpoints != nullptr && endpoints->is_array()) {
    json kept = json::array();
    for (json& e : *endpoints) {
      kept.push_back(Pick(e, {"conditions", "nodeName"}));
    }
    out["endpoints"] = std::move(kept);
  }
  slice = std::move(out);
}

}  // namespace lb::controller
