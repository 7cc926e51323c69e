#include "cmd/common/klog.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace lb::cmd {

std::string Logger::Format(char severity, absl::Time when, int pid,
                           const char* file, int line,
                           absl::string_view message) {
  const char* base = file;
  for (const char* p = file; *p; ++p) {
    if (*p == '/') base = p + 1;
  }
  return absl::StrCat(
      std::string(1, severity),
      absl::FormatTime("%m%d %H:%M:%E6S", when, absl::UTCTimeZone()),
      absl::StrFormat(" %7d %s:%d] ", pid, base, line), message);
}

void Logger::Write(char severity, const char* file, int line,
                   absl::string_view message) {
  std::string text = Format(severity, absl::Now(), static_cast<int>(getpid()),
                            file, line, message);
  absl::MutexLock lock(&mu_);
  out_ << text << "\n";
  out_.flush();
}

}  // namespace lb::cmd
