// The Table cells and columns kube-apiserver 1.32 serves, kind by kind, for
// hand-written objects.

#include "lib/k8s/testing/tables.h"

#include <doctest/doctest.h>

#include <cctype>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "lib/k8s/testing/resource_type.h"

namespace lb::k8s::testing {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1800000000);

// An RFC 3339 timestamp `ago` before kNow.
std::string Ago(absl::Duration ago) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", kNow - ago,
                          absl::UTCTimeZone());
}

json Meta(const std::string& name, absl::Duration age = absl::Hours(5)) {
  return {{"name", name},
          {"namespace", "default"},
          {"creationTimestamp", Ago(age)}};
}

ResourceType Builtin(const std::string& group, const std::string& plural) {
  for (const ResourceType& t : BuiltinTypes()) {
    if (t.group == group && t.plural == plural) return t;
  }
  FAIL("not a built-in type: ", group, "/", plural);
  return {};
}

json Cells(const ResourceType& t, const json& obj) {
  return TableRow(t, obj, kNow)["cells"];
}

// The column names, upper-cased as kubectl prints them, of priority 0
// (`wide` false) or all.
std::vector<std::string> Headers(const ResourceType& t, bool wide) {
  std::vector<std::string> out;
  for (const json& c : ColumnDefinitions(t)) {
    if (!wide && c["priority"] != 0) continue;
    std::string n = c["name"];
    for (char& ch : n) ch = static_cast<char>(std::toupper(ch));
    out.push_back(n);
  }
  return out;
}

using Strings = std::vector<std::string>;

TEST_CASE("pods: ready containers, status, restarts and the wide columns") {
  const ResourceType pods = Builtin("", "pods");
  CHECK(Headers(pods, false) ==
        Strings{"NAME", "READY", "STATUS", "RESTARTS", "AGE"});
  CHECK(Headers(pods, true) == Strings{"NAME", "READY", "STATUS", "RESTARTS",
                                       "AGE", "IP", "NODE", "NOMINATED NODE",
                                       "READINESS GATES"});
  json cols = ColumnDefinitions(pods);
  CHECK(cols[0]["format"] == "name");
  CHECK(cols[0]["type"] == "string");
  CHECK_FALSE(cols[0]["description"].get<std::string>().empty());

  json running = {
      {"metadata", Meta("web-1")},
      {"spec",
       {{"nodeName", "node-a"},
        {"containers", {{{"name", "web"}}, {{"name", "log"}}}},
        {"readinessGates",
         {{{"conditionType", "lb/ready"}}, {{"conditionType", "lb/other"}}}}}},
      {"status",
       {{"phase", "Running"},
        {"podIP", "10.1.0.5"},
        {"conditions",
         {{{"type", "Ready"}, {"status", "True"}},
          {{"type", "lb/ready"}, {"status", "True"}}}},
        {"containerStatuses",
         {{{"name", "web"},
           {"ready", true},
           {"restartCount", 2},
           {"state", {{"running", json::object()}}},
           {"lastState",
            {{"terminated",
              {{"exitCode", 1}, {"finishedAt", Ago(absl::Minutes(5))}}}}}},
          {{"name", "log"},
           {"ready", true},
           {"restartCount", 1},
           {"state", {{"running", json::object()}}}}}}}}};
  CHECK(Cells(pods, running) == json{"web-1", "2/2", "Running", "3 (5m ago)",
                                     "5h", "10.1.0.5", "node-a", "<none>",
                                     "1/2"});

  json crashing = running;
  crashing["status"]["containerStatuses"][1]["ready"] = false;
  crashing["status"]["containerStatuses"][1]["state"] = {
      {"waiting", {{"reason", "CrashLoopBackOff"}}}};
  json cells = Cells(pods, crashing);
  CHECK(cells[1] == "1/2");
  CHECK(cells[2] == "CrashLoopBackOff");

  json pending = {{"metadata", Meta("new", absl::Seconds(30))},
                  {"spec", {{"containers", {{{"name", "c"}}}}}},
                  {"status", {{"phase", "Pending"}}}};
  CHECK(Cells(pods, pending) == json{"new", "0/1", "Pending", "0", "30s",
                                     "<none>", "<none>", "<none>", "<none>"});

  json init = {
      {"metadata", Meta("init")},
      {"spec",
       {{"initContainers", {{{"name", "a"}}, {{"name", "b"}}}},
        {"containers", {{{"name", "c"}}}}}},
      {"status",
       {{"phase", "Pending"},
        {"initContainerStatuses",
         {{{"name", "a"}, {"state", {{"running", json::object()}}}},
          {{"name", "b"},
           {"state", {{"waiting", {{"reason", "PodInitializing"}}}}}}}}}}};
  CHECK(Cells(pods, init)[2] == "Init:0/2");
  init["status"]["initContainerStatuses"][0]["state"] = {
      {"terminated", {{"exitCode", 2}}}};
  CHECK(Cells(pods, init)[2] == "Init:ExitCode:2");

  // A sidecar (an init container that restarts always) counts as a
  // container once started.
  json sidecar = {
      {"metadata", Meta("sidecar")},
      {"spec",
       {{"initContainers", {{{"name", "proxy"}, {"restartPolicy", "Always"}}}},
        {"containers", {{{"name", "app"}}}}}},
      {"status",
       {{"phase", "Running"},
        {"conditions", {{{"type", "Initialized"}, {"status", "True"}}}},
        {"initContainerStatuses",
         {{{"name", "proxy"},
           {"started", true},
           {"ready", true},
           {"state", {{"running", json::object()}}}}}},
        {"containerStatuses",
         {{{"name", "app"},
           {"ready", true},
           {"state", {{"running", json::object()}}}}}}}}};
  CHECK(Cells(pods, sidecar)[1] == "2/2");

  json done = {
      {"metadata", Meta("job")},
      {"spec", {{"containers", {{{"name", "c"}}}}}},
      {"status",
       {{"phase", "Succeeded"},
        {"containerStatuses",
         {{{"name", "c"},
           {"state",
            {{"terminated", {{"exitCode", 0}, {"reason", "Completed"}}}}}}}}}}};
  json row = TableRow(pods, done, kNow);
  CHECK(row["cells"][2] == "Completed");
  CHECK(row["conditions"][0]["type"] == "Completed");
  CHECK(row["conditions"][0]["reason"] == "Succeeded");

  json leaving = running;
  leaving["metadata"]["deletionTimestamp"] = Ago(absl::Seconds(1));
  CHECK(Cells(pods, leaving)[2] == "Terminating");
}

