#include "lib/k8s/testing/managed_fields.h"

#include <algorithm>
#include <set>
#include <tuple>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace lb::k8s::testing {
namespace {

constexpr char kRefPrefix[] = "#/components/schemas/";

// ---- Schemas ---------------------------------------------------------------

// `s` with its references followed; null when it is null or names no
// definition.
const json* Resolve(const ObjectSchema& os, const json* s) {
  for (int depth = 0; s != nullptr && depth < 64; ++depth) {
    if (!s->is_object()) return nullptr;
    auto ref = s->find("$ref");
    if (ref == s->end()) {
      // {"allOf": [{"$ref": ...}]}, as descriptions of referenced fields are
      // sometimes written.
      auto all = s->find("allOf");
      if (all != s->end() && all->is_array() && all->size() == 1 &&
          !s->contains("properties")) {
        s = &(*all)[0];
        continue;
      }
      return s;
    }
    if (!ref->is_string() || os.definitions == nullptr) return nullptr;
    const std::string name = ref->get<std::string>();
    if (!absl::StartsWith(name, kRefPrefix)) return nullptr;
    auto def = os.definitions->find(name.substr(sizeof(kRefPrefix) - 1));
    if (def == os.definitions->end()) return nullptr;
    s = &*def;
  }
  return s;
}

bool AtomicMap(const json* s) {
  return s != nullptr && s->value("x-kubernetes-map-type", "") == "atomic";
}

// Whether `s` describes a struct: an object with declared fields only.
bool IsStruct(const json* s) {
  return s != nullptr && s->contains("properties") &&
         !s->contains("additionalProperties") &&
         !s->value("x-kubernetes-preserve-unknown-fields", false);
}

// Whether an object of schema `s` requires its field `key`.
bool Required(const json* s, const std::string& key) {
  if (s == nullptr) return false;
  auto req = s->find("required");
  if (req == s->end() || !req->is_array()) return false;
  return std::find(req->begin(), req->end(), json(key)) != req->end();
}

bool IsList(const json* s) {
  return s != nullptr &&
         (s->value("type", "") == "array" || s->contains("items"));
}

// The schema of field `key` of an object of schema `s` (null: untyped), and
// whether `s` declares it.
const json* FieldSchema(const ObjectSchema& os, const json* s,
                        const std::string& key, bool* declared) {
  *declared = false;
  if (s == nullptr) return nullptr;
  auto props = s->find("properties");
  if (props != s->end() && props->is_object()) {
    auto p = props->find(key);
    if (p != props->end()) {
      *declared = true;
      return Resolve(os, &*p);
    }
  }
  auto extra = s->find("additionalProperties");
  if (extra != s->end() && extra->is_object()) return Resolve(os, &*extra);
  return nullptr;
}

const json* ItemSchema(const ObjectSchema& os, const json* s) {
  if (s == nullptr) return nullptr;
  auto items = s->find("items");
  return items == s->end() ? nullptr : Resolve(os, &*items);
}

enum class ListType { kAtomic, kSet, kMap };

struct ListInfo {
  ListType type = ListType::kAtomic;
  std::vector<std::string> keys;
};

ListInfo ListOf(const json* s) {
  ListInfo info;
  if (s == nullptr) return info;
  const std::string type = s->value("x-kubernetes-list-type", "");
  if (type == "map") {
    info.type = ListType::kMap;
    auto keys = s->find("x-kubernetes-list-map-keys");
    if (keys != s->end() && keys->is_array()) {
      for (const json& k : *keys) {
        if (k.is_string()) info.keys.push_back(k.get<std::string>());
      }
    }
    if (info.keys.empty() && s->contains("x-kubernetes-patch-merge-key")) {
      info.keys.push_back(s->value("x-kubernetes-patch-merge-key", ""));
    }
    if (info.keys.empty()) info.type = ListType::kAtomic;
    return info;
  }
  if (type == "set") {
    info.type = ListType::kSet;
    return info;
  }
  if (type == "atomic") return info;
  if (absl::StrContains(s->value("x-kubernetes-patch-strategy", ""), "merge")) {
    const std::string key = s->value("x-kubernetes-patch-merge-key", "");
    if (key.empty()) {
      info.type = ListType::kSet;
    } else {
      info.type = ListType::kMap;
      info.keys.push_back(key);
    }
  }
  return info;
}

// The path element of list item `item`: its keys for an associative list (a
// key it omits takes the schema's default, or is left out), its value for a
// set.
std::string ItemElement(const ListInfo& list, const json* item_schema,
                        const json& item) {
  if (list.type != ListType::kMap || !item.is_object()) {
    return absl::StrCat("v:", item.dump());
  }
  json keys = json::object();
  for (const std::string& k : list.keys) {
    auto it = item.find(k);
    if (it != item.end() && !it->is_null()) {
      keys[k] = *it;
      continue;
    }
    if (item_schema == nullptr) continue;
    auto props = item_schema->find("properties");
    if (props == item_schema->end() || !props->is_object()) continue;
    auto p = props->find(k);
    if (p != props->end() && p->is_object() && p->contains("default")) {
      keys[k] = (*p)["default"];
    }
  }
  return absl::StrCat("k:", keys.dump());
}

// ---- Field sets of values ---------------------------------------------------

void CollectApplied(const ObjectSchema& os, const json* s, const json& v,
                    FieldSet& here) {
  if (v.is_object()) {
    if (AtomicMap(s)) {
      here.set_member(true);
      return;
    }
    for (auto it = v.begin(); it != v.end(); ++it) {
      bool declared = false;
      const json* cs = FieldSchema(os, s, it.key(), &declared);
      FieldSet& child = here.Child(absl::StrCat("f:", it.key()));
      CollectApplied(os, cs, it.value(), child);
      if (it.value().is_null() ||
          (it.value().is_object() && it.value().empty()) || !declared) {
        child.set_member(true);
      }
      if (child.empty()) here.Erase(absl::StrCat("f:", it.key()));
    }
    return;
  }
  if (v.is_array()) {
    const ListInfo list = ListOf(s);
    if (list.type == ListType::kAtomic) {
      here.set_member(true);
      return;
    }
    const json* is = ItemSchema(os, s);
    for (const json& item : v) {
      FieldSet& child = here.Child(ItemElement(list, is, item));
      CollectApplied(os, is, item, child);
      child.set_member(true);
    }
    return;
  }
  here.set_member(true);
}

void Leaf(const json* l, const json* r, const FieldPath& path,
          Comparison* out) {
  if (l == nullptr) {
    out->added.Insert(path);
  } else if (r == nullptr) {
    out->removed.Insert(path);
  } else if (*l != *r) {
    out->modified.Insert(path);
  }
}

// The items of list `v` by path element (the first of duplicates).
std::map<std::string, const json*> IndexItems(const ListInfo& list,
                                              const json* is, const json* v,
                                              std::vector<std::string>* order) {
  std::map<std::string, const json*> out;
  if (v == nullptr) return out;
  for (const json& item : *v) {
    std::string pe = ItemElement(list, is, item);
    if (out.emplace(pe, &item).second && order != nullptr) {
      order->push_back(std::move(pe));
    }
  }
  return out;
}

void CompareValues(const ObjectSchema& os, const json* s, const json* l,
                   const json* r, FieldPath& path, Comparison* out) {
  const bool maps =
      (l == nullptr || l->is_object()) && (r == nullptr || r->is_object());
  const bool lists =
      (l == nullptr || l->is_array()) && (r == nullptr || r->is_array());
  if (maps) {
    const bool empty =
        (l == nullptr || l->empty()) && (r == nullptr || r->empty());
    if (AtomicMap(s) || empty) {
      Leaf(l, r, path, out);
      return;
    }
    std::set<std::string> keys;
    for (const json* m : {l, r}) {
      if (m == nullptr) continue;
      for (auto it = m->begin(); it != m->end(); ++it) keys.insert(it.key());
    }
    const json empty_struct = json::object();
    const json empty_list = json::array();
    for (const std::string& k : keys) {
      bool declared = false;
      const json* cs = FieldSchema(os, s, k, &declared);
      const json* lc = nullptr;
      const json* rc = nullptr;
      if (l != nullptr && l->contains(k)) lc = &(*l)[k];
      if (r != nullptr && r->contains(k)) rc = &(*r)[k];
      if (os.go_structs && l != nullptr && r != nullptr) {
        // What Go always writes: a struct field, and a required list (a
        // slice without omitempty, null when empty).
        const json* always = IsStruct(cs)                   ? &empty_struct
                             : Required(s, k) && IsList(cs) ? &empty_list
                                                            : nullptr;
        if (lc == nullptr) lc = always;
        if (rc == nullptr) rc = always;
      }
      path.push_back(absl::StrCat("f:", k));
      CompareValues(os, cs, lc, rc, path, out);
      path.pop_back();
    }
  } else if (lists) {
    const ListInfo list = ListOf(s);
    const bool empty =
        (l == nullptr || l->empty()) && (r == nullptr || r->empty());
    if (list.type == ListType::kAtomic || empty) {
      Leaf(l, r, path, out);
      return;
    }
    const json* is = ItemSchema(os, s);
    std::vector<std::string> order;
    auto rhs = IndexItems(list, is, r, &order);
    auto lhs = IndexItems(list, is, l, &order);
    std::set<std::string> seen;
    for (const std::string& pe : order) {
      if (!seen.insert(pe).second) continue;
      auto li = lhs.find(pe);
      auto ri = rhs.find(pe);
      path.push_back(pe);
      CompareValues(os, is, li == lhs.end() ? nullptr : li->second,
                    ri == rhs.end() ? nullptr : ri->second, path, out);
      path.pop_back();
    }
  } else {
    Leaf(l, r, path, out);
    return;
  }
  if (path.empty()) return;
  if (l == nullptr) {
    out->added.Insert(path);
  } else if (r == nullptr) {
    out->removed.Insert(path);
  }
}

json Merge(const ObjectSchema& os, const json* s, const json& l,
           const json& r) {
  if (l.is_object() && r.is_object() && !AtomicMap(s)) {
    json out = l;
    for (auto it = r.begin(); it != r.end(); ++it) {
      if (it.value().is_null()) {
        out.erase(it.key());
        continue;
      }
      auto cur = l.find(it.key());
      if (cur == l.end()) {
        out[it.key()] = it.value();
        continue;
      }
      bool declared = false;
      const json* cs = FieldSchema(os, s, it.key(), &declared);
      out[it.key()] = Merge(os, cs, *cur, it.value());
    }
    return out;
  }
  if (l.is_array() && r.is_array()) {
    const ListInfo list = ListOf(s);
    if (list.type != ListType::kAtomic) {
      const json* is = ItemSchema(os, s);
      auto config = IndexItems(list, is, &r, nullptr);
      std::set<std::string> done;
      json out = json::array();
      for (const json& item : l) {
        std::string pe = ItemElement(list, is, item);
        auto c = config.find(pe);
        if (c != config.end() && done.insert(pe).second) {
          out.push_back(Merge(os, is, item, *c->second));
        } else {
          out.push_back(item);
        }
      }
      for (const json& item : r) {
        if (done.insert(ItemElement(list, is, item)).second) {
          out.push_back(item);
        }
      }
      return out;
    }
  }
  return r;
}

// Whether `v` is an empty map or list that Go would omit.
bool Omitted(const json* s, const json& v) {
  return (v.is_object() || v.is_array()) && v.empty() && !IsStruct(s);
}

void Remove(const ObjectSchema& os, const json* s, const FieldSet& fields,
            json& v) {
  for (const auto& [pe, child] : fields.children()) {
    if (absl::StartsWith(pe, "f:")) {
      if (!v.is_object()) continue;
      const std::string key = pe.substr(2);
      auto it = v.find(key);
      if (it == v.end()) continue;
      if (child.member()) {
        v.erase(it);
        continue;
      }
      bool declared = false;
      const json* cs = FieldSchema(os, s, key, &declared);
      Remove(os, cs, child, *it);
      if (os.go_structs && Omitted(cs, *it)) v.erase(key);
      continue;
    }
    if (!v.is_array()) continue;
    const ListInfo list = ListOf(s);
    const json* is = ItemSchema(os, s);
    for (size_t i = 0; i < v.size();) {
      if (list.type == ListType::kAtomic || ItemElement(list, is, v[i]) != pe) {
        ++i;
        continue;
      }
      if (child.member()) {
        v.erase(v.begin() + i);
        continue;
      }
      Remove(os, is, child, v[i]);
      ++i;
    }
  }
}

// The fields kube-apiserver never records: identity and bookkeeping.
void StripMeta(FieldSet* set) {
  for (const char* f : {"f:apiVersion", "f:kind"}) {
    if (const FieldSet* c = set->Find(f); c != nullptr) {
      set->Child(f).set_member(false);
      if (set->Find(f)->empty()) set->Erase(f);
    }
  }
  if (set->Find("f:metadata") == nullptr) return;
  FieldSet& md = set->Child("f:metadata");
  md.set_member(false);
  for (const char* f :
       {"f:name", "f:namespace", "f:creationTimestamp", "f:selfLink", "f:uid",
        "f:clusterName", "f:generation", "f:resourceVersion"}) {
    if (md.Find(f) == nullptr) continue;
    md.Child(f).set_member(false);
    if (md.Find(f)->empty()) md.Erase(f);
  }
  md.Erase("f:managedFields");
  if (md.empty()) set->Erase("f:metadata");
}

Comparison StrippedCompare(const ObjectSchema& os, const json& old,
                           const json& updated) {
  Comparison c = Compare(os, old, updated);
  for (FieldSet* s : {&c.added, &c.modified, &c.removed}) StripMeta(s);
  return c;
}

// `v` without metadata.managedFields.
json WithoutManagedFields(const json& v) {
  json out = v;
  if (out.is_object() && out.contains("metadata") &&
      out["metadata"].is_object()) {
    out["metadata"].erase("managedFields");
  }
  return out;
}

// Whether a request's managedFields ask for a reset: [] or [{}].
bool IsReset(const json& fields) {
  if (!fields.is_array()) return false;
  if (fields.empty()) return true;
  return fields.size() == 1 && fields[0].is_object() && fields[0].empty();
}

// metadata.managedFields of `v`; null when absent.
const json* ManagedFieldsOf(const json& v) {
  if (!v.is_object()) return nullptr;
  auto md = v.find("metadata");
  if (md == v.end() || !md->is_object()) return nullptr;
  auto mf = md->find("managedFields");
  return mf == md->end() ? nullptr : &*mf;
}

std::vector<ManagedFieldsEntry> LiveEntries(const json* live) {
  if (live == nullptr || !live->is_object()) return {};
  auto md = live->find("metadata");
  if (md == live->end() || !md->is_object()) return {};
  auto mf = md->find("managedFields");
  if (mf == md->end() || !mf->is_array()) return {};
  absl::StatusOr<std::vector<ManagedFieldsEntry>> e = DecodeManagedFields(*mf);
  return e.ok() ? *std::move(e) : std::vector<ManagedFieldsEntry>{};
}

void SetEntries(std::vector<ManagedFieldsEntry> entries, json* object) {
  json encoded = EncodeManagedFields(std::move(entries));
  if (!(*object)["metadata"].is_object()) {
    (*object)["metadata"] = json::object();
  }
  if (encoded.empty()) {
    (*object)["metadata"].erase("managedFields");
  } else {
    (*object)["metadata"]["managedFields"] = std::move(encoded);
  }
}

// Go's %q of `s` for the plain strings manager names are.
std::string Quote(const std::string& s) { return json(s).dump(); }

std::string DescribeManager(const ManagedFieldsEntry& e) {
  std::string out = Quote(e.manager);
  if (!e.subresource.empty()) {
    absl::StrAppend(&out, " with subresource ", Quote(e.subresource));
  }
  if (e.operation == "Update") absl::StrAppend(&out, " using ", e.api_version);
  return out;
}

// The identifier kube-apiserver sorts managers by: the entry's JSON without
// its fields and time (and apiVersion for an Apply).
std::string Identifier(const ManagedFieldsEntry& e) {
  std::string out = absl::StrCat("{\"manager\":", Quote(e.manager),
                                 ",\"operation\":", Quote(e.operation));
  if (e.operation != "Apply" && !e.api_version.empty()) {
    absl::StrAppend(&out, ",\"apiVersion\":", Quote(e.api_version));
  }
  if (!e.subresource.empty()) {
    absl::StrAppend(&out, ",\"subresource\":", Quote(e.subresource));
  }
  return out + "}";
}

// The paths of `last` that `owned` holds nothing of: what an applier gives
// up. A path something below which is still owned stays.
FieldSet Abandoned(const FieldSet& last, const FieldSet* owned) {
  FieldSet out;
  for (const auto& [pe, child] : last.children()) {
    const FieldSet* o = owned == nullptr ? nullptr : owned->Find(pe);
    if (child.member() && o == nullptr) {
      out.Child(pe).set_member(true);
      continue;
    }
    FieldSet below = Abandoned(child, o);
    if (!below.empty()) out.Child(pe) = std::move(below);
  }
  return out;
}

constexpr char kLastApplied[] =
    "kubectl.kubernetes.io/last-applied-configuration";

// kubectl's client-side apply annotation, when the applied object has one and
// "kubectl" applies: rewritten to `config`, so that a later client-side apply
// starts from what was applied.
void SyncLastApplied(const Writer& writer, const json& config, json* object) {
  if (writer.manager != "kubectl") return;
  json& md = (*object)["metadata"];
  if (!md.contains("annotations") || !md["annotations"].is_object() ||
      !md["annotations"].contains(kLastApplied)) {
    return;
  }
  json value = config;
  if (value.is_object() && value.contains("metadata") &&
      value["metadata"].is_object() &&
      value["metadata"].contains("annotations") &&
      value["metadata"]["annotations"].is_object()) {
    value["metadata"]["annotations"].erase(kLastApplied);
  }
  md["annotations"][kLastApplied] = value.dump() + "\n";
}

}  // namespace

