// cmd/controller/check_config.h
//
// `controller --check-config FILE`: validates a config the way `nginx -t`
// validates nginx's, printing the pools with their capacities or every error
// with its location.

#ifndef LB_CMD_CONTROLLER_CHECK_CONFIG_H_
#define LB_CMD_CONTROLLER_CHECK_CONFIG_H_

#include <ostream>
#include <string>

namespace lb::controller {

// Reads `path` (a ConfigMap manifest or a bare config document), prints the
// result to `out` and returns the process exit code: 0 when the config is
// valid, 1 otherwise.
int CheckConfigFile(const std::string& path, std::ostream& out);

}  // namespace lb::controller

#endif  // LB_CMD_CONTROLLER_CHECK_CONFIG_H_
