// The protobuf codec: bodies kubectl 1.32 sent (captured off the wire),
// bodies derived by hand from the generated.proto field numbers, round trips
// JSON -> protobuf -> JSON for every kind modelled, and malformed or
// unmodelled input refused with its field named.

#include "lib/k8s/testing/protobuf_codec.h"

#include <doctest/doctest.h>

#include <string>

#include "absl/status/status.h"
#include "lib/k8s/testing/internal/protobuf_wire.h"
#include "tests/status_matchers.h"

namespace lb::k8s::testing {
namespace {

// A byte string literal, embedded NULs kept.
template <size_t N>
std::string B(const char (&s)[N]) {
  return std::string(s, N - 1);
}

// A body built by hand: the magic, then runtime.Unknown {typeMeta = 1
// {apiVersion = 1, kind = 2}, raw = 2}. Every length is below 128, so each
// is one byte.
std::string Envelope(const std::string& api_version, const std::string& kind,
                     const std::string& raw) {
  REQUIRE(raw.size() < 128);
  std::string type_meta = "\x0a" + std::string(1, char(api_version.size())) +
                          api_version + "\x12" +
                          std::string(1, char(kind.size())) + kind;
  return B("k8s\0") + "\x0a" + std::string(1, char(type_meta.size())) +
         type_meta + "\x12" + std::string(1, char(raw.size())) + raw;
}

json Decoded(const std::string& body) {
  absl::StatusOr<json> j = DecodeProtobuf(body);
  REQUIRE_OK(j);
  return *j;
}

// JSON -> protobuf -> JSON.
json RoundTrip(const json& obj) {
  absl::StatusOr<std::string> pb = EncodeProtobuf(obj);
  REQUIRE_OK(pb);
  return Decoded(*pb);
}

// ---- What kubectl 1.32 sends (captured from `kubectl create ...`) ----------

// kubectl create configmap c --from-literal=a=b
const std::string kKubectlConfigMap =
    B("\x6b\x38\x73\x00\x0a\x0f\x0a\x02\x76\x31\x12\x09\x43\x6f\x6e\x66"
      "\x69\x67\x4d\x61\x70\x12\x1b\x0a\x11\x0a\x01\x63\x12\x00\x1a\x00"
      "\x22\x00\x2a\x00\x32\x00\x38\x00\x42\x00\x12\x06\x0a\x01\x61\x12"
      "\x01\x62\x1a\x00\x22\x00");

// kubectl create secret generic s --from-literal=k=v
const std::string kKubectlSecret =
    B("\x6b\x38\x73\x00\x0a\x0c\x0a\x02\x76\x31\x12\x06\x53\x65\x63\x72"
      "\x65\x74\x12\x1d\x0a\x11\x0a\x01\x73\x12\x00\x1a\x00\x22\x00\x2a"
      "\x00\x32\x00\x38\x00\x42\x00\x12\x06\x0a\x01\x6b\x12\x01\x76\x1a"
      "\x00\x1a\x00\x22\x00");

// kubectl create namespace n
const std::string kKubectlNamespace =
    B("\x6b\x38\x73\x00\x0a\x0f\x0a\x02\x76\x31\x12\x09\x4e\x61\x6d\x65"
      "\x73\x70\x61\x63\x65\x12\x19\x0a\x11\x0a\x01\x6e\x12\x00\x1a\x00"
      "\x22\x00\x2a\x00\x32\x00\x38\x00\x42\x00\x12\x00\x1a\x02\x0a\x00"
      "\x1a\x00\x22\x00");

// kubectl create service loadbalancer nginx --tcp=80:80
const std::string kKubectlService =
    B("\x6b\x38\x73\x00\x0a\x0d\x0a\x02\x76\x31\x12\x07\x53\x65\x72\x76"
      "\x69\x63\x65\x12\x6f\x0a\x23\x0a\x05\x6e\x67\x69\x6e\x78\x12\x00"
      "\x1a\x00\x22\x00\x2a\x00\x32\x00\x38\x00\x42\x00\x5a\x0c\x0a\x03"
      "\x61\x70\x70\x12\x05\x6e\x67\x69\x6e\x78\x12\x44\x0a\x18\x0a\x05"
      "\x38\x30\x2d\x38\x30\x12\x03\x54\x43\x50\x18\x50\x22\x06\x08\x00"
      "\x10\x50\x1a\x00\x28\x00\x12\x0c\x0a\x03\x61\x70\x70\x12\x05\x6e"
      "\x67\x69\x6e\x78\x1a\x00\x22\x0c\x4c\x6f\x61\x64\x42\x61\x6c\x61"
      "\x6e\x63\x65\x72\x3a\x00\x42\x00\x52\x00\x5a\x00\x60\x00\x68\x00"
      "\x1a\x02\x0a\x00\x1a\x00\x22\x00");

// kubectl create service nodeport np --tcp=5678:8080 --node-port=30080
const std::string kKubectlNodePortService =
    B("\x6b\x38\x73\x00\x0a\x0d\x0a\x02\x76\x31\x12\x07\x53\x65\x72\x76"
      "\x69\x63\x65\x12\x6a\x0a\x1d\x0a\x02\x6e\x70\x12\x00\x1a\x00\x22"
      "\x00\x2a\x00\x32\x00\x38\x00\x42\x00\x5a\x09\x0a\x03\x61\x70\x70"
      "\x12\x02\x6e\x70\x12\x45\x0a\x20\x0a\x09\x35\x36\x37\x38\x2d\x38"
      "\x30\x38\x30\x12\x03\x54\x43\x50\x18\xae\x2c\x22\x07\x08\x00\x10"
      "\x90\x3f\x1a\x00\x28\x80\xeb\x01\x12\x09\x0a\x03\x61\x70\x70\x12"
      "\x02\x6e\x70\x1a\x00\x22\x08\x4e\x6f\x64\x65\x50\x6f\x72\x74\x3a"
      "\x00\x42\x00\x52\x00\x5a\x00\x60\x00\x68\x00\x1a\x02\x0a\x00\x1a"
      "\x00\x22\x00");

// kubectl create deployment nginx --image=nginx
const std::string kKubectlDeployment =
    B("\x6b\x38\x73\x00\x0a\x15\x0a\x07\x61\x70\x70\x73\x2f\x76\x31\x12"
      "\x0a\x44\x65\x70\x6c\x6f\x79\x6d\x65\x6e\x74\x12\xb3\x01\x0a\x23"
      "\x0a\x05\x6e\x67\x69\x6e\x78\x12\x00\x1a\x00\x22\x00\x2a\x00\x32"
      "\x00\x38\x00\x42\x00\x5a\x0c\x0a\x03\x61\x70\x70\x12\x05\x6e\x67"
      "\x69\x6e\x78\x12\x7e\x08\x01\x12\x0e\x0a\x0c\x0a\x03\x61\x70\x70"
      "\x12\x05\x6e\x67\x69\x6e\x78\x1a\x62\x0a\x1e\x0a\x00\x12\x00\x1a"
      "\x00\x22\x00\x2a\x00\x32\x00\x38\x00\x42\x00\x5a\x0c\x0a\x03\x61"
      "\x70\x70\x12\x05\x6e\x67\x69\x6e\x78\x12\x40\x12\x22\x0a\x05\x6e"
      "\x67\x69\x6e\x78\x12\x05\x6e\x67\x69\x6e\x78\x2a\x00\x42\x00\x6a"
      "\x00\x72\x00\x80\x01\x00\x88\x01\x00\x90\x01\x00\xa2\x01\x00\x1a"
      "\x00\x32\x00\x42\x00\x4a\x00\x52\x00\x58\x00\x60\x00\x68\x00\x82"
      "\x01\x00\x8a\x01\x00\x9a\x01\x00\xc2\x01\x00\x22\x02\x0a\x00\x28"
      "\x00\x38\x00\x1a\x0c\x08\x00\x10\x00\x18\x00\x20\x00\x28\x00\x38"
      "\x00\x1a\x00\x22\x00");

// kubectl create deployment web --image=nginx:1.27 --port=8080 --replicas=3
//     -- /bin/sh -c "sleep 1" -o json
const std::string kKubectlDeploymentWithCommand =
    B("\x6b\x38\x73\x00\x0a\x15\x0a\x07\x61\x70\x70\x73\x2f\x76\x31\x12"
      "\x0a\x44\x65\x70\x6c\x6f\x79\x6d\x65\x6e\x74\x12\xdf\x01\x0a\x1f"
      "\x0a\x03\x77\x65\x62\x12\x00\x1a\x00\x22\x00\x2a\x00\x32\x00\x38"
      "\x00\x42\x00\x5a\x0a\x0a\x03\x61\x70\x70\x12\x03\x77\x65\x62\x12"
      "\xad\x01\x08\x03\x12\x0c\x0a\x0a\x0a\x03\x61\x70\x70\x12\x03\x77"
      "\x65\x62\x1a\x92\x01\x0a\x1c\x0a\x00\x12\x00\x1a\x00\x22\x00\x2a"
      "\x00\x32\x00\x38\x00\x42\x00\x5a\x0a\x0a\x03\x61\x70\x70\x12\x03"
      "\x77\x65\x62\x12\x72\x12\x54\x0a\x05\x6e\x67\x69\x6e\x78\x12\x0a"
      "\x6e\x67\x69\x6e\x78\x3a\x31\x2e\x32\x37\x1a\x07\x2f\x62\x69\x6e"
      "\x2f\x73\x68\x1a\x02\x2d\x63\x1a\x07\x73\x6c\x65\x65\x70\x20\x31"
      "\x1a\x02\x2d\x6f\x1a\x04\x6a\x73\x6f\x6e\x2a\x00\x32\x0b\x0a\x00"
      "\x10\x00\x18\x90\x3f\x22\x00\x2a\x00\x42\x00\x6a\x00\x72\x00\x80"
      "\x01\x00\x88\x01\x00\x90\x01\x00\xa2\x01\x00\x1a\x00\x32\x00\x42"
      "\x00\x4a\x00\x52\x00\x58\x00\x60\x00\x68\x00\x82\x01\x00\x8a\x01"
      "\x00\x9a\x01\x00\xc2\x01\x00\x22\x02\x0a\x00\x28\x00\x38\x00\x1a"
      "\x0c\x08\x00\x10\x00\x18\x00\x20\x00\x28\x00\x38\x00\x1a\x00\x22"
      "\x00");

TEST_CASE("kubectl's bodies decode to the JSON a JSON client would send") {
  // Go writes every plain field, zero or not; those read as absent, as
  // Go's JSON encoder (omitempty) leaves them out.
  CHECK(Decoded(kKubectlConfigMap) == json::parse(R"({
      "apiVersion": "v1", "kind": "ConfigMap",
      "metadata": {"name": "c"}, "data": {"a": "b"}})"));
  // Secret data is bytes on the wire, base64 in JSON ("v").
  CHECK(Decoded(kKubectlSecret) == json::parse(R"({
      "apiVersion": "v1", "kind": "Secret",
      "metadata": {"name": "s"}, "data": {"k": "dg=="}})"));
  // Messages present on the wire are present in JSON, empty or not.
  CHECK(Decoded(kKubectlNamespace) == json::parse(R"({
      "apiVersion": "v1", "kind": "Namespace",
      "metadata": {"name": "n"}, "spec": {}, "status": {}})"));
  // targetPort is an IntOrString of type 0 (int).
  CHECK(Decoded(kKubectlService) == json::parse(R"({
      "apiVersion": "v1", "kind": "Service",
      "metadata": {"name": "nginx", "labels": {"app": "nginx"}},
      "spec": {"ports": [{"name": "80-80", "protocol": "TCP", "port": 80,
                          "targetPort": 80}],
               "selector": {"app": "nginx"}, "type": "LoadBalancer"},
      "status": {"loadBalancer": {}}})"));
  CHECK(Decoded(kKubectlNodePortService)["spec"]["ports"] ==
        json::parse(R"([{"name": "5678-8080", "protocol": "TCP",
                         "port": 5678, "targetPort": 8080,
                         "nodePort": 30080}])"));
  CHECK(Decoded(kKubectlNodePortService)["spec"]["type"] == "NodePort");
  // replicas is a pointer: written because set.
  CHECK(Decoded(kKubectlDeployment) == json::parse(R"({
      "apiVersion": "apps/v1", "kind": "Deployment",
      "metadata": {"name": "nginx", "labels": {"app": "nginx"}},
      "spec": {
        "replicas": 1,
        "selector": {"matchLabels": {"app": "nginx"}},
        "template": {
          "metadata": {"labels": {"app": "nginx"}},
          "spec": {"containers": [{"name": "nginx", "image": "nginx",
                                   "resources": {}}]}},
        "strategy": {}},
      "status": {}})"));
  const json web = Decoded(kKubectlDeploymentWithCommand);
  CHECK(web["spec"]["replicas"] == 3);
  CHECK(web["spec"]["template"]["spec"]["containers"] == json::parse(R"([{
      "name": "nginx", "image": "nginx:1.27",
      "command": ["/bin/sh", "-c", "sleep 1", "-o", "json"],
      "ports": [{"containerPort": 8080}], "resources": {}}])"));
}

