// cmd/common/klog.h
//
// Log lines in klog's format, the one Kubernetes components and MetalLB write:
//
//   I1217 10:18:07.409788       1 arp_controller.go:96] default/nginx: announcable, making advertisement
//
//   LB_LOG_INFO(logger) << "text";   // one line, written on destruction
//
// Thread-safety: lines from different threads never interleave.

#ifndef LB_CMD_COMMON_KLOG_H_
#define LB_CMD_COMMON_KLOG_H_

#include <ostream>
#include <sstream>
#include <string>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace lb::cmd {

class Logger {
 public:
  // Writes to `out` (normally std::cerr), which must outlive the logger.
  explicit Logger(std::ostream& out) : out_(out) {}

  // One complete line; `severity` is 'I', 'W', 'E' or 'F'.
  void Write(char severity, const char* file, int line,
             absl::string_view message);

  // The line Write would produce at `when`, for tests.
  static std::string Format(char severity, absl::Time when, int pid,
                            const char* file, int line,
                            absl::string_view message);

 private:
  absl::Mutex mu_;
  std::ostream& out_;
};

// Collects one line and writes it when it goes out of scope.
class LogLine {
 public:
  LogLine(Logger& logger, char severity, const char* file, int line)
      : logger_(logger), severity_(severity), file_(file), line_(line) {}
  ~LogLine() { logger_.Write(severity_, file_, line_, stream_.str()); }
  std::ostream& stream() { return stream_; }

 private:
  Logger& logger_;
  char severity_;
  const char* file_;
  int line_;
  std::ostringstream stream_;
};

}  // namespace lb::cmd

#define LB_LOG_INFO(logger) \
  ::lb::cmd::LogLine((logger), 'I', __FILE__, __LINE__).stream()
#define LB_LOG_WARNING(logger) \
  ::lb::cmd::LogLine((logger), 'W', __FILE__, __LINE__).stream()
#define LB_LOG_ERROR(logger) \
  ::lb::cmd::LogLine((logger), 'E', __FILE__, __LINE__).stream()

#endif  // LB_CMD_COMMON_KLOG_H_
