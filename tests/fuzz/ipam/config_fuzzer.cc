// Feeds arbitrary bytes to the config parser, bare and as a ConfigMap manifest.
// The parser must never crash; a valid result must have pools that satisfy the
// format's invariants.

#include <cstdint>
#include <cstdlib>
#include <string>

#include "lib/ipam/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  lb::ipam::ConfigReport report = lb::ipam::CheckConfig(text);
  if (report.config.has_value() != report.errors.empty()) std::abort();
  if (report.config) {
    for (const lb::ipam::Pool& pool : report.config->pools) {
      if (pool.name.empty() || pool.ranges.empty()) std::abort();
      for (const lb::ipam::IpRange& r : pool.ranges) {
        if (r.last() < r.first()) std::abort();
      }
    }
  }
  int lines = 0, columns = 0;
  absl::StatusOr<std::string> inner =
      lb::ipam::ExtractConfigFromManifest(text, &lines, &columns);
  if (inner.ok()) lb::ipam::CheckConfig(*inner);
  return 0;
}
