#include "lib/ipam/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <tuple>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "lib/ipam/yaml.h"

namespace lb::ipam {
namespace {

// Collects issues while walking the document.
class Walker {
 public:
  void Error(const YAML::Node& at, std::string message) {
    errors_.push_back(Issue(at, std::move(message)));
  }
  void Warning(const YAML::Node& at, std::string message) {
    warnings_.push_back(Issue(at, std::move(message)));
  }
  std::vector<ConfigIssue>& errors() { return errors_; }
  std::vector<ConfigIssue>& warnings() { return warnings_; }

  // Warns about every key of map `node` not in `known`.
  void CheckKeys(const YAML::Node& node,
                 std::initializer_list<absl::string_view> known,
                 absl::string_view where) {
    if (!node.IsMap()) return;
    for (const auto& kv : node) {
      std::string key =
          kv.first.IsScalar() ? kv.first.Scalar() : "<non-scalar>";
      bool found = false;
      for (absl::string_view k : known) found = found || k == key;
      if (!found) {
        Warning(kv.first,
                absl::StrCat(where, "unknown key \"", key, "\" is ignored"));
      }
    }
  }

  // Reads a scalar as text the way yaml.v2 fills a string field: any non-null
  // scalar.
  std::optional<std::string> Text(const YAML::Node& node,
                                  absl::string_view what) {
    if (!node || node.IsNull()) return std::nullopt;
    if (!node.IsScalar()) {
      Error(node, absl::StrCat(what, ": expected a single value"));
      return std::nullopt;
    }
    return node.Scalar();
  }

  std::optional<bool> Bool(const YAML::Node& node, absl::string_view what) {
    std::optional<std::string> text = Text(node, what);
    if (!text) return std::nullopt;
    if (*text == "true" || *text == "True" || *text == "TRUE" ||
        *text == "yes" || *text == "on") {
      return true;
    }
    if (*text == "false" || *text == "False" || *text == "FALSE" ||
        *text == "no" || *text == "off") {
      return false;
    }
    Error(node, absl::StrCat(what, ": \"", *text, "\" is not a boolean"));
    return std::nullopt;
  }

  // An unsigned integer no larger than `max`.
  std::optional<uint64_t> Unsigned(const YAML::Node& node,
                                   absl::string_view what, uint64_t max) {
    std::optional<std::string> text = Text(node, what);
    if (!text) return std::nullopt;
    uint64_t v = 0;
    if (!absl::SimpleAtoi(*text, &v) || v > max || (*text)[0] == '-') {
      Error(node, absl::StrCat(what, ": \"", *text,
                               "\" is not an integer from 0 to ", max));
      return std::nullopt;
    }
    return v;
  }

  // A sequence of scalars; a single scalar is not accepted (as in yaml.v2).
  std::vector<std::pair<YAML::Node, std::string>> List(const YAML::Node& node,
                                                       absl::string_view what) {
    std::vector<std::pair<YAML::Node, std::string>> out;
    if (!node || node.IsNull()) return out;
    if (!node.IsSequence()) {
      Error(node, absl::StrCat(what, ": expected a list"));
      return out;
    }
    for (const auto& item : node) {
      if (std::optional<std::string> t = Text(item, what))
        out.emplace_back(item, *t);
    }
    return out;
  }

 private:
  static ConfigIssue Issue(const YAML::Node& at, std::string message) {
    ConfigIssue issue;
    if (at) {
      YAML::Mark m = at.Mark();
      if (!m.is_null()) {
        issue.line = m.line + 1;
        issue.column = m.column + 1;
      }
    }
    issue.message = std::move(message);
    return issue;
  }

