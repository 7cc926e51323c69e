// lib/k8s/testing/in_memory_client.h
//
// A k8s::Client with no server: every call goes straight to an ObjectStore
// (object_store.h), the same store the HTTP stand-in serves, so objects,
// resourceVersions, conflicts, `/status` rules, patches and watch history
// behave as they do over HTTP. Watches wait on the injected Clock: on a
// SimulatedClock, a test moves time to reach a watch timeout or a bookmark,
// and a write wakes every watch at once. No sockets, no threads of its own.
//
//   lb::SimulatedClock clock;
//   lb::k8s::testing::InMemoryClient client(clock);
//   Informer services(client, clock, kServices);
//   client.FailNextRequests(1, 500, "PATCH", "/status");   // fault injection
//   client.DropWatches();            // every open watch ends cleanly
//   client.SetReachable(false);      // the API server is down
//
// Errors are the Status a HttpClient would return for the same response
// (lib/k8s/errors.h): same code, reason and message.
//
// No controllers run by themselves: a namespace deleted through the client
// stays Terminating, with its contents, and the dependents of a deleted owner
// stay, until the test calls Collect(), which does what
// kube-controller-manager would have done by then. Deletes through the client
// propagate in the background (Client::Delete sends no policy).
//
// Thread-safety: safe for concurrent use. The client must outlive every
// Watch and every StreamCancel::Cancel aimed at one of its watches.

#ifndef LB_K8S_TESTING_IN_MEMORY_CLIENT_H_
#define LB_K8S_TESTING_IN_MEMORY_CLIENT_H_

#include <cstdint>
#include <functional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "lib/base/clock.h"
#include "lib/k8s/client.h"
#include "lib/k8s/testing/object_store.h"

namespace lb::k8s::testing {

struct InMemoryClientOptions {
  ObjectStoreOptions store;
  // A watch that allows bookmarks gets one this often, and one as it ends.
  absl::Duration bookmark_interval = absl::Seconds(5);
};

class InMemoryClient final : public Client {
 public:
  // `clock` must outlive the client.
  explicit InMemoryClient(Clock& clock, InMemoryClientOptions options = {});

  // The current global resourceVersion.
  int64_t resource_version() const ABSL_LOCKS_EXCLUDED(mu_);
  // Watch streams currently open.
  int open_watches() const ABSL_LOCKS_EXCLUDED(mu_);
  // Calls made, failed ones included.
  int64_t request_count() const ABSL_LOCKS_EXCLUDED(mu_);

  // --- Fault injection -----------------------------------------------------
  // Ends every open watch cleanly (OK), as a server-side timeout would.
  void DropWatches() ABSL_LOCKS_EXCLUDED(mu_);
  // Fails the next `n` calls with a Status of `http_code` (reason as
  // kube-apiserver names it). With `method` ("GET", "LIST", "POST", "PUT",
  // "PATCH", "DELETE", "WATCH") or `path_suffix` ("/status" or the resource
  // plural) set, only matching calls count and fail.
  void FailNextRequests(int n, int http_code, std::string method = "",
                        std::string path_suffix = "") ABSL_LOCKS_EXCLUDED(mu_);
  // While false every call fails kUnavailable, as a refused connection does,
  // and open watches end so; the stored state is kept (as across an API
  // server restart).
  void SetReachable(bool reachable) ABSL_LOCKS_EXCLUDED(mu_);
  // Forgets the watch history: a watch from an older version gets 410.
  void CompactHistory() ABSL_LOCKS_EXCLUDED(mu_);

  // --- Controllers ---------------------------------------------------------
  // Runs ObjectStore::Collect() at the clock's Now() until a pass changes
  // nothing: contents of Terminating namespaces deleted (but for those their
  // own finalizers hold), empty ones finished, dependents whose owners are
  // gone deleted. Watches see each change. Returns whether anything changed.
  bool Collect() ABSL_LOCKS_EXCLUDED(mu_);

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
                                const k8s::WriteOptions& options) override;
  absl::StatusOr<json> DoUpdate(const Resource& r, const std::string& ns,
                                const json& object, Subresource sub,
                                const k8s::WriteOptions& options) override;
  absl::StatusOr<json> DoMergePatch(const Resource& r, const std::string& ns,
                                    const std::string& name, const json& patch,
                                    Subresource sub,
                                    const k8s::WriteOptions& options) override;
  absl::StatusOr<json> DoJsonPatch(const Resource& r, const std::string& ns,
                                   const std::string& name, const json& patch,
                                   Subresource sub,
                                   const k8s::WriteOptions& options) override;
  absl::Status DoDelete(const Resource& r, const std::string& ns,
                        const std::string& name,
                        const std::string& resource_version,
                        const k8s::WriteOptions& options) override;
  absl::Status DoWatch(const Resource& r, const std::string& ns,
                       const WatchOptions& options,
                       const std::function<bool(WatchEvent)>& on_event,
                       StreamCancel* cancel) override;

  // Counts the call; the injected failure it takes, if any.
  absl::Status Admit(const std::string& method, const Resource& r,
                     Subresource sub) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The served type of `r`, or the 404 kube-apiserver gives for it.
  absl::StatusOr<const ResourceType*> TypeOf(const Resource& r) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::vector<ObjectRef>> ListLocked(const Resource& r,
                                                    const std::string& ns,
                                                    const ListOptions& options,
                                                    const ResourceType** type)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<json> Patch(const Resource& r, const std::string& ns,
                             const std::string& name, PatchType type,
                             const json& patch, Subresource sub,
                             const k8s::WriteOptions& options)
      ABSL_LOCKS_EXCLUDED(mu_);

  Clock& clock_;
  const InMemoryClientOptions options_;
  mutable absl::Mutex mu_;
  ObjectStore store_ ABSL_GUARDED_BY(mu_);
  int open_watches_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t requests_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t drop_generation_ ABSL_GUARDED_BY(mu_) = 0;
  bool reachable_ ABSL_GUARDED_BY(mu_) = true;
  int fail_remaining_ ABSL_GUARDED_BY(mu_) = 0;
  int fail_code_ ABSL_GUARDED_BY(mu_) = 0;
  std::string fail_method_ ABSL_GUARDED_BY(mu_);
  std::string fail_suffix_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lb::k8s::testing

#endif  // LB_K8S_TESTING_IN_MEMORY_CLIENT_H_
