// lib/base/token_bucket.h
//
// The one token bucket: `rate` tokens per second accrue up to `capacity`.
// A pure value over monotonic time passed in by the caller, so the same
// arithmetic serves a blocking API rate limiter, per-interface frame pacing
// and log-line budgets, each with its own locking and waiting.
//
//   TokenBucket bucket(/*rate=*/10, /*capacity=*/20, clock.Monotonic());
//   if (bucket.TryTake(clock.Monotonic())) Send();
//   MonoTime next = bucket.WhenAvailable(clock.Monotonic());  // sleep until
//
// Thread-safety: a value type; callers synchronise.

#ifndef LB_BASE_TOKEN_BUCKET_H_
#define LB_BASE_TOKEN_BUCKET_H_

#include "absl/time/time.h"
#include "lib/base/clock.h"

namespace lb {

class TokenBucket {
 public:
  // REQUIRES: rate > 0, capacity > 0. The bucket starts full at `now`.
  TokenBucket(double rate, double capacity, MonoTime now);

  double rate() const { return rate_; }
  double capacity() const { return capacity_; }

  // Tokens held at `now`: at most capacity, negative while reservations
  // (Reserve) are outstanding. A `now` earlier than the last one seen adds
  // nothing.
  double Available(MonoTime now) const;

  // Takes `cost` tokens if that many are held at `now`.
  bool TryTake(MonoTime now, double cost = 1);

  // Takes `cost` tokens whether or not they are held (the bucket may go
  // negative, so later callers queue behind this one) and returns how long
  // until the debt is covered: zero if they were held.
  absl::Duration Reserve(MonoTime now, double cost = 1);

  // The earliest time at or after `now` when `cost` tokens are held.
  // REQUIRES: cost <= capacity.
  MonoTime WhenAvailable(MonoTime now, double cost = 1) const;

 private:
  void Refill(MonoTime now);

  double rate_;
  double capacity_;
  double tokens_;
  MonoTime updated_;
};

}  // namespace lb

#endif  // LB_BASE_TOKEN_BUCKET_H_
