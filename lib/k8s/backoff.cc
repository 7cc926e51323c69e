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

TokenBucket::TokenBucket(Clock& clock, double qps, int burst)
    : clock_(clock),
      qps_(qps),
      burst_(std::max(1, burst)),
      tokens_(std::max(1, burst)),
      last_(clock.Now()) {}

void TokenBucket::RefillLocked() {
  absl::Time now = clock_.Now();
  if (now > last_) {
    tokens_ =
        std::min(burst_, tokens_ + absl::ToDoubleSeconds(now - last_) * qps_);
    last_ = now;
  }
}

bool TokenBucket::TryTake() {
  if (qps_ <= 0) return true;
  absl::MutexLock l(&mu_);
  RefillLocked();
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    return true;
  }
  return false;
}

void TokenBucket::Wait() {
  if (qps_ <= 0) return;
  absl::Duration wait;
  {
    absl::MutexLock l(&mu_);
    RefillLocked();
    // Reserve the token now (possibly going negative) so waiters queue fairly.
    tokens_ -= 1.0;
    if (tokens_ >= 0) return;
    wait = absl::Seconds(-tokens_ / qps_);
  }
  clock_.Sleep(wait);
}

}  // namespace lb::k8s
