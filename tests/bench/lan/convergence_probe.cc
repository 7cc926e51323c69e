// convergence_probe: from "Service created" to "EXTERNAL-IP in its status"
// and to "first ARP frame for the address on the wire", as a client on the LAN
// sees them. Run it as root in the client's network namespace, against a
// cluster whose controller and speakers run (tests/bench/lan/
// convergence_bench.sh sets one up).
//
//   convergence_probe --kubeconfig FILE --interface eth0 --count 50
//       --endpoints node1=192.168.1.11,node2=192.168.1.12 [--gap-ms 300]
//       [--prefix conv]
//
// For each of 1 + COUNT Services (the first one warms up connections and is
// not counted) in namespace default, one at a time:
//  1. creates the EndpointSlice the endpoints controller would keep for it
//     (one ready endpoint per --endpoints entry; not timed: the pods exist
//     before their Service, so it is the Service that starts the work);
//  2. T0 = just before the POST that creates the Service (type LoadBalancer,
//     port 80, label bench=convergence);
//  3. status: when this process's watch on Services delivers the Service with
//     an ingress address (a watching client's view, as `kubectl get -w`);
//  4. arp: the kernel receive time, on --interface, of the first gratuitous
//     ARP frame (sender address = target address) for that address after T0:
//     the speaker's first announcement. Nothing here sends ARP.
// Then waits --gap-ms before the next Service. Each sample goes to stderr;
// stdout gets `name: value unit` lines: p50, p99 (nearest rank) and max of
// each interval, the POST's own round trip for reference, and the number of
// samples that missed a 10 s (status) or 5 s (ARP) deadline, which count as
// that deadline in the figures.
//
// Exit status: 0 when every sample completed, 1 otherwise or on errors, 2
// for bad usage.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "lib/base/clock.h"
#include "lib/k8s/config.h"
#include "lib/k8s/http_client.h"
#include "lib/k8s/resource.h"
#include "tests/bench/lan/arp_capture.h"
#include "tests/bench/percentile.h"