TEST_CASE("deployments, replicasets and daemonsets") {
  const ResourceType deployments = Builtin("apps", "deployments");
  CHECK(Headers(deployments, false) ==
        Strings{"NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"});
  CHECK(Headers(deployments, true) == Strings{"NAME", "READY", "UP-TO-DATE",
                                              "AVAILABLE", "AGE", "CONTAINERS",
                                              "IMAGES", "SELECTOR"});
  json template_spec = {{"containers",
                         {{{"name", "web"}, {"image", "nginx:1.27"}},
                          {{"name", "log"}, {"image", "busybox"}}}},
                        {"nodeSelector", {{"zone", "b"}, {"os", "linux"}}}};
  json selector = {
      {"matchLabels", {{"app", "web"}}},
      {"matchExpressions",
       {{{"key", "tier"}, {"operator", "In"}, {"values", {"z", "a"}}},
        {{"key", "canary"}, {"operator", "DoesNotExist"}}}}};
  json deploy = {{"metadata", Meta("web", absl::Hours(50))},
                 {"spec",
                  {{"replicas", 3},
                   {"selector", selector},
                   {"template", {{"spec", template_spec}}}}},
                 {"status",
                  {{"readyReplicas", 2},
                   {"updatedReplicas", 3},
                   {"availableReplicas", 2}}}};
  CHECK(Cells(deployments, deploy) == json{"web", "2/3", 3, 2, "2d2h",
                                           "web,log", "nginx:1.27,busybox",
                                           "app=web,!canary,tier in (a,z)"});
  deploy["spec"]["selector"] = {
      {"matchExpressions", {{{"key", "x"}, {"operator", "Near"}}}}};
  CHECK(Cells(deployments, deploy)[7] == "<invalid>");
  deploy["spec"].erase("selector");
  CHECK(Cells(deployments, deploy)[7] == "");

  const ResourceType replicasets = Builtin("apps", "replicasets");
  CHECK(Headers(replicasets, false) ==
        Strings{"NAME", "DESIRED", "CURRENT", "READY", "AGE"});
  json rs = {{"metadata", Meta("web-5d4f")},
             {"spec",
              {{"replicas", 2},
               {"selector", {{"matchLabels", {{"app", "web"}}}}},
               {"template", {{"spec", template_spec}}}}},
             {"status", {{"replicas", 2}, {"readyReplicas", 1}}}};
  CHECK(Cells(replicasets, rs) == json{"web-5d4f", 2, 2, 1, "5h", "web,log",
                                       "nginx:1.27,busybox", "app=web"});
  rs["spec"].erase("selector");
  CHECK(Cells(replicasets, rs)[7] == "<none>");

  const ResourceType daemonsets = Builtin("apps", "daemonsets");
  CHECK(Headers(daemonsets, false) ==
        Strings{"NAME", "DESIRED", "CURRENT", "READY", "UP-TO-DATE",
                "AVAILABLE", "NODE SELECTOR", "AGE"});
  json ds = {{"metadata", Meta("speaker")},
             {"spec",
              {{"selector", {{"matchLabels", {{"app", "speaker"}}}}},
               {"template", {{"spec", template_spec}}}}},
             {"status",
              {{"desiredNumberScheduled", 3},
               {"currentNumberScheduled", 3},
               {"numberReady", 2},
               {"updatedNumberScheduled", 3},
               {"numberAvailable", 2}}}};
  CHECK(Cells(daemonsets, ds) == json{"speaker", 3, 3, 2, 3, 2,
                                      "os=linux,zone=b", "5h", "web,log",
                                      "nginx:1.27,busybox", "app=speaker"});
}

