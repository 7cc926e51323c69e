// Field sets, their FieldsV1 form, Update and Apply entries, conflicts and
// removals, against the built-in schemas.

#include "lib/k8s/testing/managed_fields.h"

#include <doctest/doctest.h>

#include <string>
#include <utility>

#include "lib/k8s/testing/schemas.h"

namespace lb::k8s::testing {
namespace {

ObjectSchema SchemaOf(const std::string& definition) {
  return {&BuiltinSchemas(),
          {{"$ref", std::string(kSchemaRefPrefix) + definition}},
          true};
}

ObjectSchema DeploymentSchema() {
  return SchemaOf("io.k8s.api.apps.v1.Deployment");
}

json Deployment(int replicas, const std::string& image) {
  return json::parse(R"({
    "apiVersion": "apps/v1", "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "default",
                 "labels": {"app": "web"}},
    "spec": {
      "replicas": )" +
                     std::to_string(replicas) +
                     R"(,
      "selector": {"matchLabels": {"app": "web"}},
      "template": {
        "metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [{"name": "nginx", "image": ")" +
                     image + R"("}]}}}})");
}

Writer Applier(const std::string& manager, bool force = false) {
  return {manager, /*apply=*/true, force,
          "",      "apps/v1",      "2024-01-02T03:04:05Z"};
}

Writer Updater(const std::string& manager) {
  return {manager, /*apply=*/false, false,
          "",      "apps/v1",       "2024-01-02T03:04:06Z"};
}

TEST_CASE("FieldsV1 round-trips, with \".\" for members that have children") {
  FieldSet s;
  s.Insert({"f:metadata", "f:labels", "f:app"});
  s.Insert({"f:spec", "f:ports", R"(k:{"port":80,"protocol":"TCP"})"});
  s.Insert(
      {"f:spec", "f:ports", R"(k:{"port":80,"protocol":"TCP"})", "f:port"});
  s.Insert({"f:metadata", "f:finalizers", R"(v:"a")"});
  const json v1 = s.ToFieldsV1();
  CHECK(v1 == json::parse(R"({
    "f:metadata": {"f:finalizers": {"v:\"a\"": {}}, "f:labels": {"f:app": {}}},
    "f:spec": {"f:ports": {"k:{\"port\":80,\"protocol\":\"TCP\"}":
                            {".": {}, "f:port": {}}}}})"));
  absl::StatusOr<FieldSet> back = FieldSet::FromFieldsV1(v1);
  REQUIRE(back.ok());
  CHECK(*back == s);
  CHECK(back->Has({"f:spec", "f:ports", R"(k:{"port":80,"protocol":"TCP"})"}));
  CHECK_FALSE(back->Has({"f:spec", "f:ports"}));

  CHECK_FALSE(FieldSet::FromFieldsV1(json::parse(R"({"x:y": {}})")).ok());
  CHECK_FALSE(FieldSet::FromFieldsV1(json::parse(R"({"f:a": 1})")).ok());
  CHECK_FALSE(FieldSet::FromFieldsV1(json::parse(R"({"k:[": {}})")).ok());
}

TEST_CASE("set operations and paths") {
  FieldSet a, b;
  a.Insert({"f:spec", "f:replicas"});
  a.Insert({"f:spec", "f:paused"});
  b.Insert({"f:spec", "f:replicas"});
  b.Insert({"f:data"});
  CHECK(a.Intersection(b).Paths() ==
        std::vector<FieldPath>{{"f:spec", "f:replicas"}});
  CHECK(a.Difference(b).Paths() ==
        std::vector<FieldPath>{{"f:spec", "f:paused"}});
  CHECK(a.Union(b).Paths().size() == 3);
  CHECK(a.Difference(a).empty());
  // Members of a level come before the paths below it.
  FieldSet c;
  c.Insert({"f:spec", "f:template", "f:spec"});
  c.Insert({"f:spec", "f:replicas"});
  CHECK(c.Paths() ==
        std::vector<FieldPath>{{"f:spec", "f:replicas"},
                               {"f:spec", "f:template", "f:spec"}});

  CHECK(PathString({"f:spec", "f:replicas"}) == ".spec.replicas");
  CHECK(PathString({"f:spec", "f:ports", R"(k:{"port":80,"protocol":"TCP"})",
                    "f:name"}) ==
        R"(.spec.ports[port=80,protocol="TCP"].name)");
  CHECK(PathString({"f:metadata", "f:finalizers", R"(v:"x")"}) ==
        R"(.metadata.finalizers[="x"])");
}

TEST_CASE("an applied configuration's fields follow the schema's list types") {
  FieldSet s = AppliedFields(DeploymentSchema(), Deployment(2, "nginx:1"));
  CHECK(s.ToFieldsV1() == json::parse(R"({
    "f:apiVersion": {}, "f:kind": {},
    "f:metadata": {"f:labels": {"f:app": {}}, "f:name": {}, "f:namespace": {}},
    "f:spec": {
      "f:replicas": {},
      "f:selector": {},
      "f:template": {
        "f:metadata": {"f:labels": {"f:app": {}}},
        "f:spec": {"f:containers": {"k:{\"name\":\"nginx\"}": {
          ".": {}, "f:image": {}, "f:name": {}}}}}}})"));

  // Service ports are keyed by port and protocol, TCP when left out.
  json svc = json::parse(R"({"spec": {"ports": [{"port": 80}],
                                      "selector": {"app": "web"}}})");
  FieldSet p = AppliedFields(SchemaOf("io.k8s.api.core.v1.Service"), svc);
  CHECK(p.Has({"f:spec", "f:ports", R"(k:{"port":80,"protocol":"TCP"})"}));
  CHECK(p.Has({"f:spec", "f:selector", "f:app"}));
}

