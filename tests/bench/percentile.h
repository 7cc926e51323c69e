// tests/bench/percentile.h
//
// The one percentile rule of every benchmark: nearest rank. The q-quantile of
// n values is the ceil(q * n)-th smallest (1-based, at least the first), so it
// is always one of the measured values: with 20 runs p50 is the 10th, p99 the
// 20th (the largest). tests/bench/lan/bench_lib.sh's bench_figures applies the
// same rule in shell.
//
//   double p99 = lb::bench::Percentile(latencies_ms, 0.99);

#ifndef LB_TESTS_BENCH_PERCENTILE_H_
#define LB_TESTS_BENCH_PERCENTILE_H_

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace lb::bench {

// The nearest-rank q-quantile of `values`, q in [0, 1]; 0 when empty.
inline double Percentile(std::vector<double> values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  double rank = std::ceil(q * static_cast<double>(values.size()));
  size_t r = static_cast<size_t>(
      std::clamp(rank, 1.0, static_cast<double>(values.size())));
  return values[r - 1];
}

}  // namespace lb::bench

#endif  // LB_TESTS_BENCH_PERCENTILE_H_