// ---- Bodies derived by hand from the field numbers -------------------------

TEST_CASE("hand-built bodies: pointers, bytes, negative int32, IntOrString") {
  // ConfigMap {metadata = 1 {name = 1 "x", annotations = 12 {k: v}},
  // immutable = 4 true, binaryData = 3 {bin: 00 ff}}.
  const std::string config_map = Envelope("v1", "ConfigMap",
                                          B("\x0a\x0b"
                                            "\x0a\x01x"
                                            "\x62\x06\x0a\x01k\x12\x01v"
                                            "\x20\x01"
                                            "\x1a\x09\x0a\x03"
                                            "bin"
                                            "\x12\x02\x00\xff"));
  CHECK(Decoded(config_map) == json::parse(R"({
      "apiVersion": "v1", "kind": "ConfigMap",
      "metadata": {"name": "x", "annotations": {"k": "v"}},
      "immutable": true, "binaryData": {"bin": "AP8="}})"));

  // Service {spec = 2 {ports = 1 [{port = 3 443, targetPort = 4 {type = 1
  // (string), intVal = 2 0, strVal = 3 "https"}}], healthCheckNodePort = 12
  // -1 (ten bytes), allocateLoadBalancerNodePorts = 20 false}}. A pointer
  // keeps its false; a plain zero would read as absent.
  const std::string service =
      Envelope("v1", "Service",
               B("\x12\x20"
                 "\x0a\x10\x18\xbb\x03\x22\x0b\x08\x01\x10\x00\x1a\x05https"
                 "\x60\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"
                 "\xa0\x01\x00"));
  CHECK(Decoded(service) == json::parse(R"({
      "apiVersion": "v1", "kind": "Service",
      "spec": {"ports": [{"port": 443, "targetPort": "https"}],
               "healthCheckNodePort": -1,
               "allocateLoadBalancerNodePorts": false}})"));
}

