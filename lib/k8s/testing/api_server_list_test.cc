// The API server stand-in's lists and watches over HTTP: items as
// kube-apiserver encodes them, pages, refused selectors, watches from a
// version not reached yet, idle watches ended by the server, and hundreds of
// watches open at once.

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "lib/base/clock.h"
#include "lib/k8s/json.h"
#include "lib/k8s/testing/api_server.h"
#include "tests/eventually.h"
#include "tests/status_matchers.h"

namespace lb::k8s::testing {
namespace {

struct Fixture {
  explicit Fixture(ApiServerOptions options = {}) {
    options.clock = &clock;
    auto s = ApiServer::Start(options);
    REQUIRE_OK(s);
    server = std::move(*s);
    http = std::make_unique<httplib::Client>("127.0.0.1", server->port());
    http->set_read_timeout(30, 0);
  }
  json Get(const std::string& path, int want = 200) {
    auto r = http->Get(path.c_str());
    REQUIRE(r);
    INFO(path, " -> ", r->body);
    CHECK(r->status == want);
    return json::parse(r->body);
  }
  void CreateConfigMap(const std::string& name) {
    json cm = {{"apiVersion", "v1"},
               {"kind", "ConfigMap"},
               {"metadata", {{"name", name}}},
               {"data", {{"k", "v"}}}};
    auto r = http->Post("/api/v1/namespaces/default/configmaps", cm.dump(),
                        "application/json");
    REQUIRE(r);
    REQUIRE(r->status == 201);
  }
  RealClock clock;
  std::unique_ptr<ApiServer> server;
  std::unique_ptr<httplib::Client> http;
};

TEST_CASE("built-in list items carry no apiVersion or kind") {
  Fixture f;
  f.CreateConfigMap("a");
  json list = f.Get("/api/v1/namespaces/default/configmaps");
  CHECK(list["kind"] == "ConfigMapList");
  CHECK(list["apiVersion"] == "v1");
  REQUIRE(list["items"].size() == 1);
  CHECK(list["items"][0]["metadata"]["name"] == "a");
  CHECK_FALSE(list["items"][0].contains("kind"));
  CHECK_FALSE(list["items"][0].contains("apiVersion"));
  // A single object keeps them.
  json one = f.Get("/api/v1/namespaces/default/configmaps/a");
  CHECK(one["kind"] == "ConfigMap");
}

TEST_CASE("limit and continue page through a list") {
  Fixture f;
  for (const char* n : {"a", "b", "c"}) f.CreateConfigMap(n);
  json first = f.Get("/api/v1/namespaces/default/configmaps?limit=2");
  CHECK(first["items"].size() == 2);
  CHECK(first["metadata"]["remainingItemCount"] == 1);
  REQUIRE(first["metadata"]["continue"].is_string());
  f.CreateConfigMap("d");  // after the snapshot: not on the next page
  json second =
      f.Get("/api/v1/namespaces/default/configmaps?limit=2&continue=" +
            first["metadata"]["continue"].get<std::string>());
  REQUIRE(second["items"].size() == 1);
  CHECK(second["items"][0]["metadata"]["name"] == "c");
  CHECK_FALSE(second["metadata"].contains("continue"));
  CHECK(second["metadata"]["resourceVersion"] ==
        first["metadata"]["resourceVersion"]);
}

TEST_CASE("unsupported field selectors and list options are refused") {
  Fixture f;
  json bad = f.Get("/api/v1/pods?fieldSelector=spec.foo%3Dbar", 400);
  CHECK(bad["reason"] == "BadRequest");
  CHECK(bad["message"] == "field label not supported: spec.foo");
  json invalid = f.Get("/api/v1/configmaps?resourceVersionMatch=Exact", 422);
  CHECK(invalid["reason"] == "Invalid");
  CHECK(invalid["details"]["kind"] == "ListOptions");
  CHECK(invalid["details"]["causes"][0]["field"] == "resourceVersionMatch");
}

TEST_CASE(
    "a list or watch from a version not reached yet gets kube-apiserver's "
    "error") {
  ApiServerOptions options;
  options.future_version_wait = absl::Milliseconds(50);
  Fixture f(options);
  const int64_t future = f.server->resource_version() + 100;
  json list =
      f.Get(absl::StrCat("/api/v1/configmaps?resourceVersion=", future), 504);
  CHECK(list["reason"] == "Timeout");
  CHECK(list["details"]["causes"][0]["reason"] == "ResourceVersionTooLarge");

  auto r = f.http->Get(
      absl::StrCat("/api/v1/configmaps?watch=true&resourceVersion=", future)
          .c_str());
  REQUIRE(r);
  CHECK(r->status == 200);
  json event = json::parse(r->body);
  CHECK(event["type"] == "ERROR");
  CHECK(event["object"]["code"] == 504);
  CHECK(event["object"]["message"].get<std::string>().find(
            "Too large resource version: ") == 0);
}

TEST_CASE("a watch without timeoutSeconds is ended by the server") {
  ApiServerOptions options;
  options.min_request_timeout = absl::Milliseconds(300);
  Fixture f(options);
  const absl::Time start = absl::Now();
  auto r = f.http->Get("/api/v1/configmaps?watch=true&resourceVersion=1");
  REQUIRE(r);  // the stream ended: the response is complete
  CHECK(r->status == 200);
  CHECK(absl::Now() - start >= absl::Milliseconds(300));
}

// A TCP connection that sends a watch request and never reads.
class IdleWatch {
 public:
  explicit IdleWatch(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    const std::string req =
        "GET /api/v1/configmaps?watch=true HTTP/1.1\r\nHost: x\r\n\r\n";
    REQUIRE(send(fd_, req.data(), req.size(), 0) ==
            static_cast<ssize_t>(req.size()));
  }
  ~IdleWatch() { close(fd_); }

 private:
  int fd_ = -1;
};

TEST_CASE("hundreds of open watches leave the server answering") {
  Fixture f;
  std::vector<std::unique_ptr<IdleWatch>> watches;
  for (int i = 0; i < 500; ++i) {
    watches.push_back(std::make_unique<IdleWatch>(f.server->port()));
  }
  REQUIRE(lb::testing::Eventually(
      [&] { return f.server->open_watches() == 500; }, absl::Seconds(60)));
  json version = f.Get("/version");
  CHECK(version.contains("gitVersion"));
  f.CreateConfigMap("while-watched");
  watches.clear();
  CHECK(lb::testing::Eventually([&] { return f.server->open_watches() == 0; },
                                absl::Seconds(60)));
}

}  // namespace
}  // namespace lb::k8s::testing
