#!/usr/bin/env bash
# Runs every test of the project and ends with one line "N passed, N failed":
#   1. the whole Bazel suite (unit, integration, network-namespace, example tests);
#   2. the same suite under ASan + UBSan (network-namespace tests excepted: they drive
#      the binaries from stage 1), then under ThreadSanitizer (also without the tests
#      tagged external or no_tsan);
#   3. the C++ tree built with clang (its thread-safety analysis as errors), then
#      every libFuzzer target for FUZZ_SECONDS each (default 15);
#   4. clang-format on every C++ file.
# Usage: bash tools/test.sh [--quick]   (--quick: stages 1 and 4 only)
#
# Nothing is taken on trust: a package that fails to load, a target that fails to
# build, a Bazel invocation that exits non-zero, or fewer test results than
# `bazel query` says the stage holds, is a failure, printed with its cause.
# LB_TEST_PATTERN (default //...) narrows the Bazel stages; .ci/check_test_command.sh uses it.
set -uo pipefail
cd "$(dirname "$0")/.."
bash tools/install.sh || {
  echo "0 passed, 1 failed"
  exit 1
}

QUICK=0
[ "${1:-}" = "--quick" ] && QUICK=1
FUZZ_SECONDS="${FUZZ_SECONDS:-15}"
# Target patterns, space-separated; `bazel query` takes them joined with " + ".
PATTERN="${LB_TEST_PATTERN:-//...}"
QUERY_PATTERN="${PATTERN// / + }"
LOG_DIR="$(mktemp -d)"
trap 'rm -rf "$LOG_DIR"' EXIT
passed=0
failed=0

fail() {
  echo "  FAILED: $*"
  failed=$((failed + 1))
}

