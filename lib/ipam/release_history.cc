#include "lib/ipam/release_history.h"

namespace lb::ipam {

// ---------------------------------------------------------------------------
// HoldDown

void HoldDown::Hold(const IpAddress& a, size_t pool, MonoTime when) {
  Unhold(a);
  held_.emplace(a, std::make_pair(when, pool));
  queue_.emplace(when, a);
}

std::optional<size_t> HoldDown::Unhold(const IpAddress& a) {
  auto it = held_.find(a);
  if (it == held_.end()) return std::nullopt;
  size_t pool = it->second.second;
  queue_.erase({it->second.first, a});
  held_.erase(it);
  return pool;
}

std::optional<std::pair<IpAddress, size_t>> HoldDown::PopExpired(MonoTime now) {
  if (queue_.empty() || queue_.begin()->first + duration_ > now) {
    return std::nullopt;
  }
  IpAddress a = queue_.begin()->second;
  return std::make_pair(a, *Unhold(a));
}

std::optional<IpAddress> HoldDown::Oldest(
    absl::FunctionRef<bool(const IpAddress&)> match) const {
  for (const auto& [when, a] : queue_) {
    if (match(a)) return a;
  }
  return std::nullopt;
}

std::vector<std::pair<IpAddress, size_t>> HoldDown::Repool(
    absl::FunctionRef<std::optional<size_t>(const IpAddress&)> pool_of) {
  std::vector<std::pair<IpAddress, size_t>> kept;
  std::vector<IpAddress> dropped;
  for (auto& [address, held] : held_) {
    std::optional<size_t> p = pool_of(address);
    if (!p) {
      dropped.push_back(address);
      continue;
    }
    held.second = *p;
    kept.emplace_back(address, *p);
  }
  for (const IpAddress& a : dropped) Unhold(a);
  return kept;
}

// ---------------------------------------------------------------------------
// PreviousAddresses

void PreviousAddresses::Remember(const std::string& service,
                                 absl::Span<const IpAddress> addresses,
                                 MonoTime when) {
  for (const IpAddress& a : addresses) owner_[a] = service;
  by_service_[service] = {when, {addresses.begin(), addresses.end()}};
  queue_.emplace(when, service);
}

const std::vector<IpAddress>* PreviousAddresses::Of(
    absl::string_view service) const {
  if (by_service_.empty()) return nullptr;
  auto it = by_service_.find(service);
  return it == by_service_.end() ? nullptr : &it->second.second;
}

bool PreviousAddresses::LeadsTo(const IpAddress& a,
                                absl::string_view service) const {
  auto it = owner_.find(a);
  return it != owner_.end() && it->second == service;
}

void PreviousAddresses::Claimed(const IpAddress& a, absl::string_view service) {
  if (owner_.empty()) return;
  if (auto it = owner_.find(a); it != owner_.end() && it->second != service) {
    owner_.erase(it);
  }
}

void PreviousAddresses::Forget(absl::string_view service) {
  if (by_service_.empty()) return;
  auto it = by_service_.find(service);
  if (it == by_service_.end()) return;
  for (const IpAddress& a : it->second.second) {
    auto owner = owner_.find(a);
    if (owner != owner_.end() && owner->second == service) owner_.erase(owner);
  }
  // Its queue entry stays; Expire skips entries that no longer match.
  by_service_.erase(it);
}

void PreviousAddresses::Expire(MonoTime now) {
  while (!queue_.empty() && queue_.begin()->first + duration_ <= now) {
    auto [when, service] = *queue_.begin();
    queue_.erase(queue_.begin());
    auto it = by_service_.find(service);
    if (it == by_service_.end() || it->second.first != when) continue;
    Forget(service);
  }
}

}  // namespace lb::ipam
