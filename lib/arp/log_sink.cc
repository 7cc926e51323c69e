#include "lib/arp/log_sink.h"

#include "absl/strings/str_cat.h"

namespace lb::arp {

RateLimitedLog::RateLimitedLog(Clock& clock, LogSink* sink, double per_second,
                               int burst)
    : clock_(clock),
      sink_(sink),
      budget_(per_second, burst, clock.Monotonic()) {}

bool RateLimitedLog::Acquire() {
  if (!budget_.TryTake(clock_.Monotonic())) {
    ++suppressed_;
    ++suppressed_total_;
    return false;
  }
  return true;
}

void RateLimitedLog::Annotate(std::string* line) {
  if (suppressed_ > 0) {
    absl::StrAppend(line, " (", suppressed_, " similar lines suppressed)");
    suppressed_ = 0;
  }
}

bool RateLimitedLog::Admit(std::string* line) {
  if (!Acquire()) return false;
  Annotate(line);
  return true;
}

bool RateLimitedLog::Log(LogLevel level, std::string line) {
  if (!Admit(&line)) return false;
  if (sink_ != nullptr) sink_->Log(level, line);
  return true;
}

}  // namespace lb::arp
