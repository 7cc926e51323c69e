#include "cmd/controller/reconciler.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/ipam/config.h"
#include "lib/ipam/service_request.h"

namespace lb::controller {
namespace {

ipam::ServiceFields Fields(const k8s::Service& s) {
  ipam::ServiceFields f;
  f.key = absl::StrCat(s.meta.ns, "/", s.meta.name);
  // Only MetalLB's: others (kubectl's last-applied-configuration holds a copy
  // of the whole object) are not read and need not be kept.
  for (const auto& [k, v] : s.meta.annotations) {
    if (ipam::IsMetalLbAnnotation(k)) f.annotations.emplace(k, v);
  }
  f.load_balancer_ip = s.load_balancer_ip;
  for (const k8s::ServicePort& p : s.ports) {
    f.ports.push_back({p.protocol, static_cast<uint16_t>(p.port)});
  }
  f.external_traffic_policy = s.external_traffic_policy;
  f.selector = s.selector;
  f.ip_family_policy = s.ip_family_policy;
  f.ip_families = s.ip_families;
  return f;
}

std::string Quoted(const std::vector<std::string>& ips) {
  std::vector<std::string> q;
  for (const std::string& ip : ips) q.push_back(absl::StrCat("\"", ip, "\""));
  return absl::StrJoin(q, ", ");
}

std::vector<std::string> IngressIps(
    const std::vector<k8s::LoadBalancerIngress>& ingress) {
  std::vector<std::string> out;
  for (const k8s::LoadBalancerIngress& i : ingress) {
    if (!i.ip.empty()) out.push_back(i.ip);
  }
  return out;
}

// Runs `pass` with a sink that collects everything it is given.
template <typename Pass>
Actions Collect(Pass pass) {
  Actions all;
  pass([&all](Actions a) { all.Append(std::move(a)); });
  return all;
}

}  // namespace

std::pair<std::string, std::string> SplitKey(const std::string& key) {
  size_t slash = key.find('/');
  if (slash == std::string::npos) return {"", key};
  return {key.substr(0, slash), key.substr(slash + 1)};
}

void Actions::Append(Actions other) {
  for (auto& s : other.status) status.push_back(std::move(s));
  for (auto& e : other.events) events.push_back(std::move(e));
  for (auto& l : other.log) log.push_back(std::move(l));
}

Reconciler::Reconciler(Clock& clock, ReconcilerOptions options)
    : options_(std::move(options)), allocator_(clock, options_.allocator) {}

std::string Reconciler::Key(const std::string& ns, const std::string& name) {
  return absl::StrCat(ns, "/", name);
}

bool Reconciler::Ours(const k8s::Service& s) const {
  return s.load_balancer_class.empty() ||
         s.load_balancer_class == options_.load_balancer_class;
}

Actions Reconciler::SetConfigMap(
    const std::optional<k8s::ConfigMap>& config_map) {
  return Collect([&](ActionSink sink) { SetConfigMap(config_map, sink); });
}

void Reconciler::SetConfigMap(const std::optional<k8s::ConfigMap>& config_map,
                              ActionSink sink) {
  Actions out;
  auto reject = [&](const std::string& message) {
    config_stale_ = true;
    out.log.push_back(
        absl::StrCat("Applying new configuration failed: ", message));
    out.events.push_back({"ConfigMap", options_.config_namespace,
                          options_.config_name, "Warning", "InvalidConfig",
                          message});
  };
  if (!config_map) {
    config_stale_ = true;
    out.log.push_back("No MetalLB configuration in cluster");
    sink(std::move(out));
    return;
  }
  auto it = config_map->data.find("config");
  std::string text = it == config_map->data.end() ? std::string() : it->second;
  absl::StatusOr<ipam::ParsedConfig> parsed = ipam::ParseConfig(text);
  if (!parsed.ok()) {
    reject(absl::StrCat("could not parse config: ", parsed.status().message()));
    sink(std::move(out));
    return;
  }
  for (const ipam::ConfigIssue& w : parsed->warnings) {
    out.log.push_back(absl::StrCat("config warning: ", w.ToString()));
  }
  if (absl::Status s = allocator_.SetConfig(parsed->config); !s.ok()) {
    reject(std::string(s.message()));
    sink(std::move(out));
    return;
  }
  config_ = parsed->config;
  for (const ipam::Pool& pool : config_->pools) {
    if (pool.protocol != ipam::Protocol::kBgp) continue;
    out.log.push_back(absl::StrCat(
        "config warning: pool \"", pool.name,
        "\" is a BGP pool; BGP mode is not built yet, so its addresses are "
        "assigned but not announced"));
  }
  config_loaded_ = true;
  config_stale_ = false;
  if (synced_) out.log.push_back("config changed, reconverging all services");
  sink(std::move(out));
  if (synced_) ConvergeAll(sink);
}

// MessagePack of one array, positional: [annotations, loadBalancerIP,
// [[protocol, port]...], externalTrafficPolicy, selector, ipFamilyPolicy,
// ipFamilies, [[ip, hostname, ipMode]...]].
std::string Reconciler::PackDetails(const ServiceDetails& d) {
  const ipam::ServiceFields& f = d.fields;
  k8s::json ports = k8s::json::array();
  for (const ipam::ServicePort& p : f.ports) {
    ports.push_back(k8s::json::array({p.protocol, p.port}));
  }
  k8s::json ingress = k8s::json::array();
  for (const k8s::LoadBalancerIngress& i : d.ingress) {
    ingress.push_back(k8s::json::array({i.ip, i.hostname, i.ip_mode}));
  }
  k8s::json packed = k8s::json::array(
      {k8s::json(f.annotations), f.load_balancer_ip, std::move(ports),
       f.external_traffic_policy, k8s::json(f.selector), f.ip_family_policy,
       k8s::json(f.ip_families), std::move(ingress)});
  std::vector<uint8_t> bytes = k8s::json::to_msgpack(packed);
  return std::string(bytes.begin(), bytes.end());
}

Reconciler::ServiceDetails Reconciler::UnpackDetails(
    const std::string& key, const std::string& packed) {
  // Written by PackDetails: the layout holds.
  const k8s::json j = k8s::json::from_msgpack(packed, /*strict=*/true,
                                              /*allow_exceptions=*/false);
  ServiceDetails d;
  ipam::ServiceFields& f = d.fields;
  f.key = key;
  f.annotations = j[0].get<std::map<std::string, std::string>>();
  f.load_balancer_ip = j[1].get<std::string>();
  for (const k8s::json& p : j[2]) {
    f.ports.push_back({p[0].get<std::string>(), p[1].get<uint16_t>()});
  }
  f.external_traffic_policy = j[3].get<std::string>();
  f.selector = j[4].get<std::map<std::string, std::string>>();
  f.ip_family_policy = j[5].get<std::string>();
  f.ip_families = j[6].get<std::vector<std::string>>();
  for (const k8s::json& i : j[7]) {
    d.ingress.push_back({i[0].get<std::string>(), i[1].get<std::string>(),
                         i[2].get<std::string>()});
  }
  return d;
}

Actions Reconciler::UpsertService(const k8s::Service& service) {
  std::string key = Key(service.meta.ns, service.meta.name);
  ServiceState& stored = services_[key];
  stored.created =
      service.meta.creation_timestamp.value_or(absl::InfinitePast());
  stored.load_balancer = service.type == "LoadBalancer";
  stored.ours = Ours(service);
  stored.local_policy = service.external_traffic_policy == "Local";
  stored.details = PackDetails({service.ingress, Fields(service)});
  if (!synced_) return {};
  return Converge(key);
}

Actions Reconciler::DeleteService(const std::string& ns,
                                  const std::string& name) {
  std::string key = Key(ns, name);
  services_.erase(key);
  if (!synced_) return {};
  return Converge(key);
}

SliceSummary SliceSummary::Of(const k8s::EndpointSlice& slice) {
  SliceSummary summary;
  summary.service = absl::StrCat(slice.meta.ns, "/", slice.service_name);
  for (const k8s::Endpoint& e : slice.endpoints) {
    if (!e.ready) continue;
    summary.any_ready = true;
    if (!e.node_name.empty()) summary.ready_nodes.push_back(e.node_name);
  }
  std::sort(summary.ready_nodes.begin(), summary.ready_nodes.end());
  summary.ready_nodes.erase(
      std::unique(summary.ready_nodes.begin(), summary.ready_nodes.end()),
      summary.ready_nodes.end());
  return summary;
}

Actions Reconciler::UpsertEndpointSlice(const k8s::EndpointSlice& slice) {
  return UpsertEndpointSlice(slice.meta.ns, slice.meta.name,
                             SliceSummary::Of(slice));
}

Actions Reconciler::UpsertEndpointSlice(const std::string& ns,
                                        const std::string& name,
                                        SliceSummary summary) {
  std::string key = Key(ns, name);
  Unindex(key);
  slices_by_service_.insert({summary.service, key});
  slices_[key] = std::move(summary);
  return {};
}

Actions Reconciler::DeleteEndpointSlice(const std::string& ns,
                                        const std::string& name) {
  std::string key = Key(ns, name);
  Unindex(key);
  slices_.erase(key);
  return {};
}

void Reconciler::Unindex(const std::string& slice_key) {
  auto it = slices_.find(slice_key);
  if (it == slices_.end()) return;
  slices_by_service_.erase({it->second.service, slice_key});
}

Actions Reconciler::UpsertNode(const k8s::Node& node) {
  nodes_[node.meta.name] = node;
  return {};
}

Actions Reconciler::DeleteNode(const std::string& name) {
  nodes_.erase(name);
  return {};
}

Actions Reconciler::Sync() {
  return Collect([&](ActionSink sink) { Sync(sink); });
}

void Reconciler::Sync(ActionSink sink) {
  Actions out;
  synced_ = true;
  out.log.push_back("Controller synced, can allocate IPs now");
  if (!allocator_.has_config()) {
    sink(std::move(out));
    ConvergeAll(sink);
    return;
  }
  // Re-learn: every address a Service already shows, oldest Service first, so
  // that an older claim wins a conflict and nothing is handed out twice.
  std::vector<std::pair<const std::string*, const ServiceState*>> order;
  for (const auto& [key, s] : services_) order.push_back({&key, &s});
  allocator_.Reserve(order.size());
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) {
                     return a.second->created < b.second->created;
                   });
  for (const auto& [key, s] : order) {
    if (!s->load_balancer || !s->ours) continue;
    const ServiceDetails d = UnpackDetails(*key, s->details);
    std::vector<std::string> ips = IngressIps(d.ingress);
    if (ips.empty()) continue;
    absl::StatusOr<ipam::Request> req = ipam::RequestFromService(d.fields);
    if (!req.ok()) continue;
    std::vector<IpAddress> addresses;
    for (const std::string& ip : ips) {
      if (absl::StatusOr<IpAddress> a = IpAddress::Parse(ip); a.ok()) {
        addresses.push_back(*a);
      }
    }
    if (absl::Status st = allocator_.Assign(*req, addresses); !st.ok()) {
      out.log.push_back(absl::StrCat(*key, ": clearing assignment ",
                                     Quoted(ips), ", ", st.message()));
    }
  }
  sink(std::move(out));
  ConvergeAll(sink);
}

