# shellcheck shell=bash disable=SC2034
# tests/e2e/lan.sh: a LAN of network namespaces for the end-to-end tests and the
# tutorial replay. Source it (bash), then call lan_up.
#
#   source tests/e2e/lan.sh
#   lan_up                                   # needs root
#   lan_spawn node1 "$LAN_WORK/x.log" some-daemon --flag
#   lan_wait_log "$LAN_WORK/x.log" "ready" 10 || lan_fail "some-daemon did not start"
#   lan_exec router arping -c 1 -I eth0 192.168.1.11
#
# Topology (every name carries the per-run prefix $LAN_PREFIX, "lb<pid>r<random>-"):
#   <prefix>br       bridge br0 (no STP, no forward delay, no multicast snooping);
#                    IPv6 is off in this namespace so the bridge itself says nothing
#   <prefix>router   eth0 192.168.1.1/24, fd00:1::1/64
#   <prefix>node1..3 eth0 192.168.1.11..13/24, fd00:1::11..13/64
# Each eth0 is one end of a veth pair whose other end (named after the host) is a
# port of br0. lo is up everywhere. No default route exists: nothing leaves the LAN.
# IPv6 duplicate address detection is off in the host namespaces, so every address
# (link-local ones too) is usable as soon as it is added.
#
# Contract: everything this file creates lives in namespaces it created itself. Every
# background process started through lan_spawn, every process left in those namespaces
# and every namespace are removed by lan_cleanup, which runs on EXIT, INT and TERM
# (INT and TERM then exit 130/143). Callers add their own cleanup with lan_on_cleanup.
# $LAN_WORK is a per-run directory (under $TEST_TMPDIR when set) for logs and
# configs; it is deleted on exit unless LAN_KEEP_WORK=1.

export PATH="/usr/sbin:/sbin:/usr/bin:/bin:${PATH:-}"

LAN_PREFIX="lb$$r${RANDOM}-"
LAN_HOSTS=(router node1 node2 node3)
LAN_NODES=(node1 node2 node3)
LAN_WORK=""
LAN_PIDS=()        # background processes started by lan_spawn, still running
LAN_NAMESPACES=()  # namespaces created, in creation order
LAN_CLEANUPS=()    # caller hooks, run first, in registration order
LAN_PID=""         # pid of the last lan_spawn
LAN_CLEANED=0

# --- addresses -------------------------------------------------------------------

# lan_ip4 HOST / lan_ip6 HOST: the host's address on the LAN (no prefix length).
lan_ip4() {
  case "$1" in
    router) echo 192.168.1.1 ;;
    node[0-9]) echo "192.168.1.$((10 + ${1#node}))" ;;
    *) return 1 ;;
  esac
}
lan_ip6() {
  case "$1" in
    router) echo fd00:1::1 ;;
    node[0-9]) echo "fd00:1::$((10 + ${1#node}))" ;;
    *) return 1 ;;
  esac
}

# lan_ns HOST: the namespace name of a host (router, node1, ..., or br).
lan_ns() { echo "${LAN_PREFIX}$1"; }

# lan_mac HOST: the MAC address of the host's eth0, lower case.
lan_mac() {
  ip -n "$(lan_ns "$1")" -o link show dev eth0 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p'
}

# lan_host_of_mac MAC: the host whose eth0 has MAC (case-insensitive), or "unknown".
lan_host_of_mac() {
  local want host
  want="$(tr 'A-F' 'a-f' <<<"$1")"
  for host in "${LAN_HOSTS[@]}"; do
    if [ "$(lan_mac "$host")" = "$want" ]; then
      echo "$host"
      return 0
    fi
  done
  echo unknown
}

# --- building and tearing down ------------------------------------------------------

# lan_new_ns NAME: creates namespace <prefix>NAME and records it for cleanup.
lan_new_ns() {
  local ns
  ns="$(lan_ns "$1")"
  ip netns add "$ns"
  LAN_NAMESPACES+=("$ns")
}

# lan_add_host HOST: namespace HOST with eth0 on the bridge and its addresses.
lan_add_host() {
  local host=$1 ns br
  ns="$(lan_ns "$host")"
  br="$(lan_ns br)"
  lan_new_ns "$host"
  # Before any interface exists, so that eth0 and its link-local address inherit it.
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
    net.ipv6.conf.default.accept_dad=0
  ip -n "$br" link add "$host" type veth peer name eth0 netns "$ns"
  ip -n "$br" link set "$host" master br0 up
  ip -n "$ns" link set lo up
  ip -n "$ns" addr add "$(lan_ip4 "$host")/24" dev eth0
  ip -n "$ns" addr add "$(lan_ip6 "$host")/64" dev eth0 nodad
  ip -n "$ns" link set eth0 up
}

# lan_up: builds the LAN described above and registers the cleanup traps.
# Fails (non-zero) if not root or if any step fails; whatever was created is still
# removed on exit.
lan_up() {
  if [ "$(id -u)" != 0 ]; then
    echo "lan_up: network namespaces need root" >&2
    return 1
  fi
  trap lan_cleanup EXIT
  trap '(exit 130); lan_cleanup; exit 130' INT
  trap '(exit 143); lan_cleanup; exit 143' TERM
  LAN_WORK="$(mktemp -d "${TEST_TMPDIR:-/tmp}/${LAN_PREFIX}XXXXXX")"
  local br host
  br="$(lan_ns br)"
  lan_new_ns br
  ip netns exec "$br" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 \
    net.ipv6.conf.default.disable_ipv6=1
  ip -n "$br" link add br0 type bridge forward_delay 0 stp_state 0 mcast_snooping 0
  ip -n "$br" link set br0 up
  for host in "${LAN_HOSTS[@]}"; do
    lan_add_host "$host"
  done
  # The veth ends come up asynchronously: wait until every eth0 has carrier.
  lan_wait_for 10 lan_all_up || {
    echo "lan_up: interfaces did not come up" >&2
    return 1
  }
}

