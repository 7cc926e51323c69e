#include "lib/arp/prober.h"

#include "absl/strings/str_cat.h"

namespace lb::arp {

absl::Status ValidateProbeOptions(const ProbeOptions& o) {
  if (o.probes < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("probe count must be >= 1, got ", o.probes));
  }
  if (o.interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("probe interval must be positive");
  }
  if (o.wait < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("probe wait must not be negative");
  }
  return absl::OkStatus();
}

Prober::Prober(const ProbeOptions& options) : options_(options) {}

void Prober::Start(const IpAddress& address, MonoTime now) {
  Stop(address);
  entries_[address] = Entry{now, 0, true};
  queue_.insert({now, address});
}

void Prober::Stop(const IpAddress& address) {
  auto it = entries_.find(address);
  if (it == entries_.end()) return;
  if (it->second.ready) queue_.erase({it->second.due, address});
  entries_.erase(it);
}

bool Prober::Conflict(const IpAddress& address) {
  if (!IsProbing(address)) return false;
  Stop(address);
  return true;
}

void Prober::SetReady(const IpAddress& address, bool ready) {
  auto it = entries_.find(address);
  if (it == entries_.end() || it->second.ready == ready) return;
  Entry& e = it->second;
  e.ready = ready;
  if (ready) {
    queue_.insert({e.due, address});
  } else {
    queue_.erase({e.due, address});
  }
}

Prober::Step Prober::TakeDue(MonoTime now) {
  Step step;
  while (!queue_.empty() && queue_.begin()->first <= now) {
    IpAddress address = queue_.begin()->second;
    queue_.erase(queue_.begin());
    Entry& e = entries_[address];
    if (e.probes_sent == options_.probes) {
      step.claimed.push_back(address);
      entries_.erase(address);
      continue;
    }
    step.probe.push_back(address);
    ++e.probes_sent;
    e.due = now + (e.probes_sent < options_.probes ? options_.interval
                                                   : options_.wait);
    queue_.insert({e.due, address});
  }
  return step;
}

MonoTime Prober::NextDeadline() const {
  return queue_.empty() ? MonoTime::InfiniteFuture() : queue_.begin()->first;
}

}  // namespace lb::arp
