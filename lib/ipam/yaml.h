// lib/ipam/yaml.h
//
// Guarded YAML loading for text from users. yaml-cpp recurses once per nesting
// level and its LoadAll can loop forever on some malformed input (",[a"), so
// a multi-document text is split at its document markers, and each document
// is checked against size and nesting limits and loaded on its own.
//
//   absl::StatusOr<std::vector<YamlDocument>> docs = LoadYamlDocuments(text);
//   for (const YamlDocument& d : *docs) { ... d.node["kind"] ... }

#ifndef LB_LIB_IPAM_YAML_H_
#define LB_LIB_IPAM_YAML_H_

#include <yaml-cpp/yaml.h>

#include <cstddef>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace lb::ipam {

// Larger texts are refused before parsing.
inline constexpr size_t kMaxYamlBytes = 1 << 20;
// Deeper nesting than any config or manifest needs is refused before parsing.
inline constexpr int kMaxYamlNesting = 64;

// kInvalidArgument naming the limit when `text` is over kMaxYamlBytes or nests
// deeper than kMaxYamlNesting (an upper bound counted from brackets and
// indentation, so it never undercounts); OK otherwise.
absl::Status CheckYamlLimits(absl::string_view text);

// Whether `text` holds anything besides blank lines, comments, document
// markers and an explicit null ("~", "null"). yaml-cpp returns a null node for
// some malformed text instead of throwing; a null node from text with content
// is an error, not an empty document.
bool YamlHasContent(absl::string_view text);

struct YamlDocument {
  YAML::Node node;
  // Lines of the text before this document's first line; add it to a mark's
  // line to get the line in the whole text.
  int line_offset = 0;
};

// The non-empty documents of `text`, in order. Documents are separated by
// lines starting with "---" (which stay with the document they open) or
// consisting of "...". Each document is held to CheckYamlLimits; the text as a
// whole is not. kInvalidArgument names the line of a syntax error (including
// text yaml-cpp cannot read as a document) or of a document over a limit.
absl::StatusOr<std::vector<YamlDocument>> LoadYamlDocuments(
    absl::string_view text);

}  // namespace lb::ipam

#endif  // LB_LIB_IPAM_YAML_H_