// ---- FieldSet ---------------------------------------------------------------

bool FieldSet::empty() const {
  if (member_) return false;
  for (const auto& [pe, child] : children_) {
    if (!child.empty()) return false;
  }
  return true;
}

const FieldSet* FieldSet::Find(const std::string& element) const {
  auto it = children_.find(element);
  return it == children_.end() ? nullptr : &it->second;
}

void FieldSet::Insert(const FieldPath& path) {
  FieldSet* node = this;
  for (const std::string& pe : path) node = &node->children_[pe];
  node->member_ = true;
}

bool FieldSet::Has(const FieldPath& path) const {
  const FieldSet* node = this;
  for (const std::string& pe : path) {
    node = node->Find(pe);
    if (node == nullptr) return false;
  }
  return node->member_;
}

void FieldSet::Compact() {
  for (auto it = children_.begin(); it != children_.end();) {
    it->second.Compact();
    if (it->second.empty()) {
      it = children_.erase(it);
    } else {
      ++it;
    }
  }
}

FieldSet FieldSet::Union(const FieldSet& other) const {
  FieldSet out = *this;
  out.member_ = member_ || other.member_;
  for (const auto& [pe, child] : other.children_) {
    auto it = out.children_.find(pe);
    if (it == out.children_.end()) {
      out.children_.emplace(pe, child);
    } else {
      it->second = it->second.Union(child);
    }
  }
  out.Compact();
  return out;
}

