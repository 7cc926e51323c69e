// kubectl's typed clients against the stand-in in protobuf: `kubectl create
// configmap|secret|namespace|service|deployment` send
// application/vnd.kubernetes.protobuf and read the answer in it; the objects
// then read back as JSON carry what they set, defaulted as a JSON create
// would be. Raw requests check the negotiation: protobuf when asked for, 406
// NotAcceptable where kube-apiserver answers it, bodies refused with their
// reason.

#include <doctest/doctest.h>
#include <httplib.h>

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "lib/k8s/testing/protobuf_codec.h"
#include "tests/kubectl/fixture.h"
#include "tests/kubectl/kubectl_runner.h"
#include "tests/status_matchers.h"

namespace lb::k8s::testing {
namespace {

constexpr char kProtobufOnly[] = "application/vnd.kubernetes.protobuf";

// Runs a typed `kubectl create` at -v=8 and checks, from kubectl's own log,
// that the request body and the response were both protobuf; returns what
// it printed.
KubectlResult CreateInProtobuf(Fixture& f, std::vector<std::string> args) {
  args.insert(args.begin(), {"create", "-v=8"});
  KubectlResult r = f.Run(args);
  REQUIRE(r.exit_code == 0);
  const size_t response = r.err.find("Response Headers:");
  REQUIRE(response != std::string::npos);
  const std::string header =
      "Content-Type: application/vnd.kubernetes.protobuf";
  CHECK(r.err.substr(0, response).find(header) != std::string::npos);
  CHECK(r.err.find(header, response) != std::string::npos);
  return r;
}

json GetJson(Fixture& f, std::vector<std::string> args) {
  args.insert(args.begin(), "get");
  args.push_back("-o");
  args.push_back("json");
  KubectlResult r = f.Run(args);
  REQUIRE(r.exit_code == 0);
  return json::parse(r.out);
}

// `v` without its null members: a JSON body's explicit nulls (kubectl writes
// "creationTimestamp": null) mean the same as absent ones.
json WithoutNulls(json v) {
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end();) {
      if (it->is_null()) {
        it = v.erase(it);
      } else {
        *it = WithoutNulls(*it);
        ++it;
      }
    }
  } else if (v.is_array()) {
    for (json& e : v) e = WithoutNulls(e);
  }
  return v;
}

// `kubectl create <what> --dry-run=client -o json`, renamed `name` and
// created from a file (a JSON body), for comparison with the protobuf
// create of the same command.
json CreatedAsJson(Fixture& f, std::vector<std::string> args,
                   const std::string& name) {
  args.insert(args.begin(), "create");
  args.push_back("--dry-run=client");
  args.push_back("-o");
  args.push_back("json");
  KubectlResult r = f.Run(args);
  REQUIRE(r.exit_code == 0);
  json obj = json::parse(r.out);
  obj["metadata"]["name"] = name;
  const std::string path = f.kubectl->dir() + "/" + name + ".json";
  std::ofstream(path) << obj.dump();
  REQUIRE(f.Run({"create", "-f", path}).exit_code == 0);
  return obj;
}

TEST_CASE("kubectl create configmap and secret in protobuf") {
  Fixture f;
  // kubectl prints the object it decoded from the protobuf answer.
  KubectlResult r = CreateInProtobuf(
      f, {"configmap", "c", "--from-literal=a=b", "-o", "json"});
  json answered = json::parse(r.out.substr(0, r.out.rfind('}') + 1));
  CHECK(answered["data"] == json{{"a", "b"}});
  CHECK(answered["metadata"]["namespace"] == "default");
  CHECK_FALSE(answered["metadata"]["uid"].get<std::string>().empty());
  CHECK_FALSE(
      answered["metadata"]["creationTimestamp"].get<std::string>().empty());
  json cm = GetJson(f, {"configmap", "c"});
  CHECK(cm["data"] == json{{"a", "b"}});
  CHECK(cm["metadata"]["resourceVersion"] ==
        answered["metadata"]["resourceVersion"]);
  CHECK(cm["metadata"]["uid"] == answered["metadata"]["uid"]);

  // A failure comes back as a protobuf Status, which kubectl reads.
  r = f.Run({"create", "configmap", "c", "--from-literal=a=b"});
  CHECK(r.exit_code != 0);
  CHECK(absl::StrContains(r.err, "configmaps \"c\" already exists"));

  CreateInProtobuf(f, {"secret", "generic", "s", "--from-literal=k=v"});
  json secret = GetJson(f, {"secret", "s"});
  CHECK(secret["data"] == json{{"k", "dg=="}});  // base64 of "v"
  CHECK(secret["type"] == "Opaque");
}

