// The controller: assigns addresses from configured pools to LoadBalancer
// Services and tells the speakers what to announce. `--check-config FILE`
// validates a config instead.

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "cmd/channel/network.h"
#include "cmd/common/klog.h"
#include "cmd/common/process.h"
#include "cmd/controller/check_config.h"
#include "cmd/controller/command_line.h"
#include "lib/base/clock.h"

int main(int argc, char** argv) {
  lb::cmd::TerminationSignals signals;
  lb::controller::CommandLine cl =
      lb::controller::ParseCommandLineOrExit(argc, argv);
  if (!cl.check_config.empty()) {
    return lb::controller::CheckConfigFile(cl.check_config, std::cout);
  }
  // One malloc arena for all threads. With two, which threads share one is
  // left to chance, and a run in which the informers and the work loop land in
  // different arenas ends with a third more memory, mostly free pieces between
  // live objects.
  lb::cmd::TuneMalloc(/*arenas=*/1);
  lb::RealClock clock;
  lb::cmd::Logger logger(std::cerr);
  lb::cmd::Metrics metrics;
  LB_LOG_INFO(logger) << "MetalLB controller version 0.1.0 starting";
  auto client = lb::cmd::ConnectToApiServer(cl.api, clock, logger);
  if (!client.ok()) {
    LB_LOG_ERROR(logger) << "cannot start: " << client.status().message();
    return 1;
  }
  lb::controller::ControllerIo io;
  io.clock = &clock;
  io.client = client->get();
  io.serve_channel = [&cl](grpc::Service* service,
                           std::shared_ptr<grpc::ServerCredentials> creds) {
    return lb::channel::Serve(
        absl::StrCat(cl.channel_host, ":", cl.channel_port), service,
        std::move(creds));
  };
  // The daemon asks to end the process (e.g. the Lease was lost): exit 1.
  std::atomic<bool> fatal{false};
  cl.daemon.on_fatal = [&fatal] {
    fatal = true;
    kill(getpid(), SIGTERM);
  };

  lb::controller::Daemon daemon(cl.daemon, io, logger, metrics);
  // Served from the start: a standby replica is healthy but not ready.
  cl.status.ready = [&daemon] { return daemon.ready(); };
  cl.status.not_ready = "not synced\n";
  auto status = lb::cmd::StartStatusServer(metrics, cl.status, logger);
  if (!status.ok()) return 1;
  if (absl::Status s = daemon.Start(); !s.ok()) {
    LB_LOG_ERROR(logger) << "cannot start: " << s.message();
    return 1;
  }
  int sig = signals.Wait();
  LB_LOG_INFO(logger) << "received signal " << sig << ", shutting down";
  daemon.Stop();
  return fatal ? 1 : 0;
}
