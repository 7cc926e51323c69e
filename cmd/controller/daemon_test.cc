#include "cmd/controller/daemon.h"

#include <doctest/doctest.h>
#include <grpcpp/grpcpp.h>

#include <memory>
#include <set>
#include <sstream>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "lib/base/clock.h"
#include "lib/base/simulated_clock.h"
#include "lib/k8s/testing/in_memory_client.h"
#include "tests/status_matchers.h"

namespace lb::controller {
namespace {

using k8s::json;

json Service(const std::string& name) {
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata", {{"name", name}, {"namespace", "default"}}},
          {"spec",
           {{"type", "LoadBalancer"},
            {"ports", {{{"port", 80}, {"protocol", "TCP"}}}}}}};
}

// The first address in the Service's status, or "".
std::string Address(k8s::Client& client, const std::string& name) {
  absl::StatusOr<json> s = client.Get(k8s::kServices, "default", name);
  if (!s.ok()) return "";
  const json ingress = s->value("status", json::object())
                           .value("loadBalancer", json::object())
                           .value("ingress", json::array());
  return ingress.empty() ? "" : ingress[0].value("ip", "");
}

// A channel server with no port: speakers of a test reach it through
// InProcessChannel().
absl::StatusOr<channel::ServingChannel> InProcessChannel(
    grpc::Service* service, std::shared_ptr<grpc::ServerCredentials>) {
  grpc::ServerBuilder builder;
  builder.RegisterService(service);
  channel::ServingChannel out;
  out.server = builder.BuildAndStart();
  if (out.server == nullptr) return absl::InternalError("no channel server");
  return out;
}

int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = text.find(what); at != std::string::npos;
       at = text.find(what, at + what.size())) {
    ++n;
  }
  return n;
}

TEST_CASE("a status write that fails during sync is retried for its Service") {
  SimulatedClock clock;
  k8s::testing::InMemoryClient api(clock);
  k8s::Client* client = &api;
  REQUIRE_OK(client
                 ->Create(k8s::kNamespaces, "",
                          {{"apiVersion", "v1"},
                           {"kind", "Namespace"},
                           {"metadata", {{"name", "metallb-system"}}}})
                 .status());
  REQUIRE_OK(
      client
          ->Create(k8s::kConfigMaps, "metallb-system",
                   {{"apiVersion", "v1"},
                    {"kind", "ConfigMap"},
                    {"metadata",
                     {{"name", "config"}, {"namespace", "metallb-system"}}},
                    {"data",
                     {{"config",
                       "address-pools:\n- name: p\n  protocol: arp\n"
                       "  cidr: [192.168.1.240/28]\n"}}}})
          .status());
  for (const char* name : {"a", "b", "c"}) {
    REQUIRE_OK(
        client->Create(k8s::kServices, "default", Service(name)).status());
  }
  // The sync pass writes three statuses; the first write fails.
  api.FailNextRequests(1, 500, "PATCH", "/status");

  std::ostringstream log;
  cmd::Logger logger(log);
  cmd::Metrics metrics;
  DaemonOptions options;
  options.channel_plaintext = true;
  options.leader_elect = false;
  ControllerIo io;
  io.clock = &clock;
  io.client = client;
  io.serve_channel = InProcessChannel;
  Daemon daemon(options, io, logger, metrics);
  REQUIRE_OK(daemon.Start());
  // Simulated time moves (retries wait on it) until every Service has an
  // address, for at most 20 simulated seconds.
  std::set<std::string> addresses;
  for (int step = 0; step < 2000; ++step) {
    addresses.clear();
    for (const char* name : {"a", "b", "c"}) {
      addresses.insert(Address(*client, name));
    }
    if (!addresses.count("")) break;
    clock.AdvanceTime(absl::Milliseconds(10));
    absl::SleepFor(absl::Milliseconds(1));  // lets the daemon's threads run
  }
  daemon.Stop();
  INFO(log.str());
  // Every Service got its own address, the failed one on a retry.
  CHECK(addresses.size() == 3);
  CHECK_FALSE(addresses.count(""));
  CHECK(absl::StrContains(metrics.Render(),
                          "metallb_k8s_client_update_errors_total 1"));
  CHECK(Count(log.str(), "updating status failed") == 1);
  // The retry converged that Service alone; the pass was not repeated.
  CHECK(Count(log.str(), "Controller synced") == 1);
}

}  // namespace
}  // namespace lb::controller