FieldSet FieldSet::Difference(const FieldSet& other) const {
  FieldSet out;
  out.member_ = member_ && !other.member_;
  for (const auto& [pe, child] : children_) {
    const FieldSet* o = other.Find(pe);
    out.children_.emplace(pe, o == nullptr ? child : child.Difference(*o));
  }
  out.Compact();
  return out;
}

FieldSet FieldSet::Intersection(const FieldSet& other) const {
  FieldSet out;
  out.member_ = member_ && other.member_;
  for (const auto& [pe, child] : children_) {
    const FieldSet* o = other.Find(pe);
    if (o != nullptr) out.children_.emplace(pe, child.Intersection(*o));
  }
  out.Compact();
  return out;
}

void FieldSet::CollectPaths(FieldPath& prefix,
                            std::vector<FieldPath>* out) const {
  for (const auto& [pe, child] : children_) {
    if (!child.member_) continue;
    prefix.push_back(pe);
    out->push_back(prefix);
    prefix.pop_back();
  }
  for (const auto& [pe, child] : children_) {
    if (child.children_.empty()) continue;
    prefix.push_back(pe);
    child.CollectPaths(prefix, out);
    prefix.pop_back();
  }
}

std::vector<FieldPath> FieldSet::Paths() const {
  std::vector<FieldPath> out;
  FieldPath prefix;
  CollectPaths(prefix, &out);
  return out;
}

