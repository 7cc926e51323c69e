#include "lib/k8s/lease.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace lb::k8s {
namespace {

std::string MicroTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone());
}

absl::Status ParseTime(const json& spec, const char* field,
                       std::optional<absl::Time>* out) {
  auto it = spec.find(field);
  if (it == spec.end() || it->is_null()) return absl::OkStatus();
  absl::Time t;
  std::string err;
  if (!it->is_string() ||
      !absl::ParseTime(absl::RFC3339_full, it->get<std::string>(), &t, &err)) {
    return absl::InvalidArgumentError(
        absl::StrCat("Lease spec.", field, " is not an RFC 3339 time"));
  }
  *out = t;
  return absl::OkStatus();
}

absl::Status ParseInt(const json& spec, const char* field, int32_t* out) {
  auto it = spec.find(field);
  if (it == spec.end() || it->is_null()) return absl::OkStatus();
  if (!it->is_number_integer()) {
    return absl::InvalidArgumentError(
        absl::StrCat("Lease spec.", field, " is not an integer"));
  }
  *out = it->get<int32_t>();
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Lease> LeaseFromJson(const json& object) {
  if (!object.is_object() || !object.contains("metadata") ||
      !object["metadata"].is_object()) {
    return absl::InvalidArgumentError("Lease has no metadata");
  }
  const json& md = object["metadata"];
  Lease lease;
  auto text = [&md](const char* key) {
    auto it = md.find(key);
    return it != md.end() && it->is_string() ? it->get<std::string>()
                                             : std::string();
  };
  lease.name = text("name");
  lease.ns = text("namespace");
  lease.resource_version = text("resourceVersion");
  auto it = object.find("spec");
  if (it != object.end() && it->is_object()) {
    const json& spec = *it;
    auto h = spec.find("holderIdentity");
    if (h != spec.end() && h->is_string()) {
      lease.spec.holder_identity = h->get<std::string>();
    }
    absl::Status s = ParseInt(spec, "leaseDurationSeconds",
                              &lease.spec.lease_duration_seconds);
    if (s.ok())
      s = ParseInt(spec, "leaseTransitions", &lease.spec.lease_transitions);
    if (s.ok()) s = ParseTime(spec, "acquireTime", &lease.spec.acquire_time);
    if (s.ok()) s = ParseTime(spec, "renewTime", &lease.spec.renew_time);
    if (!s.ok()) return s;
  }
  return lease;
}

json LeaseSpecToJson(const LeaseSpec& spec) {
  json j = {{"holderIdentity", spec.holder_identity},
            {"leaseDurationSeconds", spec.lease_duration_seconds},
            {"leaseTransitions", spec.lease_transitions},
            {"acquireTime", nullptr},
            {"renewTime", nullptr}};
  if (spec.acquire_time) j["acquireTime"] = MicroTime(*spec.acquire_time);
  if (spec.renew_time) j["renewTime"] = MicroTime(*spec.renew_time);
  return j;
}

absl::StatusOr<Lease> LeaseClient::Get(const std::string& ns,
                                       const std::string& name) {
  auto j = client_.Get(kLeases, ns, name);
  if (!j.ok()) return j.status();
  return LeaseFromJson(*j);
}

absl::StatusOr<Lease> LeaseClient::Create(const Lease& lease) {
  json spec = LeaseSpecToJson(lease.spec);
  for (const char* f : {"acquireTime", "renewTime"}) {
    if (spec[f].is_null()) spec.erase(f);
  }
  json obj = {{"apiVersion", "coordination.k8s.io/v1"},
              {"kind", "Lease"},
              {"metadata", {{"name", lease.name}, {"namespace", lease.ns}}},
              {"spec", spec}};
  auto j = client_.Create(kLeases, lease.ns, obj);
  if (!j.ok()) return j.status();
  return LeaseFromJson(*j);
}

absl::StatusOr<Lease> LeaseClient::Update(const Lease& lease) {
  if (lease.resource_version.empty()) {
    return absl::InvalidArgumentError(
        "Lease update needs the resourceVersion it was read at");
  }
  // A merge patch of the modelled spec fields, conditional on the version.
  json patch = {{"metadata", {{"resourceVersion", lease.resource_version}}},
                {"spec", LeaseSpecToJson(lease.spec)}};
  auto j = client_.MergePatch(kLeases, lease.ns, lease.name, patch);
  if (!j.ok()) return j.status();
  return LeaseFromJson(*j);
}

}  // namespace lb::k8s
