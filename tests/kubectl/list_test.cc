// The real kubectl's lists against the API server stand-in: chunked lists
// (`--chunk-size`, kubectl's limit/continue pages) and field selectors the
// server refuses.

#include <doctest/doctest.h>

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "tests/kubectl/fixture.h"
#include "tests/kubectl/kubectl_runner.h"

namespace lb::k8s::testing {
namespace {

TEST_CASE("kubectl get --chunk-size pages through every object") {
  Fixture f;
  for (int i = 0; i < 7; ++i) {
    KubectlResult r = f.Run(
        {"create", "configmap", absl::StrCat("cm-", i), "--from-literal=k=v"});
    REQUIRE(r.exit_code == 0);
  }
  for (const char* chunk : {"--chunk-size=2", "--chunk-size=0"}) {
    KubectlResult r = f.Run({"get", "configmaps", chunk, "-o", "name"});
    INFO(chunk);
    REQUIRE(r.exit_code == 0);
    int listed = 0;
    for (absl::string_view line :
         absl::StrSplit(r.out, '\n', absl::SkipEmpty())) {
      listed += absl::StartsWith(line, "configmap/cm-") ? 1 : 0;
    }
    CHECK(listed == 7);
  }
  // Server-side tables are paged too.
  KubectlResult table = f.Run({"get", "configmaps", "--chunk-size=3"});
  REQUIRE(table.exit_code == 0);
  for (int i = 0; i < 7; ++i) {
    CHECK(absl::StrContains(table.out, absl::StrCat("cm-", i, " ")));
  }
}

TEST_CASE("kubectl hears which field selectors a kind supports") {
  Fixture f;
  KubectlResult bad =
      f.Run({"get", "pods", "--field-selector", "spec.foo=bar"});
  CHECK(bad.exit_code != 0);
  CHECK(absl::StrContains(bad.err, "field label not supported: spec.foo"));
  KubectlResult cm =
      f.Run({"get", "configmaps", "--field-selector", "data.k=v"});
  CHECK(cm.exit_code != 0);
  CHECK(absl::StrContains(cm.err,
                          "\"data.k\" is not a known field selector: only "
                          "\"metadata.name\", \"metadata.namespace\""));
  KubectlResult good = f.Run({"get", "services", "-A", "--field-selector",
                              "metadata.name=kubernetes"});
  CHECK(good.exit_code == 0);
  CHECK(absl::StrContains(good.out, "kubernetes"));
}

}  // namespace
}  // namespace lb::k8s::testing
