#include "cmd/speaker/daemon.h"

#include <grpcpp/grpcpp.h>
#include <httplib.h>
#include <malloc.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "cmd/channel/credentials.h"
#include "lib/k8s/config.h"
#include "lib/k8s/objects.h"

namespace lb::speaker {
namespace {

// The heartbeat key: HMAC-SHA256 of a fixed label under the channel client
// key, which every speaker reads from the same Secret.
std::string HeartbeatKey(const std::string& secret) {
  static constexpr char kLabel[] = "metallb speaker heartbeat key v1";
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(kLabel), sizeof(kLabel) - 1, out,
       &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

bool IsV6(const std::string& ip) { return ip.find(':') != std::string::npos; }

std::string HostPort(const std::string& ip, int port) {
  return IsV6(ip) ? absl::StrCat("[", ip, "]:", port)
                  : absl::StrCat(ip, ":", port);
}

}  // namespace

void Daemon::LogAdapter::Log(arp::LogLevel level, absl::string_view message) {
  switch (level) {
    case arp::LogLevel::kInfo:
      LB_LOG_INFO(logger_) << message;
      break;
    case arp::LogLevel::kWarning:
      LB_LOG_WARNING(logger_) << message;
      break;
    case arp::LogLevel::kError:
      LB_LOG_ERROR(logger_) << message;
      break;
  }
}

Daemon::Daemon(DaemonOptions options, Clock& clock, cmd::Logger& logger,
               cmd::Metrics& metrics)
    : options_(std::move(options)),
      clock_(clock),
      logger_(logger),
      metrics_(metrics),
      log_adapter_(logger) {}

Daemon::~Daemon() { Stop(/*graceful=*/false); }

absl::StatusOr<std::map<std::string, std::string>> Daemon::WaitForSecret() {
  const absl::Time deadline = clock_.Now() + options_.secret_wait;
  bool logged = false;
  while (true) {
    absl::StatusOr<k8s::json> got =
        client_->Get(k8s::kSecrets, options_.ns, options_.channel_secret);
    if (got.ok()) {
      absl::StatusOr<k8s::Secret> secret = k8s::Secret::FromJson(*got);
      if (!secret.ok()) return secret.status();
      return secret->data;
    }
    if (clock_.Now() >= deadline) {
      return absl::DeadlineExceededError(
          absl::StrCat("Secret ", options_.ns, "/", options_.channel_secret,
                       " (created by the controller) is not readable: ",
                       got.status().message()));
    }
    if (!logged) {
      LB_LOG_INFO(logger_) << "waiting for Secret " << options_.ns << "/"
                           << options_.channel_secret << ": "
                           << got.status().message();
      logged = true;
    }
    clock_.Sleep(absl::Seconds(1));
  }
}

absl::Status Daemon::ResolveNodeIp() {
  if (!options_.node_ip.empty()) return absl::OkStatus();
  k8s::ObjectPtr own = nodes_->cache().Get(options_.node);
  if (own != nullptr) {
    absl::StatusOr<k8s::Node> node = k8s::Node::FromJson(*own);
    if (node.ok()) {
      for (const k8s::NodeAddress& a : node->addresses) {
        if (a.type == "InternalIP") {
          options_.node_ip = a.address;
          return absl::OkStatus();
        }
      }
    }
  }
  return absl::FailedPreconditionError(
      absl::StrCat("no address for node \"", options_.node,
                   "\": set --node-ip or METALLB_NODE_IP, or give the Node an "
                   "InternalIP"));
}

void Daemon::UpdatePeers() {
  std::vector<std::string> peers;
  for (const k8s::ObjectPtr& o : nodes_->cache().List()) {
    absl::StatusOr<k8s::Node> node = k8s::Node::FromJson(*o);
    if (!node.ok() || node->meta.name == options_.node) continue;
    for (const k8s::NodeAddress& a : node->addresses) {
      if (a.type == "InternalIP" && IsV6(a.address) == IsV6(options_.node_ip)) {
        peers.push_back(HostPort(a.address, options_.heartbeat_port));
        break;
      }
    }
  }
  std::sort(peers.begin(), peers.end());
  absl::MutexLock lock(&mu_);
  if (peers == peers_) return;
  if (absl::Status s = udp_->SetPeers(peers); !s.ok()) {
    LB_LOG_WARNING(logger_) << "heartbeat peers not updated: " << s.message();
    return;
  }
  peers_ = std::move(peers);
  LB_LOG_INFO(logger_) << "heartbeat peers: " << peers_.size() << " nodes";
}

void Daemon::OnDesired(const channel::ReceivedState& state) {
  absl::MutexLock lock(&mu_);
  LB_LOG_INFO(logger_) << "Start config update (generation " << state.generation
                       << ", " << state.announcements->size() << " addresses)";
  if (absl::Status s =
          membership_->SetAddresses(announcements_.SetDesired(state));
      !s.ok()) {
    LB_LOG_ERROR(logger_) << "desired state not applied: " << s.message();
  }
  ApplyClaims();
  // A large state leaves freed buffers behind; give them back (glibc keeps
  // them otherwise).
  if (state.announcements->size() >= 1000) malloc_trim(0);
  LB_LOG_INFO(logger_) << "End config update";
}

void Daemon::ApplyClaims() {
  // Always the current claims, so a late callback never applies a stale set.
  Announcements::Change change = announcements_.SetClaimed(
      stopped_ ? std::vector<std::string>{} : membership_->Claimed());
  if (absl::Status s = responder_->SetAddresses(change.addresses); !s.ok()) {
    LB_LOG_ERROR(logger_) << "responder not updated: " << s.message();
  }
  for (const std::string& line : change.log) LB_LOG_INFO(logger_) << line;
}

void Daemon::UpdateMetrics() {
  {
    absl::MutexLock lock(&mu_);
    metrics_.Clear("metallb_speaker_announced");
    for (const auto& [address, services] : announcements_.announced()) {
      for (const std::string& service : services) {
        metrics_.Set("metallb_speaker_announced",
                     {{"ip", address},
                      {"node", options_.node},
                      {"protocol", "layer2"},
                      {"service", service}},
                     1, "The service is announced from this node");
      }
    }
  }
  arp::CountersSnapshot c = responder_->Counters();
  // Only the addresses held now: one that moved away leaves no series.
  for (const char* name :
       {"metallb_layer2_requests_received", "metallb_layer2_responses_sent",
        "metallb_layer2_gratuitous_sent"}) {
    metrics_.Clear(name);
  }
  for (const auto& [ip, a] : c.per_address) {
    cmd::Labels labels = {{"ip", ip.ToString()}};
    metrics_.SetCounter("metallb_layer2_requests_received", labels,
                        a.requests_seen, "Number of layer2 requests received");
    metrics_.SetCounter("metallb_layer2_responses_sent", labels, a.replies_sent,
                        "Number of layer2 responses sent");
    metrics_.SetCounter("metallb_layer2_gratuitous_sent", labels,
                        a.announcements_sent,
                        "Number of gratuitous layer2 packets sent");
  }
  metrics_.SetCounter("metallb_layer2_malformed_frames_total", {}, c.malformed,
                      "Frames dropped as malformed");
  metrics_.SetCounter("metallb_layer2_conflicts_total", {}, c.conflicts,
                      "Frames showing another host claiming an owned address");

  election::MembershipSnapshot m = membership_->Snapshot();
  metrics_.Set("metallb_speaker_members_heard", {}, m.heard,
               "Speakers this node hears, itself included");
  metrics_.Set("metallb_speaker_members_known", {}, m.known,
               "Speakers this node knows of");
  metrics_.Set("metallb_speaker_claiming", {}, m.claiming() ? 1 : 0,
               "1 when this node may claim addresses, 0 when it is fenced");
  metrics_.SetCounter("metallb_speaker_heartbeats_unauthenticated_total", {},
                      m.stats.heartbeats_unauthenticated,
                      "Heartbeats dropped for a bad MAC");
  // Failover latency: a peer's last heartbeat to the decision that dropped it.
  const std::vector<int64_t> cumulative =
      m.detection_to_decision.CumulativeCounts();
  const std::vector<absl::Duration>& bounds = m.detection_to_decision.bounds();
  constexpr char kHist[] = "metallb_speaker_failover_detection_seconds";
  const std::string help =
      "From a lost peer's last heartbeat to the decision to take over";
  for (size_t i = 0; i < bounds.size() && i < cumulative.size(); ++i) {
    metrics_.SetCounter(
        absl::StrCat(kHist, "_bucket"),
        {{"le", absl::StrCat(absl::ToDoubleSeconds(bounds[i]))}}, cumulative[i],
        help);
  }
  metrics_.SetCounter(absl::StrCat(kHist, "_bucket"), {{"le", "+Inf"}},
                      m.detection_to_decision.count(), help);
  metrics_.SetCounter(absl::StrCat(kHist, "_count"), {},
                      m.detection_to_decision.count(), help);
  metrics_.SetCounter(absl::StrCat(kHist, "_sum"), {},
                      absl::ToDoubleSeconds(m.detection_to_decision.sum()),
                      help);
  channel::SubscriberCounters s = subscriber_->counters();
  metrics_.Set("metallb_speaker_channel_connected", {},
               subscriber_->connected() ? 1 : 0,
               "1 while the channel to the controller is up");
  metrics_.SetCounter("metallb_speaker_announcements_refused_total", {},
                      s.refused,
                      "Announcements refused (outside every pool, malformed)");
}

absl::Status Daemon::StartHttp() {
  http_server_ = std::make_unique<httplib::Server>();
  http_server_->Get(
      "/metrics", [this](const httplib::Request&, httplib::Response& res) {
        UpdateMetrics();
        res.set_content(metrics_.Render(), "text/plain; version=0.0.4");
      });
  http_server_->Get("/healthz",
                    [](const httplib::Request&, httplib::Response& res) {
                      res.set_content("ok\n", "text/plain");
                    });
  http_server_->Get(
      "/readyz", [this](const httplib::Request&, httplib::Response& res) {
        res.status = ready_ ? 200 : 503;
        res.set_content(ready_ ? "ok\n" : "no state from the controller yet\n",
                        "text/plain");
      });
  metrics_port_ = options_.metrics_port == 0
                      ? http_server_->bind_to_any_port(options_.listen_host)
                      : (http_server_->bind_to_port(options_.listen_host,
                                                    options_.metrics_port)
                             ? options_.metrics_port
                             : -1);
  if (metrics_port_ <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot serve metrics on ",
                                               options_.listen_host, ":",
                                               options_.metrics_port));
  }
  http_thread_ = std::thread([this] { http_server_->listen_after_bind(); });
  return absl::OkStatus();
}