json FieldSet::ToFieldsV1() const {
  json out = json::object();
  if (member_ && !children_.empty()) out["."] = json::object();
  for (const auto& [pe, child] : children_) {
    if (child.empty()) continue;
    out[pe] = child.ToFieldsV1();
  }
  return out;
}

absl::StatusOr<FieldSet> FieldSet::FromFieldsV1(const json& fields) {
  if (!fields.is_object()) {
    return absl::InvalidArgumentError("fieldsV1 must be an object");
  }
  FieldSet out;
  for (auto it = fields.begin(); it != fields.end(); ++it) {
    const std::string& pe = it.key();
    if (!it.value().is_object()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "fieldsV1: the value of \"", pe, "\" must be an object"));
    }
    if (pe == ".") {
      out.member_ = true;
      continue;
    }
    if (pe.size() < 2 || pe[1] != ':' ||
        (pe[0] != 'f' && pe[0] != 'k' && pe[0] != 'v' && pe[0] != 'i')) {
      return absl::InvalidArgumentError(
          absl::StrCat("fieldsV1: unexpected path element \"", pe, "\""));
    }
    if (pe[0] == 'k' || pe[0] == 'v') {
      json v = json::parse(pe.substr(2), nullptr, false);
      if (v.is_discarded() || (pe[0] == 'k' && !v.is_object())) {
        return absl::InvalidArgumentError(
            absl::StrCat("fieldsV1: malformed path element \"", pe, "\""));
      }
    }
    absl::StatusOr<FieldSet> child = FromFieldsV1(it.value());
    if (!child.ok()) return child.status();
    // An element with nothing below it is itself in the set.
    if (it.value().empty()) child->member_ = true;
    out.children_.emplace(pe, *std::move(child));
  }
  return out;
}

