#include "lib/k8s/testing/tables.h"

#include <algorithm>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/k8s/testing/internal/fields.h"

namespace lb::k8s::testing {
namespace {

using internal::Field;
using internal::Rfc3339;
using internal::Str;

// The printers kube-apiserver has for the kinds served; kDefault is its
// table for kinds without one, kCustom the apiextensions-apiserver's.
enum class Printer {
  kDefault,
  kCustom,
  kComponentStatus,
  kConfigMap,
  kDaemonSet,
  kDeployment,
  kEndpoints,
  kEndpointSlice,
  kEvent,
  kLease,
  kNamespace,
  kNode,
  kPod,
  kPodDisruptionBudget,
  kReplicaSet,
  kRoleBinding,
  kSecret,
  kService,
  kServiceAccount,
};

Printer PrinterOf(const ResourceType& t) {
  if (!t.builtin) return Printer::kCustom;
  const std::string& p = t.plural;
  if (t.group.empty()) {
    if (p == "componentstatuses") return Printer::kComponentStatus;
    if (p == "configmaps") return Printer::kConfigMap;
    if (p == "endpoints") return Printer::kEndpoints;
    if (p == "events") return Printer::kEvent;
    if (p == "namespaces") return Printer::kNamespace;
    if (p == "nodes") return Printer::kNode;
    if (p == "pods") return Printer::kPod;
    if (p == "secrets") return Printer::kSecret;
    if (p == "services") return Printer::kService;
    if (p == "serviceaccounts") return Printer::kServiceAccount;
  } else if (t.group == "apps") {
    if (p == "daemonsets") return Printer::kDaemonSet;
    if (p == "deployments") return Printer::kDeployment;
    if (p == "replicasets") return Printer::kReplicaSet;
  } else if (t.group == "rbac.authorization.k8s.io") {
    if (p == "rolebindings" || p == "clusterrolebindings") {
      return Printer::kRoleBinding;
    }
  } else if (t.group == "coordination.k8s.io" && p == "leases") {
    return Printer::kLease;
  } else if (t.group == "discovery.k8s.io" && p == "endpointslices") {
    return Printer::kEndpointSlice;
  } else if (t.group == "events.k8s.io" && p == "events") {
    return Printer::kEvent;
  } else if (t.group == "policy" && p == "poddisruptionbudgets") {
    return Printer::kPodDisruptionBudget;
  }
  return Printer::kDefault;
}

// One column definition; `priority` 1 for the columns of `-o wide`.
json Col(const std::string& name, const std::string& type,
         const std::string& description, int priority = 0,
         const std::string& format = "") {
  return {{"name", name},
          {"type", type},
          {"format", format},
          {"description", description},
          {"priority", priority}};
}

json NameCol() {
  return Col("Name", "string", "The name of the object, unique in its kind", 0,
             "name");
}
json AgeCol() {
  return Col("Age", "string", "The time since the object was created");
}
// The wide columns of the workload printers.
void AddTemplateCols(json* cols, const std::string& selector_description) {
  cols->push_back(Col("Containers", "string",
                      "Names of each container in the template.", 1));
  cols->push_back(Col("Images", "string",
                      "Images referenced by each container in the template.",
                      1));
  cols->push_back(Col("Selector", "string", selector_description, 1));
}

json BuiltinColumns(Printer p) {
  switch (p) {
    case Printer::kDefault:
      return {NameCol(), Col("Created At", "date",
                             "The time the object was created (RFC 3339)")};
    case Printer::kCustom:
      return json::array();  // From the CRD; see ColumnDefinitions.
    case Printer::kComponentStatus:
      return {NameCol(),
              Col("Status", "string", "Status of the component conditions"),
              Col("Message", "string", "Message of the component conditions"),
              Col("Error", "string", "Error of the component conditions")};
    case Printer::kConfigMap:
      return {NameCol(), Col("Data", "string", "The number of data keys"),
              AgeCol()};
    case Printer::kDaemonSet: {
      json cols = {
          NameCol(),
          Col("Desired", "integer", "Nodes that should run the daemon pod"),
          Col("Current", "integer", "Nodes that run at least one daemon pod"),
          Col("Ready", "integer", "Nodes whose daemon pod is ready"),
          Col("Up-to-date", "integer", "Nodes that run the updated daemon pod"),
          Col("Available", "integer", "Nodes whose daemon pod is available"),
          Col("Node Selector", "string",
              "The node selector of the pod template"),
          AgeCol()};
      AddTemplateCols(&cols, "The label selector of the daemon pods");
      return cols;
    }
    case Printer::kDeployment: {
      json cols = {
          NameCol(),
          Col("Ready", "string", "Number of the pod with ready state"),
          Col("Up-to-date", "string", "Pods that run the latest pod template"),
          Col("Available", "string", "Pods available to serve"), AgeCol()};
      AddTemplateCols(&cols, "The label selector of the pods");
      return cols;
    }
    case Printer::kEndpoints:
      return {NameCol(),
              Col("Endpoints", "string", "The addresses and ports served"),
              AgeCol()};
    case Printer::kEndpointSlice:
      return {NameCol(),
              Col("AddressType", "string", "The type of the addresses"),
              Col("Ports", "string", "The ports of the endpoints"),
              Col("Endpoints", "string", "The addresses of the endpoints"),
              AgeCol()};
    case Printer::kEvent:
      return {
          Col("Last Seen", "string", "The time the event last occurred"),
          Col("Type", "string", "The type of the event"),
          Col("Reason", "string", "Why the event was recorded"),
          Col("Object", "string", "The object the event is about"),
          Col("Subobject", "string", "The field path within the object", 1),
          Col("Source", "string", "The component reporting the event", 1),
          Col("Message", "string", "What happened"),
          Col("First Seen", "string", "The time the event first occurred", 1),
          Col("Count", "string", "The number of occurrences", 1),
          Col("Name", "string", "The name of the object, unique in its kind", 1,
              "name")};
    case Printer::kLease:
      return {NameCol(), Col("Holder", "string", "The holder of the lease"),
              AgeCol()};
    case Printer::kNamespace:
      return {NameCol(), Col("Status", "string", "The status of the namespace"),
              AgeCol()};
    case Printer::kNode:
      return {NameCol(),
              Col("Status", "string", "The status of the node"),
              Col("Roles", "string", "The roles of the node"),
              AgeCol(),
              Col("Version", "string", "The kubelet's version"),
              Col("Internal-IP", "string", "The node's internal address", 1),
              Col("External-IP", "string", "The node's external address", 1),
              Col("OS-Image", "string", "The node's operating system image", 1),
              Col("Kernel-Version", "string", "The node's kernel version", 1),
              Col("Container-Runtime", "string",
                  "The node's container runtime and version", 1)};
    case Printer::kPod:
      return {NameCol(),
              Col("Ready", "string",
                  "The aggregate readiness state of this pod for accepting "
                  "traffic."),
              Col("Status", "string",
                  "The aggregate status of the containers in this pod."),
              Col("Restarts", "string",
                  "The number of times the containers in this pod have been "
                  "restarted and when the last container in this pod has "
                  "restarted."),
              AgeCol(),
              Col("IP", "string", "The pod's address", 1),
              Col("Node", "string", "The node the pod is bound to", 1),
              Col("Nominated Node", "string",
                  "The node the scheduler nominated for the pod", 1),
              Col("Readiness Gates", "string",
                  "Readiness gates whose condition is true, of all", 1)};
    case Printer::kPodDisruptionBudget:
      return {NameCol(),
              Col("Min Available", "string",
                  "The minimum number of pods that must be available."),
              Col("Max Unavailable", "string",
                  "The maximum number of pods that may be unavailable."),
              Col("Allowed Disruptions", "integer",
                  "Calculated number of pods that may be disrupted at this "
                  "time."),
              AgeCol()};
    case Printer::kReplicaSet: {
      json cols = {
          NameCol(), Col("Desired", "integer", "The number of pods wanted"),
          Col("Current", "integer", "The number of pods running"),
          Col("Ready", "integer", "The number of pods ready"), AgeCol()};
      AddTemplateCols(&cols, "The label selector of the pods");
      return cols;
    }
    case Printer::kRoleBinding:
      return {NameCol(),
              Col("Role", "string", "The role bound"),
              AgeCol(),
              Col("Users", "string", "Users in the binding", 1),
              Col("Groups", "string", "Groups in the binding", 1),
              Col("ServiceAccounts", "string", "ServiceAccounts in the binding",
                  1)};
    case Printer::kSecret:
      return {NameCol(), Col("Type", "string", "The type of the secret"),
              Col("Data", "string", "The number of data keys"), AgeCol()};
    case Printer::kService:
      return {NameCol(),
              Col("Type", "string", "The type of the service"),
              Col("Cluster-IP", "string", "The service's cluster address"),
              Col("External-IP", "string",
                  "The service's external or load-balancer addresses"),
              Col("Port(s)", "string", "The service's ports"),
              AgeCol(),
              Col("Selector", "string", "The pods the service routes to", 1)};
    case Printer::kServiceAccount:
      return {NameCol(),
              Col("Secrets", "string", "The number of secrets listed"),
              AgeCol()};
  }
  return json::array();
}

// --- Values ------------------------------------------------------------------

// An RFC 3339 timestamp; nullopt when absent or malformed (Go's zero time).
std::optional<absl::Time> Timestamp(const json& v) {
  absl::Time t;
  std::string err;
  if (!v.is_string() ||
      !absl::ParseTime(absl::RFC3339_full, v.get<std::string>(), &t, &err)) {
    return std::nullopt;
  }
  return t;
}

// translateTimestampSince: "<unknown>" for a zero time.
std::string Since(const json& timestamp, absl::Time now) {
  std::optional<absl::Time> t = Timestamp(timestamp);
  return t ? HumanDuration(now - *t) : "<unknown>";
}

int64_t Int(const json& v) {
  if (v.is_number_integer()) return v.get<int64_t>();
  if (v.is_number_float()) return static_cast<int64_t>(v.get<double>());
  return 0;
}

size_t Size(const json& v) {
  return v.is_object() || v.is_array() ? v.size() : 0;
}

// The elements of an array field; empty when absent.
const json& Items(const json& v) {
  static const json* const kEmpty = new json(json::array());
  return v.is_array() ? v : *kEmpty;
}

// IntOrString's String(): a number in decimal, a string as is.
std::string IntOrString(const json& v) {
  if (v.is_number()) return absl::StrCat(Int(v));
  return Str(v);
}

// labels.FormatLabels: "k=v,..." in key order, "<none>" when empty.
std::string FormatLabels(const json& labels) {
  std::vector<std::string> parts;
  if (labels.is_object()) {
    for (auto it = labels.begin(); it != labels.end(); ++it) {
      parts.push_back(absl::StrCat(it.key(), "=", Str(it.value())));
    }
  }
  return parts.empty() ? "<none>" : absl::StrJoin(parts, ",");
}

// metav1.LabelSelectorAsSelector(...).String(): requirements in key order
// ("k=v", "k in (a,b)", "k notin (a,b)", "k", "!k"), "" for a missing or
// empty selector; nullopt when the selector is malformed.
std::optional<std::string> SelectorString(const json& selector) {
  std::vector<std::pair<std::string, std::string>> reqs;
  const json& match = Field(selector, "matchLabels");
  if (match.is_object()) {
    for (auto it = match.begin(); it != match.end(); ++it) {
      reqs.push_back({it.key(), absl::StrCat(it.key(), "=", Str(it.value()))});
    }
  }
  for (const json& e : Items(Field(selector, "matchExpressions"))) {
    const std::string key = Str(Field(e, "key"));
    const std::string op = Str(Field(e, "operator"));
    std::vector<std::string> values;
    for (const json& v : Items(Field(e, "values"))) values.push_back(Str(v));
    std::sort(values.begin(), values.end());
    if (op == "In" || op == "NotIn") {
      if (values.empty()) return std::nullopt;
      reqs.push_back({key, absl::StrCat(key, op == "In" ? " in (" : " notin (",
                                        absl::StrJoin(values, ","), ")")});
    } else if (op == "Exists" || op == "DoesNotExist") {
      if (!values.empty()) return std::nullopt;
      reqs.push_back({key, op == "Exists" ? key : "!" + key});
    } else {
      return std::nullopt;
    }
  }
  std::stable_sort(reqs.begin(), reqs.end(), [](const auto& a, const auto& b) {
    return a.first < b.first;
  });
  std::vector<std::string> out;
  for (auto& r : reqs) out.push_back(std::move(r.second));
  return absl::StrJoin(out, ",");
}

// metav1.FormatLabelSelector: "<none>" when empty, "<error>" when malformed.
std::string FormatLabelSelector(const json& selector) {
  std::optional<std::string> s = SelectorString(selector);
  if (!s) return "<error>";
  return s->empty() ? "<none>" : *s;
}

// layoutContainerCells: the names and the images, comma-separated.
std::pair<std::string, std::string> ContainerCells(const json& containers) {
  std::vector<std::string> names, images;
  for (const json& c : Items(containers)) {
    names.push_back(Str(Field(c, "name")));
    images.push_back(Str(Field(c, "image")));
  }
  return {absl::StrJoin(names, ","), absl::StrJoin(images, ",")};
}

void AddTemplateCells(json* cells, const json& pod_spec,
                      const std::string& selector) {
  auto [names, images] = ContainerCells(Field(pod_spec, "containers"));
  cells->push_back(names);
  cells->push_back(images);
  cells->push_back(selector);
}

// listWithMoreString: at most `max` shown, then " + N more...";
// "<unset>" when there are none.
std::string ListWithMore(const std::vector<std::string>& all, size_t max) {
  if (all.empty()) return "<unset>";
  if (all.size() <= max) return absl::StrJoin(all, ",");
  return absl::StrCat(absl::StrJoin(all.begin(), all.begin() + max, ","), " + ",
                      all.size() - max, " more...");
}

// net.JoinHostPort: IPv6 addresses in brackets.
std::string JoinHostPort(const std::string& host, const std::string& port) {
  return absl::StrContains(host, ':') ? absl::StrCat("[", host, "]:", port)
                                      : absl::StrCat(host, ":", port);
}

// --- Cells per kind ----------------------------------------------------------

std::string EndpointsCell(const json& obj) {
  const json& subsets = Items(Field(obj, "subsets"));
  if (subsets.empty()) return "<none>";
  std::vector<std::string> all;
  for (const json& s : subsets) {
    const json& addresses = Items(Field(s, "addresses"));
    const json& ports = Items(Field(s, "ports"));
    if (ports.empty()) {
      // Headless Services may have no ports.
      for (const json& a : addresses) all.push_back(Str(Field(a, "ip")));
      continue;
    }
    for (const json& p : ports) {
      for (const json& a : addresses) {
        all.push_back(JoinHostPort(Str(Field(a, "ip")), Str(Field(p, "port"))));
      }
    }
  }
  if (all.size() <= 3) return absl::StrJoin(all, ",");
  return absl::StrCat(absl::StrJoin(all.begin(), all.begin() + 3, ","), " + ",
                      all.size() - 3, " more...");
}

json EndpointSliceCells(const json& obj) {
  std::vector<std::string> ports, addresses;
  for (const json& p : Items(Field(obj, "ports"))) {
    if (!Field(p, "port").is_null()) {
      ports.push_back(absl::StrCat(Int(Field(p, "port"))));
    } else if (!Field(p, "name").is_null()) {
      ports.push_back(Str(Field(p, "name")));
    } else {
      ports.push_back("*");
    }
  }
  for (const json& e : Items(Field(obj, "endpoints"))) {
    for (const json& a : Items(Field(e, "addresses"))) {
      addresses.push_back(Str(a));
    }
  }
  return {Str(Field(obj, "addressType")), ListWithMore(ports, 3),
          ListWithMore(addresses, 3)};
}

json NodeCells(const json& obj, const std::string& age) {
  // Only the Ready condition counts; the last of that type wins.
  std::string ready;
  for (const json& c : Items(Field(obj, "status", "conditions"))) {
    if (Str(Field(c, "type")) != "Ready") continue;
    ready = Str(Field(c, "status")) == "True" ? "Ready" : "NotReady";
  }
  std::vector<std::string> status = {ready.empty() ? "Unknown" : ready};
  if (Field(obj, "spec", "unschedulable") == json(true)) {
    status.push_back("SchedulingDisabled");
  }
  std::set<std::string> roles;
  const json& labels = Field(obj, "metadata", "labels");
  if (labels.is_object()) {
    constexpr absl::string_view kPrefix = "node-role.kubernetes.io/";
    for (auto it = labels.begin(); it != labels.end(); ++it) {
      if (absl::StartsWith(it.key(), kPrefix) &&
          it.key().size() > kPrefix.size()) {
        roles.insert(it.key().substr(kPrefix.size()));
      } else if (it.key() == "kubernetes.io/role" && !Str(it.value()).empty()) {
        roles.insert(Str(it.value()));
      }
    }
  }
  const json& info = Field(obj, "status", "nodeInfo");
  auto address = [&obj](const char* type) {
    for (const json& a : Items(Field(obj, "status", "addresses"))) {
      if (Str(Field(a, "type")) == type) return Str(Field(a, "address"));
    }
    return std::string("<none>");
  };
  auto known = [&info](const char* field) {
    std::string v = Str(Field(info, field));
    return v.empty() ? "<unknown>" : v;
  };
  return {Str(Field(obj, "metadata", "name")),
          absl::StrJoin(status, ","),
          roles.empty() ? "<none>" : absl::StrJoin(roles, ","),
          age,
          Str(Field(info, "kubeletVersion")),
          address("InternalIP"),
          address("ExternalIP"),
          known("osImage"),
          known("kernelVersion"),
          known("containerRuntimeVersion")};
}

bool HasCondition(const json& conditions, const char* type) {
  for (const json& c : Items(conditions)) {
    if (Str(Field(c, "type")) == type) return Str(Field(c, "status")) == "True";
  }
  return false;
}

json PodCells(const json& obj, const std::string& age, absl::Time now) {
  const json& spec = Field(obj, "spec");
  const json& status = Field(obj, "status");
  int64_t restarts = 0;
  int64_t restartable_init_restarts = 0;
  size_t total = Items(Field(spec, "containers")).size();
  int ready = 0;
  std::optional<absl::Time> last_restart, last_restartable_init_restart;
  auto later = [](std::optional<absl::Time>* t, const json& when) {
    std::optional<absl::Time> w = Timestamp(when);
    if (w && (!*t || **t < *w)) *t = w;
  };
  const std::string phase = Str(Field(status, "phase"));
  std::string reason = phase;
  if (!Str(Field(status, "reason")).empty())
    reason = Str(Field(status, "reason"));
  for (const json& c : Items(Field(status, "conditions"))) {
    if (Str(Field(c, "type")) == "PodScheduled" &&
        Str(Field(c, "reason")) == "SchedulingGated") {
      reason = "SchedulingGated";
    }
  }
  // Sidecars: init containers that restart always count as containers.
  std::set<std::string> restartable;
  const json& init_specs = Items(Field(spec, "initContainers"));
  for (const json& c : init_specs) {
    if (Str(Field(c, "restartPolicy")) == "Always") {
      restartable.insert(Str(Field(c, "name")));
      ++total;
    }
  }
  bool initializing = false;
  const json& init_statuses = Items(Field(status, "initContainerStatuses"));
  for (size_t i = 0; i < init_statuses.size(); ++i) {
    const json& c = init_statuses[i];
    const bool sidecar = restartable.count(Str(Field(c, "name"))) > 0;
    const json& terminated = Field(Field(c, "state"), "terminated");
    const json& waiting = Field(Field(c, "state"), "waiting");
    const json& last_terminated = Field(Field(c, "lastState"), "terminated");
    restarts += Int(Field(c, "restartCount"));
    if (last_terminated.is_object()) {
      later(&last_restart, Field(last_terminated, "finishedAt"));
    }
    if (sidecar) {
      restartable_init_restarts += Int(Field(c, "restartCount"));
      if (last_terminated.is_object()) {
        later(&last_restartable_init_restart,
              Field(last_terminated, "finishedAt"));
      }
    }
    if (terminated.is_object() && Int(Field(terminated, "exitCode")) == 0) {
      continue;
    }
    if (sidecar && Field(c, "started") == json(true)) {
      if (Field(c, "ready") == json(true)) ++ready;
      continue;
    }
    if (terminated.is_object()) {
      const std::string r = Str(Field(terminated, "reason"));
      if (!r.empty()) {
        reason = "Init:" + r;
      } else if (Int(Field(terminated, "signal")) != 0) {
        reason = absl::StrCat("Init:Signal:", Int(Field(terminated, "signal")));
      } else {
        reason =
            absl::StrCat("Init:ExitCode:", Int(Field(terminated, "exitCode")));
      }
    } else if (waiting.is_object() && !Str(Field(waiting, "reason")).empty() &&
               Str(Field(waiting, "reason")) != "PodInitializing") {
      reason = "Init:" + Str(Field(waiting, "reason"));
    } else {
      reason = absl::StrCat("Init:", i, "/", init_specs.size());
    }
    initializing = true;
    break;
  }
  if (!initializing ||
      HasCondition(Field(status, "conditions"), "Initialized")) {
    restarts = restartable_init_restarts;
    last_restart = last_restartable_init_restart;
    bool has_running = false;
    const json& statuses = Items(Field(status, "containerStatuses"));
    for (auto it = statuses.rbegin(); it != statuses.rend(); ++it) {
      const json& c = *it;
      const json& state = Field(c, "state");
      const json& terminated = Field(state, "terminated");
      const json& waiting = Field(state, "waiting");
      const json& last_terminated = Field(Field(c, "lastState"), "terminated");
      restarts += Int(Field(c, "restartCount"));
      if (last_terminated.is_object()) {
        later(&last_restart, Field(last_terminated, "finishedAt"));
      }
      if (waiting.is_object() && !Str(Field(waiting, "reason")).empty()) {
        reason = Str(Field(waiting, "reason"));
      } else if (terminated.is_object() &&
                 !Str(Field(terminated, "reason")).empty()) {
        reason = Str(Field(terminated, "reason"));
      } else if (terminated.is_object()) {
        reason =
            Int(Field(terminated, "signal")) != 0
                ? absl::StrCat("Signal:", Int(Field(terminated, "signal")))
                : absl::StrCat("ExitCode:", Int(Field(terminated, "exitCode")));
      } else if (Field(c, "ready") == json(true) &&
                 Field(state, "running").is_object()) {
        has_running = true;
        ++ready;
      }
    }
    // A pod with a container still running is not Completed.
    if (reason == "Completed" && has_running) {
      reason = HasCondition(Field(status, "conditions"), "Ready") ? "Running"
                                                                  : "NotReady";
    }
  }
  const bool deleting = !Field(obj, "metadata", "deletionTimestamp").is_null();
  if (deleting && Str(Field(status, "reason")) == "NodeLost") {
    reason = "Unknown";
  } else if (deleting && phase != "Succeeded" && phase != "Failed") {
    reason = "Terminating";
  }
  std::string restarts_cell = absl::StrCat(restarts);
  if (restarts != 0 && last_restart) {
    absl::StrAppend(&restarts_cell, " (", HumanDuration(now - *last_restart),
                    " ago)");
  }
  std::string ip = Str(Field(status, "podIP"));
  if (ip.empty() && !Items(Field(status, "podIPs")).empty()) {
    ip = Str(Field(Field(status, "podIPs")[0], "ip"));
  }
  auto or_none = [](std::string s) { return s.empty() ? "<none>" : s; };
  std::string gates = "<none>";
  const json& readiness_gates = Items(Field(spec, "readinessGates"));
  if (!readiness_gates.empty()) {
    int true_conditions = 0;
    for (const json& g : readiness_gates) {
      for (const json& c : Items(Field(status, "conditions"))) {
        if (Str(Field(c, "type")) != Str(Field(g, "conditionType"))) continue;
        if (Str(Field(c, "status")) == "True") ++true_conditions;
        break;
      }
    }
    gates = absl::StrCat(true_conditions, "/", readiness_gates.size());
  }
  return {Str(Field(obj, "metadata", "name")),
          absl::StrCat(ready, "/", total),
          reason,
          restarts_cell,
          age,
          or_none(ip),
          or_none(Str(Field(spec, "nodeName"))),
          or_none(Str(Field(status, "nominatedNodeName"))),
          gates};
}

// getServiceExternalIP, for wide output (no truncation).
std::string ServiceExternalIp(const json& obj) {
  const json& spec = Field(obj, "spec");
  std::vector<std::string> external;
  for (const json& ip : Items(Field(spec, "externalIPs"))) {
    external.push_back(Str(ip));
  }
  const std::string type = Str(Field(spec, "type"));
  if (type == "ClusterIP" || type == "NodePort") {
    return external.empty() ? "<none>" : absl::StrJoin(external, ",");
  }
  if (type == "LoadBalancer") {
    std::set<std::string> ingress;
    for (const json& i :
         Items(Field(Field(obj, "status", "loadBalancer"), "ingress"))) {
      const std::string ip = Str(Field(i, "ip"));
      const std::string host = Str(Field(i, "hostname"));
      if (!ip.empty()) {
        ingress.insert(ip);
      } else if (!host.empty()) {
        ingress.insert(host);
      }
    }
    std::vector<std::string> all(ingress.begin(), ingress.end());
    all.insert(all.end(), external.begin(), external.end());
    return all.empty() ? "<pending>" : absl::StrJoin(all, ",");
  }
  if (type == "ExternalName") return Str(Field(spec, "externalName"));
  return "<unknown>";
}

json ServiceCells(const json& obj, const std::string& age) {
  const json& spec = Field(obj, "spec");
  std::string cluster_ip = "<none>";
  if (!Items(Field(spec, "clusterIPs")).empty()) {
    cluster_ip = Str(Field(spec, "clusterIPs")[0]);
  } else if (!Str(Field(spec, "clusterIP")).empty()) {
    cluster_ip = Str(Field(spec, "clusterIP"));
  }
  std::vector<std::string> ports;
  for (const json& p : Items(Field(spec, "ports"))) {
    const std::string protocol = Str(Field(p, "protocol"));
    ports.push_back(Int(Field(p, "nodePort")) > 0
                        ? absl::StrCat(Int(Field(p, "port")), ":",
                                       Int(Field(p, "nodePort")), "/", protocol)
                        : absl::StrCat(Int(Field(p, "port")), "/", protocol));
  }
  return {Str(Field(obj, "metadata", "name")),
          Str(Field(spec, "type")),
          cluster_ip,
          ServiceExternalIp(obj),
          ports.empty() ? "<none>" : absl::StrJoin(ports, ","),
          age,
          FormatLabels(Field(spec, "selector"))};
}

// Core v1 and events.k8s.io/v1 Events (the latter's deprecated* fields are
// the former's).
json EventCells(const ResourceType& t, const json& obj, absl::Time now) {
  const bool core = t.group.empty();
  auto f = [&](const char* core_name, const char* events_name) -> const json& {
    return Field(obj, core ? core_name : events_name);
  };
  const json& first = f("firstTimestamp", "deprecatedFirstTimestamp");
  const json& last = f("lastTimestamp", "deprecatedLastTimestamp");
  std::string first_seen = Timestamp(first)
                               ? Since(first, now)
                               : Since(Field(obj, "eventTime"), now);
  std::string last_seen = Timestamp(last) ? Since(last, now) : first_seen;
  int64_t count = Int(f("count", "deprecatedCount"));
  const json& series = Field(obj, "series");
  if (series.is_object()) {
    last_seen = Since(Field(series, "lastObservedTime"), now);
    count = Int(Field(series, "count"));
  } else if (count == 0) {
    count = 1;  // A singleton event of the new API has no count.
  }
  const json& about = f("involvedObject", "regarding");
  const std::string kind = absl::AsciiStrToLower(Str(Field(about, "kind")));
  const std::string name = Str(Field(about, "name"));
  const json& source = f("source", "deprecatedSource");
  std::string component = Str(Field(source, "component"));
  if (component.empty()) {
    component = Str(f("reportingComponent", "reportingController"));
  }
  std::string instance = Str(Field(source, "host"));
  if (instance.empty()) instance = Str(Field(obj, "reportingInstance"));
  return {
      last_seen,
      Str(Field(obj, "type")),
      Str(Field(obj, "reason")),
      name.empty() ? kind : absl::StrCat(kind, "/", name),
      Str(Field(about, "fieldPath")),
      instance.empty() ? component : absl::StrCat(component, ", ", instance),
      std::string(absl::StripAsciiWhitespace(Str(f("message", "note")))),
      first_seen,
      count,
      Str(Field(obj, "metadata", "name"))};
}

json RoleBindingCells(const json& obj, const std::string& age) {
  std::vector<std::string> users, groups, service_accounts;
  for (const json& s : Items(Field(obj, "subjects"))) {
    const std::string kind = Str(Field(s, "kind"));
    const std::string name = Str(Field(s, "name"));
    if (kind == "ServiceAccount") {
      service_accounts.push_back(
          absl::StrCat(Str(Field(s, "namespace")), "/", name));
    } else if (kind == "User") {
      users.push_back(name);
    } else if (kind == "Group") {
      groups.push_back(name);
    }
  }
  const json& role = Field(obj, "roleRef");
  return {Str(Field(obj, "metadata", "name")),
          absl::StrCat(Str(Field(role, "kind")), "/", Str(Field(role, "name"))),
          age,
          absl::StrJoin(users, ", "),
          absl::StrJoin(groups, ", "),
          absl::StrJoin(service_accounts, ", ")};
}

json ComponentStatusCells(const json& obj) {
  std::string status = "Unknown", message, error;
  for (const json& c : Items(Field(obj, "conditions"))) {
    if (Str(Field(c, "type")) != "Healthy") continue;
    status = Str(Field(c, "status")) == "True" ? "Healthy" : "Unhealthy";
    message = Str(Field(c, "message"));
    error = Str(Field(c, "error"));
    break;
  }
  return {Str(Field(obj, "metadata", "name")), status, message, error};
}

// --- Custom resources -------------------------------------------------------

// One step of a printer column's JSONPath: a field, an index (negative
// from the end) or every element (`[*]`).
struct PathStep {
  enum { kField, kIndex, kAll } kind = kField;
  std::string field;
  int64_t index = 0;
};

// `.spec.replicas`, `.status.conditions[0].type`, `.metadata['x.y']`,
// `.items[*].name`; nullopt for anything else.
std::optional<std::vector<PathStep>> ParsePath(const std::string& path) {
  std::vector<PathStep> steps;
  size_t i = 0;
  while (i < path.size()) {
    PathStep step;
    if (path[i] == '.') {
      size_t end = path.find_first_of(".[", i + 1);
      if (end == std::string::npos) end = path.size();
      if (end == i + 1) return std::nullopt;
      step.field = path.substr(i + 1, end - i - 1);
      i = end;
    } else if (path[i] == '[') {
      const size_t close = path.find(']', i);
      if (close == std::string::npos) return std::nullopt;
      const std::string inner = path.substr(i + 1, close - i - 1);
      if (inner == "*") {
        step.kind = PathStep::kAll;
      } else if (inner.size() >= 2 && (inner[0] == '\'' || inner[0] == '"') &&
                 inner.back() == inner[0]) {
        step.field = inner.substr(1, inner.size() - 2);
      } else if (absl::SimpleAtoi(inner, &step.index)) {
        step.kind = PathStep::kIndex;
      } else {
        return std::nullopt;
      }
      i = close + 1;
    } else {
      return std::nullopt;
    }
    steps.push_back(std::move(step));
  }
  if (steps.empty()) return std::nullopt;
  return steps;
}

// The first value `steps` reach from `v`, or null when none.
const json* Resolve(const json& v, const std::vector<PathStep>& steps,
                    size_t from) {
  if (from == steps.size()) return &v;
  const PathStep& s = steps[from];
  switch (s.kind) {
    case PathStep::kField: {
      if (!v.is_object()) return nullptr;
      auto it = v.find(s.field);
      return it == v.end() ? nullptr : Resolve(*it, steps, from + 1);
    }
    case PathStep::kIndex: {
      if (!v.is_array()) return nullptr;
      const int64_t n = static_cast<int64_t>(v.size());
      const int64_t i = s.index < 0 ? n + s.index : s.index;
      return i < 0 || i >= n
                 ? nullptr
                 : Resolve(v[static_cast<size_t>(i)], steps, from + 1);
    }
    case PathStep::kAll:
      if (!v.is_array() && !v.is_object()) return nullptr;
      for (const json& x : v) {
        if (const json* r = Resolve(x, steps, from + 1)) return r;
      }
      return nullptr;
  }
  return nullptr;
}

// The CRD version's columns, or AGE when it declares none.
json CustomColumns(const ResourceType& t) {
  if (Items(t.printer_columns).empty()) {
    return json::array(
        {{{"name", "Age"},
          {"type", "date"},
          {"jsonPath", ".metadata.creationTimestamp"},
          {"description", "The time since the object was created"}}});
  }
  return t.printer_columns;
}

// The cell of one printer column: jsonpath's text of the value for
// "string" (JSON for objects and arrays), the value for "integer",
// "number" and "boolean", the age for "date"; null when there is no value
// or it has another type.
json CustomCell(const json& column, const json& obj, absl::Time now) {
  std::optional<std::vector<PathStep>> steps =
      ParsePath(Str(Field(column, "jsonPath")));
  if (!steps) return nullptr;
  const json* v = Resolve(obj, *steps, 0);
  if (v == nullptr) return nullptr;
  const std::string type = Str(Field(column, "type"));
  if (type == "string") {
    if (v->is_string()) return v->get<std::string>();
    if (v->is_null()) return "<no value>";
    return v->dump();
  }
  if (v->is_null()) return nullptr;
  if (type == "integer" && v->is_number()) return Int(*v);
  if (type == "number" && v->is_number()) return v->get<double>();
  if (type == "boolean" && v->is_boolean()) return *v;
  if (type == "date" && v->is_string()) {
    std::optional<absl::Time> t = Timestamp(*v);
    return t ? HumanDuration(now - *t) : "<invalid>";
  }
  return nullptr;
}

json Cells(const ResourceType& t, const json& obj, absl::Time now) {
  const json& md = Field(obj, "metadata");
  const std::string name = Str(Field(md, "name"));
  const std::string age = Since(Field(md, "creationTimestamp"), now);
  const json& spec = Field(obj, "spec");
  const json& status = Field(obj, "status");
  const json& pod_spec = Field(Field(spec, "template"), "spec");
  switch (PrinterOf(t)) {
    case Printer::kDefault: {
      std::optional<absl::Time> created =
          Timestamp(Field(md, "creationTimestamp"));
      return {name, created ? Rfc3339(*created) : "0001-01-01T00:00:00Z"};
    }
    case Printer::kCustom: {
      json cells = {name};
      for (const json& c : CustomColumns(t)) {
        cells.push_back(CustomCell(c, obj, now));
      }
      return cells;
    }
    case Printer::kComponentStatus:
      return ComponentStatusCells(obj);
    case Printer::kConfigMap:
      return {name, Size(Field(obj, "data")) + Size(Field(obj, "binaryData")),
              age};
    case Printer::kDaemonSet: {
      json cells = {name,
                    Int(Field(status, "desiredNumberScheduled")),
                    Int(Field(status, "currentNumberScheduled")),
                    Int(Field(status, "numberReady")),
                    Int(Field(status, "updatedNumberScheduled")),
                    Int(Field(status, "numberAvailable")),
                    FormatLabels(Field(pod_spec, "nodeSelector")),
                    age};
      AddTemplateCells(&cells, pod_spec,
                       FormatLabelSelector(Field(spec, "selector")));
      return cells;
    }
    case Printer::kDeployment: {
      json cells = {name,
                    absl::StrCat(Int(Field(status, "readyReplicas")), "/",
                                 Int(Field(spec, "replicas"))),
                    Int(Field(status, "updatedReplicas")),
                    Int(Field(status, "availableReplicas")), age};
      std::optional<std::string> selector =
          SelectorString(Field(spec, "selector"));
      AddTemplateCells(&cells, pod_spec, selector ? *selector : "<invalid>");
      return cells;
    }
    case Printer::kEndpoints:
      return {name, EndpointsCell(obj), age};
    case Printer::kEndpointSlice: {
      json cells = EndpointSliceCells(obj);
      cells.insert(cells.begin(), name);
      cells.push_back(age);
      return cells;
    }
    case Printer::kEvent:
      return EventCells(t, obj, now);
    case Printer::kLease:
      return {name, Str(Field(spec, "holderIdentity")), age};
    case Printer::kNamespace:
      return {name, Str(Field(status, "phase")), age};
    case Printer::kNode:
      return NodeCells(obj, age);
    case Printer::kPod:
      return PodCells(obj, age, now);
    case Printer::kPodDisruptionBudget: {
      const json& min = Field(spec, "minAvailable");
      const json& max = Field(spec, "maxUnavailable");
      return {name, min.is_null() ? "N/A" : IntOrString(min),
              max.is_null() ? "N/A" : IntOrString(max),
              Int(Field(status, "disruptionsAllowed")), age};
    }
    case Printer::kReplicaSet: {
      json cells = {name, Int(Field(spec, "replicas")),
                    Int(Field(status, "replicas")),
                    Int(Field(status, "readyReplicas")), age};
      AddTemplateCells(&cells, pod_spec,
                       FormatLabelSelector(Field(spec, "selector")));
      return cells;
    }
    case Printer::kRoleBinding:
      return RoleBindingCells(obj, age);
    case Printer::kSecret:
      return {name, Str(Field(obj, "type")), Size(Field(obj, "data")), age};
    case Printer::kService:
      return ServiceCells(obj, age);
    case Printer::kServiceAccount:
      return {name, Size(Field(obj, "secrets")), age};
  }
  return {name};
}

}  // namespace

std::string HumanDuration(absl::Duration d) {
  int64_t s = absl::ToInt64Seconds(d);
  if (s < -1) return "<invalid>";
  if (s < 0) return "0s";
  if (s < 120) return absl::StrCat(s, "s");
  int64_t m = s / 60;
  if (m < 10) {
    return s % 60 == 0 ? absl::StrCat(m, "m")
                       : absl::StrCat(m, "m", s % 60, "s");
  }
  if (m < 180) return absl::StrCat(m, "m");
  int64_t h = s / 3600;
  if (h < 8) {
    return m % 60 == 0 ? absl::StrCat(h, "h")
                       : absl::StrCat(h, "h", m % 60, "m");
  }
  if (h < 48) return absl::StrCat(h, "h");
  if (h < 24 * 8) {
    return h % 24 == 0 ? absl::StrCat(h / 24, "d")
                       : absl::StrCat(h / 24, "d", h % 24, "h");
  }
  if (h < 24 * 365 * 2) return absl::StrCat(h / 24, "d");
  if (h < 24 * 365 * 8) {
    const int64_t days = (h / 24) % 365;
    return days == 0 ? absl::StrCat(h / 24 / 365, "y")
                     : absl::StrCat(h / 24 / 365, "y", days, "d");
  }
  return absl::StrCat(h / 24 / 365, "y");
}

json ColumnDefinitions(const ResourceType& t) {
  if (PrinterOf(t) != Printer::kCustom) return BuiltinColumns(PrinterOf(t));
  json cols = {NameCol()};
  for (const json& c : CustomColumns(t)) {
    std::string description = Str(Field(c, "description"));
    if (description.empty()) {
      description = absl::StrCat(
          "Custom resource definition column (in JSONPath "
          "format): ",
          Str(Field(c, "jsonPath")));
    }
    cols.push_back(Col(Str(Field(c, "name")), Str(Field(c, "type")),
                       description, static_cast<int>(Int(Field(c, "priority"))),
                       Str(Field(c, "format"))));
  }
  return cols;
}

json TableRow(const ResourceType& t, const json& obj, absl::Time now) {
  json row = {{"cells", Cells(t, obj, now)},
              {"object",
               {{"kind", "PartialObjectMetadata"},
                {"apiVersion", "meta.k8s.io/v1"},
                {"metadata", Field(obj, "metadata")}}}};
  if (PrinterOf(t) == Printer::kPod) {
    const std::string phase = Str(Field(obj, "status", "phase"));
    if (phase == "Succeeded" || phase == "Failed") {
      row["conditions"] = json::array(
          {{{"type", "Completed"},
            {"status", "True"},
            {"reason", phase},
            {"message", phase == "Succeeded" ? "The pod has completed "
                                               "successfully."
                                             : "The pod failed."}}});
    }
  }
  return row;
}

json Table(const ResourceType& t, const std::vector<const json*>& objs,
           int64_t rv, bool with_columns, absl::Time now) {
  json table = {{"kind", "Table"},
                {"apiVersion", "meta.k8s.io/v1"},
                {"metadata", {{"resourceVersion", std::to_string(rv)}}},
                {"rows", json::array()}};
  if (with_columns) table["columnDefinitions"] = ColumnDefinitions(t);
  for (const json* o : objs) table["rows"].push_back(TableRow(t, *o, now));
  return table;
}

}  // namespace lb::k8s::testing
