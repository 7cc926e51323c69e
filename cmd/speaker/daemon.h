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
// /metrics (MetalLB's metric names plus failover latency), /healthz and
// /readyz are served over HTTP.
//
// Thread-safety: Start and Stop from one thread.

#ifndef LB_CMD_SPEAKER_DAEMON_H_
#define LB_CMD_SPEAKER_DAEMON_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "cmd/channel/subscriber.h"
#include "cmd/common/klog.h"
#include "cmd/common/metrics.h"
#include "cmd/speaker/announcements.h"
#include "lib/arp/af_packet_conn.h"
#include "lib/arp/log_sink.h"
#include "lib/arp/netlink_link_watcher.h"
#include "lib/arp/responder.h"
#include "lib/base/clock.h"
#include "lib/election/k8s_lease_store.h"
#include "lib/election/membership.h"
#include "lib/election/udp_transport.h"
#include "lib/k8s/client.h"
#include "lib/k8s/informer.h"

namespace httplib {
class Server;
}

namespace lb::speaker {

struct DaemonOptions {
  std::string node;  // Required: this node's name.
  // This node's address; heartbeats are sent from and received on it. Empty:
  // the Node's InternalIP.
  std::string node_ip;
  // Kubeconfig file; empty: the in-cluster configuration.
  std::string kubeconfig;
  // The controller's channel, host:port.
  std::string controller = "controller.metallb-system.svc:7473";
  bool channel_plaintext = false;
  // The name the controller's certificate carries (checked instead of the
  // host in `controller`, which may be an IP).
  std::string channel_server_name = "controller.metallb-system.svc";
  std::string channel_secret = "metallb-channel";
  std::string ns = "metallb-system";
  std::string listen_host = "0.0.0.0";
  int metrics_port = 7472;  // 0 picks a free port.
  int heartbeat_port = 7946;
  // How long Start waits for the channel Secret the controller creates.
  absl::Duration secret_wait = absl::Minutes(2);
  election::MembershipOptions membership;  // node/ns/key/callback are set.
  arp::ResponderOptions responder;         // log is set.
};

class Daemon {
 public:
  // `clock`, `logger` and `metrics` must outlive the daemon.
  Daemon(DaemonOptions options, Clock& clock, cmd::Logger& logger,
         cmd::Metrics& metrics);
  ~Daemon();

  // Connects and starts every part. Errors name what could not start.
  absl::Status Start();
  // graceful: leave the membership first so peers take over at once.
  void Stop(bool graceful);

  int metrics_port() const { return metrics_port_; }

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
  void UpdateMetrics();
  absl::Status StartHttp();

  DaemonOptions options_;
  Clock& clock_;
  cmd::Logger& logger_;
  cmd::Metrics& metrics_;
  LogAdapter log_adapter_;

  std::unique_ptr<k8s::Client> client_;
  std::unique_ptr<k8s::Informer> nodes_;
  std::unique_ptr<election::K8sLeaseStore> lease_store_;
  std::unique_ptr<election::UdpTransport> udp_;
  std::unique_ptr<election::Membership> membership_;
  std::unique_ptr<arp::NetlinkLinkWatcher> links_;
  arp::AfPacketConnFactory packets_;
  std::unique_ptr<arp::Responder> responder_;
  std::unique_ptr<channel::Subscriber> subscriber_;
  std::unique_ptr<httplib::Server> http_server_;
  std::thread http_thread_;
  std::thread network_thread_;
  std::thread store_thread_;

  absl::Mutex mu_;
  Announcements announcements_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> peers_ ABSL_GUARDED_BY(mu_);

  std::atomic<bool> udp_ready_{false};  // udp_ is set; Node events use it.
  std::atomic<bool> ready_{false};
  std::atomic<bool> stopped_{false};
  int metrics_port_ = 0;
};

}  // namespace lb::speaker

#endif  // LB_CMD_SPEAKER_DAEMON_H_
