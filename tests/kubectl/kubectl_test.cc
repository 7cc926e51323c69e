// The real kubectl against the API server stand-in.

#include <doctest/doctest.h>
#include <fcntl.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "lib/base/clock.h"
#include "lib/k8s/config.h"
#include "lib/k8s/http_client.h"
#include "lib/k8s/objects.h"
#include "lib/k8s/testing/api_server.h"
#include "tests/eventually.h"
#include "tests/kubectl/fixture.h"
#include "tests/kubectl/kubectl_runner.h"
#include "tests/status_matchers.h"

namespace lb::k8s::testing {
namespace {

TEST_CASE("apply twice: created, then unchanged") {
  Fixture f;
  KubectlResult r = f.Run({"apply", "-f", kManifests});
  REQUIRE(r.exit_code == 0);
  CHECK(absl::StrContains(r.out, "namespace/metallb-system created"));
  CHECK(absl::StrContains(r.out, "serviceaccount/controller created"));
  CHECK(absl::StrContains(r.out,
                          "clusterrole.rbac.authorization.k8s.io/"
                          "metallb-system:controller created"));
  CHECK(absl::StrContains(r.out, "daemonset.apps/speaker created"));
  CHECK(absl::StrContains(r.out, "deployment.apps/controller created"));
  CHECK(absl::StrContains(r.out, "configmap/config created"));
  CHECK(absl::StrContains(r.out, "service/nginx created"));

  r = f.Run({"apply", "-f", kManifests});
  REQUIRE(r.exit_code == 0);
  CHECK(absl::StrContains(r.out, "namespace/metallb-system unchanged"));
  CHECK(absl::StrContains(r.out, "daemonset.apps/speaker unchanged"));
  CHECK(absl::StrContains(r.out, "deployment.apps/controller unchanged"));
  CHECK(absl::StrContains(r.out, "configmap/config unchanged"));
  CHECK(absl::StrContains(r.out, "service/nginx unchanged"));
  CHECK_FALSE(absl::StrContains(r.out, "configured"));

  // A changed manifest is configured through a strategic merge patch.
  std::ifstream in(kManifests);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string changed = ss.str();
  changed.replace(changed.find("port: 80"), 8, "port: 8080");
  std::string path = f.kubectl->dir() + "/changed.yaml";
  std::ofstream(path) << changed;
  r = f.Run({"apply", "-f", path});
  REQUIRE(r.exit_code == 0);
  CHECK(absl::StrContains(r.out, "service/nginx configured"));
  CHECK(absl::StrContains(r.out, "configmap/config unchanged"));
  r = f.Run(
      {"get", "service", "nginx", "-o", "jsonpath={.spec.ports[*].port}"});
  CHECK(r.out == "8080");
}

TEST_CASE("get service shows the tutorial's columns and defaults") {
  Fixture f;
  REQUIRE(f.Run({"apply", "-f", kManifests}).exit_code == 0);
  // Allocated at random, as kube-apiserver allocates them.
  const std::string node_port = f.Run({"get", "service", "nginx", "-o",
                                       "jsonpath={.spec.ports[0].nodePort}"})
                                    .out;
  const std::string cluster_ip =
      f.Run({"get", "service", "nginx", "-o", "jsonpath={.spec.clusterIP}"})
          .out;
  int port = 0;
  REQUIRE(absl::SimpleAtoi(node_port, &port));
  CHECK(port >= 30000);
  CHECK(port <= 32767);
  KubectlResult r = f.Run({"get", "service", "nginx"});
  REQUIRE(r.exit_code == 0);
  CHECK(absl::StrContains(r.out, "NAME"));
  CHECK(absl::StrContains(r.out, "TYPE"));
  CHECK(absl::StrContains(r.out, "CLUSTER-IP"));
  CHECK(absl::StrContains(r.out, "EXTERNAL-IP"));
  CHECK(absl::StrContains(r.out, "PORT(S)"));
  CHECK(absl::StrContains(r.out, "AGE"));
  CHECK(absl::StrContains(r.out, "LoadBalancer"));
  CHECK(absl::StrContains(r.out, "<pending>"));
  CHECK(absl::StrContains(r.out, "80:" + node_port + "/TCP"));
  CHECK(absl::StrContains(r.out, cluster_ip));

  r = f.Run({"get", "svc", "nginx", "-o", "yaml"});
  REQUIRE(r.exit_code == 0);
  CHECK(absl::StrContains(r.out, "kind: Service"));
  CHECK(absl::StrContains(r.out, "clusterIP: " + cluster_ip));
  CHECK(absl::StrContains(r.out, "externalTrafficPolicy: Cluster"));
  CHECK(absl::StrContains(r.out, "- IPv4"));
  CHECK(absl::StrContains(r.out, "nodePort: " + node_port));
  CHECK(absl::StrContains(r.out,
                          "kubectl.kubernetes.io/last-applied-configuration"));

  r = f.Run({"get", "configmap", "config", "-n", "metallb-system", "-o",
             "jsonpath={.data.config}"});
  CHECK(absl::StrContains(r.out, "192.168.1.240/28"));

  r = f.Run({"get", "service", "nosuch"});
  CHECK(r.exit_code == 1);
  CHECK(absl::StrContains(
      r.err, "Error from server (NotFound): services \"nosuch\" not found"));
}

TEST_CASE("get -w sees a status change, and ends with the stream") {
  Fixture f;
  REQUIRE(f.Run({"apply", "-f", kManifests}).exit_code == 0);
  f.kubectl->Start({"get", "service", "nginx", "-w"});
  REQUIRE(f.kubectl->WaitForBackground("<pending>", 20));
  // kubectl lists, prints, then watches: exactly one stream is open.
  REQUIRE(
      lb::testing::Eventually([&] { return f.server->open_watches() == 1; }));
  KubectlResult r = f.Run(
      {"patch", "service", "nginx", "--subresource", "status", "--type",
       "merge", "-p",
       R"({"status":{"loadBalancer":{"ingress":[{"ip":"192.168.1.240"}]}}})"});
  REQUIRE(r.exit_code == 0);
  CHECK(f.kubectl->WaitForBackground("192.168.1.240", 20));
  // The server defaulted ipMode and kept the spec.
  r = f.Run({"get", "service", "nginx", "-o",
             "jsonpath={.status.loadBalancer.ingress[0].ipMode} {.spec.type}"});
  CHECK(r.out == "VIP LoadBalancer");
  f.server->DropWatches();
  CHECK(f.kubectl->WaitBackground(20) == 0);
  CHECK(lb::testing::Eventually([&] { return f.server->open_watches() == 0; }));
}

TEST_CASE("get -w and get show an EXTERNAL-IP written by our client") {
  Fixture f(/*tls=*/true);
  REQUIRE(f.Run({"apply", "-f", kManifests}).exit_code == 0);
  f.kubectl->Start({"get", "service", "nginx", "-w"});
  REQUIRE(f.kubectl->WaitForBackground("<pending>", 20));
  auto config = ParseKubeconfig(f.server->Kubeconfig("s3cret"), "");
  REQUIRE_OK(config);
  auto client = HttpClient::Create(*config, f.clock);
  REQUIRE_OK(client);
  REQUIRE_OK((*client)->MergePatch(
      kServices, "default", "nginx",
      ServiceStatusPatch({{"192.168.1.240", "", ""}}), Subresource::kStatus));
  CHECK(f.kubectl->WaitForBackground("192.168.1.240", 20));
  f.kubectl->StopBackground();
  KubectlResult r = f.Run({"get", "service", "nginx"});
  REQUIRE(r.exit_code == 0);
  // NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE, as in the tutorial.
  CHECK(absl::StrContains(r.out, "EXTERNAL-IP"));
  std::vector<std::string> lines = absl::StrSplit(r.out, '\n');
  REQUIRE(lines.size() >= 2);
  std::vector<std::string> row =
      absl::StrSplit(lines[1], ' ', absl::SkipEmpty());
  REQUIRE(row.size() == 6);
  CHECK(row[0] == "nginx");
  CHECK(row[1] == "LoadBalancer");
  CHECK(row[2] ==
        f.Run({"get", "service", "nginx", "-o", "jsonpath={.spec.clusterIP}"})
            .out);
  CHECK(row[3] == "192.168.1.240");
  CHECK(row[4] == "80:" +
                      f.Run({"get", "service", "nginx", "-o",
                             "jsonpath={.spec.ports[0].nodePort}"})
                          .out +
                      "/TCP");
}

TEST_CASE("get events shows type, reason, object and message") {
  Fixture f;
  REQUIRE(f.Run({"apply", "-f", kManifests}).exit_code == 0);
  auto config = ParseKubeconfig(f.server->Kubeconfig(""), "");
  REQUIRE_OK(config);
  auto client = HttpClient::Create(*config, f.clock);
  REQUIRE_OK(client);
  REQUIRE_OK((*client)->Create(
      kEvents, "metallb-system",
      {{"apiVersion", "v1"},
       {"kind", "Event"},
       {"metadata", {{"name", "config.1"}, {"namespace", "metallb-system"}}},
       {"involvedObject",
        {{"kind", "ConfigMap"},
         {"namespace", "metallb-system"},
         {"name", "config"}}},
       {"type", "Warning"},
       {"reason", "InvalidConfig"},
       {"message", "host bits are set"}}));
  KubectlResult r = f.Run({"get", "events", "-n", "metallb-system"});
  REQUIRE(r.exit_code == 0);
  CHECK(absl::StrContains(r.out, "LAST SEEN"));
  CHECK(absl::StrContains(r.out, "REASON"));
  CHECK(absl::StrContains(r.out, "OBJECT"));
  CHECK(absl::StrContains(
      r.out, "Warning   InvalidConfig   configmap/config   host bits are set"));
  CHECK_FALSE(absl::StrContains(r.out, "config.1"));  // NAME only with -o wide
  r = f.Run({"get", "events", "-n", "metallb-system", "-o", "wide"});
  CHECK(absl::StrContains(r.out, "config.1"));
}

TEST_CASE("patch in all three flavours, label selectors, delete") {
  Fixture f;
  REQUIRE(f.Run({"apply", "-f", kManifests}).exit_code == 0);
  KubectlResult r = f.Run({"patch", "service", "nginx", "-p",
                           R"({"spec":{"ports":[{"name":"alt","port":81}]}})"});
  REQUIRE(r.exit_code == 0);
  CHECK(absl::StrContains(r.out, "service/nginx patched"));
  r = f.Run(
      {"get", "service", "nginx", "-o", "jsonpath={.spec.ports[*].port}"});
  CHECK(r.out == "80 81");  // strategic merge: merged by port, not replaced

  r = f.Run({"patch", "service", "nginx", "--type", "merge", "-p",
             R"({"metadata":{"labels":{"tier":"web"}}})"});
  REQUIRE(r.exit_code == 0);
  r = f.Run({"patch", "service", "nginx", "--type", "json", "-p",
             R"([{"op":"replace","path":"/spec/ports/1/port","value":82}])"});
  REQUIRE(r.exit_code == 0);
  r = f.Run({"get", "service", "-l", "tier=web", "-o", "name"});
  CHECK(r.out == "service/nginx\n");
  r = f.Run({"get", "service", "-l", "tier!=web", "-o", "name"});
  CHECK(r.out == "service/kubernetes\n");
  r = f.Run(
      {"get", "service", "nginx", "-o", "jsonpath={.spec.ports[*].port}"});
  CHECK(r.out == "80 82");

  r = f.Run({"patch", "service", "nginx", "--type", "json", "-p",
             R"([{"op":"test","path":"/spec/type","value":"NodePort"}])"});
  CHECK(r.exit_code != 0);

  r = f.Run({"delete", "service", "nginx"});
  REQUIRE(r.exit_code == 0);
  CHECK(absl::StrContains(r.out, "service \"nginx\" deleted"));
  r = f.Run({"get", "service", "nginx"});
  CHECK(absl::StrContains(r.err, "NotFound"));
  // kubectl waits until the namespace is gone, which it is only after its
  // contents.
  r = f.Run({"delete", "namespace", "metallb-system"});
  REQUIRE(r.exit_code == 0);
  r = f.Run({"get", "configmaps", "-A", "-o", "name"});
  CHECK(r.out.empty());
}

// The list resourceVersion of Services: moves with every stored change.
std::string ServicesVersion(Fixture& f) {
  KubectlResult r = f.Run({"get", "--raw", "/api/v1/services"});
  REQUIRE(r.exit_code == 0);
  return json::parse(r.out)["metadata"]["resourceVersion"].get<std::string>();
}

TEST_CASE("server-side previews (dryRun=All) store nothing") {
  Fixture f;
  REQUIRE(f.Run({"apply", "-f", kManifests}).exit_code == 0);
  const std::string before = ServicesVersion(f);

  // apply --dry-run=server of a change: reported, not made.
  std::ifstream in(kManifests);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string changed = ss.str();
  changed.replace(changed.find("port: 80"), 8, "port: 8080");
  const std::string path = f.kubectl->dir() + "/changed.yaml";
  std::ofstream(path) << changed;
  KubectlResult r = f.Run({"apply", "--dry-run=server", "-f", path});
  REQUIRE(r.exit_code == 0);
  CHECK(absl::StrContains(r.out, "service/nginx configured (server dry run)"));
  r = f.Run(
      {"get", "service", "nginx", "-o", "jsonpath={.spec.ports[*].port}"});
  CHECK(r.out == "80");
  // ... and the preview shows what would be stored.
  r = f.Run({"apply", "--dry-run=server", "-f", path, "-o",
             "jsonpath={.items[?(@.kind==\"Service\")].spec.ports[*].port}"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == "8080");

  // kubectl diff previews through a dry-run patch: it shows the change (exit
  // 1: differences found) and makes none.
  r = f.Run({"diff", "-f", path});
  CHECK(r.exit_code == 1);
  INFO("kubectl diff: ", r.out);
  CHECK(absl::StrContains(r.out, "\n-    port: 80\n"));
  CHECK(absl::StrContains(r.out, "\n+    port: 8080\n"));
  r = f.Run(
      {"get", "service", "nginx", "-o", "jsonpath={.spec.ports[*].port}"});
  CHECK(r.out == "80");

  // delete --dry-run=server: reported, the Service stays.
  r = f.Run({"delete", "service", "nginx", "--dry-run=server"});
  REQUIRE(r.exit_code == 0);
  CHECK(absl::StrContains(r.out, "service \"nginx\" deleted (server dry run)"));
  CHECK(f.Run({"get", "service", "nginx"}).exit_code == 0);

  // create --dry-run=server: defaulted and answered, not stored.
  const std::string extra = f.kubectl->dir() + "/extra.yaml";
  std::ofstream(extra) << "apiVersion: v1\nkind: Service\nmetadata:\n"
                          "  name: preview\nspec:\n  type: LoadBalancer\n"
                          "  ports:\n  - port: 80\n";
  r = f.Run({"create", "--dry-run=server", "-f", extra, "-o",
             "jsonpath={.spec.sessionAffinity}"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out == "None");
  r = f.Run({"get", "service", "preview"});
  CHECK(absl::StrContains(r.err, "NotFound"));

  // Nothing above consumed a resourceVersion, so no watch saw anything.
  CHECK(ServicesVersion(f) == before);

  // A dryRun value other than All is refused, as kube-apiserver does.
  httplib::Client http(f.server->url());
  httplib::Result bad = http.Post(
      "/api/v1/namespaces/default/configmaps?dryRun=Yes",
      R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x"}})",
      "application/json");
  REQUIRE(bad);
  CHECK(bad->status == 422);
  CHECK(absl::StrContains(bad->body,
                          "CreateOptions.meta.k8s.io \\\"\\\" is invalid: "
                          "dryRun: Unsupported value: \\\"Yes\\\": supported "
                          "values: \\\"All\\\""));
  CHECK(f.Run({"get", "configmap", "x"}).exit_code != 0);
}

TEST_CASE("get all lists the workloads and Services; health answers") {
  Fixture f;
  REQUIRE(f.Run({"apply", "-f", kManifests}).exit_code == 0);
  KubectlResult r = f.Run({"get", "all", "-A", "-o", "name"});
  REQUIRE(r.exit_code == 0);
  CHECK(absl::StrContains(r.out, "service/nginx\n"));
  CHECK(absl::StrContains(r.out, "service/kubernetes\n"));
  CHECK(absl::StrContains(r.out, "daemonset.apps/speaker\n"));
  CHECK(absl::StrContains(r.out, "deployment.apps/controller\n"));
  CHECK_FALSE(absl::StrContains(r.out, "configmap"));
  CHECK_FALSE(absl::StrContains(r.out, "serviceaccount"));

  for (const char* path : {"/healthz", "/livez", "/readyz", "/readyz/etcd"}) {
    r = f.Run({"get", "--raw", path});
    CHECK(r.exit_code == 0);
    CHECK(r.out == "ok");
  }
  r = f.Run({"get", "--raw", "/readyz?verbose"});
  REQUIRE(r.exit_code == 0);
  CHECK(absl::StrContains(r.out, "[+]ping ok\n"));
  CHECK(absl::StrContains(r.out, "[+]etcd ok\n"));
  CHECK(absl::EndsWith(r.out, "readyz check passed\n"));
  CHECK(f.Run({"get", "--raw", "/livez/nonsense"}).exit_code != 0);
}

TEST_CASE("get shows kube-apiserver's columns for core kinds") {
  Fixture f;
  REQUIRE(f.Run({"apply", "-f", kManifests}).exit_code == 0);
  const std::string path = f.kubectl->dir() + "/kinds.yaml";
  std::ofstream(path) << R"(apiVersion: v1
kind: Node
metadata:
  name: node-a
  labels:
    node-role.kubernetes.io/control-plane: ""
status:
  conditions:
  - type: Ready
    status: "True"
  nodeInfo:
    kubeletVersion: v1.32.0
---
apiVersion: v1
kind: Secret
metadata:
  name: memberlist
  namespace: metallb-system
type: Opaque
data:
  secretkey: czNjcmV0
  other: eA==
---
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata:
  name: speaker-node-a
  namespace: metallb-system
spec:
  holderIdentity: node-a
---
apiVersion: v1
kind: Endpoints
metadata:
  name: web
subsets:
- addresses:
  - ip: 10.1.0.1
  - ip: 10.1.0.2
  - ip: 10.1.0.3
  - ip: 10.1.0.4
  ports:
  - port: 80
)";
  REQUIRE(f.Run({"apply", "-f", path}).exit_code == 0);
  auto header_and = [&](std::vector<std::string> args,
                        const std::string& header, const std::string& row) {
    KubectlResult r = f.Run(args);
    REQUIRE(r.exit_code == 0);
    INFO("kubectl ", absl::StrJoin(args, " "), ":\n", r.out);
    std::vector<std::string> lines = absl::StrSplit(r.out, '\n');
    REQUIRE(lines.size() >= 2);
    // Columns are padded; compare with runs of spaces collapsed.
    auto squeeze = [](const std::string& line) {
      std::vector<std::string> words =
          absl::StrSplit(line, ' ', absl::SkipEmpty());
      return absl::StrJoin(words, " ");
    };
    CHECK(squeeze(lines[0]) == header);
    // The AGE cell varies: a row matches when it starts with what `row`
    // has before "AGE".
    const std::string prefix = row.substr(0, row.find("AGE"));
    bool found = false;
    for (size_t i = 1; i < lines.size(); ++i) {
      found = found || absl::StartsWith(squeeze(lines[i]), prefix);
    }
    CHECK(found);
  };
  header_and({"get", "namespace", "metallb-system"}, "NAME STATUS AGE",
             "metallb-system Active AGE");
  header_and({"get", "configmap", "config", "-n", "metallb-system"},
             "NAME DATA AGE", "config 1 AGE");
  header_and({"get", "secret", "memberlist", "-n", "metallb-system"},
             "NAME TYPE DATA AGE", "memberlist Opaque 2 AGE");
  header_and({"get", "lease", "speaker-node-a", "-n", "metallb-system"},
             "NAME HOLDER AGE", "speaker-node-a node-a AGE");
  header_and({"get", "node", "node-a"}, "NAME STATUS ROLES AGE VERSION",
             "node-a Ready control-plane AGE");
  KubectlResult r = f.Run({"get", "node", "node-a", "--no-headers"});
  CHECK(absl::EndsWith(r.out, "v1.32.0\n"));
  header_and({"get", "endpoints", "web"}, "NAME ENDPOINTS AGE",
             "web 10.1.0.1:80,10.1.0.2:80,10.1.0.3:80 + 1 more... AGE");
}

TEST_CASE("HTTPS with bearer tokens") {
  Fixture f(/*tls=*/true);
  KubectlResult r = f.Run({"apply", "-f", kManifests});
  REQUIRE(r.exit_code == 0);
  r = f.Run({"get", "service", "nginx", "-o", "name"});
  CHECK(r.out == "service/nginx\n");
  r = f.Run({"get", "service", "nginx", "--token", "wrong"});
  CHECK(r.exit_code != 0);
  CHECK(absl::StrContains(r.err, "Unauthorized"));
}

TEST_CASE("custom resources through a CRD") {
  Fixture f;
  std::string path = f.kubectl->dir() + "/crd.yaml";
  std::ofstream(path) << R"(apiVersion: apiextensions.k8s.io/v1
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
)";
  std::string pool = f.kubectl->dir() + "/pool.yaml";
  std::ofstream(pool) << R"(apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: {name: pool, namespace: default}
spec: {addresses: [192.168.1.240/28]}
)";
  KubectlResult r = f.Run({"apply", "-f", path});
  REQUIRE(r.exit_code == 0);
  r = f.Run({"apply", "-f", pool});
  INFO(r.out, r.err);
  REQUIRE(r.exit_code == 0);
  CHECK(absl::StrContains(r.out, "ipaddresspool.metallb.io/pool created"));
  r = f.Run({"get", "ipaddresspools", "-o",
             "jsonpath={.items[0].spec.addresses[0]}"});
  CHECK(r.out == "192.168.1.240/28");
  r = f.Run(
      {"get", "crd", "ipaddresspools.metallb.io", "-o",
       "jsonpath={.status.conditions[?(@.type==\"Established\")].status}"});
  CHECK(r.out == "True");
  // Custom resources refuse strategic merge, as upstream does.
  r = f.Run({"patch", "ipaddresspool", "pool", "-p", R"({"spec":{"x":1}})"});
  CHECK(r.exit_code != 0);
  r = f.Run({"patch", "ipaddresspool", "pool", "--type", "merge", "-p",
             R"({"spec":{"autoAssign":false}})"});
  CHECK(r.exit_code == 0);
  r = f.Run(
      {"get", "ipaddresspool", "pool", "-o", "jsonpath={.spec.autoAssign}"});
  CHECK(r.out == "false");
  r = f.Run({"apply", "-f", pool});
  CHECK(absl::StrContains(r.out, "ipaddresspool.metallb.io/pool unchanged"));
}

TEST_CASE("the apiserver binary writes a kubeconfig kubectl can use") {
  char tmpl[] = "/tmp/lb-apiserver-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  std::string kubeconfig = dir + "/kubeconfig";
  std::string out = dir + "/out";
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    execl("lib/k8s/testing/apiserver", "apiserver", "--tls", "--token=t0k",
          ("--kubeconfig-out=" + kubeconfig).c_str(), nullptr);
    _exit(127);
  }
  std::string url;
  for (int i = 0; i < 200 && url.empty(); ++i) {
    std::ifstream in(out);
    std::string line;
    if (std::getline(in, line) && line.rfind("serving on ", 0) == 0) {
      url = line.substr(11);
    } else {
      usleep(50000);
    }
  }
  CHECK(url.rfind("https://127.0.0.1:", 0) == 0);
  std::ifstream in(kubeconfig);
  std::stringstream ss;
  ss << in.rdbuf();
  KubectlRunner kubectl(ss.str());
  KubectlResult r = kubectl.Run({"get", "namespaces", "-o", "name"});
  CHECK(r.exit_code == 0);
  CHECK(absl::StrContains(r.out, "namespace/kube-system"));
  kill(pid, SIGTERM);
  waitpid(pid, nullptr, 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace lb::k8s::testing
