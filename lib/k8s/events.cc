#include "lib/k8s/events.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace lb::k8s {
namespace {

std::string Field(const json& obj, const char* a, const char* b = nullptr) {
  if (!obj.is_object() || !obj.contains(a)) return "";
  const json& v = obj[a];
  if (b == nullptr) return v.is_string() ? v.get<std::string>() : "";
  if (!v.is_object() || !v.contains(b) || !v[b].is_string()) return "";
  return v[b].get<std::string>();
}

std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

}  // namespace

ObjectReference ObjectReference::Of(const json& object) {
  ObjectReference r;
  r.api_version = Field(object, "apiVersion");
  r.kind = Field(object, "kind");
  r.ns = Field(object, "metadata", "namespace");
  r.name = Field(object, "metadata", "name");
  r.uid = Field(object, "metadata", "uid");
  r.resource_version = Field(object, "metadata", "resourceVersion");
  return r;
}

EventRecorder::EventRecorder(Client& client, Clock& clock,
                             EventRecorderOptions options)
    : client_(client), clock_(clock), options_(std::move(options)) {}

absl::Status EventRecorder::Record(const ObjectReference& object,
                                   const std::string& type,
                                   const std::string& reason,
                                   const std::string& message) {
  if (type != "Normal" && type != "Warning") {
    return absl::InvalidArgumentError(
        absl::StrCat("event type \"", type, "\" must be Normal or Warning"));
  }
  const std::string ns = object.ns.empty() ? "default" : object.ns;
  const std::string key =
      absl::StrCat(ns, "\x1f", object.kind, "\x1f", object.name, "\x1f",
                   object.uid, "\x1f", type, "\x1f", reason, "\x1f", message);
  absl::Time now = clock_.Now();
  std::string existing;
  int32_t count = 0;
  {
    absl::MutexLock l(&mu_);
    if (seen_.size() >= kMaxKeys && !seen_.contains(key)) seen_.clear();
    Seen& seen = seen_[key];
    if (seen.limiter == nullptr) {
      seen.limiter = std::make_unique<RateLimiter>(
          clock_, 1.0 / absl::ToDoubleSeconds(options_.refill), options_.burst);
    }
    if (!seen.limiter->TryTake()) {
      return absl::ResourceExhaustedError(
          absl::StrCat("event ", reason, " on ", object.name, " rate-limited"));
    }
    existing = seen.event_name;
    count = seen.count;
  }
  if (!existing.empty()) {
    json patch = {{"count", count + 1}, {"lastTimestamp", Rfc3339(now)}};
    auto r = client_.MergePatch(kEvents, ns, existing, patch);
    if (r.ok()) {
      absl::MutexLock l(&mu_);
      seen_[key].count = count + 1;
      return absl::OkStatus();
    }
    if (!absl::IsNotFound(r.status())) return r.status();
    // The aggregated event expired on the server: start a new one.
  }
  std::string name =
      absl::StrFormat("%s.%x", object.name.empty() ? "event" : object.name,
                      absl::ToUnixNanos(now));
  json involved = {{"kind", object.kind},
                   {"namespace", object.ns},
                   {"name", object.name},
                   {"uid", object.uid},
                   {"apiVersion", object.api_version},
                   {"resourceVersion", object.resource_version}};
  json event = {
      {"apiVersion", "v1"},
      {"kind", "Event"},
      {"metadata", {{"name", name}, {"namespace", ns}}},
      {"involvedObject", involved},
      {"reason", reason},
      {"message", message},
      {"type", type},
      {"source", {{"component", options_.component}, {"host", options_.host}}},
      {"firstTimestamp", Rfc3339(now)},
      {"lastTimestamp", Rfc3339(now)},
      {"count", 1},
      {"reportingComponent", options_.component},
      {"reportingInstance", options_.host}};
  auto r = client_.Create(kEvents, ns, event);
  if (!r.ok()) return r.status();
  absl::MutexLock l(&mu_);
  seen_[key].event_name = name;
  seen_[key].event_ns = ns;
  seen_[key].count = 1;
  return absl::OkStatus();
}

}  // namespace lb::k8s
