#include "cmd/common/status_server.h"

#include <doctest/doctest.h>
#include <httplib.h>

#include <atomic>

#include "absl/strings/match.h"
#include "tests/status_matchers.h"

namespace lb::cmd {
namespace {

TEST_CASE("the status server serves metrics, health and readiness") {
  Metrics metrics;
  std::atomic<bool> ready{false};
  std::atomic<int> renders{0};
  StatusServerOptions o;
  o.host = "127.0.0.1";
  o.port = 0;
  o.ready = [&] { return ready.load(); };
  o.not_ready = "no state yet\n";
  o.before_metrics = [&] {
    metrics.Set("lb_renders", {}, ++renders, "Renders");
  };
  ASSIGN_OR_FAIL(std::unique_ptr<StatusServer> server,
                 StatusServer::Start(metrics, o));
  REQUIRE(server->port() > 0);
  httplib::Client http("127.0.0.1", server->port());
  http.set_read_timeout(5, 0);

  auto health = http.Get("/healthz");
  REQUIRE(health);
  CHECK(health->status == 200);
  auto not_ready = http.Get("/readyz");
  REQUIRE(not_ready);
  CHECK(not_ready->status == 503);
  CHECK(not_ready->body == "no state yet\n");
  ready = true;
  auto now_ready = http.Get("/readyz");
  REQUIRE(now_ready);
  CHECK(now_ready->status == 200);

  auto scrape = http.Get("/metrics");
  REQUIRE(scrape);
  CHECK(scrape->status == 200);
  CHECK(absl::StrContains(scrape->body, "lb_renders 1"));
  CHECK(absl::StrContains(http.Get("/metrics")->body, "lb_renders 2"));
}

TEST_CASE("an address it cannot bind is refused by name") {
  Metrics metrics;
  StatusServerOptions o;
  // A documentation address no interface of this machine carries: bind()
  // fails; nothing is sent.
  o.host = "192.0.2.1";
  o.port = 7472;
  CHECK_STATUS(StatusServer::Start(metrics, o), absl::StatusCode::kUnavailable,
               "cannot serve metrics on 192.0.2.1:7472");
}

}  // namespace
}  // namespace lb::cmd
