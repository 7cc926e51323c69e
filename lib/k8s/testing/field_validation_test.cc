#include "lib/k8s/testing/field_validation.h"

#include <doctest/doctest.h>

#include <set>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/k8s/testing/openapi.h"
#include "lib/k8s/testing/resource_type.h"
#include "lib/k8s/testing/schemas.h"

namespace lb::k8s::testing {
namespace {

json Ref(const std::string& name) {
  return {{"$ref", absl::StrCat(kSchemaRefPrefix, name)}};
}

DecodeReport DecodeService(json* obj) {
  return DecodeObject(BuiltinSchemas(), Ref("io.k8s.api.core.v1.Service"),
                      "Service", true, obj);
}

TEST_CASE("unknown fields are reported with their paths and removed") {
  json svc = json::parse(R"({
    "apiVersion": "v1", "kind": "Service",
    "metadata": {"name": "web", "labels": {"a": "b"}, "colour": "blue"},
    "spec": {"type": "LoadBalancer", "portz": 1,
             "ports": [{"port": 80}, {"port": 443, "nodeport": 30001}]},
    "extra": true})");
  DecodeReport r = DecodeService(&svc);
  CHECK(r.type_error.empty());
  REQUIRE(r.unknown.size() == 4);
  CHECK(r.unknown[0] == "unknown field \"extra\"");
  CHECK(r.unknown[1] == "unknown field \"metadata.colour\"");
  CHECK(r.unknown[2] == "unknown field \"spec.ports[1].nodeport\"");
  CHECK(r.unknown[3] == "unknown field \"spec.portz\"");
  CHECK_FALSE(svc.contains("extra"));
  CHECK_FALSE(svc["metadata"].contains("colour"));
  CHECK_FALSE(svc["spec"].contains("portz"));
  CHECK_FALSE(svc["spec"]["ports"][1].contains("nodeport"));
  // What is known stays, map keys included.
  CHECK(svc["metadata"]["labels"]["a"] == "b");
  CHECK(svc["spec"]["ports"][1]["port"] == 443);
}

TEST_CASE("a value of the wrong type is refused in Go's decoder's words") {
  json svc =
      json::parse(R"({"spec": {"ports": [{"port": 80, "nodePort": "x"}]}})");
  CHECK(DecodeService(&svc).type_error ==
        "json: cannot unmarshal string into Go struct field "
        "ServicePort.spec.ports.nodePort of type int32");

  svc = json::parse(R"({"spec": {"ports": {"port": 80}}})");
  CHECK(DecodeService(&svc).type_error ==
        "json: cannot unmarshal object into Go struct field "
        "ServiceSpec.spec.ports of type []v1.ServicePort");

  svc = json::parse(R"({"metadata": {"labels": {"a": 1}}})");
  CHECK(DecodeService(&svc).type_error ==
        "json: cannot unmarshal number into Go struct field "
        "ObjectMeta.metadata.labels of type string");

  svc = json::parse(R"({"spec": {"ports": [{"port": 3000000000}]}})");
  CHECK(DecodeService(&svc).type_error ==
        "json: cannot unmarshal number 3000000000 into Go struct field "
        "ServicePort.spec.ports.port of type int32");

  svc =
      json::parse(R"({"spec": {"ports": [{"port": 80, "targetPort": true}]}})");
  CHECK(DecodeService(&svc).type_error ==
        "json: cannot unmarshal bool into Go value of type int32");

  svc = json::parse(R"({"spec": {"publishNotReadyAddresses": "yes"}})");
  CHECK(DecodeService(&svc).type_error ==
        "json: cannot unmarshal string into Go struct field "
        "ServiceSpec.spec.publishNotReadyAddresses of type bool");

  svc = json::parse(R"({"metadata": {"creationTimestamp": "yesterday"}})");
  CHECK(absl::StartsWith(DecodeService(&svc).type_error,
                         "parsing time \"yesterday\""));

  // An inline object is named after its holder and field, as Go names it.
  json node = json::parse(R"({"spec": {"unschedulable": "no"}})");
  CHECK(DecodeObject(BuiltinSchemas(), Ref("io.k8s.api.core.v1.Node"), "Node",
                     true, &node)
            .type_error ==
        "json: cannot unmarshal string into Go struct field "
        "NodeSpec.spec.unschedulable of type bool");
}

TEST_CASE("values every decoder accepts: null, int-or-string, quantities") {
  json svc = json::parse(R"({
    "metadata": {"creationTimestamp": null, "name": "web"},
    "spec": {"ports": [{"port": 80, "targetPort": "http"},
                       {"port": 81, "targetPort": 8081}],
             "selector": null}})");
  DecodeReport r = DecodeService(&svc);
  CHECK(r.type_error.empty());
  CHECK(r.unknown.empty());

