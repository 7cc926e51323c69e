#include "lib/election/latency_histogram.h"

#include <algorithm>
#include <cmath>

namespace lb::election {

LatencyHistogram::LatencyHistogram() {
  for (int ms : {5,    10,   25,   50,   75,   100,   150,   200,   250,
                 300,  350,  400,  450,  500,  600,   700,   800,   900,
                 1000, 1500, 2000, 3000, 5000, 10000, 20000, 30000, 60000}) {
    bounds_.push_back(absl::Milliseconds(ms));
  }
  counts_.assign(bounds_.size() + 1, 0);
}

void LatencyHistogram::Record(absl::Duration d) {
  auto it = std::lower_bound(bounds_.begin(), bounds_.end(), d);
  ++counts_[it - bounds_.begin()];
  ++count_;
  sum_ += d;
  max_ = std::max(max_, d);
}

std::vector<int64_t> LatencyHistogram::CumulativeCounts() const {
  std::vector<int64_t> out(bounds_.size());
  int64_t running = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    running += counts_[i];
    out[i] = running;
  }
  return out;
}

absl::Duration LatencyHistogram::Quantile(double q) const {
  if (count_ == 0) return absl::ZeroDuration();
  const int64_t rank = std::max<int64_t>(
      1, static_cast<int64_t>(std::ceil(std::clamp(q, 0.0, 1.0) * count_)));
  int64_t running = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    running += counts_[i];
    if (running >= rank) return std::min(bounds_[i], max_);
  }
  return max_;
}

}  // namespace lb::election
