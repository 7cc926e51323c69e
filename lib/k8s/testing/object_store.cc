#include "lib/k8s/testing/object_store.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <random>
#include <set>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "lib/k8s/testing/internal/fields.h"
#include "lib/k8s/testing/internal/patch.h"
#include "lib/k8s/testing/managed_fields.h"
#include "lib/k8s/testing/schemas.h"
#include "lib/k8s/testing/validation.h"

namespace lb::k8s::testing {
namespace {

using internal::Field;
using internal::Rfc3339;
using internal::Str;

ApiResult NotFound(const ResourceType& t, const std::string& name) {
  return ApiError(404, "NotFound",
                  absl::StrCat(t.Qualified(), " \"", name, "\" not found"),
                  {{"name", name}, {"group", t.group}, {"kind", t.plural}});
}

// 403 Forbidden as kube-apiserver's admission words it: `<resource> "<name>"
// is forbidden: <why>`, with `causes` (null for none) in the details.
ApiResult Forbidden(const ResourceType& t, const std::string& name,
                    const std::string& why, json causes = json()) {
  json details = {{"name", name}, {"kind", t.plural}};
  if (!t.group.empty()) details["group"] = t.group;
  if (!causes.is_null()) details["causes"] = std::move(causes);
  return ApiError(
      403, "Forbidden",
      absl::StrCat(t.Qualified(), " \"", name, "\" is forbidden: ", why),
      std::move(details));
}

// The namespace controller's finalizer, in a Namespace's spec.finalizers.
constexpr char kNamespaceFinalizer[] = "kubernetes";

bool IsNamespaces(const ResourceType& t) {
  return t.group.empty() && t.plural == "namespaces";
}

// The namespaces kube-apiserver's NamespaceLifecycle admission keeps.
bool IsImmortalNamespace(const std::string& name) {
  return name == "default" || name == "kube-system" || name == "kube-public";
}

bool BeingDeleted(const json& obj) {
  return !Field(obj, "metadata", "deletionTimestamp").is_null();
}

bool Contains(const json& list, const std::string& s) {
  if (!list.is_array()) return false;
  for (const json& v : list) {
    if (v.is_string() && v.get_ref<const std::string&>() == s) return true;
  }
  return false;
}

// Removes `s` from the list `obj[key]`; the key goes with the last item.
void EraseFrom(json& obj, const char* key, const std::string& s) {
  if (!obj.is_object() || !obj.contains(key) || !obj[key].is_array()) return;
  json kept = json::array();
  for (const json& v : obj[key]) {
    if (!(v.is_string() && v.get_ref<const std::string&>() == s)) {
      kept.push_back(v);
    }
  }
  if (kept.empty()) {
    obj.erase(key);
  } else {
    obj[key] = std::move(kept);
  }
}

// The garbage collector's finalizers, in metadata.finalizers.
constexpr char kOrphanFinalizer[] = "orphan";
constexpr char kForegroundFinalizer[] = "foregroundDeletion";

// What a delete does to the dependents of the deleted object.
enum class Propagation { kDefault, kOrphan, kBackground, kForeground };

// The propagation DeleteOptions ask for: propagationPolicy or the older
// orphanDependents. 422 Invalid as kube-apiserver's ValidateDeleteOptions
// words it for an unknown policy or both fields set.
ApiResult ParseDeleteOptions(const json& options, Propagation* out) {
  *out = Propagation::kDefault;
  const json& policy = Field(options, "propagationPolicy");
  const json& orphan = Field(options, "orphanDependents");
  FieldErrors errs;
  if (!policy.is_null() && !orphan.is_null()) {
    errs.Invalid("propagationPolicy", GoString(Str(policy)),
                 "orphanDependents and deletionPropagation cannot be both set");
  }
  if (!policy.is_null()) {
    const std::string p = Str(policy);
    if (p == "Orphan") {
      *out = Propagation::kOrphan;
    } else if (p == "Background") {
      *out = Propagation::kBackground;
    } else if (p == "Foreground") {
      *out = Propagation::kForeground;
    } else {
      errs.NotSupported("propagationPolicy", GoString(p),
                        {"Foreground", "Background", "Orphan", "nil"});
    }
  } else if (orphan.is_boolean()) {
    *out = orphan.get<bool>() ? Propagation::kOrphan : Propagation::kBackground;
  }
  ResourceType options_type;
  options_type.group = "meta.k8s.io";
  options_type.kind = "DeleteOptions";
  ApiResult r = InvalidResult(options_type, "", errs);
  if (!r.ok()) r.body["details"].erase("name");
  return r;
}

// DeleteOptions for the garbage collector's delete of the object `uid`.
json CollectorDeleteOptions(Propagation p, const std::string& uid) {
  const char* policy = p == Propagation::kOrphan       ? "Orphan"
                       : p == Propagation::kForeground ? "Foreground"
                                                       : "Background";
  return {{"propagationPolicy", policy}, {"preconditions", {{"uid", uid}}}};
}

// Sets the garbage collector's finalizers in `md` for a delete with `p`:
// orphan for Orphan, foregroundDeletion for Foreground, neither for
// Background; by default those already there stay.
void SetCollectorFinalizers(Propagation p, json& md) {
  if (p == Propagation::kDefault) return;
  const char* wanted = p == Propagation::kOrphan       ? kOrphanFinalizer
                       : p == Propagation::kForeground ? kForegroundFinalizer
                                                       : nullptr;
  for (const char* f : {kOrphanFinalizer, kForegroundFinalizer}) {
    if (f != wanted) EraseFrom(md, "finalizers", f);
  }
  if (wanted != nullptr && !Contains(Field(md, "finalizers"), wanted)) {
    if (!md["finalizers"].is_array()) md["finalizers"] = json::array();
    md["finalizers"].push_back(wanted);
  }
}

// Whether `obj` names `owner_uid` in its ownerReferences (with
// blockOwnerDeletion, if `blocking`).
bool RefersTo(const json& obj, const std::string& owner_uid, bool blocking) {
  const json& refs = Field(Field(obj, "metadata"), "ownerReferences");
  if (!refs.is_array()) return false;
  for (const json& ref : refs) {
    if (Str(Field(ref, "uid")) == owner_uid &&
        (!blocking || Field(ref, "blockOwnerDeletion") == true)) {
      return true;
    }
  }
  return false;
}

// Removes the references to the owners `uids` from `obj`.
void RemoveOwnerRefs(json& obj, const std::set<std::string>& uids) {
  json& md = obj["metadata"];
  if (!md.is_object() || !md.contains("ownerReferences") ||
      !md["ownerReferences"].is_array()) {
    return;
  }
  json kept = json::array();
  for (const json& ref : md["ownerReferences"]) {
    if (uids.count(Str(Field(ref, "uid"))) == 0) kept.push_back(ref);
  }
  if (kept.empty()) {
    md.erase("ownerReferences");
  } else {
    md["ownerReferences"] = std::move(kept);
  }
}

// Whether finalizers keep `obj` of `t` stored once it is being deleted: its
// metadata.finalizers or, for a namespace, its spec.finalizers.
bool Held(const ResourceType& t, const json& obj) {
  const json& fin = Field(Field(obj, "metadata"), "finalizers");
  if (fin.is_array() && !fin.empty()) return true;
  if (!IsNamespaces(t)) return false;
  const json& spec_fin = Field(Field(obj, "spec"), "finalizers");
  return spec_fin.is_array() && !spec_fin.empty();
}

ApiResult Conflict(const ResourceType& t, const std::string& name) {
  return ApiError(
      409, "Conflict",
      absl::StrCat("Operation cannot be fulfilled on ", t.Qualified(), " \"",
                   name,
                   "\": the object has been modified; please apply your "
                   "changes to the latest version and try again"),
      {{"name", name}, {"group", t.group}, {"kind", t.plural}});
}

// How server-side apply reads objects of `t`.
ObjectSchema SchemaFor(const ResourceType& t) {
  if (!t.builtin) return {&BuiltinSchemas(), CustomResourceSchema(t), false};
  const std::string name = BuiltinSchemaName(t);
  if (name.empty()) return {nullptr, json(), true};
  return {&BuiltinSchemas(),
          {{"$ref", absl::StrCat(kSchemaRefPrefix, name)}},
          true};
}

Writer WriterFor(const ResourceType& t, const WriteOptions& write, bool status,
                 bool apply, absl::Time now) {
  Writer w;
  w.manager = ManagerOf(write.field_manager, write.user_agent);
  w.apply = apply;
  w.force = write.force.value_or(false);
  w.subresource = status ? "status" : "";
  w.api_version = t.GroupVersion();
  w.time = Rfc3339(now);
  return w;
}

// kube-apiserver's PatchOptions validation: an apply names its field
// manager, and only an apply may say `force`.
ApiResult CheckPatchOptions(bool apply, const WriteOptions& write) {
  std::string field, reason, message;
  if (apply && write.field_manager.empty()) {
    field = "fieldManager";
    reason = "FieldValueRequired";
    message = "Required value: is required for apply patch";
  } else if (!apply && write.force.has_value()) {
    field = "force";
    reason = "FieldValueForbidden";
    message = "Forbidden: may not be specified for non-apply patch";
  } else {
    return {200, json()};
  }
  return ApiError(
      422, "Invalid",
      absl::StrCat("PatchOptions.meta.k8s.io \"\" is invalid: ", field, ": ",
                   message),
      {{"group", "meta.k8s.io"},
       {"kind", "PatchOptions"},
       {"causes",
        json::array(
            {{{"reason", reason}, {"message", message}, {"field", field}}})}});
}

// 400 unless an applied configuration names the type's group/version.
ApiResult CheckApplyVersion(const ResourceType& t, const json& config) {
  const std::string version = Str(Field(config, "apiVersion"));
  if (version == t.GroupVersion()) return {200, json()};
  return ApiError(400, "BadRequest",
                  absl::StrCat("Incorrect version specified in apply patch. "
                               "Specified patch version: ",
                               version, ", expected: ", t.GroupVersion()));
}

// What an applied configuration may set through the main resource (all but
// the status of a type with a status subresource) or through `/status` (the
// status alone).
json ApplicableConfig(const ResourceType& t, json config, bool status) {
  if (!config.is_object()) return config;
  if (!status) {
    if (t.has_status) config.erase("status");
    return config;
  }
  json out = json::object();
  for (const char* f : {"apiVersion", "kind", "status"}) {
    if (config.contains(f)) out[f] = config[f];
  }
  const json& md = Field(config, "metadata");
  for (const char* f : {"name", "namespace", "resourceVersion"}) {
    if (md.is_object() && md.contains(f)) out["metadata"][f] = md[f];
  }
  return out;
}

}  // namespace

absl::StatusOr<Selection> Selection::Parse(const std::string& ns,
                                           const std::string& label_selector,
                                           const std::string& field_selector) {
  Selection s;
  s.ns = ns;
  auto labels = k8s::internal::LabelSelector::Parse(label_selector);
  if (!labels.ok()) return labels.status();
  auto fields = k8s::internal::FieldSelector::Parse(field_selector);
  if (!fields.ok()) return fields.status();
  s.labels = *std::move(labels);
  s.fields = *std::move(fields);
  return s;
}

bool Selection::Matches(const ResourceType& type, const json& obj) const {
  if (type.namespaced && !ns.empty() &&
      Str(Field(obj, "metadata", "namespace")) != ns) {
    return false;
  }
  return labels.Matches(Field(obj, "metadata", "labels")) &&
         fields.Matches(obj);
}

namespace {

// The address the default/kubernetes endpoints name for `address`, and
// whether it is IPv6.
std::pair<std::string, bool> ApiServerEndpoint(const std::string& address) {
  in_addr v4;
  in6_addr v6;
  if (inet_pton(AF_INET, address.c_str(), &v4) == 1 &&
      v4.s_addr != htonl(INADDR_ANY)) {
    return {address, false};
  }
  if (inet_pton(AF_INET6, address.c_str(), &v6) == 1 &&
      !IN6_IS_ADDR_UNSPECIFIED(&v6)) {
    return {address, true};
  }
  return {"127.0.0.1", false};
}

uint64_t SeedOf(const ObjectStoreOptions& options) {
  if (options.seed != 0) return options.seed;
  std::random_device entropy;
  return (static_cast<uint64_t>(entropy()) << 32) | entropy();
}

}  // namespace

ObjectStore::ObjectStore(ObjectStoreOptions options, absl::Time now)
    : options_(options), rng_(SeedOf(options)), defaulter_(rng_()) {
  // What kube-apiserver itself writes.
  WriteOptions apiserver;
  apiserver.field_manager = "kube-apiserver";
  for (const ResourceType& t : BuiltinTypes()) Register(t);
  const ResourceType namespaces = *FindType("", "namespaces");
  for (const char* ns :
       {"default", "kube-system", "kube-public", "kube-node-lease"}) {
    Create(namespaces, "",
           {{"apiVersion", "v1"},
            {"kind", "Namespace"},
            {"metadata", {{"name", ns}}}},
           now, apiserver);
  }
  json kubernetes = {
      {"apiVersion", "v1"},
      {"kind", "Service"},
      {"metadata",
       {{"name", "kubernetes"},
        {"namespace", "default"},
        {"labels", {{"component", "apiserver"}, {"provider", "kubernetes"}}}}},
      {"spec",
       {{"clusterIP", "10.96.0.1"},
        {"ports",
         {{{"name", "https"}, {"port", 443}, {"targetPort", 6443}}}}}}};
  Create(*FindType("", "services"), "default", kubernetes, now, apiserver);
  // The API server's own endpoints, as kube-apiserver's endpoint reconciler
  // writes them: the Endpoints, labelled so that the mirroring controller
  // leaves them alone, then the EndpointSlice beside them. The port is the
  // Service's targetPort.
  const auto [address, ipv6] = ApiServerEndpoint(options_.apiserver_address);
  const json port = {{"name", "https"}, {"port", 6443}, {"protocol", "TCP"}};
  json subset = {{"addresses", json::array({{{"ip", address}}})},
                 {"ports", json::array({port})}};
  Create(*FindType("", "endpoints"), "default",
         {{"apiVersion", "v1"},
          {"kind", "Endpoints"},
          {"metadata",
           {{"name", "kubernetes"},
            {"namespace", "default"},
            {"labels", {{"endpointslice.kubernetes.io/skip-mirror", "true"}}}}},
          {"subsets", json::array({subset})}},
         now, apiserver);
  json endpoint = {{"addresses", json::array({address})},
                   {"conditions", {{"ready", true}}}};
  Create(*FindType("discovery.k8s.io", "endpointslices"), "default",
         {{"apiVersion", "discovery.k8s.io/v1"},
          {"kind", "EndpointSlice"},
          {"metadata",
           {{"name", "kubernetes"},
            {"namespace", "default"},
            {"labels", {{"kubernetes.io/service-name", "kubernetes"}}}}},
          {"addressType", ipv6 ? "IPv6" : "IPv4"},
          {"endpoints", json::array({endpoint})},
          {"ports", json::array({port})}},
         now, apiserver);
  // Component statuses are probes of the control plane, not stored objects:
  // no uid, creationTimestamp or resourceVersion, no watch history.
  const ResourceType& statuses = *FindType("", "componentstatuses");
  for (const char* component : {"controller-manager", "etcd-0", "scheduler"}) {
    objects_[statuses.Key()][component] = std::make_shared<const json>(json{
        {"kind", "ComponentStatus"},
        {"apiVersion", "v1"},
        {"metadata", {{"name", component}, {"creationTimestamp", nullptr}}},
        {"conditions",
         {{{"type", "Healthy"}, {"status", "True"}, {"message", "ok"}}}}});
  }
}

void ObjectStore::Register(const ResourceType& t) {
  types_[t.Key()] = t;
  objects_[t.Key()];
}

const ResourceType* ObjectStore::FindType(const std::string& group,
                                          const std::string& plural) const {
  auto it = types_.find(group + "/" + plural);
  return it == types_.end() ? nullptr : &it->second;
}

const ResourceType* ObjectStore::FindType(const std::string& group,
                                          const std::string& version,
                                          const std::string& plural) const {
  const ResourceType* t = FindType(group, plural);
  return t != nullptr && t->version == version ? t : nullptr;
}

std::string ObjectStore::ObjKey(const std::string& ns,
                                const std::string& name) {
  return ns.empty() ? name : ns + "/" + name;
}

ObjectRef ObjectStore::Get(const ResourceType& t, const std::string& ns,
                           const std::string& name) const {
  auto it = objects_.find(t.Key());
  if (it == objects_.end()) return nullptr;
  auto o = it->second.find(ObjKey(t.namespaced ? ns : "", name));
  return o == it->second.end() ? nullptr : o->second;
}

std::vector<ObjectRef> ObjectStore::List(const ResourceType& type,
                                         const Selection& selection) const {
  std::vector<ObjectRef> out;
  auto it = objects_.find(type.Key());
  if (it == objects_.end()) return out;
  for (const auto& [k, o] : it->second) {
    if (selection.Matches(type, *o)) out.push_back(o);
  }
  return out;
}

ApiResult ObjectStore::ListObjects(const ResourceType& type,
                                   const Selection& selection,
                                   const ListQuery& query,
                                   ListPage* out) const {
  int64_t snapshot = rv_;
  std::string start;
  int64_t limit = query.limit;
  if (!query.continue_token.empty()) {
    ContinueToken token;
    if (ApiResult r = DecodeContinueToken(query.continue_token, &token);
        !r.ok()) {
      return r;
    }
    if (token.resource_version > rv_) {
      return ApiError(400, "BadRequest",
                      "continue key is not valid: the token's resource "
                      "version is in the future");
    }
    // A negative version (the token a 410 hands out) goes on from the
    // current state.
    if (token.resource_version >= 0) snapshot = token.resource_version;
    start = token.start;
    if (snapshot < compacted_rv_) {
      ApiResult r = ApiError(
          410, "Expired",
          "The provided continue parameter is too old to display a "
          "consistent list result. You can start a new list without the "
          "continue parameter, or use the continue token in this response to "
          "retrieve the remainder of the results. Continuing with the "
          "provided token results in an inconsistent list - objects that "
          "were created, modified, or deleted between the time the first "
          "chunk was returned and now may show up in the list.");
      std::string last =
          start.empty() ? start : start.substr(0, start.size() - 1);
      r.body["metadata"]["continue"] = EncodeContinueToken(-1, last);
      return r;
    }
  } else if (!query.resource_version.empty()) {
    int64_t requested = 0;
    if (!absl::SimpleAtoi(query.resource_version, &requested)) requested = 0;
    if (requested == 0) {
      limit = 0;
    } else {
      if (requested > rv_) return TooLargeResourceVersion(requested, rv_);
      if (query.resource_version_match == "Exact" ||
          (query.resource_version_match.empty() && query.limit > 0)) {
        if (requested < compacted_rv_) {
          return ApiError(
              410, "Expired",
              "The resourceVersion for the provided list is too old.");
        }
        snapshot = requested;
      }
    }
  }
  std::map<std::string, ObjectRef> rebuilt;
  const std::map<std::string, ObjectRef>* src = &rebuilt;
  if (auto live = objects_.find(type.Key()); live != objects_.end()) {
    src = &live->second;
  }
  if (snapshot < rv_) {
    // Undo, newest first, the changes made after the snapshot.
    if (src != &rebuilt) rebuilt = *src;
    for (auto it = history_.rbegin();
         it != history_.rend() && it->rv > snapshot; ++it) {
      if (it->type_key != type.Key()) continue;
      const json& md = Field(*it->object, "metadata");
      const std::string key =
          ObjKey(type.namespaced ? Str(Field(md, "namespace")) : "",
                 Str(Field(md, "name")));
      if (it->event == "ADDED") {
        rebuilt.erase(key);
      } else if (it->old != nullptr) {
        rebuilt[key] = it->old;
      }
    }
    src = &rebuilt;
  }
  out->items.clear();
  out->resource_version = snapshot;
  out->continue_token.clear();
  out->remaining_item_count.reset();
  auto it = start.empty() ? src->begin() : src->lower_bound(start);
  std::string last_key;
  for (; it != src->end(); ++it) {
    if (!selection.Matches(type, *it->second)) continue;
    if (limit > 0 && static_cast<int64_t>(out->items.size()) == limit) break;
    out->items.push_back(it->second);
    last_key = it->first;
  }
  if (it == src->end()) return {200, json()};
  out->continue_token = EncodeContinueToken(snapshot, last_key);
  if (selection.labels.empty() && selection.fields.empty()) {
    int64_t remaining = 0;
    for (; it != src->end(); ++it) {
      remaining += selection.Matches(type, *it->second) ? 1 : 0;
    }
    out->remaining_item_count = remaining;
  }
  return {200, json()};
}

ApiResult ObjectStore::ReadHistory(const ResourceType& type,
                                   const Selection& selection, int64_t* pos,
                                   size_t max,
                                   std::vector<StoredEvent>* out) const {
  if (*pos < compacted_rv_) {
    return ApiError(410, "Expired",
                    absl::StrCat("too old resource version: ", *pos, " (",
                                 compacted_rv_ + 1, ")"));
  }
  auto it =
      std::upper_bound(history_.begin(), history_.end(), *pos,
                       [](int64_t rv, const Change& c) { return rv < c.rv; });
  size_t emitted = 0;
  for (; it != history_.end() && emitted < max; ++it) {
    const Change& c = *it;
    *pos = c.rv;
    if (c.type_key != type.Key()) continue;
    const bool now_matches = selection.Matches(type, *c.object);
    const bool was_matching =
        c.old != nullptr && selection.Matches(type, *c.old);
    std::string event = c.event;
    if (c.event == "MODIFIED") {
      if (now_matches && !was_matching) event = "ADDED";
      if (!now_matches && was_matching) event = "DELETED";
      if (!now_matches && !was_matching) continue;
    } else if (!now_matches) {
      continue;
    }
    out->push_back({std::move(event), c.object});
    ++emitted;
  }
  if (it == history_.end()) *pos = std::max(*pos, rv_);
  return {200, json()};
}

void ObjectStore::CompactHistory() {
  history_.clear();
  compacted_rv_ = rv_;
}

std::string ObjectStore::NewUid() {
  // A version 4 (random) UUID.
  uint64_t hi = rng_(), lo = rng_();
  return absl::StrFormat("%08x-%04x-4%03x-%04x-%012x", hi >> 32,
                         (hi >> 16) & 0xffff, hi & 0xfff,
                         0x8000 | ((lo >> 48) & 0x3fff), lo & 0xffffffffffff);
}

bool ObjectStore::HasGeneration(const ResourceType& t) {
  // The kinds whose strategies set metadata.generation: workloads, disruption
  // budgets, EndpointSlices, CRDs and every custom resource.
  if (!t.builtin) return true;
  return t.group == "apps" || t.group == "policy" ||
         t.group == "discovery.k8s.io" || t.group == "apiextensions.k8s.io";
}

ServiceOwners ObjectStore::Owners() const {
  return {
      [this](int port) { return defaulter_.NodePortOwner(port); },
      [this](const std::string& ip) { return defaulter_.ClusterIpOwner(ip); }};
}

void ObjectStore::Track(const ResourceType& t, const std::string& key,
                        const json* stored) {
  if (t.group.empty() && t.plural == "services") {
    defaulter_.Commit(key, stored);
  }
}

void ObjectStore::RegisterCrd(const json& crd) {
  const json& spec = Field(crd, "spec");
  const json& names = Field(crd, "status", "acceptedNames");
  const json& versions = Field(spec, "versions");
  if (!versions.is_array()) return;
  for (const json& v : versions) {
    if (v.value("served", true) == false) continue;
    ResourceType t;
    t.group = Str(Field(spec, "group"));
    t.version = Str(Field(v, "name"));
    t.kind = Str(Field(names, "kind"));
    t.list_kind = Str(Field(names, "listKind"));
    t.plural = Str(Field(names, "plural"));
    t.singular = Str(Field(names, "singular"));
    t.namespaced = Str(Field(spec, "scope")) != "Cluster";
    if (Field(names, "shortNames").is_array()) {
      for (const json& s : Field(names, "shortNames")) {
        t.short_names.push_back(Str(s));
      }
    }
    if (Field(names, "categories").is_array()) {
      for (const json& c : Field(names, "categories")) {
        t.categories.push_back(Str(c));
      }
    }
    t.has_status = Field(v, "subresources", "status").is_object();
    t.drop_status_on_create = t.has_status;
    t.builtin = false;
    if (Field(v, "additionalPrinterColumns").is_array()) {
      t.printer_columns = Field(v, "additionalPrinterColumns");
    }
    t.schema = Field(v, "schema", "openAPIV3Schema");
    if (Field(v, "selectableFields").is_array()) {
      t.selectable_fields = Field(v, "selectableFields");
    }
    // Only one served version per resource in this stand-in: the first.
    if (FindType(t.group, t.plural) == nullptr ||
        !FindType(t.group, t.plural)->builtin) {
      auto existing = types_.find(t.Key());
      if (existing != types_.end() && existing->second.version != t.version) {
        continue;
      }
      Register(t);
    }
  }
}

ApiResult ObjectStore::Decode(const ResourceType& t, const json* patch,
                              PatchType patch_type, const WriteOptions& write,
                              json* obj,
                              std::vector<std::string>* warnings) const {
  json schema;
  if (t.builtin) {
    std::string name = BuiltinSchemaName(t);
    if (name.empty()) return {200, json()};
    schema = {{"$ref", absl::StrCat(kSchemaRefPrefix, name)}};
  } else {
    schema = CustomResourceSchema(t);
  }
  DecodeReport report =
      DecodeObject(BuiltinSchemas(), schema, t.kind, t.builtin, obj);
  std::vector<std::string> strict = write.duplicate_fields;
  strict.insert(strict.end(), report.unknown.begin(), report.unknown.end());
  std::string error = report.type_error;
  if (error.empty() && !strict.empty()) {
    if (write.field_validation == FieldValidation::kWarn) {
      *warnings = std::move(strict);
    } else if (write.field_validation == FieldValidation::kStrict) {
      error =
          absl::StrCat("strict decoding error: ", absl::StrJoin(strict, ", "));
    }
  }
  if (error.empty()) return {200, json()};
  if (patch == nullptr) {
    return ApiError(
        400, "BadRequest",
        absl::StrCat(t.kind, " in version \"", t.version,
                     "\" cannot be handled as a ", t.kind, ": ", error));
  }
  // As kube-apiserver quotes it: the patch as Go prints it for a strategic
  // merge patch, the patched object for the others.
  std::string value = patch_type == PatchType::kStrategicMerge
                          ? GoValueString(*patch)
                          : obj->dump();
  std::string cause = absl::StrCat("Invalid value: \"", value, "\": ", error);
  return ApiError(422, "Invalid",
                  absl::StrCat(" \"\" is invalid: patch: ", cause),
                  {{"causes", json::array({{{"reason", "FieldValueInvalid"},
                                            {"message", cause},
                                            {"field", "patch"}}})}});
}

void ObjectStore::Append(const ResourceType& t, const std::string& event,
                         ObjectRef obj, ObjectRef old) {
  history_.push_back({rv_, t.Key(), event, std::move(obj), std::move(old)});
  while (static_cast<int64_t>(history_.size()) > options_.history_limit) {
    compacted_rv_ = std::max(compacted_rv_, history_.front().rv);
    history_.pop_front();
  }
}

ApiResult ObjectStore::Create(const ResourceType& type, const std::string& ns,
                              json obj, absl::Time now,
                              const WriteOptions& write) {
  return CreateChecked(type, ns, std::move(obj), now, write, /*apply=*/false);
}

ApiResult ObjectStore::CreateChecked(const ResourceType& type,
                                     const std::string& ns, json obj,
                                     absl::Time now, const WriteOptions& write,
                                     bool apply) {
  const ResourceType t = type;
  if (!obj.is_object()) {
    return ApiError(400, "BadRequest",
                    "the request body must be a JSON object");
  }
  if (obj.contains("kind") && Str(obj["kind"]) != t.kind) {
    return ApiError(400, "BadRequest",
                    absl::StrCat("the kind \"", Str(obj["kind"]),
                                 "\" of the body does not match the URL's \"",
                                 t.kind, "\""));
  }
  if (apply) {
    if (ApiResult v = CheckApplyVersion(t, obj); !v.ok()) return v;
    obj = ApplicableConfig(t, std::move(obj), /*status=*/false);
  }
  std::vector<std::string> warnings;
  if (ApiResult r =
          Decode(t, nullptr, PatchType::kMerge, write, &obj, &warnings);
      !r.ok()) {
    return r;
  }
  const json config = apply ? obj : json();
  ApiResult r = CreateDecoded(t, ns, std::move(obj), now, write,
                              apply ? &config : nullptr);
  r.warnings = std::move(warnings);
  return r;
}

ApiResult ObjectStore::CreateDecoded(const ResourceType& t,
                                     const std::string& ns, json obj,
                                     absl::Time now, const WriteOptions& write,
                                     const json* applied) {
  if (!obj["metadata"].is_object()) obj["metadata"] = json::object();
  json& md = obj["metadata"];
  std::string name = Str(md.value("name", json()));
  if (name.empty() && md.contains("generateName")) {
    name = absl::StrCat(Str(md["generateName"]),
                        absl::StrFormat("%05x", (rv_ * 2654435761u) & 0xfffff));
    md["name"] = name;
  }
  if (name.empty()) {
    return ApiError(422, "Invalid",
                    absl::StrCat(t.kind,
                                 " \"\" is invalid: metadata.name: Required "
                                 "value: name or generateName is required"));
  }
  if (t.namespaced) {
    std::string body_ns = Str(md.value("namespace", json()));
    if (!body_ns.empty() && body_ns != ns) {
      return ApiError(400, "BadRequest",
                      "the namespace of the provided object does not match the "
                      "namespace sent on the request");
    }
    md["namespace"] = ns;
    ObjectRef in = Get(*FindType("", "namespaces"), "", ns);
    if (in == nullptr) {
      return ApiError(404, "NotFound",
                      absl::StrCat("namespaces \"", ns, "\" not found"),
                      {{"name", ns}, {"kind", "namespaces"}});
    }
    if (Str(Field(*in, "status", "phase")) == "Terminating") {
      return Forbidden(
          t, name,
          absl::StrCat("unable to create new content in namespace ", ns,
                       " because it is being terminated"),
          json::array({{{"reason", "NamespaceTerminating"},
                        {"message", absl::StrCat("namespace ", ns,
                                                 " is being terminated")},
                        {"field", "metadata.namespace"}}}));
    }
  } else {
    md.erase("namespace");
  }
  if (Get(t, ns, name) != nullptr) {
    return ApiError(
        409, "AlreadyExists",
        absl::StrCat(t.Qualified(), " \"", name, "\" already exists"),
        {{"name", name}, {"group", t.group}, {"kind", t.plural}});
  }
  obj["apiVersion"] = t.GroupVersion();
  obj["kind"] = t.kind;
  if (t.drop_status_on_create) obj.erase("status");
  md["uid"] = NewUid();
  md["creationTimestamp"] = Rfc3339(now);
  if (HasGeneration(t)) {
    md["generation"] = 1;
  } else {
    md.erase("generation");
  }
  md.erase("deletionTimestamp");
  ApiResult d = defaulter_.Apply(t, nullptr, obj, now);
  if (d.code != 200) return d;
  if (!t.builtin && t.schema.is_object()) ApplySchemaDefaults(t.schema, obj);
  if (ApiResult v = Validate(t, nullptr, obj, Owners()); !v.ok()) return v;
  const Writer writer = WriterFor(t, write, false, applied != nullptr, now);
  if (applied != nullptr) {
    json owned;
    if (ApiResult a =
            ApplyConfig(SchemaFor(t), nullptr, *applied, writer, &owned);
        !a.ok()) {
      return a;
    }
    obj["metadata"]["managedFields"] = owned["metadata"]["managedFields"];
  } else if (ApiResult m = RecordUpdate(SchemaFor(t), nullptr, writer, &obj);
             !m.ok()) {
    return m;
  }
  if (write.dry_run) {
    obj["metadata"].erase("resourceVersion");
    return {201, std::move(obj)};
  }
  ++rv_;
  obj["metadata"]["resourceVersion"] = std::to_string(rv_);
  auto stored = std::make_shared<const json>(std::move(obj));
  objects_[t.Key()][ObjKey(t.namespaced ? ns : "", name)] = stored;
  Track(t, ObjKey(t.namespaced ? ns : "", name), stored.get());
  Append(t, "ADDED", stored, nullptr);
  if (t.group == "apiextensions.k8s.io") RegisterCrd(*stored);
  return {201, *stored};
}

// Stores `obj` as the new state of the existing `old`.
ApiResult ObjectStore::CommitUpdate(const ResourceType& t, const json& old,
                                    json obj, bool status_only, absl::Time now,
                                    const WriteOptions& write, bool applied) {
  const json& old_md = old["metadata"];
  if (!obj.is_object()) {
    return ApiError(400, "BadRequest",
                    "the request body must be a JSON object");
  }
  std::string name = Str(old_md["name"]);
  if (status_only) {
    json merged = old;
    if (obj.contains("status")) {
      merged["status"] = obj["status"];
    } else {
      merged.erase("status");
    }
    const json& fields = Field(Field(obj, "metadata"), "managedFields");
    if (applied && !fields.is_null()) {
      merged["metadata"]["managedFields"] = fields;
    } else if (applied) {
      merged["metadata"].erase("managedFields");
    }
    obj = std::move(merged);
  } else {
    if (!obj["metadata"].is_object()) obj["metadata"] = json::object();
    if (t.has_status) {
      if (old.contains("status")) {
        obj["status"] = old["status"];
      } else {
        obj.erase("status");
      }
    }
  }
  json& md = obj["metadata"];
  if (md.contains("name") && Str(md["name"]) != name) {
    return ApiError(
        400, "BadRequest",
        absl::StrCat("the name of the object (", Str(md["name"]),
                     ") does not match the name on the URL (", name, ")"));
  }
  md["name"] = name;
  if (t.namespaced) md["namespace"] = old_md["namespace"];
  for (const char* f : {"uid", "creationTimestamp", "generation",
                        "deletionTimestamp", "resourceVersion"}) {
    if (old_md.contains(f)) {
      md[f] = old_md[f];
    } else {
      md.erase(f);
    }
  }
  obj["apiVersion"] = t.GroupVersion();
  obj["kind"] = t.kind;
  ApiResult d = defaulter_.Apply(t, &old, obj, now);
  if (d.code != 200) return d;
  if (!t.builtin && t.schema.is_object()) ApplySchemaDefaults(t.schema, obj);
  if (ApiResult v = Validate(t, &old, obj, Owners()); !v.ok()) return v;
  if (!applied) {
    if (ApiResult m =
            RecordUpdate(SchemaFor(t), &old,
                         WriterFor(t, write, status_only, false, now), &obj);
        !m.ok()) {
      return m;
    }
  }
  KeepTimesOfNoop(old, &obj);
  if (obj == old) return {200, old};
  // Generation follows changes outside metadata and status.
  json a = obj, b = old;
  for (json* x : {&a, &b}) {
    x->erase("metadata");
    x->erase("status");
  }
  if (a != b && HasGeneration(t)) {
    md["generation"] = old_md.value("generation", 0) + 1;
  }
  if (write.dry_run) return {200, std::move(obj)};
  std::string ns = t.namespaced ? Str(old_md["namespace"]) : "";
  return {200, Replace(t, Get(t, ns, name), std::move(obj))};
}

json ObjectStore::Replace(const ResourceType& t, const ObjectRef& old,
                          json obj) {
  const json& old_md = Field(*old, "metadata");
  const std::string key =
      ObjKey(t.namespaced ? Str(Field(old_md, "namespace")) : "",
             Str(Field(old_md, "name")));
  ++rv_;
  obj["metadata"]["resourceVersion"] = std::to_string(rv_);
  if (BeingDeleted(obj) && !Held(t, obj)) {
    auto gone = std::make_shared<const json>(std::move(obj));
    objects_[t.Key()].erase(key);
    Track(t, key, nullptr);
    Append(t, "DELETED", gone, old);
    return *gone;
  }
  auto stored = std::make_shared<const json>(std::move(obj));
  objects_[t.Key()][key] = stored;
  Track(t, key, stored.get());
  Append(t, "MODIFIED", stored, old);
  if (t.group == "apiextensions.k8s.io") RegisterCrd(*stored);
  return *stored;
}

ApiResult ObjectStore::Update(const ResourceType& type, const std::string& ns,
                              const std::string& name, bool status, json body,
                              absl::Time now, const WriteOptions& write) {
  const ResourceType t = type;
  auto old = Get(t, ns, name);
  if (old == nullptr) return NotFound(t, name);
  if (!body.is_object()) {
    return ApiError(400, "BadRequest",
                    "the request body must be a JSON object");
  }
  std::string rv = Str(Field(body, "metadata", "resourceVersion"));
  if (rv.empty() && t.plural == "leases") {
    return ApiError(422, "Invalid",
                    absl::StrCat("Lease.coordination.k8s.io \"", name,
                                 "\" is invalid: metadata.resourceVersion: "
                                 "Invalid value: 0x0: must be specified for an "
                                 "update"));
  }
  if (!rv.empty() && rv != Str((*old)["metadata"]["resourceVersion"])) {
    return Conflict(t, name);
  }
  std::vector<std::string> warnings;
  if (ApiResult r =
          Decode(t, nullptr, PatchType::kMerge, write, &body, &warnings);
      !r.ok()) {
    return r;
  }
  ApiResult r = CommitUpdate(t, *old, std::move(body), status, now, write);
  r.warnings = std::move(warnings);
  return r;
}

ApiResult ObjectStore::Patch(const ResourceType& type, const std::string& ns,
                             const std::string& name, bool status,
                             PatchType patch_type, const json& patch,
                             absl::Time now, const WriteOptions& write) {
  const ResourceType t = type;
  const bool apply = patch_type == PatchType::kApply;
  if (ApiResult v = CheckPatchOptions(apply, write); !v.ok()) return v;
  auto old = Get(t, ns, name);
  if (old == nullptr) {
    if (apply && !status) {
      return CreateChecked(t, ns, patch, now, write, /*apply=*/true);
    }
    return NotFound(t, name);
  }
  json patched;
  std::vector<std::string> warnings;
  switch (patch_type) {
    case PatchType::kJson: {
      auto r = internal::ApplyJsonPatch(*old, patch);
      if (!r.ok()) {
        const bool malformed =
            r.status().code() == absl::StatusCode::kInvalidArgument;
        return ApiError(malformed ? 400 : 422,
                        malformed ? "BadRequest" : "Invalid",
                        std::string(r.status().message()));
      }
      patched = std::move(*r);
      break;
    }
    case PatchType::kMerge:
      if (!patch.is_object()) {
        return ApiError(400, "BadRequest",
                        "a merge patch must be a JSON object");
      }
      patched = internal::ApplyMergePatch(*old, patch);
      break;
    case PatchType::kApply: {
      if (!patch.is_object()) {
        return ApiError(400, "BadRequest",
                        "an apply patch must be a JSON object");
      }
      if (ApiResult v = CheckApplyVersion(t, patch); !v.ok()) return v;
      json config = ApplicableConfig(t, patch, status);
      if (ApiResult r =
              Decode(t, &patch, patch_type, write, &config, &warnings);
          !r.ok()) {
        return r;
      }
      if (ApiResult a =
              ApplyConfig(SchemaFor(t), old.get(), config,
                          WriterFor(t, write, status, true, now), &patched);
          !a.ok()) {
        return a;
      }
      break;
    }
    case PatchType::kStrategicMerge: {
      if (!t.builtin) {
        return ApiError(415, "UnsupportedMediaType",
                        "the body of the request was in an unknown format - "
                        "accepted media types include: "
                        "application/json-patch+json, "
                        "application/merge-patch+json, "
                        "application/apply-patch+yaml");
      }
      auto r = internal::ApplyStrategicMergePatch(t.kind, *old, patch);
      if (!r.ok()) {
        return ApiError(400, "BadRequest", std::string(r.status().message()));
      }
      patched = std::move(*r);
      break;
    }
  }
  std::string rv = Str(Field(patched, "metadata", "resourceVersion"));
  if (!rv.empty() && rv != Str((*old)["metadata"]["resourceVersion"])) {
    return Conflict(t, name);
  }
  if (!apply) {
    if (ApiResult r = Decode(t, &patch, patch_type, write, &patched, &warnings);
        !r.ok()) {
      return r;
    }
  }
  ApiResult r =
      CommitUpdate(t, *old, std::move(patched), status, now, write, apply);
  r.warnings = std::move(warnings);
  return r;
}

ApiResult ObjectStore::Delete(const ResourceType& type, const std::string& ns,
                              const std::string& name, const json& options,
                              absl::Time now, const WriteOptions& write) {
  const ResourceType t = type;
  Propagation propagation;
  if (ApiResult r = ParseDeleteOptions(options, &propagation); !r.ok()) {
    return r;
  }
  if (IsNamespaces(t) && IsImmortalNamespace(name)) {
    return Forbidden(t, name, "this namespace may not be deleted");
  }
  auto old = Get(t, ns, name);
  if (old == nullptr) return NotFound(t, name);
  const json& pre = Field(options, "preconditions");
  if ((!Field(pre, "resourceVersion").is_null() &&
       Str(Field(pre, "resourceVersion")) !=
           Str((*old)["metadata"]["resourceVersion"])) ||
      (!Field(pre, "uid").is_null() &&
       Str(Field(pre, "uid")) != Str((*old)["metadata"]["uid"]))) {
    return ApiError(
        409, "Conflict",
        absl::StrCat("Operation cannot be fulfilled on ", t.Qualified(), " \"",
                     name, "\": Precondition failed"));
  }
  if (IsNamespaces(t)) {
    // The namespace controller deletes the contents (Collect()); until then
    // the namespace stays, Terminating.
    if (!BeingDeleted(*old)) {
      json obj = *old;
      obj["metadata"]["deletionTimestamp"] = Rfc3339(now);
      obj["status"]["phase"] = "Terminating";
      if (write.dry_run) return {200, std::move(obj)};
      return {200, Replace(t, old, std::move(obj))};
    }
    if (Contains(Field(Field(*old, "spec"), "finalizers"),
                 kNamespaceFinalizer)) {
      return {200, *old};
    }
  }
  json obj = *old;
  SetCollectorFinalizers(propagation, obj["metadata"]);
  if (Held(t, obj)) {
    if (!BeingDeleted(obj)) obj["metadata"]["deletionTimestamp"] = Rfc3339(now);
    if (obj == *old) return {202, *old};
    if (write.dry_run) return {202, std::move(obj)};
    return {202, Replace(t, old, std::move(obj))};
  }
  if (write.dry_run) return {200, *old};
  json gone = Remove(t, ns, name);
  if (t.group == "apiextensions.k8s.io") {
    std::string group = Str(Field(gone, "spec", "group"));
    std::string plural = Str(Field(Field(gone, "spec"), "names", "plural"));
    const ResourceType* ct = FindType(group, plural);
    if (ct != nullptr && !ct->builtin) {
      ResourceType copy = *ct;
      std::vector<std::string> keys;
      for (const auto& [k, o] : objects_[copy.Key()]) keys.push_back(k);
      for (const auto& k : keys) {
        auto o = objects_[copy.Key()][k];
        Remove(copy, Str((*o)["metadata"].value("namespace", json(""))),
               Str((*o)["metadata"]["name"]));
      }
      types_.erase(copy.Key());
      objects_.erase(copy.Key());
    }
  }
  return {200, gone};
}

json ObjectStore::Remove(const ResourceType& t, const std::string& ns,
                         const std::string& name) {
  std::string key = ObjKey(t.namespaced ? ns : "", name);
  auto old = objects_[t.Key()][key];
  objects_[t.Key()].erase(key);
  Track(t, key, nullptr);
  json obj = *old;
  ++rv_;
  obj["metadata"]["resourceVersion"] = std::to_string(rv_);
  auto gone = std::make_shared<const json>(std::move(obj));
  Append(t, "DELETED", gone, old);
  return *gone;
}

std::vector<std::string> ObjectStore::TerminatingNamespaces() const {
  std::vector<std::string> names;
  auto it = objects_.find(FindType("", "namespaces")->Key());
  if (it == objects_.end()) return names;
  for (const auto& [key, ns] : it->second) {
    if (BeingDeleted(*ns) && Contains(Field(Field(*ns, "spec"), "finalizers"),
                                      kNamespaceFinalizer)) {
      names.push_back(key);
    }
  }
  return names;
}

bool ObjectStore::HasContents(const std::string& ns) const {
  const std::string prefix = ns + "/";
  for (const auto& [key, t] : types_) {
    if (!t.namespaced) continue;
    auto objs = objects_.find(key);
    if (objs == objects_.end()) continue;
    auto it = objs->second.lower_bound(prefix);
    if (it != objs->second.end() && absl::StartsWith(it->first, prefix)) {
      return true;
    }
  }
  return false;
}

void ObjectStore::DeleteNamespaceContents(absl::Time now) {
  for (const std::string& ns : TerminatingNamespaces()) {
    const std::string prefix = ns + "/";
    std::vector<std::string> keys;
    for (const auto& [key, t] : types_) {
      if (t.namespaced) keys.push_back(key);
    }
    for (const std::string& key : keys) {
      auto type = types_.find(key);
      auto objs = objects_.find(key);
      if (type == types_.end() || objs == objects_.end()) continue;
      const ResourceType t = type->second;
      std::vector<std::pair<std::string, std::string>> victims;  // name, uid
      for (auto it = objs->second.lower_bound(prefix);
           it != objs->second.end() && absl::StartsWith(it->first, prefix);
           ++it) {
        const json& md = Field(*it->second, "metadata");
        victims.push_back({Str(Field(md, "name")), Str(Field(md, "uid"))});
      }
      // As the namespace controller deletes: in the background, so that no
      // orphan finalizer keeps anything.
      for (const auto& [name, uid] : victims) {
        Delete(t, ns, name,
               {{"propagationPolicy", "Background"},
                {"preconditions", {{"uid", uid}}}},
               now);
      }
    }
  }
}

void ObjectStore::FinishNamespaces() {
  const ResourceType t = *FindType("", "namespaces");
  for (const std::string& name : TerminatingNamespaces()) {
    if (HasContents(name)) continue;
    ObjectRef ns = Get(t, "", name);
    json obj = *ns;
    EraseFrom(obj["spec"], "finalizers", kNamespaceFinalizer);
    Replace(t, ns, std::move(obj));
  }
}

struct ObjectStore::OwnerGraph {
  struct Node {
    std::string type_key;
    std::string ns;  // "" for cluster-scoped objects
    std::string name;
  };
  // uid -> where the object is.
  absl::flat_hash_map<std::string, Node> nodes;
  // Every uid, in type and then key order.
  std::vector<std::string> order;
  // Owner uid -> uids of the objects naming it in their ownerReferences.
  absl::flat_hash_map<std::string, std::vector<std::string>> dependents;
};

ObjectStore::OwnerGraph ObjectStore::BuildGraph() const {
  OwnerGraph g;
  for (const auto& [key, t] : types_) {
    auto objs = objects_.find(key);
    if (objs == objects_.end()) continue;
    for (const auto& [k, o] : objs->second) {
      const json& md = Field(*o, "metadata");
      const std::string uid = Str(Field(md, "uid"));
      // Objects without a uid (ComponentStatuses) own nothing and are owned
      // by nothing.
      if (uid.empty()) continue;
      g.nodes[uid] = {key, t.namespaced ? Str(Field(md, "namespace")) : "",
                      Str(Field(md, "name"))};
      g.order.push_back(uid);
      const json& refs = Field(md, "ownerReferences");
      if (!refs.is_array()) continue;
      for (const json& ref : refs) {
        const std::string owner = Str(Field(ref, "uid"));
        if (!owner.empty()) g.dependents[owner].push_back(uid);
      }
    }
  }
  return g;
}

ObjectStore::Found ObjectStore::Lookup(const OwnerGraph& g,
                                       const std::string& uid) const {
  auto n = g.nodes.find(uid);
  if (n == g.nodes.end()) return {};
  auto t = types_.find(n->second.type_key);
  if (t == types_.end()) return {};
  ObjectRef o = Get(t->second, n->second.ns, n->second.name);
  if (o == nullptr || Str(Field(*o, "metadata", "uid")) != uid) return {};
  return {&t->second, std::move(o)};
}

const ResourceType* ObjectStore::TypeOfRef(const json& ref) const {
  const std::string api_version = Str(Field(ref, "apiVersion"));
  const size_t slash = api_version.find('/');
  const std::string group =
      slash == std::string::npos ? "" : api_version.substr(0, slash);
  const std::string kind = Str(Field(ref, "kind"));
  for (const auto& [key, t] : types_) {
    if (t.group == group && t.kind == kind) return &t;
  }
  return nullptr;
}

bool ObjectStore::Resolves(const Found& owner, const Found& dependent) {
  return !owner.type->namespaced ||
         (dependent.type->namespaced &&
          Str(Field(*owner.obj, "metadata", "namespace")) ==
              Str(Field(*dependent.obj, "metadata", "namespace")));
}

void ObjectStore::FinishOrphans(const OwnerGraph& g) {
  for (const std::string& uid : g.order) {
    Found owner = Lookup(g, uid);
    if (owner.obj == nullptr || !BeingDeleted(*owner.obj) ||
        !Contains(Field(*owner.obj, "metadata", "finalizers"),
                  kOrphanFinalizer)) {
      continue;
    }
    auto deps = g.dependents.find(uid);
    if (deps != g.dependents.end()) {
      for (const std::string& dep : deps->second) {
        Found d = Lookup(g, dep);
        if (d.obj == nullptr || !Resolves(owner, d) ||
            !RefersTo(*d.obj, uid, false)) {
          continue;
        }
        json obj = *d.obj;
        RemoveOwnerRefs(obj, {uid});
        Replace(*d.type, d.obj, std::move(obj));
      }
    }
    json obj = *owner.obj;
    EraseFrom(obj["metadata"], "finalizers", kOrphanFinalizer);
    Replace(*owner.type, owner.obj, std::move(obj));
  }
}

bool ObjectStore::HasDependents(const OwnerGraph& g,
                                const std::string& uid) const {
  auto deps = g.dependents.find(uid);
  if (deps == g.dependents.end()) return false;
  for (const std::string& dep : deps->second) {
    Found d = Lookup(g, dep);
    if (d.obj != nullptr && RefersTo(*d.obj, uid, false)) return true;
  }
  return false;
}

void ObjectStore::AttemptToDelete(const OwnerGraph& g, const std::string& uid,
                                  absl::Time now) {
  Found d = Lookup(g, uid);
  if (d.obj == nullptr || BeingDeleted(*d.obj)) return;
  const json& refs = Field(*d.obj, "metadata", "ownerReferences");
  if (!refs.is_array() || refs.empty()) return;
  // As the garbage collector sorts owners: solid ones keep the object;
  // absent (dangling) ones and those deleting their dependents first
  // (waiting) do not.
  bool solid = false;
  bool waiting = false;
  std::set<std::string> not_solid;
  for (const json& ref : refs) {
    const std::string owner_uid = Str(Field(ref, "uid"));
    Found owner = Lookup(g, owner_uid);
    const ResourceType* owner_type =
        owner.obj != nullptr ? owner.type : TypeOfRef(ref);
    if (owner_type == nullptr ||
        (owner_type->namespaced && !d.type->namespaced)) {
      // Unresolvable (a kind not served, a namespaced owner of a
      // cluster-scoped object): never collected.
      solid = true;
    } else if (owner.obj == nullptr || !Resolves(owner, d)) {
      not_solid.insert(owner_uid);
    } else if (BeingDeleted(*owner.obj) &&
               Contains(Field(*owner.obj, "metadata", "finalizers"),
                        kForegroundFinalizer)) {
      waiting = true;
      not_solid.insert(owner_uid);
    } else {
      solid = true;
    }
  }
  if (solid) {
    if (not_solid.empty()) return;
    json obj = *d.obj;
    RemoveOwnerRefs(obj, not_solid);
    Replace(*d.type, d.obj, std::move(obj));
    return;
  }
  const json& fin = Field(*d.obj, "metadata", "finalizers");
  Propagation p = Propagation::kBackground;
  if ((waiting && HasDependents(g, uid)) ||
      Contains(fin, kForegroundFinalizer)) {
    p = Propagation::kForeground;
  } else if (Contains(fin, kOrphanFinalizer)) {
    p = Propagation::kOrphan;
  }
  const ResourceType t = *d.type;
  Delete(t, Str(Field(*d.obj, "metadata", "namespace")),
         Str(Field(*d.obj, "metadata", "name")), CollectorDeleteOptions(p, uid),
         now);
}

void ObjectStore::FinishForeground(const OwnerGraph& g) {
  for (const std::string& uid : g.order) {
    Found owner = Lookup(g, uid);
    if (owner.obj == nullptr || !BeingDeleted(*owner.obj) ||
        !Contains(Field(*owner.obj, "metadata", "finalizers"),
                  kForegroundFinalizer)) {
      continue;
    }
    bool blocked = false;
    auto deps = g.dependents.find(uid);
    if (deps != g.dependents.end()) {
      for (const std::string& dep : deps->second) {
        Found d = Lookup(g, dep);
        blocked = blocked || (d.obj != nullptr && Resolves(owner, d) &&
                              RefersTo(*d.obj, uid, true));
      }
    }
    if (blocked) continue;
    json obj = *owner.obj;
    EraseFrom(obj["metadata"], "finalizers", kForegroundFinalizer);
    Replace(*owner.type, owner.obj, std::move(obj));
  }
}

bool ObjectStore::Collect(absl::Time now) {
  const int64_t before = rv_;
  const OwnerGraph g = BuildGraph();
  FinishOrphans(g);
  DeleteNamespaceContents(now);
  for (const std::string& uid : g.order) AttemptToDelete(g, uid, now);
  FinishForeground(g);
  FinishNamespaces();
  return rv_ != before;
}

}  // namespace lb::k8s::testing