std::string PathString(const FieldPath& path) {
  std::string out;
  for (const std::string& pe : path) {
    const std::string rest = pe.size() >= 2 ? pe.substr(2) : pe;
    switch (pe.empty() ? '?' : pe[0]) {
      case 'f':
        absl::StrAppend(&out, ".", rest);
        break;
      case 'k': {
        json keys = json::parse(rest, nullptr, false);
        std::vector<std::string> parts;
        if (keys.is_object()) {
          for (auto it = keys.begin(); it != keys.end(); ++it) {
            parts.push_back(absl::StrCat(it.key(), "=", it.value().dump()));
          }
        }
        absl::StrAppend(&out, "[", absl::StrJoin(parts, ","), "]");
        break;
      }
      case 'v':
        absl::StrAppend(&out, "[=", rest, "]");
        break;
      case 'i':
        absl::StrAppend(&out, "[", rest, "]");
        break;
      default:
        absl::StrAppend(&out, pe);
    }
  }
  return out;
}

// ---- Values -----------------------------------------------------------------

FieldSet AppliedFields(const ObjectSchema& schema, const json& config) {
  FieldSet out;
  CollectApplied(schema, Resolve(schema, &schema.root), config, out);
  out.set_member(false);
  return out;
}

Comparison Compare(const ObjectSchema& schema, const json& old,
                   const json& updated) {
  Comparison out;
  FieldPath path;
  CompareValues(schema, Resolve(schema, &schema.root), &old, &updated, path,
                &out);
  return out;
}