  json pod = json::parse(R"({"spec": {"containers": [{"name": "c",
      "resources": {"limits": {"cpu": "100m", "memory": 64}}}]}})");
  r = DecodeObject(BuiltinSchemas(), Ref("io.k8s.api.core.v1.Pod"), "Pod", true,
                   &pod);
  CHECK(r.type_error.empty());
  pod["spec"]["containers"][0]["resources"]["limits"]["cpu"] = "lots";
  r = DecodeObject(BuiltinSchemas(), Ref("io.k8s.api.core.v1.Pod"), "Pod", true,
                   &pod);
  CHECK(absl::StartsWith(r.type_error, "quantities must match"));

  json secret = json::parse(R"({"data": {"k": "dmFsdWU=", "bad": "no!"}})");
  r = DecodeObject(BuiltinSchemas(), Ref("io.k8s.api.core.v1.Secret"), "Secret",
                   true, &secret);
  CHECK(r.type_error == "illegal base64 data at input byte 2");
}

TEST_CASE("preserved subtrees and untyped decoding") {
  json pod = json::parse(R"({"spec": {"containers": [{"name": "c"}],
      "affinity": {"nodeAffinity": {"anything": 1}}}})");
  DecodeReport r = DecodeObject(BuiltinSchemas(), Ref("io.k8s.api.core.v1.Pod"),
                                "Pod", true, &pod);
  CHECK(r.unknown.empty());
  CHECK(pod["spec"]["affinity"]["nodeAffinity"]["anything"] == 1);

  // A custom resource: unknown fields only, types are its schema's business.
  json schema = {{"type", "object"},
                 {"properties",
                  {{"spec",
                    {{"type", "object"},
                     {"properties", {{"addresses", {{"type", "array"}}}}}}}}}};
  json pool = json::parse(R"({"spec": {"addresses": 5, "avoidBuggy": true}})");
  r = DecodeObject(BuiltinSchemas(), schema, "IPAddressPool", false, &pool);
  CHECK(r.type_error.empty());
  REQUIRE(r.unknown.size() == 1);
  CHECK(r.unknown[0] == "unknown field \"spec.avoidBuggy\"");
}

TEST_CASE("duplicate fields are found in the request's text") {
  std::vector<std::string> d = DuplicateFields(
      R"({"spec": {"replicas": 1, "replicas": 2,
                   "template": {"spec": {"containers": [
                     {"name": "a"}, {"name": "b", "image": "x", "image": "y"}]}}},
          "kind": "Deployment", "kind": "Deployment"})");
  REQUIRE(d.size() == 3);
  CHECK(d[0] == "duplicate field \"spec.replicas\"");
  CHECK(d[1] == "duplicate field \"spec.template.spec.containers[1].image\"");
  CHECK(d[2] == "duplicate field \"kind\"");
  CHECK(DuplicateFields(R"({"a": 1, "b": {"a": 2}})").empty());
  CHECK(DuplicateFields("{not json").empty());
}

TEST_CASE("Go's %+v of a decoded patch") {
  CHECK(GoValueString(json::parse(
            R"({"spec": {"b": [1, "x", true], "a": null}, "n": 1.5})")) ==
        "map[n:1.5 spec:map[a:<nil> b:[1 x true]]]");
  CHECK(GoValueString(json::parse("80.0")) == "80");
}

TEST_CASE("fieldValidation directives") {
  CHECK(*ParseFieldValidation("") == FieldValidation::kWarn);
  CHECK(*ParseFieldValidation("Strict") == FieldValidation::kStrict);
  CHECK(*ParseFieldValidation("Ignore") == FieldValidation::kIgnore);
  absl::StatusOr<FieldValidation> bad = ParseFieldValidation("strict");
  REQUIRE_FALSE(bad.ok());
  CHECK(absl::StrContains(bad.status().message(),
                          "Unsupported value: \"strict\""));
}

