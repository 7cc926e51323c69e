#include "cmd/speaker/command_line.h"

#include <cstdlib>

namespace lb::speaker {

cmd::FlagSet Flags(CommandLine& cl) {
  cmd::FlagSet f("speaker",
                 "Answers ARP and NDP for the load-balancer addresses this "
                 "node owns.");
  f.String("node-name", "NAME", &cl.daemon.node,
           "this node (default $METALLB_NODE_NAME)");
  f.String("node-ip", "IP", &cl.daemon.node_ip,
           "this node's address for heartbeats (default\n"
           "$METALLB_NODE_IP, else the Node's InternalIP)");
  f.String("controller", "ADDR", &cl.controller,
           "the controller's channel, host:port (default\n"
           "controller.metallb-system.svc:7473)");
  f.Bool("channel-plaintext", &cl.daemon.channel_plaintext,
         "connect without TLS (local demos only)");
  f.String("kubeconfig", "FILE", &cl.api.kubeconfig,
           "API server access (default: in-cluster)");
  f.String("namespace", "NS", &cl.daemon.ns,
           "MetalLB's namespace (default $METALLB_NAMESPACE or\n"
           "metallb-system)");
  f.Port("port", &cl.status.port, "/metrics, /healthz, /readyz (default 7472)");
  f.Port("heartbeat-port", &cl.daemon.heartbeat_port,
         "UDP port for speaker heartbeats (default 7946)");
  f.Ignored("logtostderr");
  return f;
}

CommandLine ParseCommandLineOrExit(int argc, const char* const* argv) {
  CommandLine cl;
  if (const char* v = std::getenv("METALLB_NODE_NAME")) cl.daemon.node = v;
  if (const char* v = std::getenv("METALLB_NODE_IP")) cl.daemon.node_ip = v;
  if (const char* v = std::getenv("METALLB_NAMESPACE")) cl.daemon.ns = v;
  Flags(cl).ParseOrExit(argc, argv);
  return cl;
}

}  // namespace lb::speaker
