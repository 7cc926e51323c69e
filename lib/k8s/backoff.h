// lib/k8s/backoff.h
//
// Exponential backoff with jitter and a token-bucket rate limiter, both on the
// injected Clock.
//
//   Backoff backoff(BackoffOptions(), seed);
//   clock.Sleep(backoff.Next());   // 800ms * [1, 2), then 1.6s * [1, 2), ...
//   backoff.Reset();               // after a success
//
//   RateLimiter limiter(clock, /*qps=*/5, /*burst=*/10);
//   limiter.Wait();                // blocks on the clock until a token is free
//
// Thread-safety: Backoff is not thread-safe; RateLimiter is.

#ifndef LB_K8S_BACKOFF_H_
#define LB_K8S_BACKOFF_H_

#include <cstdint>
#include <random>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "lib/base/clock.h"
#include "lib/base/token_bucket.h"

namespace lb::k8s {

struct BackoffOptions {
  absl::Duration initial = absl::Milliseconds(800);
  absl::Duration max = absl::Seconds(30);
  double factor = 2.0;
  // Each delay is multiplied by a uniform factor in [1, 1 + jitter).
  double jitter = 1.0;
};

class Backoff {
 public:
  explicit Backoff(BackoffOptions options = {}, uint64_t seed = 1);
  // The next delay; grows by `factor` up to `max` (before jitter).
  absl::Duration Next();
  // Starts over at `initial`.
  void Reset();
  int attempts() const { return attempts_; }

 private:
  BackoffOptions options_;
  absl::Duration current_;
  int attempts_ = 0;
  std::mt19937_64 rng_;
};

// lb::TokenBucket (lib/base/token_bucket.h) on the injected clock's
// monotonic time, with a lock and a blocking take.
class RateLimiter {
 public:
  // `qps` <= 0 disables limiting.
  RateLimiter(Clock& clock, double qps, int burst);
  // Takes a token, sleeping on the clock until one is available.
  void Wait() ABSL_LOCKS_EXCLUDED(mu_);
  // Takes a token if one is available now.
  bool TryTake() ABSL_LOCKS_EXCLUDED(mu_);

 private:
  Clock& clock_;
  const bool unlimited_;
  absl::Mutex mu_;
  lb::TokenBucket bucket_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lb::k8s

#endif  // LB_K8S_BACKOFF_H_
