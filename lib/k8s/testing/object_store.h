// lib/k8s/testing/object_store.h
//
// The state behind the API server stand-in and the in-memory client: the
// kinds served (built-in ones and those CustomResourceDefinitions add),
// the objects, one global resourceVersion and the watch history, with
// kube-apiserver's write semantics: AlreadyExists, NotFound, 409 Conflict on
// a stale resourceVersion, `/status` writes that touch only the status (and
// main writes that keep it), generation, finalizers and deletionTimestamp,
// namespace lifecycle and garbage collection, defaulting (defaulting.h),
// JSON, merge and strategic merge patches, and server-side apply with the
// field ownership of metadata.managedFields on every write
// (managed_fields.h). Pure: no threads, no clock (callers pass `now` for
// timestamps), no HTTP.
//
//   ObjectStore store(ObjectStoreOptions{}, clock.Now());
//   const ResourceType* svc = store.FindType("", "v1", "services");
//   ApiResult r = store.Create(*svc, "default", service_json, clock.Now());
//   if (!r.ok()) ...;             // r.body is the Status
//   int64_t pos = 0;
//   std::vector<StoredEvent> events;
//   r = store.ReadHistory(*svc, Selection{}, &pos, 1000, &events);
//
// A new store holds the namespaces default, kube-system, kube-public and
// kube-node-lease, the Service default/kubernetes and its Endpoints and
// EndpointSlice (the API server's address, port 6443), as a new cluster does,
// and the ComponentStatuses controller-manager, etcd-0 and scheduler, all
// Healthy (outside the resourceVersions and the watch history, as they are
// probes rather than stored objects; the HTTP front end serves them
// read-only).
//
// Namespaces live as kube-apiserver's do: deleting one marks it Terminating
// (deletionTimestamp, status.phase) and answers 200 with it; a create in a
// Terminating namespace is 403 Forbidden; default, kube-system and
// kube-public may not be deleted. A delete's propagationPolicy decides what
// happens to its dependents (the objects whose metadata.ownerReferences name
// its uid): Background, the default, deletes the owner at once; Orphan and
// Foreground hold it with the `orphan` or `foregroundDeletion` finalizer.
// What the namespace controller and the garbage collector do afterwards is
// Collect()'s: its owner runs it, as those controllers run some time after a
// change.
//
// Thread-safety: not thread-safe; owners lock around every call.

#ifndef LB_K8S_TESTING_OBJECT_STORE_H_
#define LB_K8S_TESTING_OBJECT_STORE_H_

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lib/k8s/internal/selector.h"
#include "lib/k8s/json.h"
#include "lib/k8s/testing/api_result.h"
#include "lib/k8s/testing/defaulting.h"
#include "lib/k8s/testing/field_validation.h"
#include "lib/k8s/testing/list_options.h"
#include "lib/k8s/testing/resource_type.h"
#include "lib/k8s/testing/validation.h"

namespace lb::k8s::testing {

using ObjectRef = std::shared_ptr<const json>;

// Which objects of a type a list or watch sees.
struct Selection {
  // "" = every namespace (ignored for cluster-scoped types).
  std::string ns;
  k8s::internal::LabelSelector labels;
  k8s::internal::FieldSelector fields;

