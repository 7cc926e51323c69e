#include "lib/k8s/testing/in_memory_client.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "lib/k8s/errors.h"
#include "lib/k8s/testing/api_result.h"
#include "lib/k8s/testing/object_store.h"

namespace lb::k8s::testing {

struct InMemoryClient::State {
  State(int64_t history_limit, absl::Time now)
      : store(ObjectStoreOptions{history_limit}, now) {}

  mutable absl::Mutex mu;
  ObjectStore store ABSL_GUARDED_BY(mu);
  uint64_t drop_generation ABSL_GUARDED_BY(mu) = 0;
  int open_watches ABSL_GUARDED_BY(mu) = 0;
  int64_t calls ABSL_GUARDED_BY(mu) = 0;
  int fail_count ABSL_GUARDED_BY(mu) = 0;
  int fail_code ABSL_GUARDED_BY(mu) = 500;
  CallFilter fail_filter ABSL_GUARDED_BY(mu);
};

// Set by a StreamCancel's callback, which may run after the watch returned.
struct InMemoryClient::WatchControl {
  bool cancelled = false;  // guarded by State::mu
};

namespace {

absl::Status ToStatus(const ApiResult& r) {
  return StatusFromObject(r.code, r.body);
}

absl::StatusOr<json> ToObject(ApiResult r) {
  if (!r.ok()) return ToStatus(r);
  return std::move(r.body);
}

absl::Status NotServed() {
  return StatusFromApi(404, "NotFound",
                       "the server could not find the requested resource");
}

WatchEvent::Type EventType(const std::string& type) {
  if (type == "ADDED") return WatchEvent::Type::kAdded;
  if (type == "MODIFIED") return WatchEvent::Type::kModified;
  return WatchEvent::Type::kDeleted;
}

}  // namespace

InMemoryClient::InMemoryClient(Clock& clock, InMemoryClientOptions options)
    : clock_(clock),
      options_(options),
      state_(std::make_shared<State>(options.history_limit, clock.Now())) {}

InMemoryClient::~InMemoryClient() = default;

int64_t InMemoryClient::resource_version() const {
  absl::MutexLock l(&state_->mu);
  return state_->store.resource_version();
}

int InMemoryClient::open_watches() const {
  absl::MutexLock l(&state_->mu);
  return state_->open_watches;
}

int64_t InMemoryClient::call_count() const {
  absl::MutexLock l(&state_->mu);
  return state_->calls;
}

absl::StatusOr<json> InMemoryClient::GetObject(const std::string& group,
                                               const std::string& plural,
                                               const std::string& ns,
                                               const std::string& name) const {
  absl::MutexLock l(&state_->mu);
  const ResourceType* t = state_->store.FindType(group, plural);
  if (t == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown resource ", plural, ".", group));
  }
  ObjectRef obj = state_->store.Get(*t, ns, name);
  if (obj == nullptr) {
    return absl::NotFoundError(
        absl::StrCat(t->Qualified(), " \"", name, "\" not found"));
  }
  return *obj;
}

void InMemoryClient::FailNextCalls(int n, int http_code, CallFilter filter) {
  absl::MutexLock l(&state_->mu);
  state_->fail_count = std::max(0, n);
  state_->fail_code = http_code;
  state_->fail_filter = std::move(filter);
}

void InMemoryClient::DropWatches() {
  absl::MutexLock l(&state_->mu);
  ++state_->drop_generation;
}

void InMemoryClient::CompactHistory() {
  absl::MutexLock l(&state_->mu);
  state_->store.CompactHistory();
}

namespace {

// Counts the call and consumes an injected failure that matches it. Also
// resolves the served type: null (and *status NotFound) when not served.
const ResourceType* Begin(Verb verb, const Resource& r, const std::string& ns,
                          bool status_sub, ObjectStore& store, int64_t& calls,
                          int& fail_count, int fail_code,
                          const CallFilter& filter, absl::Status* status) {
  ++calls;
  if (fail_count > 0 && (filter.verb == Verb::kAny || filter.verb == verb) &&
      (filter.plural.empty() || filter.plural == r.plural) &&
      (!filter.status_only || status_sub)) {
    --fail_count;
    *status =
        StatusFromApi(fail_code, ReasonForCode(fail_code),
                      absl::StrCat("injected failure (HTTP ", fail_code, ")"));
    return nullptr;
  }
  const ResourceType* t = store.FindType(r.group, r.version, r.plural);
  // A path the HTTP server would not route: unknown type, a namespace on a
  // cluster-scoped one, `/status` where none is served.
  if (t == nullptr || (!t->namespaced && r.namespaced && !ns.empty()) ||
      (status_sub && !t->has_status)) {
    *status = NotServed();
    return nullptr;
  }
  return t;
}

}  // namespace

#define LB_IN_MEMORY_BEGIN(verb, r, ns, status_sub)                     \
  absl::MutexLock lock(&state_->mu);                                    \
  absl::Status begin_status;                                            \
  const ResourceType* type =                                            \
      Begin(verb, r, ns, status_sub, state_->store, state_->calls,      \
            state_->fail_count, state_->fail_code, state_->fail_filter, \
            &begin_status);                                             \
  if (type == nullptr) return begin_status;                             \
  const ResourceType t = *type;                                         \
  const std::string scope = t.namespaced ? ns : std::string()

absl::StatusOr<json> InMemoryClient::DoGet(const Resource& r,
                                           const std::string& ns,
                                           const std::string& name,
                                           Subresource sub) {
  LB_IN_MEMORY_BEGIN(Verb::kGet, r, ns, sub == Subresource::kStatus);
  ObjectRef obj = state_->store.Get(t, scope, name);
  if (obj == nullptr) {
    return StatusFromApi(
        404, "NotFound",
        absl::StrCat(t.Qualified(), " \"", name, "\" not found"));
  }
  return *obj;
}

absl::StatusOr<std::string> InMemoryClient::DoListEach(
    const Resource& r, const std::string& ns, const ListOptions& options,
    const std::function<void(json item)>& on_item) {
  std::vector<ObjectRef> objects;
  std::string rv;
  {
    LB_IN_MEMORY_BEGIN(Verb::kList, r, ns, false);
    auto selection =
        Selection::Parse(scope, options.label_selector, options.field_selector);
    if (!selection.ok()) {
      return StatusFromApi(400, "BadRequest", selection.status().message());
    }
    objects = state_->store.List(t, *selection);
    rv = std::to_string(state_->store.resource_version());
  }
  for (const ObjectRef& o : objects) on_item(*o);
  return rv;
}

absl::StatusOr<ObjectList> InMemoryClient::DoList(const Resource& r,
                                                  const std::string& ns,
                                                  const ListOptions& options) {
  ObjectList list;
  auto rv = DoListEach(r, ns, options, [&list](json item) {
    list.items.push_back(std::move(item));
  });
  if (!rv.ok()) return rv.status();
  list.resource_version = *std::move(rv);
  return list;
}

absl::StatusOr<json> InMemoryClient::DoCreate(const Resource& r,
                                              const std::string& ns,
                                              const json& object) {
  LB_IN_MEMORY_BEGIN(Verb::kCreate, r, ns, false);
  std::string target = scope;
  if (t.namespaced && target.empty()) {
    // As over HTTP, a create without a namespace in the path goes to the
    // body's namespace, else "default".
    if (object.is_object() && object.contains("metadata") &&
        object["metadata"].is_object() &&
        object["metadata"].contains("namespace") &&
        object["metadata"]["namespace"].is_string()) {
      target = object["metadata"]["namespace"].get<std::string>();
    }
    if (target.empty()) target = "default";
  }
  return ToObject(state_->store.Create(t, target, object, clock_.Now()));
}

absl::StatusOr<json> InMemoryClient::DoUpdate(const Resource& r,
                                              const std::string& ns,
                                              const json& object,
                                              Subresource sub) {
  std::string name;
  if (object.is_object() && object.contains("metadata") &&
      object["metadata"].is_object() && object["metadata"].contains("name") &&
      object["metadata"]["name"].is_string()) {
    name = object["metadata"]["name"].get<std::string>();
  }
  if (name.empty()) {
    return absl::InvalidArgumentError("Update: object has no metadata.name");
  }
  LB_IN_MEMORY_BEGIN(Verb::kUpdate, r, ns, sub == Subresource::kStatus);
  return ToObject(state_->store.Update(
      t, scope, name, sub == Subresource::kStatus, object, clock_.Now()));
}

absl::StatusOr<json> InMemoryClient::Patch(const Resource& r,
                                           const std::string& ns,
                                           const std::string& name,
                                           bool json_patch, const json& patch,
                                           Subresource sub) {
  LB_IN_MEMORY_BEGIN(Verb::kPatch, r, ns, sub == Subresource::kStatus);
  return ToObject(state_->store.Patch(
      t, scope, name, sub == Subresource::kStatus,
      json_patch ? PatchType::kJson : PatchType::kMerge, patch, clock_.Now()));
}

absl::StatusOr<json> InMemoryClient::DoMergePatch(const Resource& r,
                                                  const std::string& ns,
                                                  const std::string& name,
                                                  const json& patch,
                                                  Subresource sub) {
  if (!patch.is_object()) {
    return absl::InvalidArgumentError("MergePatch: patch must be an object");
  }
  return Patch(r, ns, name, /*json_patch=*/false, patch, sub);
}

absl::StatusOr<json> InMemoryClient::DoJsonPatch(const Resource& r,
                                                 const std::string& ns,
                                                 const std::string& name,
                                                 const json& patch,
                                                 Subresource sub) {
  if (!patch.is_array()) {
    return absl::InvalidArgumentError("JsonPatch: patch must be an array");
  }
  return Patch(r, ns, name, /*json_patch=*/true, patch, sub);
}

absl::Status InMemoryClient::DoDelete(const Resource& r, const std::string& ns,
                                      const std::string& name,
                                      const std::string& resource_version) {
  LB_IN_MEMORY_BEGIN(Verb::kDelete, r, ns, false);
  json options = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}};
  if (!resource_version.empty()) {
    options["preconditions"] = {{"resourceVersion", resource_version}};
  }
  return ToObject(state_->store.Delete(t, scope, name, options, clock_.Now()))
      .status();
}

