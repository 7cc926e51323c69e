// The API server stand-in's namespace controller and garbage collector: a
// thread of its own that runs ObjectStore::Collect() collect_delay after the
// latest DELETE (at most five times that after the first change), stops with
// the server and starts again with it; DELETE's propagationPolicy.

#include "lib/k8s/testing/api_server.h"

#include <doctest/doctest.h>
#include <httplib.h>

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "lib/base/clock.h"
#include "lib/base/simulated_clock.h"
#include "lib/k8s/json.h"
#include "tests/eventually.h"
#include "tests/status_matchers.h"

namespace lb::k8s::testing {
namespace {

std::string Named(const std::string& kind, const std::string& name) {
  return json{
      {"apiVersion", "v1"}, {"kind", kind}, {"metadata", {{"name", name}}}}
      .dump();
}

struct Server {
  Server(Clock& clock, absl::Duration collect_delay) {
    ApiServerOptions options;
    options.clock = &clock;
    options.collect_delay = collect_delay;
    options.threads = 8;
    auto s = ApiServer::Start(options);
    REQUIRE_OK(s);
    server = std::move(*s);
    http = std::make_unique<httplib::Client>(server->url());
  }
  // The HTTP code of a POST of `body` to `path`.
  int Post(const std::string& path, const std::string& body) {
    httplib::Result r = http->Post(path, body, "application/json");
    REQUIRE(r);
    return r->status;
  }
  int Delete(const std::string& path) {
    httplib::Result r = http->Delete(path);
    REQUIRE(r);
    return r->status;
  }
  bool Exists(const std::string& plural, const std::string& ns,
              const std::string& name) {
    return server->GetObject("", plural, ns, name).ok();
  }
  // A namespace `name` with a ConfigMap in it.
  void CreateNamespace(const std::string& name) {
    REQUIRE(Post("/api/v1/namespaces", Named("Namespace", name)) == 201);
    REQUIRE(Post(absl::StrCat("/api/v1/namespaces/", name, "/configmaps"),
                 Named("ConfigMap", "a")) == 201);
  }
  bool Gone(const std::string& ns) {
    return !Exists("namespaces", "", ns) && !Exists("configmaps", ns, "a");
  }

