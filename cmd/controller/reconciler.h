// cmd/controller/reconciler.h
//
// The controller's decisions, free of I/O: fed the objects its informers see,
// it allocates through lib/ipam and returns what to write (Service status),
// what to record (Events) and what to log, and computes the desired
// announcement state that the channel streams to speakers.
//
// Start-up is the dangerous moment (duplicate addresses after a restart), so
// nothing is allocated before Sync(): by then the config and the full Service
// list are known, and Sync() re-learns every address already in a Service's
// status, oldest Service first, before allocating anything new.
//
// Thread-safety: not thread-safe; the controller's single work loop drives it.

#ifndef LB_CMD_CONTROLLER_RECONCILER_H_
#define LB_CMD_CONTROLLER_RECONCILER_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/container/btree_set.h"
#include "absl/functional/function_ref.h"
#include "absl/time/time.h"
#include "cmd/channel/publisher.h"
#include "lib/base/clock.h"
#include "lib/ipam/allocator.h"
#include "lib/ipam/service_request.h"
#include "lib/k8s/objects.h"

namespace lb::controller {

// What the reconciler reads of an EndpointSlice.
struct SliceSummary {
  std::string service;  // "ns/service"
  bool any_ready = false;
  // Nodes of its ready endpoints, sorted, without duplicates.
  std::vector<std::string> ready_nodes;

  static SliceSummary Of(const k8s::EndpointSlice& slice);
};

// "namespace/name" split in two; a key without "/" is a name alone.
std::pair<std::string, std::string> SplitKey(const std::string& key);

// Nodes with this label never announce (Kubernetes' own convention).
inline constexpr char kExcludeLabel[] =
    "node.kubernetes.io/exclude-from-external-load-balancers";

struct StatusWrite {
  std::string ns;
  std::string name;
  // The complete status.loadBalancer.ingress to write; empty clears it.
  std::vector<k8s::LoadBalancerIngress> ingress;
};

struct EventRecord {
  std::string kind;  // "Service" or "ConfigMap"
  std::string ns;
  std::string name;
  std::string type;    // "Normal" or "Warning"
  std::string reason;  // MetalLB's spelling: IPAllocated, AllocationFailed, ...
  std::string message;
};

// What one input led to.
struct Actions {
  std::vector<StatusWrite> status;
  std::vector<EventRecord> events;
  // Log lines in MetalLB's wording, e.g. `default/nginx: allocated
  // "192.168.1.240"`.
  std::vector<std::string> log;

  void Append(Actions other);
};

// Takes actions as they are decided. Passes over every Service (Sync, a config
// change) hand over each Service's actions as soon as it has converged, so the
// status writes, events and log lines of 10k Services are never held at once.
using ActionSink = absl::FunctionRef<void(Actions)>;

struct ReconcilerOptions {
  // Where the config lives. Defaults: metallb-system/config, key "config".
  std::string config_namespace = "metallb-system";
  std::string config_name = "config";
  // Services whose spec.loadBalancerClass is set and differs are left alone.
  // Empty: only Services without a class are ours.
  std::string load_balancer_class;
  ipam::AllocatorOptions allocator;
};

class Reconciler {
 public:
  Reconciler(Clock& clock, ReconcilerOptions options);

  // The config ConfigMap changed or was deleted (nullopt). A bad config is
  // rejected whole: the previous one stays in force, a Warning Event
  // InvalidConfig goes on the ConfigMap and config_stale() turns true.
  void SetConfigMap(const std::optional<k8s::ConfigMap>& config_map,
                    ActionSink sink);
  // The same, all actions at once.
  Actions SetConfigMap(const std::optional<k8s::ConfigMap>& config_map);

  Actions UpsertService(const k8s::Service& service);
  Actions DeleteService(const std::string& ns, const std::string& name);
  Actions UpsertEndpointSlice(const k8s::EndpointSlice& slice);
  // The same, from the slice's summary.
  Actions UpsertEndpointSlice(const std::string& ns, const std::string& name,
                              SliceSummary summary);
  Actions DeleteEndpointSlice(const std::string& ns, const std::string& name);
  Actions UpsertNode(const k8s::Node& node);
  Actions DeleteNode(const std::string& name);

  // Every informer has listed: re-learn existing addresses, then converge
  // everything.
  void Sync(ActionSink sink);
  // The same, all actions at once.
  Actions Sync();
  bool synced() const { return synced_; }

  // What speakers should announce now.
  channel::DesiredState Desired() const;

  bool config_loaded() const { return config_loaded_; }
  bool config_stale() const { return config_stale_; }
  const ipam::Allocator& allocator() const { return allocator_; }

 private:
  // What the reconciler reads of a Service; the informer's cache holds the
  // rest.
  struct ServiceState {
    absl::Time created = absl::InfinitePast();
    bool load_balancer = false;  // spec.type LoadBalancer
    bool ours = false;           // no spec.loadBalancerClass, or ours
    bool local_policy = false;   // externalTrafficPolicy Local
    // What is read only when the Service converges, packed (PackDetails):
    // about a tenth of the memory of the parsed form, 10k times over.
    std::string details;
  };
  // The rest of a Service's state.
  struct ServiceDetails {
    std::vector<k8s::LoadBalancerIngress> ingress;  // as the status shows it
    // Only the annotations ipam reads are kept. fields.key is the Service's
    // "namespace/name".
    ipam::ServiceFields fields;
  };
  static std::string PackDetails(const ServiceDetails& details);
  static ServiceDetails UnpackDetails(const std::string& key,
                                      const std::string& packed);

  static std::string Key(const std::string& ns, const std::string& name);
  bool Ours(const k8s::Service& s) const;
  // Converges one Service (present or deleted) and returns what to do.
  Actions Converge(const std::string& key);
  // Converges the pending Services that can now get addresses.
  void RetryPending(ActionSink sink);
  Actions RetryPending();
  // Converges every Service, then the pending ones, one Service at a time.
  void ConvergeAll(ActionSink sink);
  // Drops `slice_key` from slices_by_service_.
  void Unindex(const std::string& slice_key);
  // The pool of the current config named `name`; null if none.
  const ipam::Pool* FindPool(const std::string& name) const;
  // The nodes of the ready endpoints of Service `key`.
  std::set<std::string> ReadyEndpointNodes(const std::string& key,
                                           bool* any_ready) const;

  const ReconcilerOptions options_;
  ipam::Allocator allocator_;
  std::optional<ipam::Config> config_;
  bool config_loaded_ = false;
  bool config_stale_ = false;
  bool synced_ = false;
  // B-trees: a few bytes of overhead per entry rather than a node each.
  absl::btree_map<std::string, ServiceState> services_;
  absl::btree_map<std::string, SliceSummary> slices_;
  // ("ns/service", key of one of its slices in slices_).
  absl::btree_set<std::pair<std::string, std::string>> slices_by_service_;
  std::map<std::string, k8s::Node> nodes_;
};

}  // namespace lb::controller

#endif  // LB_CMD_CONTROLLER_RECONCILER_H_
