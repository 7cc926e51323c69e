// What the real kubectl prints from the stand-in's server-side tables: the
// columns and cells kube-apiserver 1.32 serves for each kind, a CRD's printer
// columns, `get all`, the deprecated ComponentStatuses and the endpoints a
// new cluster holds.

#include <doctest/doctest.h>

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "tests/kubectl/fixture.h"
#include "tests/kubectl/kubectl_runner.h"

namespace lb::k8s::testing {
namespace {

// Writes `text` into the kubectl's directory; returns the path.
std::string Write(Fixture& f, const std::string& name,
                  const std::string& text) {
  std::string path = f.kubectl->dir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

void Apply(Fixture& f, const std::string& name, const std::string& yaml) {
  KubectlResult r = f.Run({"apply", "-f", Write(f, name, yaml)});
  REQUIRE(r.exit_code == 0);
}

// A line with its runs of spaces collapsed, as words.
std::vector<std::string> Words(const std::string& line) {
  return absl::StrSplit(line, ' ', absl::SkipEmpty());
}

// Whether `line` reads as `pattern` once padding is collapsed; a "*" word
// of the pattern (an AGE) matches any one word.
bool Matches(const std::string& line, const std::string& pattern) {
  std::vector<std::string> got = Words(line), want = Words(pattern);
  if (got.size() != want.size()) return false;
  for (size_t i = 0; i < got.size(); ++i) {
    if (want[i] != "*" && want[i] != got[i]) return false;
  }
  return true;
}

// Runs `kubectl args` and checks its output, line by line, against `lines`.
void CheckTable(Fixture& f, const std::vector<std::string>& args,
                const std::vector<std::string>& lines) {
  KubectlResult r = f.Run(args);
  REQUIRE(r.exit_code == 0);
  INFO("kubectl ", absl::StrJoin(args, " "), ":\n", r.out);
  std::vector<std::string> got = absl::StrSplit(r.out, '\n');
  if (!got.empty() && got.back().empty()) got.pop_back();
  REQUIRE(got.size() == lines.size());
  for (size_t i = 0; i < lines.size(); ++i) {
    INFO("line ", i, ": ", got[i]);
    CHECK(Matches(got[i], lines[i]));
  }
}

// An RFC 3339 timestamp `ago` before now.
std::string Ago(absl::Duration ago) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::Now() - ago,
                          absl::UTCTimeZone());
}

constexpr char kNodes[] = R"(apiVersion: v1
kind: Node
metadata:
  name: node-a
  labels:
    node-role.kubernetes.io/control-plane: ""
    node-role.kubernetes.io/worker: ""
status:
  conditions:
  - {type: Ready, status: "True"}
  addresses:
  - {type: InternalIP, address: 192.168.1.10}
  nodeInfo:
    kubeletVersion: v1.32.0
    osImage: Debian GNU/Linux 12 (bookworm)
    kernelVersion: 6.1.0-18-amd64
    containerRuntimeVersion: containerd://1.7.13
---
apiVersion: v1
kind: Node
metadata:
  name: node-b
spec:
  unschedulable: true
status:
  conditions:
  - {type: Ready, status: "False"}
)";

TEST_CASE("get nodes: status, roles and version; -o wide adds node info") {
  Fixture f;
  Apply(f, "nodes.yaml", kNodes);
  CheckTable(f, {"get", "nodes"},
             {"NAME STATUS ROLES AGE VERSION",
              "node-a Ready control-plane,worker * v1.32.0",
              "node-b NotReady,SchedulingDisabled <none> *"});
  CheckTable(
      f, {"get", "nodes", "-o", "wide"},
      {"NAME STATUS ROLES AGE VERSION INTERNAL-IP EXTERNAL-IP OS-IMAGE "
       "KERNEL-VERSION CONTAINER-RUNTIME",
       "node-a Ready control-plane,worker * v1.32.0 192.168.1.10 <none> "
       "Debian GNU/Linux 12 (bookworm) 6.1.0-18-amd64 containerd://1.7.13",
       "node-b NotReady,SchedulingDisabled <none> * <none> <none> "
       "<unknown> <unknown> <unknown>"});
}