TEST_CASE("a create records its fields for the Update manager") {
  json obj = Deployment(2, "nginx:1");
  obj["spec"]["strategy"] = {{"type", "RollingUpdate"},
                             {"rollingUpdate", {{"maxSurge", "25%"}}}};
  REQUIRE(
      RecordUpdate(DeploymentSchema(), nullptr, Updater("kubectl-create"), &obj)
          .ok());
  const json& mf = obj["metadata"]["managedFields"];
  REQUIRE(mf.size() == 1);
  CHECK(mf[0]["manager"] == "kubectl-create");
  CHECK(mf[0]["operation"] == "Update");
  CHECK(mf[0]["apiVersion"] == "apps/v1");
  CHECK(mf[0]["time"] == "2024-01-02T03:04:06Z");
  CHECK(mf[0]["fieldsType"] == "FieldsV1");
  CHECK_FALSE(mf[0].contains("subresource"));
  // A map that appears counts itself ("."); a struct does not.
  CHECK(mf[0]["fieldsV1"] == json::parse(R"({
    "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
    "f:spec": {
      "f:replicas": {},
      "f:selector": {},
      "f:strategy": {"f:rollingUpdate": {"f:maxSurge": {}}, "f:type": {}},
      "f:template": {
        "f:metadata": {"f:labels": {".": {}, "f:app": {}}},
        "f:spec": {"f:containers": {"k:{\"name\":\"nginx\"}": {
          ".": {}, "f:image": {}, "f:name": {}}}}}}})"));
}

TEST_CASE("an update takes the fields it changes from other managers") {
  json live = Deployment(2, "nginx:1");
  REQUIRE(RecordUpdate(DeploymentSchema(), nullptr, Updater("creator"), &live)
              .ok());
  json updated = live;
  updated["spec"]["replicas"] = 5;
  updated["metadata"]["labels"].erase("app");
  REQUIRE(RecordUpdate(DeploymentSchema(), &live, Updater("scaler"), &updated)
              .ok());
  const json& mf = updated["metadata"]["managedFields"];
  REQUIRE(mf.size() == 2);
  CHECK(mf[0]["manager"] == "creator");
  FieldSet creator = *FieldSet::FromFieldsV1(mf[0]["fieldsV1"]);
  CHECK_FALSE(creator.Has({"f:spec", "f:replicas"}));
  CHECK_FALSE(creator.Has({"f:metadata", "f:labels", "f:app"}));
  CHECK(creator.Has({"f:spec", "f:selector"}));
  CHECK(mf[1]["manager"] == "scaler");
  CHECK(mf[1]["fieldsV1"] == json::parse(R"({"f:spec": {"f:replicas": {}}})"));

  // A write that changes nothing records nothing.
  json same = updated;
  REQUIRE(
      RecordUpdate(DeploymentSchema(), &updated, Updater("idle"), &same).ok());
  CHECK(same["metadata"]["managedFields"] ==
        updated["metadata"]["managedFields"]);

  // managedFields sent with a write are used as given; [] resets them.
  json reset = updated;
  reset["metadata"]["managedFields"] = json::array();
  REQUIRE(
      RecordUpdate(DeploymentSchema(), &updated, Updater("x"), &reset).ok());
  CHECK_FALSE(reset["metadata"].contains("managedFields"));
  json given = updated;
  given["metadata"]["managedFields"] = json::parse(R"([{
    "manager": "restored", "operation": "Apply", "apiVersion": "apps/v1",
    "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:paused": {}}}}])");
  REQUIRE(
      RecordUpdate(DeploymentSchema(), &updated, Updater("x"), &given).ok());
  CHECK(given["metadata"]["managedFields"].size() == 1);
  CHECK(given["metadata"]["managedFields"][0]["manager"] == "restored");
  json bad = updated;
  bad["metadata"]["managedFields"] = json::parse(R"([{
    "manager": "m", "operation": "Delete", "fieldsType": "FieldsV1",
    "fieldsV1": {"f:spec": {}}}])");
  ApiResult r = RecordUpdate(DeploymentSchema(), &updated, Updater("x"), &bad);
  CHECK(r.code == 422);
  CHECK(r.body["message"] ==
        "Deployment \"web\" is invalid: metadata.managedFields[0].operation: "
        "Invalid value: \"Delete\": must be `Apply` or `Update`");
}

