#include "cmd/controller/daemon.h"

#include <grpcpp/grpcpp.h>
#include <malloc.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "cmd/channel/credentials.h"
#include "cmd/controller/trim.h"
#include "lib/base/status_macros.h"
#include "lib/k8s/errors.h"
#include "lib/k8s/objects.h"

namespace lb::controller {
namespace {

using k8s::json;

constexpr char kSynced[] = "synced";
constexpr char kConfigKey[] = "config";

std::string Kind(const std::string& key) {
  return key.substr(0, key.find('/'));
}
std::string Rest(const std::string& key) {
  size_t slash = key.find('/');
  return slash == std::string::npos ? "" : key.substr(slash + 1);
}

}  // namespace

Daemon::Daemon(DaemonOptions options, ControllerIo io, cmd::Logger& logger,
               cmd::Metrics& metrics)
    : options_(std::move(options)),
      io_(std::move(io)),
      clock_(*io_.clock),
      client_(*io_.client),
      logger_(logger),
      metrics_(metrics),
      reconciler_(clock_, [&] {
        ReconcilerOptions r;
        r.config_namespace = options_.ns;
        r.config_name = options_.config_name;
        r.load_balancer_class = options_.load_balancer_class;
        return r;
      }()) {}

Daemon::~Daemon() { Stop(); }

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>>
Daemon::ChannelCredentials() {
  // The PKI lives in a Secret; the first controller to start creates it. It is
  // created in plaintext mode too: speakers derive their heartbeat key from it.
  absl::StatusOr<json> got =
      client_.Get(k8s::kSecrets, options_.ns, options_.channel_secret);
  if (absl::IsNotFound(got.status())) {
    LB_ASSIGN_OR_RETURN(channel::ChannelPki pki,
                        Annotate(channel::GenerateChannelPki(
                                     clock_.Now(), options_.channel_names),
                                 "generating the channel credentials"));
    json secret = {
        {"apiVersion", "v1"},
        {"kind", "Secret"},
        {"type", "Opaque"},
        {"metadata",
         {{"name", options_.channel_secret}, {"namespace", options_.ns}}},
        {"data", json::object()}};
    for (const auto& [k, v] : channel::ToSecretData(pki)) {
      secret["data"][k] = absl::Base64Escape(v);
    }
    absl::StatusOr<json> created =
        client_.Create(k8s::kSecrets, options_.ns, secret);
    if (created.ok()) {
      LB_LOG_INFO(logger_) << "created channel credentials in Secret "
                           << options_.ns << "/" << options_.channel_secret;
      if (options_.channel_plaintext) return grpc::InsecureServerCredentials();
      return channel::ServerCredentials(pki);
    }
    if (!absl::IsAlreadyExists(created.status())) {
      return Annotate(created.status(),
                      absl::StrCat("creating Secret ", options_.ns, "/",
                                   options_.channel_secret));
    }
    // Another replica created it meanwhile.
    got = client_.Get(k8s::kSecrets, options_.ns, options_.channel_secret);
  }
  const std::string where =
      absl::StrCat("Secret ", options_.ns, "/", options_.channel_secret);
  LB_ASSIGN_OR_RETURN(json object, Annotate(got, where));
  LB_ASSIGN_OR_RETURN(k8s::Secret secret,
                      Annotate(k8s::Secret::FromJson(object), where));
  absl::StatusOr<channel::ChannelPki> pki =
      channel::FromSecretData(secret.data);
  if (!pki.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("Secret ", options_.ns, "/", options_.channel_secret, ": ",
                     pki.status().message()));
  }
  if (options_.channel_plaintext) return grpc::InsecureServerCredentials();
  return channel::ServerCredentials(*pki);
}

