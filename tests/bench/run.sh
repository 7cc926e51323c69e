#!/usr/bin/env bash
# Runs every benchmark (targets tagged "bench" under tests/bench) optimised, printing
# one `name: value unit` line per figure. Usage: bash tests/bench/run.sh [PATTERN]
set -uo pipefail
cd "$(dirname "$0")/../.."
bash tools/install.sh
mapfile -t targets < <(bazel query 'attr(tags, "\bbench\b", kind(cc_binary, //tests/bench/...))' 2>/dev/null | grep -E "${1:-.}")
bazel build -c opt "${targets[@]}" >/dev/null 2>&1 || bazel build -c opt "${targets[@]}"
bin="$(bazel info -c opt bazel-bin 2>/dev/null)"
echo "# machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -r)"
for t in "${targets[@]}"; do
  path="${t#//}"
  "$bin/${path/://}"
done