  std::vector<ConfigIssue> errors_;
  std::vector<ConfigIssue> warnings_;
};

// Go's time.ParseDuration, for the units a hold time can reasonably use.
std::optional<absl::Duration> ParseGoDuration(absl::string_view s,
                                              std::string* err) {
  absl::string_view orig = s;
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return absl::ZeroDuration();
  if (s.empty()) {
    *err = absl::StrCat("invalid duration \"", orig, "\"");
    return std::nullopt;
  }
  absl::Duration total;
  while (!s.empty()) {
    size_t i = 0;
    while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.')) ++i;
    if (i == 0) {
      *err = absl::StrCat("invalid duration \"", orig, "\"");
      return std::nullopt;
    }
    double value = 0;
    if (!absl::SimpleAtod(s.substr(0, i), &value)) {
      *err = absl::StrCat("invalid duration \"", orig, "\"");
      return std::nullopt;
    }
    s.remove_prefix(i);
    size_t j = 0;
    while (j < s.size() && !((s[j] >= '0' && s[j] <= '9') || s[j] == '.')) ++j;
    absl::string_view unit = s.substr(0, j);
    s.remove_prefix(j);
    absl::Duration scale;
    if (unit == "ns") {
      scale = absl::Nanoseconds(1);
    } else if (unit == "us" || unit == "\xc2\xb5s" || unit == "\xce\xbcs") {
      scale = absl::Microseconds(1);
    } else if (unit == "ms") {
      scale = absl::Milliseconds(1);
    } else if (unit == "s") {
      scale = absl::Seconds(1);
    } else if (unit == "m") {
      scale = absl::Minutes(1);
    } else if (unit == "h") {
      scale = absl::Hours(1);
    } else if (unit.empty()) {
      *err = absl::StrCat("missing unit in duration \"", orig, "\"");
      return std::nullopt;
    } else {
      *err = absl::StrCat("unknown unit \"", unit, "\" in duration \"", orig,
                          "\"");
      return std::nullopt;
    }
    total += value * scale;
  }
  return negative ? -total : total;
}

std::optional<uint32_t> ParseCommunity(absl::string_view text,
                                       std::string* err) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, ':');
  if (parts.size() != 2) {
    *err = absl::StrCat("invalid community string \"", text, "\"");
    return std::nullopt;
  }
  uint32_t a = 0, b = 0;
  if (!absl::SimpleAtoi(parts[0], &a) || a > 0xffff || parts[0][0] == '-' ||
      parts[0][0] == '+') {
    *err = absl::StrCat("invalid first section of community \"", text, "\"");
    return std::nullopt;
  }
  if (!absl::SimpleAtoi(parts[1], &b) || b > 0xffff || parts[1].empty() ||
      parts[1][0] == '-' || parts[1][0] == '+') {
    *err = absl::StrCat("invalid second section of community \"", text, "\"");
    return std::nullopt;
  }
  return a << 16 | b;
}

// The longest prefix length among the aligned blocks that make up `r`: the most
// specific route an aggregation must not undercut.
int MostSpecificBlock(const IpRange& r) {
  int bits = FamilyBits(r.family());
  int longest = 0;
  absl::uint128 v = r.first().value();
  absl::uint128 end = r.last().value();
  // Walk the decomposition; ranges decompose into at most 2*bits blocks.
  while (true) {
    int host = 0;
    while (host < bits && ((v >> host) & 1) == 0 && host < 127) {
      absl::uint128 block_last = v | ((absl::uint128(1) << (host + 1)) - 1);
      if (block_last > end) break;
      ++host;
    }
    longest = std::max(longest, bits - host);
    absl::uint128 block_last =
        host == 0 ? v : v | ((absl::uint128(1) << host) - 1);
    if (block_last >= end) break;
    v = block_last + 1;
  }
  return longest;
}

class Parser {
 public:
  ConfigReport Run(absl::string_view yaml) {
    ConfigReport report;
    YAML::Node root;
    if (absl::Status s = CheckYamlLimits(yaml); !s.ok()) {
      report.errors.push_back(
          {0, 0, absl::StrCat("could not parse config: ", s.message())});
      return report;
    }
    try {
      root = YAML::Load(std::string(yaml));
    } catch (const YAML::Exception& e) {
      ConfigIssue issue;
      if (!e.mark.is_null()) {
        issue.line = e.mark.line + 1;
        issue.column = e.mark.column + 1;
      }
      issue.message = absl::StrCat("could not parse config: ", e.msg);
      report.errors.push_back(std::move(issue));
      return report;
    }
    if ((!root || root.IsNull()) && YamlHasContent(yaml)) {
      report.errors.push_back(
          {1, 1, "could not parse config: not a YAML document"});
      return report;
    }
    Config config;
    try {
      Walk(root, config);
    } catch (const YAML::Exception& e) {
      w_.Error(YAML::Node(), absl::StrCat("could not parse config: ", e.msg));
    }
    report.errors = std::move(w_.errors());
    report.warnings = std::move(w_.warnings());
    // Report in document order.
    auto by_position = [](const ConfigIssue& a, const ConfigIssue& b) {
      return std::tie(a.line, a.column) < std::tie(b.line, b.column);
    };
    std::stable_sort(report.errors.begin(), report.errors.end(), by_position);
    std::stable_sort(report.warnings.begin(), report.warnings.end(),
                     by_position);
    if (report.errors.empty()) report.config = std::move(config);
    return report;
  }

