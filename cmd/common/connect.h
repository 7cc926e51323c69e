// cmd/common/connect.h
//
// How both daemons reach the API server: a kubeconfig file or the in-cluster
// configuration, with the client-side request limits from their flags.
//
//   ApiOptions api;                        // filled from --kubeconfig, ...
//   LB_ASSIGN_OR_RETURN(auto client, ConnectToApiServer(api, clock));
//
// Thread-safety: a free function; the client it returns is thread-safe.

#ifndef LB_CMD_COMMON_CONNECT_H_
#define LB_CMD_COMMON_CONNECT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cmd/common/klog.h"
#include "lib/base/clock.h"
#include "lib/k8s/client.h"

namespace lb::cmd {

struct ApiOptions {
  // Kubeconfig file; empty: the in-cluster configuration.
  std::string kubeconfig;
  // Client-side limit on API requests; 0: the configuration's own.
  double qps = 0;
  int burst = 0;
};

// Errors name the configuration that could not be read or used. Warnings
// the API server sends (deprecations, unknown fields) are logged to `logger`,
// which must outlive the client.
absl::StatusOr<std::unique_ptr<k8s::Client>> ConnectToApiServer(
    const ApiOptions& options, Clock& clock, Logger& logger);

}  // namespace lb::cmd

#endif  // LB_CMD_COMMON_CONNECT_H_
