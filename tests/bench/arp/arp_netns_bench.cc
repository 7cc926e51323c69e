// Reply latency of lib/arp's responder (arptool announce) against the
// kernel's own ARP replies in the same namespace topology and run, flood
// throughput with the responder's CPU per reply, and its idle CPU.
//
// Builds its own LAN out of network namespaces (unique names, removed on
// every exit path): a bridge, a client (10.77.0.1) and a node (10.77.0.11)
// whose kernel answers for 10.77.0.11 and whose arptool answers for
// 10.77.0.240. Requests are sent one at a time from the client, alternating
// between the two targets. Needs root. Prints `name: value unit` lines.

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "lib/arp/af_packet_conn.h"
#include "lib/arp/wire.h"
#include "tests/bench/percentile.h"

namespace {

using lb::IpAddress;
using lb::arp::MacAddress;

std::string g_prefix;
std::string g_counters_file;
pid_t g_responder = -1;

void Cleanup() {
  if (g_responder > 0) {
    kill(g_responder, SIGKILL);
    waitpid(g_responder, nullptr, 0);
    g_responder = -1;
  }
  if (!g_prefix.empty()) {
    for (const char* n : {"-client", "-node", "-lan"}) {
      std::string cmd =
          absl::StrCat("ip netns del ", g_prefix, n, " 2>/dev/null");
      (void)!system(cmd.c_str());
    }
    g_prefix.clear();
  }
}

// Removes the namespaces of earlier runs whose process is gone (a run killed
// with SIGKILL cannot clean up after itself).
void RemoveStaleNamespaces() {
  DIR* dir = opendir("/run/netns");
  if (dir == nullptr) return;
  std::vector<std::string> stale;
  while (dirent* e = readdir(dir)) {
    std::string name = e->d_name;
    if (name.rfind("lbarpb", 0) != 0) continue;
    pid_t pid = static_cast<pid_t>(std::atol(name.c_str() + 6));
    if (pid > 0 && kill(pid, 0) != 0 && errno == ESRCH) stale.push_back(name);
  }
  closedir(dir);
  for (const std::string& name : stale) {
    std::string cmd = absl::StrCat("ip netns del ", name, " 2>/dev/null");
    (void)!system(cmd.c_str());
  }
}

void OnSignal(int) {
  Cleanup();
  _exit(130);
}

bool Sh(const std::string& cmd) {
  int rc = system(cmd.c_str());
  if (rc != 0)
    std::fprintf(stderr, "command failed (%d): %s\n", rc, cmd.c_str());
  return rc == 0;
}

double NowUs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

// utime + stime of `pid` in seconds.
double CpuSeconds(pid_t pid) {
  std::ifstream f(absl::StrCat("/proc/", pid, "/stat"));
  std::string s((std::istreambuf_iterator<char>(f)),
                std::istreambuf_iterator<char>());
  size_t p = s.rfind(')');
  if (p == std::string::npos) return 0;
  std::istringstream in(s.substr(p + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15; ++i) {
    in >> field;
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / sysconf(_SC_CLK_TCK);
}

std::string FindArptool(const char* argv0) {
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
  std::string exe = n > 0 ? std::string(self, n) : argv0;
  std::vector<std::string> candidates = {
      exe + ".runfiles/lb/examples/arptool/arptool",
  };
  // bazel-bin/tests/bench/arp/<exe> -> bazel-bin/examples/arptool/arptool
  std::string dir = exe.substr(0, exe.rfind('/'));
  candidates.push_back(dir + "/../../../examples/arptool/arptool");
  for (const std::string& c : candidates) {
    if (access(c.c_str(), X_OK) == 0) return c;
  }
  return "";
}

struct Client {
  std::unique_ptr<lb::arp::PacketConn> arp;
  std::unique_ptr<lb::arp::PacketConn> nd;
  MacAddress mac;
  IpAddress ip = IpAddress::V4(0x0a4d0001);
  std::vector<lb::arp::ReceivedFrame> rx =
      std::vector<lb::arp::ReceivedFrame>(64);

  // Sends one request (ARP request or NS) for `target` and returns the RTT
  // in microseconds until its answer, or a negative value on timeout.
  double Ask(const IpAddress& target, const std::vector<uint8_t>& frame) {
    lb::arp::PacketConn& conn = target.is_v4() ? *arp : *nd;
    double t0 = NowUs();
    if (!conn.Send({frame}).ok()) return -1;
    while (true) {
      double left_ms = 200 - (NowUs() - t0) / 1000;
      if (left_ms <= 0) return -1;
      pollfd pfd{conn.ReadyFd(), POLLIN, 0};
      if (poll(&pfd, 1, static_cast<int>(left_ms) + 1) <= 0) continue;
      double t1 = NowUs();
      auto n = conn.Receive(absl::MakeSpan(rx));
      if (!n.ok()) return -1;
      for (size_t i = 0; i < *n; ++i) {
        if (target.is_v4()) {
          auto f = lb::arp::ParseArpFrame(rx[i].bytes());
          if (f.ok() && f->op == lb::arp::ArpOp::kReply &&
              f->sender_ip == target && f->target_mac == mac) {
            return t1 - t0;
          }
        } else {
          auto f = lb::arp::ParseNdFrame(rx[i].bytes());
          if (f.ok() && f->type == lb::arp::NdType::kNeighborAdvertisement &&
              f->target == target && f->solicited) {
            return t1 - t0;
          }
        }
      }
    }
  }
};

}  // namespace

// Pins this process and every thread of `pid` to `cpu` (-1: every CPU).
bool PinAll(pid_t pid, int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  for (long i = 0; i < cpus; ++i) {
    if (cpu < 0 || i == cpu) CPU_SET(i, &set);
  }
  if (sched_setaffinity(0, sizeof(set), &set) != 0) return false;
  DIR* tasks = opendir(absl::StrCat("/proc/", pid, "/task").c_str());
  if (tasks == nullptr) return false;
  bool ok = true;
  while (dirent* e = readdir(tasks)) {
    if (e->d_name[0] == '.') continue;
    ok = sched_setaffinity(std::atoi(e->d_name), sizeof(set), &set) == 0 && ok;
  }
  closedir(tasks);
  return ok;
}

int main(int argc, char** argv) {
  std::string arptool = FindArptool(argv[0]);
  if (arptool.empty()) {
    std::fprintf(stderr, "arptool not found next to this binary\n");
    return 1;
  }
  RemoveStaleNamespaces();
  g_prefix = absl::StrCat("lbarpb", getpid());
  g_counters_file = absl::StrCat("/tmp/", g_prefix, ".counters");
  std::atexit(Cleanup);
  signal(SIGINT, OnSignal);
  signal(SIGTERM, OnSignal);
  const std::string lan = g_prefix + "-lan", client = g_prefix + "-client",
                    node = g_prefix + "-node";
  bool ok = Sh("ip netns add " + lan) && Sh("ip netns add " + client) &&
            Sh("ip netns add " + node) &&
            Sh("ip -n " + lan + " link add br0 type bridge forward_delay 0") &&
            Sh("ip -n " + lan + " link set br0 up") &&
            Sh("ip link add vc netns " + client +
               " type veth peer name pc netns " + lan) &&
            Sh("ip link add vn netns " + node +
               " type veth peer name pn netns " + lan) &&
            Sh("ip -n " + lan + " link set pc master br0 up") &&
            Sh("ip -n " + lan + " link set pn master br0 up") &&
            Sh("ip -n " + client + " link set vc name eth0") &&
            Sh("ip -n " + node + " link set vn name eth0") &&
            Sh("ip -n " + client + " addr add 10.77.0.1/24 dev eth0") &&
            Sh("ip -n " + node + " addr add 10.77.0.11/24 dev eth0") &&
            Sh("ip -n " + client + " addr add fd77::1/64 dev eth0 nodad") &&
            Sh("ip -n " + node + " addr add fd77::11/64 dev eth0 nodad") &&
            Sh("ip -n " + client + " link set eth0 up") &&
            Sh("ip -n " + node + " link set eth0 up");
  if (!ok) return 1;

  // Starts `arptool announce` for 10.77.0.240 in the node namespace.
  auto start_responder = [&](bool realtime) {
    g_responder = fork();
    if (g_responder == 0) {
      int out =
          open(g_counters_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      int devnull = open("/dev/null", O_WRONLY);
      dup2(out, 1);
      dup2(devnull, 2);
      if (realtime) {
        execlp("ip", "ip", "netns", "exec", node.c_str(), arptool.c_str(),
               "announce", "--quiet", "--rounds", "1", "--realtime", "10",
               "10.77.0.240", "fd77::240", static_cast<char*>(nullptr));
      } else {
        execlp("ip", "ip", "netns", "exec", node.c_str(), arptool.c_str(),
               "announce", "--quiet", "--rounds", "1", "10.77.0.240",
               "fd77::240", static_cast<char*>(nullptr));
      }
      _exit(127);
    }
  };
  start_responder(false);

  int nsfd = open(("/var/run/netns/" + client).c_str(), O_RDONLY);
  if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) != 0) {
    std::perror("setns");
    return 1;
  }
  close(nsfd);
  Client c;
  int ifindex = static_cast<int>(if_nametoindex("eth0"));
  {
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, "eth0", IFNAMSIZ - 1);
    ioctl(s, SIOCGIFHWADDR, &ifr);
    close(s);
    c.mac = MacAddress::FromBytes(
        reinterpret_cast<const uint8_t*>(ifr.ifr_hwaddr.sa_data));
  }
  lb::arp::AfPacketOptions popts;
  popts.receive_buffer_bytes = 8 << 20;
  lb::arp::AfPacketConnFactory packets(popts);
  auto conn = packets.Open(ifindex, lb::arp::Protocol::kArp);
  if (!conn.ok()) {
    std::fprintf(stderr, "%s\n", conn.status().ToString().c_str());
    return 1;
  }
  c.arp = std::move(*conn);
  auto nd_conn = packets.Open(ifindex, lb::arp::Protocol::kNdp);
  if (!nd_conn.ok()) {
    std::fprintf(stderr, "%s\n", nd_conn.status().ToString().c_str());
    return 1;
  }
  c.nd = std::move(*nd_conn);
  const IpAddress client6 = *IpAddress::Parse("fd77::1");
  const IpAddress kernel6 = *IpAddress::Parse("fd77::11");
  const IpAddress vip6 = *IpAddress::Parse("fd77::240");
  auto kernel6_req = lb::arp::BuildNdFrame(
      lb::arp::MakeNeighborSolicitation(c.mac, client6, kernel6));
  auto vip6_req = lb::arp::BuildNdFrame(
      lb::arp::MakeNeighborSolicitation(c.mac, client6, vip6));
  const IpAddress kernel_ip = IpAddress::V4(0x0a4d000b);
  const IpAddress vip = IpAddress::V4(0x0a4d00f0);
  auto kernel_req =
      lb::arp::BuildArpFrame(lb::arp::MakeArpRequest(c.mac, c.ip, kernel_ip));
  auto vip_req =
      lb::arp::BuildArpFrame(lb::arp::MakeArpRequest(c.mac, c.ip, vip));

