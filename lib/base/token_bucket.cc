#include "lib/base/token_bucket.h"

#include <algorithm>

namespace lb {

TokenBucket::TokenBucket(double rate, double capacity, MonoTime now)
    : rate_(rate), capacity_(capacity), tokens_(capacity), updated_(now) {}

double TokenBucket::Available(MonoTime now) const {
  if (now <= updated_) return tokens_;
  return std::min(capacity_,
                  tokens_ + absl::ToDoubleSeconds(now - updated_) * rate_);
}

void TokenBucket::Refill(MonoTime now) {
  if (now <= updated_) return;
  tokens_ = Available(now);
  updated_ = now;
}

bool TokenBucket::TryTake(MonoTime now, double cost) {
  Refill(now);
  if (tokens_ < cost) return false;
  tokens_ -= cost;
  return true;
}

absl::Duration TokenBucket::Reserve(MonoTime now, double cost) {
  Refill(now);
  tokens_ -= cost;
  if (tokens_ >= 0) return absl::ZeroDuration();
  return absl::Seconds(-tokens_ / rate_);
}

MonoTime TokenBucket::WhenAvailable(MonoTime now, double cost) const {
  double held = Available(now);
  if (held >= cost) return now;
  return std::max(now, updated_) + absl::Seconds((cost - held) / rate_);
}

}  // namespace lb