 private:
  void Walk(const YAML::Node& root, Config& config) {
    if (!root || root.IsNull()) return;  // An empty document is a valid config.
    if (!root.IsMap()) {
      w_.Error(root,
               "could not parse config: the document must be a map of "
               "peers, bgp-communities and address-pools");
      return;
    }
    w_.CheckKeys(root, {"peers", "bgp-communities", "address-pools"}, "");
    ParsePeers(root["peers"], config);
    ParseCommunities(root["bgp-communities"], config);
    ParsePools(root["address-pools"], config);
  }

  void ParsePeers(const YAML::Node& node, Config& config) {
    if (!node || node.IsNull()) return;
    if (!node.IsSequence()) {
      w_.Error(node, "peers: expected a list");
      return;
    }
    int index = 0;
    for (const auto& item : node) {
      ++index;
      std::string where = absl::StrCat("peer #", index, ": ");
      if (!item.IsMap()) {
        w_.Error(item, absl::StrCat(where, "expected a map"));
        continue;
      }
      w_.CheckKeys(item,
                   {"my-asn", "peer-asn", "peer-address", "peer-port",
                    "hold-time", "router-id"},
                   where);
      Peer peer;
      bool ok = true;
      auto asn = [&](absl::string_view key,
                     absl::string_view missing) -> uint32_t {
        std::optional<uint64_t> v = w_.Unsigned(
            item[std::string(key)], absl::StrCat(where, key), 0xffffffffu);
        if (!v) {
          if (!item[std::string(key)] || item[std::string(key)].IsNull()) {
            w_.Error(item, absl::StrCat(where, missing));
          }
          ok = false;
          return 0;
        }
        if (*v == 0) {
          w_.Error(item[std::string(key)], absl::StrCat(where, missing));
          ok = false;
        }
        return static_cast<uint32_t>(*v);
      };
      peer.my_asn = asn("my-asn", "missing local ASN (my-asn)");
      peer.peer_asn = asn("peer-asn", "missing peer ASN (peer-asn)");
      std::optional<std::string> addr =
          w_.Text(item["peer-address"], where + "peer-address");
      if (!addr) {
        w_.Error(item, absl::StrCat(where, "missing peer-address"));
        ok = false;
      } else if (absl::StatusOr<IpAddress> a = IpAddress::Parse(*addr);
                 a.ok()) {
        peer.address = *a;
      } else {
        w_.Error(item["peer-address"],
                 absl::StrCat(where, "invalid peer IP \"", *addr, "\""));
        ok = false;
      }
      if (std::optional<uint64_t> port =
              w_.Unsigned(item["peer-port"], where + "peer-port", 0xffff)) {
        peer.port = *port == 0 ? 179 : static_cast<uint16_t>(*port);
      }
      if (std::optional<std::string> hold =
              w_.Text(item["hold-time"], where + "hold-time")) {
        std::string err;
        std::optional<absl::Duration> d = ParseGoDuration(*hold, &err);
        if (!d) {
          w_.Error(
              item["hold-time"],
              absl::StrCat(where, "invalid hold time \"", *hold, "\": ", err));
          ok = false;
        } else {
          absl::Duration whole = absl::Trunc(*d, absl::Seconds(1));
          if (whole != absl::ZeroDuration() && whole < absl::Seconds(3)) {
            w_.Error(item["hold-time"],
                     absl::StrCat(where, "invalid hold time \"", *hold,
                                  "\": must be 0 or >=3s"));
            ok = false;
          }
          peer.hold_time = whole;
        }
      }
      if (std::optional<std::string> rid =
              w_.Text(item["router-id"], where + "router-id")) {
        absl::StatusOr<IpAddress> a = IpAddress::Parse(*rid);
        if (!a.ok() || !a->is_v4()) {
          w_.Error(item["router-id"],
                   absl::StrCat(where, "invalid router ID \"", *rid, "\""));
          ok = false;
        } else {
          peer.router_id = *a;
        }
      }
      if (ok) config.peers.push_back(peer);
    }
  }

