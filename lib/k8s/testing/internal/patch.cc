#include "lib/k8s/testing/internal/patch.h"

#include <cstring>
#include <exception>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace lb::k8s::testing::internal {
namespace {

using json = nlohmann::json;

constexpr char kPrimitiveMerge[] = "<primitive>";

// The merge key of the list at `path` (field names from the object root), ""
// for lists that are replaced whole, kPrimitiveMerge for sets of scalars.
std::string MergeKey(const std::string& kind,
                     const std::vector<std::string>& path) {
  const std::string& last = path.back();
  const std::string prev = path.size() >= 2 ? path[path.size() - 2] : "";
  if (last == "containers" || last == "initContainers" ||
      last == "ephemeralContainers" || last == "volumes" ||
      last == "imagePullSecrets" || last == "env" || last == "secrets") {
    return "name";
  }
  if (last == "ports") {
    if (prev == "containers" || prev == "initContainers") {
      return "containerPort";
    }
    if (kind == "Service" && path.size() == 2 && prev == "spec") return "port";
    return "";
  }
  if (last == "volumeMounts") return "mountPath";
  if (last == "volumeDevices") return "devicePath";
  if (last == "conditions") return "type";
  if (last == "addresses" && prev == "status" && kind == "Node") return "type";
  if (last == "ownerReferences") return "uid";
  if (last == "hostAliases") return "ip";
  if (last == "finalizers" && prev == "metadata") return kPrimitiveMerge;
  return "";
}

json StripDirectives(const json& v) {
  if (v.is_object()) {
    json out = json::object();
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (!it.key().empty() && it.key()[0] == '$') continue;
      out[it.key()] = StripDirectives(it.value());
    }
    return out;
  }
  if (v.is_array()) {
    json out = json::array();
    for (const json& e : v) {
      if (e.is_object() && e.contains("$patch")) continue;
      out.push_back(StripDirectives(e));
    }
    return out;
  }
  return v;
}

absl::StatusOr<json> MergeObject(const std::string& kind, json target,
                                 const json& patch,
                                 std::vector<std::string>& path);

absl::StatusOr<json> MergeList(const std::string& kind, const json& target,
                               const json& patch,
                               std::vector<std::string>& path,
                               const json* order) {
  std::string key = MergeKey(kind, path);
  // `{"$patch": "replace"}` inside a list replaces it whole.
  for (const json& e : patch) {
    if (e.is_object() && e.value("$patch", "") == "replace") {
      return StripDirectives(patch);
    }
  }
  if (key.empty() || !target.is_array()) {
    if (key == kPrimitiveMerge && target.is_array()) {
      // handled below
    } else {
      return StripDirectives(patch);
    }
  }
  json out = target;
  if (key == kPrimitiveMerge) {
    for (const json& e : patch) {
      bool found = false;
      for (const json& t : out) found |= (t == e);
      if (!found) out.push_back(e);
    }
    return out;
  }
  for (const json& e : patch) {
    if (!e.is_object() || !e.contains(key)) {
      return absl::InvalidArgumentError(
          absl::StrCat("strategic merge patch: element of list \"", path.back(),
                       "\" lacks its merge key \"", key, "\""));
    }
    const json& k = e[key];
    size_t idx = out.size();
    for (size_t i = 0; i < out.size(); ++i) {
      if (out[i].is_object() && out[i].contains(key) && out[i][key] == k) {
        idx = i;
        break;
      }
    }
    std::string directive = e.value("$patch", "");
    if (directive == "delete") {
      if (idx < out.size()) out.erase(out.begin() + idx);
      continue;
    }
    if (idx < out.size()) {
      auto merged = MergeObject(kind, out[idx], e, path);
      if (!merged.ok()) return merged.status();
      out[idx] = std::move(*merged);
    } else {
      out.push_back(StripDirectives(e));
    }
  }
  if (order != nullptr && order->is_array()) {
    json ordered = json::array();
    std::vector<bool> used(out.size(), false);
    for (const json& o : *order) {
      if (!o.is_object() || !o.contains(key)) continue;
      for (size_t i = 0; i < out.size(); ++i) {
        if (!used[i] && out[i].is_object() &&
            out[i].value(key, json()) == o[key]) {
          ordered.push_back(out[i]);
          used[i] = true;
          break;
        }
      }
    }
    for (size_t i = 0; i < out.size(); ++i) {
      if (!used[i]) ordered.push_back(out[i]);
    }
    out = std::move(ordered);
  }
  return out;
}