absl::Status Daemon::Start() {
  k8s::EventRecorderOptions ev;
  ev.component = "metallb-controller";
  ev.host = options_.identity;
  recorder_ = std::make_unique<k8s::EventRecorder>(client_, clock_, ev);
  queue_ = std::make_unique<k8s::WorkQueue>(clock_);

  auto handlers = [this](const std::string& prefix) {
    auto add = [this, prefix](const json& o) {
      queue_->Add(absl::StrCat(prefix, "/", k8s::ObjectCache::KeyOf(o)));
    };
    k8s::EventHandlers h;
    h.on_add = add;
    h.on_update = [add](const json&, const json& o) { add(o); };
    h.on_delete = add;
    return h;
  };
  // The caches hold what the controller reads: Services and EndpointSlices
  // trimmed to those fields, other objects without managedFields.
  k8s::InformerOptions trimmed;
  trimmed.transform = k8s::DropManagedFields;
  k8s::InformerOptions service_options;
  service_options.transform = TrimService;
  services_ = std::make_unique<k8s::Informer>(client_, clock_, k8s::kServices,
                                              service_options);
  k8s::InformerOptions slice_options;
  slice_options.transform = TrimEndpointSlice;
  slice_options.keep_objects = false;
  slices_ = std::make_unique<k8s::Informer>(
      client_, clock_, k8s::kEndpointSlices, slice_options);
  nodes_ =
      std::make_unique<k8s::Informer>(client_, clock_, k8s::kNodes, trimmed);
  k8s::InformerOptions cm_options = trimmed;
  cm_options.ns = options_.ns;
  cm_options.field_selector =
      absl::StrCat("metadata.name=", options_.config_name);
  configmaps_ = std::make_unique<k8s::Informer>(client_, clock_,
                                                k8s::kConfigMaps, cm_options);
  services_->AddHandlers(handlers("svc"));
  auto slice_changed = [this](const json& o, bool deleted) {
    std::string key = absl::StrCat("slice/", k8s::ObjectCache::KeyOf(o));
    std::optional<SliceSummary> slice;
    if (!deleted) {
      absl::StatusOr<k8s::EndpointSlice> parsed =
          k8s::EndpointSlice::FromJson(o);
      // Unreadable: as good as gone.
      if (parsed.ok()) slice = SliceSummary::Of(*parsed);
    }
    {
      absl::MutexLock lock(&pending_mu_);
      pending_slices_[key] = std::move(slice);
    }
    queue_->Add(key);
  };
  k8s::EventHandlers on_slices;
  on_slices.on_add = [slice_changed](const json& o) {
    slice_changed(o, false);
  };
  on_slices.on_update = [slice_changed](const json&, const json& o) {
    slice_changed(o, false);
  };
  on_slices.on_delete = [slice_changed](const json& o) {
    slice_changed(o, true);
  };
  slices_->AddHandlers(on_slices);
  nodes_->AddHandlers(handlers("node"));
  k8s::EventHandlers cm;
  cm.on_add = [this](const json&) { queue_->Add(kConfigKey); };
  cm.on_update = [this](const json&, const json&) { queue_->Add(kConfigKey); };
  cm.on_delete = [this](const json&) { queue_->Add(kConfigKey); };
  configmaps_->AddHandlers(cm);

  if (!options_.leader_elect) return Activate();
  // Two replicas, one active: the standby waits for the Lease and reports
  // not-ready, so the channel Service routes speakers to the active one.
  lease_store_ = std::make_unique<election::K8sLeaseStore>(client_);
  election::LeaderElectorOptions le;
  le.ns = options_.ns;
  le.name = options_.lease_name;
  le.identity = options_.identity;
  le.on_started_leading = [this] {
    // Once active, a replica stays active until it exits (on_fatal).
    if (activator_.joinable()) return;
    LB_LOG_INFO(logger_) << "became the active controller (Lease "
                         << options_.ns << "/" << options_.lease_name << ")";
    activator_ = std::thread([this] {
      if (absl::Status s = Activate(); !s.ok()) {
        LB_LOG_ERROR(logger_) << "cannot start: " << s.message();
        if (!stopping_ && options_.on_fatal) options_.on_fatal();
      }
    });
  };
  le.on_stopped_leading = [this] {
    if (stopping_) return;
    LB_LOG_ERROR(logger_) << "lost the Lease " << options_.ns << "/"
                          << options_.lease_name << "; exiting";
    if (options_.on_fatal) options_.on_fatal();
  };
  le.on_new_leader = [this](const std::string& holder) {
    if (!holder.empty() && holder != options_.identity) {
      LB_LOG_INFO(logger_) << "standing by; the active controller is "
                           << holder;
    }
  };
  LB_ASSIGN_OR_RETURN(elector_, election::LeaderElector::Create(
                                    *lease_store_, clock_, std::move(le)));
  elector_thread_ = std::thread([this] { elector_->Run(); });
  return absl::OkStatus();
}

