// lib/k8s/client.h
//
// The Kubernetes API as this project uses it: get, list, create, update,
// merge patch, JSON patch, delete and watch of JSON objects (lib/k8s/json.h)
// of any Resource, with the `/status` subresource. Code that talks to the API
// takes a `Client&`; main passes an HttpClient (lib/k8s/http_client.h), unit
// tests an in-memory one (lib/k8s/testing/in_memory_client.h). Typed views of
// the objects live in lib/k8s/objects.h; writes should be merge patches of
// exactly the fields being changed.
//
//   LB_ASSIGN_OR_RETURN(json svc, client.Get(kServices, "default", "web"));
//   LB_RETURN_IF_ERROR(client.MergePatch(
//       kServices, "default", "web",
//       {{"status",
//         {{"loadBalancer", {{"ingress", {{{"ip", "192.0.2.1"}}}}}}}}},
//       Subresource::kStatus).status());
//
// Errors: see lib/k8s/errors.h. Every failure the server reports carries its
// Status reason and message; a transport failure is Unavailable.
//
// Thread-safety: implementations are safe for concurrent use.

#ifndef LB_K8S_CLIENT_H_
#define LB_K8S_CLIENT_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/k8s/json.h"
#include "lib/k8s/resource.h"
#include "lib/k8s/stream_cancel.h"

namespace lb::k8s {

enum class Subresource { kNone, kStatus };

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  // "" = most recent, "0" = any (may be cached), "N" = not older than N.
  std::string resource_version;
  // Fetch the list in pages of at most this many objects (`limit` and
  // `continue`), all from one snapshot; 0 fetches it in one request. When the
  // snapshot expires between pages (410), List starts over in one request;
  // ListEach, having handed items over already, fails with IsGone().
  int64_t limit = 0;
};

// How a write is carried out, as kube-apiserver's query parameters say.
struct WriteOptions {
  // `dryRun=All`: the server checks and answers the write in full (defaults,
  // validation, admission) and stores nothing.
  bool dry_run = false;
  // `fieldValidation`: what the server does with unknown or duplicate
  // fields: "Strict" refuses the write, "Warn" (the server's default) sends
  // warnings, "Ignore" drops them silently; "" sends nothing.
  std::string field_validation;
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
  virtual ~Client() = default;

  // NotFound when absent.
  absl::StatusOr<json> Get(const Resource& r, const std::string& ns,
                           const std::string& name,
                           Subresource sub = Subresource::kNone) {
    return DoGet(r, ns, name, sub);
  }
  // `ns` "" lists every namespace. Items carry kind and apiVersion.
  absl::StatusOr<ObjectList> List(const Resource& r, const std::string& ns,
                                  const ListOptions& options = {}) {
    return DoList(r, ns, options);
  }
  // Like List, but hands each item to `on_item` as it is decoded instead of
  // building the whole list, so a large list never exists as one tree.
  // Returns the list's resourceVersion.
  absl::StatusOr<std::string> ListEach(
      const Resource& r, const std::string& ns, const ListOptions& options,
      const std::function<void(json item)>& on_item) {
    return DoListEach(r, ns, options, on_item);
  }
  // POST; AlreadyExists when the name is taken.
  absl::StatusOr<json> Create(const Resource& r, const std::string& ns,
                              const json& object,
                              const WriteOptions& options = {}) {
    return DoCreate(r, ns, object, options);
  }
  // PUT of a whole object as previously read (metadata.resourceVersion makes
  // it conditional: Aborted/Conflict if stale). Prefer MergePatch.
  // InvalidArgument when the object has no metadata.name.
  absl::StatusOr<json> Update(const Resource& r, const std::string& ns,
                              const json& object,
                              Subresource sub = Subresource::kNone,
                              const WriteOptions& options = {}) {
    return DoUpdate(r, ns, object, sub, options);
  }
  // RFC 7386 merge patch (an object; InvalidArgument otherwise). A
  // `metadata.resourceVersion` inside `patch` is a precondition
  // (Aborted/Conflict when stale).
  absl::StatusOr<json> MergePatch(const Resource& r, const std::string& ns,
                                  const std::string& name, const json& patch,
                                  Subresource sub = Subresource::kNone,
                                  const WriteOptions& options = {}) {
    return DoMergePatch(r, ns, name, patch, sub, options);
  }
  // RFC 6902 JSON patch (an array of operations; InvalidArgument otherwise).
  absl::StatusOr<json> JsonPatch(const Resource& r, const std::string& ns,
                                 const std::string& name, const json& patch,
                                 Subresource sub = Subresource::kNone,
                                 const WriteOptions& options = {}) {
    return DoJsonPatch(r, ns, name, patch, sub, options);
  }
  // DELETE; with `resource_version` non-empty the delete is conditional
  // (Aborted/Conflict when stale).
  absl::Status Delete(const Resource& r, const std::string& ns,
                      const std::string& name,
                      const std::string& resource_version = "",
                      const WriteOptions& options = {}) {
    return DoDelete(r, ns, name, resource_version, options);
  }
  // Streams events to `on_event` (return false to stop: OK) until the server
  // ends the stream after `options.timeout` (OK), `cancel` is triggered
  // (Cancelled), the server sends an ERROR event (its Status; IsGone() for
  // 410), the stream is malformed (DataLoss) or the connection fails
  // (Unavailable). `on_event` runs on the calling thread.
  absl::Status Watch(const Resource& r, const std::string& ns,
                     const WatchOptions& options,
                     const std::function<bool(WatchEvent)>& on_event,
                     StreamCancel* cancel = nullptr) {
    return DoWatch(r, ns, options, on_event, cancel);
  }

 private:
  // One per public method above, with its contract.
  virtual absl::StatusOr<json> DoGet(const Resource& r, const std::string& ns,
                                     const std::string& name,
                                     Subresource sub) = 0;
  virtual absl::StatusOr<ObjectList> DoList(const Resource& r,
                                            const std::string& ns,
                                            const ListOptions& options) = 0;
  virtual absl::StatusOr<std::string> DoListEach(
      const Resource& r, const std::string& ns, const ListOptions& options,
      const std::function<void(json item)>& on_item) = 0;
  virtual absl::StatusOr<json> DoCreate(const Resource& r,
                                        const std::string& ns,
                                        const json& object,
                                        const WriteOptions& options) = 0;
  virtual absl::StatusOr<json> DoUpdate(const Resource& r,
                                        const std::string& ns,
                                        const json& object, Subresource sub,
                                        const WriteOptions& options) = 0;
  virtual absl::StatusOr<json> DoMergePatch(const Resource& r,
                                            const std::string& ns,
                                            const std::string& name,
                                            const json& patch, Subresource sub,
                                            const WriteOptions& options) = 0;
  virtual absl::StatusOr<json> DoJsonPatch(const Resource& r,
                                           const std::string& ns,
                                           const std::string& name,
                                           const json& patch, Subresource sub,
                                           const WriteOptions& options) = 0;
  virtual absl::Status DoDelete(const Resource& r, const std::string& ns,
                                const std::string& name,
                                const std::string& resource_version,
                                const WriteOptions& options) = 0;
  virtual absl::Status DoWatch(const Resource& r, const std::string& ns,
                               const WatchOptions& options,
                               const std::function<bool(WatchEvent)>& on_event,
                               StreamCancel* cancel) = 0;
};

}  // namespace lb::k8s

#endif  // LB_K8S_CLIENT_H_
