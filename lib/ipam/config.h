// lib/ipam/config.h
//
// The MetalLB v0.3 configuration format: the YAML held under key `config` of
// ConfigMap `metallb-system/config`, with every key, default and validation of
// MetalLB v0.3, plus what later MetalLB accepts (`addresses:` with `a-b`
// ranges, protocol `layer2`).
//
//   absl::StatusOr<ParsedConfig> parsed = ParseConfig(yaml_text);
//   if (!parsed.ok()) { /* message lists every error with its line */ }
//   for (const ConfigIssue& w : parsed->warnings) LOG(w.ToString());
//   allocator.SetConfig(parsed->config);
//
// Differences from MetalLB v0.3, all deliberate:
//   * every error is reported, not only the first, each naming its pool,
//     field, value and line;
//   * unknown keys are warnings instead of being silently dropped;
//   * IPv6 ARP pools need no explicit arp-network (none is inferred for IPv6);
//   * pools are kept in document order, which is the allocator's preference
//     order.
//
// Thread-safety: free functions without shared state.

#ifndef LB_IPAM_CONFIG_H_
#define LB_IPAM_CONFIG_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "lib/base/ip_address.h"
#include "lib/ipam/prefix.h"

namespace lb::ipam {

enum class Protocol { kArp, kBgp };

// "arp" or "bgp".
absl::string_view ProtocolName(Protocol p);

struct BgpAdvertisement {
  // Default: 32.
  int aggregation_length = 32;
  // Default: 0.
  uint32_t localpref = 0;
  // Community values, A<<16 | B.
  std::vector<uint32_t> communities;
};

struct Pool {
  std::string name;
  Protocol protocol = Protocol::kArp;
  // From `cidr` (v0.3) then `addresses` (later MetalLB), in document order;
  // never overlapping each other or any other pool's.
  std::vector<IpRange> ranges;
  // Default: false. Never hand out IPv4 addresses ending in .0 or .255.
  bool avoid_buggy_ips = false;
  // Default: true. False: only explicit requests and the pool annotation use
  // the pool.
  bool auto_assign = true;
  // ARP pools: the on-link network; its network address (and for IPv4 its
  // broadcast address) is never handed out. Default: the IPv4 /24 around the
  // first IPv4 range.
  std::optional<Prefix> arp_network;
  // BGP pools only. Default: one advertisement with default fields.
  std::vector<BgpAdvertisement> bgp_advertisements;
};

struct Peer {
  uint32_t my_asn = 0;
  uint32_t peer_asn = 0;
  IpAddress address;
  // Default: 179 (also when 0).
  uint16_t port = 179;
  // Default: 90s. Whole seconds; 0 or >= 3s.
  absl::Duration hold_time = absl::Seconds(90);
  // Default: the node's IP, filled in by the speaker.
  std::optional<IpAddress> router_id;
};

struct Config {
  std::vector<Peer> peers;
  std::map<std::string, uint32_t> communities;
  std::vector<Pool> pools;
};

// One problem found in a config document.
struct ConfigIssue {
  // 1-based position in the document given to the parser; 0 when unknown.
  int line = 0;
  int column = 0;
  // What is wrong, naming the pool or peer, the field and the bad value, e.g.
  //   address pool #1 "my-ip-space": cidr "192.168.1.241/28": invalid CIDR ...
  std::string message;

  // "line 4, column 7: <message>" (or just the message when the position is
  // unknown).
  std::string ToString() const;
};

struct ParsedConfig {
  Config config;
  // Unknown keys and other things that are ignored but probably not meant.
  std::vector<ConfigIssue> warnings;
};

// A full report: the config when there were no errors, every error otherwise.
struct ConfigReport {
  std::optional<Config> config;
  std::vector<ConfigIssue> errors;
  std::vector<ConfigIssue> warnings;
};

// Parses and validates a config document (the value of the ConfigMap's `config`
// key). An empty document is a valid config with no pools.
ConfigReport CheckConfig(absl::string_view yaml);

// As CheckConfig, as a StatusOr: kInvalidArgument whose message lists every
// error, one per line, when there are errors.
absl::StatusOr<ParsedConfig> ParseConfig(absl::string_view yaml);

// Extracts the config document from a ConfigMap manifest (possibly one of
// several YAML documents; the ConfigMap named `config` is taken, else the only
// ConfigMap). If the text is not a Kubernetes object at all, it is returned
// unchanged as a bare config. `line_offset` receives the number of lines before
// the config text in `manifest` and `column_offset` its indentation, so issue
// positions can be reported against the manifest. kInvalidArgument / kNotFound
// name what is missing (no ConfigMap, no `config` key).
absl::StatusOr<std::string> ExtractConfigFromManifest(
    absl::string_view manifest, int* line_offset = nullptr,
    int* column_offset = nullptr);

}  // namespace lb::ipam

#endif  // LB_IPAM_CONFIG_H_
