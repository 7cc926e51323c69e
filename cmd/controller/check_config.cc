#include "cmd/controller/check_config.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lib/ipam/config.h"
#include "lib/ipam/pool.h"

namespace lb::controller {
namespace {

std::string Location(const std::string& path, const ipam::ConfigIssue& issue,
                     int lines, int columns) {
  if (issue.line == 0) return path;
  return absl::StrCat(path, ":", issue.line + lines, ":",
                      issue.column + columns);
}

std::string Count(absl::uint128 n) {
  // Exact decimal for 128-bit counts.
  if (n == 0) return "0";
  std::string digits;
  while (n > 0) {
    digits.insert(digits.begin(),
                  static_cast<char>('0' + static_cast<int>(n % 10)));
    n /= 10;
  }
  return digits;
}

}  // namespace

int CheckConfigFile(const std::string& path, std::ostream& out) {
  std::ifstream in(path);
  if (!in) {
    out << path << ": error: cannot read the file\n";
    return 1;
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  int lines = 0, columns = 0;
  absl::StatusOr<std::string> text =
      ipam::ExtractConfigFromManifest(buffer.str(), &lines, &columns);
  if (!text.ok()) {
    out << path << ": error: " << text.status().message() << "\n";
    return 1;
  }
  ipam::ConfigReport report = ipam::CheckConfig(*text);
  for (const ipam::ConfigIssue& w : report.warnings) {
    out << Location(path, w, lines, columns) << ": warning: " << w.message
        << "\n";
  }
  for (const ipam::ConfigIssue& e : report.errors) {
    out << Location(path, e, lines, columns) << ": error: " << e.message
        << "\n";
  }
  if (!report.config) {
    out << path << ": configuration is invalid (" << report.errors.size()
        << (report.errors.size() == 1 ? " error" : " errors")
        << "); a running controller "
        << "would keep its previous configuration\n";
    return 1;
  }
  const ipam::Config& config = *report.config;
  out << path << ": configuration is valid: " << config.pools.size()
      << (config.pools.size() == 1 ? " address pool" : " address pools") << ", "
      << config.peers.size()
      << (config.peers.size() == 1 ? " BGP peer" : " BGP peers") << "\n";
  for (const ipam::Pool& pool : config.pools) {
    ipam::PoolSpace space(pool);
    std::vector<std::string> ranges;
    for (const ipam::IpRange& r : pool.ranges) ranges.push_back(r.ToString());
    std::vector<std::string> flags = {
        std::string(ipam::ProtocolName(pool.protocol))};
    if (!pool.auto_assign) flags.push_back("auto-assign off");
    if (pool.avoid_buggy_ips) flags.push_back("avoid-buggy-ips");
    if (pool.arp_network)
      flags.push_back(
          absl::StrCat("arp-network ", pool.arp_network->ToString()));
    out << "  pool \"" << pool.name << "\" (" << absl::StrJoin(flags, ", ")
        << "): " << absl::StrJoin(ranges, ", ") << "\n";
    for (IpFamily f : {IpFamily::kV4, IpFamily::kV6}) {
      if (!space.HasFamily(f)) continue;
      out << "    " << FamilyName(f) << ": " << Count(space.Capacity(f))
          << " usable addresses";
      if (std::optional<IpAddress> first = space.FirstUsable(f)) {
        out << ", first " << first->ToString();
      }
      out << "\n";
    }
  }
  for (const ipam::Pool& pool : config.pools) {
    if (pool.protocol != ipam::Protocol::kBgp) continue;
    out << path << ": warning: pool \"" << pool.name
        << "\" is a BGP pool: BGP mode is not built yet, so its addresses "
           "are assigned but nothing announces them\n";
  }
  return 0;
}

}  // namespace lb::controller