TEST_CASE("hand-built bodies: Time in seconds, inline ProbeHandler, packed") {
  // Namespace {metadata = 1 {name = 1 "n", creationTimestamp = 8 {seconds =
  // 1 1704164645, nanos = 2 0}}, status = 3 {phase = 1 "Active", conditions
  // = 2 [{type = 1 "Test", status = 2 "True", lastTransitionTime = 4
  // {seconds = 1 1704164645}}]}}.
  const std::string ns = Envelope(
      "v1", "Namespace",
      B("\x0a\x0d\x0a\x01n\x42\x08\x08\xa5\xfa\xcd\xac\x06\x10\x00"
        "\x1a\x1e\x0a\x06"
        "Active"
        "\x12\x14\x0a\x04Test\x12\x04True\x22\x06\x08\xa5\xfa\xcd\xac\x06"));
  CHECK(Decoded(ns) == json::parse(R"({
      "apiVersion": "v1", "kind": "Namespace",
      "metadata": {"name": "n", "creationTimestamp": "2024-01-02T03:04:05Z"},
      "status": {"phase": "Active",
                 "conditions": [{"type": "Test", "status": "True",
                                 "lastTransitionTime":
                                     "2024-01-02T03:04:05Z"}]}})"));

  // Deployment {spec = 2 {template = 3 {spec = 2 {containers = 2 [{name = 1
  // "c", livenessProbe = 10 {handler = 1 {httpGet = 2 {path = 1 "/", port =
  // 2 {type 1, strVal "http"}}}, periodSeconds = 4 5}}], securityContext =
  // 14 {supplementalGroups = 4 packed [1, 2], then unpacked 3}}}}}. The
  // ProbeHandler is inline in JSON: httpGet sits in livenessProbe.
  const std::string deployment =
      Envelope("apps/v1", "Deployment",
               B("\x12\x28\x1a\x26\x12\x24"
                 "\x12\x1a\x0a\x01"
                 "c"
                 "\x52\x15\x0a\x11\x12\x0f\x0a\x01/"
                 "\x12\x0a\x08\x01\x10\x00\x1a\x04http"
                 "\x20\x05"
                 "\x72\x06\x22\x02\x01\x02\x20\x03"));
  CHECK(Decoded(deployment) == json::parse(R"({
      "apiVersion": "apps/v1", "kind": "Deployment",
      "spec": {"template": {"spec": {
        "containers": [{"name": "c",
                        "livenessProbe": {
                          "httpGet": {"path": "/", "port": "http"},
                          "periodSeconds": 5}}],
        "securityContext": {"supplementalGroups": [1, 2, 3]}}}}})"));
}

