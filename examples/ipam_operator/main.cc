// ipam_operator: shows what lib/ipam decides for a set of Services.
//
//   ipam_operator CONFIG.yaml SERVICES.yaml...
//
// Reads the config (ConfigMap manifest or bare config) and Service manifests,
// runs the operator's start-up (re-learn, then allocate), prints each Service's
// EXTERNAL-IP, then deletes the first Service that got an address and prints
// what that frees.

#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include "absl/strings/str_join.h"
#include "examples/ipam_operator/manifest.h"
#include "examples/ipam_operator/operator.h"
#include "lib/base/clock.h"

namespace {

void Print(const lb::examples::Outcome& o) {
  std::cout << "  " << std::left << std::setw(22) << o.service << " "
            << std::setw(16)
            << (o.ok && !o.ingress.empty() ? absl::StrJoin(o.ingress, ",")
                                           : "<pending>")
            << " "
            << (o.ok ? (o.pool.empty() ? o.message : "pool " + o.pool)
                     : o.message)
            << "\n";
}

std::string Slurp(const char* path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: ipam_operator CONFIG.yaml SERVICES.yaml...\n";
    return 2;
  }
  absl::StatusOr<lb::ipam::ParsedConfig> config =
      lb::examples::LoadConfig(Slurp(argv[1]));
  if (!config.ok()) {
    std::cerr << argv[1] << ": " << config.status().message() << "\n";
    return 1;
  }
  std::vector<lb::examples::Service> services;
  for (int i = 2; i < argc; ++i) {
    absl::StatusOr<std::vector<lb::examples::Service>> more =
        lb::examples::LoadServices(Slurp(argv[i]));
    if (!more.ok()) {
      std::cerr << argv[i] << ": " << more.status().message() << "\n";
      return 1;
    }
    services.insert(services.end(), more->begin(), more->end());
  }
  lb::RealClock clock;
  lb::examples::IpamOperator op(clock);
  if (absl::Status s = op.SetConfig(config->config); !s.ok()) {
    std::cerr << s.message() << "\n";
    return 1;
  }
  std::cout << "pools:\n";
  for (const lb::ipam::PoolUsage& u : op.allocator().Usage()) {
    std::cout << "  " << u.pool << " (" << lb::FamilyName(u.family)
              << "): " << static_cast<double>(u.capacity) << " addresses\n";
  }
  std::cout << "services (NAME, EXTERNAL-IP, why):\n";
  std::string first_assigned;
  for (const lb::examples::Outcome& o : op.Start(services)) {
    Print(o);
    if (o.ok && !o.ingress.empty() && first_assigned.empty())
      first_assigned = o.service;
  }
  if (!first_assigned.empty()) {
    std::cout << "delete " << first_assigned << ":\n";
    std::vector<lb::examples::Outcome> retried = op.Delete(first_assigned);
    if (retried.empty())
      std::cout << "  no pending service was waiting for an address\n";
    for (const lb::examples::Outcome& o : retried) Print(o);
  }
  std::cout << "usage:\n";
  for (const lb::ipam::PoolUsage& u : op.allocator().Usage()) {
    std::cout << "  " << u.pool << ": " << static_cast<double>(u.in_use)
              << " in use, " << static_cast<double>(u.held)
              << " held back after release\n";
  }
  return 0;
}