namespace {

using lb::k8s::json;

constexpr char kNamespace[] = "default";
constexpr char kLabel[] = "bench";
constexpr char kLabelValue[] = "convergence";
constexpr absl::Duration kStatusDeadline = absl::Seconds(10);
constexpr absl::Duration kArpDeadline = absl::Seconds(5);

struct ArpSeen {
  int64_t time_us;
  std::string mac;
};

// What the watch and the capture have seen, shared with the main thread.
class Observations {
 public:
  void Ingress(const std::string& name, const std::string& ip,
               int64_t time_us) {
    absl::MutexLock lock(&mu_);
    ingress_.try_emplace(name, ip, time_us);
  }
  void Arp(const std::string& ip, int64_t time_us, const std::string& mac) {
    absl::MutexLock lock(&mu_);
    arp_[ip].push_back({time_us, mac});
  }
  // Waits until `name` has an ingress address; false at the deadline.
  bool WaitIngress(const std::string& name, absl::Time deadline,
                   std::string* ip, int64_t* time_us) {
    absl::MutexLock lock(&mu_);
    auto has = [&] {
      mu_.AssertHeld();
      return ingress_.count(name) > 0;
    };
    if (!mu_.AwaitWithDeadline(absl::Condition(&has), deadline)) return false;
    *ip = ingress_.at(name).first;
    *time_us = ingress_.at(name).second;
    return true;
  }
  // Waits for the first ARP frame from `ip` received at or after `after_us`.
  bool WaitArp(const std::string& ip, int64_t after_us, absl::Time deadline,
               ArpSeen* seen) {
    absl::MutexLock lock(&mu_);
    auto find = [&]() -> const ArpSeen* {
      mu_.AssertHeld();
      auto it = arp_.find(ip);
      if (it == arp_.end()) return nullptr;
      for (const ArpSeen& s : it->second) {
        if (s.time_us >= after_us) return &s;
      }
      return nullptr;
    };
    auto has = [&] { return find() != nullptr; };
    if (!mu_.AwaitWithDeadline(absl::Condition(&has), deadline)) return false;
    *seen = *find();
    return true;
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, std::pair<std::string, int64_t>> ingress_
      ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<ArpSeen>> arp_ ABSL_GUARDED_BY(mu_);
};

void CaptureLoop(lb::bench::ArpCapture* capture, Observations* seen) {
  lb::bench::ArpFrame f;
  while (capture->Read(&f)) {
    // Gratuitous frames only (sender address = target address).
    if (f.sender_ip.s_addr != f.target_ip.s_addr) continue;
    seen->Arp(lb::bench::Ip4String(f.sender_ip), f.time_us,
              lb::bench::MacString(f.sender_mac));
  }
  std::fprintf(stderr, "convergence_probe: ARP capture failed\n");
}

// Watches the benchmark's Services from `resource_version` on, forever,
// resuming after a stream ends.
void WatchLoop(lb::k8s::Client* client, std::string resource_version,
               Observations* seen) {
  while (true) {
    lb::k8s::WatchOptions options;
    options.resource_version = resource_version;
    options.label_selector = absl::StrCat(kLabel, "=", kLabelValue);
    absl::Status s = client->Watch(
        lb::k8s::kServices, kNamespace, options, [&](lb::k8s::WatchEvent e) {
          const int64_t now = lb::bench::NowMicros();
          if (e.object.contains("metadata") &&
              e.object["metadata"].contains("resourceVersion")) {
            resource_version =
                e.object["metadata"]["resourceVersion"].get<std::string>();
          }
          if (e.type == lb::k8s::WatchEvent::Type::kBookmark) return true;
          const json ingress = e.object.value("status", json::object())
                                   .value("loadBalancer", json::object())
                                   .value("ingress", json::array());
          if (!ingress.empty() && ingress[0].contains("ip")) {
            seen->Ingress(e.object["metadata"]["name"].get<std::string>(),
                          ingress[0]["ip"].get<std::string>(), now);
          }
          return true;
        });
    if (!s.ok()) {
      std::fprintf(stderr, "convergence_probe: watch: %s\n",
                   s.ToString().c_str());
      absl::SleepFor(absl::Milliseconds(100));
    }
  }
}

json EndpointSlice(
    const std::string& service,
    const std::vector<std::pair<std::string, std::string>>& endpoints) {
  json list = json::array();
  for (const auto& [node, ip] : endpoints) {
    list.push_back(
        {{"addresses", {ip}},
         {"conditions",
          {{"ready", true}, {"serving", true}, {"terminating", false}}},
         {"nodeName", node}});
  }
  return {{"apiVersion", "discovery.k8s.io/v1"},
          {"kind", "EndpointSlice"},
          {"metadata",
           {{"name", service + "-ipv4"},
            {"namespace", kNamespace},
            {"labels",
             {{"kubernetes.io/service-name", service},
              {"endpointslice.kubernetes.io/managed-by",
               "endpointslice-controller.k8s.io"}}}}},
          {"addressType", "IPv4"},
          {"ports", {{{"name", "http"}, {"port", 80}, {"protocol", "TCP"}}}},
          {"endpoints", list}};
}

json Service(const std::string& name) {
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata",
           {{"name", name},
            {"namespace", kNamespace},
            {"labels", {{kLabel, kLabelValue}}}}},
          {"spec",
           {{"type", "LoadBalancer"},
            {"selector", {{"app", name}}},
            {"ports",
             {{{"name", "http"},
               {"port", 80},
               {"protocol", "TCP"},
               {"targetPort", 80}}}}}}};
}

void Figures(const std::string& name, std::vector<double> ms) {
  if (ms.empty()) return;
  std::sort(ms.begin(), ms.end());
  std::printf("%s_p50: %.1f ms\n", name.c_str(),
              lb::bench::Percentile(ms, 0.50));
  std::printf("%s_p99: %.1f ms\n", name.c_str(),
              lb::bench::Percentile(ms, 0.99));
  std::printf("%s_max: %.1f ms\n", name.c_str(), ms.back());
}

