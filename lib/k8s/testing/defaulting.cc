#include "lib/k8s/testing/defaulting.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "lib/k8s/testing/internal/fields.h"

namespace lb::k8s::testing {

using internal::Field;
using internal::Rfc3339;
using internal::Str;

ApiResult Defaulter::Apply(const ResourceType& t, const json* old, json& obj,
                           absl::Time now) {
  if (t.group.empty() && t.plural == "services")
    return DefaultService(old, obj);
  if (t.group.empty() && t.plural == "namespaces") {
    if (!obj["spec"].is_object()) obj["spec"] = json::object();
    if (!obj["spec"].contains("finalizers")) {
      obj["spec"]["finalizers"] = {"kubernetes"};
    }
    if (!obj["status"].is_object()) obj["status"] = json::object();
    if (!obj["status"].contains("phase")) obj["status"]["phase"] = "Active";
  }
  if (t.group.empty() && t.plural == "secrets") {
    if (!obj.contains("type")) obj["type"] = "Opaque";
    if (obj.contains("stringData") && obj["stringData"].is_object()) {
      if (!obj["data"].is_object()) obj["data"] = json::object();
      for (auto it = obj["stringData"].begin(); it != obj["stringData"].end();
           ++it) {
        obj["data"][it.key()] = absl::Base64Escape(Str(it.value()));
      }
      obj.erase("stringData");
    }
  }
  if (t.group == "apiextensions.k8s.io") return DefaultCrd(obj, now);
  return {200, json()};
}

ApiResult Defaulter::DefaultService(const json* old, json& obj) {
  if (!obj["spec"].is_object()) obj["spec"] = json::object();
  json& spec = obj["spec"];
  const json& old_spec = old != nullptr ? Field(*old, "spec") : json();
  if (!spec.contains("type")) spec["type"] = "ClusterIP";
  std::string type = Str(spec["type"]);
  if (type != "ClusterIP" && type != "NodePort" && type != "LoadBalancer" &&
      type != "ExternalName") {
    return ApiError(
        422, "Invalid",
        absl::StrCat("Service \"", Str(obj["metadata"]["name"]),
                     "\" is invalid: spec.type: Unsupported value: \"", type,
                     "\""));
  }
  if (!spec.contains("sessionAffinity")) spec["sessionAffinity"] = "None";
  if (type != "ExternalName") {
    if (Str(spec.value("clusterIP", json())).empty()) {
      std::string ip = Str(Field(old_spec, "clusterIP"));
      if (ip.empty()) {
        ++cluster_ip_counter_;
        ip = absl::StrCat("10.96.", (cluster_ip_counter_ >> 8) & 0xff, ".",
                          cluster_ip_counter_ & 0xff);
      }
      spec["clusterIP"] = ip;
    }
    if (!spec.contains("clusterIPs")) {
      spec["clusterIPs"] = {spec["clusterIP"]};
    }
    if (!spec.contains("ipFamilies")) spec["ipFamilies"] = {"IPv4"};
    if (!spec.contains("ipFamilyPolicy")) {
      spec["ipFamilyPolicy"] = "SingleStack";
    }
    if (!spec.contains("internalTrafficPolicy")) {
      spec["internalTrafficPolicy"] = "Cluster";
    }
  }
  bool external = type == "NodePort" || type == "LoadBalancer";
  if (type == "LoadBalancer" &&
      !spec.contains("allocateLoadBalancerNodePorts")) {
    spec["allocateLoadBalancerNodePorts"] = true;
  }
  bool node_ports =
      type == "NodePort" ||
      (type == "LoadBalancer" &&
       spec.value("allocateLoadBalancerNodePorts", true) != false);
  if (external && !spec.contains("externalTrafficPolicy")) {
    spec["externalTrafficPolicy"] = "Cluster";
  }
  if (spec.contains("ports") && spec["ports"].is_array()) {
    int index = 0;
    for (json& p : spec["ports"]) {
      if (!p.is_object() || !p.contains("port") ||
          !p["port"].is_number_integer() || p["port"].get<int64_t>() < 1 ||
          p["port"].get<int64_t>() > 65535) {
        return ApiError(
            422, "Invalid",
            absl::StrCat("Service \"", Str(obj["metadata"]["name"]),
                         "\" is invalid: spec.ports[", index,
                         "].port: Invalid value: ",
                         p.is_object() ? Str(p.value("port", json())) : "",
                         ": must be between 1 and 65535, inclusive"));
      }
      if (!p.contains("protocol")) p["protocol"] = "TCP";
      if (!p.contains("targetPort")) p["targetPort"] = p["port"];
      if (node_ports && !p.contains("nodePort")) {
        int node_port = 0;
        if (Field(old_spec, "ports").is_array()) {
          for (const json& op : Field(old_spec, "ports")) {
            if (op.value("port", json()) == p["port"] &&
                op.value("protocol", json("TCP")) == p["protocol"] &&
                op.contains("nodePort")) {
              node_port = op["nodePort"].get<int>();
            }
          }
        }
        if (node_port == 0) node_port = AllocateNodePort();
        if (node_port == 0) {
          return ApiError(422, "Invalid",
                          "spec.ports.nodePort: no node ports left in "
                          "30000-32767");
        }
        p["nodePort"] = node_port;
      }
      ++index;
    }
  }
  if (type == "LoadBalancer" &&
      spec.value("externalTrafficPolicy", "") == "Local" &&
      !spec.contains("healthCheckNodePort")) {
    int hc = Field(old_spec, "healthCheckNodePort").is_number_integer()
                 ? Field(old_spec, "healthCheckNodePort").get<int>()
                 : AllocateNodePort();
    spec["healthCheckNodePort"] = hc;
  }
  if (!obj["status"].is_object()) obj["status"] = json::object();
  if (!obj["status"]["loadBalancer"].is_object()) {
    obj["status"]["loadBalancer"] = json::object();
  }
  json& lb = obj["status"]["loadBalancer"];
  if (lb.contains("ingress") && lb["ingress"].is_array()) {
    for (json& ing : lb["ingress"]) {
      if (ing.is_object() && ing.contains("ip") && !ing.contains("ipMode")) {
        ing["ipMode"] = "VIP";
      }
    }
  }
  return {200, json()};
}

int Defaulter::AllocateNodePort() {
  if (next_node_port_ > 32767) return 0;
  return next_node_port_++;
}

ApiResult Defaulter::DefaultCrd(json& obj, absl::Time now) {
  const json& spec = Field(obj, "spec");
  std::string group = Str(Field(spec, "group"));
  const json& names = Field(spec, "names");
  std::string plural = Str(Field(names, "plural"));
  std::string kind = Str(Field(names, "kind"));
  std::string name = Str(Field(obj, "metadata", "name"));
  if (group.empty() || plural.empty() || kind.empty()) {
    return ApiError(
        422, "Invalid",
        absl::StrCat("CustomResourceDefinition.apiextensions.k8s.io "
                     "\"",
                     name,
                     "\" is invalid: spec: Required value: group, "
                     "names.plural and names.kind are required"));
  }
  if (name != plural + "." + group) {
    return ApiError(
        422, "Invalid",
        absl::StrCat("CustomResourceDefinition.apiextensions.k8s.io "
                     "\"",
                     name,
                     "\" is invalid: metadata.name: Invalid value: "
                     "\"",
                     name, "\": must be spec.names.plural+\".\"+spec.group"));
  }
  json accepted = names;
  if (!accepted.contains("singular")) {
    accepted["singular"] = absl::AsciiStrToLower(kind);
  }
  if (!accepted.contains("listKind")) accepted["listKind"] = kind + "List";
  std::string stamp = Rfc3339(now);
  obj["status"] = {{"acceptedNames", accepted},
                   {"storedVersions", json::array()},
                   {"conditions",
                    {{{"type", "NamesAccepted"},
                      {"status", "True"},
                      {"reason", "NoConflicts"},
                      {"message", "no conflicts found"},
                      {"lastTransitionTime", stamp}},
                     {{"type", "Established"},
                      {"status", "True"},
                      {"reason", "InitialNamesAccepted"},
                      {"message", "the initial names have been accepted"},
                      {"lastTransitionTime", stamp}}}}};
  return {200, json()};
}

}  // namespace lb::k8s::testing