  void ParseCommunities(const YAML::Node& node, Config& config) {
    if (!node || node.IsNull()) return;
    if (!node.IsMap()) {
      w_.Error(node, "bgp-communities: expected a map of name to \"A:B\"");
      return;
    }
    for (const auto& kv : node) {
      std::string name = kv.first.Scalar();
      std::optional<std::string> value =
          w_.Text(kv.second, absl::StrCat("bgp-communities \"", name, "\""));
      if (!value) continue;
      std::string err;
      if (std::optional<uint32_t> c = ParseCommunity(*value, &err)) {
        config.communities[name] = *c;
      } else {
        w_.Error(kv.second,
                 absl::StrCat("parsing community \"", name, "\": ", err));
      }
    }
  }

  void ParsePools(const YAML::Node& node, Config& config) {
    if (!node || node.IsNull()) return;
    if (!node.IsSequence()) {
      w_.Error(node, "address-pools: expected a list");
      return;
    }
    std::set<std::string> names;
    // Every range seen so far, with its text and pool, for the overlap rule.
    std::vector<std::tuple<IpRange, std::string, std::string>> seen;
    int index = 0;
    for (const auto& item : node) {
      ++index;
      std::string where = absl::StrCat("address pool #", index, ": ");
      if (!item.IsMap()) {
        w_.Error(item, absl::StrCat(where, "expected a map"));
        continue;
      }
      Pool pool;
      size_t errors_before = w_.errors().size();
      std::optional<std::string> name = w_.Text(item["name"], where + "name");
      if (!name || name->empty()) {
        w_.Error(item, absl::StrCat(where, "missing pool name"));
      } else {
        pool.name = *name;
        where = absl::StrCat("address pool #", index, " \"", pool.name, "\": ");
        if (!names.insert(pool.name).second) {
          w_.Error(item["name"],
                   absl::StrCat(where, "duplicate definition of pool \"",
                                pool.name, "\""));
        }
      }
      w_.CheckKeys(item,
                   {"name", "protocol", "cidr", "addresses", "avoid-buggy-ips",
                    "auto-assign", "arp-network", "bgp-advertisements"},
                   where);

      // Ranges: `cidr` then `addresses`.
      for (absl::string_view key : {"cidr", "addresses"}) {
        for (const auto& [at, text] :
             w_.List(item[std::string(key)], where + std::string(key))) {
          absl::StatusOr<IpRange> r = IpRange::Parse(text);
          if (!r.ok()) {
            w_.Error(at, absl::StrCat(where, key, " \"", text,
                                      "\": ", r.status().message()));
            continue;
          }
          for (const auto& [other, other_text, other_pool] : seen) {
            if (other.Overlaps(*r)) {
              w_.Error(at, absl::StrCat(where, key, " \"", text,
                                        "\" overlaps with \"", other_text,
                                        "\" already defined in pool \"",
                                        other_pool, "\""));
              break;
            }
          }
          seen.emplace_back(*r, text, pool.name);
          pool.ranges.push_back(*r);
        }
      }
      if (pool.ranges.empty() && w_.errors().size() == errors_before) {
        w_.Error(item,
                 absl::StrCat(where, "pool has no prefixes defined (cidr)"));
      }
      if (std::optional<bool> b =
              w_.Bool(item["avoid-buggy-ips"], where + "avoid-buggy-ips")) {
        pool.avoid_buggy_ips = *b;
      }
      if (std::optional<bool> b =
              w_.Bool(item["auto-assign"], where + "auto-assign")) {
        pool.auto_assign = *b;
      }

      std::optional<std::string> protocol =
          w_.Text(item["protocol"], where + "protocol");
      if (!protocol) {
        w_.Error(
            item,
            absl::StrCat(where, "address pool is missing the protocol field"));
      } else if (*protocol == "arp" || *protocol == "layer2") {
        pool.protocol = Protocol::kArp;
        if (item["bgp-advertisements"]) {
          w_.Error(
              item["bgp-advertisements"],
              absl::StrCat(
                  where,
                  "cannot have bgp-advertisements configuration element in "
                  "an ARP address pool"));
        }
        ParseArpNetwork(item["arp-network"], where, pool);
      } else if (*protocol == "bgp") {
        pool.protocol = Protocol::kBgp;
        if (item["arp-network"]) {
          w_.Error(item["arp-network"],
                   absl::StrCat(
                       where,
                       "cannot have arp-network configuration element in a BGP "
                       "address pool"));
        }
        ParseAdvertisements(item["bgp-advertisements"], where, pool, config);
      } else {
        w_.Error(item["protocol"],
                 absl::StrCat(where, "unknown protocol \"", *protocol,
                              "\" (want arp, layer2 or bgp)"));
      }
      config.pools.push_back(std::move(pool));
    }
  }

