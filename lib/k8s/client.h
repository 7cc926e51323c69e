// lib/k8s/client.h
//
// A Kubernetes REST client over JSON objects (nlohmann::json): get, list,
// create, merge-patch, JSON-patch, update, delete and watch for any Resource,
// with bearer-token refresh, a client-side QPS limit and retries of
// throttled/unavailable answers that carry Retry-After. Typed views of the
// objects live in lib/k8s/objects.h; writes should be merge patches of
// exactly the fields being changed.
//
//   lb::RealClock clock;
//   LB_ASSIGN_OR_RETURN(Config config, LoadKubeconfig(path));
//   LB_ASSIGN_OR_RETURN(auto client, Client::Create(config, clock));
//   LB_ASSIGN_OR_RETURN(json svc, client->Get(kServices, "default", "web"));
//   LB_RETURN_IF_ERROR(client->MergePatch(
//       kServices, "default", "web",
//       {{"status", {{"loadBalancer", {{"ingress", {{{"ip",
//       "192.0.2.1"}}}}}}}}}, Subresource::kStatus).status());
//
// Errors: see lib/k8s/errors.h (the server's Status reason and message are
// carried in every failure).
//
// Thread-safety: safe for concurrent use.

#ifndef LB_K8S_CLIENT_H_
#define LB_K8S_CLIENT_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "lib/base/clock.h"
#include "lib/k8s/backoff.h"
#include "lib/k8s/config.h"
#include "lib/k8s/resource.h"
#include "lib/k8s/transport.h"
#include "nlohmann/json.hpp"

namespace lb::k8s {

using json = nlohmann::json;

enum class Subresource { kNone, kStatus };

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  // "" = most recent, "0" = any (may be cached), "N" = not older than N.
  std::string resource_version;
};

struct ObjectList {
  std::vector<json> items;
  // The version of the snapshot; watch from it.
  std::string resource_version;
};

struct WatchOptions {
  // Start after this version ("" or "0": current state as ADDED first).
  std::string resource_version;
  std::string label_selector;
  std::string field_selector;
  // The server ends the stream cleanly after this long.
  absl::Duration timeout = absl::Minutes(5);
  bool allow_bookmarks = true;
};

struct WatchEvent {
  enum class Type { kAdded, kModified, kDeleted, kBookmark };
  Type type;
  json object;
};

class Client {
 public:
  // Real transport from `config`; errors as NewHttpTransport's.
  static absl::StatusOr<std::unique_ptr<Client>> Create(const Config& config,
                                                        Clock& clock);
  Client(Config config, Clock& clock, std::unique_ptr<HttpTransport> transport);

  absl::StatusOr<json> Get(const Resource& r, const std::string& ns,
                           const std::string& name,
                           Subresource sub = Subresource::kNone);
  absl::StatusOr<ObjectList> List(const Resource& r, const std::string& ns,
                                  const ListOptions& options = {});
  // Like List, but hands each item to `on_item` as it is decoded instead of
  // building the whole list, so a large list never exists as one tree.
  // Returns the list's resourceVersion.
  absl::StatusOr<std::string> ListEach(
      const Resource& r, const std::string& ns, const ListOptions& options,
      const std::function<void(json item)>& on_item);
  // POST; AlreadyExists when the name is taken.
  absl::StatusOr<json> Create(const Resource& r, const std::string& ns,
                              const json& object);
  // PUT of a whole object as previously read (metadata.resourceVersion makes
  // it conditional: Aborted/Conflict if stale). Prefer MergePatch.
  absl::StatusOr<json> Update(const Resource& r, const std::string& ns,
                              const json& object,
                              Subresource sub = Subresource::kNone);
  // RFC 7386 merge patch. A `metadata.resourceVersion` inside `patch` is a
  // precondition (Aborted/Conflict when stale).
  absl::StatusOr<json> MergePatch(const Resource& r, const std::string& ns,
                                  const std::string& name, const json& patch,
                                  Subresource sub = Subresource::kNone);
  // RFC 6902 JSON patch (an array of operations).
  absl::StatusOr<json> JsonPatch(const Resource& r, const std::string& ns,
                                 const std::string& name, const json& patch,
                                 Subresource sub = Subresource::kNone);
  // DELETE; with `resource_version` non-empty the delete is conditional.
  absl::Status Delete(const Resource& r, const std::string& ns,
                      const std::string& name,
                      const std::string& resource_version = "");

  // Streams events to `on_event` (return false to stop) until the server
  // ends the stream (OK), `cancel` is triggered (Cancelled), the server sends
  // an ERROR event (its Status; IsGone() for 410), the stream is malformed
  // (DataLoss) or the connection fails (Unavailable).
  absl::Status Watch(const Resource& r, const std::string& ns,
                     const WatchOptions& options,
                     const std::function<bool(WatchEvent)>& on_event,
                     StreamCancel* cancel = nullptr);

  const Config& config() const { return config_; }
  Clock& clock() { return clock_; }

 private:
  absl::StatusOr<json> Send(const std::string& method, const std::string& path,
                            const std::string& body,
                            const std::string& content_type);
  // Send without decoding: the body of a 2xx response.
  absl::StatusOr<std::string> SendRaw(const std::string& method,
                                      const std::string& path,
                                      const std::string& body,
                                      const std::string& content_type);
  static std::string ListPath(const Resource& r, const std::string& ns,
                              const ListOptions& options);
  std::string Token() ABSL_LOCKS_EXCLUDED(mu_);
  void InvalidateToken() ABSL_LOCKS_EXCLUDED(mu_);

  const Config config_;
  Clock& clock_;
  std::unique_ptr<HttpTransport> transport_;
  TokenBucket limiter_;
  absl::Mutex mu_;
  std::string token_ ABSL_GUARDED_BY(mu_);
  absl::Time token_read_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

// Escapes a query parameter value.
std::string UrlEncode(const std::string& value);

}  // namespace lb::k8s

#endif  // LB_K8S_CLIENT_H_
