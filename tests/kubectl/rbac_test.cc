// Authentication and RBAC of the API server stand-in, driven by the real
// kubectl: service-account tokens (`kubectl create token`), `auth whoami`,
// `auth can-i`, and kube-apiserver's 401 and 403 answers for the daemons'
// own accounts from manifests/metallb.yaml.

#include <doctest/doctest.h>
#include <httplib.h>

#include <algorithm>
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "lib/k8s/json.h"
#include "tests/kubectl/fixture.h"
#include "tests/kubectl/kubectl_runner.h"

namespace lb::k8s::testing {
namespace {

constexpr char kMetalLb[] = "manifests/metallb.yaml";
constexpr char kController[] =
    "system:serviceaccount:metallb-system:controller";

struct RbacFixture : Fixture {
  RbacFixture() : Fixture(/*tls=*/true) {
    KubectlResult r = Run({"apply", "-f", kMetalLb});
    REQUIRE(r.exit_code == 0);
  }
  // A kubectl that presents `token` (none when empty).
  std::unique_ptr<KubectlRunner> As(const std::string& token) {
    return std::make_unique<KubectlRunner>(server->Kubeconfig(token));
  }
  std::string TokenFor(const std::string& account) {
    KubectlResult r = Run({"create", "token", account, "-n", "metallb-system"});
    REQUIRE(r.exit_code == 0);
    return std::string(absl::StripAsciiWhitespace(r.out));
  }
};

TEST_CASE("a service account's token identifies it and RBAC bounds it") {
  RbacFixture f;
  const std::string token = f.TokenFor("controller");
  CHECK(std::count(token.begin(), token.end(), '.') == 2);  // a JWT
  auto controller = f.As(token);

  KubectlResult who = controller->Run({"auth", "whoami"});
  INFO(who.err);
  REQUIRE(who.exit_code == 0);
  CHECK(absl::StrContains(who.out, kController));
  CHECK(absl::StrContains(who.out, "system:serviceaccounts:metallb-system"));

  // What metallb.yaml grants the controller, and what it does not.
  CHECK(controller->Run({"auth", "can-i", "list", "services", "-A"}).out ==
        "yes\n");
  CHECK(controller
            ->Run({"auth", "can-i", "patch", "services", "--subresource=status",
                   "-A"})
            .out == "yes\n");
  KubectlResult no = controller->Run({"auth", "can-i", "delete", "services"});
  CHECK(no.out == "no\n");
  CHECK(no.exit_code == 1);

  KubectlResult listed = controller->Run({"get", "services", "-A"});
  INFO(listed.err);
  CHECK(listed.exit_code == 0);
  CHECK(absl::StrContains(listed.out, "kubernetes"));

  KubectlResult pods = controller->Run({"get", "pods"});
  CHECK(pods.exit_code != 0);
  CHECK(absl::StrContains(
      pods.err, "Error from server (Forbidden): pods is forbidden: User \"" +
                    std::string(kController) +
                    "\" cannot list resource \"pods\" in API group \"\" in "
                    "the namespace \"default\""));
  KubectlResult del =
      controller->Run({"delete", "service", "kubernetes", "-n", "default"});
  CHECK(del.exit_code != 0);
  CHECK(absl::StrContains(
      del.err, "services \"kubernetes\" is forbidden: User \"" +
                   std::string(kController) +
                   "\" cannot delete resource \"services\" in API group \"\" "
                   "in the namespace \"default\""));
}

TEST_CASE("bad, stale and missing credentials") {
  RbacFixture f;
  KubectlResult forged = f.As("not-a-token")->Run({"get", "services"});
  CHECK(forged.exit_code != 0);
  CHECK(absl::StrContains(forged.err, "You must be logged in to the server"));

  // Without credentials a request is system:anonymous's (kubectl itself
  // would prompt for a password, so this one is raw HTTPS).
  httplib::SSLClient anonymous("127.0.0.1", f.server->port());
  anonymous.enable_server_certificate_verification(false);
  auto r = anonymous.Get("/api/v1/namespaces/default/services");
  REQUIRE(r);
  CHECK(r->status == 403);
  CHECK(json::parse(r->body)["message"] ==
        "services is forbidden: User \"system:anonymous\" cannot list "
        "resource \"services\" in API group \"\" in the namespace "
        "\"default\"");
  auto health = anonymous.Get("/readyz");
  REQUIRE(health);
  CHECK(health->status == 200);

  // A deleted account's tokens stop working, a new one of the same name's
  // too (its uid differs).
  const std::string token = f.TokenFor("speaker");
  auto speaker = f.As(token);
  REQUIRE(speaker->Run({"get", "nodes"}).exit_code == 0);
  REQUIRE(f.Run({"delete", "serviceaccount", "speaker", "-n", "metallb-system"})
              .exit_code == 0);
  REQUIRE(f.Run({"create", "serviceaccount", "speaker", "-n", "metallb-system"})
              .exit_code == 0);
  KubectlResult stale = speaker->Run({"get", "nodes"});
  CHECK(stale.exit_code != 0);
  CHECK(absl::StrContains(stale.err, "You must be logged in to the server"));

  KubectlResult short_lived = f.Run(
      {"create", "token", "speaker", "-n", "metallb-system", "--duration=1m"});
  CHECK(short_lived.exit_code != 0);
  CHECK(absl::StrContains(short_lived.err,
                          "may not specify a duration less than 10 minutes"));
}

}  // namespace
}  // namespace lb::k8s::testing
