// The speaker: makes one healthy node answer ARP/NDP for each address the
// controller assigned, and hands over at once on SIGTERM.

#include <malloc.h>
#include <signal.h>

#include <cstdlib>
#include <iostream>
#include <map>
#include <string>

#include "absl/strings/numbers.h"
#include "cmd/common/klog.h"
#include "cmd/common/metrics.h"
#include "cmd/speaker/daemon.h"
#include "lib/base/clock.h"

namespace {

constexpr char kUsage[] =
    "usage: speaker [flags]\n"
    "\n"
    "Answers ARP and NDP for the load-balancer addresses this node owns.\n"
    "\n"
    "  --node-name NAME      this node (default $METALLB_NODE_NAME)\n"
    "  --node-ip IP          this node's address for heartbeats (default\n"
    "                        $METALLB_NODE_IP, else the Node's InternalIP)\n"
    "  --controller ADDR     the controller's channel, host:port (default\n"
    "                        controller.metallb-system.svc:7473)\n"
    "  --channel-plaintext   connect without TLS (local demos only)\n"
    "  --kubeconfig FILE     API server access (default: in-cluster)\n"
    "  --namespace NS        MetalLB's namespace (default $METALLB_NAMESPACE "
    "or\n"
    "                        metallb-system)\n"
    "  --port N              /metrics, /healthz, /readyz (default 7472)\n"
    "  --heartbeat-port N    UDP port for speaker heartbeats (default 7946)\n"
    "  --help                show this help\n";

int Fail(const std::string& message) {
  std::cerr << "speaker: " << message << "\n" << kUsage;
  return 2;
}

bool ParsePort(const std::string& value, int& port) {
  return absl::SimpleAtoi(value, &port) && port >= 0 && port <= 65535;
}

}  // namespace

int main(int argc, char** argv) {
  lb::speaker::DaemonOptions options;
  if (const char* v = std::getenv("METALLB_NODE_NAME")) options.node = v;
  if (const char* v = std::getenv("METALLB_NODE_IP")) options.node_ip = v;
  if (const char* v = std::getenv("METALLB_NAMESPACE")) options.ns = v;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (arg.rfind("--", 0) != 0) {
      return Fail("unexpected argument \"" + arg + "\"");
    }
    size_t eq = arg.find('=');
    std::string name =
        arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    if (name == "channel-plaintext") {
      options.channel_plaintext = true;
      continue;
    }
    if (name == "logtostderr") continue;
    std::string value;
    if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      return Fail("flag --" + name + " needs a value");
    }
    if (name == "node-name") {
      options.node = value;
    } else if (name == "node-ip") {
      options.node_ip = value;
    } else if (name == "controller") {
      options.controller = value;
    } else if (name == "kubeconfig") {
      options.kubeconfig = value;
    } else if (name == "namespace") {
      options.ns = value;
    } else if (name == "port" || name == "heartbeat-port") {
      int port = 0;
      if (!ParsePort(value, port)) {
        return Fail("--" + name + " takes a port number, not \"" + value +
                    "\"");
      }
      (name == "port" ? options.metrics_port : options.heartbeat_port) = port;
    } else {
      return Fail("unknown flag --" + name);
    }
  }

  // SIGTERM hands over and exits; SIGINT too. Wait for them on this thread.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  // Two malloc arenas instead of one per thread: the gRPC and informer threads
  // otherwise each keep their own freed memory. A fixed mmap threshold: glibc
  // would otherwise raise it to the size of the largest buffer freed (a
  // snapshot's message), and later buffers of that size would stay in the heap.
  mallopt(M_ARENA_MAX, 2);
  mallopt(M_MMAP_THRESHOLD, 128 << 10);
  lb::RealClock clock;
  lb::cmd::Logger logger(std::cerr);
  lb::cmd::Metrics metrics;
  LB_LOG_INFO(logger) << "MetalLB speaker version 0.1.0 starting on node "
                      << options.node;
  lb::speaker::Daemon daemon(options, clock, logger, metrics);
  if (absl::Status s = daemon.Start(); !s.ok()) {
    LB_LOG_ERROR(logger) << "cannot start: " << s.message();
    return 1;
  }
  int sig = 0;
  sigwait(&signals, &sig);
  LB_LOG_INFO(logger) << "received signal " << sig
                      << ", handing over and shutting down";
  daemon.Stop(/*graceful=*/true);
  return 0;
}