TEST_CASE("encoding writes the bytes the field numbers say") {
  absl::StatusOr<std::string> pb = EncodeProtobuf(json::parse(R"({
      "apiVersion": "v1", "kind": "ConfigMap",
      "metadata": {"name": "c"}, "data": {"a": "b"}})"));
  REQUIRE_OK(pb);
  // Envelope {typeMeta {v1, ConfigMap}, raw {metadata {name c}, data {a: b}}}.
  CHECK(*pb == Envelope("v1", "ConfigMap",
                        B("\x0a\x03\x0a\x01"
                          "c"
                          "\x12\x06\x0a\x01"
                          "a"
                          "\x12\x01"
                          "b")));
  // An IntOrString is written whole, as Go writes it; Time in seconds.
  pb = EncodeProtobuf(json::parse(R"({
      "apiVersion": "v1", "kind": "Service",
      "metadata": {"creationTimestamp": "2024-01-02T03:04:05Z"},
      "spec": {"ports": [{"port": 80, "targetPort": "web"}]}})"));
  REQUIRE_OK(pb);
  CHECK(*pb ==
        Envelope("v1", "Service",
                 B("\x0a\x0a\x42\x08\x08\xa5\xfa\xcd\xac\x06\x10\x00"
                   "\x12\x0f\x0a\x0d\x18\x50\x22\x09\x08\x01\x10\x00\x1a\x03"
                   "web")));
}

// ---- Round trips ------------------------------------------------------------

TEST_CASE("round trip: ConfigMap and Secret as the store keeps them") {
  const json cm = json::parse(R"({
      "apiVersion": "v1", "kind": "ConfigMap",
      "metadata": {
        "name": "config", "namespace": "metallb-system",
        "uid": "6c8b5f1e-0000-4000-8000-000000000006",
        "resourceVersion": "6", "generation": 1,
        "creationTimestamp": "2026-12-07T21:05:21Z",
        "labels": {"app": "metallb"},
        "annotations": {"kubectl.kubernetes.io/last-applied-configuration":
                            "{\"a\":1}\n"},
        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment",
                             "name": "controller", "uid": "u-1",
                             "controller": true,
                             "blockOwnerDeletion": false}],
        "finalizers": ["a/b", "c/d"],
        "managedFields": [
          {"manager": "kubectl", "operation": "Apply", "apiVersion": "v1",
           "time": "2026-12-07T21:05:21Z", "fieldsType": "FieldsV1",
           "fieldsV1": {"f:data": {"f:config": {}}}},
          {"manager": "lb-controller", "operation": "Update",
           "apiVersion": "v1", "fieldsType": "FieldsV1",
           "fieldsV1": {"f:status": {".": {}}}, "subresource": "status"}],
        "deletionTimestamp": "0099-12-08T00:00:00Z",
        "deletionGracePeriodSeconds": 0},
      "immutable": false,
      "data": {"config": "address-pools:\n- name: default\n", "ünï": "ç"},
      "binaryData": {"blob": "AAEC/w=="}})");
  CHECK(RoundTrip(cm) == cm);

  const json secret = json::parse(R"({
      "apiVersion": "v1", "kind": "Secret",
      "metadata": {"name": "memberlist", "namespace": "metallb-system"},
      "type": "kubernetes.io/tls", "immutable": true,
      "data": {"tls.crt": "LS0tLS1CRUdJTg==", "empty": ""},
      "stringData": {"extra": "plain"}})");
  CHECK(RoundTrip(secret) == secret);
}

