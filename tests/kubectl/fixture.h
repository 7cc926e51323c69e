// tests/kubectl/fixture.h
//
// A stand-in API server on a real clock and the real kubectl pointed at it,
// for kubectl tests.
//
//   Fixture f;                 // HTTP, any caller accepted
//   Fixture f(/*tls=*/true);   // HTTPS, bearer token "s3cret"
//   KubectlResult r = f.Run({"get", "services"});
//
// Thread-safety: not thread-safe.

#ifndef LB_TESTS_KUBECTL_FIXTURE_H_
#define LB_TESTS_KUBECTL_FIXTURE_H_

#include <doctest/doctest.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "lib/base/clock.h"
#include "lib/k8s/testing/api_server.h"
#include "tests/kubectl/kubectl_runner.h"
#include "tests/status_matchers.h"

namespace lb::k8s::testing {

// The manifests every kubectl test starts from (MetalLB v0.3's and the
// tutorial's nginx).
inline constexpr char kManifests[] = "tests/kubectl/testdata/manifests.yaml";

struct Fixture {
  explicit Fixture(bool tls = false) {
    ApiServerOptions options;
    options.clock = &clock;
    options.tls = tls;
    if (tls) options.tokens = {"s3cret"};
    auto s = ApiServer::Start(options);
    REQUIRE_OK(s);
    server = std::move(*s);
    kubectl = std::make_unique<KubectlRunner>(server->Kubeconfig("s3cret"));
  }
  // Runs kubectl to completion; its stderr is attached to failing checks.
  KubectlResult Run(const std::vector<std::string>& args) {
    KubectlResult r = kubectl->Run(args);
    INFO("kubectl stderr: ", r.err);
    return r;
  }
  RealClock clock;
  std::unique_ptr<ApiServer> server;
  std::unique_ptr<KubectlRunner> kubectl;
};

}  // namespace lb::k8s::testing

#endif  // LB_TESTS_KUBECTL_FIXTURE_H_