constexpr char kWorkloads[] = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: 3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - {name: web, image: "nginx:1.27"}
      - {name: log, image: "busybox:1.36"}
---
apiVersion: apps/v1
kind: ReplicaSet
metadata:
  name: web-5d4f
spec:
  replicas: 3
  selector:
    matchLabels: {app: web, pod-template-hash: 5d4f}
  template:
    metadata:
      labels: {app: web, pod-template-hash: 5d4f}
    spec:
      containers:
      - {name: web, image: "nginx:1.27"}
---
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: speaker
spec:
  selector:
    matchLabels: {app: speaker}
  template:
    metadata:
      labels: {app: speaker}
    spec:
      nodeSelector: {kubernetes.io/os: linux}
      containers:
      - {name: speaker, image: "metallb/speaker:v0.3"}
)";

// Writes a workload's status through the /status subresource, as its
// controller would.
void SetStatus(Fixture& f, const std::string& kind, const std::string& name,
               const std::string& status) {
  KubectlResult r = f.Run({"patch", kind, name, "--subresource=status",
                           "--type=merge", "-p", status});
  REQUIRE(r.exit_code == 0);
}

TEST_CASE("get deploy, rs and ds: replica counts, and -o wide the template") {
  Fixture f;
  Apply(f, "workloads.yaml", kWorkloads);
  CheckTable(f, {"get", "deploy"},
             {"NAME READY UP-TO-DATE AVAILABLE AGE", "web 0/3 0 0 *"});
  SetStatus(f, "deployment", "web",
            R"({"status":{"replicas":3,"readyReplicas":2,)"
            R"("updatedReplicas":3,"availableReplicas":2}})");
  SetStatus(f, "replicaset", "web-5d4f",
            R"({"status":{"replicas":3,"readyReplicas":2}})");
  SetStatus(f, "daemonset", "speaker",
            R"({"status":{"desiredNumberScheduled":2,)"
            R"("currentNumberScheduled":2,"numberReady":1,)"
            R"("updatedNumberScheduled":2,"numberAvailable":1,)"
            R"("numberMisscheduled":0}})");
  CheckTable(f, {"get", "deploy"},
             {"NAME READY UP-TO-DATE AVAILABLE AGE", "web 2/3 3 2 *"});
  CheckTable(f, {"get", "deploy", "-o", "wide"},
             {"NAME READY UP-TO-DATE AVAILABLE AGE CONTAINERS IMAGES SELECTOR",
              "web 2/3 3 2 * web,log nginx:1.27,busybox:1.36 app=web"});
  CheckTable(
      f, {"get", "rs", "-o", "wide"},
      {"NAME DESIRED CURRENT READY AGE CONTAINERS IMAGES SELECTOR",
       "web-5d4f 3 3 2 * web nginx:1.27 app=web,pod-template-hash=5d4f"});
  CheckTable(f, {"get", "ds"},
             {"NAME DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR "
              "AGE",
              "speaker 2 2 1 2 1 kubernetes.io/os=linux *"});
}

std::string Pods() {
  return absl::StrCat(R"(apiVersion: v1
kind: Pod
metadata:
  name: web-1
spec:
  nodeName: node-a
  readinessGates:
  - conditionType: metallb.io/announced
  containers:
  - {name: web, image: "nginx:1.27"}
  - {name: log, image: "busybox:1.36"}
status:
  phase: Running
  podIP: 10.1.0.5
  conditions:
  - {type: Ready, status: "True"}
  - {type: metallb.io/announced, status: "False"}
  containerStatuses:
  - name: web
    image: "nginx:1.27"
    imageID: ""
    ready: true
    restartCount: 3
    state: {running: {}}
    lastState:
      terminated: {exitCode: 1, finishedAt: ")",
                      Ago(absl::Minutes(20) + absl::Seconds(10)), R"("}
  - name: log
    image: "busybox:1.36"
    imageID: ""
    ready: false
    restartCount: 0
    state:
      waiting: {reason: CrashLoopBackOff}
---
apiVersion: v1
kind: Pod
metadata:
  name: pending
spec:
  containers:
  - {name: app, image: "nginx:1.27"}
status:
  phase: Pending
)");
}

