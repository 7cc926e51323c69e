#include "lib/election/lease_store.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"

namespace lb::election {
namespace {

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

absl::Status InMemoryLeaseStore::CheckReachable() const {
  if (!available_) return absl::UnavailableError("lease store unavailable");
  return absl::OkStatus();
}

absl::StatusOr<Lease> InMemoryLeaseStore::Get(absl::string_view ns,
                                              absl::string_view name) {
  absl::MutexLock lock(&mu_);
  LB_RETURN_IF_ERROR(CheckReachable());
  LB_RETURN_IF_ERROR(ValidateKey(ns, name));
  auto it = leases_.find({std::string(ns), std::string(name)});
  if (it == leases_.end()) {
    return absl::NotFoundError(
        absl::StrCat("lease ", ns, "/", name, " not found"));
  }
  ++reads_;
  return it->second;
}

absl::StatusOr<Lease> InMemoryLeaseStore::Create(const Lease& lease) {
  absl::MutexLock lock(&mu_);
  LB_RETURN_IF_ERROR(CheckReachable());
  LB_RETURN_IF_ERROR(ValidateKey(lease.ns, lease.name));
  auto key = std::make_pair(lease.ns, lease.name);
  if (leases_.count(key) != 0) {
    return absl::AlreadyExistsError(
        absl::StrCat("lease ", lease.ns, "/", lease.name, " already exists"));
  }
  Lease stored = lease;
  stored.resource_version = absl::StrCat(next_version_++);
  leases_[key] = stored;
  ++writes_;
  return stored;
}

absl::StatusOr<Lease> InMemoryLeaseStore::Update(const Lease& lease) {
  absl::MutexLock lock(&mu_);
  LB_RETURN_IF_ERROR(CheckReachable());
  LB_RETURN_IF_ERROR(ValidateKey(lease.ns, lease.name));
  auto it = leases_.find({lease.ns, lease.name});
  if (it == leases_.end()) {
    return absl::NotFoundError(
        absl::StrCat("lease ", lease.ns, "/", lease.name, " not found"));
  }
  if (it->second.resource_version != lease.resource_version) {
    return absl::AbortedError(
        absl::StrCat("conflict on lease ", lease.ns, "/", lease.name,
                     ": resourceVersion ", lease.resource_version,
                     " is stale (current ", it->second.resource_version, ")"));
  }
  Lease stored = lease;
  stored.resource_version = absl::StrCat(next_version_++);
  it->second = stored;
  ++writes_;
  return stored;
}

absl::StatusOr<std::vector<Lease>> InMemoryLeaseStore::List(
    absl::string_view ns, absl::string_view name_prefix) {
  absl::MutexLock lock(&mu_);
  LB_RETURN_IF_ERROR(CheckReachable());
  if (ns.empty()) {
    return absl::InvalidArgumentError("lease namespace must not be empty");
  }
  std::vector<Lease> out;
  for (const auto& [key, lease] : leases_) {
    if (key.first == ns && absl::StartsWith(key.second, name_prefix)) {
      out.push_back(lease);
    }
  }
  ++reads_;
  return out;
}

void InMemoryLeaseStore::SetAvailable(bool available) {
  absl::MutexLock lock(&mu_);
  available_ = available;
}

int64_t InMemoryLeaseStore::writes() const {
  absl::MutexLock lock(&mu_);
  return writes_;
}

int64_t InMemoryLeaseStore::reads() const {
  absl::MutexLock lock(&mu_);
  return reads_;
}

}  // namespace lb::election
