// cmd/common/status_server.h
//
// The HTTP endpoints every daemon serves for Prometheus and the kubelet:
// /metrics (the registry in the text exposition format), /healthz (200 while
// the process serves) and /readyz (200 once `ready` says so, else 503 with
// `not_ready` as the body).
//
//   StatusServerOptions o;
//   o.port = 7472;
//   o.ready = [&] { return daemon.ready(); };
//   o.before_metrics = [&] { daemon.UpdateMetrics(); };
//   LB_ASSIGN_OR_RETURN(auto server, StatusServer::Start(metrics, o));
//
// Thread-safety: the callbacks run on the server's threads, concurrently.

#ifndef LB_CMD_COMMON_STATUS_SERVER_H_
#define LB_CMD_COMMON_STATUS_SERVER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "cmd/common/klog.h"
#include "cmd/common/metrics.h"

namespace httplib {
class Server;
}

namespace lb::cmd {

struct StatusServerOptions {
  std::string host = "0.0.0.0";
  int port = 7472;  // 0 picks a free port.
  // Readiness; null: always ready.
  std::function<bool()> ready;
  std::string not_ready = "not ready\n";
  // Runs before each /metrics render (copying library counters in). May be
  // null.
  std::function<void()> before_metrics;
};

class StatusServer {
 public:
  // Unavailable when the address cannot be bound. `metrics` must outlive the
  // server.
  static absl::StatusOr<std::unique_ptr<StatusServer>> Start(
      Metrics& metrics, StatusServerOptions options);
  ~StatusServer();  // Stops serving.

  int port() const { return port_; }

 private:
  StatusServer(std::unique_ptr<httplib::Server> server, int port);
  std::unique_ptr<httplib::Server> server_;
  int port_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

// StatusServer::Start, logging "serving /metrics, /healthz and /readyz on
// port N" (tests and benchmarks read the port from it) or the error.
absl::StatusOr<std::unique_ptr<StatusServer>> StartStatusServer(
    Metrics& metrics, StatusServerOptions options, Logger& logger);

}  // namespace lb::cmd

#endif  // LB_CMD_COMMON_STATUS_SERVER_H_
