// The controller. Today it checks configs: `controller --check-config FILE`
// reads a ConfigMap manifest or a bare config and prints its pools, or every
// error.

#include <cstring>
#include <iostream>
#include <string>

#include "cmd/controller/check_config.h"

namespace {

constexpr char kUsage[] =
    "usage: controller --check-config FILE\n"
    "\n"
    "Assigns addresses from configured pools to LoadBalancer Services.\n"
    "\n"
    "  --check-config FILE  validate FILE (the ConfigMap manifest, or the bare "
    "config\n"
    "                       YAML), print the pools and their capacities or "
    "every error\n"
    "                       with its line, and exit: 0 valid, 1 invalid\n"
    "  --help               show this help\n";

}  // namespace

int main(int argc, char** argv) {
  std::string check;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (arg == "--check-config" && i + 1 < argc) {
      check = argv[++i];
    } else if (arg.rfind("--check-config=", 0) == 0) {
      check = arg.substr(std::strlen("--check-config="));
    } else {
      std::cerr << "controller: unknown argument \"" << arg << "\"\n" << kUsage;
      return 2;
    }
  }
  if (check.empty()) {
    std::cerr
        << "controller: only --check-config FILE is available in this build\n"
        << kUsage;
    return 2;
  }
  return lb::controller::CheckConfigFile(check, std::cout);
}