  // InvalidArgument naming the malformed selector.
  static absl::StatusOr<Selection> Parse(const std::string& ns,
                                         const std::string& label_selector,
                                         const std::string& field_selector);
  bool Matches(const ResourceType& type, const json& object) const;
};

// One change as a watch with some Selection sees it.
struct StoredEvent {
  // ADDED, MODIFIED or DELETED; an object entering the selection is ADDED,
  // one leaving it DELETED.
  std::string type;
  ObjectRef object;
};

// One page of a list (ObjectStore::ListObjects).
struct ListPage {
  std::vector<ObjectRef> items;
  // The version of the snapshot the page is from.
  int64_t resource_version = 0;
  // The token of the next page; "" on the last one.
  std::string continue_token;
  // How many objects later pages hold, when the list has no label or field
  // selector (kube-apiserver's remainingItemCount).
  std::optional<int64_t> remaining_item_count;
};

enum class PatchType { kJson, kMerge, kStrategicMerge, kApply };

// How one write is carried out.
struct WriteOptions {
  // `?dryRun=All`: the write is checked and computed in full (defaulting,
  // validation, preconditions, conflicts) and its response returned, but
  // nothing is stored: no watch event, no resourceVersion consumed. As in
  // kube-apiserver, a dry-run create answers with an empty resourceVersion,
  // a dry-run update or patch with the stored one, a dry-run delete with the
  // object as it stands (with deletionTimestamp when finalizers would hold
  // it).
  bool dry_run = false;
  // `?fieldValidation`: what an unknown or duplicate field does. Unknown
  // fields are never stored, whatever the directive.
  FieldValidation field_validation = FieldValidation::kWarn;
  // `duplicate field "..."` for each key the request's text repeats
  // (DuplicateFields()); the store cannot see them in parsed JSON.
  std::vector<std::string> duplicate_fields;
  // `?fieldManager=`: the manager metadata.managedFields records the write
  // for; "" when absent, when it is `user_agent` up to its first '/'. An
  // apply patch requires it.
  std::string field_manager;
  // The request's User-Agent.
  std::string user_agent;
  // `?force=`: an apply takes the fields other managers own instead of
  // failing with a conflict. Only an apply patch may carry it.
  std::optional<bool> force;
};

struct ObjectStoreOptions {
  // Changes kept for watches that resume from a version; a watch from before
  // the oldest kept one gets 410 Expired.
  int64_t history_limit = 100000;
  // Seeds the random UIDs, node ports and cluster IPs; 0 seeds from the
  // system's entropy, as a real cluster's are unpredictable.
  uint64_t seed = 0;
  // The API server's address, which the Endpoints and EndpointSlice
  // default/kubernetes name: an IP address; anything else (a host name, an
  // unspecified address such as 0.0.0.0) reads as 127.0.0.1.
  std::string apiserver_address = "127.0.0.1";
};

class ObjectStore {
 public:
  ObjectStore(ObjectStoreOptions options, absl::Time now);
  ObjectStore(const ObjectStore&) = delete;
  ObjectStore& operator=(const ObjectStore&) = delete;

  // --- Types ---------------------------------------------------------------
  // Null when not served.
  const ResourceType* FindType(const std::string& group,
                               const std::string& plural) const;
  // Null unless served at `version`.
  const ResourceType* FindType(const std::string& group,
                               const std::string& version,
                               const std::string& plural) const;
  const TypeMap& types() const { return types_; }

  // --- Reads ---------------------------------------------------------------
  // The current (global) resourceVersion.
  int64_t resource_version() const { return rv_; }
  // Null when absent. `ns` is ignored for cluster-scoped types.
  ObjectRef Get(const ResourceType& type, const std::string& ns,
                const std::string& name) const;
  // Objects of `type` that `selection` sees, in key order.
  std::vector<ObjectRef> List(const ResourceType& type,
                              const Selection& selection) const;
  // A list as kube-apiserver serves `query` (validated by ValidateListQuery;
  // its watch fields are ignored): the current state or, with
  // resourceVersionMatch=Exact (or, as kube-apiserver reads it, a
  // resourceVersion other than "0" together with a limit), the state at that
  // version, rebuilt from the watch history. `limit` and `continue` page
  // through one snapshot; `limit` is ignored with resourceVersion "0" (the
  // watch cache's answer). 410 Expired for a snapshot older than the kept
  // history (for a continue token, with an inconsistent token to go on from
  // in the Status's metadata.continue); 504 "Too large resource version" for
  // a version not reached yet; 400 for a malformed continue token.
  ApiResult ListObjects(const ResourceType& type, const Selection& selection,
                        const ListQuery& query, ListPage* out) const;

  // --- Writes --------------------------------------------------------------
  // Each returns the HTTP code and the stored object (201 for a create, 202
  // for a delete that waits on finalizers) or the Status of the failure.
  // `now` stamps creationTimestamp and deletionTimestamp. `type` is copied
  // before anything changes, so it may point into types().