  auto wait_up = [&] {
    bool up = false;
    for (int i = 0; i < 50 && !up; ++i) up = c.Ask(vip, vip_req) >= 0;
    if (!up) {
      std::fprintf(stderr, "responder did not answer\n");
      std::exit(1);
    }
  };
  // Latency, interleaved one at a time between the kernel's address and
  // ours. The client sleeps in poll() like a real resolver. (A spinning
  // client was tried too: on two shared cores it competes with the
  // responder and only adds scheduler noise.)
  auto measure_one = [&](const std::string& name, const IpAddress& k_ip,
                         const std::vector<uint8_t>& k_req,
                         const IpAddress& o_ip,
                         const std::vector<uint8_t>& o_req) {
    const char* suffix = name.c_str();
    const int kWarmup = 200, kSamples = 5000;
    std::vector<double> ours, kernel;
    int lost = 0;
    for (int i = 0; i < kWarmup + kSamples; ++i) {
      double k = c.Ask(k_ip, k_req);
      double o = c.Ask(o_ip, o_req);
      if (i < kWarmup) continue;
      if (k >= 0) {
        kernel.push_back(k);
      } else {
        ++lost;
      }
      if (o >= 0) {
        ours.push_back(o);
      } else {
        ++lost;
      }
    }
    double kp50 = lb::bench::Percentile(kernel, 0.5),
           op50 = lb::bench::Percentile(ours, 0.5);
    double kp99 = lb::bench::Percentile(kernel, 0.99),
           op99 = lb::bench::Percentile(ours, 0.99);
    std::printf("%s_kernel_p50: %.1f us\n", suffix, kp50);
    std::printf("%s_kernel_p90: %.1f us\n", suffix,
                lb::bench::Percentile(kernel, 0.9));
    std::printf("%s_kernel_p99: %.1f us\n", suffix, kp99);
    std::printf("%s_ours_p50: %.1f us\n", suffix, op50);
    std::printf("%s_ours_p90: %.1f us\n", suffix,
                lb::bench::Percentile(ours, 0.9));
    std::printf("%s_ours_p99: %.1f us\n", suffix, op99);
    std::printf("%s_ratio_p50: %.2f x\n", suffix, op50 / kp50);
    std::printf("%s_ratio_p99: %.2f x\n", suffix, op99 / kp99);
    std::printf("%s_lost: %d requests\n", suffix, lost);
    std::fflush(stdout);
  };
  auto measure = [&](const std::string& suffix) {
    measure_one("arp_reply_latency" + suffix, kernel_ip, kernel_req, vip,
                vip_req);
    measure_one("nd_reply_latency" + suffix, kernel6, kernel6_req, vip6,
                vip6_req);
  };
  wait_up();
  measure("");
  // The same with the client and every responder thread on one CPU: the
  // difference to the run above is the cost of waking the responder on
  // another (idle) CPU, which dominates on virtual machines.
  if (PinAll(g_responder, 0)) {
    measure("_same_cpu");
    PinAll(g_responder, -1);
  }

