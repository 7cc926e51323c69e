#include "lib/k8s/testing/defaulting.h"

#include <algorithm>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "lib/k8s/testing/internal/fields.h"

namespace lb::k8s::testing {

using internal::Field;
using internal::Rfc3339;
using internal::Str;

namespace {

// kube-apiserver's Namespace strategy: a create starts Active with the
// namespace controller's finalizer; an update keeps spec.finalizers, which
// only the namespace controller changes (through `/finalize`).
void DefaultNamespace(const json* old, json& obj) {
  if (!obj["spec"].is_object()) obj["spec"] = json::object();
  json& finalizers = obj["spec"]["finalizers"];
  if (old == nullptr) {
    obj["status"] = {{"phase", "Active"}};
    if (!finalizers.is_array()) finalizers = json::array();
    if (std::find(finalizers.begin(), finalizers.end(), "kubernetes") ==
        finalizers.end()) {
      finalizers.push_back("kubernetes");
    }
  } else {
    const json& kept = Field(Field(*old, "spec"), "finalizers");
    if (kept.is_null()) {
      obj["spec"].erase("finalizers");
    } else {
      finalizers = kept;
    }
  }
  if (!obj["status"].is_object()) obj["status"] = json::object();
  if (!obj["status"].contains("phase")) obj["status"]["phase"] = "Active";
}

}  // namespace

ApiResult Defaulter::Apply(const ResourceType& t, const json* old, json& obj,
                           absl::Time now) {
  if (t.group.empty() && t.plural == "services")
    return DefaultService(old, obj);
  if (t.group.empty() && t.plural == "namespaces") DefaultNamespace(old, obj);
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
  if (t.group == "apps") DefaultWorkload(t, obj);
  if (t.group.empty() && t.plural == "pods") {
    if (!obj["spec"].is_object()) obj["spec"] = json::object();
    DefaultPodSpec(obj["spec"]);
    if (!obj["spec"].contains("enableServiceLinks")) {
      obj["spec"]["enableServiceLinks"] = true;
    }
  }
  if (t.group == "apiextensions.k8s.io") return DefaultCrd(obj, now);
  return {200, json()};
}

namespace {

void Default(json& obj, const char* key, json value) {
  if (obj.is_object() && !obj.contains(key)) obj[key] = std::move(value);
}

void DefaultProbe(json& probe) {
  if (!probe.is_object()) return;
  Default(probe, "timeoutSeconds", 1);
  Default(probe, "periodSeconds", 10);
  Default(probe, "successThreshold", 1);
  Default(probe, "failureThreshold", 3);
  if (Field(probe, "httpGet").is_object()) {
    Default(probe["httpGet"], "scheme", "HTTP");
  }
}

// kube's rule: Always for ":latest" or no tag, IfNotPresent otherwise.
std::string PullPolicyFor(const std::string& image) {
  if (image.find('@') != std::string::npos) return "IfNotPresent";
  size_t slash = image.rfind('/');
  size_t colon = image.rfind(':');
  bool tagged = colon != std::string::npos &&
                (slash == std::string::npos || colon > slash);
  if (!tagged || image.substr(colon + 1) == "latest") return "Always";
  return "IfNotPresent";
}

void DefaultContainer(json& c) {
  if (!c.is_object()) return;
  Default(c, "imagePullPolicy", PullPolicyFor(Str(Field(c, "image"))));
  Default(c, "terminationMessagePath", "/dev/termination-log");
  Default(c, "terminationMessagePolicy", "File");
  Default(c, "resources", json::object());
  if (Field(c, "ports").is_array()) {
    for (json& p : c["ports"]) Default(p, "protocol", "TCP");
  }
  if (Field(c, "env").is_array()) {
    for (json& e : c["env"]) {
      if (Field(Field(e, "valueFrom"), "fieldRef").is_object()) {
        Default(e["valueFrom"]["fieldRef"], "apiVersion", "v1");
      }
    }
  }
  for (const char* probe :
       {"livenessProbe", "readinessProbe", "startupProbe"}) {
    if (c.contains(probe)) DefaultProbe(c[probe]);
  }
}

}  // namespace

void Defaulter::DefaultPodSpec(json& spec) {
  if (!spec.is_object()) return;
  Default(spec, "restartPolicy", "Always");
  Default(spec, "terminationGracePeriodSeconds", 30);
  Default(spec, "dnsPolicy", "ClusterFirst");
  Default(spec, "securityContext", json::object());
  Default(spec, "schedulerName", "default-scheduler");
  for (const char* list : {"containers", "initContainers"}) {
    if (Field(spec, list).is_array()) {
      for (json& c : spec[list]) DefaultContainer(c);
    }
  }
}

void Defaulter::DefaultWorkload(const ResourceType& t, json& obj) {
  if (!obj["spec"].is_object()) obj["spec"] = json::object();
  json& spec = obj["spec"];
  if (t.plural == "deployments") {
    Default(spec, "replicas", 1);
    Default(spec, "strategy", json::object());
    Default(spec["strategy"], "type", "RollingUpdate");
    if (Str(spec["strategy"]["type"]) == "RollingUpdate") {
      Default(spec["strategy"], "rollingUpdate", json::object());
      Default(spec["strategy"]["rollingUpdate"], "maxUnavailable", "25%");
      Default(spec["strategy"]["rollingUpdate"], "maxSurge", "25%");
    }
    Default(spec, "revisionHistoryLimit", 10);
    Default(spec, "progressDeadlineSeconds", 600);
  } else if (t.plural == "daemonsets") {
    Default(spec, "updateStrategy", json::object());
    Default(spec["updateStrategy"], "type", "RollingUpdate");
    if (Str(spec["updateStrategy"]["type"]) == "RollingUpdate") {
      Default(spec["updateStrategy"], "rollingUpdate", json::object());
      Default(spec["updateStrategy"]["rollingUpdate"], "maxUnavailable", 1);
      Default(spec["updateStrategy"]["rollingUpdate"], "maxSurge", 0);
    }
    Default(spec, "revisionHistoryLimit", 10);
  } else if (t.plural == "replicasets") {
    Default(spec, "replicas", 1);
  }
  if (Field(spec, "template", "spec").is_object()) {
    DefaultPodSpec(spec["template"]["spec"]);
  }
}

namespace {

bool NeedsClusterIp(const json& spec) {
  return Str(Field(spec, "type")) != "ExternalName" &&
         Str(Field(spec, "clusterIP")) != "None";
}

bool NeedsNodePorts(const json& spec) {
  std::string type = Str(Field(spec, "type"));
  return type == "NodePort" ||
         (type == "LoadBalancer" &&
          spec.value("allocateLoadBalancerNodePorts", true) != false);
}

bool ExternallyAccessible(const json& spec) {
  std::string type = Str(Field(spec, "type"));
  return type == "NodePort" || type == "LoadBalancer";
}

bool NeedsHealthCheckPort(const json& spec) {
  return Str(Field(spec, "type")) == "LoadBalancer" &&
         Str(Field(spec, "externalTrafficPolicy")) == "Local";
}

std::vector<json> NodePortsOf(const json& spec) {
  std::vector<json> out;
  if (!Field(spec, "ports").is_array()) return out;
  for (const json& p : spec["ports"]) out.push_back(Field(p, "nodePort"));
  return out;
}

// kube-apiserver's dropTypeDependentFields: on a type change, what the new
// type does not use and the update left as it was goes.
void DropTypeDependentFields(const json& old, json& obj) {
  const json& before = Field(old, "spec");
  json& spec = obj["spec"];
  if (NeedsClusterIp(before) && !NeedsClusterIp(spec)) {
    if (Field(spec, "clusterIP") == Field(before, "clusterIP") &&
        Field(spec, "clusterIPs") == Field(before, "clusterIPs")) {
      spec.erase("clusterIP");
      spec.erase("clusterIPs");
    }
    if (Field(spec, "ipFamilies") == Field(before, "ipFamilies")) {
      spec.erase("ipFamilies");
    }
    if (Field(spec, "ipFamilyPolicy") == Field(before, "ipFamilyPolicy")) {
      spec.erase("ipFamilyPolicy");
    }
  }
  if (NeedsNodePorts(before) && !NeedsNodePorts(spec) &&
      NodePortsOf(spec) == NodePortsOf(before) && spec["ports"].is_array()) {
    for (json& p : spec["ports"]) {
      if (p.is_object()) p.erase("nodePort");
    }
  }
  if (NeedsHealthCheckPort(before) && !NeedsHealthCheckPort(spec) &&
      Field(spec, "healthCheckNodePort") ==
          Field(before, "healthCheckNodePort")) {
    spec.erase("healthCheckNodePort");
  }
  const bool was_lb = Str(Field(before, "type")) == "LoadBalancer";
  const bool is_lb = Str(Field(spec, "type")) == "LoadBalancer";
  if (was_lb && !is_lb) {
    if (Field(spec, "allocateLoadBalancerNodePorts") ==
        Field(before, "allocateLoadBalancerNodePorts")) {
      spec.erase("allocateLoadBalancerNodePorts");
    }
    if (Field(spec, "loadBalancerClass") ==
        Field(before, "loadBalancerClass")) {
      spec.erase("loadBalancerClass");
    }
    // Clients must not believe a load balancer is still provisioned.
    obj["status"]["loadBalancer"] = json::object();
  }
  if (ExternallyAccessible(before) && !ExternallyAccessible(spec) &&
      Field(spec, "externalTrafficPolicy") ==
          Field(before, "externalTrafficPolicy")) {
    spec.erase("externalTrafficPolicy");
  }
}

}  // namespace

ApiResult Defaulter::DefaultService(const json* old, json& obj) {
  if (!obj["spec"].is_object()) obj["spec"] = json::object();
  if (!obj["status"].is_object()) obj["status"] = json::object();
  json& spec = obj["spec"];
  if (!spec.contains("type")) spec["type"] = "ClusterIP";
  if (old != nullptr) DropTypeDependentFields(*old, obj);
  const json& old_spec = old != nullptr ? Field(*old, "spec") : json();
  std::string type = Str(spec["type"]);
  if (!spec.contains("sessionAffinity")) spec["sessionAffinity"] = "None";
  if (NeedsClusterIp(spec)) {
    if (old != nullptr && NeedsClusterIp(old_spec)) {
      // kube-apiserver's patchAllocatedValues keeps what is allocated.
      if (Str(Field(spec, "clusterIP")).empty()) {
        spec["clusterIP"] = Field(old_spec, "clusterIP");
      }
      if (!spec.contains("clusterIPs") ||
          (Field(spec, "clusterIPs") == Field(old_spec, "clusterIPs") &&
           spec["clusterIP"] != Field(old_spec, "clusterIP"))) {
        spec["clusterIPs"] = {spec["clusterIP"]};
      }
    }
    if (Str(Field(spec, "clusterIP")).empty()) {
      spec["clusterIP"] = AllocateClusterIp();
    }
    if (!spec.contains("clusterIPs")) {
      spec["clusterIPs"] = {spec["clusterIP"]};
    }
  } else if (Str(Field(spec, "clusterIP")) == "None" &&
             !spec.contains("clusterIPs")) {
    spec["clusterIPs"] = {"None"};
  }
  if (type != "ExternalName") {
    if (!spec.contains("ipFamilies")) spec["ipFamilies"] = {"IPv4"};
    if (!spec.contains("ipFamilyPolicy")) {
      spec["ipFamilyPolicy"] = "SingleStack";
    }
    if (!spec.contains("internalTrafficPolicy")) {
      spec["internalTrafficPolicy"] = "Cluster";
    }
  }
  if (type == "LoadBalancer" &&
      !spec.contains("allocateLoadBalancerNodePorts")) {
    spec["allocateLoadBalancerNodePorts"] = true;
  }
  const bool node_ports = NeedsNodePorts(spec);
  if (ExternallyAccessible(spec) && !spec.contains("externalTrafficPolicy")) {
    spec["externalTrafficPolicy"] = "Cluster";
  }
  if (spec.contains("ports") && spec["ports"].is_array()) {
    std::set<int> taken;
    for (const json& p : spec["ports"]) {
      if (Field(p, "nodePort").is_number_integer()) {
        taken.insert(p["nodePort"].get<int>());
      }
    }
    for (json& p : spec["ports"]) {
      if (!p.is_object()) continue;
      if (!p.contains("protocol")) p["protocol"] = "TCP";
      if (!p.contains("targetPort")) p["targetPort"] = p.value("port", json());
      if (!node_ports || p.contains("nodePort")) continue;
      int node_port = 0;
      if (old != nullptr && NeedsNodePorts(old_spec) &&
          Field(old_spec, "ports").is_array()) {
        for (const json& op : Field(old_spec, "ports")) {
          if (op.value("port", json()) == p.value("port", json()) &&
              op.value("protocol", json("TCP")) == p["protocol"] &&
              Field(op, "nodePort").is_number_integer()) {
            node_port = op["nodePort"].get<int>();
          }
        }
      }
      if (node_port == 0) node_port = AllocateNodePort(taken);
      if (node_port == 0) {
        return ApiError(500, "InternalError",
                        "failed to allocate a nodePort: range is full");
      }
      taken.insert(node_port);
      p["nodePort"] = node_port;
    }
  }
  if (NeedsHealthCheckPort(spec) && !spec.contains("healthCheckNodePort")) {
    int hc = old != nullptr &&
                     Field(old_spec, "healthCheckNodePort").is_number_integer()
                 ? Field(old_spec, "healthCheckNodePort").get<int>()
                 : AllocateNodePort({});
    spec["healthCheckNodePort"] = hc;
  }
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

int Defaulter::AllocateNodePort(const std::set<int>& also_taken) {
  const int size = 32767 - 30000 + 1;
  std::uniform_int_distribution<int> pick(0, size - 1);
  int start = pick(rng_);
  for (int i = 0; i < size; ++i) {
    int port = 30000 + (start + i) % size;
    if (!node_ports_.contains(port) && also_taken.count(port) == 0) return port;
  }
  return 0;
}

std::string Defaulter::AllocateClusterIp() {
  // 10.96.0.0/12 less its network and broadcast addresses and 10.96.0.1,
  // the kubernetes Service's.
  std::uniform_int_distribution<uint32_t> pick(2, (1u << 20) - 2);
  for (;;) {
    uint32_t offset = pick(rng_);
    uint32_t v = 0x0a600000u + offset;
    std::string ip = absl::StrCat(v >> 24, ".", (v >> 16) & 0xff, ".",
                                  (v >> 8) & 0xff, ".", v & 0xff);
    if (!cluster_ips_.contains(ip)) return ip;
  }
}

std::string Defaulter::NodePortOwner(int port) const {
  auto it = node_ports_.find(port);
  return it == node_ports_.end() ? "" : it->second;
}

std::string Defaulter::ClusterIpOwner(const std::string& ip) const {
  auto it = cluster_ips_.find(ip);
  return it == cluster_ips_.end() ? "" : it->second;
}

void Defaulter::Commit(const std::string& key, const json* service) {
  auto held = held_.find(key);
  if (held != held_.end()) {
    for (int p : held->second.first) node_ports_.erase(p);
    for (const std::string& ip : held->second.second) cluster_ips_.erase(ip);
    held_.erase(held);
  }
  if (service == nullptr) return;
  std::pair<std::vector<int>, std::vector<std::string>> now;
  const json& spec = Field(*service, "spec");
  if (Field(spec, "ports").is_array()) {
    for (const json& p : spec["ports"]) {
      if (Field(p, "nodePort").is_number_integer()) {
        now.first.push_back(p["nodePort"].get<int>());
      }
    }
  }
  if (Field(spec, "healthCheckNodePort").is_number_integer()) {
    now.first.push_back(spec["healthCheckNodePort"].get<int>());
  }
  if (Field(spec, "clusterIPs").is_array()) {
    for (const json& ip : spec["clusterIPs"]) {
      if (Str(ip) != "None" && !Str(ip).empty()) now.second.push_back(Str(ip));
    }
  }
  for (int p : now.first) node_ports_[p] = key;
  for (const std::string& ip : now.second) cluster_ips_[ip] = key;
  held_[key] = std::move(now);
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