absl::Status InMemoryClient::DoWatch(
    const Resource& r, const std::string& ns, const WatchOptions& options,
    const std::function<bool(WatchEvent)>& on_event, StreamCancel* cancel) {
  State& s = *state_;
  auto control = std::make_shared<WatchControl>();
  std::vector<WatchEvent> pending;
  ResourceType t;
  Selection selection;
  int64_t pos = 0;
  uint64_t drop_generation = 0;
  const MonoTime start = clock_.Monotonic();
  // The HTTP client asks for whole seconds, at least one.
  const MonoTime deadline =
      start + absl::Seconds(
                  std::max<int64_t>(1, absl::ToInt64Seconds(options.timeout)));
  MonoTime next_bookmark = options.allow_bookmarks
                               ? start + options_.bookmark_interval
                               : MonoTime::InfiniteFuture();
  {
    absl::MutexLock l(&s.mu);
    absl::Status status;
    const ResourceType* type =
        Begin(Verb::kWatch, r, ns, false, s.store, s.calls, s.fail_count,
              s.fail_code, s.fail_filter, &status);
    if (type == nullptr) return status;
    t = *type;
    auto parsed = Selection::Parse(
        t.namespaced ? ns : "", options.label_selector, options.field_selector);
    if (!parsed.ok()) {
      return StatusFromApi(400, "BadRequest", parsed.status().message());
    }
    selection = *std::move(parsed);
    const std::string& rv = options.resource_version;
    if (rv.empty() || rv == "0") {
      for (const ObjectRef& o : s.store.List(t, selection)) {
        pending.push_back({WatchEvent::Type::kAdded, *o});
      }
      pos = s.store.resource_version();
    } else if (!absl::SimpleAtoi(rv, &pos) || pos < 0) {
      return StatusFromApi(
          400, "BadRequest",
          absl::StrCat("invalid resourceVersion \"", rv, "\""));
    }
    drop_generation = s.drop_generation;
    ++s.open_watches;
  }
  std::shared_ptr<State> shared = state_;
  if (cancel != nullptr && !cancel->Register([shared, control] {
        absl::MutexLock l(&shared->mu);
        control->cancelled = true;
      })) {
    absl::MutexLock l(&s.mu);
    --s.open_watches;
    return absl::CancelledError("stream cancelled");
  }
  auto bookmark = [&t](int64_t at) {
    return WatchEvent{
        WatchEvent::Type::kBookmark,
        {{"kind", t.kind},
         {"apiVersion", t.GroupVersion()},
         {"metadata", {{"resourceVersion", std::to_string(at)}}}}};
  };
  absl::Status result;
  bool finished = false;
  while (true) {
    bool stopped = false;
    for (WatchEvent& e : pending) {
      if (!on_event(std::move(e))) {
        stopped = true;
        break;
      }
    }
    pending.clear();
    if (stopped || finished) break;
    absl::MutexLock l(&s.mu);
    auto over = [&] {
      s.mu.AssertHeld();
      return control->cancelled || s.drop_generation != drop_generation;
    };
    auto has_news = [&] {
      s.mu.AssertHeld();
      return s.store.resource_version() > pos || over();
    };
    clock_.AwaitWithDeadline(&s.mu, absl::Condition(&has_news),
                             std::min(deadline, next_bookmark));
    if (control->cancelled) {
      result = absl::CancelledError("stream cancelled");
      break;
    }
    if (over()) break;
    std::vector<StoredEvent> events;
    ApiResult read = s.store.ReadHistory(t, selection, &pos, 1000, &events);
    if (!read.ok()) {
      result = ToStatus(read);
      break;
    }
    for (const StoredEvent& e : events) {
      pending.push_back({EventType(e.type), *e.object});
    }
    const MonoTime now = clock_.Monotonic();
    if (now >= next_bookmark) {
      pending.push_back(bookmark(pos));
      next_bookmark = now + options_.bookmark_interval;
    }
    if (now >= deadline) {
      if (options.allow_bookmarks) pending.push_back(bookmark(pos));
      finished = true;
    }
  }
  if (cancel != nullptr) cancel->Unregister();
  absl::MutexLock l(&s.mu);
  --s.open_watches;
  return result;
}

}  // namespace lb::k8s::testing