TEST_CASE("get pods -o wide: readiness, status, restarts, IP and node") {
  Fixture f;
  Apply(f, "pods.yaml", Pods());
  CheckTable(f, {"get", "pods"},
             {"NAME READY STATUS RESTARTS AGE", "pending 0/1 Pending 0 *",
              "web-1 1/2 CrashLoopBackOff 3 (20m ago) *"});
  CheckTable(f, {"get", "pods", "-o", "wide"},
             {"NAME READY STATUS RESTARTS AGE IP NODE NOMINATED NODE "
              "READINESS GATES",
              "pending 0/1 Pending 0 * <none> <none> <none> <none>",
              "web-1 1/2 CrashLoopBackOff 3 (20m ago) * 10.1.0.5 node-a "
              "<none> 0/1"});
}

constexpr char kRbac[] = R"(apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: reader
rules:
- {apiGroups: [""], resources: [services], verbs: [get, list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: readers
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: reader}
subjects:
- {kind: User, name: alice}
- {kind: ServiceAccount, name: controller, namespace: metallb-system}
- {kind: User, name: bob}
- {kind: Group, name: "system:authenticated"}
)";

TEST_CASE("get rolebinding: the role, and -o wide the subjects by kind") {
  Fixture f;
  Apply(f, "rbac.yaml", kRbac);
  CheckTable(f, {"get", "rolebinding"},
             {"NAME ROLE AGE", "readers Role/reader *"});
  CheckTable(f, {"get", "rolebinding", "-o", "wide"},
             {"NAME ROLE AGE USERS GROUPS SERVICEACCOUNTS",
              "readers Role/reader * alice, bob system:authenticated "
              "metallb-system/controller"});
  // Roles have no printer upstream: the default table.
  KubectlResult r = f.Run({"get", "role", "reader"});
  REQUIRE(r.exit_code == 0);
  std::vector<std::string> lines = absl::StrSplit(r.out, '\n');
  CHECK(Matches(lines[0], "NAME CREATED AT"));
  CHECK(absl::StartsWith(lines[1], "reader "));
  CHECK(absl::EndsWith(lines[1], "Z"));
}

TEST_CASE("get cs: three healthy components and the deprecation warning") {
  Fixture f;
  KubectlResult r = f.Run({"get", "cs"});
  REQUIRE(r.exit_code == 0);
  CHECK(absl::StrContains(
      r.err, "Warning: v1 ComponentStatus is deprecated in v1.19+"));
  CheckTable(f, {"get", "componentstatuses"},
             {"NAME STATUS MESSAGE ERROR", "controller-manager Healthy ok",
              "etcd-0 Healthy ok", "scheduler Healthy ok"});
  r = f.Run({"get", "cs", "etcd-0", "-o", "jsonpath={.conditions[0].type}"});
  CHECK(r.out == "Healthy");
  // Read-only, as upstream: no route for writes.
  r = f.Run({"delete", "cs", "scheduler"});
  CHECK(r.exit_code != 0);
  CHECK(absl::StrContains(r.err, "MethodNotAllowed"));
  CHECK(f.Run({"get", "cs", "scheduler"}).exit_code == 0);
}

TEST_CASE("a new cluster's kubernetes Endpoints and EndpointSlice") {
  Fixture f;
  CheckTable(f, {"get", "endpoints", "kubernetes"},
             {"NAME ENDPOINTS AGE", "kubernetes 127.0.0.1:6443 *"});
  CheckTable(f, {"get", "endpointslices"},
             {"NAME ADDRESSTYPE PORTS ENDPOINTS AGE",
              "kubernetes IPv4 6443 127.0.0.1 *"});
  KubectlResult r =
      f.Run({"get", "endpointslice", "kubernetes", "-o",
             "jsonpath={.metadata.labels.kubernetes\\.io/service-name} "
             "{.ports[0].name} {.endpoints[0].conditions.ready}"});
  CHECK(r.out == "kubernetes https true");
  r = f.Run(
      {"get", "endpoints", "kubernetes", "-o", "jsonpath={.metadata.labels}"});
  CHECK(r.out == R"({"endpointslice.kubernetes.io/skip-mirror":"true"})");
}

