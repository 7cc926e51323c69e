#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <thread>

#include "absl/strings/match.h"
#include "lib/base/clock.h"
#include "lib/k8s/config.h"
#include "lib/k8s/errors.h"
#include "lib/k8s/http_client.h"
#include "lib/k8s/testing/api_server.h"
#include "lib/k8s/transport.h"
#include "tests/status_matchers.h"

namespace lb::k8s {
namespace {

using ::lb::k8s::testing::ApiServer;
using ::lb::k8s::testing::ApiServerOptions;

struct Fixture {
  explicit Fixture(bool tls = false, std::vector<std::string> tokens = {}) {
    ApiServerOptions o;
    o.clock = &clock;
    o.tls = tls;
    o.tokens = tokens;
    auto s = ApiServer::Start(o);
    REQUIRE_OK(s);
    server = std::move(*s);
    auto cfg = ParseKubeconfig(
        server->Kubeconfig(tokens.empty() ? "" : tokens[0]), "");
    REQUIRE_OK(cfg);
    config = *cfg;
    auto c = HttpClient::Create(config, clock);
    REQUIRE_OK(c);
    client = std::move(*c);
  }
  RealClock clock;
  std::unique_ptr<ApiServer> server;
  Config config;
  std::unique_ptr<Client> client;
};

json ConfigMap(const std::string& name, json data) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}, {"labels", {{"app", "lb"}}}}},
          {"data", data}};
}

TEST_CASE("create, get, list, patch, delete with server errors surfaced") {
  Fixture f;
  ASSIGN_OR_FAIL(json created, f.client->Create(kConfigMaps, "default",
                                                ConfigMap("c", {{"k", "v"}})));
  CHECK(created["metadata"]["uid"].is_string());
  CHECK_STATUS(f.client->Create(kConfigMaps, "default", ConfigMap("c", {})),
               absl::StatusCode::kAlreadyExists,
               "AlreadyExists: configmaps \"c\" already exists");
  ASSIGN_OR_FAIL(json got, f.client->Get(kConfigMaps, "default", "c"));
  CHECK(got["data"]["k"] == "v");
  ASSIGN_OR_FAIL(ObjectList list,
                 f.client->List(kConfigMaps, "", {.label_selector = "app=lb"}));
  REQUIRE(list.items.size() == 1);
  CHECK(list.items[0]["kind"] == "ConfigMap");
  CHECK(!list.resource_version.empty());
  ASSIGN_OR_FAIL(json patched,
                 f.client->MergePatch(kConfigMaps, "default", "c",
                                      {{"data", {{"k2", "v2"}}}}));
  CHECK(patched["data"] == json({{"k", "v"}, {"k2", "v2"}}));
  ASSIGN_OR_FAIL(patched,
                 f.client->JsonPatch(
                     kConfigMaps, "default", "c",
                     json::parse(R"([{"op":"remove","path":"/data/k"}])")));
  CHECK(patched["data"] == json({{"k2", "v2"}}));
  // A stale resourceVersion in a merge patch is a conflict.
  absl::Status stale =
      f.client
          ->MergePatch(
              kConfigMaps, "default", "c",
              {{"metadata",
                {{"resourceVersion", got["metadata"]["resourceVersion"]}}},
               {"data", {{"x", "y"}}}})
          .status();
  CHECK(IsConflict(stale));
  CHECK(Reason(stale) == "Conflict");
  CHECK(absl::StrContains(stale.message(), "the object has been modified"));
  CHECK_OK(f.client->Delete(kConfigMaps, "default", "c"));
  absl::Status gone = f.client->Get(kConfigMaps, "default", "c").status();
  CHECK(absl::IsNotFound(gone));
  CHECK(HttpCode(gone) == 404);
  CHECK_STATUS(f.client->Create(kConfigMaps, "nosuch", ConfigMap("c", {})),
               absl::StatusCode::kNotFound, "namespaces \"nosuch\" not found");
}

