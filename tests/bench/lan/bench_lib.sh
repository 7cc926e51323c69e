# shellcheck shell=bash disable=SC2034
# tests/bench/lan/bench_lib.sh: shared by the LAN benchmarks (sh_binary targets in this
# package). A benchmark sources it after `set -euo pipefail` with BENCH_RUNFILES set to
# its runfiles root (the directory holding tests/, cmd/, ...):
#
#   BENCH_RUNFILES="${RUNFILES_DIR:-$0.runfiles}/lb"
#   source "$BENCH_RUNFILES/tests/bench/lan/bench_lib.sh"
#   bench_lan_up                     # root check, LAN, copies of the binaries
#   cluster_up || bench_fail "starting the cluster"
#
# It sources the end-to-end harness (tests/e2e/lan.sh and cluster.sh), so every
# namespace and process is removed on exit, failure and Ctrl-C, and sets LB_APISERVER,
# LB_CONTROLLER, LB_SPEAKER, LB_ARPTOOL, LB_MANIFESTS and LB_BENCH_BIN (copies of the
# binaries in $LAN_WORK/bin, so a rebuild during the run cannot swap one under it).
#
# Output contract of a benchmark: on stdout, first a comment line ("# ...") naming the
# command that reproduces the figures, then one `name: value unit` line per figure;
# progress and per-sample details go to stderr.

BENCH_E2E="$BENCH_RUNFILES/tests/e2e"
# shellcheck source=tests/e2e/lan.sh
source "$BENCH_E2E/lan.sh"
# shellcheck source=tests/e2e/cluster.sh
source "$BENCH_E2E/cluster.sh"
# shellcheck source=tests/bench/percentile.sh
source "$BENCH_RUNFILES/tests/bench/percentile.sh"

bench_fail() {
  echo "FAIL: $*" >&2
  exit 1
}

bench_log() { echo "$*" >&2; }

# bench_dump_logs: on a failed run, the tail of every log (a cleanup hook).
bench_dump_logs() {
  [ "$LAN_EXIT_STATUS" = 0 ] && return 0
  [ "$LAN_EXIT_STATUS" = 130 ] && return 0
  local f
  for f in "$LAN_WORK"/*.log; do
    [ -s "$f" ] || continue
    echo "--- ${f#"$LAN_WORK"/} (last 20 lines)" >&2
    tail -n 20 "$f" >&2
  done
}

# bench_lan_up: the LAN (lan_up) and copies of the daemons, arptool and the
# benchmark's own binaries (BINARY... relative to the runfiles root) in $LAN_WORK/bin.
bench_lan_up() {
  [ "$(id -u)" = 0 ] || bench_fail "network namespaces need root"
  lan_up || bench_fail "building the LAN"
  lan_on_cleanup bench_dump_logs
  LB_BENCH_BIN="$LAN_WORK/bin"
  mkdir -p "$LB_BENCH_BIN"
  local f
  for f in lib/k8s/testing/apiserver cmd/controller/controller cmd/speaker/speaker \
    examples/arptool/arptool "$@"; do
    cp "$BENCH_RUNFILES/$f" "$LB_BENCH_BIN/" || bench_fail "missing $f in the runfiles"
  done
  LB_APISERVER="$LB_BENCH_BIN/apiserver"
  LB_CONTROLLER="$LB_BENCH_BIN/controller"
  LB_SPEAKER="$LB_BENCH_BIN/speaker"
  LB_ARPTOOL="$LB_BENCH_BIN/arptool"
  LB_MANIFESTS="$BENCH_RUNFILES/manifests"
}

# bench_machine: a comment line describing the machine.
bench_machine() {
  echo "# machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(uname -r)"
}


