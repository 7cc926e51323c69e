#include "lib/k8s/testing/list_options.h"

#include <algorithm>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/k8s/json.h"
#include "lib/k8s/testing/internal/fields.h"
#include "lib/k8s/testing/validation.h"

namespace lb::k8s::testing {
namespace {

using internal::Field;
using internal::Str;

// The fields beyond metadata.name and metadata.namespace that kube-apiserver
// 1.32 converts for `type`'s field selectors; nullopt when the kind registers
// no conversion of its own (only the two metadata fields).
std::optional<std::vector<std::string>> OwnFields(const ResourceType& type) {
  const std::string& g = type.group;
  const std::string& p = type.plural;
  if (g.empty()) {
    if (p == "pods") {
      return {{"spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
               "spec.serviceAccountName", "spec.hostNetwork", "status.phase",
               "status.podIP", "status.podIPs", "status.nominatedNodeName"}};
    }
    if (p == "nodes") return {{"spec.unschedulable"}};
    if (p == "events") {
      return {{"involvedObject.kind", "involvedObject.namespace",
               "involvedObject.name", "involvedObject.uid",
               "involvedObject.apiVersion", "involvedObject.resourceVersion",
               "involvedObject.fieldPath", "reason", "reportingComponent",
               "source", "type"}};
    }
    if (p == "secrets") return {{"type"}};
    if (p == "namespaces") return {{"status.phase"}};
    if (p == "services") return {{"spec.clusterIP", "spec.type"}};
    if (p == "replicationcontrollers") return {{"status.replicas"}};
  }
  if (g == "events.k8s.io" && p == "events") {
    return {{"regarding.kind", "regarding.namespace", "regarding.name",
             "regarding.uid", "regarding.apiVersion",
             "regarding.resourceVersion", "regarding.fieldPath", "reason",
             "reportingController", "type"}};
  }
  if (g == "apps" && p == "replicasets") return {{"status.replicas"}};
  if (g == "batch" && p == "jobs") return {{"status.successful"}};
  if (!type.builtin) {
    // A CRD version's selectableFields are JSON paths such as ".spec.color".
    std::vector<std::string> fields;
    if (type.selectable_fields.is_array()) {
      for (const json& f : type.selectable_fields) {
        std::string path = Str(Field(f, "jsonPath"));
        if (!path.empty() && path[0] == '.') path.erase(0, 1);
        fields.push_back(path);
      }
    }
    return fields;
  }
  return std::nullopt;
}

ResourceType ListOptionsType() {
  ResourceType t;
  t.group = "meta.k8s.io";
  t.kind = "ListOptions";
  return t;
}

}  // namespace

ApiResult CheckFieldSelector(const ResourceType& type,
                             const k8s::internal::FieldSelector& selector) {
  const std::optional<std::vector<std::string>> own = OwnFields(type);
  for (const auto& r : selector.requirements()) {
    if (r.path == "metadata.name" || r.path == "metadata.namespace") continue;
    if (own.has_value() &&
        std::find(own->begin(), own->end(), r.path) != own->end()) {
      continue;
    }
    if (own.has_value()) {
      return ApiError(400, "BadRequest",
                      absl::StrCat("field label not supported: ", r.path));
    }
    return ApiError(400, "BadRequest",
                    absl::StrCat(GoString(r.path),
                                 " is not a known field selector: only "
                                 "\"metadata.name\", \"metadata.namespace\""));
  }
  return {200, json()};
}

ApiResult ValidateListQuery(const ListQuery& q) {
  FieldErrors errs;
  const std::string& match = q.resource_version_match;
  if (q.watch) {
    if (q.send_initial_events.has_value() && match != "NotOlderThan") {
      errs.Forbidden("resourceVersionMatch",
                     "sendInitialEvents requires setting "
                     "resourceVersionMatch to NotOlderThan");
    }
    if (!match.empty()) {
      if (!q.send_initial_events.has_value()) {
        errs.Forbidden("resourceVersionMatch",
                       "resourceVersionMatch is forbidden for watch unless "
                       "sendInitialEvents is provided");
      }
      if (match != "NotOlderThan") {
        errs.NotSupported("resourceVersionMatch", GoString(match),
                          {"NotOlderThan"});
      }
      if (!q.continue_token.empty()) {
        errs.Forbidden("resourceVersionMatch",
                       "resourceVersionMatch is forbidden when continue is "
                       "provided");
      }
    }
  } else {
    if (!match.empty()) {
      if (q.resource_version.empty()) {
        errs.Forbidden("resourceVersionMatch",
                       "resourceVersionMatch is forbidden unless "
                       "resourceVersion is provided");
      }
      if (!q.continue_token.empty()) {
        errs.Forbidden("resourceVersionMatch",
                       "resourceVersionMatch is forbidden when continue is "
                       "provided");
      }
      if (match != "Exact" && match != "NotOlderThan") {
        errs.NotSupported("resourceVersionMatch", GoString(match),
                          {"Exact", "NotOlderThan", ""});
      }
      if (match == "Exact" && q.resource_version == "0") {
        errs.Forbidden("resourceVersionMatch",
                       "resourceVersionMatch \"exact\" is forbidden for "
                       "resourceVersion \"0\"");
      }
    }
    if (q.send_initial_events.has_value()) {
      errs.Forbidden("sendInitialEvents",
                     "sendInitialEvents is forbidden for list");
    }
  }
  if (!errs.empty()) return InvalidResult(ListOptionsType(), "", errs);
  int64_t rv = 0;
  if (!q.resource_version.empty() &&
      (!absl::SimpleAtoi(q.resource_version, &rv) || rv < 0)) {
    return ApiError(
        400, "BadRequest",
        absl::StrCat("invalid resourceVersion \"", q.resource_version, "\""));
  }
  if (q.limit < 0) {
    return ApiError(400, "BadRequest", "limit must be a positive integer");
  }
  if (!q.continue_token.empty() && !q.resource_version.empty() &&
      q.resource_version != "0") {
    return ApiError(400, "BadRequest",
                    "specifying resource version is not allowed when using "
                    "continue");
  }
  return {200, json()};
}

ApiResult TooLargeResourceVersion(int64_t requested, int64_t current) {
  return ApiError(504, "Timeout",
                  absl::StrCat("Too large resource version: ", requested,
                               ", current: ", current),
                  {{"causes",
                    {{{"reason", "ResourceVersionTooLarge"},
                      {"message", "Too large resource version"}}}},
                   {"retryAfterSeconds", 1}});
}

std::string EncodeContinueToken(int64_t resource_version,
                                const std::string& last_key) {
  json token = {{"v", "meta.k8s.io/v1"},
                {"rv", resource_version},
                {"start", last_key + std::string(1, '\0')}};
  return absl::WebSafeBase64Escape(token.dump());
}

ApiResult DecodeContinueToken(const std::string& token, ContinueToken* out) {
  auto invalid = [&](const std::string& why) {
    return ApiError(400, "BadRequest",
                    absl::StrCat("continue key is not valid: ", why));
  };
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw)) {
    return invalid("illegal base64 data");
  }
  json j = json::parse(raw, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return invalid("the token is not a JSON object");
  if (Str(Field(j, "v")) != "meta.k8s.io/v1") {
    return invalid("got invalid continue token version");
  }
  const json& rv = Field(j, "rv");
  if (!rv.is_number_integer()) return invalid("the token has no rv");
  const json& start = Field(j, "start");
  if (!start.is_string() || start.get<std::string>().empty()) {
    return invalid("continue key is empty");
  }
  out->resource_version = rv.get<int64_t>();
  out->start = start.get<std::string>();
  return {200, json()};
}

}  // namespace lb::k8s::testing