TEST_CASE("a list with a limit is fetched in pages of one snapshot") {
  Fixture f;
  for (const char* n : {"a", "b", "c", "d", "e"}) {
    REQUIRE_OK(f.client->Create(kConfigMaps, "default", ConfigMap(n, {})));
  }
  const int64_t before = f.server->request_count();
  ASSIGN_OR_FAIL(ObjectList list,
                 f.client->List(kConfigMaps, "default", {.limit = 2}));
  CHECK(f.server->request_count() - before == 3);
  REQUIRE(list.items.size() == 5);
  CHECK(list.items[4]["metadata"]["name"] == "e");
  CHECK(list.items[4]["kind"] == "ConfigMap");
  CHECK(list.resource_version == std::to_string(f.server->resource_version()));

  std::vector<std::string> names;
  ASSIGN_OR_FAIL(
      std::string rv,
      f.client->ListEach(kConfigMaps, "default", {.limit = 3}, [&](json item) {
        CHECK(item["apiVersion"] == "v1");
        names.push_back(item["metadata"]["name"]);
      }));
  CHECK(names == std::vector<std::string>{"a", "b", "c", "d", "e"});
  CHECK(rv == list.resource_version);
}

TEST_CASE("server warnings reach the caller; dry runs and strict writes") {
  Fixture f;
  std::vector<std::string> warnings;
  f.config.on_warning = [&](const std::string& w) { warnings.push_back(w); };
  ASSIGN_OR_FAIL(auto client, HttpClient::Create(f.config, f.clock));
  json cm = ConfigMap("w", {{"k", "v"}});
  cm["bogus"] = 1;
  REQUIRE_OK(client->Create(kConfigMaps, "default", cm));
  CHECK(warnings == std::vector<std::string>{"unknown field \"bogus\""});

  CHECK_STATUS(client->Create(kConfigMaps, "default", cm,
                              {.field_validation = "Strict"}),
               absl::StatusCode::kInvalidArgument,
               "strict decoding error: unknown field \"bogus\"");

  json dry = ConfigMap("dry", {});
  ASSIGN_OR_FAIL(json answered, client->Create(kConfigMaps, "default", dry,
                                               {.dry_run = true}));
  CHECK(answered["metadata"]["uid"].is_string());
  CHECK(absl::IsNotFound(client->Get(kConfigMaps, "default", "dry").status()));
  REQUIRE_OK(
      client->Delete(kConfigMaps, "default", "w", "", {.dry_run = true}));
  CHECK_OK(client->Get(kConfigMaps, "default", "w").status());
  ASSIGN_OR_FAIL(json patched,
                 client->MergePatch(kConfigMaps, "default", "w",
                                    {{"data", {{"k", "dry"}}}},
                                    Subresource::kNone, {.dry_run = true}));
  CHECK(patched["data"]["k"] == "dry");
  ASSIGN_OR_FAIL(json stored, client->Get(kConfigMaps, "default", "w"));
  CHECK(stored["data"]["k"] == "v");
}