  void ParseArpNetwork(const YAML::Node& node, const std::string& where,
                       Pool& pool) {
    std::optional<std::string> text = w_.Text(node, where + "arp-network");
    bool inferred = false;
    if (text) {
      absl::StatusOr<Prefix> p = Prefix::Parse(*text);
      if (!p.ok()) {
        w_.Error(node, absl::StrCat(where, "arp-network \"", *text,
                                    "\": ", p.status().message()));
        return;
      }
      pool.arp_network = *p;
    } else {
      for (const IpRange& r : pool.ranges) {
        if (r.family() == IpFamily::kV4) {
          pool.arp_network = Prefix::Containing(r.first(), 24);
          inferred = true;
          break;
        }
      }
    }
    if (!pool.arp_network) return;
    for (const IpRange& r : pool.ranges) {
      if (r.family() != pool.arp_network->family()) continue;
      if (!IpRange(*pool.arp_network).Contains(r)) {
        if (inferred) {
          w_.Error(
              node ? node : YAML::Node(),
              absl::StrCat(where, "pool did not specify an arp-network, and \"",
                           r.ToString(),
                           "\" falls outside the inferred arp-network \"",
                           pool.arp_network->ToString(),
                           "\" (maybe explicitly define arp-network?)"));
        } else {
          w_.Error(node,
                   absl::StrCat(where, "\"", r.ToString(),
                                "\" is not contained within the enclosing "
                                "arp-network \"",
                                pool.arp_network->ToString(), "\""));
        }
      }
    }
  }

  void ParseAdvertisements(const YAML::Node& node, const std::string& where,
                           Pool& pool, const Config& config) {
    if (!node || node.IsNull()) {
      pool.bgp_advertisements.emplace_back();
      return;
    }
    if (!node.IsSequence()) {
      w_.Error(node,
               absl::StrCat(where, "bgp-advertisements: expected a list"));
      return;
    }
    int index = 0;
    for (const auto& item : node) {
      ++index;
      std::string at = absl::StrCat(where, "bgp-advertisement #", index, ": ");
      BgpAdvertisement ad;
      if (item.IsNull()) {
        pool.bgp_advertisements.push_back(ad);
        continue;
      }
      if (!item.IsMap()) {
        w_.Error(item, absl::StrCat(at, "expected a map"));
        continue;
      }
      w_.CheckKeys(item, {"aggregation-length", "localpref", "communities"},
                   at);
      if (std::optional<uint64_t> len = w_.Unsigned(
              item["aggregation-length"], at + "aggregation-length", 128)) {
        ad.aggregation_length = static_cast<int>(*len);
      }
      for (const IpRange& r : pool.ranges) {
        if (ad.aggregation_length > FamilyBits(r.family())) {
          w_.Error(item["aggregation-length"],
                   absl::StrCat(at, "invalid aggregation length ",
                                ad.aggregation_length, " for ",
                                FamilyName(r.family()), " range \"",
                                r.ToString(), "\""));
        } else if (int specific = MostSpecificBlock(r);
                   ad.aggregation_length < specific &&
                   r.family() == IpFamily::kV4) {
          w_.Error(
              item["aggregation-length"] ? item["aggregation-length"] : item,
              absl::StrCat(
                  at, "invalid aggregation length ", ad.aggregation_length,
                  ": prefix \"", r.ToString(),
                  "\" in this pool is more specific than the aggregation "
                  "length"));
        }
      }
      if (std::optional<uint64_t> pref =
              w_.Unsigned(item["localpref"], at + "localpref", 0xffffffffu)) {
        ad.localpref = static_cast<uint32_t>(*pref);
      }
      for (const auto& [node_at, text] :
           w_.List(item["communities"], at + "communities")) {
        if (auto alias = config.communities.find(text);
            alias != config.communities.end()) {
          ad.communities.push_back(alias->second);
          continue;
        }
        std::string err;
        if (std::optional<uint32_t> c = ParseCommunity(text, &err)) {
          ad.communities.push_back(*c);
        } else {
          w_.Error(node_at, absl::StrCat(at, "invalid community \"", text,
                                         "\" in BGP advertisement: ", err));
        }
      }
      pool.bgp_advertisements.push_back(std::move(ad));
    }
  }

