#include "lib/arp/log_sink.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace lb::arp {

RateLimitedLog::RateLimitedLog(Clock& clock, LogSink* sink, double per_second,
                               int burst)
    : clock_(clock),
      sink_(sink),
      per_second_(per_second),
      burst_(burst),
      tokens_(burst),
      updated_(clock.Now()) {}

bool RateLimitedLog::Acquire() {
  absl::Time now = clock_.Now();
  if (now > updated_) {
    tokens_ = std::min<double>(
        burst_, tokens_ + absl::ToDoubleSeconds(now - updated_) * per_second_);
    updated_ = now;
  }
  if (tokens_ < 1) {
    ++suppressed_;
    ++suppressed_total_;
    return false;
  }
  tokens_ -= 1;
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