void Reconciler::ConvergeAll(ActionSink sink) {
  for (const auto& [key, s] : services_) sink(Converge(key));
  RetryPending(sink);
}

Actions Reconciler::RetryPending() {
  return Collect([&](ActionSink sink) { RetryPending(sink); });
}

void Reconciler::RetryPending(ActionSink sink) {
  for (const std::string& key : allocator_.Retryable()) {
    if (!services_.count(key)) {
      allocator_.ForgetPending(key);
      continue;
    }
    sink(Converge(key));
  }
}

Actions Reconciler::Converge(const std::string& key) {
  Actions out;
  auto it = services_.find(key);
  if (it == services_.end()) {
    if (allocator_.Release(key)) {
      out.log.push_back(absl::StrCat(key, ": service deleted"));
      out.Append(RetryPending());
    }
    allocator_.ForgetPending(key);
    return out;
  }
  const ServiceState& s = it->second;
  const ServiceDetails d = UnpackDetails(key, s.details);
  const std::pair<std::string, std::string> ns_name = SplitKey(key);
  const std::string& ns = ns_name.first;
  const std::string& name = ns_name.second;
  auto clear = [&](const std::string& why) {
    if (!d.ingress.empty()) {
      out.status.push_back({ns, name, {}});
      out.log.push_back(absl::StrCat(key, ": clearing status, ", why));
    }
  };
  if (!s.ours) {
    // Another implementation owns this Service; we neither allocate nor write
    // status.
    if (allocator_.Release(key)) out.Append(RetryPending());
    allocator_.ForgetPending(key);
    return out;
  }
  if (!s.load_balancer) {
    bool released = allocator_.Release(key);
    allocator_.ForgetPending(key);
    clear("not a LoadBalancer");
    if (released) out.Append(RetryPending());
    return out;
  }
  if (!allocator_.has_config()) {
    out.log.push_back(absl::StrCat(key, ": skipped, waiting for config"));
    return out;
  }
  absl::StatusOr<ipam::Request> req = ipam::RequestFromService(d.fields);
  absl::StatusOr<ipam::Assignment> assignment =
      req.ok() ? allocator_.Allocate(*req)
               : absl::StatusOr<ipam::Assignment>(req.status());
  if (!assignment.ok()) {
    std::string message = absl::StrCat("Failed to allocate IP for \"", key,
                                       "\": ", assignment.status().message());
    out.log.push_back(absl::StrCat(
        key, ": allocation failed: ", assignment.status().message()));
    out.events.push_back(
        {"Service", ns, name, "Warning", "AllocationFailed", message});
    clear("no address can be assigned");
    return out;
  }
  std::vector<k8s::LoadBalancerIngress> want;
  std::vector<std::string> ips;
  for (const IpAddress& a : assignment->addresses) {
    want.push_back({a.ToString(), "", ""});
    ips.push_back(a.ToString());
  }
  if (k8s::IngressEqual(d.ingress, want)) return out;
  out.status.push_back({ns, name, want});
  out.log.push_back(absl::StrCat(key, ": allocated ", Quoted(ips)));
  out.events.push_back({"Service", ns, name, "Normal", "IPAllocated",
                        absl::StrCat("Assigned IP ", Quoted(ips))});
  if (const ipam::Pool* pool = FindPool(assignment->pool);
      pool != nullptr && pool->protocol == ipam::Protocol::kBgp) {
    std::string message = absl::StrCat(
        "Assigned IP ", Quoted(ips), " from BGP pool \"", pool->name,
        "\", but BGP mode is not built yet: nothing announces the address");
    out.log.push_back(absl::StrCat(key, ": ", message));
    out.events.push_back(
        {"Service", ns, name, "Warning", "NotAnnounced", message});
  }
  return out;
}

