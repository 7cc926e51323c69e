// kube-apiserver's validation, defaulting and allocation rules as the
// ObjectStore applies them to writes.

#include "lib/k8s/testing/validation.h"

#include <doctest/doctest.h>

#include <string>

#include "absl/strings/match.h"
#include "absl/time/time.h"
#include "lib/k8s/testing/object_store.h"

namespace lb::k8s::testing {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1800000000);

json Service(const std::string& name, json spec) {
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata", {{"name", name}}},
          {"spec", std::move(spec)}};
}

json LoadBalancer(const std::string& name) {
  return Service(name, {{"type", "LoadBalancer"},
                        {"selector", {{"app", name}}},
                        {"ports", {{{"name", "http"}, {"port", 80}}}}});
}

struct Fixture {
  explicit Fixture(uint64_t seed = 7) : store(Options(seed), kNow) {}
  static ObjectStoreOptions Options(uint64_t seed) {
    ObjectStoreOptions o;
    o.seed = seed;
    return o;
  }
  ApiResult Create(const std::string& plural, json obj,
                   const std::string& group = "") {
    return store.Create(*store.FindType(group, plural), "default",
                        std::move(obj), kNow);
  }
  ApiResult Merge(const std::string& plural, const std::string& name,
                  const json& patch, bool status = false) {
    return store.Patch(*store.FindType("", plural), "default", name, status,
                       PatchType::kMerge, patch, kNow);
  }
  ObjectStore store;
};

std::string Message(const ApiResult& r) { return r.body.value("message", ""); }

TEST_CASE("names and labels follow Kubernetes' syntax, kind by kind") {
  Fixture f;
  ApiResult r = f.Create("services", LoadBalancer("Web"));
  REQUIRE(r.code == 422);
  CHECK(r.body["reason"] == "Invalid");
  CHECK(Message(r) ==
        "Service \"Web\" is invalid: metadata.name: Invalid value: \"Web\": a "
        "DNS-1035 label must consist of lower case alphanumeric characters or "
        "'-', start with an alphabetic character, and end with an "
        "alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used "
        "for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')");
  const json& cause = r.body["details"]["causes"][0];
  CHECK(cause["field"] == "metadata.name");
  CHECK(cause["reason"] == "FieldValueInvalid");
  CHECK(r.body["details"]["kind"] == "Service");
  CHECK(r.body["details"]["name"] == "Web");

  // A ConfigMap's name is a subdomain: dots are fine, a Service's are not.
  CHECK(f.Create("configmaps", {{"metadata", {{"name", "a.b"}}}}).code == 201);
  CHECK(f.Create("services", LoadBalancer("a.b")).code == 422);

  json bad = LoadBalancer("web");
  bad["metadata"]["labels"] = {{"app", "has space"}, {"-x", "y"}};
  r = f.Create("services", bad);
  REQUIRE(r.code == 422);
  CHECK(absl::StartsWith(Message(r), "Service \"web\" is invalid: ["));
  CHECK(absl::StrContains(Message(r),
                          "metadata.labels: Invalid value: \"-x\": name part "
                          "must consist of alphanumeric characters"));
  CHECK(absl::StrContains(
      Message(r),
      "metadata.labels: Invalid value: \"has space\": a valid "
      "label must be an empty string"));
  CHECK(r.body["details"]["causes"].size() == 2);
}

