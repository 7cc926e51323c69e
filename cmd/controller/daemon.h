// cmd/controller/daemon.h
//
// The controller daemon: informers on Services, EndpointSlices, Nodes and the
// config ConfigMap feed one work loop that runs the Reconciler, writes Service
// status with merge patches on /status, records Events, and publishes the
// desired announcement state on the gRPC channel. /metrics, /healthz and
// /readyz are served over HTTP.
//
// With leader election (the default) several replicas may run: one holds the
// Lease `lease_name` and acts; the others serve /healthz, report not-ready on
// /readyz and wait. An active controller that loses the Lease calls on_fatal
// (the process then exits and is restarted, as client-go's controllers do).
//
// Thread-safety: Start and Stop from one thread.

#ifndef LB_CMD_CONTROLLER_DAEMON_H_
#define LB_CMD_CONTROLLER_DAEMON_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cmd/channel/network.h"
#include "cmd/channel/publisher.h"
#include "cmd/common/klog.h"
#include "cmd/common/metrics.h"
#include "cmd/controller/reconciler.h"
#include "lib/base/clock.h"
#include "lib/election/k8s_lease_store.h"
#include "lib/election/leader_elector.h"
#include "lib/k8s/client.h"
#include "lib/k8s/events.h"
#include "lib/k8s/informer.h"
#include "lib/k8s/objects.h"
#include "lib/k8s/workqueue.h"

namespace lb::controller {

// What the controller does to the world, all of it.
struct ControllerIo {
  Clock* clock = nullptr;
  k8s::Client* client = nullptr;
  // Starts serving `service` (the speakers' channel) with `creds`, from the
  // channel Secret (insecure credentials in plaintext mode).
  std::function<absl::StatusOr<channel::ServingChannel>(
      grpc::Service* service, std::shared_ptr<grpc::ServerCredentials> creds)>
      serve_channel;
};

struct DaemonOptions {
  // Serve the channel without TLS. Only for local demos and tests.
  bool channel_plaintext = false;
  std::string ns = "metallb-system";
  std::string config_name = "config";
  std::string channel_secret = "metallb-channel";
  // Names in the channel's server certificate.
  std::vector<std::string> channel_names = {
      "controller.metallb-system.svc",
      "controller.metallb-system.svc.cluster.local"};
  std::string load_balancer_class;
  // Unique per replica: the Lease holder and the Events' source host.
  std::string identity = "controller";
  bool leader_elect = true;
  std::string lease_name = "metallb-controller";
  // Called when the process must end: the Lease was lost, or activation
  // failed after it was won. May run on any thread.
  std::function<void()> on_fatal;
};

class Daemon {
 public:
  // Everything `io` points at, `logger` and `metrics` must outlive the
  // daemon.
  Daemon(DaemonOptions options, ControllerIo io, cmd::Logger& logger,
         cmd::Metrics& metrics);
  ~Daemon();

  // Starts the informers, the channel and the work loop (at once, or once
  // the Lease is won). Returns once all are running; errors name what could
  // not start.
  absl::Status Start();
  void Stop();

  // True once the first full sync has been processed.
  bool ready() const { return ready_.load(); }

 private:
  // Starts acting: the channel, the informers and the work loop.
  absl::Status Activate();
  void Work();
  void Process(const std::string& key);
  // Carries out `actions`; adds to `retry` the queue key of each Service whose
  // status write failed.
  void Apply(const Actions& actions, std::set<std::string>* retry);
  // Refreshes the metrics copied from the reconciler (work loop only).
  void UpdateMetrics();
  // metallb_controller_channel_streams from the channel's open streams.
  void UpdateStreamMetrics();
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ChannelCredentials();

  const DaemonOptions options_;
  const ControllerIo io_;
  Clock& clock_;
  k8s::Client& client_;
  cmd::Logger& logger_;
  cmd::Metrics& metrics_;

  std::unique_ptr<k8s::EventRecorder> recorder_;
  std::unique_ptr<k8s::WorkQueue> queue_;
  std::unique_ptr<k8s::Informer> services_;
  std::unique_ptr<k8s::Informer> slices_;
  // The slices informer keeps no objects (the reconciler keeps a summary of
  // each): the summary of an EndpointSlice's latest state waits here, by
  // queue key, from its event until it is processed; nullopt once deleted.
  absl::Mutex pending_mu_;
  std::map<std::string, std::optional<SliceSummary>> pending_slices_
      ABSL_GUARDED_BY(pending_mu_);
  std::unique_ptr<k8s::Informer> nodes_;
  std::unique_ptr<k8s::Informer> configmaps_;
  Reconciler reconciler_;
  channel::Publisher publisher_;
  std::unique_ptr<channel::AssignmentsService> service_;
  absl::Mutex stream_metrics_mu_;
  std::unique_ptr<grpc::Server> grpc_server_;
  std::unique_ptr<election::K8sLeaseStore> lease_store_;
  std::unique_ptr<election::LeaderElector> elector_;
  std::thread elector_thread_;
  std::thread activator_;
  std::thread worker_;
  std::thread syncer_;
  std::atomic<bool> ready_{false};
  std::atomic<bool> stopping_{false};
};

}  // namespace lb::controller

#endif  // LB_CMD_CONTROLLER_DAEMON_H_
