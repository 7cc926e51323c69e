// lib/k8s/config.h
//
// Where the client connects and how it authenticates: from a kubeconfig file
// (clusters, users, contexts; CA data or file; client certificate and key;
// bearer token or token file; insecure-skip-tls-verify; tls-server-name) or
// from inside a pod (KUBERNETES_SERVICE_HOST/PORT and the service-account
// token, CA and namespace files).
//
//   LB_ASSIGN_OR_RETURN(Config config, LoadKubeconfig("/root/.kube/config"));
//   // or, in a pod:
//   LB_ASSIGN_OR_RETURN(Config config, InClusterConfig(SystemEnvironment()));
//
// Thread-safety: Config is a value type.

#ifndef LB_K8S_CONFIG_H_
#define LB_K8S_CONFIG_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace lb::k8s {

struct Config {
  // "https://host:port" (optionally with a path prefix) or "http://...".
  std::string server;
  // PEM bundle that verifies the server; empty uses the system roots.
  std::string ca_pem;
  // Skips server verification. Off by default; never together with ca_pem.
  bool insecure_skip_tls_verify = false;
  // Name to verify the server certificate against instead of the URL host.
  std::string tls_server_name;
  // Client certificate authentication (both or neither).
  std::string client_cert_pem;
  std::string client_key_pem;
  // Bearer token; when token_file is set the token is read from it, re-read
  // every token_reload_interval and after every 401.
  std::string token;
  std::string token_file;
  absl::Duration token_reload_interval = absl::Minutes(1);
  // Default namespace of the context / pod.
  std::string default_namespace = "default";
  // Per-request timeout (connect + whole response for non-watch requests).
  absl::Duration timeout = absl::Seconds(30);
  // Client-side rate limit for requests (<= 0: none).
  double qps = 20;
  int burst = 40;
  // Retries of a request answered 429 or 5xx with a Retry-After header.
  int max_retries = 5;
  std::string user_agent = "lb-k8s/1";
  // Called with the text of each warning the server sends (`Warning: 299`
  // headers: deprecated APIs, unknown fields, webhook warnings), on the
  // thread that made the request; null drops them.
  std::function<void(const std::string& warning)> on_warning;
};

// Reads the environment and files of a pod. Injected so tests can fake them.
struct Environment {
  std::function<std::optional<std::string>(const std::string& name)> getenv;
  std::function<absl::StatusOr<std::string>(const std::string& path)> read_file;
};

// The process environment and file system.
Environment SystemEnvironment();

// Loads `path` (YAML) and selects `context` (empty: current-context).
// NotFound when the file, context, cluster or user is missing;
// InvalidArgument when the YAML or a field is malformed (the message names
// the field).
absl::StatusOr<Config> LoadKubeconfig(
    const std::string& path, const std::string& context = "",
    const Environment& env = SystemEnvironment());

// Parses kubeconfig text; relative file paths resolve against `base_dir`.
absl::StatusOr<Config> ParseKubeconfig(
    const std::string& yaml, const std::string& base_dir,
    const std::string& context = "",
    const Environment& env = SystemEnvironment());

// The in-cluster configuration. FailedPrecondition when
// KUBERNETES_SERVICE_HOST or KUBERNETES_SERVICE_PORT is unset (not in a pod);
// NotFound when the token or CA file is missing. `secrets_dir` holds `token`,
// `ca.crt` and `namespace`.
absl::StatusOr<Config> InClusterConfig(
    const Environment& env,
    const std::string& secrets_dir =
        "/var/run/secrets/kubernetes.io/serviceaccount");

}  // namespace lb::k8s

#endif  // LB_K8S_CONFIG_H_
