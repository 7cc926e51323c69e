#include "lib/arp/log_sink.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "lib/base/simulated_clock.h"

namespace lb::arp {
namespace {

class VectorSink : public LogSink {
 public:
  std::vector<std::string> lines;
  void Log(LogLevel, absl::string_view m) override { lines.emplace_back(m); }
};

TEST_CASE("lines beyond the rate are suppressed and counted") {
  SimulatedClock clock(absl::FromUnixSeconds(100));
  VectorSink sink;
  RateLimitedLog log(clock, &sink, /*per_second=*/2, /*burst=*/3);
  int admitted = 0;
  for (int i = 0; i < 10; ++i) admitted += log.Log(LogLevel::kInfo, "x");
  CHECK(admitted == 3);
  CHECK(log.suppressed_total() == 7);
  clock.AdvanceTime(absl::Milliseconds(500));
  CHECK(log.Log(LogLevel::kInfo, "y"));
  REQUIRE(sink.lines.size() == 4);
  CHECK(sink.lines.back() == "y (7 similar lines suppressed)");
  CHECK_FALSE(log.Log(LogLevel::kInfo, "z"));
  clock.AdvanceTime(absl::Seconds(10));
  CHECK(log.Log(LogLevel::kInfo, "w"));
  CHECK(sink.lines.back() == "w (1 similar lines suppressed)");
}

TEST_CASE("the budget refills with monotonic time, not the wall clock") {
  SimulatedClock clock(absl::FromUnixSeconds(100));
  VectorSink sink;
  RateLimitedLog log(clock, &sink, /*per_second=*/1, /*burst=*/1);
  CHECK(log.Log(LogLevel::kInfo, "a"));
  clock.StepWallClock(absl::Hours(1));  // an NTP step forward
  CHECK_FALSE(log.Log(LogLevel::kInfo, "b"));
  clock.StepWallClock(-absl::Hours(2));  // and back past the start
  clock.AdvanceTime(absl::Seconds(1));
  CHECK(log.Log(LogLevel::kInfo, "c"));
  CHECK(sink.lines.back() == "c (1 similar lines suppressed)");
}

TEST_CASE("a null sink drops quietly") {
  SimulatedClock clock;
  RateLimitedLog log(clock, nullptr, 1, 1);
  CHECK(log.Log(LogLevel::kInfo, "a"));
}

}  // namespace
}  // namespace lb::arp
