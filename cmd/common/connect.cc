#include "cmd/common/connect.h"

#include "lib/base/status_macros.h"
#include "lib/k8s/config.h"
#include "lib/k8s/http_client.h"

namespace lb::cmd {

absl::StatusOr<std::unique_ptr<k8s::Client>> ConnectToApiServer(
    const ApiOptions& options, Clock& clock, Logger& logger) {
  LB_ASSIGN_OR_RETURN(
      k8s::Config config,
      options.kubeconfig.empty()
          ? Annotate(k8s::InClusterConfig(k8s::SystemEnvironment()),
                     "in-cluster configuration")
          : Annotate(k8s::LoadKubeconfig(options.kubeconfig),
                     "kubeconfig " + options.kubeconfig));
  if (options.qps > 0) config.qps = options.qps;
  if (options.burst > 0) config.burst = options.burst;
  config.on_warning = [&logger](const std::string& warning) {
    LB_LOG_WARNING(logger) << "API server warning: " << warning;
  };
  return k8s::HttpClient::Create(config, clock);
}

}  // namespace lb::cmd