int Usage(const std::string& why) {
  std::fprintf(stderr,
               "convergence_probe: %s\nusage: convergence_probe --kubeconfig "
               "FILE --interface IF --count N --endpoints NODE=IP[,...] "
               "[--gap-ms N] [--prefix NAME]\n",
               why.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string kubeconfig, interface, prefix = "conv";
  int count = 0, gap_ms = 300;
  std::vector<std::pair<std::string, std::string>> endpoints;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (i + 1 >= argc) return Usage(arg + " needs a value");
    std::string value = argv[++i];
    if (arg == "--kubeconfig") {
      kubeconfig = value;
    } else if (arg == "--interface") {
      interface = value;
    } else if (arg == "--prefix") {
      prefix = value;
    } else if (arg == "--count") {
      if (!absl::SimpleAtoi(value, &count) || count < 1) {
        return Usage("bad --count");
      }
    } else if (arg == "--gap-ms") {
      if (!absl::SimpleAtoi(value, &gap_ms) || gap_ms < 0) {
        return Usage("bad --gap-ms");
      }
    } else if (arg == "--endpoints") {
      for (absl::string_view e : absl::StrSplit(value, ',')) {
        std::pair<std::string, std::string> kv = absl::StrSplit(e, '=');
        if (kv.first.empty() || kv.second.empty()) {
          return Usage("bad --endpoints entry");
        }
        endpoints.push_back(kv);
      }
    } else {
      return Usage("unknown argument " + arg);
    }
  }
  if (kubeconfig.empty() || interface.empty() || count == 0 ||
      endpoints.empty()) {
    return Usage(
        "--kubeconfig, --interface, --count and --endpoints are "
        "required");
  }

  lb::RealClock clock;
  absl::StatusOr<lb::k8s::Config> config = lb::k8s::LoadKubeconfig(kubeconfig);
  if (!config.ok()) return Usage(config.status().ToString());
  config->qps = 1000;
  config->burst = 1000;
  absl::StatusOr<std::unique_ptr<lb::k8s::Client>> client =
      lb::k8s::HttpClient::Create(*config, clock);
  if (!client.ok()) return Usage(client.status().ToString());
  // A second client for the watch, so the stream never shares a connection
  // with the timed POSTs.
  absl::StatusOr<std::unique_ptr<lb::k8s::Client>> watcher =
      lb::k8s::HttpClient::Create(*config, clock);
  if (!watcher.ok()) return Usage(watcher.status().ToString());

  Observations seen;
  static lb::bench::ArpCapture capture;
  if (!capture.Open(interface)) {
    std::perror("convergence_probe: ARP capture");
    return 1;
  }
  std::thread(CaptureLoop, &capture, &seen).detach();
  lb::k8s::ListOptions list_options;
  list_options.label_selector = absl::StrCat(kLabel, "=", kLabelValue);
  absl::StatusOr<lb::k8s::ObjectList> existing =
      (*client)->List(lb::k8s::kServices, kNamespace, list_options);
  if (!existing.ok()) {
    std::fprintf(stderr, "convergence_probe: list: %s\n",
                 existing.status().ToString().c_str());
    return 1;
  }
  std::thread(WatchLoop, watcher->get(), existing->resource_version, &seen)
      .detach();

  std::vector<double> post_ms, status_ms, arp_ms;
  int missed = 0;
  for (int i = 0; i <= count; ++i) {
    const std::string name = absl::StrCat(prefix, "-", i);
    absl::StatusOr<json> slice = (*client)->Create(
        lb::k8s::kEndpointSlices, kNamespace, EndpointSlice(name, endpoints));
    if (!slice.ok()) {
      std::fprintf(stderr, "convergence_probe: %s: EndpointSlice: %s\n",
                   name.c_str(), slice.status().ToString().c_str());
      return 1;
    }
    absl::SleepFor(absl::Milliseconds(gap_ms));
    const int64_t t0 = lb::bench::NowMicros();
    absl::StatusOr<json> created =
        (*client)->Create(lb::k8s::kServices, kNamespace, Service(name));
    const int64_t t_post = lb::bench::NowMicros();
    if (!created.ok()) {
      std::fprintf(stderr, "convergence_probe: %s: %s\n", name.c_str(),
                   created.status().ToString().c_str());
      return 1;
    }
    std::string ip;
    int64_t t_status = 0;
    const bool have_status =
        seen.WaitIngress(name, absl::Now() + kStatusDeadline, &ip, &t_status);
    ArpSeen arp{0, "-"};
    const bool have_arp =
        have_status && seen.WaitArp(ip, t0, absl::Now() + kArpDeadline, &arp);
    const double post = (t_post - t0) / 1000.0;
    const double status = have_status
                              ? (t_status - t0) / 1000.0
                              : absl::ToDoubleMilliseconds(kStatusDeadline);
    const double arp_at =
        have_arp ? (arp.time_us - t0) / 1000.0
                 : status + absl::ToDoubleMilliseconds(kArpDeadline);
    std::fprintf(stderr,
                 "%s%s: post %.1f ms, status %.1f ms%s, arp %.1f ms%s "
                 "(%s from %s)\n",
                 name.c_str(), i == 0 ? " (warm-up)" : "", post, status,
                 have_status ? "" : " MISSED", arp_at,
                 have_arp ? "" : " MISSED", ip.empty() ? "-" : ip.c_str(),
                 arp.mac.c_str());
    if (i == 0) continue;
    if (!have_status || !have_arp) ++missed;
    post_ms.push_back(post);
    status_ms.push_back(status);
    arp_ms.push_back(arp_at);
  }
  Figures("convergence_service_to_status", status_ms);
  Figures("convergence_service_to_first_arp", arp_ms);
  Figures("convergence_create_request", post_ms);
  std::printf("convergence_samples: %zu count\n", status_ms.size());
  std::printf("convergence_missed: %d count\n", missed);
  std::fflush(stdout);
  std::fflush(stderr);
  // The watch and capture threads block in reads: leave without joining.
  std::_Exit(missed == 0 ? 0 : 1);
}
