// lib/k8s/events.h
//
// Records core/v1 Events about objects, as `kubectl describe` shows them.
// Repeats of the same (object, type, reason, message) are aggregated into one
// Event whose `count` and `lastTimestamp` are merge-patched; each such key is
// rate-limited by a token bucket (default burst 25, then one per 5 minutes).
// Events are best-effort: callers may ignore the returned Status.
//
//   EventRecorderOptions options;
//   options.component = "lb-controller";
//   EventRecorder events(client, clock, options);
//   events.Record(ObjectReference::Of(service_json), "Normal", "IPAllocated",
//                 "Assigned IP \"192.168.1.240\"");
//
// Thread-safety: safe for concurrent use.

#ifndef LB_K8S_EVENTS_H_
#define LB_K8S_EVENTS_H_

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "lib/base/clock.h"
#include "lib/k8s/backoff.h"
#include "lib/k8s/client.h"

namespace lb::k8s {

struct ObjectReference {
  std::string api_version;
  std::string kind;
  std::string ns;
  std::string name;
  std::string uid;
  std::string resource_version;

  // From an object's apiVersion, kind and metadata.
  static ObjectReference Of(const json& object);
};

struct EventRecorderOptions {
  std::string component = "lb";  // source.component, reportingComponent
  std::string host;              // source.host, reportingInstance
  int burst = 25;
  absl::Duration refill = absl::Minutes(5);
};

class EventRecorder {
 public:
  EventRecorder(Client& client, Clock& clock, EventRecorderOptions options);

  // Creates or aggregates the event. `type` is "Normal" or "Warning"
  // (InvalidArgument otherwise); ResourceExhausted when rate-limited; other
  // errors are the server's.
  absl::Status Record(const ObjectReference& object, const std::string& type,
                      const std::string& reason, const std::string& message)
      ABSL_LOCKS_EXCLUDED(mu_);

 private:
  // Keys remembered for aggregation; beyond this the memory starts over.
  static constexpr size_t kMaxKeys = 4096;
  struct Seen {
    std::string event_name;
    std::string event_ns;
    int32_t count = 0;
    std::unique_ptr<RateLimiter> limiter;
  };
  Client& client_;
  Clock& clock_;
  const EventRecorderOptions options_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Seen> seen_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lb::k8s

#endif  // LB_K8S_EVENTS_H_
