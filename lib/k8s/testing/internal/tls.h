// lib/k8s/testing/internal/tls.h
//
// A throw-away self-signed certificate for the API server stand-in's HTTPS
// mode: EC P-256 key, subjectAltName IP:127.0.0.1, IP:::1, DNS:localhost and
// the host the server listens on, usable as its own certificate authority.
//
// Thread-safety: pure function.

#ifndef LB_K8S_TESTING_INTERNAL_TLS_H_
#define LB_K8S_TESTING_INTERNAL_TLS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace lb::k8s::testing::internal {

struct SelfSignedCert {
  std::string cert_pem;
  std::string key_pem;
};

// Valid from `now` - 1h to `now` + 1 year. `host` (an IP address or a DNS
// name; "" or a wildcard address adds nothing) joins the subjectAltNames, so
// clients reaching the server at its listen address can verify it. Internal
// when OpenSSL fails.
absl::StatusOr<SelfSignedCert> MakeSelfSignedCert(absl::Time now,
                                                  const std::string& host = "");

}  // namespace lb::k8s::testing::internal

#endif  // LB_K8S_TESTING_INTERNAL_TLS_H_
