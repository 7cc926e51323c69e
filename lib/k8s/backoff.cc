#include "lib/k8s/backoff.h"

#include <algorithm>

namespace lb::k8s {

Backoff::Backoff(BackoffOptions options, uint64_t seed)
    : options_(options), current_(options.initial), rng_(seed) {}

absl::Duration Backoff::Next() {
  absl::Duration base = std::min(current_, options_.max);
  current_ = std::min(current_ * options_.factor, options_.max);
  ++attempts_;
  std::uniform_real_distribution<double> dist(0.0, 1.0);
  return base * (1.0 + options_.jitter * dist(rng_));
}

void Backoff::Reset() {
  current_ = options_.initial;
  attempts_ = 0;
}

RateLimiter::RateLimiter(Clock& clock, double qps, int burst)
    : clock_(clock),
      unlimited_(qps <= 0),
      bucket_(std::max(qps, 1e-9), std::max(1, burst), clock.Monotonic()) {}

bool RateLimiter::TryTake() {
  if (unlimited_) return true;
  absl::MutexLock l(&mu_);
  return bucket_.TryTake(clock_.Monotonic());
}

void RateLimiter::Wait() {
  if (unlimited_) return;
  absl::Duration wait;
  {
    absl::MutexLock l(&mu_);
    // The token is reserved now, so waiters queue fairly.
    wait = bucket_.Reserve(clock_.Monotonic());
  }
  clock_.Sleep(wait);
}

}  // namespace lb::k8s