absl::Status Daemon::Start() {
  if (options_.node.empty()) {
    return absl::InvalidArgumentError(
        "no node name: set --node-name or METALLB_NODE_NAME");
  }
  absl::StatusOr<k8s::Config> config =
      options_.kubeconfig.empty()
          ? k8s::InClusterConfig(k8s::SystemEnvironment())
          : k8s::LoadKubeconfig(options_.kubeconfig);
  if (!config.ok()) return config.status();
  absl::StatusOr<std::unique_ptr<k8s::Client>> client =
      k8s::Client::Create(*config, clock_);
  if (!client.ok()) return client.status();
  client_ = std::move(*client);

  absl::StatusOr<std::map<std::string, std::string>> secret = WaitForSecret();
  if (!secret.ok()) return secret.status();
  absl::StatusOr<channel::ChannelPki> pki = channel::FromSecretData(*secret);
  if (!pki.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("Secret ", options_.ns, "/", options_.channel_secret, ": ",
                     pki.status().message()));
  }

  k8s::InformerOptions trimmed;
  trimmed.transform = k8s::DropManagedFields;
  nodes_ =
      std::make_unique<k8s::Informer>(*client_, clock_, k8s::kNodes, trimmed);
  k8s::EventHandlers on_nodes;
  on_nodes.on_add = [this](const k8s::json&) {
    if (udp_ready_) UpdatePeers();
  };
  on_nodes.on_update = [this](const k8s::json&, const k8s::json&) {
    if (udp_ready_) UpdatePeers();
  };
  on_nodes.on_delete = on_nodes.on_add;
  nodes_->AddHandlers(on_nodes);
  nodes_->Start();
  if (!nodes_->WaitForSync(absl::Seconds(30))) {
    return absl::UnavailableError("cannot list Nodes from the API server");
  }
  if (absl::Status s = ResolveNodeIp(); !s.ok()) return s;

  absl::StatusOr<std::unique_ptr<election::UdpTransport>> udp =
      election::UdpTransport::Create(
          HostPort(options_.node_ip, options_.heartbeat_port), clock_);
  if (!udp.ok()) return udp.status();
  udp_ = std::move(*udp);
  udp_ready_ = true;
  UpdatePeers();

  absl::StatusOr<std::unique_ptr<arp::NetlinkLinkWatcher>> links =
      arp::NetlinkLinkWatcher::Create();
  if (!links.ok()) return links.status();
  links_ = std::move(*links);
  arp::ResponderOptions responder_options = options_.responder;
  responder_options.log = &log_adapter_;
  responder_options.on_conflict = [this](const arp::Conflict& c) {
    LB_LOG_WARNING(logger_)
        << "another host (" << c.other_mac.ToString() << ") claims "
        << c.address.ToString() << " on " << c.interface;
  };
  absl::StatusOr<std::unique_ptr<arp::Responder>> responder =
      arp::Responder::Create(clock_, *links_, packets_, responder_options);
  if (!responder.ok()) return responder.status();
  responder_ = std::move(*responder);
  if (absl::Status s = responder_->Start(); !s.ok()) return s;

  lease_store_ = std::make_unique<election::K8sLeaseStore>(*client_);
  election::MembershipOptions m = options_.membership;
  m.node = options_.node;
  m.ns = options_.ns;
  m.hmac_key = HeartbeatKey(pki->client_key);
  m.on_claims_changed = [this](const std::vector<std::string>&) {
    absl::MutexLock lock(&mu_);
    ApplyClaims();
  };
  absl::StatusOr<std::unique_ptr<election::Membership>> membership =
      election::Membership::Create(*lease_store_, *udp_, clock_, std::move(m));
  if (!membership.ok()) return membership.status();
  membership_ = std::move(*membership);
  network_thread_ = std::thread([this] { membership_->RunNetworkLoop(); });
  store_thread_ = std::thread([this] { membership_->RunStoreLoop(); });

  std::shared_ptr<grpc::ChannelCredentials> creds =
      options_.channel_plaintext ? grpc::InsecureChannelCredentials()
                                 : channel::ClientCredentials(*pki);
  grpc::ChannelArguments args;
  // gRPC's own reconnect backoff grows to 120 s by default; a speaker should
  // find a restarted controller within seconds. The "min" backoff is gRPC's
  // connect timeout (TCP and TLS handshake of one attempt), not a wait.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 5000);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  if (!options_.channel_plaintext) {
    args.SetSslTargetNameOverride(options_.channel_server_name);
  }
  channel::Subscriber::Options sub;
  sub.node = options_.node;
  subscriber_ = std::make_unique<channel::Subscriber>(
      grpc::CreateCustomChannel(options_.controller, creds, args), sub,
      [this](const channel::ReceivedState& state) {
        OnDesired(state);
        ready_ = true;
      },
      [this](const std::string& why) {
        LB_LOG_WARNING(logger_) << "refused: " << why;
      });
  subscriber_->Start();

  if (absl::Status s = StartHttp(); !s.ok()) return s;
  LB_LOG_INFO(logger_) << "node " << options_.node << " (" << options_.node_ip
                       << ") speaking; channel " << options_.controller
                       << (options_.channel_plaintext ? " (plaintext)" : "")
                       << ", heartbeats on " << udp_->LocalAddress()
                       << ", metrics on port " << metrics_port_;
  return absl::OkStatus();
}

void Daemon::Stop(bool graceful) {
  if (stopped_.exchange(true)) return;
  if (membership_ != nullptr) {
    if (graceful) {
      if (absl::Status s = membership_->Leave(); !s.ok()) {
        LB_LOG_WARNING(logger_) << "Lease not released: " << s.message();
      }
    }
    membership_->Stop();
  }
  if (subscriber_ != nullptr) subscriber_->Stop();
  if (network_thread_.joinable()) network_thread_.join();
  if (store_thread_.joinable()) store_thread_.join();
  if (responder_ != nullptr) {
    absl::MutexLock lock(&mu_);
    ApplyClaims();  // Stopped: answers nothing from here on.
  }
  if (responder_ != nullptr) responder_->Stop();
  if (nodes_ != nullptr) nodes_->Stop();
  if (http_server_ != nullptr) http_server_->stop();
  if (http_thread_.joinable()) http_thread_.join();
}

}  // namespace lb::speaker
