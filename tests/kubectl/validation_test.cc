// The real kubectl's field validation against the API server stand-in: the
// OpenAPI documents kubectl reads, and what the server does with unknown,
// duplicate and mistyped fields for each `--validate` mode.

#include <doctest/doctest.h>
#include <httplib.h>

#include <fstream>
#include <string>

#include "absl/strings/match.h"
#include "lib/k8s/json.h"
#include "tests/kubectl/fixture.h"
#include "tests/kubectl/kubectl_runner.h"

namespace lb::k8s::testing {
namespace {

constexpr char kService[] = R"(apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  type: LoadBalancer
  selector: {app: web}
  ports:
  - name: http
    port: 80
)";

// Writes `text` into the kubectl's directory; returns the path.
std::string Write(Fixture& f, const std::string& name,
                  const std::string& text) {
  std::string path = f.kubectl->dir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

std::string WithUnknownField() {
  std::string s = kService;
  s.replace(s.find("    port: 80"), 12, "    port: 80\n    portz: 81");
  return s;
}

TEST_CASE("kubectl apply validates on the server, with no client flags") {
  Fixture f;
  // kubectl finds fieldValidation in /openapi/v3 and leaves checking to us.
  KubectlResult r = f.Run({"apply", "-f", kManifests});
  REQUIRE(r.exit_code == 0);
  CHECK_FALSE(absl::StrContains(r.err, "openapi"));
  CHECK_FALSE(absl::StrContains(r.err, "warning"));

  std::string bad = Write(f, "bad.yaml", WithUnknownField());
  r = f.Run({"apply", "-f", bad});
  CHECK(r.exit_code == 1);
  CHECK(absl::StrContains(
      r.err,
      "Error from server (BadRequest): error when creating \"" + bad +
          "\": Service in version \"v1\" cannot be handled as a Service: "
          "strict decoding error: unknown field \"spec.ports[0].portz\""));
  r = f.Run({"get", "service", "web"});
  CHECK(r.exit_code == 1);  // nothing was stored

  // On an existing object the same mistake arrives in a patch.
  std::string good = Write(f, "good.yaml", kService);
  REQUIRE(f.Run({"apply", "-f", good}).exit_code == 0);
  r = f.Run({"apply", "-f", bad});
  CHECK(r.exit_code == 1);
  CHECK(
      absl::StrContains(r.err, "The request is invalid: patch: Invalid value"));
  CHECK(absl::StrContains(r.err,
                          "strict decoding error: unknown field "
                          "\"spec.ports[0].portz\""));
}

TEST_CASE(
    "--validate=warn stores without the field and says so; false is "
    "silent") {
  Fixture f;
  std::string bad = Write(f, "bad.yaml", WithUnknownField());
  KubectlResult r = f.Run({"apply", "--validate=warn", "-f", bad});
  REQUIRE(r.exit_code == 0);
  CHECK(absl::StrContains(r.out, "service/web created"));
  CHECK(absl::StrContains(r.err,
                          "Warning: unknown field \"spec.ports[0].portz\""));
  r = f.Run({"get", "service", "web", "-o", "json"});
  REQUIRE(r.exit_code == 0);
  json svc = json::parse(r.out);
  CHECK(svc["spec"]["ports"][0]["port"] == 80);
  CHECK_FALSE(svc["spec"]["ports"][0].contains("portz"));

  r = f.Run({"delete", "service", "web"});
  REQUIRE(r.exit_code == 0);
  r = f.Run({"create", "--validate=false", "-f", bad});
  REQUIRE(r.exit_code == 0);
  CHECK_FALSE(absl::StrContains(r.err, "portz"));
  r = f.Run({"get", "service", "web", "-o", "jsonpath={.spec.ports[0]}"});
  CHECK_FALSE(absl::StrContains(r.out, "portz"));
}

TEST_CASE("a value of the wrong type is refused whatever --validate says") {
  Fixture f;
  std::string s = kService;
  s.replace(s.find("    port: 80"), 12, "    port: 80\n    nodePort: x");
  std::string bad = Write(f, "bad.yaml", s);
  for (const char* mode : {"--validate=strict", "--validate=false"}) {
    INFO(mode);
    KubectlResult r = f.Run({"create", mode, "-f", bad});
    CHECK(r.exit_code == 1);
    CHECK(absl::StrContains(
        r.err,
        "Service in version \"v1\" cannot be handled as a Service: json: "
        "cannot unmarshal string into Go struct field "
        "ServicePort.spec.ports.nodePort of type int32"));
  }
  CHECK(f.Run({"get", "service", "web"}).exit_code == 1);
}

TEST_CASE("duplicate fields and bad directives, over raw HTTP") {
  Fixture f;
  httplib::Client http(f.server->url());
  const std::string body =
      R"({"apiVersion": "v1", "kind": "ConfigMap",
          "metadata": {"name": "c", "name": "c"}, "data": {"a": "b"}})";
  httplib::Result r =
      http.Post("/api/v1/namespaces/default/configmaps?fieldValidation=Strict",
                body, "application/json");
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(absl::StrContains(r->body,
                          "strict decoding error: duplicate field "
                          "\\\"metadata.name\\\""));