TEST_CASE("apply: ownership, shared values, conflicts, force and removal") {
  const ObjectSchema schema = DeploymentSchema();
  json live;
  REQUIRE(ApplyConfig(schema, nullptr, Deployment(2, "nginx:1"),
                      Applier("kubectl"), &live)
              .ok());
  REQUIRE(live["metadata"]["managedFields"].size() == 1);
  CHECK(live["metadata"]["managedFields"][0]["operation"] == "Apply");
  CHECK(live["metadata"]["managedFields"][0]["manager"] == "kubectl");

  // Another applier setting the same values shares them.
  json shared;
  REQUIRE(ApplyConfig(schema, &live, Deployment(2, "nginx:1"), Applier("other"),
                      &shared)
              .ok());
  CHECK(shared["metadata"]["managedFields"].size() == 2);

  // ... and changing them conflicts.
  json out;
  ApiResult r = ApplyConfig(schema, &shared, Deployment(3, "nginx:2"),
                            Applier("third"), &out);
  REQUIRE(r.code == 409);
  CHECK(r.body["reason"] == "Conflict");
  CHECK(r.body["message"] ==
        "Apply failed with 4 conflicts: conflicts with \"kubectl\":\n"
        "- .spec.replicas\n"
        "- .spec.template.spec.containers[name=\"nginx\"].image\n"
        "conflicts with \"other\":\n"
        "- .spec.replicas\n"
        "- .spec.template.spec.containers[name=\"nginx\"].image");
  const json& causes = r.body["details"]["causes"];
  REQUIRE(causes.size() == 4);
  CHECK(causes[0] == json{{"reason", "FieldManagerConflict"},
                          {"message", "conflict with \"kubectl\""},
                          {"field", ".spec.replicas"}});

  // An Update owner is named with its apiVersion.
  json scaled = live;
  scaled["spec"]["replicas"] = 7;
  REQUIRE(RecordUpdate(schema, &live, Updater("kubectl-scale"), &scaled).ok());
  r = ApplyConfig(schema, &scaled, Deployment(4, "nginx:1"), Applier("kubectl"),
                  &out);
  REQUIRE(r.code == 409);
  CHECK(r.body["message"] ==
        "Apply failed with 1 conflict: conflict with \"kubectl-scale\" using "
        "apps/v1: .spec.replicas");

  // Forced, the field moves to the applier.
  REQUIRE(ApplyConfig(schema, &scaled, Deployment(4, "nginx:1"),
                      Applier("kubectl", /*force=*/true), &out)
              .ok());
  CHECK(out["spec"]["replicas"] == 4);
  REQUIRE(out["metadata"]["managedFields"].size() == 1);
  CHECK(out["metadata"]["managedFields"][0]["manager"] == "kubectl");

  // A field left out of the next apply, owned by no one else, goes.
  json config = Deployment(4, "nginx:1");
  config["spec"].erase("replicas");
  config["metadata"]["labels"] = {{"tier", "front"}};
  json pruned;
  REQUIRE(ApplyConfig(schema, &out, config, Applier("kubectl"), &pruned).ok());
  CHECK_FALSE(pruned["spec"].contains("replicas"));
  CHECK(pruned["metadata"]["labels"] == json{{"tier", "front"}});

  // A list item left out goes whole; one another manager owns stays.
  json two = Deployment(4, "nginx:1");
  two["spec"]["template"]["spec"]["containers"].push_back(
      {{"name", "sidecar"}, {"image", "busybox"}});
  json with_two;
  REQUIRE(
      ApplyConfig(schema, &pruned, two, Applier("kubectl"), &with_two).ok());
  CHECK(with_two["spec"]["template"]["spec"]["containers"].size() == 2);
  json one;
  REQUIRE(ApplyConfig(schema, &with_two, Deployment(4, "nginx:1"),
                      Applier("kubectl"), &one)
              .ok());
  CHECK(one["spec"]["template"]["spec"]["containers"].size() == 1);
  json co_owned;
  REQUIRE(
      ApplyConfig(schema, &with_two, two, Applier("other"), &co_owned).ok());
  REQUIRE(ApplyConfig(schema, &co_owned, Deployment(4, "nginx:1"),
                      Applier("kubectl"), &one)
              .ok());
  CHECK(one["spec"]["template"]["spec"]["containers"].size() == 2);
}

