#include "lib/base/token_bucket.h"

#include <doctest/doctest.h>

namespace lb {
namespace {

const MonoTime kStart = MonoTime::FromOrigin(absl::Seconds(100));

TEST_CASE("a bucket starts full and refills at its rate up to capacity") {
  TokenBucket b(/*rate=*/2, /*capacity=*/3, kStart);
  CHECK(b.TryTake(kStart));
  CHECK(b.TryTake(kStart));
  CHECK(b.TryTake(kStart));
  CHECK_FALSE(b.TryTake(kStart));
  CHECK(b.Available(kStart + absl::Milliseconds(500)) == doctest::Approx(1));
  CHECK(b.TryTake(kStart + absl::Milliseconds(500)));
  CHECK_FALSE(b.TryTake(kStart + absl::Milliseconds(600)));
  CHECK(b.Available(kStart + absl::Hours(1)) == doctest::Approx(3));
}

TEST_CASE("costs above one and the time they become available") {
  TokenBucket b(/*rate=*/10, /*capacity=*/4, kStart);
  CHECK(b.TryTake(kStart, 3));
  CHECK_FALSE(b.TryTake(kStart, 2));
  CHECK(b.WhenAvailable(kStart, 2) - kStart ==
        absl::Milliseconds(100));  // 1 held, 1 more in 100 ms
  CHECK(b.WhenAvailable(kStart, 1) == kStart);
  CHECK(b.TryTake(b.WhenAvailable(kStart, 2), 2));
}

TEST_CASE("reservations queue callers behind each other") {
  TokenBucket b(/*rate=*/4, /*capacity=*/1, kStart);
  CHECK(b.Reserve(kStart) == absl::ZeroDuration());
  CHECK(b.Reserve(kStart) == absl::Milliseconds(250));
  CHECK(b.Reserve(kStart) == absl::Milliseconds(500));
  CHECK(b.Available(kStart) == doctest::Approx(-2));
  CHECK_FALSE(b.TryTake(kStart + absl::Milliseconds(500)));
  CHECK(b.TryTake(kStart + absl::Milliseconds(750)));
}

TEST_CASE("time going backwards adds nothing") {
  TokenBucket b(/*rate=*/1, /*capacity=*/1, kStart);
  CHECK(b.TryTake(kStart + absl::Seconds(5)));
  CHECK_FALSE(b.TryTake(kStart));
  CHECK(b.WhenAvailable(kStart) == kStart + absl::Seconds(6));
}

}  // namespace
}  // namespace lb
