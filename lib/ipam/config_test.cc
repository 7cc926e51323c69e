#include "lib/ipam/config.h"

#include <doctest/doctest.h>

#include "absl/strings/str_join.h"
#include "tests/status_matchers.h"

namespace lb::ipam {
namespace {

// Every error message of a report, joined with newlines.
std::string Errors(const ConfigReport& r) {
  std::vector<std::string> lines;
  for (const ConfigIssue& e : r.errors) lines.push_back(e.ToString());
  return absl::StrJoin(lines, "\n");
}

void CheckError(absl::string_view yaml, absl::string_view want) {
  ConfigReport r = CheckConfig(yaml);
  INFO("errors: ", Errors(r));
  CHECK_FALSE(r.config.has_value());
  CHECK(absl::StrContains(Errors(r), want));
}

TEST_CASE("the tutorial's config: one ARP pool with MetalLB v0.3 defaults") {
  ASSIGN_OR_FAIL(ParsedConfig p, ParseConfig(R"(
address-pools:
- name: my-ip-space
  protocol: arp
  cidr:
  - 192.168.1.240/28
)"));
  REQUIRE(p.config.pools.size() == 1);
  const Pool& pool = p.config.pools[0];
  CHECK(pool.name == "my-ip-space");
  CHECK(pool.protocol == Protocol::kArp);
  REQUIRE(pool.ranges.size() == 1);
  CHECK(pool.ranges[0].ToString() == "192.168.1.240/28");
  CHECK(pool.auto_assign);
  CHECK_FALSE(pool.avoid_buggy_ips);
  REQUIRE(pool.arp_network.has_value());
  CHECK(pool.arp_network->ToString() == "192.168.1.0/24");
  CHECK(p.warnings.empty());
  CHECK(p.config.peers.empty());
}

TEST_CASE("an empty document is a valid config with no pools") {
  ASSIGN_OR_FAIL(ParsedConfig p, ParseConfig(""));
  CHECK(p.config.pools.empty());
  ASSIGN_OR_FAIL(ParsedConfig q, ParseConfig("# only a comment\n"));
  CHECK(q.config.pools.empty());
}

TEST_CASE("explicit flags, ranges and the layer2 alias") {
  ASSIGN_OR_FAIL(ParsedConfig p, ParseConfig(R"(
address-pools:
- name: a
  protocol: layer2
  addresses: ["10.0.0.10-10.0.0.20", 10.0.1.0/24]
  avoid-buggy-ips: true
  auto-assign: false
  arp-network: 10.0.0.0/23
)"));
  const Pool& pool = p.config.pools[0];
  CHECK(pool.protocol == Protocol::kArp);
  CHECK(pool.ranges.size() == 2);
  CHECK(pool.avoid_buggy_ips);
  CHECK_FALSE(pool.auto_assign);
  CHECK(pool.arp_network->ToString() == "10.0.0.0/23");
}

TEST_CASE("IPv6 ARP pools need no arp-network") {
  ASSIGN_OR_FAIL(ParsedConfig p, ParseConfig(R"(
address-pools:
- name: v6
  protocol: arp
  cidr: [2001:db8:1::/64]
- name: dual
  protocol: arp
  cidr: [192.168.5.0/28, "2001:db8:2::/120"]
)"));
  CHECK_FALSE(p.config.pools[0].arp_network.has_value());
  CHECK(p.config.pools[1].arp_network->ToString() == "192.168.5.0/24");
}

TEST_CASE("pool errors name the pool, the field and the value") {
  CheckError("address-pools:\n- protocol: arp\n  cidr: [10.0.0.0/24]\n",
             "address pool #1: missing pool name");
  CheckError("address-pools:\n- name: a\n  protocol: arp\n",
             "address pool #1 \"a\": pool has no prefixes defined");
  CheckError(
      "address-pools:\n- name: a\n  cidr: [10.0.0.0/24]\n",
      "address pool #1 \"a\": address pool is missing the protocol field");
  CheckError(
      "address-pools:\n- name: a\n  protocol: ospf\n  cidr: [10.0.0.0/24]\n",
      "address pool #1 \"a\": unknown protocol \"ospf\"");
  CheckError(
      "address-pools:\n- name: a\n  protocol: arp\n  cidr: "
      "[192.168.1.241/28]\n",
      "address pool #1 \"a\": cidr \"192.168.1.241/28\": invalid CIDR "
      "\"192.168.1.241/28\": host bits are set; the aligned prefix is "
      "\"192.168.1.240/28\"");
  CheckError(
      "address-pools:\n- name: a\n  protocol: arp\n  cidr: [10.0.0.0/24]\n"
      "  auto-assign: maybe\n",
      "address pool #1 \"a\": auto-assign: \"maybe\" is not a boolean");
}

TEST_CASE(
    "validation order within a pool follows MetalLB: no prefixes before "
    "protocol") {
  ConfigReport r = CheckConfig("address-pools:\n- name: a\n");
  CHECK(absl::StrContains(Errors(r), "pool has no prefixes defined"));
}

TEST_CASE("duplicate pool names and overlapping ranges are rejected") {
  CheckError(R"(
address-pools:
- name: a
  protocol: arp
  cidr: [10.0.0.0/24]
- name: a
  protocol: arp
  cidr: [10.0.1.0/24]
)",
             "address pool #2 \"a\": duplicate definition of pool \"a\"");
  CheckError(R"(
address-pools:
- name: a
  protocol: arp
  cidr: [10.0.0.0/24]
- name: b
  protocol: bgp
  cidr: [10.0.0.128/25]
)",
             "address pool #2 \"b\": cidr \"10.0.0.128/25\" overlaps with "
             "\"10.0.0.0/24\" "
             "already defined in pool \"a\"");
  CheckError(R"(
address-pools:
- name: a
  protocol: arp
  cidr: [10.0.0.0/24, 10.0.0.0/24]
)",
             "overlaps with \"10.0.0.0/24\" already defined in pool \"a\"");
  CheckError(R"(
address-pools:
- name: a
  protocol: arp
  addresses: [10.0.0.0-10.0.0.10, 10.0.0.5-10.0.0.6]
)",
             "overlaps");
}

TEST_CASE("arp-network containment, inferred and explicit") {
  CheckError(
      "address-pools:\n- name: a\n  protocol: arp\n  cidr: [10.0.0.0/23]\n",
      "pool did not specify an arp-network, and \"10.0.0.0/23\" falls outside "
      "the "
      "inferred arp-network \"10.0.0.0/24\" (maybe explicitly define "
      "arp-network?)");
  CheckError(
      "address-pools:\n- name: a\n  protocol: arp\n  cidr: [10.0.1.0/24]\n"
      "  arp-network: 10.0.0.0/24\n",
      "\"10.0.1.0/24\" is not contained within the enclosing arp-network "
      "\"10.0.0.0/24\"");
  CheckError(
      "address-pools:\n- name: a\n  protocol: arp\n  cidr: [10.0.1.0/24]\n"
      "  arp-network: 10.0.1.1/24\n",
      "arp-network \"10.0.1.1/24\"");
}

TEST_CASE("protocol-specific keys in the wrong pool") {
  CheckError(
      "address-pools:\n- name: a\n  protocol: arp\n  cidr: [10.0.0.0/24]\n"
      "  bgp-advertisements:\n  - localpref: 100\n",
      "cannot have bgp-advertisements configuration element in an ARP address "
      "pool");
  CheckError(
      "address-pools:\n- name: a\n  protocol: bgp\n  cidr: [10.0.0.0/24]\n"
      "  arp-network: 10.0.0.0/24\n",
      "cannot have arp-network configuration element in a BGP address pool");
}

TEST_CASE("BGP pools, advertisements and communities") {
  ASSIGN_OR_FAIL(ParsedConfig p, ParseConfig(R"(
peers:
- my-asn: 64512
  peer-asn: 64513
  peer-address: 10.96.0.100
  hold-time: 1m30s
  router-id: 10.0.0.1
bgp-communities:
  no-export: 65535:65281
address-pools:
- name: bgp
  protocol: bgp
  cidr: [198.51.100.0/24]
  bgp-advertisements:
  - aggregation-length: 24
    localpref: 100
    communities: [no-export, "1234:5678"]
  -
)"));
  REQUIRE(p.config.peers.size() == 1);
  const Peer& peer = p.config.peers[0];
  CHECK(peer.my_asn == 64512);
  CHECK(peer.peer_asn == 64513);
  CHECK(peer.port == 179);
  CHECK(peer.hold_time == absl::Seconds(90));
  CHECK(peer.router_id->ToString() == "10.0.0.1");
  CHECK(p.config.communities.at("no-export") == (65535u << 16 | 65281u));
  const Pool& pool = p.config.pools[0];
  REQUIRE(pool.bgp_advertisements.size() == 2);
  CHECK(pool.bgp_advertisements[0].aggregation_length == 24);
  CHECK(pool.bgp_advertisements[0].localpref == 100);
  CHECK(pool.bgp_advertisements[0].communities ==
        std::vector<uint32_t>{65535u << 16 | 65281u, 1234u << 16 | 5678u});
  CHECK(pool.bgp_advertisements[1].aggregation_length == 32);
}

TEST_CASE("a BGP pool without advertisements gets one default advertisement") {
  ASSIGN_OR_FAIL(ParsedConfig p,
                 ParseConfig("address-pools:\n- name: b\n  protocol: bgp\n  "
                             "cidr: [10.0.0.0/24]\n"));
  REQUIRE(p.config.pools[0].bgp_advertisements.size() == 1);
  CHECK(p.config.pools[0].bgp_advertisements[0].aggregation_length == 32);
}

TEST_CASE("advertisement errors") {
  CheckError(
      "address-pools:\n- name: b\n  protocol: bgp\n  cidr: [10.0.0.0/24]\n"
      "  bgp-advertisements:\n  - aggregation-length: 33\n",
      "invalid aggregation length 33");
  CheckError(
      "address-pools:\n- name: b\n  protocol: bgp\n  cidr: [10.0.0.0/24]\n"
      "  bgp-advertisements:\n  - aggregation-length: 16\n",
      "invalid aggregation length 16: prefix \"10.0.0.0/24\" in this pool is "
      "more "
      "specific than the aggregation length");
  CheckError(
      "address-pools:\n- name: b\n  protocol: bgp\n  cidr: [10.0.0.0/24]\n"
      "  bgp-advertisements:\n  - communities: [no-avertise]\n",
      "invalid community \"no-avertise\" in BGP advertisement: invalid "
      "community "
      "string \"no-avertise\"");
}

TEST_CASE("peer validation, with MetalLB's hold-time rules") {
  const char* base =
      "peers:\n- my-asn: 1\n  peer-asn: 2\n  peer-address: 10.0.0.1\n";
  CheckError(
      absl::StrCat(base, "  hold-time: 120\n"),
      "peer #1: invalid hold time \"120\": missing unit in duration \"120\"");
  CheckError(absl::StrCat(base, "  hold-time: 2s\n"),
             "invalid hold time \"2s\": must be 0 or >=3s");
  ASSIGN_OR_FAIL(ParsedConfig half,
                 ParseConfig(absl::StrCat(base, "  hold-time: 0.5s\n")));
  CHECK(half.config.peers[0].hold_time == absl::ZeroDuration());
  ASSIGN_OR_FAIL(ParsedConfig port0,
                 ParseConfig(absl::StrCat(base, "  peer-port: 0\n")));
  CHECK(port0.config.peers[0].port == 179);
  CheckError(absl::StrCat(base, "  peer-port: 70000\n"),
             "peer #1: peer-port: \"70000\" is not an integer from 0 to 65535");
  CheckError("peers:\n- my-asn: 0\n  peer-asn: 2\n  peer-address: 10.0.0.1\n",
             "peer #1: missing local ASN");
  CheckError("peers:\n- my-asn: 1\n  peer-address: 10.0.0.1\n",
             "peer #1: missing peer ASN");
  CheckError("peers:\n- my-asn: 1\n  peer-asn: 2\n  peer-address: nope\n",
             "peer #1: invalid peer IP \"nope\"");
  CheckError(absl::StrCat(base, "  router-id: 2001:db8::1\n"),
             "invalid router ID \"2001:db8::1\"");
  CheckError("peers:\n- my-asn: -5\n  peer-asn: 2\n  peer-address: 10.0.0.1\n",
             "my-asn: \"-5\" is not an integer");
}

TEST_CASE("community alias errors") {
  CheckError("bgp-communities:\n  bad: 1:2:3\n",
             "parsing community \"bad\": invalid community string \"1:2:3\"");
  CheckError("bgp-communities:\n  bad: 70000:1\n",
             "invalid first section of community");
  CheckError("bgp-communities:\n  bad: 1:70000\n",
             "invalid second section of community");
}

TEST_CASE("unknown keys are warnings that name the key and where it is") {
  ConfigReport r = CheckConfig(R"(address-pools:
- name: a
  protocol: arp
  adresses: [10.0.0.0/24]
  cidr: [10.0.1.0/24]
speakers: 3
)");
  REQUIRE(r.config.has_value());
  REQUIRE(r.warnings.size() == 2);
  CHECK(r.warnings[0].ToString() ==
        "line 4, column 3: address pool #1 \"a\": unknown key \"adresses\" is "
        "ignored");
  CHECK(r.warnings[1].ToString() ==
        "line 6, column 1: unknown key \"speakers\" is ignored");
}

TEST_CASE("every error is reported with its line, not only the first") {
  constexpr char kTwoErrors[] = R"(address-pools:
- name: a
  protocol: arp
  cidr: [10.0.0.1/24]
- name: b
  protocol: nope
  cidr: [10.1.0.0/24]
)";
  ConfigReport r = CheckConfig(kTwoErrors);
  REQUIRE(r.errors.size() == 2);
  CHECK(r.errors[0].line == 4);
  CHECK(r.errors[1].line == 6);
  CHECK(absl::StrContains(r.errors[1].message, "unknown protocol \"nope\""));
  absl::StatusOr<ParsedConfig> s = ParseConfig(kTwoErrors);
  CHECK_STATUS(s, absl::StatusCode::kInvalidArgument,
               "line 4, column 10: address pool #1");
  CHECK_STATUS(s, absl::StatusCode::kInvalidArgument,
               "\nline 6, column 13: address pool #2");
}

TEST_CASE("YAML syntax errors and wrong shapes are clear") {
  CheckError("address-pools: [\n", "could not parse config");
  CheckError("- just\n- a list\n", "the document must be a map");
  CheckError("address-pools: 5\n", "address-pools: expected a list");
  CheckError(
      "address-pools:\n- name: a\n  protocol: arp\n  cidr: 10.0.0.0/24\n",
      "cidr: expected a list");
  CheckError(std::string(200, '[') + std::string(200, ']'),
             "nesting deeper than");
}

TEST_CASE("the config is taken from a ConfigMap manifest with line offsets") {
  const char* manifest = R"(apiVersion: v1
kind: ConfigMap
metadata:
  namespace: metallb-system
  name: config
data:
  config: |
    address-pools:
    - name: my-ip-space
      protocol: arp
      cidr:
      - 192.168.1.240/28
)";
  int offset = -1;
  ASSIGN_OR_FAIL(std::string config,
                 ExtractConfigFromManifest(manifest, &offset));
  CHECK(offset == 7);
  CHECK(absl::StartsWith(config, "address-pools:\n- name: my-ip-space"));
  ASSIGN_OR_FAIL(ParsedConfig p, ParseConfig(config));
  CHECK(p.config.pools[0].name == "my-ip-space");

  // A bare config passes through unchanged.
  ASSIGN_OR_FAIL(std::string bare,
                 ExtractConfigFromManifest("address-pools: []\n"));
  CHECK(bare == "address-pools: []\n");

  CHECK_STATUS(
      ExtractConfigFromManifest("kind: Service\nmetadata: {name: x}\n"),
      absl::StatusCode::kNotFound, "no ConfigMap");
  CHECK_STATUS(ExtractConfigFromManifest(
                   "kind: ConfigMap\nmetadata: {name: config}\ndata: {}\n"),
               absl::StatusCode::kNotFound, "no data key \"config\"");
}

}  // namespace
}  // namespace lb::ipam
