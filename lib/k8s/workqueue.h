// lib/k8s/workqueue.h
//
// A work queue of string keys for controllers, with client-go's semantics:
// a key is queued at most once however often it is added; a key being
// processed is not handed to a second worker, and if it is added meanwhile it
// is queued again when the first worker calls Done; failed keys are retried
// after a per-key exponential delay (AddRateLimited) until Forget.
//
//   WorkQueue queue(clock);
//   EventHandlers h;
//   h.on_add = [&](const json& o) { queue.Add(ObjectCache::KeyOf(o)); };
//   informer.AddHandlers(h);
//   std::string key;
//   while (queue.Get(&key)) {
//     if (Reconcile(key).ok()) queue.Forget(key); else
//     queue.AddRateLimited(key); queue.Done(key);
//   }
//
// Thread-safety: safe for concurrent use by any number of workers.

#ifndef LB_K8S_WORKQUEUE_H_
#define LB_K8S_WORKQUEUE_H_

#include <deque>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "lib/base/clock.h"

namespace lb::k8s {

struct WorkQueueOptions {
  // Retry delay: base_delay * 2^(retries so far), capped at max_delay.
  absl::Duration base_delay = absl::Milliseconds(5);
  absl::Duration max_delay = absl::Seconds(1000);
};

class WorkQueue {
 public:
  explicit WorkQueue(Clock& clock, WorkQueueOptions options = {});

  // Queues `key` unless it is already waiting. Ignored after ShutDown.
  void Add(const std::string& key) ABSL_LOCKS_EXCLUDED(mu_);
  // Queues `key` once `delay` has passed on the clock.
  void AddAfter(const std::string& key, absl::Duration delay)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Queues `key` after its next backoff delay and counts a retry.
  void AddRateLimited(const std::string& key) ABSL_LOCKS_EXCLUDED(mu_);
  // Clears the retry count of `key`.
  void Forget(const std::string& key) ABSL_LOCKS_EXCLUDED(mu_);
  int NumRequeues(const std::string& key) const ABSL_LOCKS_EXCLUDED(mu_);

  // Blocks until a key is ready and hands it out; false once shut down.
  bool Get(std::string* key) ABSL_LOCKS_EXCLUDED(mu_);
  // Marks `key` processed; re-queues it if it was added meanwhile.
  void Done(const std::string& key) ABSL_LOCKS_EXCLUDED(mu_);
  // Wakes all Get callers, which return false.
  void ShutDown() ABSL_LOCKS_EXCLUDED(mu_);
  // Keys ready to be handed out (not counting delayed ones).
  size_t Len() const ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // Empty key sets larger than this are freed rather than kept for reuse.
  static constexpr size_t kKeepCapacity = 1024;

  void AddLocked(const std::string& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void PromoteLocked(MonoTime now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  Clock& clock_;
  const WorkQueueOptions options_;
  mutable absl::Mutex mu_;
  std::deque<std::string> queue_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::string> dirty_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<std::string> processing_ ABSL_GUARDED_BY(mu_);
  // By when each is due, on the monotonic clock.
  std::multimap<MonoTime, std::string> delayed_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, int> retries_ ABSL_GUARDED_BY(mu_);
  uint64_t delayed_generation_ ABSL_GUARDED_BY(mu_) = 0;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace lb::k8s

#endif  // LB_K8S_WORKQUEUE_H_