lan_all_up() {
  local host
  for host in "${LAN_HOSTS[@]}"; do
    ip -n "$(lan_ns "$host")" -o link show dev eth0 | lan_contains "state UP" || return 1
  done
}

# lan_on_cleanup COMMAND...: runs COMMAND (as one eval'd string) during cleanup,
# before the processes and namespaces go. Hooks run in the order registered and see
# the exit status that started the cleanup in $LAN_EXIT_STATUS.
lan_on_cleanup() { LAN_CLEANUPS+=("$*"); }

# lan_cleanup: idempotent; kills every process started, deletes every namespace.
LAN_EXIT_STATUS=0
lan_cleanup() {
  LAN_EXIT_STATUS=$?
  [ "$LAN_CLEANED" = 1 ] && return 0
  LAN_CLEANED=1
  set +e
  local i pid ns
  for ((i = 0; i < ${#LAN_CLEANUPS[@]}; i++)); do
    eval "${LAN_CLEANUPS[i]}"
  done
  for pid in "${LAN_PIDS[@]+"${LAN_PIDS[@]}"}"; do
    kill -TERM "$pid" 2>/dev/null
  done
  # Up to 3 s for a graceful exit, then SIGKILL.
  for _ in $(seq 30); do
    local alive=0
    for pid in "${LAN_PIDS[@]+"${LAN_PIDS[@]}"}"; do
      kill -0 "$pid" 2>/dev/null && alive=1
    done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for pid in "${LAN_PIDS[@]+"${LAN_PIDS[@]}"}"; do
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  LAN_PIDS=()
  # Anything else still running inside our namespaces (e.g. nginx workers).
  for ns in "${LAN_NAMESPACES[@]+"${LAN_NAMESPACES[@]}"}"; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do
      kill -KILL "$pid" 2>/dev/null
    done
  done
  for ((i = ${#LAN_NAMESPACES[@]} - 1; i >= 0; i--)); do
    ip netns del "${LAN_NAMESPACES[i]}" 2>/dev/null
  done
  LAN_NAMESPACES=()
  if [ -n "$LAN_WORK" ] && [ "${LAN_KEEP_WORK:-0}" != 1 ]; then
    rm -rf "$LAN_WORK"
  fi
}

# --- processes ------------------------------------------------------------------------

# lan_exec HOST COMMAND...: runs COMMAND in the host's namespace, in the foreground.
lan_exec() {
  local host=$1
  shift
  ip netns exec "$(lan_ns "$host")" "$@"
}

# lan_spawn HOST LOGFILE COMMAND...: starts COMMAND in the background in the host's
# namespace with stdout and stderr appended to LOGFILE. Its pid (the command's own:
# `ip netns exec` execs it) is in $LAN_PID; cleanup stops it.
lan_spawn() {
  local host=$1 log=$2
  shift 2
  ip netns exec "$(lan_ns "$host")" "$@" >>"$log" 2>&1 </dev/null &
  LAN_PID=$!
  LAN_PIDS+=("$LAN_PID")
}

# lan_stop PID [SIGNAL]: sends SIGNAL (default TERM) and reaps the process. With TERM
# it escalates to KILL after 5 s. The pid leaves the cleanup list.
lan_stop() {
  local pid=$1 sig=${2:-TERM} p keep=()
  kill -"$sig" "$pid" 2>/dev/null || true
  if [ "$sig" = TERM ] || [ "$sig" = INT ]; then
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
  for p in "${LAN_PIDS[@]+"${LAN_PIDS[@]}"}"; do
    [ "$p" = "$pid" ] || keep+=("$p")
  done
  LAN_PIDS=("${keep[@]+"${keep[@]}"}")
}

# lan_alive PID: whether the process still runs.
lan_alive() { kill -0 "$1" 2>/dev/null; }

# --- waiting --------------------------------------------------------------------------

# lan_wait_for SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds (0) or
# SECONDS pass (1). COMMAND's output is discarded.
lan_wait_for() {
  local seconds=$1 deadline
  shift
  deadline=$(($(date +%s%N) + seconds * 1000000000))
  while true; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    [ "$(date +%s%N)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}

# lan_wait_output SECONDS STRING COMMAND...: polls until COMMAND's output (stdout and
# stderr) contains STRING (fixed string).
lan_wait_output() {
  local seconds=$1 want=$2
  shift 2
  lan_wait_for "$seconds" lan_output_has "$want" "$@"
}
lan_output_has() {
  local want=$1
  shift
  "$@" 2>&1 | lan_contains "$want"
}

# lan_contains STRING: whether standard input, read to its end, contains STRING.
# (Unlike `grep -q`, which stops reading early; under pipefail the writer's
# SIGPIPE would then fail the pipeline.)
lan_contains() {
  local input
  input="$(cat)"
  [[ $input == *"$1"* ]]
}

# lan_wait_log FILE STRING SECONDS: waits until FILE contains STRING (fixed string).
lan_wait_log() { lan_wait_for "$3" grep -qF -- "$2" "$1"; }

# lan_count_log FILE STRING: number of lines of FILE containing STRING.
lan_count_log() { grep -cF -- "$2" "$1" 2>/dev/null || true; }

# --- reporting ------------------------------------------------------------------------

# lan_now_ms: wall-clock milliseconds.
lan_now_ms() { echo $(($(date +%s%N) / 1000000)); }

lan_fail() {
  echo "FAIL: $*" >&2
  exit 1
}
