#include "lib/election/k8s_lease_store.h"

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/k8s/resource.h"

namespace lb::election {
namespace {

absl::Status MapError(const absl::Status& s) {
  if (s.ok()) return s;
  switch (s.code()) {
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
      return absl::UnavailableError(s.message());
    default:
      return s;
  }
}

absl::Time FromOptional(const std::optional<absl::Time>& t) {
  return t.has_value() ? *t : absl::InfinitePast();
}

std::optional<absl::Time> ToOptional(absl::Time t) {
  if (t == absl::InfinitePast()) return std::nullopt;
  return t;
}

Lease FromK8s(const k8s::Lease& l) {
  Lease out;
  out.ns = l.ns;
  out.name = l.name;
  out.resource_version = l.resource_version;
  out.spec.holder_identity = l.spec.holder_identity;
  out.spec.lease_duration_seconds = l.spec.lease_duration_seconds;
  out.spec.acquire_time = FromOptional(l.spec.acquire_time);
  out.spec.renew_time = FromOptional(l.spec.renew_time);
  out.spec.lease_transitions = l.spec.lease_transitions;
  return out;
}

k8s::Lease ToK8s(const Lease& l) {
  k8s::Lease out;
  out.ns = l.ns;
  out.name = l.name;
  out.resource_version = l.resource_version;
  out.spec.holder_identity = l.spec.holder_identity;
  out.spec.lease_duration_seconds = l.spec.lease_duration_seconds;
  out.spec.acquire_time = ToOptional(l.spec.acquire_time);
  out.spec.renew_time = ToOptional(l.spec.renew_time);
  out.spec.lease_transitions = l.spec.lease_transitions;
  return out;
}

absl::Status ValidateKey(absl::string_view ns, absl::string_view name) {
  if (ns.empty()) {
    return absl::InvalidArgumentError("lease namespace must not be empty");
  }
  if (name.empty()) {
    return absl::InvalidArgumentError("lease name must not be empty");
  }
  return absl::OkStatus();
}

}  // namespace

K8sLeaseStore::K8sLeaseStore(k8s::Client& client)
    : client_(client), leases_(client) {}

absl::StatusOr<Lease> K8sLeaseStore::Get(absl::string_view ns,
                                         absl::string_view name) {
  if (absl::Status s = ValidateKey(ns, name); !s.ok()) return s;
  absl::StatusOr<k8s::Lease> l =
      leases_.Get(std::string(ns), std::string(name));
  if (!l.ok()) return MapError(l.status());
  return FromK8s(*l);
}

absl::StatusOr<Lease> K8sLeaseStore::Create(const Lease& lease) {
  if (absl::Status s = ValidateKey(lease.ns, lease.name); !s.ok()) return s;
  k8s::Lease in = ToK8s(lease);
  in.resource_version.clear();
  absl::StatusOr<k8s::Lease> l = leases_.Create(in);
  if (!l.ok()) return MapError(l.status());
  return FromK8s(*l);
}

absl::StatusOr<Lease> K8sLeaseStore::Update(const Lease& lease) {
  if (absl::Status s = ValidateKey(lease.ns, lease.name); !s.ok()) return s;
  absl::StatusOr<k8s::Lease> l = leases_.Update(ToK8s(lease));
  if (!l.ok()) return MapError(l.status());
  return FromK8s(*l);
}

absl::StatusOr<std::vector<Lease>> K8sLeaseStore::List(
    absl::string_view ns, absl::string_view name_prefix) {
  if (ns.empty()) {
    return absl::InvalidArgumentError("lease namespace must not be empty");
  }
  absl::StatusOr<k8s::ObjectList> list =
      client_.List(k8s::kLeases, std::string(ns));
  if (!list.ok()) return MapError(list.status());
  std::vector<Lease> out;
  for (const k8s::json& item : list->items) {
    absl::StatusOr<k8s::Lease> l = k8s::LeaseFromJson(item);
    if (!l.ok()) {
      ++malformed_skipped_;
      continue;
    }
    if (!absl::StartsWith(l->name, name_prefix)) continue;
    out.push_back(FromK8s(*l));
  }
  std::sort(out.begin(), out.end(),
            [](const Lease& a, const Lease& b) { return a.name < b.name; });
  return out;
}

}  // namespace lb::election
