#include "lib/arp/fake_link_watcher.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

namespace lb::arp {

Link EthernetLink(int ifindex, const std::string& name, const MacAddress& mac,
                  std::initializer_list<const char*> prefixes) {
  Link link;
  link.ifindex = ifindex;
  link.name = name;
  link.mac = mac;
  link.up = true;
  link.lower_up = true;
  link.ethernet = true;
  for (const char* p : prefixes) {
    absl::StatusOr<IpPrefix> prefix = IpPrefix::Parse(p);
    if (!prefix.ok()) std::abort();
    link.addresses.push_back({*prefix});
  }
  return link;
}

FakeLinkWatcher::FakeLinkWatcher()
    : event_fd_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

FakeLinkWatcher::~FakeLinkWatcher() { close(event_fd_); }

absl::StatusOr<bool> FakeLinkWatcher::Poll() {
  absl::MutexLock lock(&mu_);
  uint64_t v;
  (void)!read(event_fd_, &v, sizeof(v));
  polled_edits_ = edits_;
  if (!next_poll_.ok()) return std::exchange(next_poll_, absl::OkStatus());
  return std::exchange(changed_, false);
}

std::vector<Link> FakeLinkWatcher::Links() const {
  absl::MutexLock lock(&mu_);
  std::vector<Link> out;
  for (const auto& [index, link] : links_) out.push_back(link);
  return out;
}

bool FakeLinkWatcher::AwaitPolled(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto polled = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return polled_edits_ == edits_;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&polled), timeout);
}

void FakeLinkWatcher::Changed() {
  changed_ = true;
  Signal();
}

void FakeLinkWatcher::Signal() {
  ++edits_;
  uint64_t one = 1;
  (void)!write(event_fd_, &one, sizeof(one));
}

void FakeLinkWatcher::Nudge() {
  absl::MutexLock lock(&mu_);
  Signal();
}

void FakeLinkWatcher::SetLink(const Link& link) {
  absl::MutexLock lock(&mu_);
  links_[link.ifindex] = link;
  Changed();
}

void FakeLinkWatcher::RemoveLink(int ifindex) {
  absl::MutexLock lock(&mu_);
  links_.erase(ifindex);
  Changed();
}

void FakeLinkWatcher::SetUp(int ifindex, bool up) {
  absl::MutexLock lock(&mu_);
  auto it = links_.find(ifindex);
  if (it == links_.end()) return;
  it->second.up = up;
  it->second.lower_up = up;
  Changed();
}

void FakeLinkWatcher::SetMac(int ifindex, const MacAddress& mac) {
  absl::MutexLock lock(&mu_);
  auto it = links_.find(ifindex);
  if (it == links_.end()) return;
  it->second.mac = mac;
  Changed();
}

void FakeLinkWatcher::SetMaster(int ifindex, int master) {
  absl::MutexLock lock(&mu_);
  auto it = links_.find(ifindex);
  if (it == links_.end()) return;
  it->second.master = master;
  Changed();
}

void FakeLinkWatcher::AddAddress(int ifindex, const IpPrefix& prefix) {
  absl::MutexLock lock(&mu_);
  auto it = links_.find(ifindex);
  if (it == links_.end()) return;
  it->second.addresses.push_back({prefix});
  Changed();
}

void FakeLinkWatcher::RemoveAddress(int ifindex, const IpPrefix& prefix) {
  absl::MutexLock lock(&mu_);
  auto it = links_.find(ifindex);
  if (it == links_.end()) return;
  auto& a = it->second.addresses;
  a.erase(
      std::remove_if(a.begin(), a.end(),
                     [&](const LinkAddress& x) { return x.prefix == prefix; }),
      a.end());
  Changed();
}

void FakeLinkWatcher::FailNextPoll(absl::Status status) {
  absl::MutexLock lock(&mu_);
  next_poll_ = std::move(status);
  Changed();
}

}  // namespace lb::arp
