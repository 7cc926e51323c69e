// Server-side apply with the real kubectl: field managers in managedFields,
// conflicts as kubectl prints them, --force-conflicts, removal of fields left
// out of the applied file, an Update manager's conflict and the migration
// from client-side apply.

#include <doctest/doctest.h>

#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_replace.h"
#include "lib/k8s/json.h"
#include "tests/kubectl/fixture.h"
#include "tests/kubectl/kubectl_runner.h"

namespace lb::k8s::testing {
namespace {

constexpr char kDeployment[] = R"(apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
        ports:
        - containerPort: 80
)";

constexpr char kConfigMap[] = R"(apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  color: blue
  size: large
)";

// Writes `text` to `name` in kubectl's directory; returns the path.
std::string WriteFile(Fixture& f, const std::string& name,
                      const std::string& text) {
  const std::string path = f.kubectl->dir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

json GetJson(Fixture& f, const std::string& what) {
  KubectlResult r = f.Run({"get", what, "-o", "json", "--show-managed-fields"});
  REQUIRE(r.exit_code == 0);
  return json::parse(r.out);
}

// The managedFields entry of `manager`; null when there is none.
json EntryOf(const json& obj, const std::string& manager) {
  for (const json& e : obj["metadata"].value("managedFields", json::array())) {
    if (e.value("manager", "") == manager) return e;
  }
  return json();
}

TEST_CASE("apply --server-side records kubectl's Apply entry") {
  Fixture f;
  const std::string dep = WriteFile(f, "dep.yaml", kDeployment);
  KubectlResult r = f.Run({"apply", "--server-side", "-f", dep});
  REQUIRE(r.exit_code == 0);
  CHECK(absl::StrContains(r.out, "deployment.apps/web serverside-applied"));

  r = f.Run(
      {"get", "deployment", "web", "-o", "yaml", "--show-managed-fields"});
  REQUIRE(r.exit_code == 0);
  CHECK(absl::StrContains(r.out, "manager: kubectl\n    operation: Apply\n"));
  CHECK(absl::StrContains(r.out, "k:{\"name\":\"nginx\"}:"));
  CHECK(absl::StrContains(r.out,
                          "k:{\"containerPort\":80,\"protocol\":\"TCP\"}:"));
  // Without the flag kubectl hides them.
  r = f.Run({"get", "deployment", "web", "-o", "yaml"});
  CHECK_FALSE(absl::StrContains(r.out, "managedFields"));

  const json obj = GetJson(f, "deployment/web");
  const json e = EntryOf(obj, "kubectl");
  REQUIRE(e.is_object());
  CHECK(e["apiVersion"] == "apps/v1");
  CHECK(e["fieldsType"] == "FieldsV1");
  CHECK(e["fieldsV1"]["f:spec"].contains("f:replicas"));
  // Defaults belong to no one.
  CHECK_FALSE(e["fieldsV1"]["f:spec"].contains("f:progressDeadlineSeconds"));

  // Applying the same file again changes nothing.
  const std::string rv = obj["metadata"]["resourceVersion"];
  r = f.Run({"apply", "--server-side", "-f", dep});
  REQUIRE(r.exit_code == 0);
  CHECK(GetJson(f, "deployment/web")["metadata"]["resourceVersion"] == rv);
}

TEST_CASE("another manager conflicts, --force-conflicts takes the field") {
  Fixture f;
  REQUIRE(f.Run({"apply", "--server-side", "-f",
                 WriteFile(f, "dep.yaml", kDeployment)})
              .exit_code == 0);
  const std::string three = WriteFile(
      f, "three.yaml",
      absl::StrReplaceAll(kDeployment, {{"replicas: 2", "replicas: 3"}}));
  KubectlResult r =
      f.Run({"apply", "--server-side", "--field-manager=other", "-f", three});
  CHECK(r.exit_code != 0);
  CHECK(absl::StrContains(r.err,
                          "error: Apply failed with 1 conflict: conflict with "
                          "\"kubectl\": .spec.replicas"));
  CHECK(absl::StrContains(r.err, "--force-conflicts"));
  CHECK(GetJson(f, "deployment/web")["spec"]["replicas"] == 2);

  // The same values are shared without a conflict.
  REQUIRE(f.Run({"apply", "--server-side", "--field-manager=shared", "-f",
                 WriteFile(f, "same.yaml", kDeployment)})
              .exit_code == 0);

  r = f.Run({"apply", "--server-side", "--field-manager=other",
             "--force-conflicts", "-f", three});
  REQUIRE(r.exit_code == 0);
  const json obj = GetJson(f, "deployment/web");
  CHECK(obj["spec"]["replicas"] == 3);
  CHECK(EntryOf(obj, "other")["fieldsV1"]["f:spec"].contains("f:replicas"));
  CHECK_FALSE(
      EntryOf(obj, "kubectl")["fieldsV1"]["f:spec"].contains("f:replicas"));
  CHECK_FALSE(
      EntryOf(obj, "shared")["fieldsV1"]["f:spec"].contains("f:replicas"));
  CHECK(EntryOf(obj, "shared")["fieldsV1"]["f:spec"].contains("f:selector"));
}

TEST_CASE("a field left out of the applied file is removed") {
  Fixture f;
  REQUIRE(f.Run({"apply", "--server-side", "-f",
                 WriteFile(f, "cm.yaml", kConfigMap)})
              .exit_code == 0);
  CHECK(GetJson(f, "configmap/settings")["data"]["size"] == "large");
  REQUIRE(f.Run({"apply", "--server-side", "-f",
                 WriteFile(f, "cm.yaml",
                           absl::StrReplaceAll(kConfigMap,
                                               {{"  size: large\n", ""}}))})
              .exit_code == 0);
  const json obj = GetJson(f, "configmap/settings");
  CHECK(obj["data"] == json{{"color", "blue"}});
  CHECK(EntryOf(obj, "kubectl")["fieldsV1"] ==
        json{{"f:data", {{"f:color", json::object()}}}});

  // A container left out goes as a whole.
  const std::string two =
      absl::StrReplaceAll(kDeployment, {{"        - containerPort: 80\n",
                                         "        - containerPort: 80\n"
                                         "      - name: sidecar\n"
                                         "        image: busybox\n"}});
  REQUIRE(f.Run({"apply", "--server-side", "-f", WriteFile(f, "d.yaml", two)})
              .exit_code == 0);
  CHECK(GetJson(f, "deployment/web")["spec"]["template"]["spec"]["containers"]
            .size() == 2);
  REQUIRE(f.Run({"apply", "--server-side", "-f",
                 WriteFile(f, "d.yaml", kDeployment)})
              .exit_code == 0);
  const json dep = GetJson(f, "deployment/web");
  REQUIRE(dep["spec"]["template"]["spec"]["containers"].size() == 1);
  CHECK(dep["spec"]["template"]["spec"]["containers"][0]["name"] == "nginx");
}

TEST_CASE("an Update by kubectl patch, then an apply of other replicas") {
  Fixture f;
  const std::string dep = WriteFile(f, "dep.yaml", kDeployment);
  REQUIRE(f.Run({"apply", "--server-side", "-f", dep}).exit_code == 0);
  // `kubectl scale` writes the scale subresource, which the stand-in does not
  // serve; `kubectl patch` is an Update of the same field.
  REQUIRE(f.Run({"patch", "deployment", "web", "--type=merge", "-p",
                 R"({"spec":{"replicas":5}})"})
              .exit_code == 0);
  const json obj = GetJson(f, "deployment/web");
  const json patch = EntryOf(obj, "kubectl-patch");
  REQUIRE(patch.is_object());
  CHECK(patch["operation"] == "Update");
  CHECK(patch["fieldsV1"] ==
        json{{"f:spec", {{"f:replicas", json::object()}}}});

  const std::string four = WriteFile(
      f, "four.yaml",
      absl::StrReplaceAll(kDeployment, {{"replicas: 2", "replicas: 4"}}));
  KubectlResult r = f.Run({"apply", "--server-side", "-f", four});
  CHECK(r.exit_code != 0);
  CHECK(absl::StrContains(r.err,
                          "Apply failed with 1 conflict: conflict with "
                          "\"kubectl-patch\" using apps/v1: .spec.replicas"));
  CHECK(GetJson(f, "deployment/web")["spec"]["replicas"] == 5);
}

TEST_CASE("client-side apply, then server-side apply migrates ownership") {
  Fixture f;
  const std::string cm = WriteFile(f, "cm.yaml", kConfigMap);
  REQUIRE(f.Run({"apply", "-f", cm}).exit_code == 0);
  json obj = GetJson(f, "configmap/settings");
  CHECK(EntryOf(obj, "kubectl-client-side-apply")["operation"] == "Update");
  CHECK(obj["metadata"]["annotations"].contains(
      "kubectl.kubernetes.io/last-applied-configuration"));

  KubectlResult r = f.Run({"apply", "--server-side", "-f", cm});
  REQUIRE(r.exit_code == 0);
  CHECK(absl::StrContains(r.out, "configmap/settings serverside-applied"));
  obj = GetJson(f, "configmap/settings");
  CHECK(EntryOf(obj, "kubectl-client-side-apply").is_null());
  CHECK(EntryOf(obj, "kubectl")["operation"] == "Apply");

  // What client-side apply set is now the applier's to remove.
  REQUIRE(f.Run({"apply", "--server-side", "-f",
                 WriteFile(f, "cm.yaml",
                           absl::StrReplaceAll(kConfigMap,
                                               {{"  size: large\n", ""}}))})
              .exit_code == 0);
  obj = GetJson(f, "configmap/settings");
  CHECK(obj["data"] == json{{"color", "blue"}});
}

TEST_CASE("kubectl create and label name their managers") {
  Fixture f;
  REQUIRE(
      f.Run({"create", "configmap", "made", "--from-literal=k=v"}).exit_code ==
      0);
  REQUIRE(f.Run({"label", "configmap", "made", "tier=web"}).exit_code == 0);
  const json obj = GetJson(f, "configmap/made");
  CHECK(EntryOf(obj, "kubectl-create")["fieldsV1"] ==
        json{{"f:data", {{".", json::object()}, {"f:k", json::object()}}}});
  CHECK(EntryOf(obj, "kubectl-label")["fieldsV1"] ==
        json{{"f:metadata",
              {{"f:labels",
                {{".", json::object()}, {"f:tier", json::object()}}}}}});
}

}  // namespace
}  // namespace lb::k8s::testing
