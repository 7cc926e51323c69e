#include "lib/k8s/retry.h"

#include <random>

#include "lib/k8s/errors.h"

namespace lb::k8s {

absl::Status RetryOnConflict(Clock& clock,
                             const std::function<absl::Status()>& attempt,
                             RetryOptions options) {
  std::mt19937_64 rng(options.seed);
  std::uniform_real_distribution<double> dist(0.0, 1.0);
  absl::Status s;
  for (int i = 0; i < std::max(1, options.attempts); ++i) {
    if (i > 0) clock.Sleep(options.delay * (1.0 + options.jitter * dist(rng)));
    s = attempt();
    if (!IsConflict(s)) return s;
  }
  return s;
}

}  // namespace lb::k8s
