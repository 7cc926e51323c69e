#include "cmd/controller/reconciler.h"

#include <doctest/doctest.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "lib/base/simulated_clock.h"

namespace lb::controller {
namespace {

// Test addresses as the maps key them.
IpAddress Ip(absl::string_view text) { return IpAddress::Parse(text).value(); }

constexpr char kTutorialConfig[] = R"(
address-pools:
- name: my-ip-space
  protocol: arp
  cidr: [192.168.1.240/28]
)";

// An ARP pool and a BGP pool that is not auto-assigned.
constexpr char kArpAndBgpConfig[] = R"(
address-pools:
- name: my-ip-space
  protocol: arp
  cidr: [192.168.1.240/28]
- name: routed
  protocol: bgp
  auto-assign: false
  cidr: [10.0.0.0/24]
)";

k8s::ConfigMap Config(const std::string& text) {
  k8s::ConfigMap cm;
  cm.meta.ns = "metallb-system";
  cm.meta.name = "config";
  cm.data["config"] = text;
  return cm;
}

k8s::Service Lb(const std::string& name, std::vector<std::string> ingress = {},
                int created = 0) {
  k8s::Service s;
  s.meta.ns = "default";
  s.meta.name = name;
  s.meta.creation_timestamp = absl::FromUnixSeconds(1000 + created);
  s.type = "LoadBalancer";
  s.ports = {{"http", "TCP", 80, 0, "80"}};
  s.selector = {{"app", name}};
  for (const std::string& ip : ingress) s.ingress.push_back({ip, "", ""});
  return s;
}

k8s::Node Node(const std::string& name, bool ready = true) {
  k8s::Node n;
  n.meta.name = name;
  n.ready = ready;
  return n;
}

k8s::EndpointSlice Slice(const std::string& service,
                         std::vector<std::string> nodes, bool ready = true) {
  k8s::EndpointSlice s;
  s.meta.ns = "default";
  s.meta.name = service + "-abc";
  s.service_name = service;
  for (const std::string& n : nodes) {
    k8s::Endpoint e;
    e.addresses = {"10.244.0.5"};
    e.ready = ready;
    e.node_name = n;
    s.endpoints.push_back(e);
  }
  return s;
}

bool Logged(const Actions& a, absl::string_view text) {
  for (const std::string& l : a.log) {
    if (absl::StrContains(l, text)) return true;
  }
  return false;
}

struct Fixture {
  Fixture() : r(clock, ReconcilerOptions{}) {}
  SimulatedClock clock{absl::FromUnixSeconds(5000)};
  Reconciler r;
};

TEST_CASE("a Service converges from its kept state as from the object") {
  Fixture f;
  f.r.SetConfigMap(Config(kTutorialConfig));
  f.r.UpsertNode(Node("node-a"));
  k8s::Service full = Lb("full");
  full.meta.annotations["metallb.universe.tf/allow-shared-ip"] = "k";
  full.meta.annotations["example.com/other"] = "not kept";
  full.load_balancer_ip = "192.168.1.245";
  full.ports = {{"http", "TCP", 80, 0, "80"}, {"dns", "UDP", 53, 0, "53"}};
  full.external_traffic_policy = "Local";
  full.ip_family_policy = "SingleStack";
  full.ip_families = {"IPv4"};
  f.r.UpsertService(full);
  f.r.UpsertEndpointSlice(Slice("full", {"node-a"}));
  Actions a = f.r.Sync();
  REQUIRE(a.status.size() == 1);
  CHECK(a.status[0].ingress[0].ip == "192.168.1.245");
  // The status comes back as the server writes it, ipMode and all.
  full.ingress = {{"192.168.1.245", "", "VIP"}};
  CHECK(f.r.UpsertService(full).status.empty());
  // A config change converges every Service again from what was kept: the
  // requested address, the status, nothing to write.
  Actions again = f.r.SetConfigMap(Config(kArpAndBgpConfig));
  CHECK(Logged(again, "config changed, reconverging all services"));
  CHECK(again.status.empty());
  CHECK(f.r.allocator().Lookup("default/full")->addresses[0].ToString() ==
        "192.168.1.245");
  // The sharing key and ports were kept: a Service with the key and other
  // ports shares the address; one with a port in use does not.
  k8s::Service other = Lb("other");
  other.meta.annotations["metallb.universe.tf/allow-shared-ip"] = "k";
  other.load_balancer_ip = "192.168.1.245";
  other.ports = {{"https", "TCP", 443, 0, "443"}};
  other.external_traffic_policy = "Local";
  other.selector = full.selector;  // Local Services share only a backend
  other.ip_families = {"IPv4"};
  REQUIRE(f.r.UpsertService(other).status.size() == 1);
  k8s::Service clash = other;
  clash.meta.name = "clash";
  clash.ports = {{"dns", "UDP", 53, 0, "53"}};
  CHECK(f.r.UpsertService(clash).status.empty());
  // Local policy was kept: only node-a, which has the endpoint, may announce.
  channel::DesiredState d = f.r.Desired();
  REQUIRE(d.announcements.count(Ip("192.168.1.245")) == 1);
  CHECK(d.announcements.at(Ip("192.168.1.245")).eligible_nodes ==
        std::vector<std::string>{"node-a"});
}