// Every reference in `v` resolves among the built-in schemas.
void CheckRefs(const json& v, std::set<std::string>* missing) {
  if (v.is_object()) {
    if (v.contains("$ref") && v["$ref"].is_string()) {
      std::string name = v["$ref"].get<std::string>().substr(
          std::string(kSchemaRefPrefix).size());
      if (!BuiltinSchemas().contains(name)) missing->insert(name);
    }
    for (const auto& [k, x] : v.items()) CheckRefs(x, missing);
  } else if (v.is_array()) {
    for (const json& x : v) CheckRefs(x, missing);
  }
}

TEST_CASE("every built-in kind has a schema and every reference resolves") {
  for (const ResourceType& t : BuiltinTypes()) {
    INFO(t.Qualified());
    std::string name = BuiltinSchemaName(t);
    REQUIRE_FALSE(name.empty());
    const json& gvk = BuiltinSchemas()[name]["x-kubernetes-group-version-kind"];
    CHECK(gvk[0]["kind"] == t.kind);
    CHECK(gvk[0]["group"] == t.group);
  }
  std::set<std::string> missing;
  CheckRefs(BuiltinSchemas(), &missing);
  CHECK(missing.empty());
}

TEST_CASE("OpenAPI v3: the index and a group version's document") {
  TypeMap types;
  for (const ResourceType& t : BuiltinTypes()) types[t.Key()] = t;
  ResourceType pool;
  pool.group = "metallb.io";
  pool.version = "v1beta1";
  pool.kind = "IPAddressPool";
  pool.plural = "ipaddresspools";
  pool.builtin = false;
  pool.schema = {{"type", "object"}};
  types[pool.Key()] = pool;

  json index = OpenApiV3Index(types);
  REQUIRE(index["paths"].contains("api/v1"));
  REQUIRE(index["paths"].contains("apis/apps/v1"));
  REQUIRE(index["paths"].contains("apis/metallb.io/v1beta1"));
  CHECK(absl::StartsWith(
      index["paths"]["api/v1"]["serverRelativeURL"].get<std::string>(),
      "/openapi/v3/api/v1?hash="));
  CHECK(OpenApiV3Document(types, "apis/nosuch/v1").is_null());

  json doc = OpenApiV3Document(types, "api/v1");
  const json& patch =
      doc["paths"]["/api/v1/namespaces/{namespace}/services/{name}"]["patch"];
  CHECK(patch["x-kubernetes-group-version-kind"]["kind"] == "Service");
  CHECK(patch["requestBody"]["content"].contains(
      "application/strategic-merge-patch+json"));
  bool field_validation = false;
  for (const json& p : patch["parameters"]) {
    field_validation |= p["name"] == "fieldValidation";
  }
  CHECK(field_validation);
  const json& ports =
      doc["components"]["schemas"]["io.k8s.api.core.v1.ServiceSpec"]
         ["properties"]["ports"];
  CHECK(ports["x-kubernetes-patch-merge-key"] == "port");
  CHECK(doc["components"]["schemas"].contains(
      "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"));
  // Only what the group version refers to.
  CHECK_FALSE(
      doc["components"]["schemas"].contains("io.k8s.api.apps.v1.Deployment"));

  json custom = OpenApiV3Document(types, "apis/metallb.io/v1beta1");
  const json& cpatch = custom["paths"]
                             ["/apis/metallb.io/v1beta1/namespaces/{namespace}/"
                              "ipaddresspools/{name}"]["patch"];
  CHECK_FALSE(cpatch["requestBody"]["content"].contains(
      "application/strategic-merge-patch+json"));
  CHECK(custom["components"]["schemas"]["io.metallb.v1beta1.IPAddressPool"]
              ["properties"]
                  .contains("metadata"));

  json v2 = OpenApiV2Document(types);
  CHECK(v2["swagger"] == "2.0");
  CHECK(v2["definitions"]["io.k8s.api.core.v1.Service"]["properties"]["spec"]
          ["$ref"] == "#/definitions/io.k8s.api.core.v1.ServiceSpec");
}

}  // namespace
}  // namespace lb::k8s::testing
