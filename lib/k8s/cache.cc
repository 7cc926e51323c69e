#include "lib/k8s/cache.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lib/k8s/internal/selector.h"

namespace lb::k8s {
namespace {

std::string Version(const json& obj) {
  auto md = obj.find("metadata");
  if (md == obj.end() || !md->is_object()) return "";
  auto rv = md->find("resourceVersion");
  return rv != md->end() && rv->is_string() ? rv->get<std::string>() : "";
}

// An object with only the name and namespace of `key`.
ObjectPtr Stub(const std::string& key) {
  json md = json::object();
  size_t slash = key.find('/');
  if (slash == std::string::npos) {
    md["name"] = key;
  } else {
    md["namespace"] = key.substr(0, slash);
    md["name"] = key.substr(slash + 1);
  }
  return std::make_shared<const json>(json{{"metadata", std::move(md)}});
}

}  // namespace

std::string ObjectCache::KeyOf(const json& object) {
  if (!object.is_object()) return "";
  auto md = object.find("metadata");
  if (md == object.end() || !md->is_object()) return "";
  auto name = md->find("name");
  if (name == md->end() || !name->is_string()) return "";
  auto ns = md->find("namespace");
  if (ns != md->end() && ns->is_string() && !ns->get<std::string>().empty()) {
    return absl::StrCat(ns->get<std::string>(), "/", name->get<std::string>());
  }
  return name->get<std::string>();
}

ObjectCache::Entry::Entry(const json& object, bool keep) {
  const std::string version = Version(object);
  std::string labels;
  auto md = object.find("metadata");
  if (keep && md != object.end() && md->is_object()) {
    auto l = md->find("labels");
    if (l != md->end() && l->is_object()) {
      for (auto it = l->begin(); it != l->end(); ++it) {
        if (!it.value().is_string()) continue;
        absl::StrAppend(&labels, it.key(), "=", it.value().get<std::string>(),
                        "\n");
      }
    }
  }
  const std::vector<uint8_t> packed =
      keep ? json::to_msgpack(object) : std::vector<uint8_t>();
  version_size_ = static_cast<uint32_t>(version.size());
  labels_size_ = static_cast<uint32_t>(labels.size());
  packed_size_ = static_cast<uint32_t>(packed.size());
  data_.reset(new char[version_size_ + labels_size_ + packed_size_]);
  char* out = data_.get();
  out = std::copy(version.begin(), version.end(), out);
  out = std::copy(labels.begin(), labels.end(), out);
  std::copy(packed.begin(), packed.end(), reinterpret_cast<uint8_t*>(out));
}

bool ObjectCache::Entry::HasLabel(absl::string_view key_value) const {
  absl::string_view labels(data_.get() + version_size_, labels_size_);
  while (!labels.empty()) {
    size_t end = labels.find('\n');
    if (labels.substr(0, end) == key_value) return true;
    labels.remove_prefix(end + 1);
  }
  return false;
}

ObjectPtr ObjectCache::Unpack(const Entry& e) {
  if (!e.has_object()) return nullptr;
  // The bytes were produced by to_msgpack from a valid object.
  return std::make_shared<const json>(
      json::from_msgpack(e.packed_begin(), e.packed_end(), /*strict=*/true,
                         /*allow_exceptions=*/false));
}

void ObjectCache::PutLocked(const std::string& key, const json& obj) {
  objects_.insert_or_assign(key, Entry(obj, keep_objects_));
}

void ObjectCache::EraseLocked(const std::string& key) {
  auto it = objects_.find(key);
  if (it == objects_.end()) return;
  objects_.erase(it);
}

std::optional<Delta> ObjectCache::Upsert(
    json item, absl::flat_hash_set<std::string>* seen) {
  std::string key = KeyOf(item);
  if (key.empty()) return std::nullopt;
  seen->insert(key);
  absl::MutexLock l(&mu_);
  auto it = objects_.find(key);
  if (it == objects_.end()) {
    auto obj = std::make_shared<const json>(std::move(item));
    PutLocked(key, *obj);
    return Delta{Delta::Type::kAdd, nullptr, obj};
  }
  if (it->second.version() == Version(item)) return std::nullopt;
  ObjectPtr old = Unpack(it->second);
  auto obj = std::make_shared<const json>(std::move(item));
  PutLocked(key, *obj);
  return Delta{Delta::Type::kUpdate, old, obj};
}

std::vector<Delta> ObjectCache::RemoveExcept(
    const absl::flat_hash_set<std::string>& seen) {
  std::vector<Delta> deltas;
  absl::MutexLock l(&mu_);
  std::vector<std::string> gone;
  for (const auto& [key, entry] : objects_) {
    if (!seen.contains(key)) gone.push_back(key);
  }
  for (const std::string& key : gone) {
    ObjectPtr old = Unpack(objects_.at(key));
    if (old == nullptr) old = Stub(key);
    EraseLocked(key);
    deltas.push_back({Delta::Type::kDelete, old, old});
  }
  return deltas;
}

std::vector<Delta> ObjectCache::Replace(std::vector<json> items) {
  std::vector<Delta> deltas;
  absl::flat_hash_set<std::string> seen;
  seen.reserve(items.size());
  for (json& item : items) {
    if (auto d = Upsert(std::move(item), &seen)) deltas.push_back(*d);
  }
  for (Delta& d : RemoveExcept(seen)) deltas.push_back(std::move(d));
  return deltas;
}

std::optional<Delta> ObjectCache::Apply(WatchEvent::Type type, json object) {
  if (type == WatchEvent::Type::kBookmark) return std::nullopt;
  std::string key = KeyOf(object);
  if (key.empty()) return std::nullopt;
  absl::MutexLock l(&mu_);
  auto it = objects_.find(key);
  if (type == WatchEvent::Type::kDeleted) {
    if (it == objects_.end()) return std::nullopt;
    ObjectPtr old = Unpack(it->second);
    EraseLocked(key);
    return Delta{Delta::Type::kDelete, old,
                 std::make_shared<const json>(std::move(object))};
  }
  if (it != objects_.end() && it->second.version() == Version(object)) {
    return std::nullopt;
  }
  auto obj = std::make_shared<const json>(std::move(object));
  if (it == objects_.end()) {
    PutLocked(key, *obj);
    return Delta{Delta::Type::kAdd, nullptr, obj};
  }
  ObjectPtr old = Unpack(it->second);
  PutLocked(key, *obj);
  return Delta{Delta::Type::kUpdate, old, obj};
}

ObjectPtr ObjectCache::Get(const std::string& key) const {
  absl::MutexLock l(&mu_);
  auto it = objects_.find(key);
  return it == objects_.end() ? nullptr : Unpack(it->second);
}

std::vector<ObjectPtr> ObjectCache::List() const {
  absl::MutexLock l(&mu_);
  std::vector<ObjectPtr> out;
  out.reserve(objects_.size());
  for (const auto& [k, v] : objects_) {
    if (ObjectPtr o = Unpack(v)) out.push_back(std::move(o));
  }
  return out;
}

absl::StatusOr<std::vector<ObjectPtr>> ObjectCache::ListByLabel(
    const std::string& selector) const {
  auto sel = internal::LabelSelector::Parse(selector);
  if (!sel.ok()) return sel.status();
  std::vector<ObjectPtr> out;
  absl::MutexLock l(&mu_);
  auto matches = [&](const ObjectPtr& o) {
    const json& md = (*o)["metadata"];
    return sel->Matches(md.is_object() && md.contains("labels") ? md["labels"]
                                                                : json());
  };
  // The first equality requirement, checked on the entries' label text so
  // that only candidates are decoded.
  std::string required;
  for (const auto& r : sel->requirements()) {
    if (r.op != internal::LabelSelector::Op::kEquals) continue;
    required = absl::StrCat(r.key, "=", r.values[0]);
    break;
  }
  for (const auto& [k, e] : objects_) {
    if (!required.empty() && !e.HasLabel(required)) continue;
    ObjectPtr o = Unpack(e);
    if (o != nullptr && matches(o)) out.push_back(std::move(o));
  }
  return out;
}

size_t ObjectCache::size() const {
  absl::MutexLock l(&mu_);
  return objects_.size();
}

}  // namespace lb::k8s
