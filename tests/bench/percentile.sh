# shellcheck shell=bash
# tests/bench/percentile.sh: the shell benchmarks' percentile rule, nearest rank, as
# tests/bench/percentile.h has it for the C++ ones (percentile_sh_test checks they agree).

# bench_figures NAME UNIT VALUE...: prints NAME_p50, NAME_p99 and NAME_max as
# `name: value unit` lines. Percentiles by nearest rank, the rule of
# tests/bench/percentile.h (with 20 values p99 is the largest). Values may be
# fractional.
bench_figures() {
  local name=$1 unit=$2
  shift 2
  (($# > 0)) || return 0
  printf '%s\n' "$@" | sort -g | awk -v name="$name" -v unit="$unit" '
    { v[NR] = $1 }
    function rank(q,   r) { r = int(q * NR); if (r < q * NR) r++; if (r < 1) r = 1; return v[r] }
    END {
      printf "%s_p50: %s %s\n", name, rank(0.50), unit
      printf "%s_p99: %s %s\n", name, rank(0.99), unit
      printf "%s_max: %s %s\n", name, v[NR], unit
    }'
}
