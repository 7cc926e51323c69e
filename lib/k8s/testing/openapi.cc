#include "lib/k8s/testing/openapi.h"

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "lib/k8s/testing/schemas.h"

namespace lb::k8s::testing {
namespace {

// "api/v1" or "apis/GROUP/VERSION".
std::string PathOf(const ResourceType& t) {
  return t.group.empty() ? absl::StrCat("api/", t.version)
                         : absl::StrCat("apis/", t.group, "/", t.version);
}

// A custom resource's definition name: "io.metallb.v1beta1.IPAddressPool".
std::string CustomName(const ResourceType& t) {
  std::vector<std::string> parts = absl::StrSplit(t.group, '.');
  std::reverse(parts.begin(), parts.end());
  return absl::StrCat(absl::StrJoin(parts, "."), ".", t.version, ".", t.kind);
}

json Gvk(const ResourceType& t) {
  return {{"group", t.group}, {"version", t.version}, {"kind", t.kind}};
}

// Adds to `out` every definition `schema` refers to, transitively.
void Collect(const json& schema, std::set<std::string>* out) {
  if (schema.is_object()) {
    auto ref = schema.find("$ref");
    if (ref != schema.end() && ref->is_string()) {
      std::string name =
          ref->get<std::string>().substr(std::string(kSchemaRefPrefix).size());
      if (out->insert(name).second && BuiltinSchemas().contains(name)) {
        Collect(BuiltinSchemas()[name], out);
      }
    }
    for (const auto& [k, v] : schema.items()) Collect(v, out);
  } else if (schema.is_array()) {
    for (const json& v : schema) Collect(v, out);
  }
}

json QueryParam(const std::string& name, const std::string& description) {
  return {{"name", name},
          {"in", "query"},
          {"description", description},
          {"schema", {{"type", "string"}, {"uniqueItems", true}}}};
}

json WriteParams(bool patch) {
  json p = json::array(
      {QueryParam("dryRun", "All: check and answer the write, store nothing."),
       QueryParam("fieldManager", "The name of the actor making the change."),
       QueryParam("fieldValidation",
                  "Ignore, Warn (the default) or Strict: what an unknown or "
                  "duplicate field in the body does.")});
  if (patch) {
    p.push_back({{"name", "force"},
                 {"in", "query"},
                 {"description", "Apply patches only: take over conflicts."},
                 {"schema", {{"type", "boolean"}, {"uniqueItems", true}}}});
  }
  return p;
}

json Response(const json& ref) {
  return {{"description", "OK"},
          {"content", {{"application/json", {{"schema", ref}}}}}};
}

json Operation(const ResourceType& t, const std::string& action,
               const std::string& verb_id, const json& ref, json params) {
  json op = {{"description", absl::StrCat(action, " ", t.kind)},
             {"operationId", absl::StrCat(verb_id, t.kind)},
             {"parameters", std::move(params)},
             {"responses", {{"200", Response(ref)}}},
             {"x-kubernetes-action", action},
             {"x-kubernetes-group-version-kind", Gvk(t)}};
  return op;
}

// The paths of one served kind, with an operation per verb it serves.
void AddPaths(const ResourceType& t, const json& ref, json* paths) {
  const std::string base =
      absl::StrCat("/", PathOf(t),
                   t.namespaced ? "/namespaces/{namespace}/" : "/", t.plural);
  json path_params = json::array();
  if (t.namespaced) {
    path_params.push_back({{"name", "namespace"},
                           {"in", "path"},
                           {"required", true},
                           {"schema", {{"type", "string"}}}});
  }
  json list_params = json::array();
  for (const char* p : {"labelSelector", "fieldSelector", "limit", "continue",
                        "resourceVersion", "timeoutSeconds", "watch"}) {
    list_params.push_back(QueryParam(p, ""));
  }
  json body = {{"required", true},
               {"content", {{"application/json", {{"schema", ref}}}}}};
  json collection = {{"parameters", path_params}};
  if (t.Serves("list")) {
    collection["get"] = Operation(t, "list", "list", ref, list_params);
  }
  if (t.Serves("create")) {
    collection["post"] =
        Operation(t, "post", "create", ref, WriteParams(false));
    collection["post"]["requestBody"] = body;
  }
  (*paths)[base] = collection;

  json item_params = path_params;
  item_params.push_back({{"name", "name"},
                         {"in", "path"},
                         {"required", true},
                         {"schema", {{"type", "string"}}}});
  json patch_body = {{"required", true}, {"content", json::object()}};
  std::vector<std::string> patch_types = {"application/json-patch+json",
                                          "application/merge-patch+json",
                                          "application/apply-patch+yaml"};
  if (t.builtin)
    patch_types.push_back("application/strategic-merge-patch+json");
  for (const std::string& c : patch_types) {
    patch_body["content"][c] = {{"schema", {{"type", "object"}}}};
  }
  auto item = [&](const std::string& suffix) {
    json i = {{"parameters", item_params}};
    if (t.Serves("get")) {
      i["get"] = Operation(t, "get", "read", ref, json::array());
    }
    if (t.Serves("update")) {
      i["put"] = Operation(t, "put", "replace", ref, WriteParams(false));
      i["put"]["requestBody"] = body;
    }
    if (t.Serves("patch")) {
      i["patch"] = Operation(t, "patch", "patch", ref, WriteParams(true));
      i["patch"]["requestBody"] = patch_body;
    }
    if (suffix.empty() && t.Serves("delete")) {
      i["delete"] =
          Operation(t, "delete", "delete", ref,
                    json::array({QueryParam("dryRun", ""),
                                 QueryParam("propagationPolicy", "")}));
    }
    (*paths)[absl::StrCat(base, "/{name}", suffix)] = i;
  };
  item("");
  if (t.has_status) item("/status");
}

// Swagger 2.0's form of a v3 schema: references into "#/definitions/".
json ToV2(const json& v) {
  if (v.is_object()) {
    json out = json::object();
    for (const auto& [k, x] : v.items()) {
      if (k == "$ref" && x.is_string()) {
        out[k] = absl::StrReplaceAll(x.get<std::string>(),
                                     {{kSchemaRefPrefix, "#/definitions/"}});
      } else {
        out[k] = ToV2(x);
      }
    }
    return out;
  }
  if (v.is_array()) {
    json out = json::array();
    for (const json& x : v) out.push_back(ToV2(x));
    return out;
  }
  return v;
}

// FNV-1a, printed as kube-apiserver prints its document hashes.
std::string Hash(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return absl::StrFormat("%016X", h);
}

}  // namespace

json OpenApiV3Document(const TypeMap& types, const std::string& path) {
  json paths = json::object();
  json schemas = json::object();
  std::set<std::string> wanted;
  for (const auto& [key, t] : types) {
    if (PathOf(t) != path) continue;
    std::string name;
    if (t.builtin) {
      name = BuiltinSchemaName(t);
      if (name.empty()) continue;
      wanted.insert(name);
      Collect(BuiltinSchemas()[name], &wanted);
    } else {
      name = CustomName(t);
      schemas[name] = CustomResourceSchema(t);
      schemas[name]["x-kubernetes-group-version-kind"] = json::array({Gvk(t)});
      Collect(schemas[name], &wanted);
    }
    AddPaths(t, {{"$ref", absl::StrCat(kSchemaRefPrefix, name)}}, &paths);
  }
  if (paths.empty()) return json();
  for (const std::string& name : wanted) {
    if (BuiltinSchemas().contains(name)) {
      schemas[name] = BuiltinSchemas()[name];
    }
  }
  return {{"openapi", "3.0.0"},
          {"info", {{"title", "Kubernetes"}, {"version", "v1.32.0"}}},
          {"paths", paths},
          {"components", {{"schemas", schemas}}}};
}

json OpenApiV3Index(const TypeMap& types) {
  std::set<std::string> served;
  for (const auto& [key, t] : types) served.insert(PathOf(t));
  json paths = json::object();
  for (const std::string& p : served) {
    json doc = OpenApiV3Document(types, p);
    if (doc.is_null()) continue;
    paths[p] = {{"serverRelativeURL",
                 absl::StrCat("/openapi/v3/", p, "?hash=", Hash(doc.dump()))}};
  }
  return {{"paths", paths}};
}

json OpenApiV2Document(const TypeMap& types) {
  json paths = json::object();
  json definitions = json::object();
  std::set<std::string> served;
  for (const auto& [key, t] : types) served.insert(PathOf(t));
  for (const std::string& p : served) {
    json doc = OpenApiV3Document(types, p);
    if (doc.is_null()) continue;
    for (const auto& [name, s] : doc["components"]["schemas"].items()) {
      definitions[name] = ToV2(s);
    }
    for (const auto& [route, ops] : doc["paths"].items()) {
      json v2 = json::object();
      for (const auto& [verb, op] : ops.items()) {
        if (verb == "parameters") continue;
        json o = {{"operationId", op["operationId"]},
                  {"produces", {"application/json"}},
                  {"responses",
                   {{"200",
                     {{"description", "OK"},
                      {"schema", ToV2(op["responses"]["200"]["content"]
                                        ["application/json"]["schema"])}}}}},
                  {"x-kubernetes-action", op["x-kubernetes-action"]},
                  {"x-kubernetes-group-version-kind",
                   op["x-kubernetes-group-version-kind"]}};
        if (op.contains("requestBody")) {
          json consumes = json::array();
          for (const auto& [c, unused] : op["requestBody"]["content"].items()) {
            consumes.push_back(c);
          }
          o["consumes"] = consumes;
        }
        o["parameters"] = json::array();
        for (const json& param : op["parameters"]) {
          json q = param;
          q.erase("schema");
          q["type"] = "string";
          o["parameters"].push_back(q);
        }
        v2[verb] = o;
      }
      paths[route] = v2;
    }
  }
  return {{"swagger", "2.0"},
          {"info", {{"title", "Kubernetes"}, {"version", "v1.32.0"}}},
          {"paths", paths},
          {"definitions", definitions}};
}

}  // namespace lb::k8s::testing