  // POST. A namespaced `type` with an empty `ns` is an error of the caller's
  // (the HTTP front end picks the body's namespace or "default").
  ApiResult Create(const ResourceType& type, const std::string& ns, json object,
                   absl::Time now, const WriteOptions& write = {});
  // PUT of a whole object; `status` writes only the status (`/status`).
  ApiResult Update(const ResourceType& type, const std::string& ns,
                   const std::string& name, bool status, json object,
                   absl::Time now, const WriteOptions& write = {});
  // PATCH; an apply patch of an absent object creates it. An apply needs
  // `write.field_manager`, and only an apply may carry `write.force` (422
  // otherwise, as kube-apiserver validates PatchOptions).
  ApiResult Patch(const ResourceType& type, const std::string& ns,
                  const std::string& name, bool status, PatchType patch_type,
                  const json& patch, absl::Time now,
                  const WriteOptions& write = {});
  // DELETE with `options` a DeleteOptions (null for none): preconditions on
  // resourceVersion and uid; propagationPolicy (or orphanDependents), 422
  // for values kube-apiserver refuses. Orphan and Foreground add their
  // finalizer, Background removes both, none keeps those already there. A
  // Namespace is marked Terminating (200, and 200 with it again while it
  // is), whatever the policy; its contents are left to Collect().
  ApiResult Delete(const ResourceType& type, const std::string& ns,
                   const std::string& name, const json& options, absl::Time now,
                   const WriteOptions& write = {});

  // --- Controllers ---------------------------------------------------------
  // One pass of the namespace controller and the garbage collector, at
  // `now`, in this order:
  //  * an object being deleted with the `orphan` finalizer: its dependents'
  //    references to it are removed, then the finalizer;
  //  * the contents of every Terminating namespace are deleted (Background;
  //    their own finalizers may hold them);
  //  * an object none of whose owners is left (absent, or being deleted with
  //    `foregroundDeletion`) is deleted: in the foreground if an owner waits
  //    for it and it has dependents of its own, else as its own finalizers
  //    say (Background by default); one with an owner left loses its
  //    references to the others. Owners are found by uid, a namespaced one
  //    only in its dependent's namespace; a reference to a kind not served,
  //    or from a cluster-scoped object to a namespaced kind, keeps it;
  //  * `foregroundDeletion` is removed from an owner once no dependent with
  //    blockOwnerDeletion names it;
  //  * the `kubernetes` finalizer is removed from each Terminating namespace
  //    left empty, which then goes (unless metadata.finalizers hold it).
  // Each change is an ordinary write (resourceVersion, watch event). Returns
  // whether anything changed; what a change makes possible (the dependents of
  // a dependent deleted in the background) may take another pass.
  bool Collect(absl::Time now);

  // --- Watch history -------------------------------------------------------
  // Appends to `out` the changes to `type` after version `*pos` that
  // `selection` sees, at most `max` of them, and advances `*pos` past every
  // change examined (to resource_version() once all are). 410 Expired (and
  // nothing read) when history older than `*pos` has been dropped.
  ApiResult ReadHistory(const ResourceType& type, const Selection& selection,
                        int64_t* pos, size_t max,
                        std::vector<StoredEvent>* out) const;
  // Forgets every change so far: watches from any older version get 410.
  void CompactHistory();

 private:
  struct Change {
    int64_t rv;
    std::string type_key;
    std::string event;  // ADDED, MODIFIED, DELETED
    ObjectRef object;
    ObjectRef old;  // previous state, for selection transitions
  };