json MergeApplied(const ObjectSchema& schema, const json& live,
                  const json& config) {
  return Merge(schema, Resolve(schema, &schema.root), live, config);
}

void RemoveFields(const ObjectSchema& schema, const FieldSet& fields,
                  json* object) {
  Remove(schema, Resolve(schema, &schema.root), fields, *object);
}

// ---- Entries ----------------------------------------------------------------

bool ManagedFieldsEntry::SameManager(const ManagedFieldsEntry& other) const {
  return manager == other.manager && operation == other.operation &&
         subresource == other.subresource &&
         (operation == "Apply" || api_version == other.api_version);
}

absl::StatusOr<std::vector<ManagedFieldsEntry>> DecodeManagedFields(
    const json& list) {
  std::vector<ManagedFieldsEntry> out;
  if (list.is_null()) return out;
  if (!list.is_array()) {
    return absl::InvalidArgumentError("managedFields must be a list");
  }
  for (const json& e : list) {
    if (!e.is_object()) {
      return absl::InvalidArgumentError(
          "each managedFields entry must be an object");
    }
    ManagedFieldsEntry entry;
    auto str = [&e](const char* k) {
      auto it = e.find(k);
      return it != e.end() && it->is_string() ? it->get<std::string>()
                                              : std::string();
    };
    entry.manager = str("manager");
    entry.operation = str("operation");
    entry.api_version = str("apiVersion");
    entry.time = str("time");
    entry.subresource = str("subresource");
    if (str("fieldsType") != "FieldsV1") {
      return absl::InvalidArgumentError(
          absl::StrCat("managedFields: fieldsType \"", str("fieldsType"),
                       "\" is not \"FieldsV1\""));
    }
    auto fields = e.find("fieldsV1");
    if (fields != e.end()) {
      absl::StatusOr<FieldSet> set = FieldSet::FromFieldsV1(*fields);
      if (!set.ok()) return set.status();
      entry.fields = *std::move(set);
    }
    for (const ManagedFieldsEntry& seen : out) {
      if (seen.SameManager(entry)) {
        return absl::InvalidArgumentError(
            absl::StrCat("managedFields: duplicate entries for manager ",
                         Identifier(entry)));
      }
    }
    out.push_back(std::move(entry));
  }
  return out;
}