  std::unique_ptr<ApiServer> server;
  std::unique_ptr<httplib::Client> http;
};

TEST_CASE("without the collector a deleted namespace stays Terminating") {
  RealClock clock;
  Server s(clock, absl::InfiniteDuration());
  s.CreateNamespace("apps");
  httplib::Result r = s.http->Delete("/api/v1/namespaces/apps");
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(json::parse(r->body)["status"]["phase"] == "Terminating");
  r = s.http->Post("/api/v1/namespaces/apps/configmaps",
                   Named("ConfigMap", "b"), "application/json");
  REQUIRE(r);
  CHECK(r->status == 403);
  json status = json::parse(r->body);
  CHECK(status["message"] ==
        "configmaps \"b\" is forbidden: unable to create new content in "
        "namespace apps because it is being terminated");
  CHECK(status["details"]["causes"][0]["reason"] == "NamespaceTerminating");
  CHECK(s.Exists("configmaps", "apps", "a"));
  CHECK(s.Delete("/api/v1/namespaces/default") == 403);
}

TEST_CASE("the collector runs collect_delay after the latest DELETE") {
  SimulatedClock clock;
  Server s(clock, absl::Seconds(10));
  // The collector has seen the new store and waits on the clock.
  REQUIRE(lb::testing::Eventually([&] { return clock.WaiterCount() == 1; }));
  s.CreateNamespace("apps");
  REQUIRE(s.Post("/api/v1/namespaces/default/configmaps",
                 Named("ConfigMap", "b")) == 201);
  REQUIRE(s.Delete("/api/v1/namespaces/apps") == 200);
  clock.AdvanceTime(absl::Seconds(9));
  REQUIRE(s.Delete("/api/v1/namespaces/default/configmaps/b") == 200);
  clock.AdvanceTime(absl::Seconds(1));
  // Simulated time stands still: nothing may happen, however long we look.
  CHECK_FALSE(lb::testing::Eventually([&] { return s.Gone("apps"); },
                                      absl::Milliseconds(200)));
  CHECK(s.Exists("namespaces", "", "apps"));
  clock.AdvanceTime(absl::Seconds(9));
  CHECK(lb::testing::Eventually([&] { return s.Gone("apps"); }));
}

TEST_CASE("DELETEs in a row put the collector off 5 delays at most") {
  SimulatedClock clock;
  Server s(clock, absl::Seconds(10));
  REQUIRE(lb::testing::Eventually([&] { return clock.WaiterCount() == 1; }));
  s.CreateNamespace("apps");
  REQUIRE(s.Delete("/api/v1/namespaces/apps") == 200);
  for (int i = 1; i <= 6; ++i) {
    clock.AdvanceTime(absl::Seconds(8));
    REQUIRE(s.Post("/api/v1/namespaces/default/configmaps",
                   Named("ConfigMap", "b")) == 201);
    REQUIRE(s.Delete("/api/v1/namespaces/default/configmaps/b") == 200);
  }
  clock.AdvanceTime(absl::Seconds(1));  // 49 s after the first change
  CHECK_FALSE(lb::testing::Eventually([&] { return s.Gone("apps"); },
                                      absl::Milliseconds(200)));
  clock.AdvanceTime(absl::Seconds(1));
  CHECK(lb::testing::Eventually([&] { return s.Gone("apps"); }));
}

TEST_CASE("the collector stops with the server and runs again after") {
  RealClock clock;
  Server s(clock, absl::Milliseconds(20));
  s.CreateNamespace("apps");
  REQUIRE(s.Delete("/api/v1/namespaces/apps") == 200);
  CHECK(lb::testing::Eventually([&] { return s.Gone("apps"); }));
  s.server->Stop();
  REQUIRE_OK(s.server->Restart());
  s.CreateNamespace("more");
  REQUIRE(s.Delete("/api/v1/namespaces/more") == 200);
  CHECK(lb::testing::Eventually([&] { return s.Gone("more"); }));
}

TEST_CASE("?propagationPolicy= chooses what happens to dependents") {
  RealClock clock;
  Server s(clock, absl::Milliseconds(20));
  const std::string configmaps = "/api/v1/namespaces/default/configmaps";
  httplib::Result r =
      s.http->Post(configmaps, Named("ConfigMap", "owner"), "application/json");
  REQUIRE(r);
  REQUIRE(r->status == 201);
  const json owner = json::parse(r->body);
  json dependent = json::parse(Named("ConfigMap", "dependent"));
  dependent["metadata"]["ownerReferences"] = {
      {{"apiVersion", "v1"},
       {"kind", "ConfigMap"},
       {"name", "owner"},
       {"uid", owner["metadata"]["uid"]}}};
  REQUIRE(s.Post(configmaps, dependent.dump()) == 201);

  r = s.http->Delete(configmaps + "/owner?propagationPolicy=Sideways");
  REQUIRE(r);
  CHECK(r->status == 422);
  CHECK(json::parse(r->body)["details"]["causes"][0]["field"] ==
        "propagationPolicy");

  r = s.http->Delete(configmaps + "/owner?propagationPolicy=Orphan");
  REQUIRE(r);
  CHECK(r->status == 202);
  CHECK(json::parse(r->body)["metadata"]["finalizers"] == json({"orphan"}));
  CHECK(lb::testing::Eventually(
      [&] { return !s.Exists("configmaps", "default", "owner"); }));
  auto kept = s.server->GetObject("", "configmaps", "default", "dependent");
  REQUIRE_OK(kept);
  CHECK_FALSE((*kept)["metadata"].contains("ownerReferences"));
}

}  // namespace
}  // namespace lb::k8s::testing
