#include "lib/k8s/testing/validation.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "lib/k8s/testing/internal/fields.h"

namespace lb::k8s::testing {
namespace {

using internal::Field;
using internal::Str;

// k8s.io/apimachinery/pkg/util/validation's messages.
std::string RegexError(const std::string& msg, const std::string& regex,
                       const std::vector<std::string>& examples) {
  std::string out = msg + " (e.g. ";
  for (size_t i = 0; i < examples.size(); ++i) {
    if (i > 0) out += " or ";
    out += "'" + examples[i] + "', ";
  }
  return out + "regex used for validation is '" + regex + "')";
}

bool IsAlnumLower(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool IsAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)); }

bool IsDns1123Label(const std::string& s) {
  if (s.empty() || !IsAlnumLower(s.front()) || !IsAlnumLower(s.back())) {
    return false;
  }
  for (char c : s) {
    if (!IsAlnumLower(c) && c != '-') return false;
  }
  return true;
}

bool IsDns1123Subdomain(const std::string& s) {
  for (absl::string_view part : absl::StrSplit(s, '.')) {
    if (!IsDns1123Label(std::string(part))) return false;
  }
  return true;
}

const char kLabelMsg[] =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric "
    "characters or '-', and must start and end with an alphanumeric character";
const char kLabelRegex[] = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const char kSubdomainMsg[] =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric "
    "characters, '-' or '.', and must start and end with an alphanumeric "
    "character";
const char kSubdomainRegex[] =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";

// Errors of IsDNS1123Label / IsDNS1123Subdomain / IsDNS1035Label.
std::vector<std::string> Dns1123LabelErrors(const std::string& s) {
  std::vector<std::string> e;
  if (s.size() > 63) e.push_back("must be no more than 63 characters");
  if (!IsDns1123Label(s)) {
    e.push_back(RegexError(kLabelMsg, kLabelRegex, {"my-name", "123-abc"}));
  }
  return e;
}

std::vector<std::string> Dns1123SubdomainErrors(const std::string& s) {
  std::vector<std::string> e;
  if (s.size() > 253) e.push_back("must be no more than 253 characters");
  if (!IsDns1123Subdomain(s)) {
    e.push_back(RegexError(kSubdomainMsg, kSubdomainRegex, {"example.com"}));
  }
  return e;
}

std::vector<std::string> Dns1035LabelErrors(const std::string& s) {
  std::vector<std::string> e;
  if (s.size() > 63) e.push_back("must be no more than 63 characters");
  bool ok = IsDns1123Label(s) && s.front() >= 'a' && s.front() <= 'z';
  if (!ok) {
    e.push_back(RegexError(
        "a DNS-1035 label must consist of lower case alphanumeric characters "
        "or '-', start with an alphabetic character, and end with an "
        "alphanumeric character",
        "[a-z]([-a-z0-9]*[a-z0-9])?", {"my-name", "abc-123"}));
  }
  return e;
}

// Path segment names (RBAC objects).
std::vector<std::string> PathSegmentErrors(const std::string& s) {
  if (s == "." || s == "..") {
    return {absl::StrCat("may not be '", s, "'")};
  }
  for (const char* bad : {"/", "%"}) {
    if (absl::StrContains(s, bad)) {
      return {absl::StrCat("may not contain '", bad, "'")};
    }
  }
  return {};
}

bool IsLabelValueChar(char c) {
  return IsAlnum(c) || c == '-' || c == '_' || c == '.';
}

bool IsQualifiedNamePart(const std::string& s) {
  if (s.empty() || !IsAlnum(s.front()) || !IsAlnum(s.back())) return false;
  for (char c : s) {
    if (!IsLabelValueChar(c)) return false;
  }
  return true;
}

const char kQualifiedRegex[] = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";

std::vector<std::string> QualifiedNameErrors(const std::string& value) {
  std::vector<std::string> e;
  std::vector<std::string> parts = absl::StrSplit(value, '/');
  std::string name;
  if (parts.size() == 1) {
    name = parts[0];
  } else if (parts.size() == 2) {
    const std::string& prefix = parts[0];
    name = parts[1];
    if (prefix.empty()) {
      e.push_back("prefix part must be non-empty");
    } else {
      for (const std::string& m : Dns1123SubdomainErrors(prefix)) {
        e.push_back("prefix part " + m);
      }
    }
  } else {
    return {RegexError(
                "a qualified name must consist of alphanumeric characters, "
                "'-', '_' or '.', and must start and end with an alphanumeric "
                "character",
                kQualifiedRegex, {"MyName", "my.name", "123-abc"}) +
            " with an optional DNS subdomain prefix and '/' (e.g. "
            "'example.com/MyName')"};
  }
  if (name.empty()) {
    e.push_back("name part must be non-empty");
  } else if (name.size() > 63) {
    e.push_back("name part must be no more than 63 characters");
  }
  if (!name.empty() && !IsQualifiedNamePart(name)) {
    e.push_back(RegexError(
        "name part must consist of alphanumeric characters, '-', '_' or '.', "
        "and must start and end with an alphanumeric character",
        kQualifiedRegex, {"MyName", "my.name", "123-abc"}));
  }
  return e;
}

