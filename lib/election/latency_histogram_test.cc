#include "lib/election/latency_histogram.h"

#include <doctest/doctest.h>

namespace lb::election {
namespace {

TEST_CASE("quantiles land in the right bucket") {
  LatencyHistogram h;
  CHECK(h.Quantile(0.5) == absl::ZeroDuration());
  for (int i = 0; i < 98; ++i) h.Record(absl::Milliseconds(260));
  h.Record(absl::Milliseconds(900));
  h.Record(absl::Milliseconds(1900));
  CHECK(h.count() == 100);
  CHECK(h.sum() == absl::Milliseconds(98 * 260 + 900 + 1900));
  // 260 ms sits in the (250, 300] bucket.
  CHECK(h.Quantile(0.5) == absl::Milliseconds(300));
  CHECK(h.Quantile(0.98) == absl::Milliseconds(300));
  CHECK(h.Quantile(0.99) == absl::Milliseconds(900));  // (800, 900]
  CHECK(h.Quantile(1.0) == absl::Milliseconds(1900));
  const auto cumulative = h.CumulativeCounts();
  CHECK(cumulative.back() == 100);
  for (size_t i = 1; i < cumulative.size(); ++i) {
    CHECK(cumulative[i] >= cumulative[i - 1]);
  }
}

TEST_CASE("samples beyond the last bound report the largest sample") {
  LatencyHistogram h;
  h.Record(absl::Minutes(10));
  CHECK(h.Quantile(0.5) == absl::Minutes(10));
  CHECK(h.CumulativeCounts().back() == 0);
}

}  // namespace
}  // namespace lb::election