TEST_CASE("the tutorial: nothing before sync, then nginx gets 192.168.1.240") {
  Fixture f;
  CHECK(f.r.SetConfigMap(Config(kTutorialConfig)).status.empty());
  Actions before = f.r.UpsertService(Lb("nginx"));
  CHECK(before.status.empty());
  CHECK(f.r.allocator().service_count() == 0);
  Actions a = f.r.Sync();
  REQUIRE(a.status.size() == 1);
  CHECK(a.status[0].name == "nginx");
  REQUIRE(a.status[0].ingress.size() == 1);
  CHECK(a.status[0].ingress[0].ip == "192.168.1.240");
  REQUIRE(a.events.size() == 1);
  CHECK(a.events[0].reason == "IPAllocated");
  CHECK(a.events[0].message == "Assigned IP \"192.168.1.240\"");
  CHECK(Logged(a, "default/nginx: allocated \"192.168.1.240\""));
  CHECK(f.r.config_loaded());
  // The informer brings the written status back: no further write (no update
  // loop), also when the server filled in ipMode.
  k8s::Service written = Lb("nginx");
  written.ingress = {{"192.168.1.240", "", "VIP"}};
  Actions again = f.r.UpsertService(written);
  CHECK(again.status.empty());
  CHECK(again.events.empty());
}

TEST_CASE(
    "a pass over every Service hands over one Service's actions at a time") {
  Fixture f;
  f.r.SetConfigMap(
      Config("address-pools:\n- name: one\n  protocol: arp\n  cidr: "
             "[192.168.1.240/32]\n"));
  for (const char* name : {"a", "b", "c"}) f.r.UpsertService(Lb(name));
  std::vector<Actions> handed;
  auto sink = [&handed](Actions a) { handed.push_back(std::move(a)); };
  // Each batch holds at most one Service's write and event; returns the names
  // written, in order.
  auto written = [&handed] {
    std::vector<std::string> names;
    for (const Actions& a : handed) {
      CHECK(a.status.size() <= 1);
      CHECK(a.events.size() <= 1);
      for (const StatusWrite& w : a.status) names.push_back(w.name);
    }
    return names;
  };
  f.r.Sync(sink);
  // The sync's own line first, then a allocated, b and c failed.
  REQUIRE(handed.size() >= 4);
  CHECK(Logged(handed[0], "Controller synced"));
  CHECK(handed[0].status.empty());
  CHECK(written() == std::vector<std::string>{"a"});
  size_t failures = 0;
  for (const Actions& a : handed) {
    for (const EventRecord& e : a.events) {
      failures += e.reason == "AllocationFailed" ? 1 : 0;
    }
  }
  CHECK(failures == 2);
  // A grown pool: b and c get addresses, each in a batch of its own, after
  // the change's own line.
  f.r.UpsertService(Lb("a", {"192.168.1.240"}));
  handed.clear();
  f.r.SetConfigMap(Config(kTutorialConfig), sink);
  REQUIRE_FALSE(handed.empty());
  CHECK(Logged(handed[0], "config changed"));
  CHECK(written() == std::vector<std::string>{"b", "c"});
}

TEST_CASE(
    "after a restart, existing addresses are re-learned before new ones are "
    "given") {
  Fixture f;
  f.r.SetConfigMap(Config(kTutorialConfig));
  // The newcomer is listed first, yet cannot take .240 from its owner.
  f.r.UpsertService(Lb("newcomer", {}, 5));
  f.r.UpsertService(Lb("owner", {"192.168.1.240"}, 1));
  Actions a = f.r.Sync();
  REQUIRE(a.status.size() == 1);
  CHECK(a.status[0].name == "newcomer");
  CHECK(a.status[0].ingress[0].ip == "192.168.1.241");
}