  // kube-apiserver's decoding of a written `*obj` (field_validation.h): a
  // type error or, when the write is Strict, an unknown or duplicate field
  // fails it (a create or update says the body "cannot be handled", a patch
  // that the patched object is invalid; `patch` is the patch as sent, null
  // for a create or update); with Warn they become `*warnings`. Unknown
  // fields are removed.
  ApiResult Decode(const ResourceType& t, const json* patch,
                   PatchType patch_type, const WriteOptions& write, json* obj,
                   std::vector<std::string>* warnings) const;
  // Create(), or the create of an apply patch (`apply`: the object's fields
  // are the applier's).
  ApiResult CreateChecked(const ResourceType& t, const std::string& ns,
                          json obj, absl::Time now, const WriteOptions& write,
                          bool apply);
  // Create() after Decode(); `applied` is the applied configuration of an
  // apply patch, null for a create.
  ApiResult CreateDecoded(const ResourceType& t, const std::string& ns,
                          json obj, absl::Time now, const WriteOptions& write,
                          const json* applied = nullptr);
  void Register(const ResourceType& t);
  void RegisterCrd(const json& crd);
  static std::string ObjKey(const std::string& ns, const std::string& name);
  std::string NewUid();
  // Whether kube-apiserver keeps metadata.generation for `t`.
  static bool HasGeneration(const ResourceType& t);
  // The holders of node ports and cluster IPs, for validation.
  ServiceOwners Owners() const;
  // Records what the object `key` of `t` now holds (null: deleted).
  void Track(const ResourceType& t, const std::string& key, const json* stored);
  void Append(const ResourceType& t, const std::string& event, ObjectRef obj,
              ObjectRef old);
  // Stores `obj` as the new state of the existing `old`. `applied`: `obj` is
  // the result of an apply, whose managedFields are already set; otherwise
  // the write is recorded as an Update.
  ApiResult CommitUpdate(const ResourceType& t, const json& old, json obj,
                         bool status_only, absl::Time now,
                         const WriteOptions& write, bool applied = false);
  json Remove(const ResourceType& t, const std::string& ns,
              const std::string& name);
  // Stores `obj` as the new state of the stored `old` (MODIFIED), or removes
  // it (DELETED) when it is being deleted and no finalizer holds it any more
  // (for a namespace, none in spec.finalizers either). Returns what was
  // stored or removed, with its new resourceVersion.
  json Replace(const ResourceType& t, const ObjectRef& old, json obj);
  // The Terminating namespaces the namespace controller has yet to finish.
  std::vector<std::string> TerminatingNamespaces() const;
  // Whether any object of a namespaced type is in `ns`.
  bool HasContents(const std::string& ns) const;
  // Collect()'s namespace work: deletes the contents of Terminating
  // namespaces; finishes those left empty.
  void DeleteNamespaceContents(absl::Time now);
  void FinishNamespaces();
  // Collect()'s garbage collection, over the objects as the pass found them
  // (OwnerGraph: where each uid is, who names whom as owner).
  struct OwnerGraph;
  struct Found {
    const ResourceType* type = nullptr;  // into types(): use before writing
    ObjectRef obj;
  };
  OwnerGraph BuildGraph() const;
  // The object `uid` as it is now; empty once it is gone.
  Found Lookup(const OwnerGraph& g, const std::string& uid) const;
  // The served type an ownerReference's apiVersion and kind name; null if
  // none.
  const ResourceType* TypeOfRef(const json& ref) const;
  // Whether `owner` can own `dependent`: a namespaced owner only objects in
  // its namespace.
  static bool Resolves(const Found& owner, const Found& dependent);
  // Whether any object still names `uid` as an owner.
  bool HasDependents(const OwnerGraph& g, const std::string& uid) const;
  // Collect()'s steps, as its comment lists them.
  void FinishOrphans(const OwnerGraph& g);
  void AttemptToDelete(const OwnerGraph& g, const std::string& uid,
                       absl::Time now);
  void FinishForeground(const OwnerGraph& g);

  const ObjectStoreOptions options_;
  std::mt19937_64 rng_;
  Defaulter defaulter_;
  TypeMap types_;
  // type key -> object key ("ns/name" or "name") -> object
  absl::flat_hash_map<std::string, std::map<std::string, ObjectRef>> objects_;
  std::deque<Change> history_;
  int64_t rv_ = 0;
  int64_t compacted_rv_ = 0;
};

}  // namespace lb::k8s::testing

#endif  // LB_K8S_TESTING_OBJECT_STORE_H_
