// Fuzzes the decoding of what a Kubernetes API server sends: watch streams
// (in arbitrary chunkings), objects decoded into typed views, Lease records
// and Status error bodies. Any input must give a result or an error, never a
// crash, a hang or a sanitizer report.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "lib/k8s/errors.h"
#include "lib/k8s/internal/watch_decoder.h"
#include "lib/k8s/lease.h"
#include "lib/k8s/objects.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::string_view input(reinterpret_cast<const char*>(data), size);
  // The first byte picks a chunk size for the stream decoder.
  size_t chunk = size == 0 ? 1 : 1 + data[0] % 64;
  lb::k8s::internal::WatchDecoder decoder;
  std::vector<lb::k8s::internal::RawWatchEvent> events;
  for (size_t off = 0; off < input.size(); off += chunk) {
    if (!decoder.Feed(input.substr(off, chunk), &events).ok()) break;
  }
  (void)decoder.Finish();
  for (const auto& e : events) {
    (void)lb::k8s::Service::FromJson(e.object);
    (void)lb::k8s::EndpointSlice::FromJson(e.object);
    (void)lb::k8s::Node::FromJson(e.object);
    (void)lb::k8s::LeaseFromJson(e.object);
  }
  nlohmann::json j = nlohmann::json::parse(input.begin(), input.end(), nullptr,
                                           /*allow_exceptions=*/false);
  if (!j.is_discarded()) {
    (void)lb::k8s::Service::FromJson(j);
    (void)lb::k8s::EndpointSlice::FromJson(j);
    (void)lb::k8s::Node::FromJson(j);
    (void)lb::k8s::Secret::FromJson(j);
    (void)lb::k8s::ConfigMap::FromJson(j);
    (void)lb::k8s::EventInfo::FromJson(j);
    (void)lb::k8s::LeaseFromJson(j);
  }
  (void)lb::k8s::StatusFromHttp(500, input);
  return 0;
}