TEST_CASE("a duplicate address in two statuses: the older Service keeps it") {
  Fixture f;
  f.r.SetConfigMap(Config(kTutorialConfig));
  f.r.UpsertService(Lb("younger", {"192.168.1.245"}, 9));
  f.r.UpsertService(Lb("older", {"192.168.1.245"}, 1));
  Actions a = f.r.Sync();
  CHECK(Logged(a, "default/younger: clearing assignment \"192.168.1.245\""));
  REQUIRE(a.status.size() == 1);
  CHECK(a.status[0].name == "younger");
  CHECK(a.status[0].ingress[0].ip == "192.168.1.240");
}

TEST_CASE("a bad config is rejected whole and the old one stays in force") {
  Fixture f;
  f.r.SetConfigMap(Config(kTutorialConfig));
  f.r.Sync();
  Actions bad =
      f.r.SetConfigMap(Config("address-pools:\n- name: my-ip-space\n  "
                              "protocol: arp\n  cidr: [192.168.1.241/28]\n"));
  REQUIRE(bad.events.size() == 1);
  CHECK(bad.events[0].kind == "ConfigMap");
  CHECK(bad.events[0].reason == "InvalidConfig");
  CHECK(bad.events[0].type == "Warning");
  CHECK(absl::StrContains(bad.events[0].message, "host bits are set"));
  CHECK(f.r.config_stale());
  CHECK(Logged(bad, "Applying new configuration failed"));
  Actions a = f.r.UpsertService(Lb("nginx"));
  REQUIRE(a.status.size() == 1);
  CHECK(a.status[0].ingress[0].ip == "192.168.1.240");
}

TEST_CASE(
    "a config that orphans an address in use is rejected, naming the Service") {
  Fixture f;
  f.r.SetConfigMap(Config(kTutorialConfig));
  f.r.UpsertService(Lb("nginx"));
  f.r.Sync();
  Actions a =
      f.r.SetConfigMap(Config("address-pools:\n- name: other\n  protocol: "
                              "arp\n  cidr: [192.168.1.0/28]\n"));
  REQUIRE(a.events.size() == 1);
  CHECK(absl::StrContains(
      a.events[0].message,
      "service \"default/nginx\" cannot own \"192.168.1.240\""));
  CHECK(f.r.config_stale());
}

TEST_CASE(
    "a good config change reconverges everything and retries pending "
    "Services") {
  Fixture f;
  f.r.SetConfigMap(
      Config("address-pools:\n- name: one\n  protocol: arp\n  cidr: "
             "[192.168.1.240/32]\n"));
  f.r.UpsertService(Lb("a"));
  f.r.UpsertService(Lb("b"));
  Actions first = f.r.Sync();
  bool failed = false;
  for (const EventRecord& e : first.events)
    failed = failed || e.reason == "AllocationFailed";
  CHECK(failed);
  f.r.UpsertService(
      Lb("a", {"192.168.1.240"}));  // the written status comes back
  Actions grown = f.r.SetConfigMap(Config(kTutorialConfig));
  CHECK(Logged(grown, "config changed, reconverging all services"));
  REQUIRE(grown.status.size() == 1);
  CHECK(grown.status[0].name == "b");
  CHECK(grown.status[0].ingress[0].ip == "192.168.1.241");
  CHECK_FALSE(f.r.config_stale());
}

TEST_CASE("type change and deletion release the address for pending Services") {
  Fixture f;
  f.r.SetConfigMap(
      Config("address-pools:\n- name: one\n  protocol: arp\n  cidr: "
             "[192.168.1.240/32]\n"));
  f.r.UpsertService(Lb("a"));
  f.r.UpsertService(Lb("b"));
  f.r.Sync();
  k8s::Service a = Lb("a", {"192.168.1.240"});
  a.type = "ClusterIP";
  Actions changed = f.r.UpsertService(a);
  // a's status is cleared, and b gets the freed address.
  REQUIRE(changed.status.size() == 2);
  CHECK(changed.status[0].name == "a");
  CHECK(changed.status[0].ingress.empty());
  CHECK(changed.status[1].name == "b");
  CHECK(changed.status[1].ingress[0].ip == "192.168.1.240");
  Actions deleted = f.r.DeleteService("default", "b");
  CHECK(Logged(deleted, "default/b: service deleted"));
}