absl::StatusOr<json> MergeObject(const std::string& kind, json target,
                                 const json& patch,
                                 std::vector<std::string>& path) {
  if (!patch.is_object()) return patch;
  std::string directive = patch.value("$patch", "");
  if (directive == "replace") return StripDirectives(patch);
  if (directive == "delete") return json();
  if (!target.is_object()) target = json::object();
  if (auto it = patch.find("$retainKeys"); it != patch.end()) {
    if (!it->is_array()) {
      return absl::InvalidArgumentError("$retainKeys must be a list");
    }
    json kept = json::object();
    for (const json& k : *it) {
      if (k.is_string() && target.contains(k.get<std::string>())) {
        kept[k.get<std::string>()] = target[k.get<std::string>()];
      }
    }
    target = std::move(kept);
  }
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    const std::string& k = it.key();
    const json& v = it.value();
    if (absl::StartsWith(k, "$deleteFromPrimitiveList/")) {
      std::string field = k.substr(strlen("$deleteFromPrimitiveList/"));
      if (target.contains(field) && target[field].is_array() && v.is_array()) {
        json kept = json::array();
        for (const json& e : target[field]) {
          bool drop = false;
          for (const json& d : v) drop |= (d == e);
          if (!drop) kept.push_back(e);
        }
        target[field] = std::move(kept);
      }
      continue;
    }
    if (!k.empty() && k[0] == '$') continue;
    if (v.is_null()) {
      target.erase(k);
      continue;
    }
    path.push_back(k);
    if (v.is_object()) {
      json cur = target.contains(k) ? target[k] : json();
      auto merged = MergeObject(kind, std::move(cur), v, path);
      if (!merged.ok()) return merged.status();
      if (merged->is_null()) {
        target.erase(k);
      } else {
        target[k] = std::move(*merged);
      }
    } else if (v.is_array()) {
      json cur = target.contains(k) ? target[k] : json();
      auto order_it = patch.find("$setElementOrder/" + k);
      auto merged = MergeList(kind, cur, v, path,
                              order_it == patch.end() ? nullptr : &*order_it);
      if (!merged.ok()) return merged.status();
      target[k] = std::move(*merged);
    } else {
      target[k] = v;
    }
    path.pop_back();
  }
  // Reorder lists named only by $setElementOrder.
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    if (!absl::StartsWith(it.key(), "$setElementOrder/")) continue;
    std::string field = it.key().substr(strlen("$setElementOrder/"));
    if (patch.contains(field) || !target.contains(field)) continue;
    path.push_back(field);
    auto merged =
        MergeList(kind, target[field], json::array(), path, &it.value());
    path.pop_back();
    if (merged.ok()) target[field] = std::move(*merged);
  }
  return target;
}

}  // namespace

absl::StatusOr<nlohmann::json> ApplyJsonPatch(const nlohmann::json& target,
                                              const nlohmann::json& patch) {
  if (!patch.is_array()) {
    return absl::InvalidArgumentError(
        "json patch must be an array of operations");
  }
  for (const json& op : patch) {
    if (!op.is_object() || !op.contains("op") || !op["op"].is_string() ||
        !op.contains("path") || !op["path"].is_string()) {
      return absl::InvalidArgumentError(
          absl::StrCat("json patch operation ", op.dump(),
                       " needs string fields \"op\" and \"path\""));
    }
  }
  try {
    return target.patch(patch);
  } catch (const std::exception& e) {
    return absl::FailedPreconditionError(
        absl::StrCat("json patch does not apply: ", e.what()));
  }
}

nlohmann::json ApplyMergePatch(const nlohmann::json& target,
                               const nlohmann::json& patch) {
  json out = target;
  out.merge_patch(patch);
  return out;
}

absl::StatusOr<nlohmann::json> ApplyStrategicMergePatch(
    const std::string& kind, const nlohmann::json& target,
    const nlohmann::json& patch) {
  if (!patch.is_object()) {
    return absl::InvalidArgumentError(
        "strategic merge patch must be a JSON object");
  }
  std::vector<std::string> path;
  try {
    return MergeObject(kind, target, patch, path);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("strategic merge patch: ", e.what()));
  }
}

}  // namespace lb::k8s::testing::internal