TEST_CASE("round trip: Namespace and a defaulted LoadBalancer Service") {
  const json ns = json::parse(R"({
      "apiVersion": "v1", "kind": "Namespace",
      "metadata": {"name": "metallb-system", "resourceVersion": "2"},
      "spec": {"finalizers": ["kubernetes"]},
      "status": {"phase": "Terminating",
                 "conditions": [{"type": "NamespaceDeletionContentFailure",
                                 "status": "False",
                                 "lastTransitionTime": "2026-01-01T00:00:00Z",
                                 "reason": "ContentDeleted",
                                 "message": "All content deleted"}]}})");
  CHECK(RoundTrip(ns) == ns);

  const json svc = json::parse(R"({
      "apiVersion": "v1", "kind": "Service",
      "metadata": {"name": "nginx", "namespace": "default",
                   "annotations": {"metallb.universe.tf/address-pool": "a"}},
      "spec": {
        "type": "LoadBalancer", "clusterIP": "10.96.0.10",
        "clusterIPs": ["10.96.0.10", "fd00::10"],
        "ipFamilies": ["IPv4", "IPv6"], "ipFamilyPolicy": "PreferDualStack",
        "ports": [{"name": "http", "protocol": "TCP", "port": 80,
                   "targetPort": 8080, "nodePort": 30000,
                   "appProtocol": "http"},
                  {"name": "dns", "protocol": "UDP", "port": 53,
                   "targetPort": "dns", "nodePort": 30001}],
        "selector": {"app": "nginx"},
        "sessionAffinity": "ClientIP",
        "sessionAffinityConfig": {"clientIP": {"timeoutSeconds": 10800}},
        "externalTrafficPolicy": "Local", "healthCheckNodePort": 30002,
        "internalTrafficPolicy": "Cluster",
        "allocateLoadBalancerNodePorts": true,
        "loadBalancerIP": "192.168.1.240",
        "loadBalancerSourceRanges": ["10.0.0.0/8"],
        "loadBalancerClass": "metallb.io/metallb",
        "externalIPs": ["203.0.113.7"],
        "publishNotReadyAddresses": true,
        "trafficDistribution": "PreferClose"},
      "status": {
        "loadBalancer": {"ingress": [
          {"ip": "192.168.1.240", "ipMode": "VIP",
           "ports": [{"port": 80, "protocol": "TCP", "error": "Pending"}]},
          {"hostname": "lb.example"}]},
        "conditions": [{"type": "Ready", "status": "True",
                        "observedGeneration": 3,
                        "lastTransitionTime": "2026-01-01T00:00:00Z",
                        "reason": "Allocated", "message": ""}]}})");
  CHECK(RoundTrip(svc) == svc);
}

