#include "lib/ipam/yaml.h"

#include <string>

#include "doctest/doctest.h"
#include "tests/status_matchers.h"

namespace lb::ipam {
namespace {

TEST_CASE("documents are split at their markers, with their line offsets") {
  ASSIGN_OR_FAIL(std::vector<YamlDocument> docs,
                 LoadYamlDocuments("# leading comment\n"
                                   "---\n"
                                   "kind: A\n"
                                   "--- # second\n"
                                   "kind: B\n"
                                   "text: |\n"
                                   "  --- not a marker: indented\n"
                                   "...\n"
                                   "---\n"
                                   "\n"
                                   "---\n"
                                   "kind: C\n"));
  REQUIRE(docs.size() == 3);
  CHECK(docs[0].node["kind"].Scalar() == "A");
  CHECK(docs[0].line_offset == 1);
  CHECK(docs[1].node["kind"].Scalar() == "B");
  CHECK(docs[1].node["text"].Scalar() == "--- not a marker: indented\n");
  CHECK(docs[1].line_offset == 3);
  CHECK(docs[1].line_offset + docs[1].node["text"].Mark().line == 5);
  CHECK(docs[2].node["kind"].Scalar() == "C");
  CHECK(docs[2].line_offset == 10);
}

TEST_CASE("a text without markers is one document") {
  ASSIGN_OR_FAIL(std::vector<YamlDocument> docs,
                 LoadYamlDocuments("a: 1\nb: [2, 3]\n"));
  REQUIRE(docs.size() == 1);
  CHECK(docs[0].node["b"][1].Scalar() == "3");
  ASSIGN_OR_FAIL(std::vector<YamlDocument> none, LoadYamlDocuments(""));
  CHECK(none.empty());
}

TEST_CASE("input that makes yaml-cpp's LoadAll loop forever is an error") {
  // yaml-cpp reads ",[a" as a null document instead of throwing.
  CHECK_STATUS(LoadYamlDocuments(",[a"), absl::StatusCode::kInvalidArgument,
               "line 1: not a YAML document");
  CHECK_STATUS(LoadYamlDocuments("kind: A\n---\n,[a\n"),
               absl::StatusCode::kInvalidArgument,
               "line 2: not a YAML document");
  CHECK_STATUS(LoadYamlDocuments("kind: [A\n"),
               absl::StatusCode::kInvalidArgument, "line 2");
}

TEST_CASE("explicit nulls and comment-only documents are empty, not errors") {
  ASSIGN_OR_FAIL(std::vector<YamlDocument> docs,
                 LoadYamlDocuments("--- ~\n---\nnull # nothing\n---\n# x\n"));
  CHECK(docs.empty());
  CHECK(YamlHasContent("# a\n---\n  a: 1\n"));
  CHECK_FALSE(YamlHasContent("# a\n--- # b\n...\n\n"));
}

TEST_CASE("size and nesting limits are checked before parsing") {
  CHECK_STATUS(LoadYamlDocuments(std::string(kMaxYamlBytes + 1, '#')),
               absl::StatusCode::kInvalidArgument, "over the limit of");
  std::string deep(kMaxYamlNesting + 1, '[');
  CHECK_STATUS(LoadYamlDocuments(deep), absl::StatusCode::kInvalidArgument,
               "nesting deeper than 64 levels");
  std::string ok(kMaxYamlNesting, '[');
  ok += std::string(kMaxYamlNesting, ']');
  CHECK(CheckYamlLimits(ok).ok());
  // The limits hold per document: many documents may add up to more.
  std::string doc =
      "kind: Service\nmetadata: {name: " + std::string(kMaxYamlBytes / 4, 'a') +
      "}\n";
  std::string many;
  for (int i = 0; i < 5; ++i) many += "---\n" + doc;
  ASSIGN_OR_FAIL(std::vector<YamlDocument> docs, LoadYamlDocuments(many));
  CHECK(docs.size() == 5);
  CHECK_STATUS(LoadYamlDocuments("a: 1\n---\n" + deep),
               absl::StatusCode::kInvalidArgument,
               "line 2: nesting deeper than");
}

}  // namespace
}  // namespace lb::ipam
