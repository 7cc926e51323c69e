#!/usr/bin/env bash
# Runs every benchmark (targets tagged "bench" under tests/bench) optimised, printing
# one `name: value unit` line per figure. Usage: bash tests/bench/run.sh [PATTERN]
# Exits non-zero when a benchmark fails to build or to run (the others still run).
set -uo pipefail
cd "$(dirname "$0")/../.."
bash tools/install.sh
mapfile -t targets < <(bazel query 'attr(tags, "\bbench\b", kind(cc_binary, //tests/bench/...))' 2>/dev/null | grep -E "${1:-.}")
failed=0
if ! bazel build -c opt "${targets[@]}" >/dev/null 2>&1; then
  bazel build -c opt --keep_going "${targets[@]}" 2>&1 | grep -E '^ERROR|error:'
  failed=1
fi
bin="$(bazel info -c opt bazel-bin 2>/dev/null)"
echo "# machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -r)"
for t in "${targets[@]}"; do
  path="${t#//}"
  "$bin/${path/://}" || { echo "# FAILED: $t"; failed=1; }
done
# Shell benchmarks: sh_binary targets tagged "bench" (tests/bench/lan), each building
# its own LAN of network namespaces (they need root) and printing, like the others, a
# comment line with the command that reproduces it, then `name: value unit` lines.
mapfile -t sh_targets < <(bazel query 'attr(tags, "\bbench\b", kind(sh_binary, //tests/bench/...))' 2>/dev/null | grep -E "${1:-.}")
if ((${#sh_targets[@]})); then
  bazel build -c opt "${sh_targets[@]}" >/dev/null 2>&1 || bazel build -c opt "${sh_targets[@]}" || failed=1
  for t in "${sh_targets[@]}"; do
    path="${t#//}"
    "$bin/${path/://}" || { echo "# FAILED: $t"; failed=1; }
  done
fi
exit "$failed"
