// The speaker: makes one healthy node answer ARP/NDP for each address the
// controller assigned, and hands over at once on SIGTERM.

#include <iostream>
#include <string>
#include <vector>

#include "cmd/channel/network.h"
#include "cmd/common/klog.h"
#include "cmd/common/process.h"
#include "cmd/speaker/command_line.h"
#include "lib/arp/af_packet_conn.h"
#include "lib/arp/netlink_link_watcher.h"
#include "lib/base/clock.h"
#include "lib/election/udp_transport.h"

namespace {

absl::StatusOr<lb::speaker::Heartbeats> OpenUdp(const std::string& local,
                                                lb::Clock& clock) {
  auto udp = lb::election::UdpTransport::Create(local, clock);
  if (!udp.ok()) return udp.status();
  lb::election::UdpTransport* raw = udp->get();
  return lb::speaker::Heartbeats{std::move(*udp),
                                 [raw](const std::vector<std::string>& peers) {
                                   return raw->SetPeers(peers);
                                 },
                                 raw->LocalAddress()};
}

}  // namespace

int main(int argc, char** argv) {
  lb::cmd::TerminationSignals signals;
  lb::speaker::CommandLine cl = lb::speaker::ParseCommandLineOrExit(argc, argv);
  lb::cmd::TuneMalloc(/*arenas=*/2);
  lb::RealClock clock;
  lb::cmd::Logger logger(std::cerr);
  lb::cmd::Metrics metrics;
  LB_LOG_INFO(logger) << "MetalLB speaker version 0.1.0 starting on node "
                      << cl.daemon.node;
  auto client = lb::cmd::ConnectToApiServer(cl.api, clock, logger);
  auto links = lb::arp::NetlinkLinkWatcher::Create();
  for (const absl::Status& s : {client.status(), links.status()}) {
    if (!s.ok()) {
      LB_LOG_ERROR(logger) << "cannot start: " << s.message();
      return 1;
    }
  }
  lb::arp::AfPacketConnFactory packets;
  lb::speaker::SpeakerIo io;
  io.clock = &clock;
  io.client = client->get();
  io.links = links->get();
  io.packets = &packets;
  io.open_heartbeats = [&clock](const std::string& local) {
    return OpenUdp(local, clock);
  };
  io.dial_controller = [&cl](const lb::channel::ChannelPki* pki) {
    return lb::channel::DialController(cl.controller, pki, cl.controller_name);
  };

  lb::speaker::Daemon daemon(cl.daemon, io, logger, metrics);
  if (absl::Status s = daemon.Start(); !s.ok()) {
    LB_LOG_ERROR(logger) << "cannot start: " << s.message();
    return 1;
  }
  cl.status.ready = [&daemon] { return daemon.ready(); };
  cl.status.not_ready = "no state from the controller yet\n";
  cl.status.before_metrics = [&daemon] { daemon.UpdateMetrics(); };
  auto status = lb::cmd::StartStatusServer(metrics, cl.status, logger);
  if (!status.ok()) return 1;
  int sig = signals.Wait();
  LB_LOG_INFO(logger) << "received signal " << sig
                      << ", handing over and shutting down";
  daemon.Stop(/*graceful=*/true);
  return 0;
}
