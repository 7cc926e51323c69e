#include "lib/k8s/testing/internal/patch.h"

#include <doctest/doctest.h>

#include "tests/status_matchers.h"

namespace lb::k8s::testing::internal {
namespace {

using json = nlohmann::json;

TEST_CASE(
    "strategic merge merges Service ports by port and honours directives") {
  json svc = json::parse(R"({"metadata":{"name":"web","finalizers":["a"]},
    "spec":{"ports":[{"name":"http","port":80,"targetPort":8080,"protocol":"TCP"},
                     {"name":"metrics","port":9090}],
            "selector":{"app":"web"}}})");
  json patch = json::parse(R"({"metadata":{"finalizers":["b"]},
    "spec":{"$setElementOrder/ports":[{"port":8081},{"port":9090}],
            "ports":[{"name":"http","port":8081,"targetPort":8080},{"$patch":"delete","port":80}],
            "selector":{"app":null,"role":"x"}}})");
  auto out = ApplyStrategicMergePatch("Service", svc, patch);
  REQUIRE_OK(out);
  const json& ports = (*out)["spec"]["ports"];
  REQUIRE(ports.size() == 2);
  CHECK(ports[0]["port"] == 8081);
  CHECK(ports[1]["port"] == 9090);
  CHECK(ports[1]["name"] == "metrics");
  CHECK_FALSE(ports[0].contains("$patch"));
  CHECK((*out)["spec"]["selector"] == json({{"role", "x"}}));
  CHECK((*out)["metadata"]["finalizers"] == json({"a", "b"}));
}

TEST_CASE("strategic merge merges containers by name, replaces other lists") {
  json d = json::parse(R"({"spec":{"template":{"spec":{"containers":[
    {"name":"a","image":"a:1","args":["x","y"],"ports":[{"containerPort":1,"name":"p"}]},
    {"name":"b","image":"b:1"}]}}}})");
  json patch = json::parse(R"({"spec":{"template":{"spec":{"containers":[
    {"name":"a","image":"a:2","args":["z"],"ports":[{"containerPort":1,"protocol":"UDP"}]}]}}}})");
  auto out = ApplyStrategicMergePatch("Deployment", d, patch);
  REQUIRE_OK(out);
  const json& c = (*out)["spec"]["template"]["spec"]["containers"];
  REQUIRE(c.size() == 2);
  CHECK(c[0]["image"] == "a:2");
  CHECK(c[0]["args"] == json({"z"}));
  CHECK(c[0]["ports"][0]["name"] == "p");
  CHECK(c[0]["ports"][0]["protocol"] == "UDP");
  CHECK(c[1]["image"] == "b:1");
}

TEST_CASE("strategic merge: $patch replace, $retainKeys and errors") {
  json obj =
      json::parse(R"({"spec":{"a":1,"b":2,"ports":[{"port":1},{"port":2}]}})");
  auto out = ApplyStrategicMergePatch(
      "Service", obj,
      json::parse(R"({"spec":{"ports":[{"$patch":"replace"},{"port":3}]}})"));
  REQUIRE_OK(out);
  CHECK((*out)["spec"]["ports"] == json::parse(R"([{"port":3}])"));
  out = ApplyStrategicMergePatch(
      "Service", obj, json::parse(R"({"spec":{"$retainKeys":["a"],"a":5}})"));
  REQUIRE_OK(out);
  CHECK((*out)["spec"] == json::parse(R"({"a":5})"));
  CHECK_STATUS(
      ApplyStrategicMergePatch(
          "Service", obj, json::parse(R"({"spec":{"ports":[{"name":"x"}]}})")),
      absl::StatusCode::kInvalidArgument, "merge key");
  CHECK_STATUS(ApplyStrategicMergePatch("Service", obj, json::array()),
               absl::StatusCode::kInvalidArgument, "JSON object");
}

TEST_CASE("merge patch and json patch") {
  json obj = json::parse(R"({"a":{"b":1,"c":[1,2]},"d":1})");
  CHECK(
      ApplyMergePatch(obj, json::parse(R"({"a":{"b":null,"c":[3]},"e":2})")) ==
      json::parse(R"({"a":{"c":[3]},"d":1,"e":2})"));
  auto out = ApplyJsonPatch(
      obj,
      json::parse(
          R"([{"op":"add","path":"/a/c/-","value":3},{"op":"remove","path":"/d"}])"));
  REQUIRE_OK(out);
  CHECK(*out == json::parse(R"({"a":{"b":1,"c":[1,2,3]}})"));
  CHECK_STATUS(
      ApplyJsonPatch(obj,
                     json::parse(R"([{"op":"test","path":"/d","value":2}])")),
      absl::StatusCode::kFailedPrecondition, "does not apply");
  CHECK_STATUS(ApplyJsonPatch(obj, json::parse(R"({"op":"add"})")),
               absl::StatusCode::kInvalidArgument, "array");
  CHECK_STATUS(ApplyJsonPatch(obj, json::parse(R"([{"path":"/a"}])")),
               absl::StatusCode::kInvalidArgument, "op");
}

}  // namespace
}  // namespace lb::k8s::testing::internal