TEST_CASE("nodes: the Ready condition, roles, addresses and node info") {
  const ResourceType nodes = Builtin("", "nodes");
  CHECK(Headers(nodes, true) == Strings{"NAME", "STATUS", "ROLES", "AGE",
                                        "VERSION", "INTERNAL-IP", "EXTERNAL-IP",
                                        "OS-IMAGE", "KERNEL-VERSION",
                                        "CONTAINER-RUNTIME"});
  json node = {{"metadata",
                {{"name", "node-a"},
                 {"creationTimestamp", Ago(absl::Hours(24 * 10))},
                 {"labels",
                  {{"node-role.kubernetes.io/worker", ""},
                   {"node-role.kubernetes.io/control-plane", ""},
                   {"kubernetes.io/role", "edge"},
                   {"node-role.kubernetes.io/", ""}}}}},
               {"status",
                {{"conditions",
                  {{{"type", "MemoryPressure"}, {"status", "False"}},
                   {{"type", "Ready"}, {"status", "True"}}}},
                 {"addresses",
                  {{{"type", "Hostname"}, {"address", "node-a"}},
                   {{"type", "InternalIP"}, {"address", "192.168.1.10"}}}},
                 {"nodeInfo",
                  {{"kubeletVersion", "v1.32.0"},
                   {"osImage", "Debian GNU/Linux 12 (bookworm)"},
                   {"kernelVersion", "6.1.0-18-amd64"},
                   {"containerRuntimeVersion", "containerd://1.7.13"}}}}}};
  CHECK(Cells(nodes, node) ==
        json{"node-a", "Ready", "control-plane,edge,worker", "10d", "v1.32.0",
             "192.168.1.10", "<none>", "Debian GNU/Linux 12 (bookworm)",
             "6.1.0-18-amd64", "containerd://1.7.13"});

  json cordoned = {
      {"metadata", {{"name", "node-b"}}},
      {"spec", {{"unschedulable", true}}},
      {"status",
       {{"conditions", {{{"type", "Ready"}, {"status", "Unknown"}}}},
        {"addresses",
         {{{"type", "ExternalIP"}, {"address", "203.0.113.7"}}}}}}};
  CHECK(Cells(nodes, cordoned) ==
        json{"node-b", "NotReady,SchedulingDisabled", "<none>", "<unknown>", "",
             "<none>", "203.0.113.7", "<unknown>", "<unknown>", "<unknown>"});
  CHECK(Cells(nodes, {{"metadata", {{"name", "new"}}}})[1] == "Unknown");
}