TEST_CASE("kubectl create namespace in protobuf is defaulted") {
  Fixture f;
  CreateInProtobuf(f, {"namespace", "n"});
  json ns = GetJson(f, {"namespace", "n"});
  CHECK(ns["spec"]["finalizers"] == json{"kubernetes"});
  CHECK(ns["status"]["phase"] == "Active");
  REQUIRE(f.Run({"create", "configmap", "x", "-n", "n"}).exit_code == 0);
}

TEST_CASE("kubectl create service loadbalancer in protobuf") {
  Fixture f;
  KubectlResult r = CreateInProtobuf(
      f, {"service", "loadbalancer", "nginx", "--tcp=80:80", "-o", "json"});
  json answered = json::parse(r.out.substr(0, r.out.rfind('}') + 1));
  json svc = GetJson(f, {"service", "nginx"});
  CHECK(answered["spec"] == svc["spec"]);
  CHECK(svc["metadata"]["labels"] == json{{"app", "nginx"}});
  CHECK(svc["spec"]["type"] == "LoadBalancer");
  CHECK(svc["spec"]["selector"] == json{{"app", "nginx"}});
  REQUIRE(svc["spec"]["ports"].size() == 1);
  const json& port = svc["spec"]["ports"][0];
  CHECK(port["name"] == "80-80");
  CHECK(port["port"] == 80);
  CHECK(port["targetPort"] == 80);
  CHECK(port["protocol"] == "TCP");
  CHECK(port["nodePort"].get<int>() >= 30000);
  // Random, from the service range 10.96.0.0/12.
  CHECK(absl::StartsWith(svc["spec"]["clusterIP"].get<std::string>(), "10."));

  // The same command's object sent as JSON is defaulted alike: everything
  // but the allocated addresses and ports matches.
  CreatedAsJson(f, {"service", "loadbalancer", "nginx", "--tcp=80:80"},
                "nginx-json");
  json by_json = GetJson(f, {"service", "nginx-json"});
  for (json* s : {&svc, &by_json}) {
    (*s)["spec"].erase("clusterIP");
    (*s)["spec"].erase("clusterIPs");
    (*s)["spec"]["ports"][0].erase("nodePort");
  }
  CHECK(svc["spec"] == WithoutNulls(by_json["spec"]));
  CHECK(svc["status"] == WithoutNulls(by_json["status"]));
}

