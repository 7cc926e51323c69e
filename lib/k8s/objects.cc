#include "lib/k8s/objects.h"

#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace lb::k8s {
namespace {

const json& At(const json& obj, const char* key) {
  static const json* const kNull = new json();
  if (!obj.is_object()) return *kNull;
  auto it = obj.find(key);
  return it == obj.end() ? *kNull : *it;
}

std::string Str(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
  return "";
}

int32_t Int(const json& v) {
  return v.is_number_integer() ? v.get<int32_t>() : 0;
}

std::map<std::string, std::string> StrMap(const json& v) {
  std::map<std::string, std::string> out;
  if (!v.is_object()) return out;
  for (auto it = v.begin(); it != v.end(); ++it)
    out[it.key()] = Str(it.value());
  return out;
}

std::vector<std::string> StrList(const json& v) {
  std::vector<std::string> out;
  if (!v.is_array()) return out;
  for (const json& e : v) out.push_back(Str(e));
  return out;
}

std::optional<absl::Time> Time(const json& v) {
  absl::Time t;
  std::string err;
  if (v.is_string() &&
      absl::ParseTime(absl::RFC3339_full, v.get<std::string>(), &t, &err)) {
    return t;
  }
  return std::nullopt;
}

std::vector<ServicePort> Ports(const json& v) {
  std::vector<ServicePort> out;
  if (!v.is_array()) return out;
  for (const json& p : v) {
    ServicePort sp;
    sp.name = Str(At(p, "name"));
    if (At(p, "protocol").is_string()) sp.protocol = Str(At(p, "protocol"));
    sp.port = Int(At(p, "port"));
    sp.node_port = Int(At(p, "nodePort"));
    sp.target_port = Str(At(p, "targetPort"));
    out.push_back(std::move(sp));
  }
  return out;
}

bool Bool(const json& v, bool def) {
  return v.is_boolean() ? v.get<bool>() : def;
}

json OptionalMapPatch(
    const char* field,
    const std::map<std::string, std::optional<std::string>>& values) {
  json m = json::object();
  for (const auto& [k, v] : values) {
    m[k] = v.has_value() ? json(*v) : json(nullptr);
  }
  return {{"metadata", {{field, m}}}};
}

}  // namespace

absl::StatusOr<ObjectMeta> MetaFromJson(const json& object) {
  const json& md = At(object, "metadata");
  if (!md.is_object() || !At(md, "name").is_string()) {
    return absl::InvalidArgumentError("object has no metadata.name");
  }
  ObjectMeta m;
  m.name = Str(At(md, "name"));
  m.ns = Str(At(md, "namespace"));
  m.uid = Str(At(md, "uid"));
  m.resource_version = Str(At(md, "resourceVersion"));
  m.generation = At(md, "generation").is_number_integer()
                     ? At(md, "generation").get<int64_t>()
                     : 0;
  m.labels = StrMap(At(md, "labels"));
  m.annotations = StrMap(At(md, "annotations"));
  m.creation_timestamp = Time(At(md, "creationTimestamp"));
  m.deletion_timestamp = Time(At(md, "deletionTimestamp"));
  return m;
}

absl::StatusOr<Service> Service::FromJson(const json& object) {
  auto meta = MetaFromJson(object);
  if (!meta.ok()) return meta.status();
  Service s;
  s.meta = std::move(*meta);
  const json& spec = At(object, "spec");
  if (At(spec, "type").is_string()) s.type = Str(At(spec, "type"));
  s.cluster_ip = Str(At(spec, "clusterIP"));
  s.cluster_ips = StrList(At(spec, "clusterIPs"));
  s.load_balancer_ip = Str(At(spec, "loadBalancerIP"));
  s.load_balancer_class = Str(At(spec, "loadBalancerClass"));
  s.external_traffic_policy = Str(At(spec, "externalTrafficPolicy"));
  s.ip_families = StrList(At(spec, "ipFamilies"));
  s.ip_family_policy = Str(At(spec, "ipFamilyPolicy"));
  s.ports = Ports(At(spec, "ports"));
  s.selector = StrMap(At(spec, "selector"));
  s.health_check_node_port = Int(At(spec, "healthCheckNodePort"));
  const json& ingress = At(At(At(object, "status"), "loadBalancer"), "ingress");
  if (ingress.is_array()) {
    for (const json& i : ingress) {
      s.ingress.push_back(
          {Str(At(i, "ip")), Str(At(i, "hostname")), Str(At(i, "ipMode"))});
    }
  }
  s.raw = object;
  return s;
}