  // Flood: as fast as the client can send, batches of 64.
  const int kFlood = 200000;
  std::vector<std::vector<uint8_t>> batch(64, vip_req);
  double cpu0 = CpuSeconds(g_responder);
  double t0 = NowUs();
  long received = 0;
  auto drain = [&] {
    while (true) {
      auto n = c.arp->Receive(absl::MakeSpan(c.rx));
      if (!n.ok() || *n == 0) return;
      for (size_t i = 0; i < *n; ++i) {
        const auto& f = c.rx[i];
        // op 2 at offset 21, sender IP .240 at offset 31.
        if (f.length >= 42 && f.data[21] == 2 && f.data[31] == 240) ++received;
      }
    }
  };
  for (int sent = 0; sent < kFlood; sent += 64) {
    while (!c.arp->Send(batch).ok()) drain();
    drain();
  }
  double t_sent = NowUs();
  double last = t_sent;
  while (NowUs() - last < 300000) {
    long before = received;
    drain();
    if (received != before) last = NowUs();
    usleep(1000);
  }
  double cpu1 = CpuSeconds(g_responder);
  double secs = (last - t0) / 1e6;
  double cpu = cpu1 - cpu0;
  std::printf("arp_flood_offered: %d requests\n", kFlood);
  std::printf("arp_flood_offered_rate: %.0f requests/s\n",
              kFlood / ((t_sent - t0) / 1e6));
  std::printf("arp_flood_replies_received: %ld replies\n", received);
  std::printf("arp_flood_replies_per_second: %.0f replies/s\n",
              received / secs);
  std::printf("arp_flood_responder_cpu_per_reply: %.2f us\n",
              received > 0 ? cpu * 1e6 / received : 0.0);
  std::printf("arp_flood_replies_per_cpu_second: %.0f replies/s\n",
              cpu > 0 ? received / cpu : 0.0);
  std::fflush(stdout);