TEST_CASE("Services of another loadBalancerClass are left alone") {
  Fixture f;
  f.r.SetConfigMap(Config(kTutorialConfig));
  k8s::Service s = Lb("other");
  s.load_balancer_class = "example.com/other-lb";
  f.r.UpsertService(s);
  Actions a = f.r.Sync();
  CHECK(a.status.empty());
  CHECK(a.events.empty());
  CHECK(f.r.allocator().service_count() == 0);
}

TEST_CASE("no config yet: Services wait, and are served once it arrives") {
  Fixture f;
  f.r.UpsertService(Lb("nginx"));
  Actions a = f.r.Sync();
  CHECK(Logged(a, "Controller synced, can allocate IPs now"));
  CHECK(Logged(a, "default/nginx: skipped, waiting for config"));
  CHECK(a.status.empty());
  Actions c = f.r.SetConfigMap(Config(kTutorialConfig));
  REQUIRE(c.status.size() == 1);
  CHECK(c.status[0].ingress[0].ip == "192.168.1.240");
}

TEST_CASE(
    "desired state: eligible nodes follow endpoints, policy and node labels") {
  Fixture f;
  f.r.SetConfigMap(Config(kArpAndBgpConfig));
  f.r.UpsertNode(Node("node-a"));
  f.r.UpsertNode(Node("node-b"));
  f.r.UpsertNode(Node("node-c", /*ready=*/false));
  k8s::Node excluded = Node("node-d");
  excluded.meta.labels[kExcludeLabel] = "";
  f.r.UpsertNode(excluded);
  f.r.UpsertService(Lb("cluster"));
  k8s::Service local = Lb("local");
  local.external_traffic_policy = "Local";
  f.r.UpsertService(local);
  f.r.UpsertService(Lb("idle"));
  k8s::Service bgp = Lb("bgp");
  bgp.meta.annotations["metallb.universe.tf/address-pool"] = "routed";
  f.r.UpsertService(bgp);
  f.r.UpsertEndpointSlice(Slice("cluster", {"node-c"}));
  f.r.UpsertEndpointSlice(Slice("local", {"node-b", "node-d"}));
  f.r.UpsertEndpointSlice(Slice("idle", {"node-a"}, /*ready=*/false));
  f.r.UpsertEndpointSlice(Slice("bgp", {"node-a"}));
  f.r.Sync();
  channel::DesiredState d = f.r.Desired();
  REQUIRE(d.pools.size() == 2);
  CHECK(d.pools[0].ranges(0) == "192.168.1.240/28");
  // cluster: every ready, non-excluded node; local: only node-b; idle: no ready
  // endpoint, not announced; bgp: not an ARP pool.
  auto address = [&](const char* key) {
    return f.r.allocator().Lookup(key)->addresses[0].ToString();
  };
  REQUIRE(d.announcements.size() == 2);
  CHECK(d.announcements.count(Ip(address("default/idle"))) == 0);
  const channel::Announcement& c =
      d.announcements.at(Ip(address("default/cluster")));
  CHECK(c.all_candidate_nodes);
  CHECK(c.eligible_nodes.empty());
  CHECK(d.candidate_nodes == std::vector<std::string>{"node-a", "node-b"});
  CHECK(c.services == std::vector<std::string>{"default/cluster"});
  const channel::Announcement& l =
      d.announcements.at(Ip(address("default/local")));
  CHECK_FALSE(l.all_candidate_nodes);
  CHECK(l.eligible_nodes == std::vector<std::string>{"node-b"});
}

TEST_CASE(
    "an address from a BGP pool is assigned with a warning that nothing "
    "announces it") {
  Fixture f;
  Actions config = f.r.SetConfigMap(Config(kArpAndBgpConfig));
  CHECK(std::any_of(config.log.begin(), config.log.end(),
                    [](const std::string& line) {
                      return absl::StrContains(line,
                                               "pool \"routed\" is a BGP "
                                               "pool");
                    }));
  f.r.UpsertNode(Node("node-a"));
  k8s::Service bgp = Lb("bgp");
  bgp.meta.annotations["metallb.universe.tf/address-pool"] = "routed";
  f.r.UpsertService(bgp);
  k8s::Service arp = Lb("arp");
  f.r.UpsertService(arp);
  Actions a = f.r.Sync();
  std::vector<const EventRecord*> warnings;
  for (const EventRecord& e : a.events) {
    if (e.reason == "NotAnnounced") warnings.push_back(&e);
  }
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0]->name == "bgp");
  CHECK(warnings[0]->type == "Warning");
  CHECK(absl::StrContains(warnings[0]->message, "from BGP pool \"routed\""));
  CHECK(absl::StrContains(warnings[0]->message, "nothing announces"));
  // Once the status is written, converging again changes nothing and warns
  // no more.
  k8s::Service written = Lb(
      "bgp", {f.r.allocator().Lookup("default/bgp")->addresses[0].ToString()});
  written.meta.annotations = bgp.meta.annotations;
  Actions again = f.r.UpsertService(written);
  CHECK(again.events.empty());
}