TEST_CASE("Service ports: numbers, protocols, names, node ports") {
  Fixture f;
  ApiResult r = f.Create(
      "services",
      Service("web", {{"type", "NodePort"},
                      {"ports",
                       {{{"port", 0}},
                        {{"port", 81}, {"protocol", "HTTP"}},
                        {{"name", "x"}, {"port", 82}, {"nodePort", 80}}}}}));
  REQUIRE(r.code == 422);
  const std::string m = Message(r);
  CHECK(absl::StrContains(
      m,
      "spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, "
      "inclusive"));
  CHECK(absl::StrContains(m, "spec.ports[0].name: Required value"));
  CHECK(absl::StrContains(m,
                          "spec.ports[1].protocol: Unsupported value: "
                          "\"HTTP\": supported values: \"SCTP\", \"TCP\", "
                          "\"UDP\""));
  CHECK(absl::StrContains(m,
                          "spec.ports[2].nodePort: Invalid value: 80: "
                          "provided port is not in the valid range. The "
                          "range of valid ports is 30000-32767"));

  r = f.Create(
      "services",
      Service("plain", {{"ports", {{{"port", 80}, {"nodePort", 30080}}}}}));
  CHECK(r.code == 422);
  CHECK(absl::StrContains(Message(r),
                          "spec.ports[0].nodePort: Forbidden: may not be used "
                          "when `type` is 'ClusterIP'"));

  r = f.Create("services", Service("dup", {{"ports",
                                            {{{"name", "a"}, {"port", 80}},
                                             {{"name", "a"}, {"port", 80}}}}}));
  CHECK(absl::StrContains(Message(r),
                          "spec.ports[1].name: Duplicate value: \"a\""));
  CHECK(absl::StrContains(Message(r),
                          "spec.ports[1]: Duplicate value: "
                          "core.ServicePort{Name:\"\", "
                          "Protocol:\"TCP\""));
}

TEST_CASE("node ports and cluster IPs are random, unique and released") {
  Fixture f;
  ApiResult a = f.Create("services", LoadBalancer("a"));
  REQUIRE(a.code == 201);
  int port = a.body["spec"]["ports"][0]["nodePort"];
  std::string ip = a.body["spec"]["clusterIP"];
  CHECK(port >= 30000);
  CHECK(port <= 32767);

  json b = LoadBalancer("b");
  b["spec"]["ports"][0]["nodePort"] = port;
  b["spec"]["clusterIP"] = ip;
  ApiResult r = f.Create("services", b);
  REQUIRE(r.code == 422);
  CHECK(absl::StrContains(
      Message(r), absl::StrCat("spec.ports[0].nodePort: Invalid value: ", port,
                               ": provided port is already allocated")));
  CHECK(absl::StrContains(
      Message(r), absl::StrCat("spec.clusterIPs: Invalid value: []string{\"",
                               ip, "\"}: failed to allocate IP ", ip,
                               ": provided IP is already allocated")));

  json outside = LoadBalancer("c");
  outside["spec"]["clusterIP"] = "192.168.1.5";
  CHECK(absl::StrContains(Message(f.Create("services", outside)),
                          "is not in the valid range. The range of valid IPs "
                          "is 10.96.0.0/12"));

  // A dry run holds nothing; a delete frees what the Service held.
  WriteOptions dry;
  dry.dry_run = true;
  b["spec"].erase("clusterIP");
  b["spec"]["ports"][0]["nodePort"] = port + 1 > 32767 ? 30000 : port + 1;
  REQUIRE(
      f.store.Create(*f.store.FindType("", "services"), "default", b, kNow, dry)
          .code == 201);
  CHECK(f.Create("services", b).code == 201);
  REQUIRE(f.store
              .Delete(*f.store.FindType("", "services"), "default", "a", json(),
                      kNow)
              .ok());
  json again = LoadBalancer("d");
  again["spec"]["ports"][0]["nodePort"] = port;
  again["spec"]["clusterIP"] = ip;
  CHECK(f.Create("services", again).code == 201);

  // The same seed makes the same choices; the default seed does not repeat.
  Fixture same(7), other(8);
  ApiResult s1 = same.Create("services", LoadBalancer("a"));
  CHECK(s1.body["spec"]["ports"][0]["nodePort"] == port);
  CHECK(s1.body["spec"]["clusterIP"] == ip);
  CHECK(s1.body["metadata"]["uid"] == a.body["metadata"]["uid"]);
  ApiResult o1 = other.Create("services", LoadBalancer("a"));
  CHECK(o1.body["metadata"]["uid"] != a.body["metadata"]["uid"]);
}