  Walker w_;
};

}  // namespace

absl::string_view ProtocolName(Protocol p) {
  return p == Protocol::kArp ? "arp" : "bgp";
}

std::string ConfigIssue::ToString() const {
  if (line == 0) return message;
  return absl::StrCat("line ", line, ", column ", column, ": ", message);
}

ConfigReport CheckConfig(absl::string_view yaml) { return Parser().Run(yaml); }

absl::StatusOr<ParsedConfig> ParseConfig(absl::string_view yaml) {
  ConfigReport report = CheckConfig(yaml);
  if (!report.errors.empty()) {
    std::vector<std::string> lines;
    for (const ConfigIssue& e : report.errors) lines.push_back(e.ToString());
    return absl::InvalidArgumentError(absl::StrJoin(lines, "\n"));
  }
  return ParsedConfig{std::move(*report.config), std::move(report.warnings)};
}

absl::StatusOr<std::string> ExtractConfigFromManifest(
    absl::string_view manifest, int* line_offset, int* column_offset) {
  if (line_offset) *line_offset = 0;
  if (column_offset) *column_offset = 0;
  absl::StatusOr<std::vector<YamlDocument>> docs = LoadYamlDocuments(manifest);
  if (!docs.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("could not parse manifest: ", docs.status().message()));
  }
  std::vector<const YamlDocument*> configmaps;
  bool any_object = false;
  for (const YamlDocument& d : *docs) {
    const YAML::Node& doc = d.node;
    if (!doc.IsMap() || !doc["kind"] || !doc["kind"].IsScalar()) continue;
    any_object = true;
    if (doc["kind"].Scalar() == "ConfigMap") configmaps.push_back(&d);
  }
  if (!any_object) return std::string(manifest);
  if (configmaps.empty()) {
    return absl::NotFoundError("the manifest has no ConfigMap");
  }
  const YamlDocument* chosen = nullptr;
  for (const YamlDocument* cm : configmaps) {
    const YAML::Node& meta = cm->node["metadata"];
    if (meta && meta.IsMap() && meta["name"] && meta["name"].IsScalar() &&
        meta["name"].Scalar() == "config") {
      chosen = cm;
    }
  }
  if (chosen == nullptr) {
    if (configmaps.size() != 1) {
      return absl::NotFoundError(
          "the manifest has several ConfigMaps and none is named \"config\"");
    }
    chosen = configmaps[0];
  }
  const YAML::Node& data = chosen->node["data"];
  if (!data || !data.IsMap() || !data["config"] || !data["config"].IsScalar()) {
    return absl::NotFoundError("the ConfigMap has no data key \"config\"");
  }
  YAML::Mark m = data["config"].Mark();
  if (!m.is_null()) {
    // A block scalar's text starts on the line after its indicator, indented.
    int first_line = chosen->line_offset + m.line + 1;
    if (line_offset) *line_offset = first_line;
    std::vector<absl::string_view> lines = absl::StrSplit(manifest, '\n');
    if (column_offset && first_line < static_cast<int>(lines.size())) {
      absl::string_view first = lines[first_line];
      *column_offset = static_cast<int>(first.find_first_not_of(' '));
      if (*column_offset < 0) *column_offset = 0;
    }
  }
  return data["config"].Scalar();
}

}  // namespace lb::ipam
