// lib/k8s/testing/in_memory_client.h
//
// A k8s::Client for unit tests: no sockets, no threads of its own, time from
// the injected Clock (a SimulatedClock in tests). It serves from the same
// ObjectStore as the HTTP API server stand-in (api_server.h), so writes,
// conflicts, defaulting, `/status`, list and watch behave as they do over
// HTTP: a watch from "" or "0" starts with the current objects as ADDED, a
// watch from a version resumes after it, a version older than the kept
// history ends the watch with 410 Expired (k8s::IsGone), the stream ends
// cleanly after `WatchOptions::timeout` of monotonic clock time, with
// BOOKMARKs every `bookmark_interval` when allowed.
//
//   lb::SimulatedClock clock;
//   lb::k8s::testing::InMemoryClient client(clock);
//   Informer informer(client, clock, kServices, {});
//   client.FailNextCalls(2, 503, {Verb::kPatch});
//   client.DropWatches();        // every open watch ends cleanly
//   client.CompactHistory();     // the next resume gets 410
//
// Watch runs on the calling thread and waits on the clock; `on_event` is
// called without any lock held, so it may call back into the client.
//
// Thread-safety: safe for concurrent use.

#ifndef LB_K8S_TESTING_IN_MEMORY_CLIENT_H_
#define LB_K8S_TESTING_IN_MEMORY_CLIENT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/base/clock.h"
#include "lib/k8s/client.h"
#include "lib/k8s/json.h"
#include "lib/k8s/resource.h"
#include "lib/k8s/stream_cancel.h"

namespace lb::k8s::testing {

struct InMemoryClientOptions {
  // Changes kept for watches that resume from a version (ObjectStoreOptions).
  int64_t history_limit = 100000;
  // Interval between BOOKMARK events on watches that allow them.
  absl::Duration bookmark_interval = absl::Seconds(5);
};

// The call a failure injected by FailNextCalls applies to.
enum class Verb {
  kAny,
  kGet,
  kList,  // List and ListEach
  kCreate,
  kUpdate,
  kPatch,  // MergePatch and JsonPatch
  kDelete,
  kWatch,
};
struct CallFilter {
  Verb verb = Verb::kAny;
  // Only calls on this resource (its plural) count; "" for any.
  std::string plural;
  // Only calls on the `/status` subresource count.
  bool status_only = false;
};

class InMemoryClient final : public Client {
 public:
  explicit InMemoryClient(Clock& clock, InMemoryClientOptions options = {});
  ~InMemoryClient() override;
  InMemoryClient(const InMemoryClient&) = delete;
  InMemoryClient& operator=(const InMemoryClient&) = delete;

  // --- Inspection ----------------------------------------------------------
  // The store's current resourceVersion.
  int64_t resource_version() const;
  // Watches currently running.
  int open_watches() const;
  // Calls made, including failed ones.
  int64_t call_count() const;
  // The stored object, bypassing failure injection. NotFound if absent;
  // InvalidArgument for a resource not served. `group` "" is the core group.
  absl::StatusOr<json> GetObject(const std::string& group,
                                 const std::string& plural,
                                 const std::string& ns,
                                 const std::string& name) const;

  // --- Fault injection -----------------------------------------------------
  // The next `n` calls that `filter` matches fail with a Status of
  // `http_code` (as the HTTP server's FailNextRequests), changing nothing.
  // Replaces any earlier injection; n = 0 clears it.
  void FailNextCalls(int n, int http_code, CallFilter filter = {});
  // Ends every running watch cleanly (OK), as a server-side timeout would.
  void DropWatches();
  // Forgets all watch history: resuming from any older version gets 410.
  void CompactHistory();

 private:
  struct State;
  struct WatchControl;

  absl::StatusOr<json> DoGet(const Resource& r, const std::string& ns,
                             const std::string& name, Subresource sub) override;
  absl::StatusOr<ObjectList> DoList(const Resource& r, const std::string& ns,
                                    const ListOptions& options) override;
  absl::StatusOr<std::string> DoListEach(
      const Resource& r, const std::string& ns, const ListOptions& options,
      const std::function<void(json item)>& on_item) override;
  absl::StatusOr<json> DoCreate(const Resource& r, const std::string& ns,
                                const json& object) override;
  absl::StatusOr<json> DoUpdate(const Resource& r, const std::string& ns,
                                const json& object, Subresource sub) override;
  absl::StatusOr<json> DoMergePatch(const Resource& r, const std::string& ns,
                                    const std::string& name, const json& patch,
                                    Subresource sub) override;
  absl::StatusOr<json> DoJsonPatch(const Resource& r, const std::string& ns,
                                   const std::string& name, const json& patch,
                                   Subresource sub) override;
  absl::Status DoDelete(const Resource& r, const std::string& ns,
                        const std::string& name,
                        const std::string& resource_version) override;
  absl::Status DoWatch(const Resource& r, const std::string& ns,
                       const WatchOptions& options,
                       const std::function<bool(WatchEvent)>& on_event,
                       StreamCancel* cancel) override;

  absl::StatusOr<json> Patch(const Resource& r, const std::string& ns,
                             const std::string& name, bool json_patch,
                             const json& patch, Subresource sub);

  Clock& clock_;
  const InMemoryClientOptions options_;
  // Shared with cancel callbacks, which may outlive a watch call.
  std::shared_ptr<State> state_;
};

}  // namespace lb::k8s::testing

#endif  // LB_K8S_TESTING_IN_MEMORY_CLIENT_H_