TEST_CASE("cluster IPs and loadBalancerClass may not change once set") {
  Fixture f;
  json lb = LoadBalancer("web");
  lb["spec"]["loadBalancerClass"] = "example.com/lb";
  ApiResult r = f.Create("services", lb);
  REQUIRE(r.code == 201);
  std::string ip = r.body["spec"]["clusterIP"];

  r = f.Merge("services", "web", {{"spec", {{"clusterIP", "10.96.200.200"}}}});
  REQUIRE(r.code == 422);
  CHECK(Message(r) ==
        "Service \"web\" is invalid: spec.clusterIPs[0]: Invalid value: "
        "[]string{\"10.96.200.200\"}: may not change once set");
  r = f.Merge("services", "web",
              {{"spec", {{"loadBalancerClass", "example.com/other"}}}});
  CHECK(Message(r) ==
        "Service \"web\" is invalid: spec.loadBalancerClass: Invalid value: "
        "\"example.com/other\": may not change once set");
  // Leaving them out keeps them.
  r = f.Merge("services", "web", {{"spec", {{"clusterIP", nullptr}}}});
  REQUIRE(r.code == 200);
  CHECK(r.body["spec"]["clusterIP"] == ip);

  r = f.Create("services", Service("plain", {{"ports", {{{"port", 80}}}},
                                             {"loadBalancerClass", "x"}}));
  CHECK(absl::StrContains(Message(r),
                          "spec.loadBalancerClass: Forbidden: may only be "
                          "used when `type` is 'LoadBalancer'"));
}

TEST_CASE("a type change drops what the new type does not use") {
  Fixture f;
  json lb = LoadBalancer("web");
  lb["spec"]["externalTrafficPolicy"] = "Local";
  ApiResult r = f.Create("services", lb);
  REQUIRE(r.code == 201);
  int port = r.body["spec"]["ports"][0]["nodePort"];
  int health = r.body["spec"]["healthCheckNodePort"];
  std::string ip = r.body["spec"]["clusterIP"];
  r = f.Merge(
      "services", "web",
      {{"status", {{"loadBalancer", {{"ingress", {{{"ip", "192.0.2.10"}}}}}}}}},
      /*status=*/true);
  REQUIRE(r.code == 200);

  r = f.Merge("services", "web", {{"spec", {{"type", "ClusterIP"}}}});
  REQUIRE(r.code == 200);
  const json& spec = r.body["spec"];
  CHECK_FALSE(spec["ports"][0].contains("nodePort"));
  CHECK_FALSE(spec.contains("healthCheckNodePort"));
  CHECK_FALSE(spec.contains("allocateLoadBalancerNodePorts"));
  CHECK_FALSE(spec.contains("externalTrafficPolicy"));
  CHECK(spec["clusterIP"] == ip);
  CHECK(r.body["status"]["loadBalancer"] == json::object());

  // The ports went back to the pool.
  json other = LoadBalancer("other");
  other["spec"]["ports"][0]["nodePort"] = port;
  other["spec"]["healthCheckNodePort"] = health;
  other["spec"]["externalTrafficPolicy"] = "Local";
  CHECK(f.Create("services", other).code == 201);

  // A type change that names a node port keeps it (and it must be valid).
  r = f.Merge(
      "services", "web",
      {{"spec",
        {{"type", "NodePort"},
         {"ports", {{{"name", "http"}, {"port", 80}, {"nodePort", port}}}}}}});
  CHECK(r.code == 422);
  CHECK(absl::StrContains(Message(r), "provided port is already allocated"));
}

TEST_CASE("Service status: ingress addresses are checked") {
  Fixture f;
  REQUIRE(f.Create("services", LoadBalancer("web")).code == 201);
  ApiResult r = f.Merge(
      "services", "web",
      {{"status", {{"loadBalancer", {{"ingress", {{{"ip", "not-an-ip"}}}}}}}}},
      /*status=*/true);
  REQUIRE(r.code == 422);
  CHECK(Message(r) ==
        "Service \"web\" is invalid: status.loadBalancer.ingress[0].ip: "
        "Invalid value: \"not-an-ip\": must be a valid IP address, (e.g. "
        "10.9.8.7 or 2001:db8::ffff)");
  r = f.Merge(
      "services", "web",
      {{"status",
        {{"loadBalancer",
          {{"ingress", {{{"ip", "192.0.2.1"}, {"ipMode", "Tunnel"}}}}}}}}},
      /*status=*/true);
  CHECK(absl::StrContains(Message(r),
                          "status.loadBalancer.ingress[0].ipMode: Unsupported "
                          "value: \"Tunnel\""));
}