TEST_CASE("Warning header values") {
  CHECK(ParseWarningHeader(R"(299 - "unknown field \"x\"")") ==
        std::optional<std::string>("unknown field \"x\""));
  CHECK(
      ParseWarningHeader(
          R"(299 kube-apiserver "deprecated" "Sat, 01 Jan 2000 00:00:00 GMT")") ==
      std::optional<std::string>("deprecated"));
  CHECK(ParseWarningHeader("299 - unquoted") == std::nullopt);
  CHECK(ParseWarningHeader(R"(299 - "unterminated)") == std::nullopt);
  CHECK(ParseWarningHeader("") == std::nullopt);
}

TEST_CASE("watch delivers events and ends on server timeout and 410") {
  Fixture f;
  ASSIGN_OR_FAIL(ObjectList list, f.client->List(kConfigMaps, "default"));
  std::vector<WatchEvent> events;
  StreamCancel cancel;
  std::thread watcher([&] {
    WatchOptions o;
    o.resource_version = list.resource_version;
    o.timeout = absl::Seconds(2);
    absl::Status s = f.client->Watch(
        kConfigMaps, "default", o,
        [&](WatchEvent e) {
          events.push_back(std::move(e));
          return true;
        },
        &cancel);
    CHECK_OK(s);  // ended cleanly by timeoutSeconds
  });
  REQUIRE_OK(f.client->Create(kConfigMaps, "default", ConfigMap("a", {})));
  REQUIRE_OK(f.client->MergePatch(kConfigMaps, "default", "a",
                                  {{"data", {{"x", "1"}}}}));
  REQUIRE_OK(f.client->Delete(kConfigMaps, "default", "a"));
  watcher.join();
  std::vector<WatchEvent::Type> types;
  for (const auto& e : events) {
    if (e.type != WatchEvent::Type::kBookmark) types.push_back(e.type);
  }
  CHECK(types == std::vector<WatchEvent::Type>{WatchEvent::Type::kAdded,
                                               WatchEvent::Type::kModified,
                                               WatchEvent::Type::kDeleted});
  f.server->CompactHistory();
  WatchOptions o;
  o.resource_version = list.resource_version;
  absl::Status s = f.client->Watch(kConfigMaps, "default", o,
                                   [](WatchEvent) { return true; });
  CHECK(IsGone(s));
  CHECK(absl::StrContains(s.message(), "too old resource version"));
}

TEST_CASE("watch cancel from another thread") {
  Fixture f;
  StreamCancel cancel;
  absl::Status s;
  std::thread watcher([&] {
    s = f.client->Watch(
        kConfigMaps, "default", {}, [](WatchEvent) { return true; }, &cancel);
  });
  for (int i = 0; i < 1000 && f.server->open_watches() == 0; ++i) {
    f.clock.Sleep(absl::Milliseconds(10));
  }
  REQUIRE(f.server->open_watches() == 1);
  cancel.Cancel();
  watcher.join();
  CHECK(s.code() == absl::StatusCode::kCancelled);
}

TEST_CASE("HTTPS: verification on by default, a wrong CA is rejected") {
  Fixture f(/*tls=*/true, {"tok"});
  REQUIRE_OK(f.client->Get(kNamespaces, "", "default"));
  // A different self-signed CA.
  RealClock clock;
  ApiServerOptions other;
  other.clock = &clock;
  other.tls = true;
  ASSIGN_OR_FAIL(auto other_server, ApiServer::Start(other));
  Config wrong = f.config;
  wrong.ca_pem = other_server->ca_pem();
  ASSIGN_OR_FAIL(auto c, HttpClient::Create(wrong, clock));
  CHECK_STATUS(c->Get(kNamespaces, "", "default"),
               absl::StatusCode::kUnavailable, "verification failed");
  // No CA at all: the system roots do not know the server either.
  Config none = f.config;
  none.ca_pem.clear();
  ASSIGN_OR_FAIL(c, HttpClient::Create(none, clock));
  CHECK(!c->Get(kNamespaces, "", "default").ok());
  // Wrong token: 401 Unauthenticated.
  Config bad_token = f.config;
  bad_token.token = "nope";
  ASSIGN_OR_FAIL(c, HttpClient::Create(bad_token, clock));
  absl::Status s = c->Get(kNamespaces, "", "default").status();
  CHECK(s.code() == absl::StatusCode::kUnauthenticated);
  CHECK(Reason(s) == "Unauthorized");
}

TEST_CASE("HTTPS: the stand-in's certificate names its listen address") {
  // 127.0.0.2 is local but not in the loopback names every certificate has.
  RealClock clock;
  ApiServerOptions o;
  o.clock = &clock;
  o.tls = true;
  o.host = "127.0.0.2";
  ASSIGN_OR_FAIL(auto server, ApiServer::Start(o));
  CHECK(server->url().rfind("https://127.0.0.2:", 0) == 0);
  ASSIGN_OR_FAIL(Config cfg, ParseKubeconfig(server->Kubeconfig(""), ""));
  ASSIGN_OR_FAIL(auto c, HttpClient::Create(cfg, clock));
  REQUIRE_OK(c->Get(kNamespaces, "", "default"));
}

TEST_CASE("HTTPS: a kept-alive connection the server closed is replaced") {
  // The server closes the client's kept-alive connection (as it does to one
  // idle for 1 s, here by restarting). Over TLS the closed socket still looks
  // readable (the close_notify alert), so reusing it fails.
  Fixture f(/*tls=*/true, {"tok"});
  REQUIRE_OK(f.client->Get(kNamespaces, "", "default"));
  f.server->Stop();
  REQUIRE_OK(f.server->Restart());
  REQUIRE_OK(f.client->Create(kConfigMaps, "default",
                              ConfigMap("after-close", {{"k", "v"}})));
  f.server->Stop();
  REQUIRE_OK(f.server->Restart());
  REQUIRE_OK(f.client->Get(kConfigMaps, "default", "after-close"));
}

TEST_CASE("token file rotation: re-read after a 401") {
  Fixture f(/*tls=*/true, {"old"});
  std::string path = "/tmp/lb-k8s-token-" + std::to_string(f.server->port());
  std::ofstream(path) << "old\n";
  Config cfg = f.config;
  cfg.token.clear();
  cfg.token_file = path;
  ASSIGN_OR_FAIL(auto c, HttpClient::Create(cfg, f.clock));
  REQUIRE_OK(c->Get(kNamespaces, "", "default"));
  f.server->SetTokens({"new"});
  std::ofstream(path, std::ios::trunc) << "new\n";
  CHECK_OK(c->Get(kNamespaces, "", "default"));
  std::remove(path.c_str());
}

TEST_CASE("retries 503 with Retry-After; plain failures surface") {
  Fixture f;
  f.server->FailNextRequests(2, 500);
  absl::Status s = f.client->Get(kNamespaces, "", "default").status();
  CHECK(s.code() == absl::StatusCode::kInternal);
  CHECK(Reason(s) == "InternalError");
  CHECK_STATUS(f.client->Get(kNamespaces, "", "default"),
               absl::StatusCode::kInternal, "injected failure");
  CHECK_OK(f.client->Get(kNamespaces, "", "default"));
  // 503 with Retry-After would be retried; without it the error surfaces.
  f.server->FailNextRequests(1, 503);
  CHECK(f.client->Get(kNamespaces, "", "default").status().code() ==
        absl::StatusCode::kUnavailable);
  f.server->Stop();
  CHECK_STATUS(f.client->Get(kNamespaces, "", "default"),
               absl::StatusCode::kUnavailable, "connection failed");
  REQUIRE_OK(f.server->Restart());
  CHECK_OK(f.client->Get(kNamespaces, "", "default"));
}

TEST_CASE("kubeconfig parsing") {
  Environment env = SystemEnvironment();
  std::string yaml = R"(
apiVersion: v1
kind: Config
current-context: a
clusters:
- name: c1
  cluster: {server: "https://10.0.0.1:6443", insecure-skip-tls-verify: true}
contexts:
- name: a
  context: {cluster: c1, user: u1, namespace: lb}
- name: b
  context: {cluster: missing, user: u1}
users:
- name: u1
  user: {token: abc}
)";
  ASSIGN_OR_FAIL(Config c, ParseKubeconfig(yaml, "", "", env));
  CHECK(c.server == "https://10.0.0.1:6443");
  CHECK(c.insecure_skip_tls_verify);
  CHECK(c.token == "abc");
  CHECK(c.default_namespace == "lb");
  CHECK_STATUS(ParseKubeconfig(yaml, "", "b", env), absl::StatusCode::kNotFound,
               "missing");
  CHECK_STATUS(ParseKubeconfig(yaml, "", "zzz", env),
               absl::StatusCode::kNotFound, "zzz");
  CHECK_STATUS(ParseKubeconfig("a: [", "", "", env),
               absl::StatusCode::kInvalidArgument, "malformed YAML");
}

