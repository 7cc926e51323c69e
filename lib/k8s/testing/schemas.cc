#include "lib/k8s/testing/schemas.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace lb::k8s::testing {
namespace {

using Props = std::vector<std::pair<std::string, json>>;

constexpr char kCore[] = "io.k8s.api.core.v1.";
constexpr char kApps[] = "io.k8s.api.apps.v1.";
constexpr char kMeta[] = "io.k8s.apimachinery.pkg.apis.meta.v1.";
constexpr char kRbac[] = "io.k8s.api.rbac.v1.";
constexpr char kCrd[] =
    "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.";

json Str() { return {{"type", "string"}}; }
json Int32() { return {{"type", "integer"}, {"format", "int32"}}; }
json Int64() { return {{"type", "integer"}, {"format", "int64"}}; }
json Bool() { return {{"type", "boolean"}}; }
json Num() { return {{"type", "number"}, {"format", "double"}}; }
json Bytes() { return {{"type", "string"}, {"format", "byte"}}; }
// Any JSON value, kept as sent (Kubernetes' JSON and RawExtension).
json Any() { return json::object(); }
json Ref(const std::string& name) {
  return {{"$ref", absl::StrCat(kSchemaRefPrefix, name)}};
}
json Time() { return Ref(absl::StrCat(kMeta, "Time")); }
json MicroTime() { return Ref(absl::StrCat(kMeta, "MicroTime")); }
json IntOrString() {
  return Ref("io.k8s.apimachinery.pkg.util.intstr.IntOrString");
}
json Quantity() { return Ref("io.k8s.apimachinery.pkg.api.resource.Quantity"); }
json Meta() { return Ref(absl::StrCat(kMeta, "ObjectMeta")); }
json Selector() { return Ref(absl::StrCat(kMeta, "LabelSelector")); }
json Core(const std::string& n) { return Ref(absl::StrCat(kCore, n)); }
json Arr(json items) {
  return {{"type", "array"}, {"items", std::move(items)}};
}
json MapOf(json values) {
  return {{"type", "object"}, {"additionalProperties", std::move(values)}};
}
json StrMap() { return MapOf(Str()); }
// An object whose fields are not all written here: kept as sent.
json Open(const std::string& description) {
  return {{"type", "object"},
          {"x-kubernetes-preserve-unknown-fields", true},
          {"description", description}};
}
json Obj(const Props& props, const std::vector<std::string>& required = {}) {
  json o = {{"type", "object"}, {"properties", json::object()}};
  for (const auto& [k, v] : props) o["properties"][k] = v;
  if (!required.empty()) o["required"] = required;
  return o;
}
json Described(json s, const std::string& description) {
  s["description"] = description;
  return s;
}
// A list merged by `key` in strategic merge patches and keyed by `keys`
// (default {key}) in server-side apply.
json MergeList(json items, const std::string& key,
               std::vector<std::string> keys = {}) {
  json a = Arr(std::move(items));
  a["x-kubernetes-patch-strategy"] = "merge";
  a["x-kubernetes-patch-merge-key"] = key;
  a["x-kubernetes-list-type"] = "map";
  a["x-kubernetes-list-map-keys"] =
      keys.empty() ? std::vector<std::string>{key} : std::move(keys);
  return a;
}
// A struct that server-side apply replaces whole.
json AtomicStruct(json s) {
  s["x-kubernetes-map-type"] = "atomic";
  return s;
}
// A port's protocol, whose default also keys the port lists.
json Protocol() {
  json s = Str();
  s["default"] = "TCP";
  return s;
}
json Atomic(json items) {
  json a = Arr(std::move(items));
  a["x-kubernetes-list-type"] = "atomic";
  return a;
}
json SetOf(json items) {
  json a = Arr(std::move(items));
  a["x-kubernetes-list-type"] = "set";
  return a;
}
// A top-level kind: apiVersion, kind, metadata and `props`.
json Kind(const std::string& group, const std::string& version,
          const std::string& kind, const std::string& description,
          Props props) {
  props.insert(props.begin(),
               {{"apiVersion",
                 Described(Str(),
                           "The versioned schema of this representation of an "
                           "object.")},
                {"kind", Described(Str(),
                                   "The REST resource this object "
                                   "represents, in CamelCase.")},
                {"metadata", Described(Meta(), "Standard object metadata.")}});
  json o = Described(Obj(props), description);
  o["x-kubernetes-group-version-kind"] =
      json::array({{{"group", group}, {"version", version}, {"kind", kind}}});
  return o;
}
json Condition() {
  return Obj({{"type", Str()},
              {"status", Str()},
              {"observedGeneration", Int64()},
              {"lastHeartbeatTime", Time()},
              {"lastProbeTime", Time()},
              {"lastUpdateTime", Time()},
              {"lastTransitionTime", Time()},
              {"reason", Str()},
              {"message", Str()}},
             {"type", "status"});
}

void AddMeta(json& d) {
  const std::string m = kMeta;
  d[m + "Time"] = Described({{"type", "string"}, {"format", "date-time"}},
                            "A timestamp in RFC 3339 form, to the second.");
  d[m + "MicroTime"] =
      Described({{"type", "string"}, {"format", "date-time"}},
                "A timestamp in RFC 3339 form, to the microsecond.");
  d["io.k8s.apimachinery.pkg.util.intstr.IntOrString"] =
      Described({{"type", "string"}, {"format", "int-or-string"}},
                "An int32 or a string.");
  d["io.k8s.apimachinery.pkg.api.resource.Quantity"] =
      Described(Str(), "A fixed-point number such as 100m, 2Gi or 3.");
  d[m + "OwnerReference"] = Obj({{"apiVersion", Str()},
                                 {"kind", Str()},
                                 {"name", Str()},
                                 {"uid", Str()},
                                 {"controller", Bool()},
                                 {"blockOwnerDeletion", Bool()}},
                                {"apiVersion", "kind", "name", "uid"});
  d[m + "ManagedFieldsEntry"] = Obj({{"manager", Str()},
                                     {"operation", Str()},
                                     {"apiVersion", Str()},
                                     {"time", Time()},
                                     {"fieldsType", Str()},
                                     {"fieldsV1", Any()},
                                     {"subresource", Str()}});
  json finalizers = SetOf(Str());
  finalizers["x-kubernetes-patch-strategy"] = "merge";
  d[m + "ObjectMeta"] = Described(
      Obj({{"name", Described(Str(), "Unique within a namespace.")},
           {"generateName", Str()},
           {"namespace", Str()},
           {"selfLink", Str()},
           {"uid", Str()},
           {"resourceVersion", Str()},
           {"generation", Int64()},
           {"creationTimestamp", Time()},
           {"deletionTimestamp", Time()},
           {"deletionGracePeriodSeconds", Int64()},
           {"labels", StrMap()},
           {"annotations", StrMap()},
           {"ownerReferences", MergeList(Ref(m + "OwnerReference"), "uid")},
           {"finalizers", finalizers},
           {"managedFields", Atomic(Ref(m + "ManagedFieldsEntry"))}}),
      "Metadata every persisted object has.");
  d[m + "ListMeta"] = Obj({{"selfLink", Str()},
                           {"resourceVersion", Str()},
                           {"continue", Str()},
                           {"remainingItemCount", Int64()}});
  d[m + "LabelSelectorRequirement"] =
      Obj({{"key", Str()}, {"operator", Str()}, {"values", Atomic(Str())}},
          {"key", "operator"});
  d[m + "LabelSelector"] = Described(
      AtomicStruct(Obj(
          {{"matchLabels", StrMap()},
           {"matchExpressions", Atomic(Ref(m + "LabelSelectorRequirement"))}})),
      "A label query over a set of resources.");
  d[m + "Condition"] = Condition();
}

void AddPod(json& d) {
  const std::string c = kCore;
  d[c + "ObjectFieldSelector"] = AtomicStruct(
      Obj({{"apiVersion", Str()}, {"fieldPath", Str()}}, {"fieldPath"}));
  d[c + "ResourceFieldSelector"] = AtomicStruct(Obj(
      {{"containerName", Str()}, {"resource", Str()}, {"divisor", Quantity()}},
      {"resource"}));
  json key_selector = AtomicStruct(
      Obj({{"name", Str()}, {"key", Str()}, {"optional", Bool()}}, {"key"}));
  d[c + "ConfigMapKeySelector"] = key_selector;
  d[c + "SecretKeySelector"] = key_selector;
  d[c + "EnvVarSource"] =
      Obj({{"fieldRef", Core("ObjectFieldSelector")},
           {"resourceFieldRef", Core("ResourceFieldSelector")},
           {"configMapKeyRef", Core("ConfigMapKeySelector")},
           {"secretKeyRef", Core("SecretKeySelector")}});
  d[c + "EnvVar"] = Obj(
      {{"name", Str()}, {"value", Str()}, {"valueFrom", Core("EnvVarSource")}},
      {"name"});
  json env_source = Obj({{"name", Str()}, {"optional", Bool()}});
  d[c + "EnvFromSource"] = Obj({{"prefix", Str()},
                                {"configMapRef", env_source},
                                {"secretRef", env_source}});
  d[c + "ContainerPort"] = Obj({{"name", Str()},
                                {"hostPort", Int32()},
                                {"containerPort", Int32()},
                                {"protocol", Protocol()},
                                {"hostIP", Str()}},
                               {"containerPort"});
  d[c + "ResourceRequirements"] =
      Obj({{"limits", MapOf(Quantity())},
           {"requests", MapOf(Quantity())},
           {"claims", Atomic(Obj({{"name", Str()}, {"request", Str()}}))}});
  d[c + "VolumeMount"] = Obj({{"name", Str()},
                              {"readOnly", Bool()},
                              {"recursiveReadOnly", Str()},
                              {"mountPath", Str()},
                              {"subPath", Str()},
                              {"mountPropagation", Str()},
                              {"subPathExpr", Str()}},
                             {"name", "mountPath"});
  d[c + "HTTPGetAction"] =
      Obj({{"path", Str()},
           {"port", IntOrString()},
           {"host", Str()},
           {"scheme", Str()},
           {"httpHeaders", Atomic(Obj({{"name", Str()}, {"value", Str()}}))}},
          {"port"});
  d[c + "TCPSocketAction"] =
      Obj({{"port", IntOrString()}, {"host", Str()}}, {"port"});
  d[c + "ExecAction"] = Obj({{"command", Atomic(Str())}});
  d[c + "GRPCAction"] = Obj({{"port", Int32()}, {"service", Str()}}, {"port"});
  d[c + "Probe"] = Obj({{"exec", Core("ExecAction")},
                        {"httpGet", Core("HTTPGetAction")},
                        {"tcpSocket", Core("TCPSocketAction")},
                        {"grpc", Core("GRPCAction")},
                        {"initialDelaySeconds", Int32()},
                        {"timeoutSeconds", Int32()},
                        {"periodSeconds", Int32()},
                        {"successThreshold", Int32()},
                        {"failureThreshold", Int32()},
                        {"terminationGracePeriodSeconds", Int64()}});
  d[c + "LifecycleHandler"] =
      Obj({{"exec", Core("ExecAction")},
           {"httpGet", Core("HTTPGetAction")},
           {"tcpSocket", Core("TCPSocketAction")},
           {"sleep", Obj({{"seconds", Int64()}}, {"seconds"})}});
  d[c + "Lifecycle"] = Obj({{"postStart", Core("LifecycleHandler")},
                            {"preStop", Core("LifecycleHandler")},
                            {"stopSignal", Str()}});
  d[c + "SELinuxOptions"] = Obj(
      {{"user", Str()}, {"role", Str()}, {"type", Str()}, {"level", Str()}});
  d[c + "SeccompProfile"] =
      Obj({{"type", Str()}, {"localhostProfile", Str()}}, {"type"});
  d[c + "AppArmorProfile"] =
      Obj({{"type", Str()}, {"localhostProfile", Str()}}, {"type"});
  d[c + "WindowsSecurityContextOptions"] =
      Obj({{"gmsaCredentialSpecName", Str()},
           {"gmsaCredentialSpec", Str()},
           {"runAsUserName", Str()},
           {"hostProcess", Bool()}});
  d[c + "Capabilities"] =
      Obj({{"add", Atomic(Str())}, {"drop", Atomic(Str())}});
  d[c + "SecurityContext"] =
      Obj({{"capabilities", Core("Capabilities")},
           {"privileged", Bool()},
           {"seLinuxOptions", Core("SELinuxOptions")},
           {"windowsOptions", Core("WindowsSecurityContextOptions")},
           {"runAsUser", Int64()},
           {"runAsGroup", Int64()},
           {"runAsNonRoot", Bool()},
           {"readOnlyRootFilesystem", Bool()},
           {"allowPrivilegeEscalation", Bool()},
           {"procMount", Str()},
           {"seccompProfile", Core("SeccompProfile")},
           {"appArmorProfile", Core("AppArmorProfile")}});
  json container = Obj(
      {{"name", Described(Str(), "The container's name, unique in the pod.")},
       {"image", Str()},
       {"command", Atomic(Str())},
       {"args", Atomic(Str())},
       {"workingDir", Str()},
       {"ports", MergeList(Core("ContainerPort"), "containerPort",
                           {"containerPort", "protocol"})},
       {"envFrom", Atomic(Core("EnvFromSource"))},
       {"env", MergeList(Core("EnvVar"), "name")},
       {"resources", Core("ResourceRequirements")},
       {"resizePolicy",
        Atomic(Obj({{"resourceName", Str()}, {"restartPolicy", Str()}}))},
       {"restartPolicy", Str()},
       {"volumeMounts", MergeList(Core("VolumeMount"), "mountPath")},
       {"volumeDevices",
        MergeList(Obj({{"name", Str()}, {"devicePath", Str()}}), "devicePath")},
       {"livenessProbe", Core("Probe")},
       {"readinessProbe", Core("Probe")},
       {"startupProbe", Core("Probe")},
       {"lifecycle", Core("Lifecycle")},
       {"terminationMessagePath", Str()},
       {"terminationMessagePolicy", Str()},
       {"imagePullPolicy", Str()},
       {"securityContext", Core("SecurityContext")},
       {"stdin", Bool()},
       {"stdinOnce", Bool()},
       {"tty", Bool()}},
      {"name"});
  d[c + "Container"] = container;
  json key_to_path =
      Atomic(Obj({{"key", Str()}, {"path", Str()}, {"mode", Int32()}}));
  d[c + "Volume"] = Obj(
      {{"name", Str()},
       {"hostPath", Obj({{"path", Str()}, {"type", Str()}}, {"path"})},
       {"emptyDir", Obj({{"medium", Str()}, {"sizeLimit", Quantity()}})},
       {"secret", Obj({{"secretName", Str()},
                       {"items", key_to_path},
                       {"defaultMode", Int32()},
                       {"optional", Bool()}})},
       {"configMap", Obj({{"name", Str()},
                          {"items", key_to_path},
                          {"defaultMode", Int32()},
                          {"optional", Bool()}})},
       {"persistentVolumeClaim",
        Obj({{"claimName", Str()}, {"readOnly", Bool()}}, {"claimName"})},
       {"projected", Open("Projected volume sources.")},
       {"downwardAPI", Open("Downward API volume files.")},
       {"nfs", Obj({{"server", Str()}, {"path", Str()}, {"readOnly", Bool()}},
                   {"server", "path"})},
       {"csi", Open("A CSI volume.")},
       {"ephemeral", Open("An ephemeral volume.")},
       {"image", Obj({{"reference", Str()}, {"pullPolicy", Str()}})}},
      {"name"});
  d[c + "Toleration"] = Obj({{"key", Str()},
                             {"operator", Str()},
                             {"value", Str()},
                             {"effect", Str()},
                             {"tolerationSeconds", Int64()}});
  d[c + "PodSecurityContext"] =
      Obj({{"seLinuxOptions", Core("SELinuxOptions")},
           {"windowsOptions", Core("WindowsSecurityContextOptions")},
           {"runAsUser", Int64()},
           {"runAsGroup", Int64()},
           {"runAsNonRoot", Bool()},
           {"supplementalGroups", Atomic(Int64())},
           {"supplementalGroupsPolicy", Str()},
           {"fsGroup", Int64()},
           {"sysctls", Atomic(Obj({{"name", Str()}, {"value", Str()}}))},
           {"fsGroupChangePolicy", Str()},
           {"seccompProfile", Core("SeccompProfile")},
           {"appArmorProfile", Core("AppArmorProfile")},
           {"seLinuxChangePolicy", Str()}});
  json volumes = MergeList(Core("Volume"), "name");
  volumes["x-kubernetes-patch-strategy"] = "merge,retainKeys";
  json host_aliases =
      MergeList(Obj({{"ip", Str()}, {"hostnames", Atomic(Str())}}), "ip");
  d[c + "PodSpec"] = Described(
      Obj({{"volumes", volumes},
           {"initContainers", MergeList(Core("Container"), "name")},
           {"containers", MergeList(Core("Container"), "name")},
           {"ephemeralContainers",
            MergeList(Open("An ephemeral container."), "name")},
           {"restartPolicy", Str()},
           {"terminationGracePeriodSeconds", Int64()},
           {"activeDeadlineSeconds", Int64()},
           {"dnsPolicy", Str()},
           {"nodeSelector", StrMap()},
           {"serviceAccountName", Str()},
           {"serviceAccount", Str()},
           {"automountServiceAccountToken", Bool()},
           {"nodeName", Str()},
           {"hostNetwork", Bool()},
           {"hostPID", Bool()},
           {"hostIPC", Bool()},
           {"shareProcessNamespace", Bool()},
           {"securityContext", Core("PodSecurityContext")},
           {"imagePullSecrets", MergeList(Obj({{"name", Str()}}), "name")},
           {"hostname", Str()},
           {"subdomain", Str()},
           {"affinity", Open("Scheduling constraints.")},
           {"schedulerName", Str()},
           {"tolerations", Atomic(Core("Toleration"))},
           {"hostAliases", host_aliases},
           {"priorityClassName", Str()},
           {"priority", Int32()},
           {"dnsConfig", Obj({{"nameservers", Atomic(Str())},
                              {"searches", Atomic(Str())},
                              {"options", Atomic(Obj({{"name", Str()},
                                                      {"value", Str()}}))}})},
           {"readinessGates", Atomic(Obj({{"conditionType", Str()}}))},
           {"runtimeClassName", Str()},
           {"enableServiceLinks", Bool()},
           {"preemptionPolicy", Str()},
           {"overhead", MapOf(Quantity())},
           {"topologySpreadConstraints",
            MergeList(Open("A topology spread constraint."), "topologyKey",
                      {"topologyKey", "whenUnsatisfiable"})},
           {"setHostnameAsFQDN", Bool()},
           {"os", Obj({{"name", Str()}}, {"name"})},
           {"hostUsers", Bool()},
           {"schedulingGates", MergeList(Obj({{"name", Str()}}), "name")},
           {"resourceClaims", MergeList(Open("A resource claim."), "name")},
           {"resources", Core("ResourceRequirements")}},
          {"containers"}),
      "The specification of a pod: its containers, volumes and placement.");
  d[c + "PodTemplateSpec"] =
      Obj({{"metadata", Meta()}, {"spec", Core("PodSpec")}});
  json container_status =
      Obj({{"name", Str()},
           {"state", Open("The container's current state.")},
           {"lastState", Open("The container's last termination.")},
           {"ready", Bool()},
           {"restartCount", Int32()},
           {"image", Str()},
           {"imageID", Str()},
           {"containerID", Str()},
           {"started", Bool()},
           {"allocatedResources", MapOf(Quantity())},
           {"resources", Core("ResourceRequirements")},
           {"volumeMounts", Atomic(Open("A mounted volume."))},
           {"user", Open("The container's identity.")},
           {"allocatedResourcesStatus", Atomic(Open("A resource status."))},
           {"stopSignal", Str()}},
          {"name", "ready", "restartCount", "image", "imageID"});
  d[c + "ContainerStatus"] = container_status;
  json ip = Obj({{"ip", Str()}}, {"ip"});
  d[c + "PodStatus"] =
      Obj({{"observedGeneration", Int64()},
           {"phase", Str()},
           {"conditions", MergeList(Condition(), "type")},
           {"message", Str()},
           {"reason", Str()},
           {"nominatedNodeName", Str()},
           {"hostIP", Str()},
           {"hostIPs", MergeList(ip, "ip")},
           {"podIP", Str()},
           {"podIPs", MergeList(ip, "ip")},
           {"startTime", Time()},
           {"initContainerStatuses", Atomic(Core("ContainerStatus"))},
           {"containerStatuses", Atomic(Core("ContainerStatus"))},
           {"qosClass", Str()},
           {"ephemeralContainerStatuses", Atomic(Core("ContainerStatus"))},
           {"resize", Str()},
           {"resourceClaimStatuses",
            MergeList(Open("A resource claim status."), "name")}});
  d[c + "Pod"] = Kind(
      "", "v1", "Pod", "A group of containers scheduled together on a node.",
      {{"spec", Core("PodSpec")}, {"status", Core("PodStatus")}});
}

void AddCore(json& d) {
  const std::string c = kCore;
  d[c + "ServicePort"] = Obj({{"name", Str()},
                              {"protocol", Protocol()},
                              {"appProtocol", Str()},
                              {"port", Int32()},
                              {"targetPort", IntOrString()},
                              {"nodePort", Int32()}},
                             {"port"});
  d[c + "ServiceSpec"] = Described(
      Obj({{"ports",
            MergeList(Core("ServicePort"), "port", {"port", "protocol"})},
           {"selector", StrMap()},
           {"clusterIP", Str()},
           {"clusterIPs", Atomic(Str())},
           {"type", Described(Str(),
                              "ClusterIP, NodePort, LoadBalancer or "
                              "ExternalName.")},
           {"externalIPs", Atomic(Str())},
           {"sessionAffinity", Str()},
           {"loadBalancerIP", Str()},
           {"loadBalancerSourceRanges", Atomic(Str())},
           {"externalName", Str()},
           {"externalTrafficPolicy", Str()},
           {"healthCheckNodePort", Int32()},
           {"publishNotReadyAddresses", Bool()},
           {"sessionAffinityConfig",
            Obj({{"clientIP", Obj({{"timeoutSeconds", Int32()}})}})},
           {"ipFamilies", Atomic(Str())},
           {"ipFamilyPolicy", Str()},
           {"allocateLoadBalancerNodePorts", Bool()},
           {"loadBalancerClass", Str()},
           {"internalTrafficPolicy", Str()},
           {"trafficDistribution", Str()}}),
      "The behaviour of a Service: its ports, selector and type.");
  json port_status =
      Obj({{"port", Int32()}, {"protocol", Str()}, {"error", Str()}},
          {"port", "protocol"});
  d[c + "LoadBalancerIngress"] = Obj({{"ip", Str()},
                                      {"hostname", Str()},
                                      {"ipMode", Str()},
                                      {"ports", Atomic(port_status)}});
  d[c + "ServiceStatus"] =
      Obj({{"loadBalancer",
            Obj({{"ingress", Atomic(Core("LoadBalancerIngress"))}})},
           {"conditions", MergeList(Condition(), "type")}});
  d[c + "Service"] = Kind(
      "", "v1", "Service",
      "A named abstraction of software service: a local port that the proxy "
      "listens on, and the selector that picks the pods answering it.",
      {{"spec", Core("ServiceSpec")}, {"status", Core("ServiceStatus")}});

  d[c + "Namespace"] =
      Kind("", "v1", "Namespace", "A scope for names.",
           {{"spec", Obj({{"finalizers", Atomic(Str())}})},
            {"status", Obj({{"phase", Str()},
                            {"conditions", MergeList(Condition(), "type")}})}});
  d[c + "ComponentStatus"] =
      Kind("", "v1", "ComponentStatus",
           "The health of a control-plane component (deprecated in 1.19).",
           {{"conditions", MergeList(Obj({{"type", Str()},
                                          {"status", Str()},
                                          {"message", Str()},
                                          {"error", Str()}}),
                                     "type")}});
  d[c + "ConfigMap"] =
      Kind("", "v1", "ConfigMap", "Configuration data for pods to consume.",
           {{"immutable", Bool()},
            {"data", StrMap()},
            {"binaryData", MapOf(Bytes())}});
  d[c + "Secret"] =
      Kind("", "v1", "Secret", "Secret data, base64-encoded in `data`.",
           {{"immutable", Bool()},
            {"data", MapOf(Bytes())},
            {"stringData", StrMap()},
            {"type", Str()}});
  d[c + "ObjectReference"] = Obj({{"kind", Str()},
                                  {"namespace", Str()},
                                  {"name", Str()},
                                  {"uid", Str()},
                                  {"apiVersion", Str()},
                                  {"resourceVersion", Str()},
                                  {"fieldPath", Str()}});
  d[c + "ServiceAccount"] =
      Kind("", "v1", "ServiceAccount", "An identity for processes in pods.",
           {{"secrets", MergeList(Core("ObjectReference"), "name")},
            {"imagePullSecrets", Atomic(Obj({{"name", Str()}}))},
            {"automountServiceAccountToken", Bool()}});
  json address = Obj({{"ip", Str()},
                      {"hostname", Str()},
                      {"nodeName", Str()},
                      {"targetRef", Core("ObjectReference")}},
                     {"ip"});
  json endpoint_port = Obj({{"name", Str()},
                            {"port", Int32()},
                            {"protocol", Str()},
                            {"appProtocol", Str()}},
                           {"port"});
  d[c + "Endpoints"] =
      Kind("", "v1", "Endpoints", "The endpoints that implement a Service.",
           {{"subsets", Atomic(Obj({{"addresses", Atomic(address)},
                                    {"notReadyAddresses", Atomic(address)},
                                    {"ports", Atomic(endpoint_port)}}))}});
  d[c + "EventSource"] = Obj({{"component", Str()}, {"host", Str()}});
  d[c + "Event"] = Kind(
      "", "v1", "Event", "A report of an event somewhere in the cluster.",
      {{"involvedObject", Core("ObjectReference")},
       {"reason", Str()},
       {"message", Str()},
       {"source", Core("EventSource")},
       {"firstTimestamp", Time()},
       {"lastTimestamp", Time()},
       {"count", Int32()},
       {"type", Str()},
       {"eventTime", MicroTime()},
       {"series", Obj({{"count", Int32()}, {"lastObservedTime", MicroTime()}})},
       {"action", Str()},
       {"related", Core("ObjectReference")},
       {"reportingComponent", Str()},
       {"reportingInstance", Str()}});
  json taint = Obj({{"key", Str()},
                    {"value", Str()},
                    {"effect", Str()},
                    {"timeAdded", Time()}},
                   {"key", "effect"});
  json pod_cidrs = SetOf(Str());
  pod_cidrs["x-kubernetes-patch-strategy"] = "merge";
  json node_address =
      Obj({{"type", Str()}, {"address", Str()}}, {"type", "address"});
  json node_info = Obj({{"machineID", Str()},
                        {"systemUUID", Str()},
                        {"bootID", Str()},
                        {"kernelVersion", Str()},
                        {"osImage", Str()},
                        {"containerRuntimeVersion", Str()},
                        {"kubeletVersion", Str()},
                        {"kubeProxyVersion", Str()},
                        {"operatingSystem", Str()},
                        {"architecture", Str()},
                        {"swap", Open("Swap memory.")}});
  d[c + "Node"] = Kind(
      "", "v1", "Node", "A worker machine of the cluster.",
      {{"spec", Obj({{"podCIDR", Str()},
                     {"podCIDRs", pod_cidrs},
                     {"providerID", Str()},
                     {"unschedulable", Bool()},
                     {"taints", Atomic(taint)},
                     {"configSource", Open("A node configuration source.")},
                     {"externalID", Str()}})},
       {"status", Obj({{"capacity", MapOf(Quantity())},
                       {"allocatable", MapOf(Quantity())},
                       {"phase", Str()},
                       {"conditions", MergeList(Condition(), "type")},
                       {"addresses", MergeList(node_address, "type")},
                       {"daemonEndpoints",
                        Obj({{"kubeletEndpoint", Obj({{"Port", Int32()}})}})},
                       {"nodeInfo", node_info},
                       {"images", Atomic(Obj({{"names", Atomic(Str())},
                                              {"sizeBytes", Int64()}}))},
                       {"volumesInUse", Atomic(Str())},
                       {"volumesAttached", Atomic(Open("An attached volume."))},
                       {"config", Open("The node's configuration status.")},
                       {"runtimeHandlers", Atomic(Open("A runtime handler."))},
                       {"features", Open("The node's features.")}})}});
}

void AddApps(json& d) {
  const std::string a = kApps;
  json rolling = Obj({{"maxUnavailable", IntOrString()},
                      {"maxSurge", IntOrString()},
                      {"partition", Int32()}});
  json strategy = Obj({{"type", Str()}, {"rollingUpdate", rolling}});
  json deployment_strategy = strategy;
  deployment_strategy["x-kubernetes-patch-strategy"] = "retainKeys";
  json conditions = MergeList(Condition(), "type");
  d[a + "Deployment"] =
      Kind("apps", "v1", "Deployment",
           "Declarative updates for pods and ReplicaSets.",
           {{"spec", Obj({{"replicas", Int32()},
                          {"selector", Selector()},
                          {"template", Core("PodTemplateSpec")},
                          {"strategy", deployment_strategy},
                          {"minReadySeconds", Int32()},
                          {"revisionHistoryLimit", Int32()},
                          {"paused", Bool()},
                          {"progressDeadlineSeconds", Int32()}},
                         {"selector", "template"})},
            {"status", Obj({{"observedGeneration", Int64()},
                            {"replicas", Int32()},
                            {"updatedReplicas", Int32()},
                            {"readyReplicas", Int32()},
                            {"availableReplicas", Int32()},
                            {"unavailableReplicas", Int32()},
                            {"terminatingReplicas", Int32()},
                            {"conditions", conditions},
                            {"collisionCount", Int32()}})}});
  d[a + "DaemonSet"] =
      Kind("apps", "v1", "DaemonSet", "A pod on every eligible node.",
           {{"spec", Obj({{"selector", Selector()},
                          {"template", Core("PodTemplateSpec")},
                          {"updateStrategy", strategy},
                          {"minReadySeconds", Int32()},
                          {"revisionHistoryLimit", Int32()}},
                         {"selector", "template"})},
            {"status", Obj({{"currentNumberScheduled", Int32()},
                            {"numberMisscheduled", Int32()},
                            {"desiredNumberScheduled", Int32()},
                            {"numberReady", Int32()},
                            {"observedGeneration", Int64()},
                            {"updatedNumberScheduled", Int32()},
                            {"numberAvailable", Int32()},
                            {"numberUnavailable", Int32()},
                            {"collisionCount", Int32()},
                            {"conditions", conditions}})}});
  d[a + "ReplicaSet"] =
      Kind("apps", "v1", "ReplicaSet", "A set number of identical pods.",
           {{"spec", Obj({{"replicas", Int32()},
                          {"minReadySeconds", Int32()},
                          {"selector", Selector()},
                          {"template", Core("PodTemplateSpec")}},
                         {"selector"})},
            {"status", Obj({{"replicas", Int32()},
                            {"fullyLabeledReplicas", Int32()},
                            {"readyReplicas", Int32()},
                            {"availableReplicas", Int32()},
                            {"terminatingReplicas", Int32()},
                            {"observedGeneration", Int64()},
                            {"conditions", conditions}})}});
}

void AddOthers(json& d) {
  const std::string r = kRbac;
  json rule = Obj({{"verbs", Atomic(Str())},
                   {"apiGroups", Atomic(Str())},
                   {"resources", Atomic(Str())},
                   {"resourceNames", Atomic(Str())},
                   {"nonResourceURLs", Atomic(Str())}},
                  {"verbs"});
  json subject = Obj({{"kind", Str()},
                      {"apiGroup", Str()},
                      {"name", Str()},
                      {"namespace", Str()}},
                     {"kind", "name"});
  json role_ref = Obj({{"apiGroup", Str()}, {"kind", Str()}, {"name", Str()}},
                      {"apiGroup", "kind", "name"});
  const std::string g = "rbac.authorization.k8s.io";
  d[r + "Role"] = Kind(g, "v1", "Role", "Namespaced permissions.",
                       {{"rules", Atomic(rule)}});
  d[r + "ClusterRole"] =
      Kind(g, "v1", "ClusterRole", "Cluster-wide permissions.",
           {{"rules", Atomic(rule)},
            {"aggregationRule",
             Obj({{"clusterRoleSelectors", Atomic(Selector())}})}});
  d[r + "RoleBinding"] = Kind(
      g, "v1", "RoleBinding", "Grants a Role's permissions in a namespace.",
      {{"subjects", Atomic(subject)}, {"roleRef", role_ref}});
  d[r + "ClusterRoleBinding"] =
      Kind(g, "v1", "ClusterRoleBinding", "Grants a ClusterRole's permissions.",
           {{"subjects", Atomic(subject)}, {"roleRef", role_ref}});

  d["io.k8s.api.coordination.v1.Lease"] = Kind(
      "coordination.k8s.io", "v1", "Lease", "A lease on a shared resource.",
      {{"spec", Obj({{"holderIdentity", Str()},
                     {"leaseDurationSeconds", Int32()},
                     {"acquireTime", MicroTime()},
                     {"renewTime", MicroTime()},
                     {"leaseTransitions", Int32()},
                     {"strategy", Str()},
                     {"preferredHolder", Str()}})}});

  json hints = Obj({{"forZones", Atomic(Obj({{"name", Str()}}))},
                    {"forNodes", Atomic(Obj({{"name", Str()}}))}});
  json endpoint = Obj(
      {{"addresses", SetOf(Str())},
       {"conditions",
        Obj({{"ready", Bool()}, {"serving", Bool()}, {"terminating", Bool()}})},
       {"hostname", Str()},
       {"targetRef", Core("ObjectReference")},
       {"deprecatedTopology", StrMap()},
       {"nodeName", Str()},
       {"zone", Str()},
       {"hints", hints}},
      {"addresses"});
  d["io.k8s.api.discovery.v1.EndpointSlice"] =
      Kind("discovery.k8s.io", "v1", "EndpointSlice",
           "A subset of the endpoints that implement a Service.",
           {{"addressType", Str()},
            {"endpoints", Atomic(endpoint)},
            {"ports", Atomic(Obj({{"name", Str()},
                                  {"protocol", Str()},
                                  {"port", Int32()},
                                  {"appProtocol", Str()}}))}});

  d["io.k8s.api.events.v1.Event"] = Kind(
      "events.k8s.io", "v1", "Event",
      "A report of an event somewhere in the cluster.",
      {{"eventTime", MicroTime()},
       {"series", Obj({{"count", Int32()}, {"lastObservedTime", MicroTime()}})},
       {"reportingController", Str()},
       {"reportingInstance", Str()},
       {"action", Str()},
       {"reason", Str()},
       {"regarding", Core("ObjectReference")},
       {"related", Core("ObjectReference")},
       {"note", Str()},
       {"type", Str()},
       {"deprecatedSource", Core("EventSource")},
       {"deprecatedFirstTimestamp", Time()},
       {"deprecatedLastTimestamp", Time()},
       {"deprecatedCount", Int32()}});

  d["io.k8s.api.policy.v1.PodDisruptionBudget"] =
      Kind("policy", "v1", "PodDisruptionBudget",
           "The most disruption a collection of pods may take.",
           {{"spec", Obj({{"minAvailable", IntOrString()},
                          {"selector", Selector()},
                          {"maxUnavailable", IntOrString()},
                          {"unhealthyPodEvictionPolicy", Str()}})},
            {"status", Obj({{"observedGeneration", Int64()},
                            {"disruptedPods", MapOf(Time())},
                            {"disruptionsAllowed", Int32()},
                            {"currentHealthy", Int32()},
                            {"desiredHealthy", Int32()},
                            {"expectedPods", Int32()},
                            {"conditions", MergeList(Condition(), "type")}})}});

  const std::string x = kCrd;
  json props = Ref(x + "JSONSchemaProps");
  d[x + "JSONSchemaProps"] = Obj(
      {{"id", Str()},
       {"$schema", Str()},
       {"$ref", Str()},
       {"description", Str()},
       {"type", Str()},
       {"format", Str()},
       {"title", Str()},
       {"default", Any()},
       {"maximum", Num()},
       {"exclusiveMaximum", Bool()},
       {"minimum", Num()},
       {"exclusiveMinimum", Bool()},
       {"maxLength", Int64()},
       {"minLength", Int64()},
       {"pattern", Str()},
       {"maxItems", Int64()},
       {"minItems", Int64()},
       {"uniqueItems", Bool()},
       {"multipleOf", Num()},
       {"enum", Arr(Any())},
       {"maxProperties", Int64()},
       {"minProperties", Int64()},
       {"required", Arr(Str())},
       {"items", Any()},
       {"allOf", Arr(props)},
       {"oneOf", Arr(props)},
       {"anyOf", Arr(props)},
       {"not", props},
       {"properties", MapOf(props)},
       {"additionalProperties", Any()},
       {"patternProperties", MapOf(props)},
       {"dependencies", MapOf(Any())},
       {"additionalItems", Any()},
       {"definitions", MapOf(props)},
       {"externalDocs", Obj({{"description", Str()}, {"url", Str()}})},
       {"example", Any()},
       {"nullable", Bool()},
       {"x-kubernetes-preserve-unknown-fields", Bool()},
       {"x-kubernetes-embedded-resource", Bool()},
       {"x-kubernetes-int-or-string", Bool()},
       {"x-kubernetes-list-map-keys", Atomic(Str())},
       {"x-kubernetes-list-type", Str()},
       {"x-kubernetes-map-type", Str()},
       {"x-kubernetes-validations", MergeList(Obj({{"rule", Str()},
                                                   {"message", Str()},
                                                   {"messageExpression", Str()},
                                                   {"reason", Str()},
                                                   {"fieldPath", Str()},
                                                   {"optionalOldSelf", Bool()}},
                                                  {"rule"}),
                                              "rule")}});
  json names = Obj({{"plural", Str()},
                    {"singular", Str()},
                    {"shortNames", Atomic(Str())},
                    {"kind", Str()},
                    {"listKind", Str()},
                    {"categories", Atomic(Str())}},
                   {"plural", "kind"});
  json column = Obj({{"name", Str()},
                     {"type", Str()},
                     {"format", Str()},
                     {"description", Str()},
                     {"priority", Int32()},
                     {"jsonPath", Str()}},
                    {"name", "type", "jsonPath"});
  json version = Obj(
      {{"name", Str()},
       {"served", Bool()},
       {"storage", Bool()},
       {"deprecated", Bool()},
       {"deprecationWarning", Str()},
       {"schema", Obj({{"openAPIV3Schema", props}})},
       {"subresources", Obj({{"status", Obj({})},
                             {"scale", Obj({{"specReplicasPath", Str()},
                                            {"statusReplicasPath", Str()},
                                            {"labelSelectorPath", Str()}})}})},
       {"additionalPrinterColumns", Atomic(column)},
       {"selectableFields", Atomic(Obj({{"jsonPath", Str()}}))}},
      {"name", "served", "storage"});
  json service_ref = Obj({{"namespace", Str()},
                          {"name", Str()},
                          {"path", Str()},
                          {"port", Int32()}},
                         {"namespace", "name"});
  json conversion =
      Obj({{"strategy", Str()},
           {"webhook", Obj({{"clientConfig", Obj({{"url", Str()},
                                                  {"service", service_ref},
                                                  {"caBundle", Bytes()}})},
                            {"conversionReviewVersions", Atomic(Str())}})}},
          {"strategy"});
  d[x + "CustomResourceDefinition"] =
      Kind("apiextensions.k8s.io", "v1", "CustomResourceDefinition",
           "A resource kind added to the API.",
           {{"spec", Obj({{"group", Str()},
                          {"names", names},
                          {"scope", Str()},
                          {"versions", Atomic(version)},
                          {"conversion", conversion},
                          {"preserveUnknownFields", Bool()}},
                         {"group", "names", "scope", "versions"})},
            {"status", Obj({{"conditions", MergeList(Condition(), "type")},
                            {"acceptedNames", names},
                            {"storedVersions", Atomic(Str())}})}});
}

json Build() {
  json d = json::object();
  AddMeta(d);
  AddPod(d);
  AddCore(d);
  AddApps(d);
  AddOthers(d);
  return d;
}

}  // namespace

const json& BuiltinSchemas() {
  static const json* const kSchemas = new json(Build());
  return *kSchemas;
}

json CustomResourceSchema(const ResourceType& type) {
  json s = type.schema.is_object()
               ? type.schema
               : json{{"type", "object"},
                      {"x-kubernetes-preserve-unknown-fields", true}};
  s["properties"]["apiVersion"] = Str();
  s["properties"]["kind"] = Str();
  s["properties"]["metadata"] = Meta();
  return s;
}

std::string BuiltinSchemaName(const ResourceType& type) {
  if (!type.builtin) return "";
  std::string package;
  if (type.group.empty()) {
    package = kCore;
  } else if (type.group == "apps") {
    package = kApps;
  } else if (type.group == "rbac.authorization.k8s.io") {
    package = kRbac;
  } else if (type.group == "apiextensions.k8s.io") {
    package = kCrd;
  } else {
    // coordination.k8s.io -> io.k8s.api.coordination.v1.
    package =
        absl::StrCat("io.k8s.api.", type.group.substr(0, type.group.find('.')),
                     ".", type.version, ".");
  }
  std::string name = package + type.kind;
  return BuiltinSchemas().contains(name) ? name : "";
}

}  // namespace lb::k8s::testing
