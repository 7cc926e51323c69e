#!/usr/bin/env bash
# Failover as a client on the LAN sees it. On the tutorial's cluster (nginx Service at
# 192.168.1.240, served by nginx on every node), the node announcing the address loses
# it in one of three ways, FAILOVER_REPS times each (default 20):
#   sigkill   its speaker is killed with SIGKILL (the node's nginx keeps serving);
#   linkdown  the node is cut off: its port on the bridge is taken down;
#   sigterm   its speaker is stopped with SIGTERM (a graceful hand-over).
# The client is the router namespace, which sends no ARP of its own during the
# measurement: lan_probe watches its kernel's neighbour entry for the address
# (netlink), captures the ARP frames it receives, and opens a TCP connection to
# 192.168.1.240:80 every 5 ms (nginx names the node that served it). From T0, the
# moment just before the signal or the link change:
#   neigh  the client's neighbour entry first holds another node's MAC;
#   tcp    a connection started after T0 is first established and served by another
#          node (its handshake time);
#   arp    (diagnostic) the first ARP frame from another node for the address.
# A repetition with no takeover within 10 s counts as 10000 ms. Between repetitions
# the node is restored and the cluster left to settle (every speaker hears three
# nodes and claims, one node answers ARP, the client's entry holds its MAC).
# Prints p50/p99/max per case and figure. Targets: p99 < 500 ms for sigkill and
# linkdown, < 50 ms for sigterm.
#
# Run: bazel run -c opt //tests/bench/lan:failover_bench  (as root), or
#      bash tests/bench/run.sh lan:failover_bench
# Needs root; every namespace and process it creates is removed on exit.
set -euo pipefail

BENCH_RUNFILES="${RUNFILES_DIR:-$0.runfiles}/lb"
# shellcheck source=tests/bench/lan/bench_lib.sh
source "$BENCH_RUNFILES/tests/bench/lan/bench_lib.sh"

REPS="${FAILOVER_REPS:-20}"
read -ra CASES <<<"${FAILOVER_CASES:-sigkill linkdown sigterm}"
VIP=192.168.1.240
TIMEOUT_MS=10000

bench_lan_up tests/bench/lan/lan_probe
LB_PROBE="$LB_BENCH_BIN/lan_probe"

echo "# FAILOVER_REPS=$REPS FAILOVER_CASES=\"${CASES[*]}\" bazel run -c opt //tests/bench/lan:failover_bench"
bench_machine

bench_log "setting up the tutorial's cluster"
cluster_up || bench_fail "starting the cluster"
kapply "$LB_MANIFESTS/tutorial-2.yaml" >/dev/null || bench_fail "kubectl apply tutorial-2.yaml"
cluster_endpoints nginx "${LAN_NODES[@]}" || bench_fail "creating the EndpointSlice"
cluster_wait_external_ip nginx "$VIP" || bench_fail "nginx has no EXTERNAL-IP $VIP"
cluster_kube_proxy || bench_fail "kube-proxy's addresses"

# settle: waits until the cluster is steady and sets OWNER, the node answering for
# VIP, with the client's neighbour entry holding its MAC. Fails after 30 s.
settle() {
  lan_wait_for 30 cluster_speakers_settled || {
    bench_log "speakers not settled"
    return 1
  }
  local a b deadline
  deadline=$(($(date +%s) + 30))
  while true; do
    # The same single owner twice in a row (each check takes 0.6 s).
    if a="$(wait_arp_owner "$VIP" 10)" && b="$(arp_owner "$VIP" 2>/dev/null)" && [ "$a" = "$b" ]; then
      break
    fi
    [ "$(date +%s)" -lt "$deadline" ] || {
      bench_log "no steady owner for $VIP"
      return 1
    }
  done
  OWNER=$a
  if ! lan_wait_output 3 "$(lan_mac "$OWNER")" lan_exec router ip neigh show "$VIP"; then
    # The entry moves on the owner's gratuitous ARP; if it did not, resolve afresh.
    fresh_curl "http://$VIP" -o /dev/null || return 1
    lan_wait_output 3 "$(lan_mac "$OWNER")" lan_exec router ip neigh show "$VIP" || {
      bench_log "the client's neighbour entry does not hold $OWNER's MAC"
      return 1
    }
  fi
}

