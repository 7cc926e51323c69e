// lib/k8s/testing/api_server.h
//
// An in-process Kubernetes API server stand-in that speaks the real wire
// protocol well enough for the real `kubectl` and for lib/k8s's client:
// discovery, generic storage for built-in kinds and CRD-defined custom
// resources, one global resourceVersion, list and watch (label and field
// selectors, "", "0" or an exact version, timeoutSeconds, bookmarks, 410 Gone
// once history is compacted), POST/PUT/PATCH (JSON, merge, strategic merge for
// built-in kinds)/DELETE, `/status` subresources, Service defaulting, Table
// output for `kubectl get`, upstream-shaped `Status` errors, protobuf bodies
// and responses for the kinds protobuf_codec.h models (negotiated as in
// content_negotiation.h), HTTP or HTTPS with bearer tokens, and fault
// injection. A thread of its own does the namespace controller's and the
// garbage collector's work (ObjectStore::Collect) a moment after changes, as
// kube-controller-manager would: a deleted namespace is Terminating, the
// dependents of a deleted owner are there, until then.
//
//   lb::RealClock clock;
//   lb::k8s::testing::ApiServerOptions options;
//   options.clock = &clock;
//   options.tls = true;
//   options.tokens = {"secret"};
//   LB_ASSIGN_OR_RETURN(auto server,
//                       lb::k8s::testing::ApiServer::Start(options));
//   LB_RETURN_IF_ERROR(server->WriteKubeconfig("/tmp/kubeconfig", "secret"));
//   // kubectl --kubeconfig /tmp/kubeconfig get services ...
//   server->DropWatches();          // every open watch ends cleanly
//   server->FailNextRequests(2, 503);
//
// A process using the server ignores SIGPIPE (Start does so) because clients
// that go away mid-stream would otherwise kill it.
//
// Thread-safety: every method is safe to call from any thread while the
// server serves requests on its own threads.

#ifndef LB_K8S_TESTING_API_SERVER_H_
#define LB_K8S_TESTING_API_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/base/clock.h"
#include "nlohmann/json.hpp"

namespace lb::k8s::testing {

// One request as the server authorized and answered it, for audit.
struct AuditEvent {
  std::string user;  // "system:serviceaccount:ns:name", "kubernetes-admin"
  std::vector<std::string> groups;
  // kube-apiserver's request attributes (request_info.h).
  bool resource_request = true;
  std::string verb, api_group, resource, subresource, ns, name, path;
  int code = 0;  // the response's HTTP status (200 when a watch starts)
};

struct ApiServerOptions {
  // Required. Timestamps, Ages, watch timeouts and bookmarks follow it; pass a
  // RealClock (watch streams poll their client every 200 ms of clock time).
  Clock* clock = nullptr;
  // Serve HTTPS with a fresh self-signed certificate (see ca_pem()).
  bool tls = false;
  // HTTPS only: accepted bearer tokens; a request without one of them gets
  // 401 Unauthorized. Empty accepts any request.
  std::vector<std::string> tokens;
  // Listen address and port; 0 picks a free port.
  std::string host = "127.0.0.1";
  int port = 0;
  // Number of watch events kept for watches that resume from a version; a
  // watch from before the oldest kept event gets 410 Expired.
  int64_t history_limit = 100000;
  // Interval between BOOKMARK events on watches that allow them.
  absl::Duration bookmark_interval = absl::Seconds(5);
  // The most requests served at once, open watches included (each holds a
  // thread while it is open); threads are started as requests need them.
  int threads = 8192;
  // A watch without timeoutSeconds ends after a random time between this and
  // twice this, as kube-apiserver's --min-request-timeout makes it, so that
  // clients re-watch.
  absl::Duration min_request_timeout = absl::Minutes(30);
  // How long a list or watch from a resourceVersion the server has not
  // reached waits for it before 504 "Too large resource version".
  absl::Duration future_version_wait = absl::Seconds(3);
  // Called once per request (health checks excluded) as it is answered, from
  // the thread that served it; null for none.
  std::function<void(const AuditEvent&)> on_request;
  // When the namespace controller's and the garbage collector's work
  // (ObjectStore::Collect) runs: this long after the latest DELETE, and so
  // at most 5 times this long after the first change it has to look at;
  // again as long after each pass that changed something. A second is about
  // how soon kube-controller-manager empties a small namespace, and leaves
  // `kubectl delete -f` time to delete what a manifest lists itself.
  // InfiniteDuration: never (deleted namespaces stay Terminating, dependents
  // stay).
  absl::Duration collect_delay = absl::Seconds(1);
};

class ApiServer {
 public:
  // Starts serving. InvalidArgument without a clock; Unavailable when the
  // address cannot be bound; Internal when TLS setup fails.
  static absl::StatusOr<std::unique_ptr<ApiServer>> Start(
      ApiServerOptions options);

  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  // "http://127.0.0.1:PORT" or "https://127.0.0.1:PORT".
  std::string url() const;
  int port() const;
  // PEM of the self-signed certificate (HTTPS mode), "" otherwise.
  std::string ca_pem() const;

  // A kubeconfig (YAML) whose single context points at this server with
  // `token` (HTTPS mode) and the CA data.
  std::string Kubeconfig(const std::string& token) const;
  // Writes Kubeconfig(token) to `path`; Internal on I/O failure.
  absl::Status WriteKubeconfig(const std::string& path,
                               const std::string& token) const;

  // The current global resourceVersion.
  int64_t resource_version() const;
  // Number of watch streams currently open.
  int open_watches() const;
  // Number of requests served (including failed ones).
  int64_t request_count() const;

  // The stored object, bypassing HTTP. NotFound if absent; InvalidArgument
  // for an unknown resource. `group` "" is the core group.
  absl::StatusOr<nlohmann::json> GetObject(const std::string& group,
                                           const std::string& plural,
                                           const std::string& ns,
                                           const std::string& name) const;

  // --- Fault injection -----------------------------------------------------
  // Ends every open watch stream cleanly (as a server-side timeout would).
  void DropWatches();
  // Answers the next `n` requests with a Status error of `http_code`; with
  // `method` and `path_suffix` set, only requests of that method whose path
  // ends so (e.g. "PATCH", "/status") count and fail.
  void FailNextRequests(int n, int http_code, std::string method = "",
                        std::string path_suffix = "");
  // Delays every request by `latency` before it is handled.
  void SetLatency(absl::Duration latency);
  // Forgets all watch history: a watch from any version older than the
  // current one gets 410 Expired.
  void CompactHistory();
  // Replaces the accepted bearer tokens (HTTPS mode).
  void SetTokens(std::vector<std::string> tokens);
  // Stops serving (open connections are closed) and collecting; stored
  // state is kept.
  void Stop();
  // Serves (and collects) again on the same port with the state kept.
  // Unavailable when the port cannot be bound again.
  absl::Status Restart();

  class Impl;

 private:
  explicit ApiServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace lb::k8s::testing

#endif  // LB_K8S_TESTING_API_SERVER_H_
