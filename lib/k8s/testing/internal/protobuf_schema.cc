#include "lib/k8s/testing/internal/protobuf_schema.h"

#include <iterator>

namespace lb::k8s::testing::internal {
namespace {

// Field constructors, one per kind; `f` takes kRepeated, kPointer, kAlways.
constexpr Field Str(uint32_t n, const char* j, uint8_t f = 0) {
  return {n, j, FieldKind::kString, f, nullptr};
}
constexpr Field I32(uint32_t n, const char* j, uint8_t f = 0) {
  return {n, j, FieldKind::kInt32, f, nullptr};
}
constexpr Field I64(uint32_t n, const char* j, uint8_t f = 0) {
  return {n, j, FieldKind::kInt64, f, nullptr};
}
constexpr Field Bool(uint32_t n, const char* j, uint8_t f = 0) {
  return {n, j, FieldKind::kBool, f, nullptr};
}
constexpr Field Msg(uint32_t n, const char* j, const Message& m,
                    uint8_t f = 0) {
  return {n, j, FieldKind::kMessage, f, &m};
}
constexpr Field Inline(uint32_t n, const char* j, const Message& m) {
  return {n, j, FieldKind::kInline, 0, &m};
}
constexpr Field Time(uint32_t n, const char* j, uint8_t f = 0) {
  return {n, j, FieldKind::kTime, f, nullptr};
}
constexpr Field IntStr(uint32_t n, const char* j, uint8_t f = 0) {
  return {n, j, FieldKind::kIntOrString, f, nullptr};
}
constexpr Field Qty(uint32_t n, const char* j, uint8_t f = 0) {
  return {n, j, FieldKind::kQuantity, f, nullptr};
}
constexpr Field RawJson(uint32_t n, const char* j) {
  return {n, j, FieldKind::kRawJson, 0, nullptr};
}
constexpr Field StrMap(uint32_t n, const char* j) {
  return {n, j, FieldKind::kStringMap, 0, nullptr};
}
constexpr Field BytesMap(uint32_t n, const char* j) {
  return {n, j, FieldKind::kBytesMap, 0, nullptr};
}
constexpr Field QtyMap(uint32_t n, const char* j) {
  return {n, j, FieldKind::kQuantityMap, 0, nullptr};
}
constexpr Field StrListMap(uint32_t n, const char* j) {
  return {n, j, FieldKind::kStringListMap, 0, nullptr};
}

template <size_t N>
constexpr Message Def(const char* name, const Field (&fields)[N],
                      bool top_level = false) {
  return {name, fields, N, top_level};
}

constexpr uint8_t kRep = kRepeated;
constexpr uint8_t kPtr = kPointer;

#define LB_META "k8s.io.apimachinery.pkg.apis.meta.v1."
#define LB_CORE "k8s.io.api.core.v1."
#define LB_APPS "k8s.io.api.apps.v1."

// ---- k8s.io/apimachinery/pkg/apis/meta/v1 ----------------------------------

constexpr Field kOwnerReferenceF[] = {
    Str(5, "apiVersion", kAlways), Str(1, "kind", kAlways),
    Str(3, "name", kAlways),       Str(4, "uid", kAlways),
    Bool(6, "controller", kPtr),   Bool(7, "blockOwnerDeletion", kPtr),
};
constexpr Message kOwnerReference =
    Def(LB_META "OwnerReference", kOwnerReferenceF);

constexpr Field kManagedFieldsEntryF[] = {
    Str(1, "manager"),     Str(2, "operation"),  Str(3, "apiVersion"),
    Time(4, "time", kPtr), Str(6, "fieldsType"), RawJson(7, "fieldsV1"),
    Str(8, "subresource"),
};
constexpr Message kManagedFieldsEntry =
    Def(LB_META "ManagedFieldsEntry", kManagedFieldsEntryF);

constexpr Field kObjectMetaF[] = {
    Str(1, "name"),
    Str(2, "generateName"),
    Str(3, "namespace"),
    Str(4, "selfLink"),
    Str(5, "uid"),
    Str(6, "resourceVersion"),
    I64(7, "generation"),
    Time(8, "creationTimestamp"),
    Time(9, "deletionTimestamp", kPtr),
    I64(10, "deletionGracePeriodSeconds", kPtr),
    StrMap(11, "labels"),
    StrMap(12, "annotations"),
    Msg(13, "ownerReferences", kOwnerReference, kRep),
    Str(14, "finalizers", kRep),
    Msg(17, "managedFields", kManagedFieldsEntry, kRep),
};
constexpr Message kObjectMeta = Def(LB_META "ObjectMeta", kObjectMetaF);

constexpr Field kListMetaF[] = {
    Str(1, "selfLink"),
    Str(2, "resourceVersion"),
    Str(3, "continue"),
    I64(4, "remainingItemCount", kPtr),
};
constexpr Message kListMeta = Def(LB_META "ListMeta", kListMetaF);

constexpr Field kLabelSelectorRequirementF[] = {
    Str(1, "key", kAlways),
    Str(2, "operator", kAlways),
    Str(3, "values", kRep),
};
constexpr Message kLabelSelectorRequirement =
    Def(LB_META "LabelSelectorRequirement", kLabelSelectorRequirementF);

constexpr Field kLabelSelectorF[] = {
    StrMap(1, "matchLabels"),
    Msg(2, "matchExpressions", kLabelSelectorRequirement, kRep),
};
constexpr Message kLabelSelector =
    Def(LB_META "LabelSelector", kLabelSelectorF);

constexpr Field kConditionF[] = {
    Str(1, "type", kAlways),      Str(2, "status", kAlways),
    I64(3, "observedGeneration"), Time(4, "lastTransitionTime"),
    Str(5, "reason", kAlways),    Str(6, "message", kAlways),
};
constexpr Message kCondition = Def(LB_META "Condition", kConditionF);

constexpr Field kStatusCauseF[] = {
    Str(1, "reason"),
    Str(2, "message"),
    Str(3, "field"),
};
constexpr Message kStatusCause = Def(LB_META "StatusCause", kStatusCauseF);

constexpr Field kStatusDetailsF[] = {
    Str(1, "name"),
    Str(2, "group"),
    Str(3, "kind"),
    Str(6, "uid"),
    Msg(4, "causes", kStatusCause, kRep),
    I32(5, "retryAfterSeconds"),
};
constexpr Message kStatusDetails =
    Def(LB_META "StatusDetails", kStatusDetailsF);

constexpr Field kStatusF[] = {
    Msg(1, "metadata", kListMeta),
    Str(2, "status"),
    Str(3, "message"),
    Str(4, "reason"),
    Msg(5, "details", kStatusDetails, kPtr),
    I32(6, "code"),
};
constexpr Message kStatus = Def(LB_META "Status", kStatusF, true);

constexpr Field kPreconditionsF[] = {
    Str(1, "uid", kPtr),
    Str(2, "resourceVersion", kPtr),
};
constexpr Message kPreconditions =
    Def(LB_META "Preconditions", kPreconditionsF);

// ignoreStoreReadErrorWithClusterBreakingPotential (6) is not modelled.
constexpr Field kDeleteOptionsF[] = {
    I64(1, "gracePeriodSeconds", kPtr),
    Msg(2, "preconditions", kPreconditions, kPtr),
    Bool(3, "orphanDependents", kPtr),
    Str(4, "propagationPolicy", kPtr),
    Str(5, "dryRun", kRep),
};
constexpr Message kDeleteOptions =
    Def(LB_META "DeleteOptions", kDeleteOptionsF, true);

// ---- k8s.io/api/core/v1: ConfigMap, Secret, Namespace -----------------------

constexpr Field kConfigMapF[] = {
    Msg(1, "metadata", kObjectMeta),
    Bool(4, "immutable", kPtr),
    StrMap(2, "data"),
    BytesMap(3, "binaryData"),
};
constexpr Message kConfigMap = Def(LB_CORE "ConfigMap", kConfigMapF, true);

constexpr Field kSecretF[] = {
    Msg(1, "metadata", kObjectMeta),
    Bool(5, "immutable", kPtr),
    BytesMap(2, "data"),
    StrMap(4, "stringData"),
    Str(3, "type"),
};
constexpr Message kSecret = Def(LB_CORE "Secret", kSecretF, true);

constexpr Field kNamespaceSpecF[] = {
    Str(1, "finalizers", kRep),
};
constexpr Message kNamespaceSpec =
    Def(LB_CORE "NamespaceSpec", kNamespaceSpecF);

constexpr Field kNamespaceConditionF[] = {
    Str(1, "type", kAlways),
    Str(2, "status", kAlways),
    Time(4, "lastTransitionTime"),
    Str(5, "reason"),
    Str(6, "message"),
};
constexpr Message kNamespaceCondition =
    Def(LB_CORE "NamespaceCondition", kNamespaceConditionF);

constexpr Field kNamespaceStatusF[] = {
    Str(1, "phase"),
    Msg(2, "conditions", kNamespaceCondition, kRep),
};
constexpr Message kNamespaceStatus =
    Def(LB_CORE "NamespaceStatus", kNamespaceStatusF);

constexpr Field kNamespaceF[] = {
    Msg(1, "metadata", kObjectMeta),
    Msg(2, "spec", kNamespaceSpec),
    Msg(3, "status", kNamespaceStatus),
};
constexpr Message kNamespace = Def(LB_CORE "Namespace", kNamespaceF, true);

// ---- k8s.io/api/core/v1: Service --------------------------------------------

constexpr Field kServicePortF[] = {
    Str(1, "name"),
    Str(2, "protocol"),
    Str(6, "appProtocol", kPtr),
    I32(3, "port", kAlways),
    IntStr(4, "targetPort"),
    I32(5, "nodePort"),
};
constexpr Message kServicePort = Def(LB_CORE "ServicePort", kServicePortF);

constexpr Field kClientIPConfigF[] = {
    I32(1, "timeoutSeconds", kPtr),
};
constexpr Message kClientIPConfig =
    Def(LB_CORE "ClientIPConfig", kClientIPConfigF);

constexpr Field kSessionAffinityConfigF[] = {
    Msg(1, "clientIP", kClientIPConfig, kPtr),
};
constexpr Message kSessionAffinityConfig =
    Def(LB_CORE "SessionAffinityConfig", kSessionAffinityConfigF);

constexpr Field kServiceSpecF[] = {
    Msg(1, "ports", kServicePort, kRep),
    StrMap(2, "selector"),
    Str(3, "clusterIP"),
    Str(18, "clusterIPs", kRep),
    Str(4, "type"),
    Str(5, "externalIPs", kRep),
    Str(7, "sessionAffinity"),
    Str(8, "loadBalancerIP"),
    Str(9, "loadBalancerSourceRanges", kRep),
    Str(10, "externalName"),
    Str(11, "externalTrafficPolicy"),
    I32(12, "healthCheckNodePort"),
    Bool(13, "publishNotReadyAddresses"),
    Msg(14, "sessionAffinityConfig", kSessionAffinityConfig, kPtr),
    Str(19, "ipFamilies", kRep),
    Str(17, "ipFamilyPolicy", kPtr),
    Bool(20, "allocateLoadBalancerNodePorts", kPtr),
    Str(21, "loadBalancerClass", kPtr),
    Str(22, "internalTrafficPolicy", kPtr),
    Str(23, "trafficDistribution", kPtr),
};
constexpr Message kServiceSpec = Def(LB_CORE "ServiceSpec", kServiceSpecF);

constexpr Field kPortStatusF[] = {
    I32(1, "port", kAlways),
    Str(2, "protocol", kAlways),
    Str(3, "error", kPtr),
};
constexpr Message kPortStatus = Def(LB_CORE "PortStatus", kPortStatusF);

constexpr Field kLoadBalancerIngressF[] = {
    Str(1, "ip"),
    Str(2, "hostname"),
    Str(3, "ipMode", kPtr),
    Msg(4, "ports", kPortStatus, kRep),
};
constexpr Message kLoadBalancerIngress =
    Def(LB_CORE "LoadBalancerIngress", kLoadBalancerIngressF);

constexpr Field kLoadBalancerStatusF[] = {
    Msg(1, "ingress", kLoadBalancerIngress, kRep),
};
constexpr Message kLoadBalancerStatus =
    Def(LB_CORE "LoadBalancerStatus", kLoadBalancerStatusF);

constexpr Field kServiceStatusF[] = {
    Msg(1, "loadBalancer", kLoadBalancerStatus),
    Msg(2, "conditions", kCondition, kRep),
};
constexpr Message kServiceStatus =
    Def(LB_CORE "ServiceStatus", kServiceStatusF);

constexpr Field kServiceF[] = {
    Msg(1, "metadata", kObjectMeta),
    Msg(2, "spec", kServiceSpec),
    Msg(3, "status", kServiceStatus),
};
constexpr Message kService = Def(LB_CORE "Service", kServiceF, true);

// ---- k8s.io/api/core/v1: the pod template -----------------------------------

constexpr Field kLocalObjectReferenceF[] = {
    Str(1, "name"),
};
constexpr Message kLocalObjectReference =
    Def(LB_CORE "LocalObjectReference", kLocalObjectReferenceF);

constexpr Field kKeyToPathF[] = {
    Str(1, "key", kAlways),
    Str(2, "path", kAlways),
    I32(3, "mode", kPtr),
};
constexpr Message kKeyToPath = Def(LB_CORE "KeyToPath", kKeyToPathF);

constexpr Field kHostPathVolumeSourceF[] = {
    Str(1, "path", kAlways),
    Str(2, "type", kPtr),
};
constexpr Message kHostPathVolumeSource =
    Def(LB_CORE "HostPathVolumeSource", kHostPathVolumeSourceF);

constexpr Field kEmptyDirVolumeSourceF[] = {
    Str(1, "medium"),
    Qty(2, "sizeLimit", kPtr),
};
constexpr Message kEmptyDirVolumeSource =
    Def(LB_CORE "EmptyDirVolumeSource", kEmptyDirVolumeSourceF);

constexpr Field kSecretVolumeSourceF[] = {
    Str(1, "secretName"),
    Msg(2, "items", kKeyToPath, kRep),
    I32(3, "defaultMode", kPtr),
    Bool(4, "optional", kPtr),
};
constexpr Message kSecretVolumeSource =
    Def(LB_CORE "SecretVolumeSource", kSecretVolumeSourceF);

constexpr Field kConfigMapVolumeSourceF[] = {
    Inline(1, "localObjectReference", kLocalObjectReference),
    Msg(2, "items", kKeyToPath, kRep),
    I32(3, "defaultMode", kPtr),
    Bool(4, "optional", kPtr),
};
constexpr Message kConfigMapVolumeSource =
    Def(LB_CORE "ConfigMapVolumeSource", kConfigMapVolumeSourceF);

// Of VolumeSource's 30 sources, hostPath, emptyDir, secret and configMap.
constexpr Field kVolumeSourceF[] = {
    Msg(1, "hostPath", kHostPathVolumeSource, kPtr),
    Msg(2, "emptyDir", kEmptyDirVolumeSource, kPtr),
    Msg(6, "secret", kSecretVolumeSource, kPtr),
    Msg(19, "configMap", kConfigMapVolumeSource, kPtr),
};
constexpr Message kVolumeSource = Def(LB_CORE "VolumeSource", kVolumeSourceF);

constexpr Field kVolumeF[] = {
    Str(1, "name", kAlways),
    Inline(2, "volumeSource", kVolumeSource),
};
constexpr Message kVolume = Def(LB_CORE "Volume", kVolumeF);

constexpr Field kContainerPortF[] = {
    Str(1, "name"),     I32(2, "hostPort"), I32(3, "containerPort", kAlways),
    Str(4, "protocol"), Str(5, "hostIP"),
};
constexpr Message kContainerPort =
    Def(LB_CORE "ContainerPort", kContainerPortF);

constexpr Field kConfigMapEnvSourceF[] = {
    Inline(1, "localObjectReference", kLocalObjectReference),
    Bool(2, "optional", kPtr),
};
constexpr Message kConfigMapEnvSource =
    Def(LB_CORE "ConfigMapEnvSource", kConfigMapEnvSourceF);

constexpr Field kSecretEnvSourceF[] = {
    Inline(1, "localObjectReference", kLocalObjectReference),
    Bool(2, "optional", kPtr),
};
constexpr Message kSecretEnvSource =
    Def(LB_CORE "SecretEnvSource", kSecretEnvSourceF);

constexpr Field kEnvFromSourceF[] = {
    Str(1, "prefix"),
    Msg(2, "configMapRef", kConfigMapEnvSource, kPtr),
    Msg(3, "secretRef", kSecretEnvSource, kPtr),
};
constexpr Message kEnvFromSource =
    Def(LB_CORE "EnvFromSource", kEnvFromSourceF);

constexpr Field kObjectFieldSelectorF[] = {
    Str(1, "apiVersion"),
    Str(2, "fieldPath", kAlways),
};
constexpr Message kObjectFieldSelector =
    Def(LB_CORE "ObjectFieldSelector", kObjectFieldSelectorF);

constexpr Field kResourceFieldSelectorF[] = {
    Str(1, "containerName"),
    Str(2, "resource", kAlways),
    Qty(3, "divisor"),
};
constexpr Message kResourceFieldSelector =
    Def(LB_CORE "ResourceFieldSelector", kResourceFieldSelectorF);

constexpr Field kConfigMapKeySelectorF[] = {
    Inline(1, "localObjectReference", kLocalObjectReference),
    Str(2, "key", kAlways),
    Bool(3, "optional", kPtr),
};
constexpr Message kConfigMapKeySelector =
    Def(LB_CORE "ConfigMapKeySelector", kConfigMapKeySelectorF);

constexpr Field kSecretKeySelectorF[] = {
    Inline(1, "localObjectReference", kLocalObjectReference),
    Str(2, "key", kAlways),
    Bool(3, "optional", kPtr),
};
constexpr Message kSecretKeySelector =
    Def(LB_CORE "SecretKeySelector", kSecretKeySelectorF);

// fileKeyRef (5) is not modelled.
constexpr Field kEnvVarSourceF[] = {
    Msg(1, "fieldRef", kObjectFieldSelector, kPtr),
    Msg(2, "resourceFieldRef", kResourceFieldSelector, kPtr),
    Msg(3, "configMapKeyRef", kConfigMapKeySelector, kPtr),
    Msg(4, "secretKeyRef", kSecretKeySelector, kPtr),
};
constexpr Message kEnvVarSource = Def(LB_CORE "EnvVarSource", kEnvVarSourceF);

constexpr Field kEnvVarF[] = {
    Str(1, "name", kAlways),
    Str(2, "value"),
    Msg(3, "valueFrom", kEnvVarSource, kPtr),
};
constexpr Message kEnvVar = Def(LB_CORE "EnvVar", kEnvVarF);

constexpr Field kResourceClaimF[] = {
    Str(1, "name", kAlways),
    Str(2, "request"),
};
constexpr Message kResourceClaim =
    Def(LB_CORE "ResourceClaim", kResourceClaimF);

constexpr Field kResourceRequirementsF[] = {
    QtyMap(1, "limits"),
    QtyMap(2, "requests"),
    Msg(3, "claims", kResourceClaim, kRep),
};
constexpr Message kResourceRequirements =
    Def(LB_CORE "ResourceRequirements", kResourceRequirementsF);

constexpr Field kVolumeMountF[] = {
    Str(1, "name", kAlways),
    Bool(2, "readOnly"),
    Str(7, "recursiveReadOnly", kPtr),
    Str(3, "mountPath", kAlways),
    Str(4, "subPath"),
    Str(5, "mountPropagation", kPtr),
    Str(6, "subPathExpr"),
};
constexpr Message kVolumeMount = Def(LB_CORE "VolumeMount", kVolumeMountF);

constexpr Field kVolumeDeviceF[] = {
    Str(1, "name", kAlways),
    Str(2, "devicePath", kAlways),
};
constexpr Message kVolumeDevice = Def(LB_CORE "VolumeDevice", kVolumeDeviceF);

constexpr Field kExecActionF[] = {
    Str(1, "command", kRep),
};
constexpr Message kExecAction = Def(LB_CORE "ExecAction", kExecActionF);

constexpr Field kHTTPHeaderF[] = {
    Str(1, "name", kAlways),
    Str(2, "value", kAlways),
};
constexpr Message kHTTPHeader = Def(LB_CORE "HTTPHeader", kHTTPHeaderF);

constexpr Field kHTTPGetActionF[] = {
    Str(1, "path"),
    IntStr(2, "port", kAlways),
    Str(3, "host"),
    Str(4, "scheme"),
    Msg(5, "httpHeaders", kHTTPHeader, kRep),
};
constexpr Message kHTTPGetAction =
    Def(LB_CORE "HTTPGetAction", kHTTPGetActionF);

constexpr Field kTCPSocketActionF[] = {
    IntStr(1, "port", kAlways),
    Str(2, "host"),
};
constexpr Message kTCPSocketAction =
    Def(LB_CORE "TCPSocketAction", kTCPSocketActionF);

constexpr Field kGRPCActionF[] = {
    I32(1, "port", kAlways),
    Str(2, "service", kPtr),
};
constexpr Message kGRPCAction = Def(LB_CORE "GRPCAction", kGRPCActionF);

constexpr Field kSleepActionF[] = {
    I64(1, "seconds", kAlways),
};
constexpr Message kSleepAction = Def(LB_CORE "SleepAction", kSleepActionF);

constexpr Field kProbeHandlerF[] = {
    Msg(1, "exec", kExecAction, kPtr),
    Msg(2, "httpGet", kHTTPGetAction, kPtr),
    Msg(3, "tcpSocket", kTCPSocketAction, kPtr),
    Msg(4, "grpc", kGRPCAction, kPtr),
};
constexpr Message kProbeHandler = Def(LB_CORE "ProbeHandler", kProbeHandlerF);

constexpr Field kProbeF[] = {
    Inline(1, "handler", kProbeHandler),
    I32(2, "initialDelaySeconds"),
    I32(3, "timeoutSeconds"),
    I32(4, "periodSeconds"),
    I32(5, "successThreshold"),
    I32(6, "failureThreshold"),
    I64(7, "terminationGracePeriodSeconds", kPtr),
};
constexpr Message kProbe = Def(LB_CORE "Probe", kProbeF);

constexpr Field kLifecycleHandlerF[] = {
    Msg(1, "exec", kExecAction, kPtr),
    Msg(2, "httpGet", kHTTPGetAction, kPtr),
    Msg(3, "tcpSocket", kTCPSocketAction, kPtr),
    Msg(4, "sleep", kSleepAction, kPtr),
};
constexpr Message kLifecycleHandler =
    Def(LB_CORE "LifecycleHandler", kLifecycleHandlerF);

constexpr Field kLifecycleF[] = {
    Msg(1, "postStart", kLifecycleHandler, kPtr),
    Msg(2, "preStop", kLifecycleHandler, kPtr),
    Str(3, "stopSignal", kPtr),
};
constexpr Message kLifecycle = Def(LB_CORE "Lifecycle", kLifecycleF);

constexpr Field kCapabilitiesF[] = {
    Str(1, "add", kRep),
    Str(2, "drop", kRep),
};
constexpr Message kCapabilities = Def(LB_CORE "Capabilities", kCapabilitiesF);

constexpr Field kSELinuxOptionsF[] = {
    Str(1, "user"),
    Str(2, "role"),
    Str(3, "type"),
    Str(4, "level"),
};
constexpr Message kSELinuxOptions =
    Def(LB_CORE "SELinuxOptions", kSELinuxOptionsF);

constexpr Field kSeccompProfileF[] = {
    Str(1, "type", kAlways),
    Str(2, "localhostProfile", kPtr),
};
constexpr Message kSeccompProfile =
    Def(LB_CORE "SeccompProfile", kSeccompProfileF);

constexpr Field kAppArmorProfileF[] = {
    Str(1, "type", kAlways),
    Str(2, "localhostProfile", kPtr),
};
constexpr Message kAppArmorProfile =
    Def(LB_CORE "AppArmorProfile", kAppArmorProfileF);

// windowsOptions (10) and ulimits (13) are not modelled.
constexpr Field kSecurityContextF[] = {
    Msg(1, "capabilities", kCapabilities, kPtr),
    Bool(2, "privileged", kPtr),
    Msg(3, "seLinuxOptions", kSELinuxOptions, kPtr),
    I64(4, "runAsUser", kPtr),
    I64(8, "runAsGroup", kPtr),
    Bool(5, "runAsNonRoot", kPtr),
    Bool(6, "readOnlyRootFilesystem", kPtr),
    Bool(7, "allowPrivilegeEscalation", kPtr),
    Str(9, "procMount", kPtr),
    Msg(11, "seccompProfile", kSeccompProfile, kPtr),
    Msg(12, "appArmorProfile", kAppArmorProfile, kPtr),
};
constexpr Message kSecurityContext =
    Def(LB_CORE "SecurityContext", kSecurityContextF);

constexpr Field kSysctlF[] = {
    Str(1, "name", kAlways),
    Str(2, "value", kAlways),
};
constexpr Message kSysctl = Def(LB_CORE "Sysctl", kSysctlF);

// windowsOptions (8) is not modelled.
constexpr Field kPodSecurityContextF[] = {
    Msg(1, "seLinuxOptions", kSELinuxOptions, kPtr),
    I64(2, "runAsUser", kPtr),
    I64(6, "runAsGroup", kPtr),
    Bool(3, "runAsNonRoot", kPtr),
    I64(4, "supplementalGroups", kRep),
    Str(12, "supplementalGroupsPolicy", kPtr),
    I64(5, "fsGroup", kPtr),
    Msg(7, "sysctls", kSysctl, kRep),
    Str(9, "fsGroupChangePolicy", kPtr),
    Msg(10, "seccompProfile", kSeccompProfile, kPtr),
    Msg(11, "appArmorProfile", kAppArmorProfile, kPtr),
    Str(13, "seLinuxChangePolicy", kPtr),
};
constexpr Message kPodSecurityContext =
    Def(LB_CORE "PodSecurityContext", kPodSecurityContextF);

constexpr Field kContainerResizePolicyF[] = {
    Str(1, "resourceName", kAlways),
    Str(2, "restartPolicy", kAlways),
};
constexpr Message kContainerResizePolicy =
    Def(LB_CORE "ContainerResizePolicy", kContainerResizePolicyF);

// restartPolicyRules (25) is not modelled.
constexpr Field kContainerF[] = {
    Str(1, "name", kAlways),
    Str(2, "image"),
    Str(3, "command", kRep),
    Str(4, "args", kRep),
    Str(5, "workingDir"),
    Msg(6, "ports", kContainerPort, kRep),
    Msg(19, "envFrom", kEnvFromSource, kRep),
    Msg(7, "env", kEnvVar, kRep),
    Msg(8, "resources", kResourceRequirements),
    Msg(23, "resizePolicy", kContainerResizePolicy, kRep),
    Str(24, "restartPolicy", kPtr),
    Msg(9, "volumeMounts", kVolumeMount, kRep),
    Msg(21, "volumeDevices", kVolumeDevice, kRep),
    Msg(10, "livenessProbe", kProbe, kPtr),
    Msg(11, "readinessProbe", kProbe, kPtr),
    Msg(22, "startupProbe", kProbe, kPtr),
    Msg(12, "lifecycle", kLifecycle, kPtr),
    Str(13, "terminationMessagePath"),
    Str(20, "terminationMessagePolicy"),
    Str(14, "imagePullPolicy"),
    Msg(15, "securityContext", kSecurityContext, kPtr),
    Bool(16, "stdin"),
    Bool(17, "stdinOnce"),
    Bool(18, "tty"),
};
constexpr Message kContainer = Def(LB_CORE "Container", kContainerF);

constexpr Field kTolerationF[] = {
    Str(1, "key"),
    Str(2, "operator"),
    Str(3, "value"),
    Str(4, "effect"),
    I64(5, "tolerationSeconds", kPtr),
};
constexpr Message kToleration = Def(LB_CORE "Toleration", kTolerationF);

constexpr Field kPodReadinessGateF[] = {
    Str(1, "conditionType", kAlways),
};
constexpr Message kPodReadinessGate =
    Def(LB_CORE "PodReadinessGate", kPodReadinessGateF);

constexpr Field kPodOSF[] = {
    Str(1, "name", kAlways),
};
constexpr Message kPodOS = Def(LB_CORE "PodOS", kPodOSF);

constexpr Field kPodSchedulingGateF[] = {
    Str(1, "name", kAlways),
};
constexpr Message kPodSchedulingGate =
    Def(LB_CORE "PodSchedulingGate", kPodSchedulingGateF);

// Not modelled: affinity (18), hostAliases (23), dnsConfig (26),
// topologySpreadConstraints (33), ephemeralContainers (34), resourceClaims
// (39), hostnameOverride (41), workloadRef (42).
constexpr Field kPodSpecF[] = {
    Msg(1, "volumes", kVolume, kRep),
    Msg(20, "initContainers", kContainer, kRep),
    Msg(2, "containers", kContainer, kRep),
    Str(3, "restartPolicy"),
    I64(4, "terminationGracePeriodSeconds", kPtr),
    I64(5, "activeDeadlineSeconds", kPtr),
    Str(6, "dnsPolicy"),
    StrMap(7, "nodeSelector"),
    Str(8, "serviceAccountName"),
    Str(9, "serviceAccount"),
    Bool(21, "automountServiceAccountToken", kPtr),
    Str(10, "nodeName"),
    Bool(11, "hostNetwork"),
    Bool(12, "hostPID"),
    Bool(13, "hostIPC"),
    Bool(27, "shareProcessNamespace", kPtr),
    Msg(14, "securityContext", kPodSecurityContext, kPtr),
    Msg(15, "imagePullSecrets", kLocalObjectReference, kRep),
    Str(16, "hostname"),
    Str(17, "subdomain"),
    Str(19, "schedulerName"),
    Msg(22, "tolerations", kToleration, kRep),
    Str(24, "priorityClassName"),
    I32(25, "priority", kPtr),
    Msg(28, "readinessGates", kPodReadinessGate, kRep),
    Str(29, "runtimeClassName", kPtr),
    Bool(30, "enableServiceLinks", kPtr),
    Str(31, "preemptionPolicy", kPtr),
    QtyMap(32, "overhead"),
    Bool(35, "setHostnameAsFQDN", kPtr),
    Msg(36, "os", kPodOS, kPtr),
    Bool(37, "hostUsers", kPtr),
    Msg(38, "schedulingGates", kPodSchedulingGate, kRep),
    Msg(40, "resources", kResourceRequirements, kPtr),
};
constexpr Message kPodSpec = Def(LB_CORE "PodSpec", kPodSpecF);

constexpr Field kPodTemplateSpecF[] = {
    Msg(1, "metadata", kObjectMeta),
    Msg(2, "spec", kPodSpec),
};
constexpr Message kPodTemplateSpec =
    Def(LB_CORE "PodTemplateSpec", kPodTemplateSpecF);

// ---- k8s.io/api/apps/v1: Deployment -----------------------------------------

constexpr Field kRollingUpdateDeploymentF[] = {
    IntStr(1, "maxUnavailable", kPtr),
    IntStr(2, "maxSurge", kPtr),
};
constexpr Message kRollingUpdateDeployment =
    Def(LB_APPS "RollingUpdateDeployment", kRollingUpdateDeploymentF);

constexpr Field kDeploymentStrategyF[] = {
    Str(1, "type"),
    Msg(2, "rollingUpdate", kRollingUpdateDeployment, kPtr),
};
constexpr Message kDeploymentStrategy =
    Def(LB_APPS "DeploymentStrategy", kDeploymentStrategyF);

constexpr Field kDeploymentSpecF[] = {
    I32(1, "replicas", kPtr),
    Msg(2, "selector", kLabelSelector, kPtr),
    Msg(3, "template", kPodTemplateSpec),
    Msg(4, "strategy", kDeploymentStrategy),
    I32(5, "minReadySeconds"),
    I32(6, "revisionHistoryLimit", kPtr),
    Bool(7, "paused"),
    I32(9, "progressDeadlineSeconds", kPtr),
    Str(10, "podReplacementPolicy", kPtr),
};
constexpr Message kDeploymentSpec =
    Def(LB_APPS "DeploymentSpec", kDeploymentSpecF);

constexpr Field kDeploymentConditionF[] = {
    Str(1, "type", kAlways),   Str(2, "status", kAlways),
    Time(6, "lastUpdateTime"), Time(7, "lastTransitionTime"),
    Str(4, "reason"),          Str(5, "message"),
};
constexpr Message kDeploymentCondition =
    Def(LB_APPS "DeploymentCondition", kDeploymentConditionF);

constexpr Field kDeploymentStatusF[] = {
    I64(1, "observedGeneration"),
    I32(2, "replicas"),
    I32(3, "updatedReplicas"),
    I32(7, "readyReplicas"),
    I32(4, "availableReplicas"),
    I32(5, "unavailableReplicas"),
    I32(9, "terminatingReplicas", kPtr),
    Msg(6, "conditions", kDeploymentCondition, kRep),
    I32(8, "collisionCount", kPtr),
};
constexpr Message kDeploymentStatus =
    Def(LB_APPS "DeploymentStatus", kDeploymentStatusF);

constexpr Field kDeploymentF[] = {
    Msg(1, "metadata", kObjectMeta),
    Msg(2, "spec", kDeploymentSpec),
    Msg(3, "status", kDeploymentStatus),
};
constexpr Message kDeployment = Def(LB_APPS "Deployment", kDeploymentF, true);

// ---- Lists: {metadata = 1 (ListMeta), items = 2} ----------------------------

constexpr Field kConfigMapListF[] = {Msg(1, "metadata", kListMeta),
                                     Msg(2, "items", kConfigMap, kRep)};
constexpr Message kConfigMapList =
    Def(LB_CORE "ConfigMapList", kConfigMapListF, true);
constexpr Field kSecretListF[] = {Msg(1, "metadata", kListMeta),
                                  Msg(2, "items", kSecret, kRep)};
constexpr Message kSecretList = Def(LB_CORE "SecretList", kSecretListF, true);
constexpr Field kNamespaceListF[] = {Msg(1, "metadata", kListMeta),
                                     Msg(2, "items", kNamespace, kRep)};
constexpr Message kNamespaceList =
    Def(LB_CORE "NamespaceList", kNamespaceListF, true);
constexpr Field kServiceListF[] = {Msg(1, "metadata", kListMeta),
                                   Msg(2, "items", kService, kRep)};
constexpr Message kServiceList =
    Def(LB_CORE "ServiceList", kServiceListF, true);
constexpr Field kDeploymentListF[] = {Msg(1, "metadata", kListMeta),
                                      Msg(2, "items", kDeployment, kRep)};
constexpr Message kDeploymentList =
    Def(LB_APPS "DeploymentList", kDeploymentListF, true);

// ---- k8s.io/api/core/v1: ServiceAccount -------------------------------------

constexpr Field kObjectReferenceF[] = {
    Str(1, "kind"),      Str(2, "namespace"),  Str(3, "name"),
    Str(4, "uid"),       Str(5, "apiVersion"), Str(6, "resourceVersion"),
    Str(7, "fieldPath"),
};
constexpr Message kObjectReference =
    Def(LB_CORE "ObjectReference", kObjectReferenceF);

constexpr Field kServiceAccountF[] = {
    Msg(1, "metadata", kObjectMeta),
    Msg(2, "secrets", kObjectReference, kRep),
    Msg(3, "imagePullSecrets", kLocalObjectReference, kRep),
    Bool(4, "automountServiceAccountToken", kPtr),
};
constexpr Message kServiceAccount =
    Def(LB_CORE "ServiceAccount", kServiceAccountF, true);

// ---- k8s.io/api/authentication/v1: TokenRequest -----------------------------

#define LB_AUTHN "k8s.io.api.authentication.v1."

constexpr Field kBoundObjectReferenceF[] = {
    Str(1, "kind"),
    Str(2, "apiVersion"),
    Str(3, "name"),
    Str(4, "uid"),
};
constexpr Message kBoundObjectReference =
    Def(LB_AUTHN "BoundObjectReference", kBoundObjectReferenceF);

constexpr Field kTokenRequestSpecF[] = {
    Str(1, "audiences", kRep),
    I64(4, "expirationSeconds", kPtr),
    Msg(3, "boundObjectRef", kBoundObjectReference, kPtr),
};
constexpr Message kTokenRequestSpec =
    Def(LB_AUTHN "TokenRequestSpec", kTokenRequestSpecF);

constexpr Field kTokenRequestStatusF[] = {
    Str(1, "token", kAlways),
    Time(2, "expirationTimestamp", kAlways),
};
constexpr Message kTokenRequestStatus =
    Def(LB_AUTHN "TokenRequestStatus", kTokenRequestStatusF);

constexpr Field kTokenRequestF[] = {
    Msg(1, "metadata", kObjectMeta),
    Msg(2, "spec", kTokenRequestSpec),
    Msg(3, "status", kTokenRequestStatus),
};
constexpr Message kTokenRequest =
    Def(LB_AUTHN "TokenRequest", kTokenRequestF, true);

constexpr Field kUserInfoF[] = {
    Str(1, "username"),
    Str(2, "uid"),
    Str(3, "groups", kRep),
    StrListMap(4, "extra"),
};
constexpr Message kUserInfo = Def(LB_AUTHN "UserInfo", kUserInfoF);

constexpr Field kSelfSubjectReviewStatusF[] = {
    Msg(1, "userInfo", kUserInfo),
};
constexpr Message kSelfSubjectReviewStatus =
    Def(LB_AUTHN "SelfSubjectReviewStatus", kSelfSubjectReviewStatusF);

constexpr Field kSelfSubjectReviewF[] = {
    Msg(1, "metadata", kObjectMeta),
    Msg(2, "status", kSelfSubjectReviewStatus),
};
constexpr Message kSelfSubjectReview =
    Def(LB_AUTHN "SelfSubjectReview", kSelfSubjectReviewF, true);

#undef LB_AUTHN

// ---- k8s.io/api/authorization/v1: SelfSubjectAccessReview -------------------

#define LB_AUTHZ "k8s.io.api.authorization.v1."

constexpr Field kResourceAttributesF[] = {
    Str(1, "namespace"), Str(2, "verb"),     Str(3, "group"),
    Str(4, "version"),   Str(5, "resource"), Str(6, "subresource"),
    Str(7, "name"),
};
constexpr Message kResourceAttributes =
    Def(LB_AUTHZ "ResourceAttributes", kResourceAttributesF);

constexpr Field kNonResourceAttributesF[] = {
    Str(1, "path"),
    Str(2, "verb"),
};
constexpr Message kNonResourceAttributes =
    Def(LB_AUTHZ "NonResourceAttributes", kNonResourceAttributesF);

constexpr Field kSelfSubjectAccessReviewSpecF[] = {
    Msg(1, "resourceAttributes", kResourceAttributes, kPtr),
    Msg(2, "nonResourceAttributes", kNonResourceAttributes, kPtr),
};
constexpr Message kSelfSubjectAccessReviewSpec =
    Def(LB_AUTHZ "SelfSubjectAccessReviewSpec", kSelfSubjectAccessReviewSpecF);

constexpr Field kSubjectAccessReviewStatusF[] = {
    Bool(1, "allowed", kAlways),
    Bool(4, "denied"),
    Str(2, "reason"),
    Str(3, "evaluationError"),
};
constexpr Message kSubjectAccessReviewStatus =
    Def(LB_AUTHZ "SubjectAccessReviewStatus", kSubjectAccessReviewStatusF);

constexpr Field kSelfSubjectAccessReviewF[] = {
    Msg(1, "metadata", kObjectMeta),
    Msg(2, "spec", kSelfSubjectAccessReviewSpec),
    Msg(3, "status", kSubjectAccessReviewStatus),
};
constexpr Message kSelfSubjectAccessReview =
    Def(LB_AUTHZ "SelfSubjectAccessReview", kSelfSubjectAccessReviewF, true);

#undef LB_AUTHZ
#undef LB_META
#undef LB_CORE
#undef LB_APPS

struct Kind {
  const char* api_version;  // null: any
  const char* kind;
  const Message* message;
};

constexpr Kind kKinds[] = {
    {"v1", "ConfigMap", &kConfigMap},
    {"v1", "ConfigMapList", &kConfigMapList},
    {"v1", "Secret", &kSecret},
    {"v1", "SecretList", &kSecretList},
    {"v1", "Namespace", &kNamespace},
    {"v1", "NamespaceList", &kNamespaceList},
    {"v1", "Service", &kService},
    {"v1", "ServiceList", &kServiceList},
    {"apps/v1", "Deployment", &kDeployment},
    {"apps/v1", "DeploymentList", &kDeploymentList},
    {"v1", "ServiceAccount", &kServiceAccount},
    {"authentication.k8s.io/v1", "TokenRequest", &kTokenRequest},
    {"authentication.k8s.io/v1", "SelfSubjectReview", &kSelfSubjectReview},
    {"authorization.k8s.io/v1", "SelfSubjectAccessReview",
     &kSelfSubjectAccessReview},
    {"v1", "Status", &kStatus},
    {nullptr, "DeleteOptions", &kDeleteOptions},
};

}  // namespace

const Field* Message::Find(uint32_t number) const {
  for (const Field& f : *this) {
    if (f.number == number) return &f;
  }
  return nullptr;
}

const Message* MessageFor(absl::string_view api_version,
                          absl::string_view kind) {
  for (const Kind& k : kKinds) {
    if (kind == k.kind &&
        (k.api_version == nullptr || api_version == k.api_version)) {
      return k.message;
    }
  }
  return nullptr;
}

}  // namespace lb::k8s::testing::internal
