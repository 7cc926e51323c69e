# tests/netns/arp/topology.sh: a LAN made of network namespaces, sourced by
# the tests here. A "lan" namespace holds bridge br0; a client namespace and
# node namespaces each get eth0 on it (10.77.0.0/24, fd77::/64). Nothing is
# routed anywhere else. Every name carries a unique prefix, and teardown runs
# on every exit path (EXIT trap, including failures and signals).

set -u
export PATH="/usr/sbin:/sbin:/usr/bin:/bin:${PATH:-}"

ARPTOOL="$(realpath "${1:?usage: $0 path/to/arptool}")"

NS_PREFIX="lbarp$$r${RANDOM}"
NS_LAN="${NS_PREFIX}-lan"
NS_CLIENT="${NS_PREFIX}-client"
NS_CREATED=()
BG_PIDS=()

teardown() {
  local pid ns
  for pid in "${BG_PIDS[@]+"${BG_PIDS[@]}"}"; do
    kill "$pid" 2>/dev/null
  done
  for pid in "${BG_PIDS[@]+"${BG_PIDS[@]}"}"; do
    wait "$pid" 2>/dev/null
  done
  for ns in "${NS_CREATED[@]+"${NS_CREATED[@]}"}"; do
    ip netns del "$ns" 2>/dev/null
  done
  NS_CREATED=()
}
trap teardown EXIT
trap 'exit 130' INT TERM

node_ns() { echo "${NS_PREFIX}-n$1"; }

# add_host NAMESPACE HOSTNUM: veth into the bridge, eth0 = 10.77.0.HOSTNUM.
add_host() {
  local ns=$1 n=$2
  ip netns add "$ns" && NS_CREATED+=("$ns")
  ip link add "v$n" netns "$ns" type veth peer name "p$n" netns "$NS_LAN"
  ip -n "$ns" link set "v$n" name eth0
  ip -n "$NS_LAN" link set "p$n" master br0 up
  ip -n "$ns" link set lo up
  ip -n "$ns" addr add "10.77.0.$n/24" dev eth0
  ip -n "$ns" addr add "fd77::$n/64" dev eth0 nodad
  ip -n "$ns" link set eth0 up
}

# setup_lan NODES: client = .1, nodes = .11, .12, ...
setup_lan() {
  local nodes=$1 i
  ip netns add "$NS_LAN" && NS_CREATED+=("$NS_LAN")
  ip -n "$NS_LAN" link add br0 type bridge
  ip -n "$NS_LAN" link set br0 type bridge forward_delay 0
  ip -n "$NS_LAN" link set br0 up
  add_host "$NS_CLIENT" 1
  for i in $(seq 1 "$nodes"); do
    add_host "$(node_ns "$i")" $((10 + i))
  done
  # Let link-local addresses finish DAD.
  for i in $(seq 1 50); do
    if ! ip -n "$NS_CLIENT" -6 addr show dev eth0 | grep -q tentative; then
      break
    fi
    sleep 0.1
  done
}

mac_of() { ip -n "$1" -br link show dev eth0 | awk '{print $3}'; }

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

pass() { echo "ok: $*"; }

# start_arptool NAMESPACE LOGFILE ARGS...: runs `arptool announce` in the
# background; its pid is in LAST_PID.
start_arptool() {
  local ns=$1 log=$2
  shift 2
  ip netns exec "$ns" "$ARPTOOL" announce "$@" >"$log.out" 2>"$log" &
  LAST_PID=$!
  BG_PIDS+=("$LAST_PID")
  local i
  for i in $(seq 1 50); do
    grep -q "^owning" "$log" 2>/dev/null && return 0
    sleep 0.1
  done
  cat "$log" >&2
  fail "arptool did not start in $ns"
}

stop_pid() {
  kill -TERM "$1" 2>/dev/null
  wait "$1" 2>/dev/null
}
