#include "lib/k8s/informer.h"

#include <utility>

#include "absl/container/flat_hash_set.h"
#include "lib/k8s/errors.h"

namespace lb::k8s {
namespace {

std::string VersionOf(const json& obj) {
  auto md = obj.find("metadata");
  if (md == obj.end() || !md->is_object()) return "";
  auto rv = md->find("resourceVersion");
  return rv != md->end() && rv->is_string() ? rv->get<std::string>() : "";
}

}  // namespace

Informer::Informer(Client& client, Clock& clock, Resource resource,
                   InformerOptions options)
    : client_(client),
      clock_(clock),
      resource_(std::move(resource)),
      options_(std::move(options)),
      cache_(options_.keep_objects),
      backoff_(options_.backoff, options_.seed),
      rng_(options_.seed ^ 0x9e3779b97f4a7c15ull) {}

Informer::~Informer() { Stop(); }

void Informer::AddHandlers(EventHandlers handlers) {
  absl::MutexLock l(&deliver_mu_);
  handlers_.push_back(std::move(handlers));
}

void Informer::Start() {
  {
    absl::MutexLock l(&mu_);
    if (started_ || stopping_) return;
    started_ = true;
  }
  thread_ = std::thread([this] { Run(); });
  if (options_.resync_period > absl::ZeroDuration()) {
    resync_thread_ = std::thread([this] { ResyncLoop(); });
  }
}

void Informer::Stop() {
  {
    absl::MutexLock l(&mu_);
    stopping_ = true;
  }
  cancel_.Cancel();
  if (thread_.joinable()) thread_.join();
  if (resync_thread_.joinable()) resync_thread_.join();
}

bool Informer::HasSynced() const {
  absl::MutexLock l(&mu_);
  return synced_;
}

bool Informer::WaitForSync(absl::Duration timeout) {
  absl::MutexLock l(&mu_);
  return clock_.AwaitWithTimeout(&mu_, absl::Condition(&synced_), timeout);
}

int64_t Informer::lists() const {
  absl::MutexLock l(&mu_);
  return lists_;
}
int64_t Informer::watches() const {
  absl::MutexLock l(&mu_);
  return watches_;
}
std::string Informer::last_resource_version() const {
  absl::MutexLock l(&mu_);
  return rv_;
}

bool Informer::SleepUnlessStopped(absl::Duration d) {
  absl::MutexLock l(&mu_);
  clock_.AwaitWithTimeout(&mu_, absl::Condition(&stopping_), d);
  return !stopping_;
}

void Informer::Deliver(const Delta& d) {
  for (const EventHandlers& h : handlers_) {
    switch (d.type) {
      case Delta::Type::kAdd:
        if (h.on_add) h.on_add(*d.cur);
        break;
      case Delta::Type::kUpdate:
        if (h.on_update) h.on_update(d.old ? *d.old : json(), *d.cur);
        break;
      case Delta::Type::kDelete:
        if (h.on_delete) h.on_delete(d.old ? *d.old : *d.cur);
        break;
    }
  }
}

bool Informer::ListOnce() {
  ListOptions lo;
  lo.label_selector = options_.label_selector;
  lo.field_selector = options_.field_selector;
  // Items are merged into the cache as they are decoded (so a large list
  // never exists as one tree); handlers hear of them at once and of vanished
  // objects at the end. A failed list deletes nothing.
  absl::flat_hash_set<std::string> seen;
  absl::StatusOr<std::string> rv;
  {
    absl::MutexLock deliver(&deliver_mu_);
    rv = client_.ListEach(resource_, options_.ns, lo, [&](json item) {
      deliver_mu_.AssertHeld();
      if (options_.transform) options_.transform(item);
      if (auto d = cache_.Upsert(std::move(item), &seen)) Deliver(*d);
    });
    if (rv.ok()) {
      for (const Delta& d : cache_.RemoveExcept(seen)) Deliver(d);
    }
  }
  if (!rv.ok()) {
    SleepUnlessStopped(backoff_.Next());
    return false;
  }
  absl::MutexLock l(&mu_);
  rv_ = *rv;
  synced_ = true;
  ++lists_;
  return !stopping_;
}

void Informer::Run() {
  bool need_list = true;
  while (true) {
    {
      absl::MutexLock l(&mu_);
      if (stopping_) return;
    }
    if (need_list) {
      if (!ListOnce()) continue;
      need_list = false;
    }
    WatchOptions wo;
    wo.label_selector = options_.label_selector;
    wo.field_selector = options_.field_selector;
    std::uniform_real_distribution<double> spread(1.0, 2.0);
    wo.timeout = options_.watch_timeout * spread(rng_);
    {
      absl::MutexLock l(&mu_);
      if (stopping_) return;
      wo.resource_version = rv_;
      cancel_.Reset();
    }
    const MonoTime start = clock_.Monotonic();
    int events = 0;
    absl::Status s = client_.Watch(
        resource_, options_.ns, wo,
        [&](WatchEvent e) {
          ++events;
          std::string rv = VersionOf(e.object);
          if (e.type != WatchEvent::Type::kBookmark) {
            if (options_.transform) options_.transform(e.object);
            absl::MutexLock l(&deliver_mu_);
            if (auto d = cache_.Apply(e.type, std::move(e.object))) Deliver(*d);
          }
          if (!rv.empty()) {
            absl::MutexLock l(&mu_);
            rv_ = rv;
          }
          return true;
        },
        &cancel_);
    {
      absl::MutexLock l(&mu_);
      if (stopping_) return;
      ++watches_;
    }
    if (s.ok()) {
      if (events == 0 && clock_.Monotonic() - start < absl::Seconds(1)) {
        // A very short, empty watch counts as a failure.
        SleepUnlessStopped(backoff_.Next());
      } else {
        backoff_.Reset();
      }
      continue;
    }
    if (IsGone(s)) {
      need_list = true;
      continue;
    }
    SleepUnlessStopped(backoff_.Next());
    // Transport trouble leaves the cache valid: watch again from the last
    // version. Anything else starts over with a list.
    if (s.code() != absl::StatusCode::kUnavailable &&
        s.code() != absl::StatusCode::kResourceExhausted) {
      need_list = true;
    }
  }
}

void Informer::ResyncLoop() {
  while (SleepUnlessStopped(options_.resync_period)) {
    absl::MutexLock l(&deliver_mu_);
    for (const ObjectPtr& o : cache_.List()) {
      for (const EventHandlers& h : handlers_) {
        if (h.on_update) h.on_update(*o, *o);
      }
    }
  }
}

void DropManagedFields(json& object) {
  auto meta = object.find("metadata");
  if (meta != object.end() && meta->is_object()) meta->erase("managedFields");
}

}  // namespace lb::k8s
