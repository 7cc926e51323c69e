// The controller is killed with SIGKILL at random moments while 2000 Services
// are created and some deleted. Afterwards every remaining Service converges to
// exactly one address from the pool, and no address is held by two Services.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "doctest/doctest.h"
#include "lib/base/clock.h"
#include "lib/k8s/config.h"
#include "lib/k8s/http_client.h"
#include "lib/k8s/objects.h"
#include "lib/k8s/testing/api_server.h"
#include "tests/status_matchers.h"

namespace {

using lb::k8s::json;

constexpr int kServices = 2000;
constexpr int kKills = 8;

// One controller process; SIGKILLed when replaced or destroyed.
class ControllerProcess {
 public:
  ControllerProcess(std::string kubeconfig, std::string log)
      : kubeconfig_(std::move(kubeconfig)), log_(std::move(log)) {}
  ~ControllerProcess() { Kill(); }

  void Start() {
    pid_ = fork();
    if (pid_ == 0) {
      FILE* out = std::fopen(log_.c_str(), "a");
      if (out != nullptr) {
        dup2(fileno(out), STDOUT_FILENO);
        dup2(fileno(out), STDERR_FILENO);
      }
      execl("cmd/controller/controller", "controller", "--kubeconfig",
            kubeconfig_.c_str(), "--port", "0", "--channel-port", "0",
            "--channel-plaintext", "--leader-elect=false", "--api-qps", "500",
            "--api-burst", "1000", static_cast<char*>(nullptr));
      _exit(127);
    }
  }
  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  bool Alive() const {
    return pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0;
  }

 private:
  const std::string kubeconfig_;
  const std::string log_;
  pid_t pid_ = -1;
};

json ServiceObject(int i) {
  return {
      {"apiVersion", "v1"},
      {"kind", "Service"},
      {"metadata", {{"name", absl::StrCat("s", i)}, {"namespace", "default"}}},
      {"spec",
       {{"type", "LoadBalancer"},
        {"ports", {{{"port", 80}, {"protocol", "TCP"}}}}}}};
}

std::vector<std::string> IngressIps(const json& service) {
  std::vector<std::string> out;
  const json* ingress = nullptr;
  if (service.contains("status") &&
      service["status"].contains("loadBalancer") &&
      service["status"]["loadBalancer"].contains("ingress")) {
    ingress = &service["status"]["loadBalancer"]["ingress"];
  }
  if (ingress == nullptr || !ingress->is_array()) return out;
  for (const json& i : *ingress) {
    if (i.contains("ip")) out.push_back(i["ip"].get<std::string>());
  }
  return out;
}

TEST_CASE("SIGKILLed controller: no address twice, every Service converges") {
  lb::RealClock clock;
  lb::k8s::testing::ApiServerOptions options;
  options.clock = &clock;
  ASSIGN_OR_FAIL(std::unique_ptr<lb::k8s::testing::ApiServer> server,
                 lb::k8s::testing::ApiServer::Start(options));
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string dir = tmp != nullptr ? tmp : "/tmp";
  std::string kubeconfig = dir + "/kubeconfig";
  // Kept after the run (test.outputs) when Bazel provides the directory.
  const char* outputs = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  std::string log =
      (outputs != nullptr ? std::string(outputs) : dir) + "/controller.log";
  REQUIRE_OK(server->WriteKubeconfig(kubeconfig, "token"));
  ASSIGN_OR_FAIL(lb::k8s::Config config, lb::k8s::LoadKubeconfig(kubeconfig));
  config.qps = 1000;
  config.burst = 1000;
  ASSIGN_OR_FAIL(std::unique_ptr<lb::k8s::Client> client,
                 lb::k8s::HttpClient::Create(config, clock));

  REQUIRE_OK(client->Create(lb::k8s::kNamespaces, "",
                            {{"apiVersion", "v1"},
                             {"kind", "Namespace"},
                             {"metadata", {{"name", "metallb-system"}}}}));
  // 4096 addresses: room for every Service even with released ones held back.
  json cm = {
      {"apiVersion", "v1"},
      {"kind", "ConfigMap"},
      {"metadata", {{"name", "config"}, {"namespace", "metallb-system"}}},
      {"data",
       {{"config",
         "address-pools:\n- name: fault\n  protocol: arp\n"
         "  arp-network: 10.20.0.0/20\n  cidr:\n  - 10.20.0.0/20\n"}}}};
  REQUIRE_OK(client->Create(lb::k8s::kConfigMaps, "metallb-system", cm));

  ControllerProcess controller(kubeconfig, log);
  controller.Start();

  std::mt19937 random(20261127);
  // Kill moments: random creation counts.
  std::set<int> kill_at;
  while (static_cast<int>(kill_at.size()) < kKills) {
    kill_at.insert(
        std::uniform_int_distribution<int>(1, kServices - 1)(random));
  }
  std::set<int> deleted;
  for (int i = 0; i < kServices; ++i) {
    REQUIRE_OK(client->Create(lb::k8s::kServices, "default", ServiceObject(i)));
    // A quarter of the Services are deleted again, some soon after creation.
    if (i > 10 && std::uniform_int_distribution<int>(0, 3)(random) == 0) {
      int victim = std::uniform_int_distribution<int>(i - 10, i)(random);
      if (deleted.insert(victim).second) {
        REQUIRE_OK(client->Delete(lb::k8s::kServices, "default",
                                  absl::StrCat("s", victim)));
      }
    }
    if (kill_at.count(i)) {
      controller.Kill();
      // Sometimes at once, sometimes after more changes piled up.
      absl::SleepFor(absl::Milliseconds(
          std::uniform_int_distribution<int>(0, 300)(random)));
      controller.Start();
    }
  }

  // Converge: every remaining Service has exactly one address from the pool.
  std::map<std::string, std::vector<std::string>> seen;
  std::vector<std::string> unconverged;
  const absl::Time deadline = absl::Now() + absl::Seconds(120);
  bool converged = false;
  while (!converged && absl::Now() < deadline) {
    ASSIGN_OR_FAIL(lb::k8s::ObjectList list,
                   client->List(lb::k8s::kServices, "default"));
    seen.clear();
    unconverged.clear();
    size_t ours = 0;
    converged = true;
    for (const json& s : list.items) {
      if (s["spec"].value("type", "") != "LoadBalancer") continue;
      ++ours;
      std::vector<std::string> ips = IngressIps(s);
      if (ips.size() != 1) {
        converged = false;
        unconverged.push_back(s["metadata"]["name"].get<std::string>());
      }
      for (const std::string& ip : ips) {
        seen[ip].push_back(s["metadata"]["name"].get<std::string>());
      }
    }
    converged = converged && ours == kServices - deleted.size();
    if (!converged) absl::SleepFor(absl::Milliseconds(200));
  }
  CHECK(controller.Alive());
  INFO("controller log: ", log);
  INFO(unconverged.size(), " Services without exactly one address, first: ",
       unconverged.empty() ? "" : unconverged.front());
  REQUIRE(converged);
  for (const auto& [ip, holders] : seen) {
    const std::string& address = ip;
    INFO("address ", address);
    CHECK(holders.size() == 1);
    CHECK(ip.rfind("10.20.", 0) == 0);
  }
  CHECK(seen.size() == kServices - deleted.size());
}

}  // namespace