TEST_CASE("apply to an object without managedFields, and its refusals") {
  const ObjectSchema schema = DeploymentSchema();
  json live = Deployment(2, "nginx:1");
  json out;
  ApiResult r =
      ApplyConfig(schema, &live, Deployment(3, "nginx:1"), Applier("a"), &out);
  REQUIRE(r.code == 409);
  CHECK(r.body["message"] ==
        "Apply failed with 1 conflict: conflict with \"before-first-apply\" "
        "using apps/v1: .spec.replicas");

  json config = Deployment(2, "nginx:1");
  config["metadata"]["managedFields"] = json::parse(
      R"([{"manager": "m", "operation": "Apply", "fieldsType": "FieldsV1",
           "fieldsV1": {}}])");
  r = ApplyConfig(schema, &live, config, Applier("a"), &out);
  CHECK(r.code == 400);
  CHECK(r.body["message"] == "metadata.managedFields must be nil");
}

TEST_CASE("kubectl's apply keeps an existing last-applied annotation current") {
  const ObjectSchema schema = DeploymentSchema();
  json live = Deployment(2, "nginx:1");
  live["metadata"]["annotations"] = {
      {"kubectl.kubernetes.io/last-applied-configuration", "{}\n"}};
  REQUIRE(
      RecordUpdate(schema, nullptr, Updater("kubectl-client-side-apply"), &live)
          .ok());
  json config = Deployment(2, "nginx:1");
  json out;
  REQUIRE(
      ApplyConfig(schema, &live, config, Applier("kubectl", true), &out).ok());
  CHECK(out["metadata"]["annotations"]
           ["kubectl.kubernetes.io/last-applied-configuration"] ==
        config.dump() + "\n");
}

TEST_CASE("a no-op write keeps the times it had") {
  json old = Deployment(2, "nginx:1");
  old["metadata"]["managedFields"] = json::parse(
      R"([{"manager": "m", "operation": "Apply", "time": "2020-01-01T00:00:00Z",
           "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {}}}])");
  json updated = old;
  updated["metadata"]["managedFields"][0]["time"] = "2024-01-01T00:00:00Z";
  KeepTimesOfNoop(old, &updated);
  CHECK(updated == old);
  updated["spec"]["replicas"] = 3;
  updated["metadata"]["managedFields"][0]["time"] = "2024-01-01T00:00:00Z";
  KeepTimesOfNoop(old, &updated);
  CHECK(updated["metadata"]["managedFields"][0]["time"] ==
        "2024-01-01T00:00:00Z");
}

TEST_CASE("manager names") {
  CHECK(ManagerOf("mine", "kubectl/v1.32.0 (linux/amd64)") == "mine");
  CHECK(ManagerOf("", "kubectl/v1.32.0 (linux/amd64)") == "kubectl");
  CHECK(ManagerOf("", "lb-k8s/1") == "lb-k8s");
  CHECK(ManagerOf("", "") == "");
}

}  // namespace
}  // namespace lb::k8s::testing