TEST_CASE("round trip: a Deployment with a full pod template") {
  const json d = json::parse(R"({
      "apiVersion": "apps/v1", "kind": "Deployment",
      "metadata": {"name": "controller", "namespace": "metallb-system",
                   "labels": {"app": "metallb"}, "generation": 4},
      "spec": {
        "replicas": 0, "revisionHistoryLimit": 3, "minReadySeconds": 5,
        "progressDeadlineSeconds": 600, "paused": true,
        "selector": {"matchLabels": {"app": "metallb"},
                     "matchExpressions": [{"key": "tier", "operator": "In",
                                           "values": ["a", "b"]}]},
        "strategy": {"type": "RollingUpdate",
                     "rollingUpdate": {"maxSurge": "25%",
                                       "maxUnavailable": 0}},
        "template": {
          "metadata": {"labels": {"app": "metallb"},
                       "annotations": {"prometheus.io/scrape": "true"}},
          "spec": {
            "serviceAccountName": "controller",
            "terminationGracePeriodSeconds": 0,
            "nodeSelector": {"kubernetes.io/os": "linux"},
            "restartPolicy": "Always", "dnsPolicy": "ClusterFirst",
            "hostNetwork": true, "priorityClassName": "high",
            "automountServiceAccountToken": false,
            "enableServiceLinks": false,
            "imagePullSecrets": [{"name": "regcred"}],
            "tolerations": [{"key": "node-role.kubernetes.io/master",
                             "effect": "NoSchedule",
                             "operator": "Exists"},
                            {"key": "k", "value": "v",
                             "tolerationSeconds": 30}],
            "securityContext": {"runAsNonRoot": true, "runAsUser": 65534,
                                "fsGroup": 65534,
                                "supplementalGroups": [1, 2],
                                "sysctls": [{"name": "net.x", "value": "1"}],
                                "seccompProfile": {"type": "RuntimeDefault"}},
            "volumes": [
              {"name": "config",
               "configMap": {"name": "config", "defaultMode": 420,
                             "items": [{"key": "config",
                                        "path": "config.yaml"}]}},
              {"name": "memberlist",
               "secret": {"secretName": "memberlist", "optional": true}},
              {"name": "scratch",
               "emptyDir": {"medium": "Memory", "sizeLimit": "64Mi"}},
              {"name": "proc",
               "hostPath": {"path": "/proc", "type": "Directory"}}],
            "initContainers": [{"name": "init", "image": "busybox",
                                "restartPolicy": "Always"}],
            "containers": [{
              "name": "controller",
              "image": "metallb/controller:v0.3.1",
              "imagePullPolicy": "IfNotPresent",
              "args": ["--port=7472", "--config=config"],
              "workingDir": "/",
              "ports": [{"name": "monitoring", "containerPort": 7472,
                         "protocol": "TCP"},
                        {"containerPort": 7946, "hostPort": 7946,
                         "hostIP": "0.0.0.0", "protocol": "UDP"}],
              "env": [{"name": "METALLB_NODE_NAME",
                       "valueFrom": {"fieldRef": {"apiVersion": "v1",
                                                  "fieldPath":
                                                      "spec.nodeName"}}},
                      {"name": "SECRET",
                       "valueFrom": {"secretKeyRef": {"name": "memberlist",
                                                      "key": "secretkey",
                                                      "optional": false}}},
                      {"name": "LIMIT",
                       "valueFrom": {"resourceFieldRef": {
                         "resource": "limits.memory", "divisor": "1Mi"}}},
                      {"name": "PLAIN", "value": "x"}],
              "envFrom": [{"prefix": "CFG_",
                           "configMapRef": {"name": "config"}}],
              "resources": {"limits": {"cpu": "100m", "memory": "100Mi"},
                            "requests": {"cpu": "10m"}},
              "volumeMounts": [{"name": "config", "mountPath": "/etc/cfg",
                                "readOnly": true},
                               {"name": "scratch", "mountPath": "/tmp",
                                "subPath": "a",
                                "mountPropagation": "None"}],
              "livenessProbe": {"httpGet": {"path": "/metrics",
                                            "port": "monitoring",
                                            "scheme": "HTTP",
                                            "httpHeaders": [{"name": "X",
                                                             "value": "y"}]},
                                "initialDelaySeconds": 10,
                                "periodSeconds": 10, "failureThreshold": 3},
              "readinessProbe": {"tcpSocket": {"port": 7472},
                                 "timeoutSeconds": 1},
              "startupProbe": {"exec": {"command": ["true"]}},
              "lifecycle": {"preStop": {"exec": {"command": ["sleep", "5"]}},
                            "postStart": {"sleep": {"seconds": 1}}},
              "securityContext": {
                "allowPrivilegeEscalation": false,
                "readOnlyRootFilesystem": true,
                "capabilities": {"drop": ["ALL"], "add": ["NET_RAW"]}},
              "terminationMessagePath": "/dev/termination-log",
              "terminationMessagePolicy": "File",
              "stdin": true, "tty": true}]}}},
      "status": {"observedGeneration": 4, "replicas": 1,
                 "updatedReplicas": 1, "readyReplicas": 1,
                 "availableReplicas": 1, "collisionCount": 0,
                 "conditions": [{"type": "Available", "status": "True",
                                 "lastUpdateTime": "2026-01-01T00:00:00Z",
                                 "lastTransitionTime":
                                     "2026-01-01T00:00:00Z",
                                 "reason": "MinimumReplicasAvailable",
                                 "message": "minimum availability"}]}})");
  CHECK(RoundTrip(d) == d);
}

TEST_CASE("round trip: lists, Status and DeleteOptions") {
  // List items carry no TypeMeta in protobuf; the list itself does.
  const json list = json::parse(R"({
      "apiVersion": "v1", "kind": "ConfigMapList",
      "metadata": {"resourceVersion": "12", "continue": "x",
                   "remainingItemCount": 0},
      "items": [{"metadata": {"name": "a"}, "data": {"k": "v"}},
                {"metadata": {"name": "b"}}]})");
  CHECK(RoundTrip(list) == list);
  json typed = list;
  for (json& item : typed["items"]) {
    item["apiVersion"] = "v1";
    item["kind"] = "ConfigMap";
  }
  CHECK(RoundTrip(typed) == list);
  for (const char* kind :
       {"SecretList", "NamespaceList", "ServiceList", "DeploymentList"}) {
    json empty = {{"apiVersion",
                   std::string(kind) == "DeploymentList" ? "apps/v1" : "v1"},
                  {"kind", kind},
                  {"metadata", {{"resourceVersion", "1"}}},
                  {"items", {{{"metadata", {{"name", "x"}}}}}}};
    CHECK(RoundTrip(empty) == empty);
  }

  const json status = json::parse(R"({
      "apiVersion": "v1", "kind": "Status", "metadata": {},
      "status": "Failure", "code": 422, "reason": "Invalid",
      "message": "Service \"x\" is invalid",
      "details": {"name": "x", "kind": "services", "retryAfterSeconds": 1,
                  "causes": [{"reason": "FieldValueInvalid",
                              "message": "must be between 1 and 65535",
                              "field": "spec.ports[0].port"}]}})");
  CHECK(RoundTrip(status) == status);

  const json del = json::parse(R"({
      "apiVersion": "v1", "kind": "DeleteOptions",
      "gracePeriodSeconds": 0, "orphanDependents": false,
      "propagationPolicy": "Foreground", "dryRun": ["All"],
      "preconditions": {"uid": "u-1", "resourceVersion": "5"}})");
  CHECK(RoundTrip(del) == del);
  // Every group registers DeleteOptions.
  json apps_del = del;
  apps_del["apiVersion"] = "apps/v1";
  CHECK(RoundTrip(apps_del) == apps_del);
}

