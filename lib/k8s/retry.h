// lib/k8s/retry.h
//
// Optimistic concurrency: read, modify, write; when the write loses a race
// (409 Conflict) read again and retry, as client-go's RetryOnConflict does.
//
//   absl::Status s = RetryOnConflict(clock, [&]() -> absl::Status {
//     LB_ASSIGN_OR_RETURN(json cm, client.Get(kConfigMaps, ns, name));
//     json patch = {{"metadata", {{"resourceVersion",
//                                  cm["metadata"]["resourceVersion"]}}},
//                   {"data", {{"n", Next(cm)}}}};
//     return client.MergePatch(kConfigMaps, ns, name, patch).status();
//   });
//
// Thread-safety: reentrant.

#ifndef LB_K8S_RETRY_H_
#define LB_K8S_RETRY_H_

#include <functional>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "lib/base/clock.h"

namespace lb::k8s {

struct RetryOptions {
  int attempts = 5;
  absl::Duration delay = absl::Milliseconds(10);
  double jitter = 0.1;
  uint64_t seed = 1;
};

// Runs `attempt` until it returns something other than a conflict (see
// IsConflict in errors.h) or `options.attempts` runs are used up; returns the
// last result. Sleeps on `clock` between attempts.
absl::Status RetryOnConflict(Clock& clock,
                             const std::function<absl::Status()>& attempt,
                             RetryOptions options = {});

}  // namespace lb::k8s

#endif  // LB_K8S_RETRY_H_
