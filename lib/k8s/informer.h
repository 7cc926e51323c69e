// lib/k8s/informer.h
//
// Keeps a local cache of one kind in sync with the server and tells handlers
// what changed: list, then watch from the list's resourceVersion; re-watch
// after a clean end (timeout, dropped connection) from the last version seen;
// relist after 410 Gone or other errors; bookmarks advance the version;
// exponential backoff with jitter between failures; optional periodic resync
// (every cached object re-delivered as an update with old == new).
//
//   Informer services(client, clock, kServices, {});
//   EventHandlers h;
//   h.on_add = [&](const json& o) { queue.Add(ObjectCache::KeyOf(o)); };
//   h.on_update = [&](const json& old_obj, const json& new_obj) { ... };
//   h.on_delete = [&](const json& o) { ... };
//   services.AddHandlers(h);
//   services.Start();
//   if (!services.WaitForSync(absl::Seconds(30))) ...
//   ObjectPtr web = services.cache().Get("default/web");
//   services.Stop();
//
// Handlers run on the informer's thread, one at a time, in event order.
// Thread-safety: all methods are safe to call from any thread; AddHandlers
// must precede Start.

#ifndef LB_K8S_INFORMER_H_
#define LB_K8S_INFORMER_H_

#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "lib/base/clock.h"
#include "lib/k8s/backoff.h"
#include "lib/k8s/cache.h"
#include "lib/k8s/client.h"
#include "lib/k8s/resource.h"

namespace lb::k8s {

struct InformerOptions {
  std::string ns;  // "" = all namespaces
  std::string label_selector;
  std::string field_selector;
  // 0 disables resync.
  absl::Duration resync_period = absl::ZeroDuration();
  // Each watch asks the server to end it after a random time in
  // [watch_timeout, 2 * watch_timeout).
  absl::Duration watch_timeout = absl::Minutes(5);
  BackoffOptions backoff;
  uint64_t seed = 1;
  // Applied to every listed and watched object before it is cached or handed
  // to handlers, e.g. DropManagedFields: a cache holds what its user reads.
  // Must keep metadata.name, namespace and resourceVersion.
  std::function<void(json&)> transform;
  // false: the cache keeps keys and resourceVersions only, for users that keep
  // what they need from each event themselves. Handlers still get every
  // object; on_update's old_obj is then null, on_delete gets the deleted
  // object as the watch reports it (name and namespace only after a relist),
  // cache() finds nothing and resync has nothing to deliver.
  bool keep_objects = true;
};

// Removes metadata.managedFields, often the largest part of an object and read
// by nothing but server-side apply.
void DropManagedFields(json& object);

struct EventHandlers {
  std::function<void(const json& obj)> on_add;
  // old_obj is null when the informer keeps no objects.
  std::function<void(const json& old_obj, const json& new_obj)> on_update;
  // `obj` is the last state seen.
  std::function<void(const json& obj)> on_delete;
};

class Informer {
 public:
  Informer(Client& client, Clock& clock, Resource resource,
           InformerOptions options);
  ~Informer();  // Stop()s
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  void AddHandlers(EventHandlers handlers);
  // Starts the list/watch thread (once).
  void Start();
  // Ends the thread; no handler runs after Stop returns.
  void Stop();

  // True once the first list has been delivered to the handlers.
  bool HasSynced() const;
  // Waits (on the clock) until synced or `timeout` passes.
  bool WaitForSync(absl::Duration timeout);

  const ObjectCache& cache() const { return cache_; }

  // Counters for observability and tests.
  int64_t lists() const;
  int64_t watches() const;
  std::string last_resource_version() const;

 private:
  void Run();
  bool ListOnce();  // false: stop or failure (after backoff)
  void Deliver(const Delta& d) ABSL_EXCLUSIVE_LOCKS_REQUIRED(deliver_mu_);
  void ResyncLoop();
  // Sleeps on the clock unless stopped; false if stopping.
  bool SleepUnlessStopped(absl::Duration d);

  Client& client_;
  Clock& clock_;
  const Resource resource_;
  const InformerOptions options_;
  ObjectCache cache_;
  std::vector<EventHandlers> handlers_;
  Backoff backoff_;
  std::mt19937_64 rng_;
  StreamCancel cancel_;
  std::thread thread_;
  std::thread resync_thread_;
  absl::Mutex deliver_mu_;

  mutable absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool synced_ ABSL_GUARDED_BY(mu_) = false;
  int64_t lists_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t watches_ ABSL_GUARDED_BY(mu_) = 0;
  std::string rv_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lb::k8s

#endif  // LB_K8S_INFORMER_H_