absl::StatusOr<EndpointSlice> EndpointSlice::FromJson(const json& object) {
  auto meta = MetaFromJson(object);
  if (!meta.ok()) return meta.status();
  EndpointSlice e;
  e.meta = std::move(*meta);
  e.address_type = Str(At(object, "addressType"));
  const json& eps = At(object, "endpoints");
  if (eps.is_array()) {
    for (const json& ep : eps) {
      Endpoint out;
      out.addresses = StrList(At(ep, "addresses"));
      const json& c = At(ep, "conditions");
      out.ready = Bool(At(c, "ready"), true);
      out.serving = Bool(At(c, "serving"), out.ready);
      out.terminating = Bool(At(c, "terminating"), false);
      out.node_name = Str(At(ep, "nodeName"));
      e.endpoints.push_back(std::move(out));
    }
  }
  e.ports = Ports(At(object, "ports"));
  auto it = e.meta.labels.find("kubernetes.io/service-name");
  if (it != e.meta.labels.end()) e.service_name = it->second;
  e.raw = object;
  return e;
}

absl::StatusOr<Node> Node::FromJson(const json& object) {
  auto meta = MetaFromJson(object);
  if (!meta.ok()) return meta.status();
  Node n;
  n.meta = std::move(*meta);
  n.unschedulable = Bool(At(At(object, "spec"), "unschedulable"), false);
  const json& status = At(object, "status");
  const json& conditions = At(status, "conditions");
  if (conditions.is_array()) {
    for (const json& c : conditions) {
      if (Str(At(c, "type")) == "Ready")
        n.ready = Str(At(c, "status")) == "True";
    }
  }
  const json& addresses = At(status, "addresses");
  if (addresses.is_array()) {
    for (const json& a : addresses) {
      n.addresses.push_back({Str(At(a, "type")), Str(At(a, "address"))});
    }
  }
  n.raw = object;
  return n;
}

absl::StatusOr<ConfigMap> ConfigMap::FromJson(const json& object) {
  auto meta = MetaFromJson(object);
  if (!meta.ok()) return meta.status();
  ConfigMap c;
  c.meta = std::move(*meta);
  c.data = StrMap(At(object, "data"));
  c.raw = object;
  return c;
}

absl::StatusOr<Secret> Secret::FromJson(const json& object) {
  auto meta = MetaFromJson(object);
  if (!meta.ok()) return meta.status();
  Secret s;
  s.meta = std::move(*meta);
  s.type = Str(At(object, "type"));
  for (const auto& [k, v] : StrMap(At(object, "data"))) {
    std::string decoded;
    if (!absl::Base64Unescape(v, &decoded)) {
      return absl::InvalidArgumentError(absl::StrCat("Secret ", s.meta.ns, "/",
                                                     s.meta.name, ": data[\"",
                                                     k, "\"] is not base64"));
    }
    s.data[k] = std::move(decoded);
  }
  s.raw = object;
  return s;
}

absl::StatusOr<Namespace> Namespace::FromJson(const json& object) {
  auto meta = MetaFromJson(object);
  if (!meta.ok()) return meta.status();
  Namespace n;
  n.meta = std::move(*meta);
  n.phase = Str(At(At(object, "status"), "phase"));
  n.raw = object;
  return n;
}

absl::StatusOr<EventInfo> EventInfo::FromJson(const json& object) {
  auto meta = MetaFromJson(object);
  if (!meta.ok()) return meta.status();
  EventInfo e;
  e.meta = std::move(*meta);
  e.type = Str(At(object, "type"));
  e.reason = Str(At(object, "reason"));
  e.message = Str(At(object, "message"));
  e.count = Int(At(object, "count"));
  const json& io = At(object, "involvedObject");
  e.involved_kind = Str(At(io, "kind"));
  e.involved_namespace = Str(At(io, "namespace"));
  e.involved_name = Str(At(io, "name"));
  e.raw = object;
  return e;
}

bool IngressEqual(const std::vector<LoadBalancerIngress>& a,
                  const std::vector<LoadBalancerIngress>& b) {
  if (a.size() != b.size()) return false;
  auto mode = [](const LoadBalancerIngress& i) {
    if (!i.ip_mode.empty()) return i.ip_mode;
    return i.ip.empty() ? std::string() : std::string("VIP");
  };
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].ip != b[i].ip || a[i].hostname != b[i].hostname ||
        mode(a[i]) != mode(b[i])) {
      return false;
    }
  }
  return true;
}

json ServiceStatusPatch(const std::vector<LoadBalancerIngress>& ingress) {
  json list = json::array();
  for (const LoadBalancerIngress& i : ingress) {
    json e = json::object();
    if (!i.ip.empty()) e["ip"] = i.ip;
    if (!i.hostname.empty()) e["hostname"] = i.hostname;
    if (!i.ip_mode.empty()) e["ipMode"] = i.ip_mode;
    list.push_back(std::move(e));
  }
  return {{"status", {{"loadBalancer", {{"ingress", list}}}}}};
}

json LabelsPatch(
    const std::map<std::string, std::optional<std::string>>& labels) {
  return OptionalMapPatch("labels", labels);
}

json AnnotationsPatch(
    const std::map<std::string, std::optional<std::string>>& annotations) {
  return OptionalMapPatch("annotations", annotations);
}

}  // namespace lb::k8s
