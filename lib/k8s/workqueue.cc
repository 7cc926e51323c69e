#include "lib/k8s/workqueue.h"

#include <algorithm>

namespace lb::k8s {

WorkQueue::WorkQueue(Clock& clock, WorkQueueOptions options)
    : clock_(clock), options_(options) {}

void WorkQueue::AddLocked(const std::string& key) {
  if (shutting_down_ || dirty_.contains(key)) return;
  dirty_.insert(key);
  if (processing_.contains(key)) return;
  queue_.push_back(key);
}

void WorkQueue::Add(const std::string& key) {
  absl::MutexLock l(&mu_);
  AddLocked(key);
}

void WorkQueue::AddAfter(const std::string& key, absl::Duration delay) {
  absl::MutexLock l(&mu_);
  if (shutting_down_) return;
  if (delay <= absl::ZeroDuration()) {
    AddLocked(key);
    return;
  }
  delayed_.emplace(clock_.Monotonic() + delay, key);
  ++delayed_generation_;
}

void WorkQueue::AddRateLimited(const std::string& key) {
  absl::Duration delay;
  {
    absl::MutexLock l(&mu_);
    int n = retries_[key]++;
    delay = options_.base_delay;
    for (int i = 0; i < n && delay < options_.max_delay; ++i) delay *= 2;
    delay = std::min(delay, options_.max_delay);
  }
  AddAfter(key, delay);
}

void WorkQueue::Forget(const std::string& key) {
  absl::MutexLock l(&mu_);
  retries_.erase(key);
}

int WorkQueue::NumRequeues(const std::string& key) const {
  absl::MutexLock l(&mu_);
  auto it = retries_.find(key);
  return it == retries_.end() ? 0 : it->second;
}

void WorkQueue::PromoteLocked(MonoTime now) {
  while (!delayed_.empty() && delayed_.begin()->first <= now) {
    std::string key = delayed_.begin()->second;
    delayed_.erase(delayed_.begin());
    AddLocked(key);
  }
}

bool WorkQueue::Get(std::string* key) {
  absl::MutexLock l(&mu_);
  while (true) {
    PromoteLocked(clock_.Monotonic());
    if (!queue_.empty()) break;
    if (shutting_down_) return false;
    uint64_t generation = delayed_generation_;
    const MonoTime deadline =
        delayed_.empty() ? MonoTime::InfiniteFuture() : delayed_.begin()->first;
    auto ready = [this, generation]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return !queue_.empty() || shutting_down_ ||
             delayed_generation_ != generation;
    };
    clock_.AwaitWithDeadline(&mu_, absl::Condition(&ready), deadline);
  }
  *key = queue_.front();
  queue_.pop_front();
  processing_.insert(*key);
  dirty_.erase(*key);
  // A burst (every object at start-up) leaves a large table behind; a drained
  // queue gives it back.
  if (dirty_.empty() && dirty_.capacity() > kKeepCapacity) dirty_ = {};
  return true;
}

void WorkQueue::Done(const std::string& key) {
  absl::MutexLock l(&mu_);
  processing_.erase(key);
  if (processing_.empty() && processing_.capacity() > kKeepCapacity) {
    processing_ = {};
  }
  if (dirty_.contains(key)) queue_.push_back(key);
}

void WorkQueue::ShutDown() {
  absl::MutexLock l(&mu_);
  shutting_down_ = true;
}

size_t WorkQueue::Len() const {
  absl::MutexLock l(&mu_);
  return queue_.size();
}

}  // namespace lb::k8s
