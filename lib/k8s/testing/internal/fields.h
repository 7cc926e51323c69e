// lib/k8s/testing/internal/fields.h
//
// Tolerant reads of JSON objects for the stand-in's handlers (a missing or
// mistyped field reads as null or ""), and its timestamp format.
//
//   std::string name = Str(Field(obj, "metadata", "name"));
//
// Thread-safety: pure functions.

#ifndef LB_K8S_TESTING_INTERNAL_FIELDS_H_
#define LB_K8S_TESTING_INTERNAL_FIELDS_H_

#include <string>

#include "absl/time/time.h"
#include "lib/k8s/json.h"

namespace lb::k8s::testing::internal {

// obj[a] (or obj[a][b]); a null value when absent or not an object.
inline const json& Field(const json& obj, const char* a,
                         const char* b = nullptr) {
  static const json* const kNull = new json();
  if (!obj.is_object()) return *kNull;
  auto it = obj.find(a);
  if (it == obj.end()) return *kNull;
  if (b == nullptr) return *it;
  if (!it->is_object()) return *kNull;
  auto it2 = it->find(b);
  return it2 == it->end() ? *kNull : *it2;
}

// A string as is, null as "", anything else as its JSON text.
inline std::string Str(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_null()) return "";
  return v.dump();
}

// "2024-01-02T03:04:05Z", as metadata timestamps are written.
inline std::string Rfc3339(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

}  // namespace lb::k8s::testing::internal

#endif  // LB_K8S_TESTING_INTERNAL_FIELDS_H_
