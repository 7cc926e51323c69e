#include "lib/k8s/testing/in_memory_client.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lib/base/status_macros.h"
#include "lib/k8s/errors.h"
#include "lib/k8s/stream_cancel.h"
#include "lib/k8s/testing/list_options.h"

namespace lb::k8s::testing {
namespace {

absl::Status FromResult(const ApiResult& r) {
  return r.ok() ? absl::OkStatus() : StatusFromObject(r.code, r.body);
}

absl::StatusOr<json> Body(ApiResult r) {
  if (!r.ok()) return FromResult(r);
  return std::move(r.body);
}

// The namespace a request for `r` names, as the HTTP front end derives it
// from the URL and the body.
std::string RequestNamespace(const Resource& r, const std::string& ns,
                             const json& object) {
  if (!r.namespaced) return "";
  if (!ns.empty()) return ns;
  if (object.is_object() && object.contains("metadata") &&
      object["metadata"].is_object()) {
    const std::string body_ns = object["metadata"].value("namespace", "");
    if (!body_ns.empty()) return body_ns;
  }
  return "default";
}

absl::Status Unreachable() {
  return absl::UnavailableError("connection refused: the API is unreachable");
}

WatchEvent::Type EventType(const std::string& type) {
  if (type == "ADDED") return WatchEvent::Type::kAdded;
  if (type == "DELETED") return WatchEvent::Type::kDeleted;
  return WatchEvent::Type::kModified;
}

}  // namespace

InMemoryClient::InMemoryClient(Clock& clock, InMemoryClientOptions options)
    : clock_(clock),
      options_(std::move(options)),
      store_(options_.store, clock.Now()) {}

int64_t InMemoryClient::resource_version() const {
  absl::MutexLock lock(&mu_);
  return store_.resource_version();
}

int InMemoryClient::open_watches() const {
  absl::MutexLock lock(&mu_);
  return open_watches_;
}

int64_t InMemoryClient::request_count() const {
  absl::MutexLock lock(&mu_);
  return requests_;
}

void InMemoryClient::DropWatches() {
  absl::MutexLock lock(&mu_);
  ++drop_generation_;
}

void InMemoryClient::FailNextRequests(int n, int http_code, std::string method,
                                      std::string path_suffix) {
  absl::MutexLock lock(&mu_);
  fail_remaining_ = n;
  fail_code_ = http_code;
  fail_method_ = std::move(method);
  fail_suffix_ = std::move(path_suffix);
}

void InMemoryClient::SetReachable(bool reachable) {
  absl::MutexLock lock(&mu_);
  reachable_ = reachable;
}

void InMemoryClient::CompactHistory() {
  absl::MutexLock lock(&mu_);
  store_.CompactHistory();
}

bool InMemoryClient::Collect() {
  absl::MutexLock lock(&mu_);
  bool changed = false;
  while (store_.Collect(clock_.Now())) changed = true;
  return changed;
}

absl::Status InMemoryClient::Admit(const std::string& method, const Resource& r,
                                   Subresource sub) {
  ++requests_;
  if (!reachable_) return Unreachable();
  if (fail_remaining_ <= 0) return absl::OkStatus();
  if (!fail_method_.empty() && fail_method_ != method) return absl::OkStatus();
  if (!fail_suffix_.empty()) {
    const std::string path =
        sub == Subresource::kStatus ? r.plural + "/status" : r.plural;
    if (!absl::EndsWith(path, fail_suffix_)) return absl::OkStatus();
  }
  --fail_remaining_;
  return FromResult(
      ApiError(fail_code_, ReasonForCode(fail_code_),
               absl::StrCat("injected failure of ", method, " ", r.plural)));
}

absl::StatusOr<const ResourceType*> InMemoryClient::TypeOf(
    const Resource& r) const {
  const ResourceType* t = store_.FindType(r.group, r.version, r.plural);
  if (t == nullptr) {
    return FromResult(ApiError(
        404, "NotFound", "the server could not find the requested resource"));
  }
  return t;
}

absl::StatusOr<json> InMemoryClient::DoGet(const Resource& r,
                                           const std::string& ns,
                                           const std::string& name,
                                           Subresource sub) {
  absl::MutexLock lock(&mu_);
  LB_RETURN_IF_ERROR(Admit("GET", r, sub));
  LB_ASSIGN_OR_RETURN(const ResourceType* t, TypeOf(r));
  if (sub == Subresource::kStatus && !t->has_status) {
    return FromResult(ApiError(
        404, "NotFound", "the server could not find the requested resource"));
  }
  ObjectRef o = store_.Get(*t, RequestNamespace(r, ns, json()), name);
  if (o == nullptr) {
    return FromResult(
        ApiError(404, "NotFound",
                 absl::StrCat(t->Qualified(), " \"", name, "\" not found"),
                 {{"name", name}, {"group", t->group}, {"kind", t->plural}}));
  }
  return *o;
}

absl::StatusOr<std::vector<ObjectRef>> InMemoryClient::ListLocked(
    const Resource& r, const std::string& ns, const ListOptions& options,
    const ResourceType** type) {
  LB_RETURN_IF_ERROR(Admit("LIST", r, Subresource::kNone));
  LB_ASSIGN_OR_RETURN(*type, TypeOf(r));
  absl::StatusOr<Selection> selection = Selection::Parse(
      r.namespaced ? ns : "", options.label_selector, options.field_selector);
  if (!selection.ok()) {
    return FromResult(
        ApiError(400, "BadRequest", std::string(selection.status().message())));
  }
  if (ApiResult f = CheckFieldSelector(**type, selection->fields); !f.ok()) {
    return FromResult(f);
  }
  return store_.List(**type, *selection);
}

absl::StatusOr<ObjectList> InMemoryClient::DoList(const Resource& r,
                                                  const std::string& ns,
                                                  const ListOptions& options) {
  absl::MutexLock lock(&mu_);
  const ResourceType* t = nullptr;
  LB_ASSIGN_OR_RETURN(std::vector<ObjectRef> objects,
                      ListLocked(r, ns, options, &t));
  ObjectList list;
  list.items.reserve(objects.size());
  for (const ObjectRef& o : objects) list.items.push_back(*o);
  list.resource_version = std::to_string(store_.resource_version());
  return list;
}

absl::StatusOr<std::string> InMemoryClient::DoListEach(
    const Resource& r, const std::string& ns, const ListOptions& options,
    const std::function<void(json item)>& on_item) {
  std::vector<ObjectRef> objects;
  std::string version;
  {
    absl::MutexLock lock(&mu_);
    const ResourceType* t = nullptr;
    LB_ASSIGN_OR_RETURN(objects, ListLocked(r, ns, options, &t));
    version = std::to_string(store_.resource_version());
  }
  // Outside the lock: a handler may call back into the client.
  for (const ObjectRef& o : objects) on_item(*o);
  return version;
}

namespace {

// The store's options for a write with the client's `options`; the 422 the
// server answers for an unknown fieldValidation, naming `options_kind`
// (CreateOptions, UpdateOptions, PatchOptions).
absl::StatusOr<WriteOptions> StoreWrite(const k8s::WriteOptions& options,
                                        const char* options_kind) {
  WriteOptions w;
  w.dry_run = options.dry_run;
  absl::StatusOr<FieldValidation> v =
      ParseFieldValidation(options.field_validation);
  if (!v.ok()) {
    return FromResult(ApiError(
        422, "Invalid",
        absl::StrCat(options_kind,
                     ".meta.k8s.io \"\" is invalid: ", v.status().message())));
  }
  w.field_validation = *v;
  return w;
}

}  // namespace

absl::StatusOr<json> InMemoryClient::DoCreate(
    const Resource& r, const std::string& ns, const json& object,
    const k8s::WriteOptions& options) {
  LB_ASSIGN_OR_RETURN(WriteOptions write, StoreWrite(options, "CreateOptions"));
  absl::MutexLock lock(&mu_);
  LB_RETURN_IF_ERROR(Admit("POST", r, Subresource::kNone));
  LB_ASSIGN_OR_RETURN(const ResourceType* t, TypeOf(r));
  return Body(store_.Create(*t, RequestNamespace(r, ns, object), object,
                            clock_.Now(), write));
}

absl::StatusOr<json> InMemoryClient::DoUpdate(
    const Resource& r, const std::string& ns, const json& object,
    Subresource sub, const k8s::WriteOptions& options) {
  const std::string name = object.is_object() && object.contains("metadata") &&
                                   object["metadata"].is_object()
                               ? object["metadata"].value("name", "")
                               : "";
  if (name.empty()) {
    return absl::InvalidArgumentError("Update: object has no metadata.name");
  }
  LB_ASSIGN_OR_RETURN(WriteOptions write, StoreWrite(options, "UpdateOptions"));
  absl::MutexLock lock(&mu_);
  LB_RETURN_IF_ERROR(Admit("PUT", r, sub));
  LB_ASSIGN_OR_RETURN(const ResourceType* t, TypeOf(r));
  return Body(store_.Update(*t, RequestNamespace(r, ns, object), name,
                            sub == Subresource::kStatus, object, clock_.Now(),
                            write));
}

absl::StatusOr<json> InMemoryClient::Patch(const Resource& r,
                                           const std::string& ns,
                                           const std::string& name,
                                           PatchType type, const json& patch,
                                           Subresource sub,
                                           const k8s::WriteOptions& options) {
  LB_ASSIGN_OR_RETURN(WriteOptions write, StoreWrite(options, "PatchOptions"));
  absl::MutexLock lock(&mu_);
  LB_RETURN_IF_ERROR(Admit("PATCH", r, sub));
  LB_ASSIGN_OR_RETURN(const ResourceType* t, TypeOf(r));
  return Body(store_.Patch(*t, RequestNamespace(r, ns, json()), name,
                           sub == Subresource::kStatus, type, patch,
                           clock_.Now(), write));
}

absl::StatusOr<json> InMemoryClient::DoMergePatch(
    const Resource& r, const std::string& ns, const std::string& name,
    const json& patch, Subresource sub, const k8s::WriteOptions& options) {
  if (!patch.is_object()) {
    return absl::InvalidArgumentError("MergePatch: patch must be an object");
  }
  return Patch(r, ns, name, PatchType::kMerge, patch, sub, options);
}

absl::StatusOr<json> InMemoryClient::DoJsonPatch(
    const Resource& r, const std::string& ns, const std::string& name,
    const json& patch, Subresource sub, const k8s::WriteOptions& options) {
  if (!patch.is_array()) {
    return absl::InvalidArgumentError("JsonPatch: patch must be an array");
  }
  return Patch(r, ns, name, PatchType::kJson, patch, sub, options);
}

absl::Status InMemoryClient::DoDelete(const Resource& r, const std::string& ns,
                                      const std::string& name,
                                      const std::string& resource_version,
                                      const k8s::WriteOptions& options) {
  json body = json();
  if (!resource_version.empty()) {
    body = {{"preconditions", {{"resourceVersion", resource_version}}}};
  }
  WriteOptions write;
  write.dry_run = options.dry_run;
  absl::MutexLock lock(&mu_);
  LB_RETURN_IF_ERROR(Admit("DELETE", r, Subresource::kNone));
  LB_ASSIGN_OR_RETURN(const ResourceType* t, TypeOf(r));
  return FromResult(store_.Delete(*t, RequestNamespace(r, ns, json()), name,
                                  body, clock_.Now(), write));
}

absl::Status InMemoryClient::DoWatch(
    const Resource& r, const std::string& ns, const WatchOptions& options,
    const std::function<bool(WatchEvent)>& on_event, StreamCancel* cancel) {
  // Set by StreamCancel::Cancel, possibly after this watch returned.
  auto cancelled = std::make_shared<std::atomic<bool>>(false);
  if (cancel != nullptr && !cancel->Register([this, cancelled] {
        absl::MutexLock lock(&mu_);  // so the waiting watch re-checks
        *cancelled = true;
      })) {
    return absl::CancelledError("watch cancelled");
  }
  struct Unregister {
    StreamCancel* cancel;
    ~Unregister() {
      if (cancel != nullptr) cancel->Unregister();
    }
  } unregister{cancel};

  const ResourceType* t = nullptr;
  Selection selection;
  int64_t pos = 0;
  uint64_t drop_generation = 0;
  MonoTime start;
  std::vector<WatchEvent> batch;
  {
    absl::MutexLock lock(&mu_);
    LB_RETURN_IF_ERROR(Admit("WATCH", r, Subresource::kNone));
    LB_ASSIGN_OR_RETURN(t, TypeOf(r));
    absl::StatusOr<Selection> parsed = Selection::Parse(
        r.namespaced ? ns : "", options.label_selector, options.field_selector);
    if (!parsed.ok()) {
      return FromResult(
          ApiError(400, "BadRequest", std::string(parsed.status().message())));
    }
    selection = *std::move(parsed);
    const std::string& from = options.resource_version;
    if (from.empty() || from == "0") {
      for (const ObjectRef& o : store_.List(*t, selection)) {
        batch.push_back({WatchEvent::Type::kAdded, *o});
      }
      pos = store_.resource_version();
    } else if (!absl::SimpleAtoi(from, &pos) || pos < 0) {
      return FromResult(
          ApiError(400, "BadRequest",
                   absl::StrCat("invalid resourceVersion \"", from, "\"")));
    }
    drop_generation = drop_generation_;
    ++open_watches_;
    start = clock_.Monotonic();
  }
  struct Close {
    InMemoryClient* client;
    ~Close() {
      absl::MutexLock lock(&client->mu_);
      --client->open_watches_;
    }
  } close{this};

  const MonoTime end = start + options.timeout;
  MonoTime next_bookmark = options.allow_bookmarks
                               ? start + options_.bookmark_interval
                               : MonoTime::InfiniteFuture();
  auto bookmark = [&] {
    return WatchEvent{
        WatchEvent::Type::kBookmark,
        {{"kind", t->kind},
         {"apiVersion", t->GroupVersion()},
         {"metadata", {{"resourceVersion", std::to_string(pos)}}}}};
  };
  while (true) {
    for (WatchEvent& e : batch) {
      if (!on_event(std::move(e))) return absl::OkStatus();
    }
    batch.clear();
    bool ended = false;
    {
      absl::MutexLock lock(&mu_);
      auto news = [&] {
        mu_.AssertHeld();
        return store_.resource_version() > pos || *cancelled ||
               drop_generation_ != drop_generation || !reachable_;
      };
      clock_.AwaitWithDeadline(&mu_, absl::Condition(&news),
                               std::min(end, next_bookmark));
      if (*cancelled) return absl::CancelledError("watch cancelled");
      if (!reachable_) return Unreachable();
      if (drop_generation_ != drop_generation) return absl::OkStatus();
      std::vector<StoredEvent> events;
      ApiResult read = store_.ReadHistory(*t, selection, &pos, 1000, &events);
      if (!read.ok()) return FromResult(read);
      for (StoredEvent& e : events) {
        batch.push_back({EventType(e.type), *e.object});
      }
      const MonoTime now = clock_.Monotonic();
      // Changes that came in by the deadline are delivered first.
      ended = now >= end && batch.empty();
      if (!ended && now >= next_bookmark) {
        batch.push_back(bookmark());
        next_bookmark = now + options_.bookmark_interval;
      }
    }
    if (ended) {
      if (options.allow_bookmarks) on_event(bookmark());
      return absl::OkStatus();
    }
  }
}

}  // namespace lb::k8s::testing