TEST_CASE("in-cluster config from injected environment") {
  Environment env;
  std::map<std::string, std::string> vars = {
      {"KUBERNETES_SERVICE_HOST", "fd00::1"},
      {"KUBERNETES_SERVICE_PORT", "443"}};
  std::map<std::string, std::string> files = {{"/sa/token", "tok\n"},
                                              {"/sa/ca.crt", "PEM"},
                                              {"/sa/namespace", "lb-system"}};
  env.getenv = [&](const std::string& n) -> std::optional<std::string> {
    auto it = vars.find(n);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
  env.read_file = [&](const std::string& p) -> absl::StatusOr<std::string> {
    auto it = files.find(p);
    if (it == files.end()) return absl::NotFoundError(p);
    return it->second;
  };
  ASSIGN_OR_FAIL(Config c, InClusterConfig(env, "/sa"));
  CHECK(c.server == "https://[fd00::1]:443");
  CHECK(c.token == "tok");
  CHECK(c.token_file == "/sa/token");
  CHECK(c.default_namespace == "lb-system");
  vars.erase("KUBERNETES_SERVICE_HOST");
  CHECK_STATUS(InClusterConfig(env, "/sa"),
               absl::StatusCode::kFailedPrecondition,
               "KUBERNETES_SERVICE_HOST");
}

}  // namespace
}  // namespace lb::k8s