TEST_CASE("role bindings: the role and, wide, the subjects by kind") {
  const ResourceType rolebindings =
      Builtin("rbac.authorization.k8s.io", "rolebindings");
  CHECK(Headers(rolebindings, false) == Strings{"NAME", "ROLE", "AGE"});
  CHECK(Headers(rolebindings, true) ==
        Strings{"NAME", "ROLE", "AGE", "USERS", "GROUPS", "SERVICEACCOUNTS"});
  json binding = {{"metadata", Meta("readers")},
                  {"roleRef",
                   {{"apiGroup", "rbac.authorization.k8s.io"},
                    {"kind", "Role"},
                    {"name", "reader"}}},
                  {"subjects",
                   {{{"kind", "User"}, {"name", "alice"}},
                    {{"kind", "ServiceAccount"},
                     {"name", "controller"},
                     {"namespace", "metallb-system"}},
                    {{"kind", "User"}, {"name", "bob"}},
                    {{"kind", "Group"}, {"name", "system:masters"}}}}};
  CHECK(Cells(rolebindings, binding) == json{"readers", "Role/reader", "5h",
                                             "alice, bob", "system:masters",
                                             "metallb-system/controller"});

  const ResourceType crbs =
      Builtin("rbac.authorization.k8s.io", "clusterrolebindings");
  json cluster = {{"metadata", {{"name", "admins"}}},
                  {"roleRef", {{"kind", "ClusterRole"}, {"name", "admin"}}}};
  CHECK(Cells(crbs, cluster) ==
        json{"admins", "ClusterRole/admin", "<unknown>", "", "", ""});
}

TEST_CASE("kinds without a printer get NAME and CREATED AT") {
  for (const char* plural : {"roles", "clusterroles"}) {
    const ResourceType t = Builtin("rbac.authorization.k8s.io", plural);
    CHECK(Headers(t, true) == Strings{"NAME", "CREATED AT"});
    CHECK(ColumnDefinitions(t)[1]["type"] == "date");
    CHECK(Cells(t, {{"metadata", Meta("reader")}}) ==
          json{"reader", Ago(absl::Hours(5))});
  }
  const ResourceType crds =
      Builtin("apiextensions.k8s.io", "customresourcedefinitions");
  CHECK(Headers(crds, true) == Strings{"NAME", "CREATED AT"});
}

TEST_CASE("endpoint slices and endpoints") {
  const ResourceType slices = Builtin("discovery.k8s.io", "endpointslices");
  CHECK(Headers(slices, true) ==
        Strings{"NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"});
  json slice = {{"metadata", Meta("web-abc12")},
                {"addressType", "IPv4"},
                {"ports",
                 {{{"name", "http"}, {"port", 80}},
                  {{"name", "https"}, {"port", 443}},
                  {{"name", "named"}},
                  json::object(),
                  {{"port", 9090}}}},
                {"endpoints",
                 {{{"addresses", {"10.1.0.1"}}},
                  {{"addresses", {"10.1.0.2", "10.1.0.3"}}},
                  {{"addresses", {"10.1.0.4"}}}}}};
  CHECK(Cells(slices, slice) ==
        json{"web-abc12", "IPv4", "80,443,named + 2 more...",
             "10.1.0.1,10.1.0.2,10.1.0.3 + 1 more...", "5h"});
  json empty = {{"metadata", Meta("none")}, {"addressType", "IPv6"}};
  CHECK(Cells(slices, empty) ==
        json{"none", "IPv6", "<unset>", "<unset>", "5h"});

  const ResourceType endpoints = Builtin("", "endpoints");
  json ep = {{"metadata", Meta("dns")},
             {"subsets",
              {{{"addresses", {{{"ip", "fd00::1"}}}},
                {"ports", {{{"port", 53}}, {{"port", 9153}}}}},
               {{"addresses", {{{"ip", "10.1.0.9"}}}}}}}};
  CHECK(Cells(endpoints, ep) ==
        json{"dns", "[fd00::1]:53,[fd00::1]:9153,10.1.0.9", "5h"});
  CHECK(Cells(endpoints, {{"metadata", Meta("none")}})[1] == "<none>");
  CHECK(Cells(endpoints, {{"metadata", Meta("unready")},
                          {"subsets", {{{"ports", {{{"port", 80}}}}}}}})[1] ==
        "");
}

