#!/usr/bin/env bash
# Runs every test of the project and ends with one line "N passed, N failed":
#   1. the whole Bazel suite (unit, integration, network-namespace, example tests);
#   2. the same suite under ASan + UBSan (network-namespace tests excepted: they drive
#      the binaries from stage 1), then under ThreadSanitizer (also without the tests
#      tagged external or no_tsan);
#   3. every libFuzzer target, built with clang, for FUZZ_SECONDS each (default 15);
#   4. clang-format on every C++ file.
# Usage: bash tools/test.sh [--quick]   (--quick: stage 1 and 4 only)
set -uo pipefail
cd "$(dirname "$0")/.."
bash tools/install.sh || { echo "0 passed, 1 failed"; exit 1; }

QUICK=0
[ "${1:-}" = "--quick" ] && QUICK=1
FUZZ_SECONDS="${FUZZ_SECONDS:-15}"
LOG_DIR="$(mktemp -d)"
passed=0
failed=0

# Adds the PASSED / failed test lines of a bazel --test_summary=short log to the totals.
tally() {
  local log="$1" p f
  p=$(grep -cE '^//[^ ]+ +(\(cached\) )?PASSED' "$log")
  f=$(grep -cE '^//[^ ]+ +.*(FAILED|TIMEOUT|NO STATUS|INCOMPLETE|FLAKY)' "$log")
  grep -E '^//[^ ]+ +.*(FAILED|TIMEOUT|NO STATUS|INCOMPLETE|FLAKY)' "$log" | sed 's/^/  failed: /'
  if grep -q '^ERROR:' "$log" && [ "$p$f" = "00" ]; then f=1; grep '^ERROR:' "$log" | head -5; fi
  passed=$((passed + p))
  failed=$((failed + f))
  echo "  $p passed, $f failed"
}

echo "== 1. test suite"
bazel test --keep_going --test_summary=short //... 2>&1 | tee "$LOG_DIR/suite.log" | grep -E '^(//|ERROR)' || true
tally "$LOG_DIR/suite.log"

if [ "$QUICK" = 0 ]; then
  echo "== 2. test suite under ASan + UBSan"
  bazel test --config=asan --keep_going --test_summary=short \
    --test_tag_filters=-netns,-bench //... 2>&1 | tee "$LOG_DIR/asan.log" | grep -E '^(//|ERROR)' || true
  tally "$LOG_DIR/asan.log"

  echo "== 2b. test suite under ThreadSanitizer"
  # Debian's Abseil is not built with TSan; tests/tsan teaches TSan its Mutex.
  # Tests tagged no_tsan run gRPC or OpenSSL threads, whose locking TSan cannot see.
  bazel test --config=tsan --keep_going --test_summary=short \
    --test_tag_filters=-netns,-bench,-external,-no_tsan //... 2>&1 |
    tee "$LOG_DIR/tsan.log" | grep -E '^(//|ERROR)' || true
  tally "$LOG_DIR/tsan.log"

  echo "== 3. fuzz targets, ${FUZZ_SECONDS}s each"
  mapfile -t fuzzers < <(bazel query 'attr(tags, fuzz_target, //...)' 2>/dev/null)
  if ((${#fuzzers[@]})); then
    FUZZ_BASE="${HOME}/.cache/lb-bazel-fuzz"
    if CC=clang CXX=clang++ bazel --output_base="$FUZZ_BASE" build --config=fuzz --symlink_prefix=/ \
      "${fuzzers[@]}" >"$LOG_DIR/fuzz-build.log" 2>&1; then
      bin="$(CC=clang bazel --output_base="$FUZZ_BASE" info --config=fuzz bazel-bin 2>/dev/null)"
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
          echo "  $t FAILED"
          tail -30 "$LOG_DIR/fuzz.log"
          failed=$((failed + 1))
        fi
        rm -rf "$work"
      done
    else
      tail -20 "$LOG_DIR/fuzz-build.log"
      echo "  fuzz build FAILED"
      failed=$((failed + 1))
    fi
  fi
fi

echo "== 4. clang-format"
mapfile -t sources < <(git ls-files '*.h' '*.cc' 2>/dev/null || find lib cmd examples tests -name '*.h' -o -name '*.cc')
if clang-format --dry-run -Werror "${sources[@]}" >"$LOG_DIR/format.log" 2>&1; then
  echo "  clang-format PASSED (${#sources[@]} files)"
  passed=$((passed + 1))
else
  head -20 "$LOG_DIR/format.log"
  echo "  clang-format FAILED"
  failed=$((failed + 1))
fi

rm -rf "$LOG_DIR"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
