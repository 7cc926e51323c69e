#include "tests/bench/percentile.h"

#include <doctest/doctest.h>

#include <numeric>

namespace lb::bench {
namespace {

TEST_CASE("nearest rank: always a measured value, ceil(q * n)-th smallest") {
  std::vector<double> twenty(20);
  std::iota(twenty.begin(), twenty.end(), 1);  // 1..20
  std::reverse(twenty.begin(), twenty.end());  // order does not matter
  CHECK(Percentile(twenty, 0.50) == 10);
  CHECK(Percentile(twenty, 0.90) == 18);
  CHECK(Percentile(twenty, 0.99) == 20);
  CHECK(Percentile(twenty, 1.0) == 20);
  CHECK(Percentile(twenty, 0.0) == 1);
  std::vector<double> three = {30, 10, 20};
  CHECK(Percentile(three, 0.5) == 20);  // ceil(1.5) = 2nd
  CHECK(Percentile(three, 0.34) == 20);
  CHECK(Percentile(three, 0.33) == 10);
  CHECK(Percentile({}, 0.5) == 0);
}

}  // namespace
}  // namespace lb::bench