TEST_CASE("services: external addresses by type, ports and selector") {
  const ResourceType services = Builtin("", "services");
  json lb = {{"metadata", Meta("nginx")},
             {"spec",
              {{"type", "LoadBalancer"},
               {"clusterIP", "10.96.4.2"},
               {"clusterIPs", {"10.96.4.2"}},
               {"externalIPs", {"198.51.100.9"}},
               {"selector", {{"tier", "web"}, {"app", "nginx"}}},
               {"ports",
                {{{"port", 80}, {"nodePort", 31000}, {"protocol", "TCP"}},
                 {{"port", 53}, {"protocol", "UDP"}}}}}},
             {"status",
              {{"loadBalancer",
                {{"ingress",
                  {{{"ip", "192.168.1.241"}},
                   {{"hostname", "lb.example.com"}},
                   {{"ip", "192.168.1.240"}}}}}}}}};
  CHECK(Cells(services, lb) ==
        json{"nginx", "LoadBalancer", "10.96.4.2",
             "192.168.1.240,192.168.1.241,lb.example.com,198.51.100.9",
             "80:31000/TCP,53/UDP", "5h", "app=nginx,tier=web"});
  json pending = lb;
  pending["spec"].erase("externalIPs");
  pending.erase("status");
  CHECK(Cells(services, pending)[3] == "<pending>");
  json external = {
      {"metadata", Meta("db")},
      {"spec", {{"type", "ExternalName"}, {"externalName", "db.example.com"}}}};
  CHECK(Cells(services, external) == json{"db", "ExternalName", "<none>",
                                          "db.example.com", "<none>", "5h",
                                          "<none>"});
  json headless = {{"metadata", Meta("peers")},
                   {"spec", {{"type", "ClusterIP"}, {"clusterIP", "None"}}}};
  CHECK(Cells(services, headless)[2] == "None");
  CHECK(Cells(services, headless)[3] == "<none>");
}

TEST_CASE("events: last seen, object, and the wide source and count") {
  const ResourceType events = Builtin("", "events");
  CHECK(Headers(events, false) ==
        Strings{"LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"});
  CHECK(Headers(events, true) ==
        Strings{"LAST SEEN", "TYPE", "REASON", "OBJECT", "SUBOBJECT", "SOURCE",
                "MESSAGE", "FIRST SEEN", "COUNT", "NAME"});
  json ev = {
      {"metadata", Meta("web.17")},
      {"involvedObject",
       {{"kind", "Service"}, {"name", "web"}, {"fieldPath", "spec.ports[0]"}}},
      {"type", "Normal"},
      {"reason", "IPAllocated"},
      {"message", "Assigned IP 192.168.1.240 \n"},
      {"source", {{"component", "controller"}, {"host", "node-a"}}},
      {"count", 4},
      {"firstTimestamp", Ago(absl::Hours(3))},
      {"lastTimestamp", Ago(absl::Minutes(2))}};
  CHECK(Cells(events, ev) == json{"2m", "Normal", "IPAllocated", "service/web",
                                  "spec.ports[0]", "controller, node-a",
                                  "Assigned IP 192.168.1.240", "3h", 4,
                                  "web.17"});

  // The new API: eventTime, a series, reportingController.
  const ResourceType new_events = Builtin("events.k8s.io", "events");
  json nev = {
      {"metadata", Meta("web.18")},
      {"regarding", {{"kind", "Node"}, {"name", "node-a"}}},
      {"type", "Warning"},
      {"reason", "Flapping"},
      {"note", "carrier lost"},
      {"eventTime", "2027-01-15T07:00:00.000000Z"},
      {"reportingController", "speaker"},
      {"series", {{"count", 7}, {"lastObservedTime", Ago(absl::Seconds(40))}}}};
  json cells = Cells(new_events, nev);
  CHECK(cells[0] == "40s");
  CHECK(cells[3] == "node/node-a");
  CHECK(cells[5] == "speaker");
  CHECK(cells[6] == "carrier lost");
  CHECK(cells[8] == 7);
  json bare = {{"metadata", Meta("x")},
               {"involvedObject", {{"kind", "Namespace"}}}};
  cells = Cells(events, bare);
  CHECK(cells[0] == "<unknown>");
  CHECK(cells[3] == "namespace");
  CHECK(cells[8] == 1);
}

