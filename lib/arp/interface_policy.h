// lib/arp/interface_policy.h
//
// Which interfaces an address is answered and announced on. A link is
// eligible if it is up with carrier, Ethernet, ARP-capable, not loopback,
// not enslaved (bond slaves and bridge ports are skipped: their master
// answers), not excluded by name, and in the include list if one is given.
// By default an address is served only on eligible links that carry a
// prefix containing it; `require_matching_prefix = false` serves it on every
// eligible link (for address-less L2 ports).
//
//   InterfacePolicy policy;                       // MetalLB's default excludes
//   LinkVerdict v = EvaluateLinkFor(link, vip, policy);
//   if (v != LinkVerdict::kEligible) Log(LinkVerdictName(v));
//
// Thread-safety: pure functions over values.

#ifndef LB_ARP_INTERFACE_POLICY_H_
#define LB_ARP_INTERFACE_POLICY_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "lib/arp/address.h"
#include "lib/arp/link_watcher.h"

namespace lb::arp {

// MetalLB's default exclude list: docker*, cbr*, dummy*, virbr*, lxcbr*,
// veth*, lo, cali*, tunl*, flannel*, kube-ipvs*, cni*, nodelocaldns*, lxc*.
std::vector<std::string> DefaultExcludePatterns();

struct InterfacePolicy {
  // Interface names to serve on; empty means every eligible interface.
  std::vector<std::string> include;
  // Name patterns to skip ('*' matches any run of characters, '?' one).
  // An explicitly included name is never excluded.
  std::vector<std::string> exclude = DefaultExcludePatterns();
  // Serve an address only on interfaces with a prefix that contains it.
  bool require_matching_prefix = true;
};

// Checks that every pattern is non-empty; InvalidArgument names the bad one.
absl::Status ValidatePolicy(const InterfacePolicy& policy);

enum class LinkVerdict {
  kEligible,
  kDown,
  kNoCarrier,
  kLoopback,
  kNotEthernet,
  kNoArp,
  kEnslaved,
  kExcluded,
  kNotIncluded,
  kNoMatchingPrefix,
};

// "eligible", "down", "no_carrier", ...
absl::string_view LinkVerdictName(LinkVerdict verdict);

// Glob match of `name` against `pattern` ('*' and '?').
bool MatchesPattern(absl::string_view name, absl::string_view pattern);

// Whether `link` may serve any address under `policy`.
LinkVerdict EvaluateLink(const Link& link, const InterfacePolicy& policy);

// Whether `link` serves `address` under `policy`.
LinkVerdict EvaluateLinkFor(const Link& link, const IpAddress& address,
                            const InterfacePolicy& policy);

}  // namespace lb::arp

#endif  // LB_ARP_INTERFACE_POLICY_H_