  // Idle: nothing to do for 5 s.
  double idle0 = CpuSeconds(g_responder);
  sleep(5);
  double idle1 = CpuSeconds(g_responder);
  std::printf("arp_idle_cpu: %.3f percent\n", (idle1 - idle0) / 5 * 100);
  std::printf("arp_idle_cpu_seconds_over_5s: %.3f s\n", idle1 - idle0);
  // The responder's own counters, printed by arptool on SIGTERM.
  kill(g_responder, SIGTERM);
  waitpid(g_responder, nullptr, 0);
  g_responder = -1;
  std::ifstream counters(g_counters_file);
  std::string line;
  while (std::getline(counters, line)) {
    for (const char* key :
         {"frames_received", "replies_sent", "kernel_drops"}) {
      if (line.rfind(absl::StrCat(key, ": "), 0) == 0) {
        std::printf("arp_responder_%s: %s frames\n", key,
                    line.substr(std::strlen(key) + 2).c_str());
      }
    }
  }
  unlink(g_counters_file.c_str());

  // The same latency measurement with the responder's event loop at
  // SCHED_FIFO priority 10 (arptool --realtime), a deployment option.
  start_responder(true);
  wait_up();
  measure("_realtime");
  Cleanup();
  unlink(g_counters_file.c_str());
  return 0;
}