TEST_CASE("zero values of plain fields read as absent, as Go's JSON omits") {
  // Explicit zeros and empty strings of plain (non-pointer, omitempty)
  // fields are equivalent to absent ones; those of pointer fields stay.
  const json in = json::parse(R"({
      "apiVersion": "apps/v1", "kind": "Deployment",
      "metadata": {"name": "x", "generateName": "", "generation": 0},
      "spec": {"replicas": 0, "minReadySeconds": 0, "paused": false,
               "strategy": {"type": ""}}})");
  CHECK(RoundTrip(in) == json::parse(R"({
      "apiVersion": "apps/v1", "kind": "Deployment",
      "metadata": {"name": "x"},
      "spec": {"replicas": 0, "strategy": {}}})"));
  // Fields without omitempty in Go keep their zero value.
  const json port = json::parse(R"({
      "apiVersion": "v1", "kind": "Service",
      "spec": {"ports": [{"port": 0, "name": ""}]}})");
  CHECK(RoundTrip(port)["spec"]["ports"] == json::parse(R"([{"port": 0}])"));
}

// ---- Refusals ---------------------------------------------------------------

TEST_CASE("malformed bodies are InvalidArgument, naming what is wrong") {
  using absl::StatusCode;
  CHECK_STATUS(DecodeProtobuf(""), StatusCode::kInvalidArgument, "k8s\\x00");
  CHECK_STATUS(DecodeProtobuf(R"({"kind":"ConfigMap"})"),
               StatusCode::kInvalidArgument, "does not start with");
  CHECK_STATUS(DecodeProtobuf(B("k8s\0\x0a")), StatusCode::kInvalidArgument,
               "truncated varint");
  CHECK_STATUS(DecodeProtobuf(B("k8s\0\x0a\x05\x0a")),
               StatusCode::kInvalidArgument, "runs past the end");
  CHECK_STATUS(DecodeProtobuf(B("k8s\0\x08\x01")), StatusCode::kInvalidArgument,
               "not length-delimited");
  CHECK_STATUS(
      DecodeProtobuf(Envelope("v1", "ConfigMap",
                              B("\x20\xff\xff\xff\xff\xff\xff\xff\xff\xff"
                                "\xff\x01"))),
      StatusCode::kInvalidArgument, "varint");
  // metadata (1) as a varint.
  CHECK_STATUS(DecodeProtobuf(Envelope("v1", "ConfigMap", B("\x08\x01"))),
               StatusCode::kInvalidArgument,
               "metadata: field 1 of message k8s.io.api.core.v1.ConfigMap has "
               "wire type varint");
  // A group (wire type 3) and field number 0.
  CHECK_STATUS(DecodeProtobuf(Envelope("v1", "ConfigMap", B("\x0b"))),
               StatusCode::kInvalidArgument, "group");
  CHECK_STATUS(DecodeProtobuf(Envelope("v1", "ConfigMap", B("\x02\x00"))),
               StatusCode::kInvalidArgument, "invalid field number 0");
  // A name that is not UTF-8.
  CHECK_STATUS(
      DecodeProtobuf(Envelope("v1", "ConfigMap", B("\x0a\x03\x0a\x01\xff"))),
      StatusCode::kInvalidArgument, "metadata.name: a string that is not");
  // IntOrString type 2.
  CHECK_STATUS(
      DecodeProtobuf(Envelope("v1", "Service",
                              B("\x12\x08\x0a\x06\x22\x04\x08\x02\x10\x01"))),
      StatusCode::kInvalidArgument,
      "spec.ports[0].targetPort: IntOrString type 2");
  // A creationTimestamp in the year 10000.
  CHECK_STATUS(DecodeProtobuf(
                   Envelope("v1", "ConfigMap",
                            B("\x0a\x09\x42\x07\x08\x80\x83\xd1\xff\xaf\x07"))),
               StatusCode::kInvalidArgument, "outside the years 1 to 9999");
  // A map entry whose length runs past its message.
  CHECK_STATUS(DecodeProtobuf(Envelope("v1", "ConfigMap",
                                       B("\x12\x04\x0a\x05"
                                         "abc"))),
               StatusCode::kInvalidArgument, "runs past the end");
}

