#!/usr/bin/env bash
# bench_figures (tests/bench/percentile.sh) applies the same nearest-rank rule as
# tests/bench/percentile.h: the same inputs as percentile_test give the same values.
set -u
source tests/bench/percentile.sh
fail=0
expect() {
  local want="$1" got="$2"
  if [ "$got" = "$want" ]; then echo "ok: $want"; else echo "FAIL: want '$want', got '$got'"; fail=1; fi
}
out="$(bench_figures lat ms $(seq 20 -1 1))"
expect "lat_p50: 10 ms" "$(grep _p50 <<<"$out")"
expect "lat_p99: 20 ms" "$(grep _p99 <<<"$out")"
expect "lat_max: 20 ms" "$(grep _max <<<"$out")"
out="$(bench_figures x s 30 10 20)"
expect "x_p50: 20 s" "$(grep _p50 <<<"$out")"
expect "x_p99: 30 s" "$(grep _p99 <<<"$out")"
out="$(bench_figures y s 0.25 1.5)"
expect "y_p50: 0.25 s" "$(grep _p50 <<<"$out")"
exit $fail
