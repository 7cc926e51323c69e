// lib/k8s/testing/managed_fields.h
//
// Field ownership as kube-apiserver 1.32 keeps it in `metadata.managedFields`
// (sigs.k8s.io/structured-merge-diff and the apiserver's fieldmanager): sets
// of field paths in the FieldsV1 form, the sets an applied configuration
// names and a write changes, the merge of an applied configuration into the
// live object, the conflicts an apply meets and the fields it gives up.
//
//   ObjectSchema schema{&BuiltinSchemas(), {{"$ref", ...}}, true};
//   Writer w{"kubectl", /*apply=*/true, false, "", "apps/v1",
//            "2024-01-02T03:04:05Z"};
//   json merged;
//   ApiResult r = ApplyConfig(schema, &live, config, w, &merged);
//   if (!r.ok()) ...;   // 409 with the conflicting fields
//
//   json updated = ...;   // the object a POST, PUT or PATCH stores
//   r = RecordUpdate(schema, &live, w, &updated);
//
// Paths are sequences of FieldsV1 elements: "f:<field>", "k:<json object of
// an associative list item's keys>", "v:<json value of a set item>",
// "i:<index>".
//
// Thread-safety: value types and pure functions.

#ifndef LB_K8S_TESTING_MANAGED_FIELDS_H_
#define LB_K8S_TESTING_MANAGED_FIELDS_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/k8s/json.h"
#include "lib/k8s/testing/api_result.h"

namespace lb::k8s::testing {

using FieldPath = std::vector<std::string>;

// A set of field paths (structured-merge-diff's fieldpath.Set) as a tree:
// each node is one path and tells whether that path is in the set.
class FieldSet {
 public:
  bool empty() const;
  // Whether the node's own path is in the set.
  bool member() const { return member_; }
  void set_member(bool m) { member_ = m; }
  const std::map<std::string, FieldSet>& children() const { return children_; }
  // The node of `element` below this one, created when absent.
  FieldSet& Child(const std::string& element) { return children_[element]; }
  // Null when absent.
  const FieldSet* Find(const std::string& element) const;
  void Erase(const std::string& element) { children_.erase(element); }

  void Insert(const FieldPath& path);
  bool Has(const FieldPath& path) const;

  FieldSet Union(const FieldSet& other) const;
  // The paths of this set that `other` lacks.
  FieldSet Difference(const FieldSet& other) const;
  FieldSet Intersection(const FieldSet& other) const;
  // Every path, in structured-merge-diff's order: a node's members before the
  // paths below its children, each level sorted.
  std::vector<FieldPath> Paths() const;

  // FieldsV1: {"f:spec": {"f:replicas": {}, "k:{...}": {".": {}, ...}}}.
  json ToFieldsV1() const;
  // InvalidArgument for anything but an object of such elements.
  static absl::StatusOr<FieldSet> FromFieldsV1(const json& fields);

  bool operator==(const FieldSet& other) const {
    return member_ == other.member_ && children_ == other.children_;
  }
  bool operator!=(const FieldSet& other) const { return !(*this == other); }

 private:
  // Drops nodes that hold no path.
  void Compact();
  void CollectPaths(FieldPath& prefix, std::vector<FieldPath>* out) const;

