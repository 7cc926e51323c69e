// lib/k8s/internal/selector.h
//
// Kubernetes label and field selectors: parsing the query-string syntax and
// matching objects (as JSON) against it. Shared by the client's informer cache
// and the API server stand-in.
//
//   LB_ASSIGN_OR_RETURN(LabelSelector s,
//   LabelSelector::Parse("app=web,tier!=db")); if
//   (s.Matches(object["metadata"]["labels"])) ...
//
// Thread-safety: parsed selectors are immutable and safe to share.

#ifndef LB_K8S_INTERNAL_SELECTOR_H_
#define LB_K8S_INTERNAL_SELECTOR_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace lb::k8s::internal {

// `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, joined by
// commas (AND). The empty selector matches everything.
class LabelSelector {
 public:
  enum class Op { kEquals, kNotEquals, kIn, kNotIn, kExists, kNotExists };
  struct Requirement {
    std::string key;
    Op op;
    std::vector<std::string> values;
  };

  // InvalidArgument naming the offending term when `text` is malformed.
  static absl::StatusOr<LabelSelector> Parse(absl::string_view text);

  // `labels` is a JSON object of string values (or null / absent).
  bool Matches(const nlohmann::json& labels) const;
  bool empty() const { return requirements_.empty(); }
  const std::vector<Requirement>& requirements() const { return requirements_; }

 private:
  std::vector<Requirement> requirements_;
};

// `path=v`, `path==v`, `path!=v` joined by commas; `path` is a dotted field
// path such as `metadata.name` or `spec.nodeName`. A missing field compares as
// the empty string.
class FieldSelector {
 public:
  struct Requirement {
    std::string path;
    bool equals;
    std::string value;
  };
  static absl::StatusOr<FieldSelector> Parse(absl::string_view text);
  bool Matches(const nlohmann::json& object) const;
  bool empty() const { return requirements_.empty(); }
  const std::vector<Requirement>& requirements() const { return requirements_; }

 private:
  std::vector<Requirement> requirements_;
};

}  // namespace lb::k8s::internal

#endif  // LB_K8S_INTERNAL_SELECTOR_H_
