// lib/k8s/objects.h
//
// Typed views of the kinds this project reads: Service (with status),
// EndpointSlice, Node, ConfigMap, Secret, Namespace, Event. Decoding is
// tolerant: unknown fields are ignored and the full object stays available in
// `raw`, so nothing is lost. Writes are never made from these structs as a
// whole; build a merge patch of exactly the fields being changed instead
// (ServiceStatusPatch, LabelsPatch, ...).
//
//   LB_ASSIGN_OR_RETURN(json j, client.Get(kServices, "default", "nginx"));
//   LB_ASSIGN_OR_RETURN(Service svc, Service::FromJson(j));
//   std::vector<LoadBalancerIngress> want(1);
//   want[0].ip = "192.168.1.240";
//   if (!IngressEqual(svc.ingress, want)) {
//     client.MergePatch(kServices, svc.meta.ns, svc.meta.name,
//                       ServiceStatusPatch(want), Subresource::kStatus);
//   }
//
// Thread-safety: value types.

#ifndef LB_K8S_OBJECTS_H_
#define LB_K8S_OBJECTS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/k8s/json.h"

namespace lb::k8s {

struct ObjectMeta {
  std::string name;
  std::string ns;
  std::string uid;
  std::string resource_version;
  int64_t generation = 0;
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::optional<absl::Time> creation_timestamp;
  std::optional<absl::Time> deletion_timestamp;
};

struct ServicePort {
  std::string name;
  std::string protocol = "TCP";
  int32_t port = 0;
  int32_t node_port = 0;
  std::string target_port;  // number or name, as text
};

struct LoadBalancerIngress {
  std::string ip;
  std::string hostname;
  std::string ip_mode;  // "" means what the server defaults to: "VIP"
};

struct Service {
  ObjectMeta meta;
  std::string type = "ClusterIP";
  std::string cluster_ip;
  std::vector<std::string> cluster_ips;
  std::string load_balancer_ip;
  std::string load_balancer_class;
  std::string external_traffic_policy;
  std::vector<std::string> ip_families;
  std::string ip_family_policy;
  std::vector<ServicePort> ports;
  std::map<std::string, std::string> selector;
  int32_t health_check_node_port = 0;
  std::vector<LoadBalancerIngress> ingress;  // status.loadBalancer.ingress
  json raw;

  static absl::StatusOr<Service> FromJson(const json& object);
};

struct Endpoint {
  std::vector<std::string> addresses;
  // nil `ready` means ready.
  bool ready = true;
  bool serving = true;
  bool terminating = false;
  std::string node_name;
};

struct EndpointSlice {
  ObjectMeta meta;
  std::string address_type;
  std::vector<Endpoint> endpoints;
  std::vector<ServicePort> ports;
  // Label kubernetes.io/service-name.
  std::string service_name;
  json raw;

  static absl::StatusOr<EndpointSlice> FromJson(const json& object);
};

struct NodeAddress {
  std::string type;  // InternalIP, ExternalIP, Hostname
  std::string address;
};

struct Node {
  ObjectMeta meta;
  bool unschedulable = false;
  // Condition Ready == "True".
  bool ready = false;
  std::vector<NodeAddress> addresses;
  json raw;

  static absl::StatusOr<Node> FromJson(const json& object);
};

struct ConfigMap {
  ObjectMeta meta;
  std::map<std::string, std::string> data;
  json raw;

  static absl::StatusOr<ConfigMap> FromJson(const json& object);
};

struct Secret {
  ObjectMeta meta;
  std::string type;
  // Decoded bytes of `data`.
  std::map<std::string, std::string> data;
  json raw;

  // InvalidArgument when a data value is not base64.
  static absl::StatusOr<Secret> FromJson(const json& object);
};

struct Namespace {
  ObjectMeta meta;
  std::string phase;
  json raw;

  static absl::StatusOr<Namespace> FromJson(const json& object);
};

struct EventInfo {
  ObjectMeta meta;
  std::string type;
  std::string reason;
  std::string message;
  int32_t count = 0;
  std::string involved_kind;
  std::string involved_namespace;
  std::string involved_name;
  json raw;

  static absl::StatusOr<EventInfo> FromJson(const json& object);
};

// InvalidArgument when `object` has no metadata.name or a malformed field.
absl::StatusOr<ObjectMeta> MetaFromJson(const json& object);

// True when the two ingress lists are equal, treating a missing ipMode as the
// server default "VIP" (so status comparisons do not loop).
bool IngressEqual(const std::vector<LoadBalancerIngress>& a,
                  const std::vector<LoadBalancerIngress>& b);

// {"status":{"loadBalancer":{"ingress":[...]}}}: a merge patch for the
// /status subresource that replaces the ingress list (empty releases it).
json ServiceStatusPatch(const std::vector<LoadBalancerIngress>& ingress);

// {"metadata":{"labels":{...}}} or annotations; a std::nullopt value
// removes the key.
json LabelsPatch(
    const std::map<std::string, std::optional<std::string>>& labels);
json AnnotationsPatch(
    const std::map<std::string, std::optional<std::string>>& annotations);

}  // namespace lb::k8s

#endif  // LB_K8S_OBJECTS_H_
