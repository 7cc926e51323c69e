#include "cmd/controller/command_line.h"

#include <unistd.h>

#include <cstdlib>
#include <random>

#include "absl/strings/str_cat.h"

namespace lb::controller {
namespace {

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

}  // namespace

cmd::FlagSet Flags(CommandLine& cl) {
  cmd::FlagSet f("controller",
                 "Assigns addresses from configured pools to LoadBalancer "
                 "Services.",
                 {"controller --check-config FILE"});
  f.String("check-config", "FILE", &cl.check_config,
           "validate FILE (the ConfigMap manifest, or the bare config\n"
           "YAML), print the pools and their capacities or every error\n"
           "with its line, and exit: 0 valid, 1 invalid");
  f.String("kubeconfig", "FILE", &cl.api.kubeconfig,
           "API server access (default: in-cluster)");
  f.Port("port", &cl.status.port, "/metrics, /healthz, /readyz (default 7472)");
  f.Port("channel-port", &cl.channel_port,
         "the speakers' gRPC channel (default 7473)");
  f.Bool("channel-plaintext", &cl.daemon.channel_plaintext,
         "serve the channel without TLS (local demos only)");
  f.String("namespace", "NS", &cl.daemon.ns,
           "where the config lives (default $METALLB_NAMESPACE or\n"
           "metallb-system)");
  f.String("config", "NAME", &cl.daemon.config_name,
           "the config ConfigMap (default config)");
  f.String("lb-class", "CLASS", &cl.daemon.load_balancer_class,
           "also handle Services of this loadBalancerClass");
  f.PositiveDouble("api-qps", "N", &cl.api.qps,
                   "client-side API request rate (default 20)");
  f.PositiveInt("api-burst", "N", &cl.api.burst,
                "requests allowed in a burst (default 40)");
  f.Bool("leader-elect", &cl.daemon.leader_elect,
         "hold the Lease metallb-system/metallb-controller and act only\n"
         "while holding it (default true; =false: act at once)");
  f.Ignored("logtostderr");
  return f;
}

CommandLine ParseCommandLineOrExit(int argc, const char* const* argv) {
  CommandLine cl;
  if (const char* ns = std::getenv("METALLB_NAMESPACE")) cl.daemon.ns = ns;
  cl.daemon.identity = Identity();
  Flags(cl).ParseOrExit(argc, argv);
  return cl;
}

}  // namespace lb::controller
