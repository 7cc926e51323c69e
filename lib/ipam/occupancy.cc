#include "lib/ipam/occupancy.h"

#include <iterator>

namespace lb::ipam {

bool Occupancy::Contains(const IpAddress& a) const {
  const auto& runs = runs_[Index(a.family())];
  auto it = runs.upper_bound(a.value());
  if (it == runs.begin()) return false;
  return std::prev(it)->second >= a.value();
}

void Occupancy::Mark(const IpAddress& a) {
  auto& runs = runs_[Index(a.family())];
  absl::uint128 v = a.value();
  auto next = runs.upper_bound(v);
  bool left = false;
  auto prev = next;
  if (next != runs.begin()) {
    prev = std::prev(next);
    if (prev->second >= v) return;  // already occupied
    std::optional<IpAddress> after_prev =
        space_->NextUsable(IpAddress::FromValue(a.family(), prev->second + 1));
    left = after_prev && *after_prev == a;
  }
  bool right = false;
  if (next != runs.end()) {
    std::optional<IpAddress> after = a.Checked(1);
    std::optional<IpAddress> after_a =
        after ? space_->NextUsable(*after) : std::optional<IpAddress>();
    right = after_a && after_a->value() == next->first;
  }
  if (left && right) {
    prev->second = next->second;
    runs.erase(next);
  } else if (left) {
    prev->second = v;
  } else if (right) {
    absl::uint128 end = next->second;
    runs.erase(next);
    runs.emplace(v, end);
  } else {
    runs.emplace(v, v);
  }
}

void Occupancy::Unmark(const IpAddress& a) {
  auto& runs = runs_[Index(a.family())];
  absl::uint128 v = a.value();
  auto it = runs.upper_bound(v);
  if (it == runs.begin()) return;
  --it;
  if (it->second < v) return;
  absl::uint128 start = it->first, end = it->second;
  runs.erase(it);
  if (start < v) {
    std::optional<IpAddress> left_end =
        space_->PrevUsable(IpAddress::FromValue(a.family(), v - 1));
    if (left_end && left_end->value() >= start) {
      runs.emplace(start, left_end->value());
    }
  }
  if (v < end) {
    std::optional<IpAddress> right_start =
        space_->NextUsable(IpAddress::FromValue(a.family(), v + 1));
    if (right_start && right_start->value() <= end) {
      runs.emplace(right_start->value(), end);
    }
  }
}

std::optional<IpAddress> Occupancy::LowestFree(IpFamily f) const {
  // Runs are maximal, so one jump per run.
  std::optional<IpAddress> free = space_->FirstUsable(f);
  const auto& runs = runs_[Index(f)];
  while (free) {
    auto it = runs.upper_bound(free->value());
    if (it == runs.begin()) break;
    --it;
    if (it->second < free->value()) break;
    std::optional<IpAddress> after =
        IpAddress::FromValue(f, it->second).Checked(1);
    free = after ? space_->NextUsable(*after) : std::nullopt;
  }
  return free;
}

}  // namespace lb::ipam
