#include "lib/arp/interface_policy.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace lb::arp {

std::vector<std::string> DefaultExcludePatterns() {
  return {"docker*",    "cbr*", "dummy*",        "virbr*", "lxcbr*",
          "veth*",      "lo",   "cali*",         "tunl*",  "flannel*",
          "kube-ipvs*", "cni*", "nodelocaldns*", "lxc*"};
}

absl::Status ValidatePolicy(const InterfacePolicy& policy) {
  for (const std::string& p : policy.exclude) {
    if (p.empty()) {
      return absl::InvalidArgumentError("empty interface exclude pattern");
    }
  }
  for (const std::string& n : policy.include) {
    if (n.empty()) return absl::InvalidArgumentError("empty interface name");
  }
  return absl::OkStatus();
}

absl::string_view LinkVerdictName(LinkVerdict verdict) {
  switch (verdict) {
    case LinkVerdict::kEligible:
      return "eligible";
    case LinkVerdict::kDown:
      return "down";
    case LinkVerdict::kNoCarrier:
      return "no_carrier";
    case LinkVerdict::kLoopback:
      return "loopback";
    case LinkVerdict::kNotEthernet:
      return "not_ethernet";
    case LinkVerdict::kNoArp:
      return "noarp";
    case LinkVerdict::kEnslaved:
      return "enslaved";
    case LinkVerdict::kExcluded:
      return "excluded";
    case LinkVerdict::kNotIncluded:
      return "not_included";
    case LinkVerdict::kNoMatchingPrefix:
      return "no_matching_prefix";
  }
  return "unknown";
}

bool MatchesPattern(absl::string_view name, absl::string_view pattern) {
  // Iterative glob with single-star backtracking.
  size_t n = 0, p = 0, star = absl::string_view::npos, mark = 0;
  while (n < name.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == name[n])) {
      ++n;
      ++p;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = n;
    } else if (star != absl::string_view::npos) {
      p = star + 1;
      n = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

LinkVerdict EvaluateLink(const Link& link, const InterfacePolicy& policy) {
  if (link.loopback) return LinkVerdict::kLoopback;
  if (!link.up) return LinkVerdict::kDown;
  if (!link.lower_up) return LinkVerdict::kNoCarrier;
  if (!link.ethernet) return LinkVerdict::kNotEthernet;
  if (link.noarp) return LinkVerdict::kNoArp;
  if (link.master != 0) return LinkVerdict::kEnslaved;
  if (!policy.include.empty()) {
    bool listed = std::find(policy.include.begin(), policy.include.end(),
                            link.name) != policy.include.end();
    return listed ? LinkVerdict::kEligible : LinkVerdict::kNotIncluded;
  }
  for (const std::string& pattern : policy.exclude) {
    if (MatchesPattern(link.name, pattern)) return LinkVerdict::kExcluded;
  }
  return LinkVerdict::kEligible;
}

LinkVerdict EvaluateLinkFor(const Link& link, const IpAddress& address,
                            const InterfacePolicy& policy) {
  LinkVerdict v = EvaluateLink(link, policy);
  if (v != LinkVerdict::kEligible || !policy.require_matching_prefix) return v;
  for (const LinkAddress& a : link.addresses) {
    if (a.prefix.Contains(address)) return LinkVerdict::kEligible;
  }
  return LinkVerdict::kNoMatchingPrefix;
}

}  // namespace lb::arp
