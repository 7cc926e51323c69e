#include "lib/ipam/service_request.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace lb::ipam {
namespace {

// The value of annotation `name` under either prefix; both set differently is
// an error.
absl::StatusOr<std::string> Annotation(const ServiceFields& s,
                                       absl::string_view name) {
  std::string legacy_key = absl::StrCat(kAnnotationPrefixLegacy, name);
  std::string key = absl::StrCat(kAnnotationPrefix, name);
  auto legacy = s.annotations.find(legacy_key);
  auto modern = s.annotations.find(key);
  if (legacy != s.annotations.end() && modern != s.annotations.end() &&
      legacy->second != modern->second) {
    return absl::InvalidArgumentError(
        absl::StrCat("annotations ", legacy_key, "=\"", legacy->second,
                     "\" and ", key, "=\"", modern->second, "\" disagree"));
  }
  if (modern != s.annotations.end()) return modern->second;
  if (legacy != s.annotations.end()) return legacy->second;
  return std::string();
}

}  // namespace

bool IsMetalLbAnnotation(absl::string_view key) {
  return absl::StartsWith(key, kAnnotationPrefix) ||
         absl::StartsWith(key, kAnnotationPrefixLegacy);
}

absl::StatusOr<Request> RequestFromService(const ServiceFields& s) {
  Request r;
  r.service = s.key;
  if (r.service.empty())
    return absl::InvalidArgumentError("service has no namespace/name key");
  absl::StatusOr<std::string> pool = Annotation(s, "address-pool");
  if (!pool.ok()) return pool.status();
  r.pool = *pool;
  absl::StatusOr<std::string> sharing = Annotation(s, "allow-shared-ip");
  if (!sharing.ok()) return sharing.status();
  r.sharing_key = *sharing;
  absl::StatusOr<std::string> ips = Annotation(s, "loadBalancerIPs");
  if (!ips.ok()) return ips.status();
  if (!ips->empty() && !s.load_balancer_ip.empty()) {
    return absl::InvalidArgumentError(
        "spec.loadBalancerIP and the loadBalancerIPs annotation are both set; "
        "use one");
  }
  if (!s.load_balancer_ip.empty()) {
    absl::StatusOr<IpAddress> a = IpAddress::Parse(s.load_balancer_ip);
    if (!a.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "invalid spec.loadBalancerIP \"", s.load_balancer_ip, "\""));
    }
    r.requested.push_back(*a);
  }
  for (absl::string_view text :
       absl::StrSplit(*ips, ',', absl::SkipWhitespace())) {
    text = absl::StripAsciiWhitespace(text);
    absl::StatusOr<IpAddress> a = IpAddress::Parse(text);
    if (!a.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "invalid address \"", text, "\" in the loadBalancerIPs annotation"));
    }
    r.requested.push_back(*a);
  }
  r.ports = s.ports;
  if (s.external_traffic_policy == "Local") {
    r.traffic_policy = TrafficPolicy::kLocal;
    std::vector<std::string> parts;
    for (const auto& [k, v] : s.selector)
      parts.push_back(absl::StrCat(k, "=", v));
    r.backend = absl::StrJoin(parts, ",");
  } else if (!s.external_traffic_policy.empty() &&
             s.external_traffic_policy != "Cluster") {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid spec.externalTrafficPolicy \"",
                     s.external_traffic_policy, "\""));
  }
  if (s.ip_family_policy.empty() || s.ip_family_policy == "SingleStack") {
    r.family_policy = IpFamilyPolicy::kSingleStack;
  } else if (s.ip_family_policy == "PreferDualStack") {
    r.family_policy = IpFamilyPolicy::kPreferDualStack;
  } else if (s.ip_family_policy == "RequireDualStack") {
    r.family_policy = IpFamilyPolicy::kRequireDualStack;
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid spec.ipFamilyPolicy \"", s.ip_family_policy, "\""));
  }
  for (const std::string& f : s.ip_families) {
    if (f == "IPv4") {
      r.families.push_back(IpFamily::kV4);
    } else if (f == "IPv6") {
      r.families.push_back(IpFamily::kV6);
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid spec.ipFamilies entry \"", f, "\""));
    }
  }
  // Requested addresses decide the families when spec.ipFamilies is not given.
  if (r.families.empty() && !r.requested.empty())
    r.families.push_back(r.requested[0].family());
  return r;
}

}  // namespace lb::ipam