TEST_CASE("a shared address is announced once for all its Services") {
  Fixture f;
  f.r.SetConfigMap(Config(kTutorialConfig));
  f.r.UpsertNode(Node("node-a"));
  k8s::Service tcp = Lb("dns-tcp");
  tcp.meta.annotations["metallb.universe.tf/allow-shared-ip"] = "dns";
  tcp.ports = {{"dns", "TCP", 53, 0, "53"}};
  k8s::Service udp = Lb("dns-udp");
  udp.meta.annotations["metallb.universe.tf/allow-shared-ip"] = "dns";
  udp.ports = {{"dns", "UDP", 53, 0, "53"}};
  f.r.UpsertService(tcp);
  f.r.UpsertService(udp);
  f.r.UpsertEndpointSlice(Slice("dns-tcp", {"node-a"}));
  f.r.UpsertEndpointSlice(Slice("dns-udp", {"node-a"}));
  f.r.Sync();
  channel::DesiredState d = f.r.Desired();
  REQUIRE(d.announcements.size() == 1);
  CHECK(d.announcements.begin()->second.services ==
        std::vector<std::string>{"default/dns-tcp", "default/dns-udp"});
  CHECK(d.announcements.begin()->second.all_candidate_nodes);
}

TEST_CASE("keys split into namespace and name") {
  CHECK(SplitKey("default/nginx") ==
        std::pair<std::string, std::string>{"default", "nginx"});
  CHECK(SplitKey("node-a") ==
        std::pair<std::string, std::string>{"", "node-a"});
}

TEST_CASE("MetalLB's annotations are read under both prefixes") {
  Fixture f;
  f.r.SetConfigMap(Config(kArpAndBgpConfig));
  k8s::Service modern = Lb("modern");
  modern.meta.annotations["metallb.io/address-pool"] = "routed";
  k8s::Service legacy = Lb("legacy");
  legacy.meta.annotations["metallb.universe.tf/address-pool"] = "routed";
  f.r.UpsertService(modern);
  f.r.UpsertService(legacy);
  f.r.Sync();
  REQUIRE(f.r.allocator().Lookup("default/modern").has_value());
  CHECK(f.r.allocator().Lookup("default/modern")->pool == "routed");
  REQUIRE(f.r.allocator().Lookup("default/legacy").has_value());
  CHECK(f.r.allocator().Lookup("default/legacy")->pool == "routed");
}

TEST_CASE("a shared address is eligible where any of its Services is") {
  Fixture f;
  f.r.SetConfigMap(Config(kTutorialConfig));
  for (const char* n : {"node-a", "node-b", "node-c"}) f.r.UpsertNode(Node(n));
  // Local Services share an address only with the same selector, yet their
  // EndpointSlices may differ for a moment.
  auto shared = [](const char* name, int port) {
    k8s::Service s = Lb(name);
    s.meta.annotations["metallb.universe.tf/allow-shared-ip"] = "key";
    s.load_balancer_ip = "192.168.1.250";
    s.external_traffic_policy = "Local";
    s.selector = {{"app", "shared"}};
    s.ports = {{"p", "TCP", port, 0, ""}};
    return s;
  };
  f.r.UpsertService(shared("a", 1));
  f.r.UpsertService(shared("b", 2));
  f.r.UpsertEndpointSlice(Slice("a", {"node-c"}));
  f.r.UpsertEndpointSlice(Slice("b", {"node-a"}));
  f.r.Sync();
  channel::DesiredState d = f.r.Desired();
  REQUIRE(d.announcements.count(Ip("192.168.1.250")) == 1);
  const channel::Announcement& two = d.announcements.at(Ip("192.168.1.250"));
  CHECK(two.services.size() == 2);
  CHECK_FALSE(two.all_candidate_nodes);
  CHECK(two.eligible_nodes == std::vector<std::string>{"node-a", "node-c"});
}

}  // namespace
}  // namespace lb::controller