# Prints the number of test targets `bazel test --test_tag_filters=$1 $PATTERN`
# is asked to run, or fails (printing Bazel's errors) when the query does.
expected_tests() {
  local filters="$1" excluded="manual" query out
  local tag
  for tag in ${filters//,/ }; do
    [ "${tag#-}" != "$tag" ] && excluded="$excluded|${tag#-}"
  done
  query="tests($QUERY_PATTERN) except attr(tags, '\\b($excluded)\\b', tests($QUERY_PATTERN))"
  if ! out="$(bazel query "$query" 2>"$LOG_DIR/query.err")"; then
    grep -E '^ERROR' "$LOG_DIR/query.err" | head -10 | sed 's/^/  /' >&2
    return 1
  fi
  grep -c '^//' <<<"$out"
}

# Runs `bazel test` with the given flags over $PATTERN and tag filters $1, and adds
# its results to the totals: each PASSED line passes, each failed, timed-out,
# unbuilt or missing test fails, and so does the invocation itself if Bazel exits
# non-zero for any reason the test results do not already account for.
run_suite() {
  local name="$1" filters="$2"
  shift 2
  local log="$LOG_DIR/$name.log" expected rc p f
  expected="$(expected_tests "$filters")" || {
    fail "bazel query of the $name stage's tests (a package does not load)"
    expected=""
  }
  local filter_flag=()
  [ -n "$filters" ] && filter_flag=("--test_tag_filters=$filters")
  # shellcheck disable=SC2086 # PATTERN may hold several target patterns.
  bazel test --keep_going --test_summary=short "${filter_flag[@]}" "$@" $PATTERN \
    >"$log" 2>&1
  rc=$?
  grep -E '^(//|ERROR)' "$log"
  p=$(grep -cE '^//[^ ]+ +(\(cached\) )?PASSED' "$log")
  f=$(grep -cE '^//[^ ]+ +.*(FAILED|TIMEOUT|NO STATUS|INCOMPLETE|FLAKY|SKIPPED)' "$log")
  passed=$((passed + p))
  failed=$((failed + f))
  echo "  $p passed, $f failed"
  # Exit 3 means "built, some tests failed": already counted if f > 0. Anything
  # else non-zero (1: build or load failure, 2: bad flags, 4: no tests, ...) is a
  # failure of its own.
  if [ "$rc" != 0 ] && { [ "$rc" != 3 ] || [ "$f" = 0 ]; }; then
    fail "bazel test ($name) exited $rc; its errors:"
    grep -E '^ERROR' "$log" | head -10 | sed 's/^/    /'
  fi
  if [ -n "$expected" ] && [ $((p + f)) -lt "$expected" ]; then
    fail "$name: $((expected - p - f)) of $expected test targets ran without a result"
  fi
}

echo "== 1. test suite"
run_suite suite ""

if [ "$QUICK" = 0 ]; then
  echo "== 2. test suite under ASan + UBSan"
  run_suite asan "-netns,-bench" --config=asan

  echo "== 2b. test suite under ThreadSanitizer"
  # Debian's Abseil is not built with TSan; tests/tsan teaches TSan its Mutex.
  # Tests tagged no_tsan run gRPC or OpenSSL threads, whose locking TSan cannot see.
  run_suite tsan "-netns,-bench,-external,-no_tsan" --config=tsan

  echo "== 3. clang build, then fuzz targets, ${FUZZ_SECONDS}s each"
  if ! command -v clang >/dev/null; then
    fail "clang is not installed (tools/install.sh installs it)"
  elif ! fuzz_list="$(bazel query "attr(tags, '\\bfuzz_target\\b', $QUERY_PATTERN)" 2>"$LOG_DIR/fuzz-query.err")"; then
    grep -E '^ERROR' "$LOG_DIR/fuzz-query.err" | head -10 | sed 's/^/  /'
    fail "bazel query of the fuzz targets"
  else
    mapfile -t fuzzers < <(grep '^//' <<<"$fuzz_list")
    if ((${#fuzzers[@]} == 0)); then
      [ "$PATTERN" = "//..." ] && fail "no fuzz targets found"
    else
      FUZZ_BASE="${HOME}/.cache/lb-bazel-fuzz"
      # The whole C++ tree is built with clang too, not only the fuzzers' deps:
      # clang's -Wthread-safety (under -Werror) checks every lock annotation.
      mapfile -t cc_targets < <(bazel query "kind('cc_(library|binary|test)', $QUERY_PATTERN)" 2>/dev/null | grep '^//')
      if CC=clang CXX=clang++ bazel --output_base="$FUZZ_BASE" build --config=fuzz --symlink_prefix=/ \
        "${fuzzers[@]}" "${cc_targets[@]}" >"$LOG_DIR/fuzz-build.log" 2>&1 &&
        bin="$(CC=clang bazel --output_base="$FUZZ_BASE" info --config=fuzz bazel-bin 2>/dev/null)"; then
        for t in "${fuzzers[@]}"; do
          path="${t#//}"
          exe="$bin/${path/://}"
          work="$(mktemp -d)"
          # Seeds: <package>/corpus/<target name without _fuzzer>, when present.
          seeds="${path%%:*}/corpus/${path##*:}"
          seeds="${seeds%_fuzzer}"
          [ -d "$seeds" ] || seeds=""
          # -timeout: an input that runs 10 s is a failure (a hang a user's input
          # could cause), reported with the input; `timeout` bounds the stage.
          if timeout $((FUZZ_SECONDS + 120)) "$exe" -max_total_time="$FUZZ_SECONDS" -timeout=10 \
            -artifact_prefix="$LOG_DIR/" \
            -print_final_stats=0 "$work" $seeds >"$LOG_DIR/fuzz.log" 2>&1; then
            echo "  $t PASSED ($(grep -oE 'Done [0-9]+ runs' "$LOG_DIR/fuzz.log" | tail -1))"
            passed=$((passed + 1))
          else
            tail -30 "$LOG_DIR/fuzz.log"
            fail "$t"
          fi
          rm -rf "$work"
        done
      else
        grep -E '^ERROR|error:' "$LOG_DIR/fuzz-build.log" | head -20
        tail -20 "$LOG_DIR/fuzz-build.log"
        fail "clang build of the fuzz targets and the C++ tree"
      fi
    fi
  fi
fi

echo "== 4. clang-format"
if ! command -v clang-format >/dev/null; then
  fail "clang-format is not installed (tools/install.sh installs it)"
elif ! sources_list="$(git ls-files '*.h' '*.cc' 2>/dev/null)"; then
  fail "git ls-files: not a git checkout, cannot list the sources to check"
else
  mapfile -t sources <<<"$sources_list"
  if ((${#sources[@]} == 0)) || [ -z "${sources[0]}" ]; then
    fail "no C++ sources found"
  elif clang-format --dry-run -Werror "${sources[@]}" >"$LOG_DIR/format.log" 2>&1; then
    echo "  clang-format PASSED (${#sources[@]} files)"
    passed=$((passed + 1))
  else
    head -20 "$LOG_DIR/format.log"
    fail "clang-format"
  fi
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