absl::Status Daemon::Activate() {
  // The channel.
  LB_ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> creds,
                      ChannelCredentials());
  service_ = std::make_unique<channel::AssignmentsService>(
      publisher_,
      [this](const std::string& node, bool open, const grpc::Status& end) {
        std::string who = node.empty() ? "a speaker that gave no node name"
                                       : "the speaker on " + node;
        if (open) {
          LB_LOG_INFO(logger_) << "channel: " << who << " connected";
        } else {
          LB_LOG_INFO(logger_)
              << "channel: " << who << " disconnected: " << end.error_message();
        }
        UpdateStreamMetrics();
      });
  LB_ASSIGN_OR_RETURN(channel::ServingChannel serving,
                      io_.serve_channel(service_.get(), creds));
  grpc_server_ = std::move(serving.server);
  LB_LOG_INFO(logger_) << "controller serving the channel on port "
                       << serving.port
                       << (options_.channel_plaintext ? " (plaintext)"
                                                      : " (mutual TLS)");
  services_->Start();
  slices_->Start();
  nodes_->Start();
  configmaps_->Start();
  worker_ = std::thread([this] { Work(); });
  // Allocation waits for every list: the config and the full Service list.
  syncer_ = std::thread([this] {
    for (k8s::Informer* i :
         {services_.get(), slices_.get(), nodes_.get(), configmaps_.get()}) {
      while (!stopping_ && !i->WaitForSync(absl::Seconds(1))) {
      }
    }
    if (!stopping_) queue_->Add(kSynced);
  });
  return absl::OkStatus();
}

void Daemon::Stop() {
  if (stopping_.exchange(true)) return;
  if (activator_.joinable()) activator_.join();
  if (syncer_.joinable()) syncer_.join();
  for (k8s::Informer* i :
       {services_.get(), slices_.get(), nodes_.get(), configmaps_.get()}) {
    if (i) i->Stop();
  }
  if (queue_) queue_->ShutDown();
  if (worker_.joinable()) worker_.join();
  publisher_.Shutdown();
  if (grpc_server_) {
    grpc_server_->Shutdown(std::chrono::system_clock::now() +
                           std::chrono::seconds(1));
  }
  // Only now that nothing acts any more is the Lease released.
  if (elector_) elector_->Stop();
  if (elector_thread_.joinable()) elector_thread_.join();
}

void Daemon::Work() {
  // The desired state costs a pass over every Service, so it is published when
  // the queue runs dry, and during a long burst at most every
  // kPublishInterval: a lone change goes out at once, 10k changes do not cost
  // 10k passes.
  constexpr absl::Duration kPublishInterval = absl::Milliseconds(500);
  // After large changes the freed memory goes back to the system at most this
  // often (glibc keeps it otherwise).
  constexpr absl::Duration kTrimInterval = absl::Seconds(10);
  MonoTime last_publish = MonoTime::InfinitePast();
  MonoTime last_trim = MonoTime::InfinitePast();
  std::string key;
  while (queue_->Get(&key)) {
    Process(key);
    queue_->Done(key);
    MonoTime now = clock_.Monotonic();
    if (reconciler_.synced() &&
        (queue_->Len() == 0 || now - last_publish >= kPublishInterval)) {
      publisher_.Publish(reconciler_.Desired());
      last_publish = now;
      if (queue_->Len() == 0 && now - last_trim >= kTrimInterval) {
        malloc_trim(0);
        last_trim = now;
      }
    }
  }
}

