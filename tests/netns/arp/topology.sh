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

# wait_for SECONDS COMMAND...: runs COMMAND every 50 ms until it succeeds
# (returns 0) or SECONDS (may be fractional) have passed (returns 1).
wait_for() {
  local limit_ms now
  # Milliseconds: some awks print %d as a 32-bit integer.
  limit_ms=$(awk -v s="$1" 'BEGIN { printf "%d", s * 1000 }')
  shift
  local deadline=$(($(date +%s%N) + limit_ms * 1000000))
  while true; do
    "$@" && return 0
    now=$(date +%s%N)
    ((now >= deadline)) && return 1
    sleep 0.05
  done
}

# start_capture NAMESPACE PCAP FILTER: tcpdump on eth0 into PCAP; returns
# once tcpdump is capturing. Each packet is in PCAP as soon as it is
# captured (immediate mode: libpcap would otherwise hand packets over in
# blocks up to a second late, and lose them when stopped). Its pid is in
# CAP_PID (stop it with stop_pid).
start_capture() {
  local ns=$1 pcap=$2 filter=$3
  ip netns exec "$ns" tcpdump --immediate-mode -U -n -i eth0 -w "$pcap" "$filter" \
    2>"$pcap.log" &
  CAP_PID=$!
  BG_PIDS+=("$CAP_PID")
  wait_for 10 grep -q "listening on" "$pcap.log" || {
    cat "$pcap.log" >&2
    fail "tcpdump did not start in $ns"
  }
}

# pcap_count PCAP FILTER: how many captured packets match FILTER.
pcap_count() { tcpdump -n -r "$1" "$2" 2>/dev/null | wc -l; }

# pcap_count_at_least N PCAP FILTER: whether at least N packets match.
pcap_count_at_least() { (($(pcap_count "$2" "$3") >= $1)); }

# exited PID: whether the background process PID has ended.
exited() { ! kill -0 "$1" 2>/dev/null; }

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
