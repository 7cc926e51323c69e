// cmd/speaker/daemon.h
//
// The speaker daemon on one node: receives the desired announcements from the
// controller over the channel, decides with lib/election which of them this
// node owns, and answers ARP/NDP for those with lib/arp.
//
//  * Channel: mTLS with the client certificate from the Secret the controller
//    creates (`metallb-channel`), or plaintext behind an explicit option.
//  * Membership: per-node Lease plus authenticated UDP heartbeats to the
//    other speakers, whose addresses come from the Node objects (InternalIP of
//    this node's family). The heartbeat key is derived from the channel CA key
//    in the same Secret, so every speaker agrees without extra configuration.
//  * While the controller or the API server is unreachable the last state
//    stays in force. Stop(graceful) hands the addresses over at once.
//
// Every side effect comes in through SpeakerIo, built by main (the real API
// client, UDP heartbeats, netlink, AF_PACKET, the gRPC channel) or by a test
// (the in-memory client, the fake network, fake links and packet conns, an
// in-process channel). The daemon serves no HTTP itself: main serves its
// metrics (UpdateMetrics fills them, MetalLB's names plus failover latency)
// and readiness (ready()).
//
// Thread-safety: Start and Stop from one thread; ready() and UpdateMetrics()
// from any thread once Start returned OK.

#ifndef LB_CMD_SPEAKER_DAEMON_H_
#define LB_CMD_SPEAKER_DAEMON_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cmd/channel/credentials.h"
#include "cmd/channel/subscriber.h"
#include "cmd/common/klog.h"
#include "cmd/common/metrics.h"
#include "cmd/speaker/announcements.h"
#include "lib/arp/link_watcher.h"
#include "lib/arp/log_sink.h"
#include "lib/arp/packet_conn.h"
#include "lib/arp/responder.h"
#include "lib/base/clock.h"
#include "lib/election/k8s_lease_store.h"
#include "lib/election/membership.h"
#include "lib/election/transport.h"
#include "lib/k8s/client.h"
#include "lib/k8s/informer.h"

namespace grpc {
class Channel;
}

namespace lb::speaker {

// The heartbeat endpoint of this node, opened once its address is known.
struct Heartbeats {
  std::unique_ptr<election::HeartbeatTransport> transport;
  // Replaces the peers heartbeats go to ("ip:port" each), from the Nodes.
  std::function<absl::Status(const std::vector<std::string>& peers)> set_peers;
  // For the log: where heartbeats are received.
  std::string local_address;
};

// What the speaker does to the world, all of it.
struct SpeakerIo {
  Clock* clock = nullptr;
  k8s::Client* client = nullptr;
  arp::LinkWatcher* links = nullptr;
  arp::PacketConnFactory* packets = nullptr;
  // Opens the heartbeat endpoint on this node's address ("ip:port").
  std::function<absl::StatusOr<Heartbeats>(const std::string& local)>
      open_heartbeats;
  // The channel to the controller; `pki` is null in plaintext mode.
  std::function<std::shared_ptr<grpc::Channel>(const channel::ChannelPki* pki)>
      dial_controller;
};

struct DaemonOptions {
  std::string node;  // Required: this node's name.
  // This node's address; heartbeats are sent from and received on it. Empty:
  // the Node's InternalIP.
  std::string node_ip;
  // Connect to the controller without TLS (SpeakerIo::dial_controller is
  // then given no credentials).
  bool channel_plaintext = false;
  std::string channel_secret = "metallb-channel";
  std::string ns = "metallb-system";
  int heartbeat_port = 7946;
  // How long Start waits for the channel Secret the controller creates.
  absl::Duration secret_wait = absl::Minutes(2);
  election::MembershipOptions membership;  // node/ns/key/callback are set.
  arp::ResponderOptions responder;         // log is set.
};

class Daemon {
 public:
  // Everything `io` points at, `logger` and `metrics` must outlive the
  // daemon.
  Daemon(DaemonOptions options, SpeakerIo io, cmd::Logger& logger,
         cmd::Metrics& metrics);
  ~Daemon();

  // Connects and starts every part. Errors name what could not start.
  absl::Status Start();
  // graceful: leave the membership first so peers take over at once.
  void Stop(bool graceful);

  // True once the first state from the controller has been applied.
  bool ready() const { return ready_.load(); }
  // Copies the parts' counters and state into the metrics.
  void UpdateMetrics();

 private:
  class LogAdapter : public arp::LogSink {
   public:
    explicit LogAdapter(cmd::Logger& logger) : logger_(logger) {}
    void Log(arp::LogLevel level, absl::string_view message) override;

   private:
    cmd::Logger& logger_;
  };

  absl::StatusOr<std::map<std::string, std::string>> WaitForSecret();
  absl::Status ResolveNodeIp();
  void UpdatePeers();
  void OnDesired(const channel::ReceivedState& state);
  // Brings the responder in line with the current claims and desired state.
  void ApplyClaims() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  DaemonOptions options_;
  const SpeakerIo io_;
  Clock& clock_;
  k8s::Client& client_;
  cmd::Logger& logger_;
  cmd::Metrics& metrics_;
  LogAdapter log_adapter_;

  std::unique_ptr<k8s::Informer> nodes_;
  std::unique_ptr<election::K8sLeaseStore> lease_store_;
  Heartbeats heartbeats_;
  std::unique_ptr<election::Membership> membership_;
  std::unique_ptr<arp::Responder> responder_;
  std::unique_ptr<channel::Subscriber> subscriber_;
  std::thread network_thread_;
  std::thread store_thread_;

  absl::Mutex mu_;
  Announcements announcements_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> peers_ ABSL_GUARDED_BY(mu_);

  // heartbeats_ is set; Node events use it.
  std::atomic<bool> heartbeats_ready_{false};
  std::atomic<bool> ready_{false};
  std::atomic<bool> stopped_{false};
};

}  // namespace lb::speaker

#endif  // LB_CMD_SPEAKER_DAEMON_H_
