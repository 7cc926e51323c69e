#include "lib/k8s/internal/selector.h"

#include <doctest/doctest.h>

#include "tests/status_matchers.h"

namespace lb::k8s::internal {
namespace {

using json = nlohmann::json;

TEST_CASE("label selector operators") {
  json labels = {{"app", "web"}, {"tier", "front"}, {"kubernetes.io/x", "1"}};
  auto match = [&](const char* text) {
    auto s = LabelSelector::Parse(text);
    REQUIRE_OK(s);
    return s->Matches(labels);
  };
  CHECK(match(""));
  CHECK(match("app=web"));
  CHECK(match("app==web,tier=front"));
  CHECK_FALSE(match("app=web,tier=back"));
  CHECK(match("app!=db"));
  CHECK_FALSE(match("app!=web"));
  CHECK(match("tier in (back, front)"));
  CHECK_FALSE(match("tier notin (back,front)"));
  CHECK(match("kubernetes.io/x"));
  CHECK(match("!missing"));
  CHECK_FALSE(match("missing"));
  CHECK_FALSE(match("missing=x"));
  CHECK(match("missing!=x"));
}

TEST_CASE("label selector errors name the term") {
  CHECK_STATUS(LabelSelector::Parse("app=web,,x"),
               absl::StatusCode::kInvalidArgument, "empty term");
  CHECK_STATUS(LabelSelector::Parse("tier in (a,b"),
               absl::StatusCode::kInvalidArgument, "tier in (a,b");
  CHECK_STATUS(LabelSelector::Parse("a b c"),
               absl::StatusCode::kInvalidArgument, "invalid key");
}

TEST_CASE("field selector on dotted paths") {
  json obj = {{"metadata", {{"name", "web"}, {"namespace", "default"}}},
              {"spec", {{"nodeName", "n1"}, {"replicas", 3}}}};
  auto s = FieldSelector::Parse("metadata.name=web,spec.nodeName!=n2");
  REQUIRE_OK(s);
  CHECK(s->Matches(obj));
  s = FieldSelector::Parse("metadata.namespace==kube-system");
  REQUIRE_OK(s);
  CHECK_FALSE(s->Matches(obj));
  s = FieldSelector::Parse("spec.replicas=3,spec.missing=");
  REQUIRE_OK(s);
  CHECK(s->Matches(obj));
  CHECK_STATUS(FieldSelector::Parse("metadata.name"),
               absl::StatusCode::kInvalidArgument, "expected field=value");
}

}  // namespace
}  // namespace lb::k8s::internal
