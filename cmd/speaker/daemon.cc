#include "cmd/speaker/daemon.h"

#include <grpcpp/grpcpp.h>
#include <malloc.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"
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

Daemon::Daemon(DaemonOptions options, SpeakerIo io, cmd::Logger& logger,
               cmd::Metrics& metrics)
    : options_(std::move(options)),
      io_(std::move(io)),
      clock_(*io_.clock),
      client_(*io_.client),
      logger_(logger),
      metrics_(metrics),
      log_adapter_(logger) {}

Daemon::~Daemon() { Stop(/*graceful=*/false); }

absl::StatusOr<std::map<std::string, std::string>> Daemon::WaitForSecret() {
  const MonoTime deadline = clock_.Monotonic() + options_.secret_wait;
  bool logged = false;
  while (true) {
    absl::StatusOr<k8s::json> got =
        client_.Get(k8s::kSecrets, options_.ns, options_.channel_secret);
    if (got.ok()) {
      LB_ASSIGN_OR_RETURN(k8s::Secret secret,
                          Annotate(k8s::Secret::FromJson(*got),
                                   absl::StrCat("Secret ", options_.ns, "/",
                                                options_.channel_secret)));
      return secret.data;
    }
    if (clock_.Monotonic() >= deadline) {
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
  if (absl::Status s = heartbeats_.set_peers(peers); !s.ok()) {
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
                     {{"ip", address.ToString()},
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

absl::Status Daemon::Start() {
  if (options_.node.empty()) {
    return absl::InvalidArgumentError(
        "no node name: set --node-name or METALLB_NODE_NAME");
  }
  LB_ASSIGN_OR_RETURN(auto secret, WaitForSecret());
  absl::StatusOr<channel::ChannelPki> pki = channel::FromSecretData(secret);
  if (!pki.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("Secret ", options_.ns, "/", options_.channel_secret, ": ",
                     pki.status().message()));
  }

  k8s::InformerOptions trimmed;
  trimmed.transform = k8s::DropManagedFields;
  nodes_ =
      std::make_unique<k8s::Informer>(client_, clock_, k8s::kNodes, trimmed);
  k8s::EventHandlers on_nodes;
  on_nodes.on_add = [this](const k8s::json&) {
    if (heartbeats_ready_) UpdatePeers();
  };
  on_nodes.on_update = [this](const k8s::json&, const k8s::json&) {
    if (heartbeats_ready_) UpdatePeers();
  };
  on_nodes.on_delete = on_nodes.on_add;
  nodes_->AddHandlers(on_nodes);
  nodes_->Start();
  if (!nodes_->WaitForSync(absl::Seconds(30))) {
    return absl::UnavailableError("cannot list Nodes from the API server");
  }
  LB_RETURN_IF_ERROR(ResolveNodeIp());

  const std::string local = HostPort(options_.node_ip, options_.heartbeat_port);
  LB_ASSIGN_OR_RETURN(heartbeats_,
                      Annotate(io_.open_heartbeats(local),
                               absl::StrCat("heartbeats on ", local)));
  heartbeats_ready_ = true;
  UpdatePeers();

  arp::ResponderOptions responder_options = options_.responder;
  responder_options.log = &log_adapter_;
  responder_options.on_conflict = [this](const arp::Conflict& c) {
    LB_LOG_WARNING(logger_)
        << "another host (" << c.other_mac.ToString() << ") claims "
        << c.address.ToString() << " on " << c.interface;
  };
  LB_ASSIGN_OR_RETURN(responder_,
                      arp::Responder::Create(clock_, *io_.links, *io_.packets,
                                             responder_options));
  LB_RETURN_IF_ERROR(responder_->Start());

  lease_store_ = std::make_unique<election::K8sLeaseStore>(client_);
  election::MembershipOptions m = options_.membership;
  m.node = options_.node;
  m.ns = options_.ns;
  m.hmac_key = HeartbeatKey(pki->client_key);
  m.on_claims_changed = [this](const std::vector<std::string>&) {
    absl::MutexLock lock(&mu_);
    ApplyClaims();
  };
  LB_ASSIGN_OR_RETURN(membership_, election::Membership::Create(
                                       *lease_store_, *heartbeats_.transport,
                                       clock_, std::move(m)));
  network_thread_ = std::thread([this] { membership_->RunNetworkLoop(); });
  store_thread_ = std::thread([this] { membership_->RunStoreLoop(); });

  channel::Subscriber::Options sub;
  sub.node = options_.node;
  sub.clock = &clock_;
  subscriber_ = std::make_unique<channel::Subscriber>(
      io_.dial_controller(options_.channel_plaintext ? nullptr : &*pki), sub,
      [this](const channel::ReceivedState& state) {
        OnDesired(state);
        ready_ = true;
      },
      [this](const std::string& why) {
        LB_LOG_WARNING(logger_) << "refused: " << why;
      });
  subscriber_->Start();

  LB_LOG_INFO(logger_) << "node " << options_.node << " (" << options_.node_ip
                       << ") speaking; channel"
                       << (options_.channel_plaintext ? " (plaintext)"
                                                      : " (mutual TLS)")
                       << ", heartbeats on " << heartbeats_.local_address;
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
}

}  // namespace lb::speaker