void Daemon::Process(const std::string& key) {
  metrics_.Add("metallb_k8s_client_updates_total", {}, 1,
               "Number of k8s object updates that have been processed.");
  // Services whose status could not be written, retried one by one.
  std::set<std::string> retry;
  // Actions are carried out as they come (a pass over every Service hands
  // them over one Service at a time), except Events: they wait for the end,
  // so that in a pass every Service has its address before the first of up
  // to one Event per Service takes its share of the API request budget.
  Actions events;
  auto apply = [&](Actions actions) {
    for (EventRecord& e : actions.events) events.events.push_back(std::move(e));
    actions.events.clear();
    Apply(actions, &retry);
  };
  std::string kind = Kind(key);
  if (key == kSynced) {
    reconciler_.Sync(apply);
    ready_ = true;
  } else if (key == kConfigKey) {
    LB_LOG_INFO(logger_) << "Start config update";
    k8s::ObjectPtr obj = configmaps_->cache().Get(
        absl::StrCat(options_.ns, "/", options_.config_name));
    std::optional<k8s::ConfigMap> cm;
    if (obj) {
      absl::StatusOr<k8s::ConfigMap> parsed = k8s::ConfigMap::FromJson(*obj);
      if (parsed.ok()) cm = *parsed;
    }
    reconciler_.SetConfigMap(cm, apply);
    LB_LOG_INFO(logger_) << "End config update";
  } else if (kind == "svc") {
    std::string ns_name = Rest(key);
    auto [ns, name] = SplitKey(ns_name);
    k8s::ObjectPtr obj = services_->cache().Get(ns_name);
    absl::StatusOr<k8s::Service> s =
        obj ? k8s::Service::FromJson(*obj) : absl::NotFoundError("deleted");
    apply(s.ok() ? reconciler_.UpsertService(*s)
                 : reconciler_.DeleteService(ns, name));
  } else if (kind == "slice") {
    std::optional<std::optional<SliceSummary>> slice;
    {
      absl::MutexLock lock(&pending_mu_);
      auto it = pending_slices_.find(key);
      if (it != pending_slices_.end()) {
        slice = std::move(it->second);
        pending_slices_.erase(it);
      }
    }
    // Nothing pending: an earlier pass already applied the latest state.
    if (slice.has_value()) {
      auto [ns, name] = SplitKey(Rest(key));
      apply(slice->has_value()
                ? reconciler_.UpsertEndpointSlice(ns, name, std::move(**slice))
                : reconciler_.DeleteEndpointSlice(ns, name));
    }
  } else if (kind == "node") {
    std::string name = Rest(key);
    k8s::ObjectPtr obj = nodes_->cache().Get(name);
    absl::StatusOr<k8s::Node> n =
        obj ? k8s::Node::FromJson(*obj) : absl::NotFoundError("");
    apply(n.ok() ? reconciler_.UpsertNode(*n) : reconciler_.DeleteNode(name));
  }
  Apply(events, &retry);
  if (!retry.count(key)) queue_->Forget(key);
  for (const std::string& k : retry) {
    metrics_.Add("metallb_k8s_client_update_errors_total", {}, 1,
                 "Number of k8s object updates that failed for some reason.");
    queue_->AddRateLimited(k);
  }
  UpdateMetrics();
}