TEST_CASE("ConfigMap and Secret data rules") {
  Fixture f;
  ApiResult r = f.Create("configmaps", {{"metadata", {{"name", "c"}}},
                                        {"data", {{"bad key", "v"}}}});
  REQUIRE(r.code == 422);
  CHECK(absl::StrContains(Message(r),
                          "data[bad key]: Invalid value: \"bad key\": a valid "
                          "config key must consist of alphanumeric "
                          "characters, '-', '_' or '.'"));

  REQUIRE(f.Create("configmaps", {{"metadata", {{"name", "frozen"}}},
                                  {"immutable", true},
                                  {"data", {{"a", "1"}}}})
              .code == 201);
  r = f.Merge("configmaps", "frozen", {{"data", {{"a", "2"}}}});
  CHECK(r.code == 422);
  CHECK(absl::StrContains(
      Message(r),
      "data: Forbidden: field is immutable when `immutable` is set"));
  CHECK(f.Merge("configmaps", "frozen",
                {{"metadata", {{"labels", {{"a", "b"}}}}}})
            .code == 200);

  r = f.Create("secrets", {{"metadata", {{"name", "tls"}}},
                           {"type", "kubernetes.io/tls"},
                           {"data", {{"tls.crt", "Y2VydA=="}}}});
  REQUIRE(r.code == 422);
  CHECK(absl::StrContains(Message(r), "data[tls.key]: Required value"));
  REQUIRE(f.Create("secrets",
                   {{"metadata", {{"name", "s"}}}, {"data", {{"k", "dg=="}}}})
              .code == 201);
  r = f.Merge("secrets", "s", {{"type", "kubernetes.io/basic-auth"}});
  CHECK(absl::StrContains(Message(r),
                          "type: Invalid value: "
                          "\"kubernetes.io/basic-auth\": field is "
                          "immutable"));
}

json Deployment(const std::string& name, const std::string& image) {
  return json::parse(R"({"apiVersion": "apps/v1", "kind": "Deployment",
      "metadata": {"name": ")" +
                     name + R"("},
      "spec": {"selector": {"matchLabels": {"app": "web"}},
               "template": {"metadata": {"labels": {"app": "web"}},
                            "spec": {"containers": [{"name": "web",
                              "image": ")" +
                     image + R"(",
                              "ports": [{"containerPort": 80}],
                              "livenessProbe": {"httpGet": {"port": 80}}}]}}}})");
}

TEST_CASE("workloads: defaults, selector rules and generation") {
  Fixture f;
  ApiResult r =
      f.Create("deployments", Deployment("web", "nginx:1.25"), "apps");
  REQUIRE(r.code == 201);
  const json& spec = r.body["spec"];
  CHECK(spec["replicas"] == 1);
  CHECK(spec["revisionHistoryLimit"] == 10);
  CHECK(spec["progressDeadlineSeconds"] == 600);
  CHECK(spec["strategy"]["type"] == "RollingUpdate");
  CHECK(spec["strategy"]["rollingUpdate"]["maxSurge"] == "25%");
  const json& pod = spec["template"]["spec"];
  CHECK(pod["restartPolicy"] == "Always");
  CHECK(pod["dnsPolicy"] == "ClusterFirst");
  CHECK(pod["terminationGracePeriodSeconds"] == 30);
  CHECK(pod["schedulerName"] == "default-scheduler");
  const json& c = pod["containers"][0];
  CHECK(c["imagePullPolicy"] == "IfNotPresent");
  CHECK(c["terminationMessagePath"] == "/dev/termination-log");
  CHECK(c["ports"][0]["protocol"] == "TCP");
  CHECK(c["livenessProbe"]["periodSeconds"] == 10);
  CHECK(c["livenessProbe"]["httpGet"]["scheme"] == "HTTP");
  CHECK(r.body["metadata"]["generation"] == 1);
  ApiResult latest =
      f.Create("deployments", Deployment("latest", "nginx"), "apps");
  CHECK(latest.body["spec"]["template"]["spec"]["containers"][0]
                   ["imagePullPolicy"] == "Always");

  // Generation follows the spec, on the kinds that keep one only.
  r = f.store.Patch(*f.store.FindType("apps", "deployments"), "default", "web",
                    false, PatchType::kMerge, {{"spec", {{"replicas", 3}}}},
                    kNow);
  CHECK(r.body["metadata"]["generation"] == 2);
  ApiResult svc = f.Create("services", LoadBalancer("web"));
  CHECK_FALSE(svc.body["metadata"].contains("generation"));

  json bad = Deployment("bad", "nginx");
  bad["spec"]["template"]["metadata"]["labels"]["app"] = "other";
  bad["spec"]["template"]["spec"]["containers"][0].erase("image");
  r = f.Create("deployments", bad, "apps");
  REQUIRE(r.code == 422);
  CHECK(absl::StartsWith(Message(r), "Deployment.apps \"bad\" is invalid: ["));
  CHECK(absl::StrContains(Message(r),
                          "spec.template.metadata.labels: Invalid value: "
                          "map[string]string{\"app\":\"other\"}: `selector` "
                          "does not match template `labels`"));
  CHECK(absl::StrContains(
      Message(r), "spec.template.spec.containers[0].image: Required value"));
  CHECK(r.body["details"]["group"] == "apps");

  r = f.store.Patch(
      *f.store.FindType("apps", "deployments"), "default", "web", false,
      PatchType::kMerge,
      {{"spec",
        {{"selector", {{"matchLabels", {{"app", "x"}}}}},
         {"template", {{"metadata", {{"labels", {{"app", "x"}}}}}}}}}},
      kNow);
  CHECK(absl::StrContains(Message(r), "spec.selector: Invalid value: "));
  CHECK(absl::StrContains(Message(r), "field is immutable"));
}

