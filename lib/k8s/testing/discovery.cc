#include "lib/k8s/testing/discovery.h"

#include <algorithm>
#include <vector>

namespace lb::k8s::testing {

json VersionInfo() {
  return {{"major", "1"},
          {"minor", "32"},
          {"gitVersion", "v1.32.0-lb-apiserver"},
          {"gitCommit", "0000000000000000000000000000000000000000"},
          {"gitTreeState", "clean"},
          {"buildDate", "2024-12-11T00:00:00Z"},
          {"goVersion", "go1.23.0"},
          {"compiler", "gc"},
          {"platform", "linux/amd64"}};
}

json ApiVersions(const std::string& server_address) {
  return {{"kind", "APIVersions"},
          {"versions", {"v1"}},
          {"serverAddressByClientCIDRs",
           {{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", server_address}}}}};
}

json GroupDoc(const TypeMap& types, const std::string& group) {
  std::vector<std::string> versions;
  for (const auto& [k, t] : types) {
    if (t.group == group && std::find(versions.begin(), versions.end(),
                                      t.version) == versions.end()) {
      versions.push_back(t.version);
    }
  }
  if (versions.empty()) return json();
  std::sort(versions.begin(), versions.end());
  json g = {{"name", group}, {"versions", json::array()}};
  for (const std::string& v : versions) {
    g["versions"].push_back(
        {{"groupVersion", group + "/" + v}, {"version", v}});
  }
  g["preferredVersion"] = g["versions"][0];
  return g;
}
json GroupList(const TypeMap& types) {
  std::vector<std::string> groups;
  for (const auto& [k, t] : types) {
    if (!t.group.empty() &&
        std::find(groups.begin(), groups.end(), t.group) == groups.end()) {
      groups.push_back(t.group);
    }
  }
  std::sort(groups.begin(), groups.end());
  json out = {{"kind", "APIGroupList"},
              {"apiVersion", "v1"},
              {"groups", json::array()}};
  for (const std::string& g : groups)
    out["groups"].push_back(GroupDoc(types, g));
  return out;
}
json ResourceList(const TypeMap& types, const std::string& group,
                  const std::string& version) {
  json out = {{"kind", "APIResourceList"},
              {"apiVersion", "v1"},
              {"groupVersion", group.empty() ? version : group + "/" + version},
              {"resources", json::array()}};
  bool any = false;
  for (const auto& [k, t] : types) {
    if (t.group != group || t.version != version) continue;
    any = true;
    json r = {{"name", t.plural},
              {"singularName", t.singular},
              {"namespaced", t.namespaced},
              {"kind", t.kind},
              {"verbs", t.verbs}};
    if (!t.short_names.empty()) r["shortNames"] = t.short_names;
    if (!t.categories.empty()) r["categories"] = t.categories;
    out["resources"].push_back(std::move(r));
    if (t.has_status) {
      out["resources"].push_back({{"name", t.plural + "/status"},
                                  {"singularName", ""},
                                  {"namespaced", t.namespaced},
                                  {"kind", t.kind},
                                  {"verbs", {"get", "patch", "update"}}});
    }
  }
  return any ? out : json();
}

}  // namespace lb::k8s::testing