TEST_CASE("the other core and policy kinds") {
  CHECK(Cells(Builtin("", "namespaces"), {{"metadata", Meta("prod")},
                                          {"status", {{"phase", "Active"}}}}) ==
        json{"prod", "Active", "5h"});
  CHECK(Cells(Builtin("", "configmaps"), {{"metadata", Meta("config")},
                                          {"data", {{"a", "1"}}},
                                          {"binaryData", {{"b", "eA=="}}}}) ==
        json{"config", 2, "5h"});
  CHECK(Cells(Builtin("", "secrets"), {{"metadata", Meta("memberlist")},
                                       {"type", "Opaque"},
                                       {"data", {{"k", "eA=="}}}}) ==
        json{"memberlist", "Opaque", 1, "5h"});
  const ResourceType sa = Builtin("", "serviceaccounts");
  CHECK(Headers(sa, true) == Strings{"NAME", "SECRETS", "AGE"});
  CHECK(Cells(sa, {{"metadata", Meta("default")}}) == json{"default", 0, "5h"});
  CHECK(Cells(Builtin("coordination.k8s.io", "leases"),
              {{"metadata", Meta("speaker")}}) == json{"speaker", "", "5h"});
  const ResourceType pdbs = Builtin("policy", "poddisruptionbudgets");
  CHECK(Headers(pdbs, true) == Strings{"NAME", "MIN AVAILABLE",
                                       "MAX UNAVAILABLE", "ALLOWED DISRUPTIONS",
                                       "AGE"});
  CHECK(Cells(pdbs, {{"metadata", Meta("web")},
                     {"spec", {{"minAvailable", "50%"}}},
                     {"status", {{"disruptionsAllowed", 1}}}}) ==
        json{"web", "50%", "N/A", 1, "5h"});
  CHECK(Cells(pdbs,
              {{"metadata", Meta("db")}, {"spec", {{"maxUnavailable", 1}}}}) ==
        json{"db", "N/A", "1", 0, "5h"});
}

TEST_CASE("component statuses: the Healthy condition") {
  ResourceType cs;
  cs.version = "v1";
  cs.kind = "ComponentStatus";
  cs.plural = "componentstatuses";
  cs.namespaced = false;
  CHECK(Headers(cs, true) == Strings{"NAME", "STATUS", "MESSAGE", "ERROR"});
  CHECK(
      Cells(
          cs,
          {{"metadata", {{"name", "etcd-0"}}},
           {"conditions",
            {{{"type", "Healthy"}, {"status", "True"}, {"message", "ok"}}}}}) ==
      json{"etcd-0", "Healthy", "ok", ""});
  CHECK(Cells(cs, {{"metadata", {{"name", "scheduler"}}},
                   {"conditions",
                    {{{"type", "Healthy"},
                      {"status", "False"},
                      {"error", "connection refused"}}}}}) ==
        json{"scheduler", "Unhealthy", "", "connection refused"});
  CHECK(Cells(cs, {{"metadata", {{"name", "x"}}}}) ==
        json{"x", "Unknown", "", ""});
}

ResourceType Pools(json printer_columns) {
  ResourceType t;
  t.group = "metallb.io";
  t.version = "v1beta1";
  t.kind = "IPAddressPool";
  t.plural = "ipaddresspools";
  t.builtin = false;
  t.printer_columns = std::move(printer_columns);
  return t;
}