json EncodeManagedFields(std::vector<ManagedFieldsEntry> entries) {
  entries.erase(std::remove_if(entries.begin(), entries.end(),
                               [](const ManagedFieldsEntry& e) {
                                 return e.fields.empty();
                               }),
                entries.end());
  // RFC 3339 in seconds sorts as the times do.
  std::stable_sort(
      entries.begin(), entries.end(),
      [](const ManagedFieldsEntry& a, const ManagedFieldsEntry& b) {
        return std::tie(a.operation, a.time, a.manager, a.api_version,
                        a.subresource) < std::tie(b.operation, b.time,
                                                  b.manager, b.api_version,
                                                  b.subresource);
      });
  json out = json::array();
  for (const ManagedFieldsEntry& e : entries) {
    json o = json::object();
    if (!e.manager.empty()) o["manager"] = e.manager;
    if (!e.operation.empty()) o["operation"] = e.operation;
    if (!e.api_version.empty()) o["apiVersion"] = e.api_version;
    if (!e.time.empty()) o["time"] = e.time;
    o["fieldsType"] = "FieldsV1";
    o["fieldsV1"] = e.fields.ToFieldsV1();
    if (!e.subresource.empty()) o["subresource"] = e.subresource;
    out.push_back(std::move(o));
  }
  return out;
}

std::string ManagerOf(const std::string& field_manager,
                      const std::string& user_agent) {
  if (!field_manager.empty()) return field_manager;
  return user_agent.substr(0, user_agent.find('/'));
}

ApiResult RecordUpdate(const ObjectSchema& schema, const json* old,
                       const Writer& writer, json* updated) {
  std::vector<ManagedFieldsEntry> entries;
  const json* sent = ManagedFieldsOf(*updated);
  if (!writer.subresource.empty() || sent == nullptr || sent->is_null()) {
    entries = LiveEntries(old);
  } else if (!IsReset(*sent)) {
    absl::StatusOr<std::vector<ManagedFieldsEntry>> own =
        DecodeManagedFields(*sent);
    if (own.ok() && !own->empty()) {
      entries = *std::move(own);
    } else {
      entries = LiveEntries(old);
    }
  }
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string& op = entries[i].operation;
    if (op == "Apply" || op == "Update") continue;
    const std::string kind = updated->value("kind", "");
    const std::string name = (*updated)["metadata"].value("name", "");
    const std::string field =
        absl::StrCat("metadata.managedFields[", i, "].operation");
    const std::string cause = absl::StrCat("Invalid value: ", Quote(op),
                                           ": must be `Apply` or `Update`");
    return ApiError(422, "Invalid",
                    absl::StrCat(kind, " ", Quote(name), " is invalid: ", field,
                                 ": ", cause),
                    {{"name", name},
                     {"kind", kind},
                     {"causes", json::array({{{"reason", "FieldValueInvalid"},
                                              {"message", cause},
                                              {"field", field}}})}});
  }
  const json before =
      old == nullptr ? json::object() : WithoutManagedFields(*old);
  const Comparison c =
      StrippedCompare(schema, before, WithoutManagedFields(*updated));
  const FieldSet changed = c.added.Union(c.modified);
  ManagedFieldsEntry self;
  self.manager = writer.manager;
  self.operation = "Update";
  self.api_version = writer.api_version;
  self.subresource = writer.subresource;
  bool found = false;
  for (ManagedFieldsEntry& e : entries) {
    e.fields = e.fields.Difference(changed).Difference(c.removed);
    if (e.SameManager(self)) {
      found = true;
      if (!changed.empty()) {
        e.fields = e.fields.Union(changed);
        e.time = writer.time;
      }
    }
  }
  if (!found && !changed.empty()) {
    self.fields = changed;
    self.time = writer.time;
    entries.push_back(std::move(self));
  }
  SetEntries(std::move(entries), updated);
  return {200, json()};
}

