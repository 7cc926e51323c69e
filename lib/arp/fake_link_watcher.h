// lib/arp/fake_link_watcher.h
//
// An in-memory LinkWatcher for tests: the test edits the table and the
// watcher reports a change on the next Poll() (its ReadyFd() is a real
// eventfd that turns readable on every edit), and a test can wait until its
// loop has polled.
//
//   FakeLinkWatcher links;
//   links.SetLink(EthernetLink(2, "eth0", mac, {"192.168.1.10/24"}));
//   links.SetUp(2, false);   // interface goes down
//   REQUIRE(links.AwaitPolled());
//
// Thread-safety: all methods are safe for concurrent use.

#ifndef LB_ARP_FAKE_LINK_WATCHER_H_
#define LB_ARP_FAKE_LINK_WATCHER_H_

#include <cstdint>
#include <initializer_list>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "lib/arp/link_watcher.h"

namespace lb::arp {

// An up, carrier-on Ethernet link with the given prefixes ("10.0.0.2/24").
// REQUIRES: every prefix parses.
Link EthernetLink(int ifindex, const std::string& name, const MacAddress& mac,
                  std::initializer_list<const char*> prefixes);

class FakeLinkWatcher final : public LinkWatcher {
 public:
  FakeLinkWatcher();
  ~FakeLinkWatcher() override;

  int ReadyFd() const override { return event_fd_; }
  absl::StatusOr<bool> Poll() override;
  std::vector<Link> Links() const override;

  // Adds or replaces a link.
  void SetLink(const Link& link);
  void RemoveLink(int ifindex);
  // Edits one field of an existing link (no-op for an unknown ifindex).
  void SetUp(int ifindex, bool up);
  void SetMac(int ifindex, const MacAddress& mac);
  void SetMaster(int ifindex, int master);
  void AddAddress(int ifindex, const IpPrefix& prefix);
  void RemoveAddress(int ifindex, const IpPrefix& prefix);
  // Makes the next Poll() fail with `status`.
  void FailNextPoll(absl::Status status);
  // Makes ReadyFd() readable without changing anything: the next Poll()
  // reports no change. With AwaitPolled(), tells a test that the loop
  // reading this watcher has come round again.
  void Nudge();
  // Waits until Poll() has run since the last edit (FailNextPoll and Nudge
  // included). False after `timeout` of real time.
  bool AwaitPolled(absl::Duration timeout = absl::Seconds(10));

 private:
  void Changed() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Signal() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const int event_fd_;
  mutable absl::Mutex mu_;
  std::map<int, Link> links_ ABSL_GUARDED_BY(mu_);
  bool changed_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t edits_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t polled_edits_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status next_poll_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lb::arp

#endif  // LB_ARP_FAKE_LINK_WATCHER_H_
