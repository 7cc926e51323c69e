// lib/arp/log_sink.h
//
// Where lib/arp writes its log lines: an injected sink (the speaker adapts
// it to klog), never a global logger. RateLimitedLog bounds the rate of
// lines (an lb::TokenBucket on the injected Clock's monotonic time) and
// reports how many it suppressed.
//
//   class KlogSink : public LogSink {
//     void Log(LogLevel l, absl::string_view m) override;
//   };
//   RateLimitedLog log(clock, &sink, /*per_second=*/10, /*burst=*/20);
//   log.Log(LogLevel::kInfo, "Request: who-has ...");
//
// Thread-safety: LogSink implementations must accept concurrent calls.
// RateLimitedLog is not thread-safe; its owner serialises calls.

#ifndef LB_ARP_LOG_SINK_H_
#define LB_ARP_LOG_SINK_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "lib/base/clock.h"
#include "lib/base/token_bucket.h"

namespace lb::arp {

enum class LogLevel { kInfo, kWarning, kError };

class LogSink {
 public:
  virtual ~LogSink() = default;
  virtual void Log(LogLevel level, absl::string_view message) = 0;
};

class RateLimitedLog {
 public:
  // `sink` may be null (everything is dropped silently). `per_second` > 0,
  // `burst` >= 1.
  RateLimitedLog(Clock& clock, LogSink* sink, double per_second, int burst);

  // Takes one line's worth of budget; false (and counted as suppressed) if
  // there is none. Lets a caller skip formatting a line that would be
  // dropped.
  bool Acquire();
  // Appends " (N similar lines suppressed)" if lines were suppressed since
  // the last annotated line. Call once per acquired line.
  void Annotate(std::string* line);
  // Acquire() and, if it succeeds, Annotate(line).
  bool Admit(std::string* line);
  // Admits and writes in one step.
  bool Log(LogLevel level, std::string line);

  uint64_t suppressed_total() const { return suppressed_total_; }
  LogSink* sink() const { return sink_; }

 private:
  Clock& clock_;
  LogSink* const sink_;
  TokenBucket budget_;  // Lines.
  uint64_t suppressed_ = 0;
  uint64_t suppressed_total_ = 0;
};

}  // namespace lb::arp

#endif  // LB_ARP_LOG_SINK_H_
