// examples/ipam_operator/manifest.h
//
// Reads the example's inputs from YAML manifests: the config ConfigMap and
// Services.

#ifndef LB_EXAMPLES_IPAM_OPERATOR_MANIFEST_H_
#define LB_EXAMPLES_IPAM_OPERATOR_MANIFEST_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "examples/ipam_operator/operator.h"
#include "lib/ipam/config.h"

namespace lb::examples {

// A ConfigMap manifest or a bare config document.
absl::StatusOr<ipam::ParsedConfig> LoadConfig(const std::string& text);

// Every `kind: Service` document of a multi-document manifest; others are
// skipped.
absl::StatusOr<std::vector<Service>> LoadServices(const std::string& text);

}  // namespace lb::examples

#endif  // LB_EXAMPLES_IPAM_OPERATOR_MANIFEST_H_