TEST_CASE("kubectl create deployment in protobuf") {
  Fixture f;
  CreateInProtobuf(f, {"deployment", "nginx", "--image=nginx"});
  json d = GetJson(f, {"deployment", "nginx"});
  CHECK(d["spec"]["replicas"] == 1);
  CHECK(d["spec"]["selector"] == json{{"matchLabels", {{"app", "nginx"}}}});
  CHECK(d["spec"]["template"]["metadata"]["labels"] == json{{"app", "nginx"}});
  REQUIRE(d["spec"]["template"]["spec"]["containers"].size() == 1);
  CHECK(d["spec"]["template"]["spec"]["containers"][0]["name"] == "nginx");
  CHECK(d["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx");

  // As JSON, the same command stores the same spec.
  CreatedAsJson(f, {"deployment", "nginx", "--image=nginx"}, "nginx-json");
  CHECK(WithoutNulls(GetJson(f, {"deployment", "nginx-json"})["spec"]) ==
        d["spec"]);

  // Replicas, ports and a command travel too; kubectl reads the answer.
  KubectlResult r = CreateInProtobuf(
      f, {"deployment", "web", "--image=nginx:1.27", "--port=8080",
          "--replicas=3", "-o", "json", "--", "/bin/sh", "-c", "sleep 1"});
  json answered = json::parse(r.out.substr(0, r.out.rfind('}') + 1));
  json web = GetJson(f, {"deployment", "web"});
  CHECK(WithoutNulls(answered["spec"]) == web["spec"]);
  CHECK(web["spec"]["replicas"] == 3);
  const json& c = web["spec"]["template"]["spec"]["containers"][0];
  CHECK(c["command"] == json{"/bin/sh", "-c", "sleep 1"});
  CHECK(c["ports"] ==
        json::parse(R"([{"containerPort": 8080, "protocol": "TCP"}])"));
}

TEST_CASE("raw requests: protobuf answers, 406 where kube-apiserver gives it") {
  Fixture f;
  REQUIRE(f.Run({"create", "configmap", "c", "--from-literal=a=b"}).exit_code ==
          0);
  httplib::Client http(f.server->url());
  const std::string path = "/api/v1/namespaces/default/configmaps/c";

  // Protobuf only: a protobuf body that decodes to the stored object.
  httplib::Result got = http.Get(path, {{"Accept", kProtobufOnly}});
  REQUIRE(got);
  CHECK(got->status == 200);
  CHECK(got->get_header_value("Content-Type") == kProtobufMediaType);
  // The envelope: magic, then typeMeta {apiVersion "v1", kind "ConfigMap"}.
  CHECK(
      absl::StartsWith(got->body, std::string("k8s\0\x0a\x0f\x0a\x02v1\x12\x09"
                                              "ConfigMap",
                                              21)));
  absl::StatusOr<json> decoded = DecodeProtobuf(got->body);
  REQUIRE_OK(decoded);
  absl::StatusOr<json> stored =
      f.server->GetObject("", "configmaps", "default", "c");
  REQUIRE_OK(stored);
  CHECK(*decoded == *stored);

  // A list, in protobuf, holds the items.
  got = http.Get("/api/v1/namespaces/default/configmaps",
                 {{"Accept", kProtobufOnly}});
  REQUIRE(got);
  CHECK(got->status == 200);
  decoded = DecodeProtobuf(got->body);
  REQUIRE_OK(decoded);
  CHECK((*decoded)["kind"] == "ConfigMapList");
  REQUIRE((*decoded)["items"].size() == 1);
  CHECK((*decoded)["items"][0]["data"] == json{{"a", "b"}});

  // A type the server does not produce at all: 406.
  got = http.Get(path, {{"Accept", "application/xml"}});
  REQUIRE(got);
  CHECK(got->status == 406);
  json status = json::parse(got->body);
  CHECK(status["reason"] == "NotAcceptable");
  CHECK(status["message"] ==
        "only the following media types are accepted: application/json, "
        "application/vnd.kubernetes.protobuf");

  // Custom resources have no protobuf form (in kube-apiserver neither):
  // protobuf only is 406, protobuf or JSON is JSON.
  const json crd = json::parse(R"({
      "apiVersion": "apiextensions.k8s.io/v1",
      "kind": "CustomResourceDefinition",
      "metadata": {"name": "ipaddresspools.metallb.io"},
      "spec": {"group": "metallb.io", "scope": "Namespaced",
               "names": {"plural": "ipaddresspools",
                         "singular": "ipaddresspool",
                         "kind": "IPAddressPool",
                         "listKind": "IPAddressPoolList"},
               "versions": [{"name": "v1beta1", "served": true,
                             "storage": true}]}})");
  httplib::Result created =
      http.Post("/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                crd.dump(), "application/json");
  REQUIRE(created);
  REQUIRE(created->status == 201);
  const std::string pools =
      "/apis/metallb.io/v1beta1/namespaces/default/"
      "ipaddresspools";
  got = http.Get(pools, {{"Accept", kProtobufOnly}});
  REQUIRE(got);
  CHECK(got->status == 406);
  CHECK(json::parse(got->body)["message"] ==
        "only the following media types are accepted: application/json");
  got = http.Get(
      pools, {{"Accept", std::string(kProtobufOnly) + ", application/json"}});
  REQUIRE(got);
  CHECK(got->status == 200);
  CHECK(got->get_header_value("Content-Type") == "application/json");
}

TEST_CASE("raw requests: protobuf bodies refused with their reason") {
  Fixture f;
  httplib::Client http(f.server->url());
  const std::string configmaps = "/api/v1/namespaces/default/configmaps";
  const std::string accept = "application/json";
  absl::StatusOr<std::string> body = EncodeProtobuf(json::parse(R"({
      "apiVersion": "v1", "kind": "ConfigMap",
      "metadata": {"name": "raw"}, "data": {"k": "v"}})"));
  REQUIRE_OK(body);

  // Truncated: 400, nothing stored.
  httplib::Result r =
      http.Post(configmaps, {{"Accept", accept}},
                body->substr(0, body->size() - 2), kProtobufMediaType);
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(json::parse(r->body)["reason"] == "BadRequest");
  CHECK(absl::StrContains(json::parse(r->body)["message"].get<std::string>(),
                          "the protobuf body of the request is malformed"));

  // A field this server does not model (ObjectMeta field 18): 415
  // naming it, nothing stored.
  const std::string managed(
      "k8s\0\x0a\x0f\x0a\x02v1\x12\x09"
      "ConfigMap\x12\x0a\x0a\x08\x0a\x03raw\x92\x01\x00",
      33);
  r = http.Post(configmaps, {{"Accept", accept}}, managed, kProtobufMediaType);
  REQUIRE(r);
  CHECK(r->status == 415);
  CHECK(absl::StrContains(
      json::parse(r->body)["message"].get<std::string>(),
      "field 18 (length-delimited) of message "
      "k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta is not modelled"));
  CHECK(f.Run({"get", "configmap", "raw"}).exit_code != 0);

  // A Secret posted to configmaps: 400.
  absl::StatusOr<std::string> secret = EncodeProtobuf(json::parse(R"({
      "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "raw"}})"));
  REQUIRE_OK(secret);
  r = http.Post(configmaps, {{"Accept", accept}}, *secret, kProtobufMediaType);
  REQUIRE(r);
  CHECK(r->status == 400);

  // No patch type is protobuf: 415.
  r = http.Post(configmaps, {{"Accept", accept}}, *body, kProtobufMediaType);
  REQUIRE(r);
  REQUIRE(r->status == 201);
  r = http.Patch(configmaps + "/raw", {{"Accept", accept}}, *body,
                 kProtobufMediaType);
  REQUIRE(r);
  CHECK(r->status == 415);

  // PUT and DELETE (with protobuf DeleteOptions) work in protobuf too.
  absl::StatusOr<std::string> updated = EncodeProtobuf(json::parse(R"({
      "apiVersion": "v1", "kind": "ConfigMap",
      "metadata": {"name": "raw"}, "data": {"k": "w"}})"));
  REQUIRE_OK(updated);
  r = http.Put(configmaps + "/raw", {{"Accept", kProtobufOnly}}, *updated,
               kProtobufMediaType);
  REQUIRE(r);
  CHECK(r->status == 200);
  absl::StatusOr<json> answer = DecodeProtobuf(r->body);
  REQUIRE_OK(answer);
  CHECK((*answer)["data"] == json{{"k", "w"}});
  absl::StatusOr<std::string> dry_delete = EncodeProtobuf(json::parse(
      R"({"apiVersion": "v1", "kind": "DeleteOptions", "dryRun": ["All"]})"));
  REQUIRE_OK(dry_delete);
  httplib::Request del;
  del.method = "DELETE";
  del.path = configmaps + "/raw";
  del.headers = {{"Accept", accept}, {"Content-Type", kProtobufMediaType}};
  del.body = *dry_delete;
  r = http.send(del);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(f.Run({"get", "configmap", "raw"}).exit_code == 0);  // a dry run
}

}  // namespace
}  // namespace lb::k8s::testing
