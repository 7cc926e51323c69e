#!/usr/bin/env bash
# Proves that the test command cannot report a broken tree as green. In scratch
# copies of this tree (uncommitted changes included), `tools/test.sh --quick`,
# narrowed by LB_TEST_PATTERN to two small packages, must
#   * pass on the unchanged copy (so what follows is not an artefact of the copy),
#   * exit non-zero and name the package when one package's BUILD file is broken,
#   * exit non-zero and name the target when one test fails to compile.
# Exits 0 only if all three hold. Run by .ci/run; not a Bazel test (it runs Bazel).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
PATTERN="//lib/base/... //lib/ipam/..."
BROKEN_PACKAGE="lib/ipam"
BROKEN_TEST_SOURCE="lib/base/token_bucket_test.cc"
BROKEN_TEST_TARGET="//lib/base:token_bucket_test"
status=0

# Copies the tree (with .git, without Bazel's output symlinks) to a new directory.
scratch_copy() {
  local dir
  dir="$(mktemp -d /tmp/lb-ci-check.XXXXXX)"
  tar -C "$ROOT" --exclude='./bazel-*' -cf - . | tar -C "$dir" -xf -
  echo "$dir"
}

# Runs the quick test command in `dir`; leaves its output in dir.log, its exit
# status in dir.rc, and removes the copy and its Bazel output base.
run_quick() {
  local dir="$1"
  (cd "$dir" && LB_TEST_PATTERN="$PATTERN" bash tools/test.sh --quick) >"$dir.log" 2>&1
  echo $? >"$dir.rc"
  (cd "$dir" && bazel clean --expunge >/dev/null 2>&1)
  rm -rf "$dir"
}

check() {
  local what="$1" ok="$2"
  if [ "$ok" = 1 ]; then
    echo "  ok: $what"
  else
    echo "  FAILED: $what"
    status=1
  fi
}

echo "== check: the test command fails on a broken tree"

intact="$(scratch_copy)"
run_quick "$intact"
check "the unchanged tree passes (exit $(cat "$intact.rc"))" \
  "$([ "$(cat "$intact.rc")" = 0 ] && echo 1 || echo 0)"
[ "$(cat "$intact.rc")" = 0 ] || tail -20 "$intact.log"

broken_build="$(scratch_copy)"
echo 'cc_library(name = "broken" deps = [])' >>"$broken_build/$BROKEN_PACKAGE/BUILD.bazel"
run_quick "$broken_build"
rc="$(cat "$broken_build.rc")"
check "a syntax error in $BROKEN_PACKAGE/BUILD.bazel fails the run (exit $rc)" \
  "$([ "$rc" != 0 ] && echo 1 || echo 0)"
check "... and the output names $BROKEN_PACKAGE" \
  "$(grep -q "$BROKEN_PACKAGE/BUILD.bazel" "$broken_build.log" && echo 1 || echo 0)"
check "... and the last line counts a failure" \
  "$(tail -1 "$broken_build.log" | grep -qE '^[0-9]+ passed, [1-9][0-9]* failed$' && echo 1 || echo 0)"

broken_test="$(scratch_copy)"
echo 'this does not compile;' >>"$broken_test/$BROKEN_TEST_SOURCE"
run_quick "$broken_test"
rc="$(cat "$broken_test.rc")"
check "a compile error in $BROKEN_TEST_SOURCE fails the run (exit $rc)" \
  "$([ "$rc" != 0 ] && echo 1 || echo 0)"
check "... and the output names $BROKEN_TEST_TARGET" \
  "$(grep -q "$BROKEN_TEST_TARGET" "$broken_test.log" && echo 1 || echo 0)"

if [ "$status" != 0 ]; then
  for log in "$broken_build.log" "$broken_test.log"; do
    echo "--- $log"
    tail -15 "$log"
  done
fi
rm -f "$intact".* "$broken_build".* "$broken_test".*
exit "$status"