# act CASE NODE: takes NODE's announcement away as CASE says. The caller reads T0
# just before. (A killed speaker is reaped at once, quietly: the trace's timestamps,
# not this shell's pace, make the measurement.)
act() {
  case "$1" in
    sigkill)
      kill -KILL "${CLUSTER_SPEAKER_PID[$2]}"
      { wait "${CLUSTER_SPEAKER_PID[$2]}"; } 2>/dev/null || true
      ;;
    sigterm) kill -TERM "${CLUSTER_SPEAKER_PID[$2]}" ;;
    linkdown) ip -n "$(lan_ns br)" link set "$2" down ;;
  esac
}

# restore CASE NODE: undoes act (reaps the old speaker and starts a new one, or
# brings the link back).
restore() {
  case "$1" in
    sigkill | sigterm)
      cluster_stop_speaker "$2" TERM # reaps it; a graceful exit may still be running
      cluster_start_speaker "$2" || return 1
      ;;
    linkdown)
      ip -n "$(lan_ns br)" link set "$2" up
      lan_wait_for 10 lan_output_has "state UP" ip -n "$(lan_ns "$2")" -o link show dev eth0
      ;;
  esac
}

# trace_done TRACE T0 OLD_MAC OLD_NODE: whether TRACE shows, after T0, both the
# neighbour entry on another MAC and a connection served by another node.
trace_done() {
  # shellcheck disable=SC2016 # awk's own fields
  awk -v t0="$2" -v om="$3" -v on="$4" '
    $1 == "neigh" && $2 >= t0 && $3 != "-" && $3 != om { n = 1 }
    $1 == "tcp" && $2 >= t0 && $5 == "ok" && $6 != "-" && $6 != on { c = 1 }
    END { exit !(n && c) }' "$1"
}

# trace_ms TRACE T0 OLD_MAC OLD_NODE KIND: milliseconds from T0 to the first event of
# KIND (neigh, tcp, arp; as described at the top) in TRACE, or TIMEOUT_MS.
trace_ms() {
  # shellcheck disable=SC2016 # awk's own fields
  awk -v t0="$2" -v om="$3" -v on="$4" -v kind="$5" -v none="$TIMEOUT_MS" '
    kind == "neigh" && $1 == "neigh" && $2 >= t0 && $3 != "-" && $3 != om { t = $2; exit }
    kind == "tcp" && $1 == "tcp" && $2 >= t0 && $5 == "ok" && $6 != "-" && $6 != on { t = $3; exit }
    kind == "arp" && $1 == "arp" && $2 >= t0 && $4 != om { t = $2; exit }
    END { if (t == "") print none; else printf "%.1f\n", (t - t0) / 1000 }' "$1"
}

declare -A NEIGH TCP ARP
for case in "${CASES[@]}"; do
  NEIGH[$case]=""
  TCP[$case]=""
  ARP[$case]=""
  for rep in $(seq "$REPS"); do
    settle || bench_fail "$case #$rep: the cluster did not settle"
    old=$OWNER
    old_mac="$(lan_mac "$old")"
    trace="$LAN_WORK/probe-$case-$rep.trace"
    lan_spawn router "$trace" "$LB_PROBE" --interface eth0 --address "$VIP" \
      --tcp-every-ms 5 --tcp-timeout-ms 300
    probe=$LAN_PID
    # Measure from a working path: a connection served by the owner.
    lan_wait_for 5 grep -q " ok $old\$" "$trace" || bench_fail "$case #$rep: no connection via $old"
    t0=${EPOCHREALTIME/./}
    act "$case" "$old"
    lan_wait_for $((TIMEOUT_MS / 1000)) trace_done "$trace" "$t0" "$old_mac" "$old" || true
    lan_stop "$probe"
    n="$(trace_ms "$trace" "$t0" "$old_mac" "$old" neigh)"
    c="$(trace_ms "$trace" "$t0" "$old_mac" "$old" tcp)"
    a="$(trace_ms "$trace" "$t0" "$old_mac" "$old" arp)"
    new="$(awk -v t0="$t0" -v on="$old" '$1 == "tcp" && $2 >= t0 && $5 == "ok" && $6 != on {print $6; exit}' "$trace")"
    NEIGH[$case]+=" $n"
    TCP[$case]+=" $c"
    ARP[$case]+=" $a"
    bench_log "$case #$rep: $old -> ${new:-nobody}: neigh $n ms, tcp $c ms, first arp $a ms"
    restore "$case" "$old" || bench_fail "$case #$rep: restoring $old"
  done
  # shellcheck disable=SC2086 # one value a word
  {
    bench_figures "failover_${case}_client_neigh" ms ${NEIGH[$case]}
    bench_figures "failover_${case}_client_tcp" ms ${TCP[$case]}
    bench_figures "failover_${case}_first_arp" ms ${ARP[$case]}
  }
done