std::vector<std::string> LabelValueErrors(const std::string& v) {
  std::vector<std::string> e;
  if (v.size() > 63) e.push_back("must be no more than 63 characters");
  if (!v.empty() && !IsQualifiedNamePart(v)) {
    e.push_back(RegexError(
        "a valid label must be an empty string or consist of alphanumeric "
        "characters, '-', '_' or '.', and must start and end with an "
        "alphanumeric character",
        "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?",
        {"MyValue", "my_value", "12345"}));
  }
  return e;
}

// IANA service names, as a named targetPort is.
std::vector<std::string> PortNameErrors(const std::string& s) {
  std::vector<std::string> e;
  if (s.size() > 15) e.push_back("must be no more than 15 characters");
  bool letters = false, chars = true;
  for (char c : s) {
    chars &= IsAlnumLower(c) || c == '-';
    letters |= c >= 'a' && c <= 'z';
  }
  if (!chars) {
    e.push_back(
        "must contain only alpha-numeric characters (a-z, 0-9), and hyphens "
        "(-)");
  }
  if (!letters) e.push_back("must contain at least one letter (a-z)");
  if (absl::StrContains(s, "--")) {
    e.push_back("must not contain consecutive hyphens");
  }
  if (!s.empty() && (s.front() == '-' || s.back() == '-')) {
    e.push_back("must not begin or end with a hyphen");
  }
  return e;
}

