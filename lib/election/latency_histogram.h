// lib/election/latency_histogram.h
//
// Provides `LatencyHistogram`, a fixed-bucket histogram of durations shaped
// for Prometheus export (cumulative `le` buckets, sum, count), plus
// quantile estimates for reports.
//
// Thread-safety: not synchronised; the owner guards it.
//
//   LatencyHistogram h;
//   h.Record(absl::Milliseconds(310));
//   h.Quantile(0.99);   // an upper bound of the bucket holding p99

#ifndef LB_ELECTION_LATENCY_HISTOGRAM_H_
#define LB_ELECTION_LATENCY_HISTOGRAM_H_

#include <cstdint>
#include <vector>

#include "absl/time/time.h"

namespace lb::election {

class LatencyHistogram {
 public:
  // Upper bounds (ms): 5, 10, 25, 50, 75, 100, then every 50 ms to 500,
  // every 100 ms to 1 s, then 1.5, 2, 3, 5, 10, 20, 30, 60 s.
  LatencyHistogram();

  void Record(absl::Duration d);

  // Upper bound of each bucket; the last bucket is +Inf.
  const std::vector<absl::Duration>& bounds() const { return bounds_; }
  // Number of samples <= bounds()[i] (cumulative, as Prometheus wants).
  std::vector<int64_t> CumulativeCounts() const;
  int64_t count() const { return count_; }
  absl::Duration sum() const { return sum_; }
  // The upper bound of the bucket holding quantile q in [0, 1]; zero when
  // empty. Samples above the last finite bound report the largest sample.
  absl::Duration Quantile(double q) const;

 private:
  std::vector<absl::Duration> bounds_;
  std::vector<int64_t> counts_;  // Per bucket; one extra for +Inf.
  int64_t count_ = 0;
  absl::Duration sum_ = absl::ZeroDuration();
  absl::Duration max_ = absl::ZeroDuration();
};

}  // namespace lb::election

#endif  // LB_ELECTION_LATENCY_HISTOGRAM_H_