ApiResult ApplyConfig(const ObjectSchema& schema, const json* live,
                      const json& config, const Writer& writer, json* merged) {
  const json* sent = ManagedFieldsOf(config);
  if (sent != nullptr && sent->is_array() && !sent->empty()) {
    return ApiError(400, "BadRequest", "metadata.managedFields must be nil");
  }
  std::vector<ManagedFieldsEntry> entries = LiveEntries(live);
  const json before =
      live == nullptr ? json::object() : WithoutManagedFields(*live);
  if (live != nullptr && entries.empty()) {
    // An object no manager has written yet: its fields so far are
    // "before-first-apply"'s.
    const Comparison c = StrippedCompare(schema, json::object(), before);
    ManagedFieldsEntry first;
    first.manager = "before-first-apply";
    first.operation = "Update";
    first.api_version = writer.api_version;
    first.time = writer.time;
    first.fields = c.added.Union(c.modified);
    if (!first.fields.empty()) entries.push_back(std::move(first));
  }
  json out = MergeApplied(schema, before, config);
  FieldSet applied = AppliedFields(schema, config);
  StripMeta(&applied);
  ManagedFieldsEntry self;
  self.manager = writer.manager;
  self.operation = "Apply";
  self.api_version = writer.api_version;
  self.subresource = writer.subresource;
  FieldSet last;
  size_t self_index = entries.size();
  for (size_t i = 0; i < entries.size(); ++i) {
    if (entries[i].SameManager(self)) self_index = i;
  }
  if (self_index == entries.size()) {
    entries.push_back(self);
  } else {
    last = entries[self_index].fields;
  }
  entries[self_index].fields = applied;
  entries[self_index].api_version = writer.api_version;
  if (!last.empty()) {
    FieldSet owned;
    for (const ManagedFieldsEntry& e : entries) owned = owned.Union(e.fields);
    RemoveFields(schema, Abandoned(last, &owned), &out);
  }
  const Comparison c = StrippedCompare(schema, before, out);
  const FieldSet changed = c.added.Union(c.modified);
  std::vector<std::pair<ManagedFieldsEntry, FieldPath>> conflicts;
  std::vector<std::pair<std::string, size_t>> order;
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i != self_index) order.emplace_back(Identifier(entries[i]), i);
  }
  std::sort(order.begin(), order.end());
  for (const auto& [id, i] : order) {
    const FieldSet taken = entries[i].fields.Intersection(changed);
    for (const FieldPath& p : taken.Paths())
      conflicts.emplace_back(entries[i], p);
  }
  if (!conflicts.empty() && !writer.force) return ConflictError(conflicts);
  for (size_t i = 0; i < entries.size(); ++i) {
    if (i == self_index) continue;
    entries[i].fields =
        entries[i].fields.Difference(changed).Difference(c.removed);
  }
  entries[self_index].time = writer.time;
  SetEntries(std::move(entries), &out);
  SyncLastApplied(writer, config, &out);
  *merged = std::move(out);
  return {200, json()};
}

ApiResult ConflictError(
    const std::vector<std::pair<ManagedFieldsEntry, FieldPath>>& conflicts) {
  json causes = json::array();
  for (const auto& [e, path] : conflicts) {
    causes.push_back(
        {{"reason", "FieldManagerConflict"},
         {"message", absl::StrCat("conflict with ", DescribeManager(e))},
         {"field", PathString(path)}});
  }
  std::string message;
  if (conflicts.size() == 1) {
    message = absl::StrCat("Apply failed with 1 conflict: conflict with ",
                           DescribeManager(conflicts[0].first), ": ",
                           PathString(conflicts[0].second));
  } else {
    std::vector<std::string> lines;
    std::string current;
    for (const auto& [e, path] : conflicts) {
      if (lines.empty() || Identifier(e) != current) {
        current = Identifier(e);
        lines.push_back(
            absl::StrCat("conflicts with ", DescribeManager(e), ":"));
      }
      lines.push_back(absl::StrCat("- ", PathString(path)));
    }
    message = absl::StrCat("Apply failed with ", conflicts.size(),
                           " conflicts: ", absl::StrJoin(lines, "\n"));
  }
  return ApiError(409, "Conflict", message, {{"causes", std::move(causes)}});
}

void KeepTimesOfNoop(const json& old, json* updated) {
  if (WithoutManagedFields(old) != WithoutManagedFields(*updated)) return;
  const json* a = ManagedFieldsOf(old);
  const json* b = ManagedFieldsOf(*updated);
  if (a == nullptr || b == nullptr || !a->is_array() || !b->is_array() ||
      a->size() != b->size()) {
    return;
  }
  auto timeless = [](const json& entries) {
    std::vector<json> out;
    for (json e : entries) {
      if (e.is_object()) e.erase("time");
      out.push_back(std::move(e));
    }
    std::sort(out.begin(), out.end());
    return out;
  };
  if (timeless(*a) != timeless(*b)) return;
  (*updated)["metadata"]["managedFields"] = *a;
}

}  // namespace lb::k8s::testing