TEST_CASE("custom resources: their CRD's schema checks and defaults") {
  Fixture f;
  json crd = json::parse(R"({
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "ipaddresspools.metallb.io"},
    "spec": {"group": "metallb.io", "scope": "Namespaced",
      "names": {"plural": "ipaddresspools", "kind": "IPAddressPool"},
      "versions": [{"name": "v1beta1", "served": true, "storage": true,
        "schema": {"openAPIV3Schema": {"type": "object", "properties": {
          "spec": {"type": "object", "required": ["addresses"], "properties": {
            "addresses": {"type": "array", "minItems": 1,
                          "items": {"type": "string"}},
            "autoAssign": {"type": "boolean", "default": true},
            "mode": {"type": "string", "enum": ["a", "b"]},
            "priority": {"type": "integer", "minimum": 0}}}}}}}]}})");
  REQUIRE(f.store
              .Create(*f.store.FindType("apiextensions.k8s.io",
                                        "customresourcedefinitions"),
                      "", crd, kNow)
              .code == 201);
  const ResourceType* pools = f.store.FindType("metallb.io", "ipaddresspools");
  REQUIRE(pools != nullptr);
  auto create = [&](const std::string& name, json spec) {
    return f.store.Create(*pools, "default",
                          {{"apiVersion", "metallb.io/v1beta1"},
                           {"kind", "IPAddressPool"},
                           {"metadata", {{"name", name}}},
                           {"spec", std::move(spec)}},
                          kNow);
  };
  ApiResult r = create("good", {{"addresses", {"192.0.2.0/28"}}});
  REQUIRE(r.code == 201);
  CHECK(r.body["spec"]["autoAssign"] == true);

  r = create("bad", {{"autoAssign", "yes"},
                     {"mode", "c"},
                     {"priority", -1},
                     {"addresses", json::array()}});
  REQUIRE(r.code == 422);
  const std::string m = Message(r);
  CHECK(absl::StartsWith(m, "IPAddressPool.metallb.io \"bad\" is invalid: ["));
  CHECK(absl::StrContains(m,
                          "spec.autoAssign: Invalid value: \"string\": "
                          "spec.autoAssign in body must be of type boolean: "
                          "\"string\""));
  CHECK(absl::StrContains(
      m,
      "spec.mode: Unsupported value: \"c\": supported values: \"a\", "
      "\"b\""));
  CHECK(absl::StrContains(m,
                          "spec.priority: Invalid value: -1: spec.priority in "
                          "body should be greater than or equal to 0"));
  CHECK(absl::StrContains(m,
                          "spec.addresses: Invalid value: 0: spec.addresses "
                          "in body should have at least 1 items"));
  r = create("empty", json::object());
  CHECK(absl::StrContains(Message(r), "spec.addresses: Required value"));
}

}  // namespace
}  // namespace lb::k8s::testing
