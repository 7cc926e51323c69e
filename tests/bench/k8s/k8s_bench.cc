// Benchmarks of lib/k8s:
//   - listing 10k Services from the API server stand-in (run in a child
//     process so the figures are the client's alone) and syncing an informer
//     over them, with the client's RSS once they are cached;
//   - applying a burst of 10k watch events (decode + cache update + handler)
//     to an informer cache.
// Prints `name: value unit` lines.

#include <malloc.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "lib/base/clock.h"
#include "lib/k8s/cache.h"
#include "lib/k8s/config.h"
#include "lib/k8s/http_client.h"
#include "lib/k8s/informer.h"
#include "lib/k8s/internal/watch_decoder.h"
#include "lib/k8s/testing/api_server.h"

namespace {

using lb::k8s::json;
constexpr int kServices = 10000;

double RssMb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

json ServiceObject(int i) {
  std::string name = absl::StrCat("svc-", i);
  return {
      {"apiVersion", "v1"},
      {"kind", "Service"},
      {"metadata",
       {{"name", name},
        {"namespace", "default"},
        {"labels", {{"app", name}, {"tier", i % 2 ? "web" : "db"}}},
        {"annotations", {{"metallb.universe.tf/address-pool", "default"}}}}},
      {"spec",
       {{"type", "LoadBalancer"},
        {"allocateLoadBalancerNodePorts", false},
        {"selector", {{"app", name}}},
        {"ports", {{{"name", "http"}, {"port", 80}, {"targetPort", 8080}}}}}}};
}

double Ms(std::chrono::steady_clock::time_point a,
          std::chrono::steady_clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

// Child: serve `kServices` Services, report the URL on `fd`, run until killed.
[[noreturn]] void Serve(int fd) {
  lb::RealClock clock;
  lb::k8s::testing::ApiServerOptions o;
  o.clock = &clock;
  auto server = lb::k8s::testing::ApiServer::Start(o);
  if (!server.ok()) _exit(1);
  auto config = lb::k8s::ParseKubeconfig((*server)->Kubeconfig(""), "");
  config->qps = 0;
  auto client = lb::k8s::HttpClient::Create(*config, clock);
  for (int i = 0; i < kServices; ++i) {
    if (!(*client)
             ->Create(lb::k8s::kServices, "default", ServiceObject(i))
             .ok())
      _exit(2);
  }
  std::string url = (*server)->url() + "\n";
  (void)!write(fd, url.data(), url.size());
  close(fd);
  while (true) clock.Sleep(absl::Hours(1));
}

void ListAndInform() {
  int fds[2];
  if (pipe(fds) != 0) return;
  pid_t child = fork();
  if (child == 0) {
    close(fds[0]);
    Serve(fds[1]);
  }
  close(fds[1]);
  std::string url;
  char c;
  while (read(fds[0], &c, 1) == 1 && c != '\n') url.push_back(c);
  close(fds[0]);
  if (url.empty()) {
    std::cerr << "server child failed\n";
    return;
  }
  lb::RealClock clock;
  lb::k8s::Config config;
  config.server = url;
  config.qps = 0;
  config.timeout = absl::Seconds(60);
  auto client = lb::k8s::HttpClient::Create(config, clock);
  double rss_start = RssMb();
  lb::k8s::Informer informer(**client, clock, lb::k8s::kServices, {});
  auto t0 = std::chrono::steady_clock::now();
  informer.Start();
  informer.WaitForSync(absl::Seconds(120));
  auto t1 = std::chrono::steady_clock::now();
  std::cout << "k8s_informer_sync_10k_services_time: " << Ms(t0, t1) << " ms\n";
  std::cout << "k8s_informer_10k_services_cached: " << informer.cache().size()
            << " objects\n";
  std::cout << "k8s_client_rss_10k_services_cached: " << RssMb() << " MB\n";
  malloc_trim(0);
  std::cout << "k8s_client_rss_10k_services_cached_after_trim: " << RssMb()
            << " MB\n";
  std::cout << "k8s_client_rss_start: " << rss_start << " MB\n";
  informer.Stop();
  t0 = std::chrono::steady_clock::now();
  auto list = (*client)->List(lb::k8s::kServices, "");
  t1 = std::chrono::steady_clock::now();
  if (!list.ok()) {
    std::cerr << list.status() << "\n";
  } else {
    std::cout << "k8s_list_10k_services_time: " << Ms(t0, t1) << " ms\n";
    std::cout << "k8s_list_10k_services_items: " << list->items.size()
              << " objects\n";
  }
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
}

void EventBurst() {
  // A cache holding 10k Services, then 10k MODIFIED events for them.
  lb::k8s::ObjectCache cache;
  std::vector<json> items;
  for (int i = 0; i < kServices; ++i) {
    json s = ServiceObject(i);
    s["metadata"]["resourceVersion"] = std::to_string(i + 1);
    items.push_back(std::move(s));
  }
  cache.Replace(std::move(items));
  std::string stream;
  for (int i = 0; i < kServices; ++i) {
    json s = ServiceObject(i);
    s["metadata"]["resourceVersion"] = std::to_string(kServices + i + 1);
    s["status"] = {
        {"loadBalancer",
         {{"ingress", {{{"ip", "192.168.1.240"}, {"ipMode", "VIP"}}}}}}};
    stream += json{{"type", "MODIFIED"}, {"object", std::move(s)}}.dump();
    stream += "\n";
  }
  int handled = 0;
  auto t0 = std::chrono::steady_clock::now();
  lb::k8s::internal::WatchDecoder decoder;
  std::vector<lb::k8s::internal::RawWatchEvent> events;
  constexpr size_t kChunk = 16 << 10;  // as read from a socket
  for (size_t off = 0; off < stream.size(); off += kChunk) {
    events.clear();
    if (!decoder.Feed(absl::string_view(stream).substr(off, kChunk), &events)
             .ok())
      break;
    for (auto& e : events) {
      auto d = cache.Apply(lb::k8s::WatchEvent::Type::kModified,
                           std::move(e.object));
      if (d.has_value()) ++handled;
    }
  }
  auto t1 = std::chrono::steady_clock::now();
  std::cout << "k8s_informer_10k_event_burst_time: " << Ms(t0, t1) << " ms\n";
  std::cout << "k8s_informer_10k_event_burst_applied: " << handled
            << " events\n";
  std::cout << "k8s_informer_10k_event_burst_stream: " << stream.size() / 1024
            << " KiB\n";
}

// Runs `part` in a child process so each figure sees a fresh heap.
void InChild(void (*part)()) {
  std::cout.flush();
  pid_t pid = fork();
  if (pid == 0) {
    part();
    std::cout.flush();
    _exit(0);
  }
  waitpid(pid, nullptr, 0);
}

}  // namespace

// `k8s_bench burst`: only the event burst (for profiling).
int main(int argc, char** argv) {
  if (argc == 2 && std::string(argv[1]) == "burst") {
    EventBurst();
    return 0;
  }
  InChild(ListAndInform);
  InChild(EventBurst);
  return 0;
}
