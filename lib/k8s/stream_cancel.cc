#include "lib/k8s/stream_cancel.h"

#include <utility>

namespace lb::k8s {

void StreamCancel::Cancel() {
  std::function<void()> fn;
  {
    absl::MutexLock l(&mu_);
    cancelled_ = true;
    fn = fn_;
  }
  if (fn) fn();
}

bool StreamCancel::cancelled() const {
  absl::MutexLock l(&mu_);
  return cancelled_;
}

bool StreamCancel::Register(std::function<void()> fn) {
  absl::MutexLock l(&mu_);
  if (cancelled_) return false;
  fn_ = std::move(fn);
  return true;
}

void StreamCancel::Unregister() {
  absl::MutexLock l(&mu_);
  fn_ = nullptr;
}

void StreamCancel::Reset() {
  absl::MutexLock l(&mu_);
  cancelled_ = false;
  fn_ = nullptr;
}

}  // namespace lb::k8s
