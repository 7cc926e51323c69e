#include "examples/ipam_operator/operator.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace lb::examples {
namespace {

Outcome Failed(const std::string& key, const absl::Status& s) {
  return Outcome{key, {}, "", std::string(s.message()), false};
}

Outcome Allocated(const std::string& key, const ipam::Assignment& a,
                  absl::string_view verb) {
  Outcome o{key, {}, a.pool, "", true};
  for (const IpAddress& ip : a.addresses) o.ingress.push_back(ip.ToString());
  o.message = absl::StrCat(verb, " ", absl::StrJoin(o.ingress, ", "));
  return o;
}

}  // namespace

std::vector<Outcome> IpamOperator::Start(const std::vector<Service>& services) {
  std::vector<Outcome> out;
  // Phase 1: what the cluster already says is the truth; re-learn it all first.
  std::map<std::string, bool> relearned;
  for (const Service& s : services) {
    known_[s.fields.key] = s;
    if (s.type != "LoadBalancer" || s.ingress.empty()) continue;
    absl::StatusOr<ipam::Request> req = ipam::RequestFromService(s.fields);
    if (!req.ok()) continue;
    std::vector<IpAddress> ips;
    for (const std::string& text : s.ingress) {
      if (absl::StatusOr<IpAddress> ip = IpAddress::Parse(text); ip.ok()) {
        ips.push_back(*ip);
      }
    }
    relearned[s.fields.key] = !ips.empty() && allocator_.Assign(*req, ips).ok();
  }
  // Phase 2: everything else, now that no existing address can be handed out
  // twice.
  for (const Service& s : services) {
    if (s.type != "LoadBalancer") continue;
    if (relearned[s.fields.key]) {
      out.push_back(
          Allocated(s.fields.key, *allocator_.Lookup(s.fields.key), "kept"));
    } else {
      out.push_back(Reconcile(s));
    }
  }
  return out;
}

Outcome IpamOperator::Reconcile(const Service& service) {
  const std::string& key = service.fields.key;
  known_[key] = service;
  if (service.type != "LoadBalancer") {
    allocator_.Release(key);
    return Outcome{key, {}, "", "not a LoadBalancer: nothing assigned", true};
  }
  absl::StatusOr<ipam::Request> req = ipam::RequestFromService(service.fields);
  if (!req.ok()) return Failed(key, req.status());
  absl::StatusOr<ipam::Assignment> a = allocator_.Allocate(*req);
  if (!a.ok()) return Failed(key, a.status());
  return Allocated(key, *a, "assigned");
}

std::vector<Outcome> IpamOperator::Delete(const std::string& key) {
  known_.erase(key);
  allocator_.Release(key);
  return RetryPending();
}

std::vector<Outcome> IpamOperator::RetryPending() {
  std::vector<Outcome> out;
  for (const std::string& key : allocator_.Retryable()) {
    auto it = known_.find(key);
    if (it == known_.end()) {
      allocator_.ForgetPending(key);
      continue;
    }
    out.push_back(Reconcile(it->second));
  }
  return out;
}

}  // namespace lb::examples
