#include "lib/k8s/testing/tables.h"

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "lib/k8s/testing/internal/fields.h"

namespace lb::k8s::testing {
namespace {

using internal::Field;
using internal::Str;

// Core v1 and events.k8s.io/v1 Events; `age` is the object's age, the
// fallback for LAST SEEN.
json EventCells(const ResourceType& t, const json& obj, const std::string& age,
                absl::Time now) {
  const bool core = t.group.empty();
  std::string last_seen = age;
  for (const char* field : {"lastTimestamp", "eventTime"}) {
    absl::Time when;
    std::string err;
    if (absl::ParseTime(absl::RFC3339_full, Str(Field(obj, field)), &when,
                        &err)) {
      last_seen = HumanDuration(now - when);
      break;
    }
  }
  const json& about = Field(obj, core ? "involvedObject" : "regarding");
  std::string object =
      absl::StrCat(absl::AsciiStrToLower(Str(Field(about, "kind"))), "/",
                   Str(Field(about, "name")));
  return {last_seen,
          Str(Field(obj, "type")),
          Str(Field(obj, "reason")),
          object,
          Str(Field(obj, core ? "message" : "note")),
          Str(Field(obj, "metadata", "name"))};
}

// kube-apiserver's columns for some core kinds, around NAME and AGE:
// `before` come between them, `after` follow AGE. Empty for other kinds.
struct BuiltinColumns {
  std::vector<const char*> before, after;
};

BuiltinColumns BuiltinColumnsOf(const ResourceType& t) {
  if (t.group.empty()) {
    if (t.plural == "namespaces") return {{"Status"}, {}};
    if (t.plural == "configmaps") return {{"Data"}, {}};
    if (t.plural == "secrets") return {{"Type", "Data"}, {}};
    if (t.plural == "nodes") return {{"Status", "Roles"}, {"Version"}};
    if (t.plural == "endpoints") return {{"Endpoints"}, {}};
  }
  if (t.group == "coordination.k8s.io" && t.plural == "leases") {
    return {{"Holder"}, {}};
  }
  return {};
}

// Number of keys of an object field, 0 when absent.
size_t KeysOf(const json& v) { return v.is_object() ? v.size() : 0; }

std::string NodeStatus(const json& obj) {
  std::string ready = "Unknown";
  const json& conditions = Field(obj, "status", "conditions");
  if (conditions.is_array()) {
    for (const json& c : conditions) {
      if (Str(Field(c, "type")) != "Ready") continue;
      const std::string v = Str(Field(c, "status"));
      ready = v == "True" ? "Ready" : v == "False" ? "NotReady" : "Unknown";
    }
  }
  if (Field(obj, "spec", "unschedulable") == json(true)) {
    absl::StrAppend(&ready, ",SchedulingDisabled");
  }
  return ready;
}

std::string NodeRoles(const json& obj) {
  std::vector<std::string> roles;
  const json& labels = Field(obj, "metadata", "labels");
  if (labels.is_object()) {
    for (auto it = labels.begin(); it != labels.end(); ++it) {
      constexpr absl::string_view kPrefix = "node-role.kubernetes.io/";
      if (absl::StartsWith(it.key(), kPrefix) &&
          it.key().size() > kPrefix.size()) {
        roles.push_back(it.key().substr(kPrefix.size()));
      }
    }
  }
  return roles.empty() ? "<none>" : absl::StrJoin(roles, ",");
}

// ENDPOINTS: address:port pairs, at most three, then " + N more...".
std::string EndpointsCell(const json& obj) {
  std::vector<std::string> all;
  const json& subsets = Field(obj, "subsets");
  if (subsets.is_array()) {
    for (const json& s : subsets) {
      const json& addresses = Field(s, "addresses");
      const json& ports = Field(s, "ports");
      if (!addresses.is_array()) continue;
      for (const json& a : addresses) {
        if (!ports.is_array() || ports.empty()) {
          all.push_back(Str(Field(a, "ip")));
          continue;
        }
        for (const json& p : ports) {
          all.push_back(
              absl::StrCat(Str(Field(a, "ip")), ":", Str(Field(p, "port"))));
        }
      }
    }
  }
  if (all.empty()) return "<none>";
  if (all.size() <= 3) return absl::StrJoin(all, ",");
  return absl::StrCat(absl::StrJoin(all.begin(), all.begin() + 3, ","), " + ",
                      all.size() - 3, " more...");
}

std::string BuiltinCell(const ResourceType& t, const char* column,
                        const json& obj) {
  const std::string c = column;
  if (t.plural == "namespaces") return Str(Field(obj, "status", "phase"));
  if (t.plural == "configmaps") {
    return absl::StrCat(KeysOf(Field(obj, "data")) +
                        KeysOf(Field(obj, "binaryData")));
  }
  if (t.plural == "secrets") {
    if (c == "Type") return Str(Field(obj, "type"));
    return absl::StrCat(KeysOf(Field(obj, "data")));
  }
  if (t.plural == "nodes") {
    if (c == "Status") return NodeStatus(obj);
    if (c == "Roles") return NodeRoles(obj);
    return Str(Field(Field(obj, "status"), "nodeInfo", "kubeletVersion"));
  }
  if (t.plural == "endpoints") return EndpointsCell(obj);
  // Leases.
  std::string holder = Str(Field(obj, "spec", "holderIdentity"));
  return holder.empty() ? "<none>" : holder;
}

json Cells(const ResourceType& t, const json& obj, absl::Time now) {
  const json& md = Field(obj, "metadata");
  std::string age = "<unknown>";
  absl::Time created;
  std::string err;
  if (absl::ParseTime(absl::RFC3339_full, Str(Field(md, "creationTimestamp")),
                      &created, &err)) {
    age = HumanDuration(now - created);
  }
  if (t.plural == "events") return EventCells(t, obj, age, now);
  json cells = {Str(Field(md, "name"))};
  if (t.group.empty() && t.plural == "services") {
    const json& spec = Field(obj, "spec");
    std::string type = Str(Field(spec, "type"));
    std::string cluster_ip = Str(Field(spec, "clusterIP"));
    if (cluster_ip.empty()) cluster_ip = "<none>";
    std::vector<std::string> external;
    for (const json& ing :
         Field(obj, "status", "loadBalancer").value("ingress", json::array())) {
      std::string v = Str(Field(ing, "ip"));
      if (v.empty()) v = Str(Field(ing, "hostname"));
      if (!v.empty()) external.push_back(v);
    }
    for (const json& ip : Field(spec, "externalIPs").is_array()
                              ? Field(spec, "externalIPs")
                              : json::array()) {
      external.push_back(Str(ip));
    }
    std::string ext = absl::StrJoin(external, ",");
    if (ext.empty()) {
      ext = type == "LoadBalancer" ? "<pending>" : "<none>";
    }
    if (type == "ExternalName") ext = Str(Field(spec, "externalName"));
    std::vector<std::string> ports;
    if (Field(spec, "ports").is_array()) {
      for (const json& p : Field(spec, "ports")) {
        std::string s = Str(Field(p, "port"));
        if (!Field(p, "nodePort").is_null()) {
          absl::StrAppend(&s, ":", Str(Field(p, "nodePort")));
        }
        absl::StrAppend(&s, "/", Str(Field(p, "protocol")));
        ports.push_back(s);
      }
    }
    std::vector<std::string> sel;
    if (Field(spec, "selector").is_object()) {
      for (auto it = Field(spec, "selector").begin();
           it != Field(spec, "selector").end(); ++it) {
        sel.push_back(it.key() + "=" + Str(it.value()));
      }
    }
    cells.push_back(type);
    cells.push_back(cluster_ip);
    cells.push_back(ext);
    cells.push_back(ports.empty() ? "<none>" : absl::StrJoin(ports, ","));
    cells.push_back(age);
    cells.push_back(sel.empty() ? "<none>" : absl::StrJoin(sel, ","));
    return cells;
  }
  const BuiltinColumns builtin = BuiltinColumnsOf(t);
  if (!builtin.before.empty()) {
    for (const char* c : builtin.before)
      cells.push_back(BuiltinCell(t, c, obj));
    cells.push_back(age);
    for (const char* c : builtin.after) cells.push_back(BuiltinCell(t, c, obj));
    return cells;
  }
  for (const json& c : t.printer_columns) {
    std::string path = Str(c.value("jsonPath", json()));
    const json* cur = &obj;
    for (absl::string_view part :
         absl::StrSplit(path, '.', absl::SkipEmpty())) {
      if (!cur->is_object() || !cur->contains(std::string(part))) {
        cur = nullptr;
        break;
      }
      cur = &(*cur)[std::string(part)];
    }
    cells.push_back(cur == nullptr ? "<none>" : Str(*cur));
  }
  cells.push_back(age);
  return cells;
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
  if (h < 24 * 365 * 8)
    return absl::StrCat(h / 24 / 365, "y", (h / 24) % 365, "d");
  return absl::StrCat(h / 24 / 365, "y");
}

json ColumnDefinitions(const ResourceType& t) {
  auto col = [](const char* name, const char* type, const char* format,
                int priority) {
    return json{{"name", name},
                {"type", type},
                {"format", format},
                {"description", ""},
                {"priority", priority}};
  };
  if (t.group.empty() && t.plural == "services") {
    return {
        col("Name", "string", "name", 0),   col("Type", "string", "", 0),
        col("Cluster-IP", "string", "", 0), col("External-IP", "string", "", 0),
        col("Port(s)", "string", "", 0),    col("Age", "string", "", 0),
        col("Selector", "string", "", 1)};
  }
  if (t.plural == "events") {
    // kubectl get events: LAST SEEN TYPE REASON OBJECT MESSAGE.
    return {
        col("Last Seen", "string", "", 0), col("Type", "string", "", 0),
        col("Reason", "string", "", 0),    col("Object", "string", "", 0),
        col("Message", "string", "", 0),   col("Name", "string", "name", 1)};
  }
  json cols = {col("Name", "string", "name", 0)};
  const BuiltinColumns builtin = BuiltinColumnsOf(t);
  if (!builtin.before.empty()) {
    for (const char* c : builtin.before)
      cols.push_back(col(c, "string", "", 0));
    cols.push_back(col("Age", "string", "", 0));
    for (const char* c : builtin.after) cols.push_back(col(c, "string", "", 0));
    return cols;
  }
  for (const json& c : t.printer_columns) {
    cols.push_back(col(Str(c.value("name", json())).c_str(), "string", "",
                       c.value("priority", 0)));
  }
  cols.push_back(col("Age", "string", "", 0));
  return cols;
}

json TableRow(const ResourceType& t, const json& obj, absl::Time now) {
  return {{"cells", Cells(t, obj, now)},
          {"object",
           {{"kind", "PartialObjectMetadata"},
            {"apiVersion", "meta.k8s.io/v1"},
            {"metadata", Field(obj, "metadata")}}}};
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