TEST_CASE("fields and kinds not modelled are refused, never dropped") {
  using absl::StatusCode;
  // Container field 25 (restartPolicyRules) inside a Deployment.
  CHECK_STATUS(
      DecodeProtobuf(Envelope("apps/v1", "Deployment",
                              B("\x12\x0a\x1a\x08\x12\x06\x12\x04\xca\x01\x01"
                                "x"))),
      StatusCode::kUnimplemented,
      "spec.template.spec.containers[0]: field 25 (length-delimited) of "
      "message k8s.io.api.core.v1.Container is not modelled");
  // An ObjectMeta field past those Kubernetes defines (18).
  CHECK_STATUS(
      DecodeProtobuf(Envelope("v1", "ConfigMap", B("\x0a\x03\x92\x01\x00"))),
      StatusCode::kUnimplemented,
      "metadata: field 18 (length-delimited) of message "
      "k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta");
  // A field of an IntOrString past strVal.
  CHECK_STATUS(DecodeProtobuf(Envelope("v1", "Service",
                                       B("\x12\x06\x0a\x04\x22\x02\x20\x01"))),
               StatusCode::kUnimplemented,
               "field 4 (varint) of message "
               "k8s.io.apimachinery.pkg.util.intstr.IntOrString");
  CHECK_STATUS(DecodeProtobuf(Envelope("coordination.k8s.io/v1", "Lease", "")),
               StatusCode::kUnimplemented,
               "kind \"Lease\" of apiVersion \"coordination.k8s.io/v1\" is not "
               "modelled");
  CHECK_STATUS(DecodeProtobuf(Envelope("apps/v1", "ConfigMap", "")),
               StatusCode::kUnimplemented, "not modelled");
  // A compressed envelope (contentEncoding = 3).
  CHECK_STATUS(
      DecodeProtobuf(Envelope("v1", "ConfigMap", "") + B("\x1a\x04gzip")),
      StatusCode::kUnimplemented, "contentEncoding \"gzip\"");
  CHECK_STATUS(
      DecodeProtobuf(Envelope("v1", "ConfigMap", "") + B("\x22\x10"
                                                         "application/json")),
      StatusCode::kUnimplemented, "contentType");
}

TEST_CASE("objects that do not fit a message are refused on encode") {
  using absl::StatusCode;
  CHECK_STATUS(EncodeProtobuf(json::parse(R"({"apiVersion": "v1",
      "kind": "ConfigMap", "metadata": {"name": "x"}, "spec": {}})")),
               StatusCode::kUnimplemented,
               "spec is not a field of message k8s.io.api.core.v1.ConfigMap");
  CHECK_STATUS(EncodeProtobuf(json::parse(R"({"apiVersion": "apps/v1",
      "kind": "Deployment", "spec": {"template": {"spec": {
      "containers": [{"name": "c", "resizePolicy": [{"resourceName": "cpu",
      "restartPolicy": "NotRequired"}], "bogus": 1}]}}}})")),
               StatusCode::kUnimplemented,
               "spec.template.spec.containers[0].bogus is not a field");
  CHECK_STATUS(EncodeProtobuf(json::parse(R"({"apiVersion": "v1",
      "kind": "ConfigMap", "data": {"a": 1}})")),
               StatusCode::kInvalidArgument, "data.a: number");
  CHECK_STATUS(EncodeProtobuf(json::parse(R"({"apiVersion": "v1",
      "kind": "Secret", "data": {"a": "not base64!"}})")),
               StatusCode::kInvalidArgument, "data.a: not valid base64");
  CHECK_STATUS(EncodeProtobuf(json::parse(R"({"apiVersion": "apps/v1",
      "kind": "Deployment", "spec": {"replicas": 4294967296}})")),
               StatusCode::kInvalidArgument, "spec.replicas");
  CHECK_STATUS(EncodeProtobuf(json::parse(R"({"apiVersion": "apps/v1",
      "kind": "Deployment", "spec": {"replicas": 1.5}})")),
               StatusCode::kInvalidArgument, "spec.replicas: number");
  CHECK_STATUS(EncodeProtobuf(json::parse(R"({"apiVersion": "v1",
      "kind": "ConfigMap", "metadata": {"creationTimestamp": "yesterday"}})")),
               StatusCode::kInvalidArgument, "metadata.creationTimestamp");
  CHECK_STATUS(EncodeProtobuf(json::parse(R"({"apiVersion":
      "coordination.k8s.io/v1", "kind": "Lease"})")),
               StatusCode::kUnimplemented, "Lease");
  CHECK_STATUS(EncodeProtobuf(json::parse(R"({"kind": "ConfigMap"})")),
               StatusCode::kInvalidArgument, "apiVersion");
  CHECK(ProtobufModels("v1", "ConfigMap"));
  CHECK(ProtobufModels("apps/v1", "Deployment"));
  CHECK_FALSE(ProtobufModels("v1", "Deployment"));
  CHECK_FALSE(ProtobufModels("coordination.k8s.io/v1", "Lease"));
}

TEST_CASE("wire reader: varint limits") {
  using internal::WireReader;
  uint64_t v = 0;
  CHECK_OK(
      WireReader(B("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01")).ReadVarint(&v));
  CHECK(v == UINT64_MAX);
  CHECK_STATUS(
      WireReader(B("\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02")).ReadVarint(&v),
      absl::StatusCode::kInvalidArgument, "overflows 64 bits");
  CHECK_STATUS(WireReader(B("\x80\x80")).ReadVarint(&v),
               absl::StatusCode::kInvalidArgument, "truncated");
}

}  // namespace
}  // namespace lb::k8s::testing