bool IsIp(const std::string& s) {
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 ||
         inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

bool IsCidr(const std::string& s) {
  std::vector<std::string> parts = absl::StrSplit(s, '/');
  int bits = 0;
  if (parts.size() != 2 || !IsIp(parts[0]) ||
      !absl::SimpleAtoi(parts[1], &bits)) {
    return false;
  }
  int max = absl::StrContains(parts[0], ':') ? 128 : 32;
  return bits >= 0 && bits <= max;
}

bool InServiceCidr(const std::string& ip) {
  in_addr a;
  if (inet_pton(AF_INET, ip.c_str(), &a) != 1) return false;
  uint32_t v = ntohl(a.s_addr);
  return (v & 0xfff00000u) == 0x0a600000u;  // 10.96.0.0/12
}

std::string GoStrings(const json& list) {
  std::vector<std::string> parts;
  if (list.is_array()) {
    for (const json& v : list) parts.push_back(GoString(Str(v)));
  }
  return absl::StrCat("[]string{", absl::StrJoin(parts, ", "), "}");
}

std::string GoStringMap(const json& m) {
  std::vector<std::string> parts;
  if (m.is_object()) {
    for (auto it = m.begin(); it != m.end(); ++it) {
      parts.push_back(
          absl::StrCat(GoString(it.key()), ":", GoString(Str(it.value()))));
    }
  }
  return absl::StrCat("map[string]string{", absl::StrJoin(parts, ", "), "}");
}

// A JSON value as Go's field errors print it.
std::string GoValue(const json& v) {
  if (v.is_string()) return GoString(v.get<std::string>());
  if (v.is_null()) return "null";
  return v.dump();
}

void CheckNames(FieldErrors& errs, const std::string& field,
                const std::string& value,
                const std::vector<std::string>& messages) {
  for (const std::string& m : messages) {
    errs.Invalid(field, GoString(value), m);
  }
}

void ValidateMeta(const ResourceType& t, const json& obj, FieldErrors& errs) {
  const json& md = Field(obj, "metadata");
  std::string name = Str(Field(md, "name"));
  if (t.builtin && t.group == "rbac.authorization.k8s.io") {
    CheckNames(errs, "metadata.name", name, PathSegmentErrors(name));
  } else if (t.group.empty() && t.plural == "services") {
    CheckNames(errs, "metadata.name", name, Dns1035LabelErrors(name));
  } else if (t.group.empty() && t.plural == "namespaces") {
    CheckNames(errs, "metadata.name", name, Dns1123LabelErrors(name));
  } else if (t.group != "apiextensions.k8s.io") {
    CheckNames(errs, "metadata.name", name, Dns1123SubdomainErrors(name));
  }
  const json& labels = Field(md, "labels");
  if (labels.is_object()) {
    for (auto it = labels.begin(); it != labels.end(); ++it) {
      CheckNames(errs, "metadata.labels", it.key(),
                 QualifiedNameErrors(it.key()));
      CheckNames(errs, "metadata.labels", Str(it.value()),
                 LabelValueErrors(Str(it.value())));
    }
  }
  const json& annotations = Field(md, "annotations");
  if (annotations.is_object()) {
    size_t total = 0;
    for (auto it = annotations.begin(); it != annotations.end(); ++it) {
      CheckNames(errs, "metadata.annotations", it.key(),
                 QualifiedNameErrors(absl::AsciiStrToLower(it.key())));
      total += it.key().size() + Str(it.value()).size();
    }
    if (total > 256 * 1024) {
      errs.TooLong("metadata.annotations", "must have at most 262144 bytes");
    }
  }
}

bool NeedsNodePorts(const std::string& type, const json& spec) {
  return type == "NodePort" ||
         (type == "LoadBalancer" &&
          spec.value("allocateLoadBalancerNodePorts", true) != false);
}

void ValidateService(const json* old, const json& obj,
                     const ServiceOwners& owners, FieldErrors& errs) {
  const std::string key =
      absl::StrCat(Str(Field(obj, "metadata", "namespace")), "/",
                   Str(Field(obj, "metadata", "name")));
  const json& spec = Field(obj, "spec");
  const std::string type = Str(Field(spec, "type"));
  if (type != "ClusterIP" && type != "NodePort" && type != "LoadBalancer" &&
      type != "ExternalName") {
    errs.NotSupported(
        "spec.type", GoString(type),
        {"ClusterIP", "ExternalName", "LoadBalancer", "NodePort"});
    return;
  }
  const json& ports = Field(spec, "ports");
  const bool headless = Str(Field(spec, "clusterIP")) == "None";
  if ((!ports.is_array() || ports.empty()) && !headless &&
      type != "ExternalName") {
    errs.Required("spec.ports");
  }
  std::set<std::string> names;
  std::set<std::pair<std::string, int64_t>> pairs;
  std::set<int64_t> node_ports;
  for (size_t i = 0; ports.is_array() && i < ports.size(); ++i) {
    const json& p = ports[i];
    const std::string at = absl::StrCat("spec.ports[", i, "]");
    const std::string pname = Str(Field(p, "name"));
    if (pname.empty()) {
      if (ports.size() > 1) errs.Required(at + ".name");
    } else {
      CheckNames(errs, at + ".name", pname, Dns1123LabelErrors(pname));
      if (!names.insert(pname).second) {
        errs.Duplicate(at + ".name", GoString(pname));
      }
    }
    const json& port = Field(p, "port");
    int64_t number = port.is_number_integer() ? port.get<int64_t>() : 0;
    if (number < 1 || number > 65535) {
      errs.Invalid(at + ".port", absl::StrCat(number),
                   "must be between 1 and 65535, inclusive");
    }
    const std::string protocol = Str(Field(p, "protocol"));
    if (protocol != "TCP" && protocol != "UDP" && protocol != "SCTP") {
      errs.NotSupported(at + ".protocol", GoString(protocol),
                        {"SCTP", "TCP", "UDP"});
    }
    const json& target = Field(p, "targetPort");
    if (target.is_number_integer()) {
      int64_t tp = target.get<int64_t>();
      if (tp < 1 || tp > 65535) {
        errs.Invalid(at + ".targetPort", absl::StrCat(tp),
                     "must be between 1 and 65535, inclusive");
      }
    } else if (target.is_string()) {
      CheckNames(errs, at + ".targetPort", target.get<std::string>(),
                 PortNameErrors(target.get<std::string>()));
    }
    if (!pairs.insert({protocol, number}).second) {
      errs.Duplicate(
          at, absl::StrCat(
                  "core.ServicePort{Name:\"\", Protocol:", GoString(protocol),
                  ", AppProtocol:(*string)(nil), Port:", number,
                  ", TargetPort:intstr.IntOrString{Type:0, "
                  "IntVal:0, StrVal:\"\"}, NodePort:0}"));
    }
    const json& np = Field(p, "nodePort");
    if (np.is_number_integer() && np.get<int64_t>() != 0) {
      int64_t n = np.get<int64_t>();
      if (!NeedsNodePorts(type, spec) && type != "LoadBalancer") {
        errs.Forbidden(
            at + ".nodePort",
            absl::StrCat("may not be used when `type` is '", type, "'"));
      } else if (n < kNodePortMin || n > kNodePortMax) {
        errs.Invalid(at + ".nodePort", absl::StrCat(n),
                     absl::StrCat("provided port is not in the valid range. "
                                  "The range of valid ports is ",
                                  kNodePortMin, "-", kNodePortMax));
      } else if (std::string owner = owners.node_port(static_cast<int>(n));
                 (!owner.empty() && owner != key) ||
                 !node_ports.insert(n).second) {
        errs.Invalid(at + ".nodePort", absl::StrCat(n),
                     "provided port is already allocated");
      }
    }
  }
  // Cluster IPs: valid, from the service range, free, and fixed once set.
  const json& ips = Field(spec, "clusterIPs");
  if (ips.is_array() && type != "ExternalName" && !headless) {
    for (size_t i = 0; i < ips.size(); ++i) {
      std::string ip = Str(ips[i]);
      std::string at = absl::StrCat("spec.clusterIPs[", i, "]");
      if (!IsIp(ip)) {
        errs.Invalid(at, GoString(ip),
                     "must be a valid IP address, (e.g. 10.9.8.7 or "
                     "2001:db8::ffff)");
      } else if (old == nullptr && !InServiceCidr(ip)) {
        errs.Invalid("spec.clusterIPs", GoStrings(ips),
                     absl::StrCat("failed to allocate IP ", ip,
                                  ": the provided IP (", ip,
                                  ") is not in the valid range. The range of "
                                  "valid IPs is ",
                                  kServiceCidr));
      } else if (std::string owner = owners.cluster_ip(ip);
                 !owner.empty() && owner != key) {
        errs.Invalid("spec.clusterIPs", GoStrings(ips),
                     absl::StrCat("failed to allocate IP ", ip,
                                  ": provided IP is already allocated"));
      }
    }
  }
  const json* old_spec = old != nullptr ? &Field(*old, "spec") : nullptr;
  if (old_spec != nullptr && type != "ExternalName" &&
      Str(Field(*old_spec, "type")) != "ExternalName") {
    const json& before = Field(*old_spec, "clusterIPs");
    for (size_t i = 0; before.is_array() && ips.is_array() &&
                       i < before.size() && i < ips.size();
         ++i) {
      if (before[i] != ips[i]) {
        errs.Invalid(absl::StrCat("spec.clusterIPs[", i, "]"), GoStrings(ips),
                     "may not change once set");
      }
    }
  }
  for (const char* policy :
       {"externalTrafficPolicy", "internalTrafficPolicy"}) {
    if (!spec.contains(policy)) continue;
    std::string v = Str(spec[policy]);
    if (v.empty() && std::string(policy) == "externalTrafficPolicy") continue;
    if (v != "Cluster" && v != "Local") {
      errs.NotSupported(absl::StrCat("spec.", policy), GoString(v),
                        {"Cluster", "Local"});
    }
  }
  if (type != "NodePort" && type != "LoadBalancer" &&
      !Str(Field(spec, "externalTrafficPolicy")).empty()) {
    errs.Invalid("spec.externalTrafficPolicy",
                 GoString(Str(spec["externalTrafficPolicy"])),
                 "may only be set for externally-accessible services");
  }
  const std::string affinity = Str(Field(spec, "sessionAffinity"));
  if (affinity != "None" && affinity != "ClientIP") {
    errs.NotSupported("spec.sessionAffinity", GoString(affinity),
                      {"ClientIP", "None"});
  }
  const json& families = Field(spec, "ipFamilies");
  for (size_t i = 0; families.is_array() && i < families.size(); ++i) {
    std::string f = Str(families[i]);
    if (f != "IPv4" && f != "IPv6") {
      errs.NotSupported(absl::StrCat("spec.ipFamilies[", i, "]"), GoString(f),
                        {"IPv4", "IPv6"});
    }
  }
  if (spec.contains("ipFamilyPolicy")) {
    std::string p = Str(spec["ipFamilyPolicy"]);
    if (p != "SingleStack" && p != "PreferDualStack" &&
        p != "RequireDualStack") {
      errs.NotSupported("spec.ipFamilyPolicy", GoString(p),
                        {"PreferDualStack", "RequireDualStack", "SingleStack"});
    }
  }
  const json& lb_class = Field(spec, "loadBalancerClass");
  if (!lb_class.is_null()) {
    std::string c = Str(lb_class);
    if (type != "LoadBalancer") {
      errs.Forbidden("spec.loadBalancerClass",
                     "may only be used when `type` is 'LoadBalancer'");
    } else {
      CheckNames(errs, "spec.loadBalancerClass", c, QualifiedNameErrors(c));
    }
  }
  if (old_spec != nullptr && type == "LoadBalancer" &&
      Str(Field(*old_spec, "type")) == "LoadBalancer" &&
      Field(*old_spec, "loadBalancerClass") != lb_class) {
    errs.Invalid("spec.loadBalancerClass", GoValue(lb_class),
                 "may not change once set");
  }
  const json& ranges = Field(spec, "loadBalancerSourceRanges");
  for (size_t i = 0; ranges.is_array() && i < ranges.size(); ++i) {
    std::string r = Str(ranges[i]);
    if (!IsCidr(r)) {
      errs.Invalid("spec.loadBalancerSourceRanges", GoString(r),
                   "must be a list of IP ranges. For example, 10.240.0.0/24,"
                   "10.250.0.0/24 ");
    }
  }
  const json& external = Field(spec, "externalIPs");
  for (size_t i = 0; external.is_array() && i < external.size(); ++i) {
    std::string ip = Str(external[i]);
    if (!IsIp(ip)) {
      errs.Invalid(absl::StrCat("spec.externalIPs[", i, "]"), GoString(ip),
                   "must be a valid IP address, (e.g. 10.9.8.7 or "
                   "2001:db8::ffff)");
    }
  }
  // The status a load-balancer implementation writes.
  const json& ingress = Field(Field(obj, "status", "loadBalancer"), "ingress");
  for (size_t i = 0; ingress.is_array() && i < ingress.size(); ++i) {
    const std::string at = absl::StrCat("status.loadBalancer.ingress[", i, "]");
    const json& ing = ingress[i];
    if (ing.contains("ip")) {
      std::string ip = Str(ing["ip"]);
      if (!IsIp(ip)) {
        errs.Invalid(at + ".ip", GoString(ip),
                     "must be a valid IP address, (e.g. 10.9.8.7 or "
                     "2001:db8::ffff)");
      }
      std::string mode = Str(Field(ing, "ipMode"));
      if (!mode.empty() && mode != "VIP" && mode != "Proxy") {
        errs.NotSupported(at + ".ipMode", GoString(mode), {"Proxy", "VIP"});
      }
    } else if (ing.contains("ipMode")) {
      errs.Forbidden(at + ".ipMode", "may not be specified when `ip` is not");
    }
    if (ing.contains("hostname")) {
      std::string h = Str(ing["hostname"]);
      CheckNames(errs, at + ".hostname", h, Dns1123SubdomainErrors(h));
      if (IsIp(h))
        errs.Invalid(at + ".hostname", GoString(h),
                     "must be a DNS name, not an IP address");
    }
  }
}

// ConfigMap and Secret keys.
const char kKeyRegex[] = "[-._a-zA-Z0-9]+";

void ValidateKeys(const json& data, const std::string& field, FieldErrors& errs,
                  size_t* total) {
  if (!data.is_object()) return;
  for (auto it = data.begin(); it != data.end(); ++it) {
    const std::string& k = it.key();
    bool ok = !k.empty();
    for (char c : k) ok &= IsAlnum(c) || c == '-' || c == '_' || c == '.';
    std::string at = absl::StrCat(field, "[", k, "]");
    if (!ok) {
      errs.Invalid(at, GoString(k),
                   RegexError("a valid config key must consist of alphanumeric "
                              "characters, '-', '_' or '.'",
                              kKeyRegex, {"key.name", "KEY_NAME", "key-name"}));
    } else if (k == "." || k == "..") {
      errs.Invalid(at, GoString(k), absl::StrCat("must not be '", k, "'"));
    } else if (absl::StartsWith(k, "..")) {
      errs.Invalid(at, GoString(k), "must not start with '..'");
    }
    *total += Str(it.value()).size();
  }
}

void ValidateConfigMap(const json* old, const json& obj, FieldErrors& errs) {
  size_t total = 0;
  ValidateKeys(Field(obj, "data"), "data", errs, &total);
  ValidateKeys(Field(obj, "binaryData"), "binaryData", errs, &total);
  const json& data = Field(obj, "data");
  const json& binary = Field(obj, "binaryData");
  if (data.is_object() && binary.is_object()) {
    for (auto it = data.begin(); it != data.end(); ++it) {
      if (binary.contains(it.key())) {
        errs.Invalid(absl::StrCat("data[", it.key(), "]"), GoString(it.key()),
                     "duplicate of key present in binaryData");
      }
    }
  }
  if (total > 1024 * 1024) {
    errs.TooLong("", "may not be more than 1048576 bytes");
  }
  if (old != nullptr && Field(*old, "immutable") == true) {
    if (Field(obj, "immutable") != true) {
      errs.Forbidden("immutable", "field is immutable when `immutable` is set");
    }
    if (Field(obj, "data") != Field(*old, "data")) {
      errs.Forbidden("data", "field is immutable when `immutable` is set");
    }
    if (Field(obj, "binaryData") != Field(*old, "binaryData")) {
      errs.Forbidden("binaryData",
                     "field is immutable when `immutable` is set");
    }
  }
}

void ValidateSecret(const json* old, const json& obj, FieldErrors& errs) {
  size_t total = 0;
  ValidateKeys(Field(obj, "data"), "data", errs, &total);
  if (total > 1024 * 1024) {
    errs.TooLong("data", "may not be more than 1048576 bytes");
  }
  const std::string type = Str(Field(obj, "type"));
  const json& data = Field(obj, "data");
  auto require = [&](const char* key) {
    if (!data.is_object() || !data.contains(key)) {
      errs.Required(absl::StrCat("data[", key, "]"));
    }
  };
  if (type == "kubernetes.io/tls") {
    require("tls.crt");
    require("tls.key");
  } else if (type == "kubernetes.io/dockerconfigjson") {
    require(".dockerconfigjson");
  } else if (type == "kubernetes.io/dockercfg") {
    require(".dockercfg");
  } else if (type == "kubernetes.io/basic-auth") {
    if (!data.is_object() ||
        (!data.contains("username") && !data.contains("password"))) {
      errs.Required("data[username]");
      errs.Required("data[password]");
    }
  } else if (type == "kubernetes.io/ssh-auth") {
    require("ssh-privatekey");
  } else if (type == "kubernetes.io/service-account-token") {
    if (Str(Field(Field(obj, "metadata", "annotations"),
                  "kubernetes.io/service-account.name"))
            .empty()) {
      errs.Required("metadata.annotations[kubernetes.io/service-account.name]");
    }
  }
  if (old != nullptr) {
    if (Str(Field(*old, "type")) != type) {
      errs.Invalid("type", GoString(type), "field is immutable");
    }
    if (Field(*old, "immutable") == true) {
      if (Field(obj, "immutable") != true) {
        errs.Forbidden("immutable",
                       "field is immutable when `immutable` is set");
      }
      if (Field(obj, "data") != Field(*old, "data")) {
        errs.Forbidden("data", "field is immutable when `immutable` is set");
      }
    }
  }
}

// The selector a workload's template must match, its template and its
// containers.
void ValidateWorkload(const ResourceType& t, const json* old, const json& obj,
                      FieldErrors& errs) {
  const json& spec = Field(obj, "spec");
  const json& selector = Field(spec, "selector");
  const json& labels = Field(Field(spec, "template", "metadata"), "labels");
  if (selector.is_null()) {
    errs.Required("spec.selector");
  } else {
    const json& match = Field(selector, "matchLabels");
    const json& exprs = Field(selector, "matchExpressions");
    bool empty = (!match.is_object() || match.empty()) &&
                 (!exprs.is_array() || exprs.empty());
    if (empty) {
      errs.Invalid("spec.selector",
                   "v1.LabelSelector{MatchLabels:map[string]"
                   "string(nil), MatchExpressions:[]v1."
                   "LabelSelectorRequirement(nil)}",
                   "empty selector is invalid for deployment");
    }
    bool matches = true;
    if (match.is_object()) {
      for (auto it = match.begin(); it != match.end(); ++it) {
        matches &= labels.is_object() && labels.contains(it.key()) &&
                   labels[it.key()] == it.value();
      }
    }
    if (!matches) {
      errs.Invalid("spec.template.metadata.labels", GoStringMap(labels),
                   "`selector` does not match template `labels`");
    }
    if (old != nullptr && Field(*old, "spec", "selector") != selector) {
      errs.Invalid("spec.selector",
                   "v1.LabelSelector{MatchLabels:" + GoStringMap(match) +
                       ", MatchExpressions:[]v1."
                       "LabelSelectorRequirement(nil)}",
                   "field is immutable");
    }
  }
  const json& replicas = Field(spec, "replicas");
  if (replicas.is_number_integer() && replicas.get<int64_t>() < 0) {
    errs.Invalid("spec.replicas", replicas.dump(),
                 "must be greater than or equal to 0");
  }
  const json& pod = Field(spec, "template", "spec");
  const json& containers = Field(pod, "containers");
  if (!containers.is_array() || containers.empty()) {
    errs.Required("spec.template.spec.containers");
  }
  std::set<std::string> names;
  for (size_t i = 0; containers.is_array() && i < containers.size(); ++i) {
    const std::string at =
        absl::StrCat("spec.template.spec.containers[", i, "]");
    std::string name = Str(Field(containers[i], "name"));
    if (name.empty()) {
      errs.Required(at + ".name");
    } else {
      CheckNames(errs, at + ".name", name, Dns1123LabelErrors(name));
      if (!names.insert(name).second) {
        errs.Duplicate(at + ".name", GoString(name));
      }
    }
    if (Str(Field(containers[i], "image")).empty()) {
      errs.Required(at + ".image");
    }
  }
  const std::string restart = Str(Field(pod, "restartPolicy"));
  if (!restart.empty() && restart != "Always") {
    errs.NotSupported("spec.template.spec.restartPolicy", GoString(restart),
                      {"Always"});
  }
  (void)t;
}

// A JSON value's type as the OpenAPI validator names it.
std::string SchemaType(const json& v) {
  if (v.is_string()) return "string";
  if (v.is_boolean()) return "boolean";
  if (v.is_number_integer() || v.is_number_unsigned()) return "integer";
  if (v.is_number()) return "number";
  if (v.is_array()) return "array";
  if (v.is_object()) return "object";
  return "null";
}

// A custom resource against its CRD's structural schema, with the
// apiextensions-apiserver's messages.
void ValidateSchema(const json& schema, const json& v, const std::string& path,
                    FieldErrors& errs) {
  if (!schema.is_object()) return;
  if (v.is_null()) {
    if (!schema.value("nullable", false) && schema.contains("type")) {
      errs.Invalid(path, "\"null\"",
                   absl::StrCat(path, " in body must be of type ",
                                Str(schema["type"]), ": \"null\""));
    }
    return;
  }
  const std::string shown = path.empty() ? "body" : path + " in body";
  if (schema.value("x-kubernetes-int-or-string", false)) {
    if (!v.is_string() && !v.is_number_integer()) {
      errs.Invalid(path, GoString(SchemaType(v)),
                   absl::StrCat(shown, " must be of type integer or string: ",
                                GoString(SchemaType(v))));
    }
    return;
  }
  const std::string type = Str(Field(schema, "type"));
  std::string actual = SchemaType(v);
  if (!type.empty() && type != actual &&
      !(type == "number" && actual == "integer")) {
    errs.Invalid(
        path, GoString(actual),
        absl::StrCat(shown, " must be of type ", type, ": ", GoString(actual)));
    return;
  }
  if (Field(schema, "enum").is_array()) {
    bool found = false;
    for (const json& e : schema["enum"]) found |= e == v;
    if (!found) {
      std::vector<std::string> supported;
      for (const json& e : schema["enum"]) supported.push_back(Str(e));
      errs.NotSupported(path, GoValue(v), supported);
    }
  }
  if (v.is_number()) {
    double d = v.get<double>();
    if (Field(schema, "minimum").is_number() &&
        d < schema["minimum"].get<double>()) {
      errs.Invalid(path, v.dump(),
                   absl::StrCat(shown, " should be greater than or equal to ",
                                schema["minimum"].dump()));
    }
    if (Field(schema, "maximum").is_number() &&
        d > schema["maximum"].get<double>()) {
      errs.Invalid(path, v.dump(),
                   absl::StrCat(shown, " should be less than or equal to ",
                                schema["maximum"].dump()));
    }
  }
  if (v.is_string()) {
    const std::string text = v.get<std::string>();
    if (Field(schema, "maxLength").is_number_integer() &&
        text.size() > schema["maxLength"].get<size_t>()) {
      errs.TooLong(path,
                   absl::StrCat("may not be more than ",
                                schema["maxLength"].get<size_t>(), " bytes"));
    }
    if (Field(schema, "minLength").is_number_integer() &&
        text.size() < schema["minLength"].get<size_t>()) {
      errs.Invalid(
          path, GoString(text),
          absl::StrCat(shown, " should be at least ",
                       schema["minLength"].get<size_t>(), " chars long"));
    }
  }
  if (v.is_array()) {
    if (Field(schema, "minItems").is_number_integer() &&
        v.size() < schema["minItems"].get<size_t>()) {
      errs.Invalid(path, absl::StrCat(v.size()),
                   absl::StrCat(shown, " should have at least ",
                                schema["minItems"].get<size_t>(), " items"));
    }
    if (Field(schema, "maxItems").is_number_integer() &&
        v.size() > schema["maxItems"].get<size_t>()) {
      errs.TooLong(path,
                   absl::StrCat("must have at most ",
                                schema["maxItems"].get<size_t>(), " items"));
    }
    const json& items = Field(schema, "items");
    for (size_t i = 0; i < v.size(); ++i) {
      ValidateSchema(items, v[i], absl::StrCat(path, "[", i, "]"), errs);
    }
  }
  if (v.is_object()) {
    const json& required = Field(schema, "required");
    if (required.is_array()) {
      for (const json& r : required) {
        if (!v.contains(Str(r))) {
          errs.Required(path.empty() ? Str(r) : path + "." + Str(r));
        }
      }
    }
    const json& props = Field(schema, "properties");
    const json& extra = Field(schema, "additionalProperties");
    for (auto it = v.begin(); it != v.end(); ++it) {
      std::string child = path.empty() ? it.key() : path + "." + it.key();
      if (props.is_object() && props.contains(it.key())) {
        ValidateSchema(props[it.key()], it.value(), child, errs);
      } else if (extra.is_object()) {
        ValidateSchema(extra, it.value(), child, errs);
      }
    }
  }
}

// Fills in the schema's defaults for absent fields, as the
// apiextensions-apiserver does on every write.
void DefaultFromSchema(const json& schema, json& v) {
  if (!schema.is_object()) return;
  if (v.is_object()) {
    const json& props = Field(schema, "properties");
    if (props.is_object()) {
      for (auto it = props.begin(); it != props.end(); ++it) {
        if (!v.contains(it.key()) && it.value().contains("default")) {
          v[it.key()] = it.value()["default"];
        }
        if (v.contains(it.key())) DefaultFromSchema(it.value(), v[it.key()]);
      }
    }
    const json& extra = Field(schema, "additionalProperties");
    if (extra.is_object()) {
      for (auto it = v.begin(); it != v.end(); ++it) {
        if (!props.is_object() || !props.contains(it.key())) {
          DefaultFromSchema(extra, it.value());
        }
      }
    }
  } else if (v.is_array() && Field(schema, "items").is_object()) {
    for (json& e : v) DefaultFromSchema(schema["items"], e);
  }
}

}  // namespace

