// The controller: assigns addresses from configured pools to LoadBalancer
// Services and tells the speakers what to announce. `--check-config FILE`
// validates a config instead.

#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <map>
#include <random>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "cmd/common/klog.h"
#include "cmd/common/metrics.h"
#include "cmd/controller/check_config.h"
#include "cmd/controller/daemon.h"
#include "lib/base/clock.h"

namespace {

constexpr char kUsage[] =
    "usage: controller [flags]\n"
    "       controller --check-config FILE\n"
    "\n"
    "Assigns addresses from configured pools to LoadBalancer Services.\n"
    "\n"
    "  --check-config FILE   validate FILE (the ConfigMap manifest, or the "
    "bare config\n"
    "                        YAML), print the pools and their capacities or "
    "every error\n"
    "                        with its line, and exit: 0 valid, 1 invalid\n"
    "  --kubeconfig FILE     API server access (default: in-cluster)\n"
    "  --port N              /metrics, /healthz, /readyz (default 7472)\n"
    "  --channel-port N      the speakers' gRPC channel (default 7473)\n"
    "  --channel-plaintext   serve the channel without TLS (local demos only)\n"
    "  --namespace NS        where the config lives (default "
    "$METALLB_NAMESPACE or\n"
    "                        metallb-system)\n"
    "  --config NAME         the config ConfigMap (default config)\n"
    "  --lb-class CLASS      also handle Services of this loadBalancerClass\n"
    "  --api-qps N           client-side API request rate (default 20)\n"
    "  --api-burst N         requests allowed in a burst (default 40)\n"
    "  --leader-elect=false  act at once instead of holding the Lease\n"
    "                        metallb-system/metallb-controller (one active "
    "replica)\n"
    "  --help                show this help\n";

// This replica's Lease identity: the pod (or host) name and a random suffix,
// so a restarted process never mistakes the old holder for itself.
std::string Identity() {
  std::string name = "controller";
  if (const char* pod = std::getenv("METALLB_POD_NAME")) {
    name = pod;
  } else if (char host[256] = {}; gethostname(host, sizeof(host) - 1) == 0) {
    name = host;
  }
  std::random_device random;
  return absl::StrCat(name, "_", absl::Hex(random(), absl::kZeroPad8));
}

int Fail(const std::string& message) {
  std::cerr << "controller: " << message << "\n" << kUsage;
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> flags;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (arg.rfind("--", 0) != 0)
      return Fail("unexpected argument \"" + arg + "\"");
    size_t eq = arg.find('=');
    std::string name =
        arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    if (name == "channel-plaintext" || name == "logtostderr" ||
        (name == "leader-elect" && eq == std::string::npos)) {
      flags[name] = "true";
    } else if (eq != std::string::npos) {
      flags[name] = arg.substr(eq + 1);
    } else if (i + 1 < argc) {
      flags[name] = argv[++i];
    } else {
      return Fail("flag --" + name + " needs a value");
    }
  }
  if (flags.count("check-config")) {
    return lb::controller::CheckConfigFile(flags["check-config"], std::cout);
  }
  lb::controller::DaemonOptions options;
  if (const char* ns = std::getenv("METALLB_NAMESPACE")) options.ns = ns;
  options.identity = Identity();
  for (const auto& [name, value] : flags) {
    if (name == "kubeconfig") {
      options.kubeconfig = value;
    } else if (name == "port" || name == "channel-port") {
      int port = 0;
      if (!absl::SimpleAtoi(value, &port) || port < 0 || port > 65535) {
        return Fail("--" + name + " takes a port number, not \"" + value +
                    "\"");
      }
      (name == "port" ? options.metrics_port : options.channel_port) = port;
    } else if (name == "channel-plaintext") {
      options.channel_plaintext = true;
    } else if (name == "namespace") {
      options.ns = value;
    } else if (name == "config") {
      options.config_name = value;
    } else if (name == "lb-class") {
      options.load_balancer_class = value;
    } else if (name == "api-qps" || name == "api-burst") {
      double v = 0;
      if (!absl::SimpleAtod(value, &v) || v <= 0) {
        return Fail("--" + name + " takes a positive number, not \"" + value +
                    "\"");
      }
      if (name == "api-qps") {
        options.api_qps = v;
      } else {
        options.api_burst = static_cast<int>(v);
      }
    } else if (name == "leader-elect") {
      if (value != "true" && value != "false") {
        return Fail("--leader-elect takes true or false, not \"" + value +
                    "\"");
      }
      options.leader_elect = value == "true";
    } else if (name != "logtostderr") {
      return Fail("unknown flag --" + name);
    }
  }

  // SIGTERM and SIGINT end the process cleanly; wait for them on this thread.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  // One malloc arena for all threads. With one per thread the gRPC and
  // informer threads each keep their own freed memory; with two, which threads
  // share one is left to chance, and a run in which the informers and the work
  // loop land in different arenas ends with a third more memory, mostly free
  // pieces between live objects. A fixed mmap threshold: glibc
  // would otherwise raise it to the size of the largest buffer freed (a list
  // response), and later buffers of that size would stay in the heap.
  mallopt(M_ARENA_MAX, 1);
  mallopt(M_MMAP_THRESHOLD, 128 << 10);
  lb::RealClock clock;
  lb::cmd::Logger logger(std::cerr);
  lb::cmd::Metrics metrics;
  LB_LOG_INFO(logger) << "MetalLB controller version 0.1.0 starting";
  // The daemon asks to end the process (e.g. the Lease was lost): exit 1.
  std::atomic<bool> fatal{false};
  options.on_fatal = [&fatal] {
    fatal = true;
    kill(getpid(), SIGTERM);
  };
  lb::controller::Daemon daemon(options, clock, logger, metrics);
  if (absl::Status s = daemon.Start(); !s.ok()) {
    LB_LOG_ERROR(logger) << "cannot start: " << s.message();
    return 1;
  }
  int sig = 0;
  sigwait(&signals, &sig);
  LB_LOG_INFO(logger) << "received signal " << sig << ", shutting down";
  daemon.Stop();
  return fatal ? 1 : 0;
}
