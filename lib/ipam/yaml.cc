#include "lib/ipam/yaml.h"

#include <algorithm>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace lb::ipam {
namespace {

int NestingDepth(absl::string_view yaml) {
  int depth = 0, max_depth = 0;
  size_t line_start = 0;
  for (size_t i = 0; i < yaml.size(); ++i) {
    char c = yaml[i];
    if (c == '[' || c == '{') max_depth = std::max(max_depth, ++depth);
    if ((c == ']' || c == '}') && depth > 0) --depth;
    if (c == '\n') line_start = i + 1;
    if (i == line_start) {
      size_t j = i;
      int indent = 0;
      while (j < yaml.size() && (yaml[j] == ' ' || yaml[j] == '-')) {
        ++j;
        ++indent;
      }
      max_depth = std::max(max_depth, indent / 2);
    }
  }
  return max_depth;
}

bool OpensDocument(absl::string_view line) {
  return absl::StartsWith(line, "---") && (line.size() == 3 || line[3] == ' ' ||
                                           line[3] == '\t' || line[3] == '\r');
}

bool EndsDocument(absl::string_view line) {
  return line == "..." || line == "...\r";
}

}  // namespace

absl::Status CheckYamlLimits(absl::string_view text) {
  if (text.size() > kMaxYamlBytes) {
    return absl::InvalidArgumentError(absl::StrCat("document is ", text.size(),
                                                   " bytes, over the limit of ",
                                                   kMaxYamlBytes));
  }
  if (NestingDepth(text) > kMaxYamlNesting) {
    return absl::InvalidArgumentError(
        absl::StrCat("nesting deeper than ", kMaxYamlNesting, " levels"));
  }
  return absl::OkStatus();
}

bool YamlHasContent(absl::string_view text) {
  // Everything but comments, markers and whitespace, concatenated; anything
  // longer than "null" is content.
  std::string content;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (EndsDocument(line)) continue;
    if (OpensDocument(line)) line.remove_prefix(3);
    size_t first = line.find_first_not_of(" \t\r");
    if (first == absl::string_view::npos || line[first] == '#') continue;
    for (char c : line.substr(0, line.find(" #"))) {
      if (c != ' ' && c != '\t' && c != '\r') content += c;
    }
    if (content.size() > 4) return true;
  }
  return !content.empty() && content != "~" && content != "null" &&
         content != "Null" && content != "NULL";
}

absl::StatusOr<std::vector<YamlDocument>> LoadYamlDocuments(
    absl::string_view text) {
  std::vector<YamlDocument> docs;
  auto load = [&](absl::string_view chunk, int first_line) -> absl::Status {
    if (absl::Status s = CheckYamlLimits(chunk); !s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", first_line + 1, ": ", s.message()));
    }
    try {
      YAML::Node node = YAML::Load(std::string(chunk));
      if (node && !node.IsNull()) {
        docs.push_back({std::move(node), first_line});
      } else if (YamlHasContent(chunk)) {
        return absl::InvalidArgumentError(
            absl::StrCat("line ", first_line + 1, ": not a YAML document"));
      }
    } catch (const YAML::Exception& e) {
      return absl::InvalidArgumentError(absl::StrCat(
          "line ", first_line + (e.mark.is_null() ? 0 : e.mark.line) + 1, ": ",
          e.msg));
    }
    return absl::OkStatus();
  };
  size_t chunk_start = 0;  // Byte offset of the current document.
  int chunk_line = 0;
  size_t pos = 0;  // Byte offset of `current`.
  int line = 0;
  for (absl::string_view current : absl::StrSplit(text, '\n')) {
    size_t next = std::min(pos + current.size() + 1, text.size());
    if (OpensDocument(current) || EndsDocument(current)) {
      if (absl::Status s =
              load(text.substr(chunk_start, pos - chunk_start), chunk_line);
          !s.ok()) {
        return s;
      }
      // A "---" line belongs to the document it opens; a "..." line to none.
      chunk_start = OpensDocument(current) ? pos : next;
      chunk_line = OpensDocument(current) ? line : line + 1;
    }
    pos = next;
    ++line;
  }
  if (absl::Status s = load(text.substr(chunk_start), chunk_line); !s.ok()) {
    return s;
  }
  return docs;
}

}  // namespace lb::ipam
