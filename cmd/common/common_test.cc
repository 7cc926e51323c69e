#include <doctest/doctest.h>

#include <sstream>

#include "absl/strings/match.h"
#include "cmd/common/klog.h"
#include "cmd/common/metrics.h"

namespace lb::cmd {
namespace {

TEST_CASE("klog lines look like MetalLB's") {
  absl::Time when = absl::FromCivil(absl::CivilSecond(2017, 12, 17, 10, 18, 7),
                                    absl::UTCTimeZone()) +
                    absl::Microseconds(409788);
  CHECK(Logger::Format('I', when, 1, "/src/speaker/arp_controller.cc", 96,
                       "default/nginx: announcable, making advertisement") ==
        "I1217 10:18:07.409788       1 arp_controller.cc:96] default/nginx: "
        "announcable, "
        "making advertisement");
  std::ostringstream out;
  Logger logger(out);
  LB_LOG_WARNING(logger) << "config " << 2 << " rejected";
  CHECK(absl::StartsWith(out.str(), "W"));
  CHECK(absl::EndsWith(out.str(), "] config 2 rejected\n"));
}

TEST_CASE("metrics render in the Prometheus text format") {
  Metrics m;
  m.Set("metallb_allocator_addresses_total", {{"pool", "my-ip-space"}}, 15,
        "Number of usable IP addresses, per pool");
  m.Add("metallb_k8s_client_updates_total", {}, 1,
        "Number of k8s object updates processed");
  m.Add("metallb_k8s_client_updates_total", {}, 2,
        "Number of k8s object updates processed");
  std::string text = m.Render();
  CHECK(absl::StrContains(
      text,
      "# TYPE metallb_allocator_addresses_total gauge\n"
      "metallb_allocator_addresses_total{pool=\"my-ip-space\"} 15\n"));
  CHECK(absl::StrContains(text,
                          "# TYPE metallb_k8s_client_updates_total counter\n"
                          "metallb_k8s_client_updates_total 3\n"));
  CHECK(m.Get("metallb_k8s_client_updates_total", {}) == 3);
  m.Set("x", {{"l", "a\"b"}}, 1, "h");
  CHECK(absl::StrContains(m.Render(), "x{l=\"a\\\"b\"} 1"));
  m.Clear("metallb_allocator_addresses_total");
  CHECK_FALSE(absl::StrContains(m.Render(), "pool=\"my-ip-space\""));
}

TEST_CASE("a counter copied from elsewhere renders as a counter") {
  Metrics m;
  m.SetCounter("metallb_layer2_responses_sent", {{"ip", "192.168.1.240"}}, 7,
               "Number of layer2 responses sent");
  m.SetCounter("metallb_layer2_responses_sent", {{"ip", "192.168.1.240"}}, 9,
               "Number of layer2 responses sent");
  CHECK(absl::StrContains(
      m.Render(),
      "# TYPE metallb_layer2_responses_sent counter\n"
      "metallb_layer2_responses_sent{ip=\"192.168.1.240\"} 9\n"));
}

}  // namespace
}  // namespace lb::cmd