TEST_CASE("custom resources: the CRD's printer columns, or NAME and AGE") {
  const ResourceType plain = Pools(json::array());
  CHECK(Headers(plain, true) == Strings{"NAME", "AGE"});
  CHECK(ColumnDefinitions(plain)[1]["type"] == "date");
  json pool = {{"metadata", Meta("pool", absl::Minutes(3))},
               {"spec",
                {{"addresses", {"192.168.1.240/28", "fc00::/64"}},
                 {"autoAssign", false},
                 {"labels", {{"b", 2}, {"a", 1}}},
                 {"weird.key", "dotted"}}},
               {"status",
                {{"assigned", 3},
                 {"ratio", 0.25},
                 {"conditions",
                  {{{"type", "Ready"},
                    {"status", "True"},
                    {"lastTransitionTime", Ago(absl::Seconds(90))}}}}}}};
  CHECK(Cells(plain, pool) == json{"pool", "3m"});

  const ResourceType declared = Pools(json::array({
      {{"name", "First"},
       {"type", "string"},
       {"jsonPath", ".spec.addresses[0]"}},
      {{"name", "Last"},
       {"type", "string"},
       {"jsonPath", ".spec.addresses[-1]"}},
      {{"name", "Auto"}, {"type", "boolean"}, {"jsonPath", ".spec.autoAssign"}},
      {{"name", "Assigned"},
       {"type", "integer"},
       {"jsonPath", ".status.assigned"},
       {"description", "Addresses in use"}},
      {{"name", "Ratio"}, {"type", "number"}, {"jsonPath", ".status.ratio"}},
      {{"name", "Ready"},
       {"type", "string"},
       {"jsonPath", ".status.conditions[0].status"},
       {"priority", 1}},
      {{"name", "Since"},
       {"type", "date"},
       {"jsonPath", ".status.conditions[*].lastTransitionTime"}},
      {{"name", "Labels"}, {"type", "string"}, {"jsonPath", ".spec.labels"}},
      {{"name", "Dotted"},
       {"type", "string"},
       {"jsonPath", ".spec['weird.key']"}},
      {{"name", "Missing"}, {"type", "string"}, {"jsonPath", ".spec.nothing"}},
      {{"name", "Mistyped"},
       {"type", "integer"},
       {"jsonPath", ".spec.autoAssign"}},
  }));
  // No AGE unless the CRD declares one, as the apiextensions-apiserver serves.
  CHECK(Headers(declared, false) ==
        Strings{"NAME", "FIRST", "LAST", "AUTO", "ASSIGNED", "RATIO", "SINCE",
                "LABELS", "DOTTED", "MISSING", "MISTYPED"});
  json cols = ColumnDefinitions(declared);
  CHECK(cols[4]["description"] == "Addresses in use");
  CHECK(cols[1]["description"] ==
        "Custom resource definition column (in JSONPath format): "
        ".spec.addresses[0]");
  CHECK(cols[6]["priority"] == 1);
  CHECK(Cells(declared, pool) ==
        json{"pool", "192.168.1.240/28", "fc00::/64", false, 3, 0.25, "True",
             "90s", R"({"a":1,"b":2})", "dotted", nullptr, nullptr});
}

TEST_CASE("HumanDuration rounds as kubectl does") {
  CHECK(HumanDuration(absl::Seconds(-1)) == "0s");
  CHECK(HumanDuration(absl::Seconds(-5)) == "<invalid>");
  CHECK(HumanDuration(absl::Seconds(119)) == "119s");
  CHECK(HumanDuration(absl::Seconds(200)) == "3m20s");
  CHECK(HumanDuration(absl::Minutes(90)) == "90m");
  CHECK(HumanDuration(absl::Minutes(5 * 60 + 7)) == "5h7m");
  CHECK(HumanDuration(absl::Hours(51)) == "2d3h");
  CHECK(HumanDuration(absl::Hours(24 * 400)) == "400d");
  CHECK(HumanDuration(absl::Hours(24 * 365 * 3)) == "3y");
  CHECK(HumanDuration(absl::Hours(24 * (365 * 3 + 12))) == "3y12d");
  CHECK(HumanDuration(absl::Hours(24 * 365 * 9)) == "9y");
}

}  // namespace
}  // namespace lb::k8s::testing
