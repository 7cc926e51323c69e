#include "cmd/common/status_server.h"

#include <httplib.h>

#include <chrono>

#include "absl/strings/str_cat.h"

namespace lb::cmd {

absl::StatusOr<std::unique_ptr<StatusServer>> StatusServer::Start(
    Metrics& metrics, StatusServerOptions options) {
  auto server = std::make_unique<httplib::Server>();
  server->Get("/metrics", [&metrics, before = options.before_metrics](
                              const httplib::Request&, httplib::Response& res) {
    if (before) before();
    res.set_content(metrics.Render(), "text/plain; version=0.0.4");
  });
  server->Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  server->Get("/readyz", [ready = options.ready, not_ready = options.not_ready](
                             const httplib::Request&, httplib::Response& res) {
    bool ok = !ready || ready();
    res.status = ok ? 200 : 503;
    res.set_content(ok ? "ok\n" : not_ready, "text/plain");
  });
  int port =
      options.port == 0
          ? server->bind_to_any_port(options.host)
          : (server->bind_to_port(options.host, options.port) ? options.port
                                                              : -1);
  if (port <= 0) {
    return absl::UnavailableError(absl::StrCat(
        "cannot serve metrics on ", options.host, ":", options.port));
  }
  return std::unique_ptr<StatusServer>(
      new StatusServer(std::move(server), port));
}

StatusServer::StatusServer(std::unique_ptr<httplib::Server> server, int port)
    : server_(std::move(server)), port_(port) {
  thread_ = std::thread([this] {
    server_->listen_after_bind();
    done_ = true;
  });
}

StatusServer::~StatusServer() {
  // stop() only ends a server already listening: wait for it to start (or to
  // have failed) first.
  while (!server_->is_running() && !done_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  server_->stop();
  thread_.join();
}

absl::StatusOr<std::unique_ptr<StatusServer>> StartStatusServer(
    Metrics& metrics, StatusServerOptions options, Logger& logger) {
  absl::StatusOr<std::unique_ptr<StatusServer>> server =
      StatusServer::Start(metrics, std::move(options));
  if (server.ok()) {
    LB_LOG_INFO(logger) << "serving /metrics, /healthz and /readyz on port "
                        << (*server)->port();
  } else {
    LB_LOG_ERROR(logger) << "cannot start: " << server.status().message();
  }
  return server;
}

}  // namespace lb::cmd