TEST_CASE("get all -n default: each workload kind and Services") {
  Fixture f;
  Apply(f, "workloads.yaml", kWorkloads);
  Apply(f, "pods.yaml", Pods());
  KubectlResult r = f.Run({"get", "all", "-n", "default"});
  REQUIRE(r.exit_code == 0);
  INFO(r.out);
  std::vector<std::string> lines = absl::StrSplit(r.out, '\n');
  auto has = [&lines](const std::string& pattern) {
    for (const std::string& l : lines) {
      if (Matches(l, pattern)) return true;
    }
    return false;
  };
  CHECK(has("NAME READY STATUS RESTARTS AGE"));
  CHECK(has("pod/pending 0/1 Pending 0 *"));
  CHECK(has("NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE"));
  CHECK(has("service/kubernetes ClusterIP 10.96.0.1 <none> 443/TCP *"));
  CHECK(
      has("NAME DESIRED CURRENT READY UP-TO-DATE AVAILABLE NODE SELECTOR "
          "AGE"));
  CHECK(has("daemonset.apps/speaker 0 0 0 0 0 kubernetes.io/os=linux *"));
  CHECK(has("NAME READY UP-TO-DATE AVAILABLE AGE"));
  CHECK(has("deployment.apps/web 0/3 0 0 *"));
  CHECK(has("NAME DESIRED CURRENT READY AGE"));
  CHECK(has("replicaset.apps/web-5d4f 3 0 0 *"));
}

constexpr char kCrd[] = R"(apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ipaddresspools.metallb.io
spec:
  group: metallb.io
  scope: Namespaced
  names: {plural: ipaddresspools, singular: ipaddresspool, kind: IPAddressPool, listKind: IPAddressPoolList}
  versions:
  - name: v1beta1
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
    additionalPrinterColumns:
    - {name: Auto Assign, type: boolean, jsonPath: .spec.autoAssign}
    - {name: First Address, type: string, jsonPath: ".spec.addresses[0]"}
    - {name: Assigned, type: integer, jsonPath: .status.assigned}
    - {name: Avoid Buggy IPs, type: boolean, jsonPath: .spec.avoidBuggyIPs, priority: 1}
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: bgppeers.metallb.io
spec:
  group: metallb.io
  scope: Namespaced
  names: {plural: bgppeers, singular: bgppeer, kind: BGPPeer, listKind: BGPPeerList}
  versions:
  - name: v1beta2
    served: true
    storage: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
)";

constexpr char kPools[] = R"(apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: pool}
spec:
  addresses: [192.168.1.240/28, "fc00::/64"]
  autoAssign: false
  avoidBuggyIPs: true
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: {name: router}
spec: {peerAddress: 10.0.0.1}
)";

TEST_CASE("a custom resource's printer columns, and NAME AGE without any") {
  Fixture f;
  Apply(f, "crd.yaml", kCrd);
  Apply(f, "pools.yaml", kPools);
  // A declared column with no value prints empty; no AGE unless declared.
  CheckTable(f, {"get", "ipaddresspools"},
             {"NAME AUTO ASSIGN FIRST ADDRESS ASSIGNED",
              "pool false 192.168.1.240/28"});
  CheckTable(f, {"get", "ipaddresspools", "-o", "wide"},
             {"NAME AUTO ASSIGN FIRST ADDRESS ASSIGNED AVOID BUGGY IPS",
              "pool false 192.168.1.240/28 true"});
  CheckTable(f, {"get", "bgppeers"}, {"NAME AGE", "router *"});
  CheckTable(f, {"get", "crd"},
             {"NAME CREATED AT", "bgppeers.metallb.io *",
              "ipaddresspools.metallb.io *"});
}

}  // namespace
}  // namespace lb::k8s::testing