std::string GoString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += absl::StrFormat("\\x%02x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

void FieldErrors::Add(const char* reason, const std::string& field,
                      std::string body) {
  errors_.push_back({reason, field, std::move(body)});
}

void FieldErrors::Invalid(const std::string& field, const std::string& value,
                          const std::string& detail) {
  Add("FieldValueInvalid", field,
      absl::StrCat("Invalid value: ", value,
                   detail.empty() ? "" : absl::StrCat(": ", detail)));
}

void FieldErrors::Required(const std::string& field,
                           const std::string& detail) {
  Add("FieldValueRequired", field,
      absl::StrCat("Required value",
                   detail.empty() ? "" : absl::StrCat(": ", detail)));
}

void FieldErrors::Forbidden(const std::string& field,
                            const std::string& detail) {
  Add("FieldValueForbidden", field, absl::StrCat("Forbidden: ", detail));
}

void FieldErrors::Duplicate(const std::string& field,
                            const std::string& value) {
  Add("FieldValueDuplicate", field, absl::StrCat("Duplicate value: ", value));
}

void FieldErrors::NotSupported(const std::string& field,
                               const std::string& value,
                               const std::vector<std::string>& supported) {
  std::vector<std::string> quoted;
  for (const std::string& s : supported) quoted.push_back(GoString(s));
  Add("FieldValueNotSupported", field,
      absl::StrCat("Unsupported value: ", value,
                   ": supported values: ", absl::StrJoin(quoted, ", ")));
}

void FieldErrors::TooLong(const std::string& field, const std::string& detail) {
  Add("FieldValueTooLong", field, absl::StrCat("Too long: ", detail));
}

ApiResult InvalidResult(const ResourceType& t, const std::string& name,
                        const FieldErrors& errors) {
  if (errors.empty()) return {200, json()};
  std::vector<std::string> lines;
  json causes = json::array();
  for (const FieldError& e : errors.errors()) {
    std::string line = e.field.empty() ? e.body : e.field + ": " + e.body;
    // kube-apiserver's aggregate drops repeated messages.
    if (std::find(lines.begin(), lines.end(), line) == lines.end()) {
      lines.push_back(line);
    }
    causes.push_back(
        {{"reason", e.reason}, {"message", e.body}, {"field", e.field}});
  }
  std::string kind = t.group.empty() ? t.kind : t.kind + "." + t.group;
  std::string all = lines.size() == 1
                        ? lines[0]
                        : absl::StrCat("[", absl::StrJoin(lines, ", "), "]");
  json details = {{"name", name}, {"kind", t.kind}, {"causes", causes}};
  if (!t.group.empty()) details["group"] = t.group;
  return ApiError(422, "Invalid",
                  absl::StrCat(kind, " \"", name, "\" is invalid: ", all),
                  details);
}

ApiResult Validate(const ResourceType& t, const json* old, const json& obj,
                   const ServiceOwners& owners) {
  FieldErrors errs;
  ValidateMeta(t, obj, errs);
  if (t.builtin && t.group.empty()) {
    if (t.plural == "services") ValidateService(old, obj, owners, errs);
    if (t.plural == "configmaps") ValidateConfigMap(old, obj, errs);
    if (t.plural == "secrets") ValidateSecret(old, obj, errs);
  }
  if (t.builtin && t.group == "apps") ValidateWorkload(t, old, obj, errs);
  if (!t.builtin && t.schema.is_object()) {
    // apiVersion, kind and metadata are the server's, checked above.
    json body = obj;
    for (const char* k : {"apiVersion", "kind", "metadata"}) body.erase(k);
    json schema = t.schema;
    if (schema.contains("properties")) {
      for (const char* k : {"apiVersion", "kind", "metadata"}) {
        schema["properties"].erase(k);
      }
    }
    ValidateSchema(schema, body, "", errs);
  }
  return InvalidResult(t, Str(Field(obj, "metadata", "name")), errs);
}

void ApplySchemaDefaults(const json& schema, json& obj) {
  DefaultFromSchema(schema, obj);
}

}  // namespace lb::k8s::testing
