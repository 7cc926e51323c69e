// The real kubectl against the API server stand-in's namespace lifecycle
// and garbage collection: `kubectl delete -f` of a manifest that starts with
// its Namespace, Terminating namespaces, protected namespaces, and
// `--cascade` for dependents named by ownerReferences.

#include <doctest/doctest.h>

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "tests/eventually.h"
#include "tests/kubectl/fixture.h"
#include "tests/kubectl/kubectl_runner.h"

namespace lb::k8s::testing {
namespace {

constexpr char kMetalLb[] = "manifests/metallb.yaml";

// Writes `text` into the kubectl's directory; returns the path.
std::string Write(Fixture& f, const std::string& name,
                  const std::string& text) {
  std::string path = f.kubectl->dir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

// Whether `kubectl get <args>` answers NotFound.
bool NotFound(Fixture& f, const std::vector<std::string>& args) {
  std::vector<std::string> get = {"get"};
  get.insert(get.end(), args.begin(), args.end());
  KubectlResult r = f.Run(get);
  return r.exit_code != 0 && absl::StrContains(r.err, "(NotFound)");
}

TEST_CASE("delete -f removes what apply -f created, its namespace last") {
  Fixture f;
  REQUIRE(f.Run({"apply", "-f", kMetalLb}).exit_code == 0);
  KubectlResult r = f.Run({"delete", "-f", kMetalLb});
  CHECK(r.exit_code == 0);
  CHECK_FALSE(absl::StrContains(r.err, "NotFound"));
  CHECK(absl::StrContains(r.out, "namespace \"metallb-system\" deleted"));
  CHECK(absl::StrContains(r.out, "deployment.apps \"controller\" deleted"));
  CHECK(absl::StrContains(r.out, "daemonset.apps \"speaker\" deleted"));
  // kubectl waited for everything to be gone, the namespace included.
  CHECK(NotFound(f, {"namespace", "metallb-system"}));

  // Without waiting: Terminating, then gone.
  REQUIRE(f.Run({"apply", "-f", kMetalLb}).exit_code == 0);
  r = f.Run({"delete", "-f", kMetalLb, "--wait=false"});
  CHECK(r.exit_code == 0);
  r = f.Run({"get", "namespace", "metallb-system", "--no-headers"});
  CHECK((absl::StrContains(r.out, "Terminating") ||
         absl::StrContains(r.err, "(NotFound)")));
  CHECK(lb::testing::Eventually([&] {
    return NotFound(f, {"namespace", "metallb-system"});
  }));
}

TEST_CASE("a Terminating namespace refuses new content until it is gone") {
  Fixture f;
  const std::string held = Write(f, "held.yaml", R"(apiVersion: v1
kind: Namespace
metadata:
  name: held
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: keep
  namespace: held
  finalizers: [example.com/keep]
)");
  REQUIRE(f.Run({"apply", "-f", held}).exit_code == 0);
  REQUIRE(f.Run({"delete", "namespace", "held", "--wait=false"}).exit_code ==
          0);
  KubectlResult r = f.Run({"get", "namespace", "held", "--no-headers"});
  REQUIRE(r.exit_code == 0);
  CHECK(absl::StrContains(r.out, "Terminating"));

  r = f.Run({"create", "configmap", "x", "-n", "held"});
  CHECK(r.exit_code == 1);
  CHECK(absl::StrContains(
      r.err,
      "configmaps \"x\" is forbidden: unable to create new content in "
      "namespace held because it is being terminated"));
  r = f.Run({"create", "configmap", "x", "-n", "held", "-o", "name",
             "--dry-run=server"});
  CHECK(r.exit_code == 1);

  // What is there may still change: once its finalizer goes, so does it,
  // and then the namespace.
  r = f.Run({"patch", "configmap", "keep", "-n", "held", "--type", "merge",
             "-p", R"({"metadata":{"finalizers":null}})"});
  CHECK(r.exit_code == 0);
  CHECK(lb::testing::Eventually([&] {
    return NotFound(f, {"namespace", "held"});
  }));
  r = f.Run({"create", "configmap", "x", "-n", "held"});
  CHECK(absl::StrContains(r.err, "namespaces \"held\" not found"));
}

TEST_CASE("default, kube-system and kube-public may not be deleted") {
  Fixture f;
  for (const char* ns : {"default", "kube-system", "kube-public"}) {
    KubectlResult r = f.Run({"delete", "namespace", ns});
    CHECK(r.exit_code == 1);
    CHECK(absl::StrContains(
        r.err, absl::StrCat("Error from server (Forbidden): namespaces \"", ns,
                            "\" is forbidden: this namespace may not be "
                            "deleted")));
  }
  CHECK(f.Run({"get", "namespace", "default"}).exit_code == 0);
}

// A Deployment "web" and a ConfigMap "web-config" that names it as owner.
void DeploymentWithDependent(Fixture& f) {
  REQUIRE(f.Run({"create", "deployment", "web", "--image=nginx"}).exit_code ==
          0);
  KubectlResult r =
      f.Run({"get", "deployment", "web", "-o", "jsonpath={.metadata.uid}"});
  REQUIRE(r.exit_code == 0);
  REQUIRE_FALSE(r.out.empty());
  const std::string dependent = Write(f, "dependent.yaml",
                                      absl::StrCat(R"(apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  ownerReferences:
  - apiVersion: apps/v1
    kind: Deployment
    name: web
    uid: )",
                                                   r.out, R"(
    blockOwnerDeletion: true
data:
  k: v
)"));
  REQUIRE(f.Run({"apply", "-f", dependent}).exit_code == 0);
}

TEST_CASE("delete --cascade: orphan keeps dependents, the others remove them") {
  Fixture f;
  DeploymentWithDependent(f);
  KubectlResult r = f.Run({"delete", "deployment", "web", "--cascade=orphan"});
  CHECK(r.exit_code == 0);
  CHECK(NotFound(f, {"deployment", "web"}));
  // kubectl waited for the Deployment to go, which it did only after its
  // dependent lost the reference to it.
  r = f.Run({"get", "configmap", "web-config", "-o",
             "jsonpath={.data.k}/{.metadata.ownerReferences}"});
  CHECK(r.exit_code == 0);
  CHECK(r.out == "v/");
  REQUIRE(f.Run({"delete", "configmap", "web-config"}).exit_code == 0);

  DeploymentWithDependent(f);
  r = f.Run({"delete", "deployment", "web", "--cascade=background"});
  CHECK(r.exit_code == 0);
  CHECK(lb::testing::Eventually([&] {
    return NotFound(f, {"configmap", "web-config"});
  }));

  // Foreground: the dependent is gone before the owner is.
  DeploymentWithDependent(f);
  r = f.Run({"delete", "deployment", "web", "--cascade=foreground"});
  CHECK(r.exit_code == 0);
  CHECK(NotFound(f, {"configmap", "web-config"}));
  CHECK(NotFound(f, {"deployment", "web"}));
}

}  // namespace
}  // namespace lb::k8s::testing