  bool member_ = false;
  std::map<std::string, FieldSet> children_;
};

// A path as kube-apiserver prints it in conflicts: ".spec.replicas",
// `.spec.ports[port=80,protocol="TCP"]`, `.metadata.finalizers[="x"]`.
std::string PathString(const FieldPath& path);

// How server-side apply reads a kind's schema.
struct ObjectSchema {
  // Where "#/components/schemas/NAME" references resolve; may be null.
  const json* definitions = nullptr;
  // The kind's OpenAPI schema. Lists are atomic unless it says otherwise
  // (x-kubernetes-list-type, or a merge patch strategy with a merge key);
  // maps are granular unless x-kubernetes-map-type is "atomic"; values it
  // does not describe are maps (granular) and lists (atomic) as they come.
  json root;
  // A built-in kind, whose objects are Go structs: an object field with
  // declared properties is a struct that exists whenever its parent does (a
  // write that fills it in takes its fields, not the struct itself), and a
  // map or list emptied by an apply's removals is dropped as Go omits it.
  bool go_structs = false;
};

// The fields an applied configuration sets (structured-merge-diff's
// ToFieldSet): every leaf, atomic value, associative or set list item, empty
// or null map value and key of a map without declared fields.
FieldSet AppliedFields(const ObjectSchema& schema, const json& config);

// What a write changed, path by path.
struct Comparison {
  FieldSet added;
  FieldSet modified;
  FieldSet removed;
};
// The change from `old` to `updated` (structured-merge-diff's Compare): a
// map or granular list that appears or disappears counts itself as well as
// its contents.
Comparison Compare(const ObjectSchema& schema, const json& old,
                   const json& updated);

// `config` merged into `live`: maps merge, associative lists merge item by
// item (by their keys) and sets by value, new items after the live ones;
// atomic lists, atomic maps and scalars are replaced; a null in `config`
// removes the field.
json MergeApplied(const ObjectSchema& schema, const json& live,
                  const json& config);

// Removes from `*object` each path of `fields` (a field or list item whole).
void RemoveFields(const ObjectSchema& schema, const FieldSet& fields,
                  json* object);

// One element of metadata.managedFields.
struct ManagedFieldsEntry {
  std::string manager;
  std::string operation;  // "Apply" or "Update"
  std::string api_version;
  std::string time;  // RFC 3339 in seconds; "" for none
  std::string subresource;
  FieldSet fields;

  // Whether `other` is the same manager in kube-apiserver's sense: manager,
  // operation and subresource, and the apiVersion for an Update.
  bool SameManager(const ManagedFieldsEntry& other) const;
};

// metadata.managedFields as written; InvalidArgument when an entry is not an
// object, its fieldsType is not "FieldsV1" or its fieldsV1 does not parse.
absl::StatusOr<std::vector<ManagedFieldsEntry>> DecodeManagedFields(
    const json& list);
// The entries as kube-apiserver writes them: those with no fields dropped,
// sorted by operation, time, manager, apiVersion and subresource.
json EncodeManagedFields(std::vector<ManagedFieldsEntry> entries);

// Who writes and how.
struct Writer {
  // The field manager: `?fieldManager=`, or the User-Agent up to its first
  // '/'.
  std::string manager;
  bool apply = false;
  // Apply only: take the fields other managers own instead of failing.
  bool force = false;
  // "status" for a `/status` write, "" for the main resource.
  std::string subresource;
  // The type's group/version ("apps/v1").
  std::string api_version;
  // The time entries that change are stamped with.
  std::string time;
};

// The manager kube-apiserver names for a write: `field_manager` when set,
// else `user_agent` up to its first '/'.
std::string ManagerOf(const std::string& field_manager,
                      const std::string& user_agent);

// An Update operation (POST, PUT, non-apply PATCH) storing `*updated` over
// `old` (null for a create): sets `updated`'s metadata.managedFields. The
// entries start from those `*updated` carries when they are valid and not
// empty ([] or [{}] resets them), else from `old`'s (always `old`'s for a
// subresource write); the writer's Update entry gains the fields the write
// added or changed, which every other entry loses, and every entry loses the
// fields it removed. A 422 names an entry whose operation is neither Apply
// nor Update.
ApiResult RecordUpdate(const ObjectSchema& schema, const json* old,
                       const Writer& writer, json* updated);

// An apply of `config` to `live` (null for a create): `*merged` becomes the
// object to store, with its managedFields. The writer's Apply entry becomes
// the config's fields; fields its previous Apply entry held that no manager
// owns any more are removed; a field the apply changes that another manager
// owns is a 409 conflict (kube-apiserver's message and causes) unless
// `writer.force`, which moves it to the writer. A live object without
// managedFields is first owned whole by "before-first-apply". 400 for a
// config that carries managedFields.
ApiResult ApplyConfig(const ObjectSchema& schema, const json* live,
                      const json& config, const Writer& writer, json* merged);

// The 409 kube-apiserver answers for the fields `conflicts` maps to their
// paths, keyed by the entries that own them.
ApiResult ConflictError(
    const std::vector<std::pair<ManagedFieldsEntry, FieldPath>>& conflicts);

// When `*updated` differs from `old` only in its managedFields' times, puts
// `old`'s managedFields back, so that a write that changes nothing stays a
// no-op.
void KeepTimesOfNoop(const json& old, json* updated);

}  // namespace lb::k8s::testing

#endif  // LB_K8S_TESTING_MANAGED_FIELDS_H_
