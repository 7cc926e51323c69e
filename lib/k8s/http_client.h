// lib/k8s/http_client.h
//
// The Client (lib/k8s/client.h) that talks REST to a real API server over an
// HttpTransport (lib/k8s/transport.h): bearer tokens re-read from a token
// file every `token_reload_interval` and after a 401, a client-side QPS limit
// (`qps`, `burst`), and retries of 429/5xx answers that carry Retry-After
// (at most `max_retries`, each wait capped at 10 s). Every wait is on the
// injected Clock's monotonic timeline.
//
//   lb::RealClock clock;
//   LB_ASSIGN_OR_RETURN(Config config, LoadKubeconfig(path));
//   LB_ASSIGN_OR_RETURN(std::unique_ptr<HttpClient> client,
//                       HttpClient::Create(config, clock));
//   Reconcile(*client);   // takes a Client&
//
// Thread-safety: safe for concurrent use.

#ifndef LB_K8S_HTTP_CLIENT_H_
#define LB_K8S_HTTP_CLIENT_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "lib/base/clock.h"
#include "lib/base/token_bucket.h"
#include "lib/k8s/client.h"
#include "lib/k8s/config.h"
#include "lib/k8s/transport.h"

namespace lb::k8s {

class HttpClient final : public Client {
 public:
  // Over the cpp-httplib transport for `config`; errors as NewHttpTransport's.
  static absl::StatusOr<std::unique_ptr<HttpClient>> Create(
      const Config& config, Clock& clock);

  // Over `transport` (a fake one in tests); `env` reads `config.token_file`.
  HttpClient(Config config, Clock& clock,
             std::unique_ptr<HttpTransport> transport,
             Environment env = SystemEnvironment());

  // The static Create above would hide Client::Create (the POST).
  using Client::Create;

  const Config& config() const { return config_; }

 private:
  absl::StatusOr<json> DoGet(const Resource& r, const std::string& ns,
                             const std::string& name, Subresource sub) override;
  absl::StatusOr<ObjectList> DoList(const Resource& r, const std::string& ns,
                                    const ListOptions& options) override;
  absl::StatusOr<std::string> DoListEach(
      const Resource& r, const std::string& ns, const ListOptions& options,
      const std::function<void(json item)>& on_item) override;
  absl::StatusOr<json> DoCreate(const Resource& r, const std::string& ns,
                                const json& object,
                                const WriteOptions& options) override;
  absl::StatusOr<json> DoUpdate(const Resource& r, const std::string& ns,
                                const json& object, Subresource sub,
                                const WriteOptions& options) override;
  absl::StatusOr<json> DoMergePatch(const Resource& r, const std::string& ns,
                                    const std::string& name, const json& patch,
                                    Subresource sub,
                                    const WriteOptions& options) override;
  absl::StatusOr<json> DoJsonPatch(const Resource& r, const std::string& ns,
                                   const std::string& name, const json& patch,
                                   Subresource sub,
                                   const WriteOptions& options) override;
  absl::Status DoDelete(const Resource& r, const std::string& ns,
                        const std::string& name,
                        const std::string& resource_version,
                        const WriteOptions& options) override;
  absl::Status DoWatch(const Resource& r, const std::string& ns,
                       const WatchOptions& options,
                       const std::function<bool(WatchEvent)>& on_event,
                       StreamCancel* cancel) override;

  absl::StatusOr<json> Send(const std::string& method, const std::string& path,
                            const std::string& body,
                            const std::string& content_type);
  // Send without decoding: the body of a 2xx response.
  absl::StatusOr<std::string> SendRaw(const std::string& method,
                                      const std::string& path,
                                      const std::string& body,
                                      const std::string& content_type);
  // The path of one page of a list: `continue_token` "" for the first.
  static std::string ListPath(const Resource& r, const std::string& ns,
                              const ListOptions& options,
                              const std::string& continue_token);
  // Takes a request token from the QPS limiter, sleeping on the clock until
  // one is due.
  void WaitForRequestSlot() ABSL_LOCKS_EXCLUDED(limiter_mu_);
  std::string Token() ABSL_LOCKS_EXCLUDED(mu_);
  void InvalidateToken() ABSL_LOCKS_EXCLUDED(mu_);

  const Config config_;
  Clock& clock_;
  std::unique_ptr<HttpTransport> transport_;
  const Environment env_;
  absl::Mutex limiter_mu_;
  // Empty when config.qps <= 0 (no limit).
  std::optional<lb::TokenBucket> limiter_ ABSL_GUARDED_BY(limiter_mu_);
  absl::Mutex mu_;
  std::string token_ ABSL_GUARDED_BY(mu_);
  MonoTime token_read_ ABSL_GUARDED_BY(mu_) = MonoTime::InfinitePast();
};

// Escapes a query parameter value.
std::string UrlEncode(const std::string& value);

}  // namespace lb::k8s

#endif  // LB_K8S_HTTP_CLIENT_H_