  r = http.Post("/api/v1/namespaces/default/configmaps?fieldValidation=Warn",
                body, "application/json");
  REQUIRE(r);
  CHECK(r->status == 201);
  CHECK(r->get_header_value("Warning") ==
        "299 - \"duplicate field \\\"metadata.name\\\"\"");

  r = http.Post("/api/v1/namespaces/default/configmaps?fieldValidation=strict",
                body, "application/json");
  REQUIRE(r);
  CHECK(r->status == 422);
  CHECK(
      absl::StrContains(r->body,
                        "CreateOptions.meta.k8s.io \\\"\\\" is invalid: "
                        "fieldValidation: Unsupported value: \\\"strict\\\""));

  r = http.Get("/openapi/v2", {{"Accept", "application/json"}});
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(json::parse(r->body)["swagger"] == "2.0");
}

TEST_CASE("kube-apiserver's validation, as kubectl prints it") {
  Fixture f;
  std::string s = kService;
  s.replace(s.find("    port: 80"), 12, "    port: 0");
  KubectlResult r = f.Run({"apply", "-f", Write(f, "zero.yaml", s)});
  CHECK(r.exit_code == 1);
  // The target port defaults to the port, so it is wrong too.
  CHECK(absl::StrContains(r.err, "The Service \"web\" is invalid:"));
  CHECK(absl::StrContains(r.err,
                          "spec.ports[0].port: Invalid value: 0: must be "
                          "between 1 and 65535, inclusive"));
  CHECK(absl::StrContains(r.err,
                          "spec.ports[0].targetPort: Invalid value: 0: must "
                          "be between 1 and 65535, inclusive"));

  // A LoadBalancer made a ClusterIP loses its node port, as on a real
  // cluster (where keeping it would be refused).
  REQUIRE(f.Run({"apply", "-f", Write(f, "web.yaml", kService)}).exit_code ==
          0);
  r = f.Run(
      {"patch", "service", "web", "-p", R"({"spec":{"type":"ClusterIP"}})"});
  REQUIRE(r.exit_code == 0);
  r = f.Run({"get", "service", "web", "-o", "jsonpath={.spec.ports[0]}"});
  CHECK_FALSE(absl::StrContains(r.out, "nodePort"));
  r = f.Run({"get", "service", "web", "-o",
             "jsonpath={.spec.externalTrafficPolicy}"});
  CHECK(r.out.empty());

  r = f.Run({"patch", "service", "web", "-p",
             R"({"spec":{"clusterIP":"10.96.123.123"}})"});
  CHECK(r.exit_code == 1);
  CHECK(absl::StrContains(r.err, "may not change once set"));
}

TEST_CASE("kubectl explain reads the served schemas") {
  Fixture f;
  KubectlResult r = f.Run({"explain", "service.spec.ports"});
  REQUIRE(r.exit_code == 0);
  CHECK(absl::StrContains(r.out, "KIND:       Service"));
  CHECK(absl::StrContains(r.out, "targetPort"));
  CHECK(absl::StrContains(r.out, "-required-"));
  r = f.Run({"explain", "deployment.spec.template.spec.containers"});
  REQUIRE(r.exit_code == 0);
  CHECK(absl::StrContains(r.out, "GROUP:      apps"));
  CHECK(absl::StrContains(r.out, "imagePullPolicy"));
  r = f.Run({"explain", "service.spec.nosuch"});
  CHECK(r.exit_code == 1);
  CHECK(absl::StrContains(r.err, "nosuch"));
}

}  // namespace
}  // namespace lb::k8s::testing
