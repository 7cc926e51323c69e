// Scale: N Services (none, 1k, then 10k) over 10 speakers, against the API
// server stand-in. Prints, per N: the controller's cold convergence (every
// Service has its address), the speakers' convergence (every address
// announced by one of them), RSS and CPU of the controller and the speakers,
// and the steady API request rate, which should not grow with N. With no
// Services the speakers' steady CPU is their idle cost: heartbeats, Lease
// renewals and nothing else (scale_0k_services_speaker_steady_cpu_mean).
//
// Runs in a private network namespace with only loopback (it needs root), so
// the speakers send no frame anywhere: they own addresses but have no
// Ethernet interface to answer on. Heartbeats flow between 127.0.0.1x.

#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lib/base/clock.h"
#include "lib/k8s/config.h"
#include "lib/k8s/http_client.h"
#include "lib/k8s/objects.h"
#include "lib/k8s/testing/api_server.h"

namespace {

using lb::k8s::json;
using SteadyClock = std::chrono::steady_clock;

constexpr int kSpeakers = 10;

void Die(const std::string& why) {
  std::cerr << "scale_bench: " << why << "\n";
  std::exit(1);
}

template <typename T>
T Must(absl::StatusOr<T> v, const std::string& what) {
  if (!v.ok()) Die(absl::StrCat(what, ": ", v.status().ToString()));
  return *std::move(v);
}

std::string Runfile(const std::string& path) {
  // Run from `bazel run` (runfiles next to the binary) or from the workspace.
  for (const char* base :
       {static_cast<const char*>(std::getenv("RUNFILES_DIR")), "."}) {
    if (base == nullptr) continue;
    std::string p = absl::StrCat(base, "/lb/", path);
    if (access(p.c_str(), X_OK) == 0) return p;
  }
  std::string self(4096, '\0');
  ssize_t n = readlink("/proc/self/exe", self.data(), self.size());
  if (n > 0) {
    self.resize(n);
    std::string p = absl::StrCat(self, ".runfiles/lb/", path);
    if (access(p.c_str(), X_OK) == 0) return p;
  }
  Die("cannot find " + path);
  return "";
}

pid_t Spawn(const std::vector<std::string>& argv, const std::string& log) {
  pid_t pid = fork();
  if (pid == 0) {
    FILE* out = std::fopen(log.c_str(), "w");
    if (out != nullptr) {
      dup2(fileno(out), STDOUT_FILENO);
      dup2(fileno(out), STDERR_FILENO);
    }
    std::vector<char*> args;
    for (const std::string& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

// Resident and peak resident memory (MiB) and CPU seconds of a process. RSS is
// anonymous memory (the heap, stacks) plus file pages (mostly the shared
// libraries' code, which other processes map too).
struct Usage {
  double rss_mib = 0;
  double anon_mib = 0;
  double file_mib = 0;
  double peak_mib = 0;
  double cpu_s = 0;
};
Usage UsageOf(pid_t pid) {
  Usage u;
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(status, line)) {
    std::vector<std::string> f =
        absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    double kib = 0;
    if (f.size() >= 2 && absl::SimpleAtod(f[1], &kib)) {
      if (f[0] == "VmRSS:") u.rss_mib = kib / 1024;
      if (f[0] == "VmHWM:") u.peak_mib = kib / 1024;
      if (f[0] == "RssAnon:") u.anon_mib = kib / 1024;
      if (f[0] == "RssFile:") u.file_mib = kib / 1024;
    }
  }
  std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
  std::string all((std::istreambuf_iterator<char>(stat)), {});
  size_t paren = all.rfind(')');
  if (paren != std::string::npos) {
    std::vector<std::string> f =
        absl::StrSplit(all.substr(paren + 2), ' ', absl::SkipEmpty());
    double ut = 0, st = 0;
    // Fields 14 and 15 of /proc/pid/stat; f[0] is field 3.
    if (f.size() > 12 && absl::SimpleAtod(f[11], &ut) &&
        absl::SimpleAtod(f[12], &st)) {
      u.cpu_s = (ut + st) / static_cast<double>(sysconf(_SC_CLK_TCK));
    }
  }
  return u;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

// The number in `log` after `marker`, or -1.
int NumberAfter(const std::string& log, const std::string& marker) {
  size_t at = log.find(marker);
  int n = -1;
  if (at == std::string::npos) return -1;
  size_t start = at + marker.size();
  size_t end = log.find_first_not_of("0123456789", start);
  if (!absl::SimpleAtoi(log.substr(start, end - start), &n)) return -1;
  return n;
}

// Addresses announced by the speaker whose /metrics is on `port`.
int Announced(int port) {
  std::string cmd =
      absl::StrCat("curl -s http://127.0.0.1:", port,
                   "/metrics | grep -c '^metallb_speaker_announced{'");
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return 0;
  int n = 0;
  if (std::fscanf(p, "%d", &n) != 1) n = 0;
  pclose(p);
  return n;
}

// Whether the speaker whose /readyz is on `port` has applied a state.
bool Ready(int port) {
  std::string cmd = absl::StrCat(
      "curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1:", port,
      "/readyz");
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return false;
  int code = 0;
  if (std::fscanf(p, "%d", &code) != 1) code = 0;
  pclose(p);
  return code == 200;
}

void Figure(const std::string& name, double value, const std::string& unit) {
  std::printf("%s: %.3f %s\n", name.c_str(), value, unit.c_str());
  std::fflush(stdout);
}

void Run(int services, const std::string& dir) {
  lb::RealClock clock;
  lb::k8s::testing::ApiServerOptions options;
  options.clock = &clock;
  auto server = Must(lb::k8s::testing::ApiServer::Start(options), "API server");
  std::string kubeconfig = dir + "/kubeconfig";
  if (!server->WriteKubeconfig(kubeconfig, "t").ok()) Die("kubeconfig");
  lb::k8s::Config config =
      Must(lb::k8s::LoadKubeconfig(kubeconfig), "kubeconfig");
  config.qps = 5000;
  config.burst = 5000;
  auto client = Must(lb::k8s::HttpClient::Create(config, clock), "client");

  Must(client->Create(lb::k8s::kNamespaces, "",
                      {{"apiVersion", "v1"},
                       {"kind", "Namespace"},
                       {"metadata", {{"name", "metallb-system"}}}}),
       "namespace");
  Must(client->Create(
           lb::k8s::kConfigMaps, "metallb-system",
           {{"apiVersion", "v1"},
            {"kind", "ConfigMap"},
            {"metadata", {{"name", "config"}, {"namespace", "metallb-system"}}},
            {"data",
             {{"config",
               "address-pools:\n- name: scale\n  protocol: arp\n"
               "  arp-network: 10.0.0.0/16\n  cidr:\n  - 10.0.0.0/16\n"}}}}),
       "config");
  for (int n = 0; n < kSpeakers; ++n) {
    Must(client->Create(
             lb::k8s::kNodes, "",
             {{"apiVersion", "v1"},
              {"kind", "Node"},
              {"metadata", {{"name", absl::StrCat("node", n)}}},
              {"status",
               {{"addresses",
                 {{{"type", "InternalIP"},
                   {"address", absl::StrCat("127.0.0.", 10 + n)}}}},
                {"conditions", {{{"type", "Ready"}, {"status", "True"}}}}}}}),
         "node");
  }
  for (int i = 0; i < services; ++i) {
    std::string name = absl::StrCat("s", i);
    Must(client->Create(
             lb::k8s::kServices, "default",
             {{"apiVersion", "v1"},
              {"kind", "Service"},
              {"metadata", {{"name", name}, {"namespace", "default"}}},
              {"spec",
               {{"type", "LoadBalancer"},
                // 10k Services would exhaust the node-port range.
                {"allocateLoadBalancerNodePorts", false},
                {"ports", {{{"port", 80}, {"protocol", "TCP"}}}}}}}),
         "service");
    Must(client->Create(
             lb::k8s::kEndpointSlices, "default",
             {{"apiVersion", "discovery.k8s.io/v1"},
              {"kind", "EndpointSlice"},
              {"metadata",
               {{"name", name + "-1"},
                {"namespace", "default"},
                {"labels", {{"kubernetes.io/service-name", name}}}}},
              {"addressType", "IPv4"},
              {"ports", {{{"port", 80}, {"protocol", "TCP"}}}},
              {"endpoints",
               {{{"addresses", {absl::StrCat("10.244.", i % kSpeakers, ".1")}},
                 {"conditions", {{"ready", true}}},
                 {"nodeName", absl::StrCat("node", i % kSpeakers)}}}}}),
         "endpointslice");
  }

  const std::string tag = absl::StrCat("scale_", services / 1000, "k_services");
  auto t0 = SteadyClock::now();
  pid_t controller = Spawn(
      {Runfile("cmd/controller/controller"), "--kubeconfig", kubeconfig,
       "--port", "0", "--channel-port", "7473", "--channel-plaintext",
       "--leader-elect=false", "--api-qps", "1000", "--api-burst", "1000"},
      dir + "/controller.log");
  std::vector<pid_t> speakers;
  for (int n = 0; n < kSpeakers; ++n) {
    speakers.push_back(
        Spawn({Runfile("cmd/speaker/speaker"), "--kubeconfig", kubeconfig,
               "--node-name", absl::StrCat("node", n), "--node-ip",
               absl::StrCat("127.0.0.", 10 + n), "--controller",
               "127.0.0.1:7473", "--channel-plaintext", "--port", "0"},
              absl::StrCat(dir, "/speaker", n, ".log")));
  }

  // Controller convergence: every Service shows its address.
  double controller_s = -1;
  while (controller_s < 0) {
    auto list = Must(client->List(lb::k8s::kServices, "default"), "list");
    int done = 0;
    for (const json& s : list.items) {
      if (s.contains("status") && s["status"].contains("loadBalancer") &&
          s["status"]["loadBalancer"].contains("ingress")) {
        ++done;
      }
    }
    if (done == services) {
      controller_s =
          std::chrono::duration<double>(SteadyClock::now() - t0).count();
    } else if (SteadyClock::now() - t0 > std::chrono::minutes(10)) {
      Die(absl::StrCat("controller did not converge: ", done, "/", services));
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  Figure(tag + "_controller_convergence", controller_s, "s");

  // Speaker convergence: the speakers together announce every address once.
  std::vector<int> ports(kSpeakers, -1);
  double speakers_s = -1;
  int announced = 0;
  while (speakers_s < 0) {
    announced = 0;
    int ready = 0;
    for (int n = 0; n < kSpeakers; ++n) {
      if (ports[n] < 0) {
        ports[n] =
            NumberAfter(ReadFile(absl::StrCat(dir, "/speaker", n, ".log")),
                        "/readyz on port ");
      }
      if (ports[n] > 0) {
        announced += Announced(ports[n]);
        ready += Ready(ports[n]) ? 1 : 0;
      }
    }
    if (announced == services && ready == kSpeakers) {
      speakers_s =
          std::chrono::duration<double>(SteadyClock::now() - t0).count();
    } else if (SteadyClock::now() - t0 > std::chrono::minutes(10)) {
      Die(absl::StrCat("speakers did not converge: ", announced, "/",
                       services));
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  }
  Figure(tag + "_speakers_convergence", speakers_s, "s");

  // Let the controller finish what the convergence checks do not see (e.g.
  // EndpointSlices processed after the last status write): wait until it
  // uses under 5% of a core over 2 s, for up to a minute.
  for (int i = 0; i < 30; ++i) {
    double before = UsageOf(controller).cpu_s;
    std::this_thread::sleep_for(std::chrono::seconds(2));
    if (UsageOf(controller).cpu_s - before < 0.1) break;
  }
  Usage c0 = UsageOf(controller);
  std::vector<Usage> s0;
  for (pid_t p : speakers) s0.push_back(UsageOf(p));
  int64_t requests0 = server->request_count();
  const double window = 20;
  std::this_thread::sleep_for(std::chrono::duration<double>(window));
  int64_t requests1 = server->request_count();
  Usage c1 = UsageOf(controller);
  double speaker_rss_max = 0, speaker_anon_max = 0, speaker_file_max = 0,
         speaker_peak_max = 0, speaker_cpu = 0, speaker_startup_cpu = 0;
  for (int n = 0; n < kSpeakers; ++n) {
    Usage u = UsageOf(speakers[n]);
    speaker_rss_max = std::max(speaker_rss_max, u.rss_mib);
    speaker_anon_max = std::max(speaker_anon_max, u.anon_mib);
    speaker_file_max = std::max(speaker_file_max, u.file_mib);
    speaker_peak_max = std::max(speaker_peak_max, u.peak_mib);
    speaker_cpu += u.cpu_s - s0[n].cpu_s;
    speaker_startup_cpu = std::max(speaker_startup_cpu, s0[n].cpu_s);
  }
  Figure(tag + "_controller_rss", c1.rss_mib, "MiB");
  Figure(tag + "_controller_rss_anon", c1.anon_mib, "MiB");
  Figure(tag + "_controller_rss_file", c1.file_mib, "MiB");
  Figure(tag + "_controller_peak_rss", c1.peak_mib, "MiB");
  Figure(tag + "_controller_startup_cpu", c0.cpu_s, "s");
  Figure(tag + "_controller_steady_cpu", 100 * (c1.cpu_s - c0.cpu_s) / window,
         "percent");
  Figure(tag + "_speaker_rss_max", speaker_rss_max, "MiB");
  Figure(tag + "_speaker_rss_anon_max", speaker_anon_max, "MiB");
  Figure(tag + "_speaker_rss_file_max", speaker_file_max, "MiB");
  Figure(tag + "_speaker_peak_rss_max", speaker_peak_max, "MiB");
  Figure(tag + "_speaker_startup_cpu_max", speaker_startup_cpu, "s");
  Figure(tag + "_speaker_steady_cpu_mean",
         100 * speaker_cpu / window / kSpeakers, "percent");
  Figure(tag + "_steady_api_requests", (requests1 - requests0) / window,
         "requests/s");

  for (pid_t p : speakers) kill(p, SIGTERM);
  kill(controller, SIGTERM);
  for (pid_t p : speakers) waitpid(p, nullptr, 0);
  waitpid(controller, nullptr, 0);
  server->Stop();
}

}  // namespace

int main(int argc, char** argv) {
  // A private network namespace with only loopback: nothing leaves it, and it
  // disappears with the process.
  if (unshare(CLONE_NEWNET) != 0) Die("unshare(CLONE_NEWNET) needs root");
  if (std::system("ip link set lo up") != 0) Die("cannot bring lo up");
  signal(SIGPIPE, SIG_IGN);
  char tmpl[] = "/tmp/lb-scale-XXXXXX";
  std::string dir = mkdtemp(tmpl);
  std::printf(
      "# bazel run -c opt //tests/bench/scale:scale_bench (logs in %s)\n",
      dir.c_str());
  std::vector<int> sizes = {0, 1000, 10000};
  if (argc == 2) sizes = {std::atoi(argv[1])};
  for (int n : sizes) {
    std::string sub = absl::StrCat(dir, "/", n);
    if (std::system(absl::StrCat("mkdir -p ", sub).c_str()) != 0) {
      std::cerr << "cannot create " << sub << "\n";
      return 1;
    }
    Run(n, sub);
  }
  return 0;
}