void Daemon::Apply(const Actions& actions, std::set<std::string>* retry) {
  for (const std::string& line : actions.log) LB_LOG_INFO(logger_) << line;
  for (const StatusWrite& w : actions.status) {
    absl::StatusOr<json> r = client_.MergePatch(
        k8s::kServices, w.ns, w.name, k8s::ServiceStatusPatch(w.ingress),
        k8s::Subresource::kStatus);
    if (absl::IsNotFound(r.status())) {
      // Deleted meanwhile; its deletion event releases the address.
      LB_LOG_INFO(logger_) << w.ns << "/" << w.name
                           << ": deleted before its status was written";
    } else if (!r.ok()) {
      // Processing the Service again derives the status again.
      retry->insert(absl::StrCat("svc/", w.ns, "/", w.name));
      LB_LOG_ERROR(logger_)
          << w.ns << "/" << w.name
          << ": updating status failed: " << r.status().message();
    } else {
      LB_LOG_INFO(logger_) << w.ns << "/" << w.name
                           << ": updated service status";
    }
  }
  for (const EventRecord& e : actions.events) {
    k8s::ObjectReference ref;
    ref.api_version = "v1";
    ref.kind = e.kind;
    ref.ns = e.ns;
    ref.name = e.name;
    k8s::ObjectPtr obj;
    if (e.kind == "Service")
      obj = services_->cache().Get(absl::StrCat(e.ns, "/", e.name));
    if (e.kind == "ConfigMap")
      obj = configmaps_->cache().Get(absl::StrCat(e.ns, "/", e.name));
    if (obj) ref = k8s::ObjectReference::Of(*obj);
    // Items of a list carry no apiVersion or kind (a real API server's lists
    // leave them out), and kubectl describe finds events by kind.
    if (ref.api_version.empty()) ref.api_version = "v1";
    if (ref.kind.empty()) ref.kind = e.kind;
    // Events are not re-derived on retry, so a transient API error gets two
    // more tries here (at most 300 ms of waiting, only while the API fails).
    absl::Status s = recorder_->Record(ref, e.type, e.reason, e.message);
    for (absl::Duration wait :
         {absl::Milliseconds(100), absl::Milliseconds(200)}) {
      if (!absl::IsUnavailable(s) && !absl::IsDeadlineExceeded(s) &&
          !absl::IsInternal(s) && !absl::IsUnknown(s)) {
        break;
      }
      clock_.Sleep(wait);
      s = recorder_->Record(ref, e.type, e.reason, e.message);
    }
    if (!s.ok()) {
      LB_LOG_WARNING(logger_)
          << "recording event " << e.reason << " on " << e.ns << "/" << e.name
          << " failed: " << s.message();
    }
  }
}

void Daemon::UpdateStreamMetrics() {
  constexpr char kStreams[] = "metallb_controller_channel_streams";
  // Streams open and close on their own threads: one refresh at a time, so
  // an older count never lands after a newer one.
  absl::MutexLock lock(&stream_metrics_mu_);
  metrics_.Clear(kStreams);
  for (const auto& [node, n] : service_->streams_by_node()) {
    metrics_.Set(kStreams, {{"node", node}}, n,
                 "Channel streams open to speakers, by the node each names");
  }
}

void Daemon::UpdateMetrics() {
  metrics_.Set(
      "metallb_k8s_client_config_loaded_bool", {},
      reconciler_.config_loaded() ? 1 : 0,
      "1 if the MetalLB configuration was successfully loaded at least once.");
  metrics_.Set("metallb_k8s_client_config_stale_bool", {},
               reconciler_.config_stale() ? 1 : 0,
               "1 if running on a stale configuration, because the latest "
               "config failed to "
               "load.");
  metrics_.Clear("metallb_allocator_addresses_total");
  metrics_.Clear("metallb_allocator_addresses_in_use_total");
  for (const ipam::PoolUsage& u : reconciler_.allocator().Usage()) {
    cmd::Labels labels = {{"pool", u.pool}};
    if (u.family == IpFamily::kV6) labels.push_back({"family", "IPv6"});
    metrics_.Set("metallb_allocator_addresses_total", labels,
                 static_cast<double>(u.capacity),
                 "Number of usable IP addresses, per pool");
    metrics_.Set("metallb_allocator_addresses_in_use_total", labels,
                 static_cast<double>(u.in_use),
                 "Number of IP addresses in use, per pool");
  }
}

}  // namespace lb::controller