const ipam::Pool* Reconciler::FindPool(const std::string& name) const {
  if (!config_) return nullptr;
  for (const ipam::Pool& p : config_->pools) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::set<std::string> Reconciler::ReadyEndpointNodes(const std::string& key,
                                                     bool* any_ready) const {
  std::set<std::string> nodes;
  *any_ready = false;
  for (auto by = slices_by_service_.lower_bound({key, ""});
       by != slices_by_service_.end() && by->first == key; ++by) {
    const SliceSummary& slice = slices_.at(by->second);
    *any_ready = *any_ready || slice.any_ready;
    nodes.insert(slice.ready_nodes.begin(), slice.ready_nodes.end());
  }
  return nodes;
}

channel::DesiredState Reconciler::Desired() const {
  channel::DesiredState d;
  if (!config_) return d;
  std::map<std::string, const ipam::Pool*> pools;
  for (const ipam::Pool& p : config_->pools) {
    channel::v1::Pool out;
    out.set_name(p.name);
    out.set_protocol(std::string(ipam::ProtocolName(p.protocol)));
    for (const ipam::IpRange& r : p.ranges) out.add_ranges(r.ToString());
    d.pools.push_back(out);
    pools[p.name] = &p;
  }
  // Sorted, as nodes_ is.
  std::vector<std::string> candidates;
  for (const auto& [name, node] : nodes_) {
    if (node.ready && !node.meta.labels.count(kExcludeLabel))
      candidates.push_back(name);
  }
  for (const auto& [key, s] : services_) {
    if (!s.load_balancer || !s.ours) continue;
    std::optional<ipam::Assignment> a = allocator_.Lookup(key);
    if (!a) continue;
    auto pool = pools.find(a->pool);
    if (pool == pools.end() || pool->second->protocol != ipam::Protocol::kArp)
      continue;
    bool any_ready = false;
    std::set<std::string> endpoint_nodes = ReadyEndpointNodes(key, &any_ready);
    if (!any_ready) continue;  // nothing would answer: do not attract traffic
    const bool local_policy = s.local_policy;
    std::vector<std::string> local;
    if (local_policy) {
      std::set_intersection(candidates.begin(), candidates.end(),
                            endpoint_nodes.begin(), endpoint_nodes.end(),
                            std::back_inserter(local));
    }
    if ((local_policy ? local : candidates).empty()) continue;
    for (const IpAddress& ip : a->addresses) {
      channel::Announcement& ann = d.announcements[ip];
      const bool first = ann.services.empty();
      ann.services.push_back(key);
      if (ann.all_candidate_nodes) continue;  // already every candidate
      if (!local_policy) {
        // Cluster policy, alone or sharing with Local Services (whose nodes
        // are candidates too): every candidate.
        ann.eligible_nodes.clear();
        ann.all_candidate_nodes = true;
        continue;
      }
      if (first) {
        ann.eligible_nodes = local;  // already sorted
        continue;
      }
      // Shared by Local Services: the union of their nodes.
      std::vector<std::string> merged;
      std::set_union(ann.eligible_nodes.begin(), ann.eligible_nodes.end(),
                     local.begin(), local.end(), std::back_inserter(merged));
      ann.eligible_nodes = std::move(merged);
    }
  }
  d.candidate_nodes = std::move(candidates);
  return d;
}

}  // namespace lb::controller
