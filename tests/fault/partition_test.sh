#!/usr/bin/env bash
# A node partitioned from its peers and the API server. Three Services (three
# addresses); the node P answering for 192.168.1.240 is cut off at the IP layer: one
# policy-routing rule in P's namespace blackholes every route lookup but loopback's,
# so no IP packet enters or leaves it (heartbeats, the API server, the controller's
# channel), while Ethernet and ARP still flow: if P's speaker kept claiming, P would
# keep answering ARP, which the router would see.
# Per cycle (partitions of 3 s, 3 s and 25 s; the last outlasts two Lease renewal
# intervals, so the other side forgets P's Lease):
#  - P stops answering ARP for 192.168.1.240 within the bound lib/election/
#    membership.h documents for a node that reaches neither the API server nor a
#    majority of its peers: suspect_timeout + poll_interval = 310 ms after the
#    partition. The partition takes effect while `ip rule add` runs, between T0 (just
#    before) and T1 (just after), so P's last reply, as the router's kernel timestamped
#    it (lan_probe's capture, while arptool asks every 10 ms), must come at most
#    (T1 - T0) + 310 ms + TOLERANCE_MS after T0; TOLERANCE_MS is for the speaker to
#    act on its decision and be scheduled on a busy two-core machine;
#  - another node takes over within 1 s, and during the partition it alone answers,
#    while P's speaker reports itself fenced (metallb_speaker_claiming 0);
#  - after the partition heals, every speaker hears all three nodes and claims, and
#    for every address arping from the router (10 broadcast requests, 1 s apart) gets
#    exactly one reply per request, all from one MAC.
# Whether two MACs answered one request while the partition healed is printed too.
# shellcheck source=tests/fault/fault.sh
source "$(dirname "$0")/fault.sh" "${@:1:5}"
LB_PROBE="$(realpath "$6")"
BOUND_MS=310
TOLERANCE_MS=20
HOLDS=(3 3 25)
VIP=192.168.1.240

# Policy routing in every node: the local table's rule moves from priority 0 to 100,
# so that a rule before it can drop traffic to the node's own addresses too.
for node in "${LAN_NODES[@]}"; do
  ns="$(lan_ns "$node")"
  for family in -4 -6; do
    ip -n "$ns" "$family" rule add pref 100 lookup local
    ip -n "$ns" "$family" rule del pref 0 lookup local
  done
done

# partition NODE (IPv4, which carries the heartbeats, the API and the channel) and
# partition6 NODE (IPv6, for completeness) / heal NODE
partition() { ip -n "$(lan_ns "$1")" -4 rule add pref 5 not to 127.0.0.0/8 blackhole; }
partition6() { ip -n "$(lan_ns "$1")" -6 rule add pref 5 not to ::1/128 blackhole; }
heal() {
  ip -n "$(lan_ns "$1")" -4 rule del pref 5
  ip -n "$(lan_ns "$1")" -6 rule del pref 5
}

# start_trace NAME ADDRESS: lan_probe capturing the router's ARP frames from ADDRESS
# (kernel timestamps), and arptool asking for ADDRESS every 10 ms. Sets TRACE,
# TRACE_PIDS.
start_trace() {
  TRACE="$LAN_WORK/$1.trace"
  lan_spawn router "$TRACE" "$LB_PROBE" --interface eth0 --address "$2" --no-tcp
  TRACE_PIDS=("$LAN_PID")
  lan_spawn router "$LAN_WORK/$1.arptool.log" "$LB_ARPTOOL" probe -i eth0 -c 6000 -w 10 "$2"
  TRACE_PIDS+=("$LAN_PID")
}
stop_trace() {
  local pid
  for pid in "${TRACE_PIDS[@]}"; do lan_stop "$pid"; done
}

# overlaps TRACE: the number of replies that came within 3 ms of a reply from another
# MAC (both nodes answering one request).
overlaps() {
  # shellcheck disable=SC2016 # awk's own fields
  awk '$1 == "arp" && $3 == "reply" {
         if (prev_mac != "" && $4 != prev_mac && $2 - prev_t < 3000) n++
         prev_t = $2; prev_mac = $4 }
       END { print n + 0 }' "$1"
}

e2e_tutorial
e2e_service second || e2e_fail "creating Service second"
cluster_endpoints second "${LAN_NODES[@]}" || e2e_fail "second's EndpointSlice"
e2e_service third || e2e_fail "creating Service third"
cluster_endpoints third "${LAN_NODES[@]}" || e2e_fail "third's EndpointSlice"
lan_wait_for 20 cluster_has_ip second '192\.168\.1\.2[45][0-9]' || e2e_fail "second has no address"
lan_wait_for 20 cluster_has_ip third '192\.168\.1\.2[45][0-9]' || e2e_fail "third has no address"
ADDRESSES=("$VIP" "$(cluster_external_ips second)" "$(cluster_external_ips third)")
cluster_kube_proxy || e2e_fail "kube-proxy's addresses"
lan_wait_for 30 cluster_speakers_settled || e2e_fail "speakers not settled"
for ip in "${ADDRESSES[@]}"; do
  owner="$(wait_arp_owner "$ip")" || e2e_fail "exactly one node answering for $ip"
  pass "$ip answered by $owner"
done

cycle=0
for hold in "${HOLDS[@]}"; do
  cycle=$((cycle + 1))
  p="$(wait_arp_owner "$VIP")" || e2e_fail "cycle $cycle: exactly one node answering for $VIP"
  p_mac="$(lan_mac "$p")"
  start_trace "partition-$cycle" "$VIP"
  lan_wait_for 5 grep -q "^arp [0-9]* reply $p_mac " "$TRACE" || e2e_fail "cycle $cycle: $p does not answer"
  t0=${EPOCHREALTIME/./}
  partition "$p"
  t1=${EPOCHREALTIME/./}
  partition6 "$p"
  rule_ms=$(((t1 - t0) / 1000))
  # shellcheck disable=SC2016 # awk's own fields
  lan_wait_for 10 awk -v t0="$t0" -v m="$p_mac" '$1 == "arp" && $2 >= t0 && $4 != m {f = 1} END {exit !f}' "$TRACE" ||
    e2e_fail "cycle $cycle: no other node answered for $VIP within 10 s"
  # Keep asking until 1.5 s after T0, so a late reply from P would be seen.
  while ((${EPOCHREALTIME/./} < t0 + 1500000)); do sleep 0.1; done
  stop_trace
  # shellcheck disable=SC2016 # awk's own fields
  last_p="$(awk -v t0="$t0" -v m="$p_mac" '$1 == "arp" && $2 >= t0 && $4 == m {t = $2}
    END {if (t == "") print -1; else printf "%d", (t - t0) / 1000}' "$TRACE")"
  # shellcheck disable=SC2016
  read -r first_new new_mac < <(awk -v t0="$t0" -v m="$p_mac" '$1 == "arp" && $2 >= t0 && $4 != m {
    printf "%d %s\n", ($2 - t0) / 1000, $4; exit}' "$TRACE")
  new="$(lan_host_of_mac "$new_mac")"
  echo "cycle $cycle: partition of $p (the rule took $rule_ms ms): its last reply ${last_p} ms" \
    "after T0, $new's first frame ${first_new} ms after T0; $(overlaps "$TRACE") replies came" \
    "within 3 ms of another MAC's"
  ((last_p <= rule_ms + BOUND_MS + TOLERANCE_MS)) ||
    e2e_fail "cycle $cycle: $p answered $last_p ms after T0 (bound: $rule_ms + $BOUND_MS + $TOLERANCE_MS ms)"
  if [[ $new != node* ]] || [ "$new" = "$p" ]; then e2e_fail "cycle $cycle: new owner \"$new\""; fi
  ((first_new < 1000)) || e2e_fail "cycle $cycle: $new took over after $first_new ms"
  [ "$(cluster_speaker_metric "$p" metallb_speaker_claiming)" = 0 ] ||
    e2e_fail "cycle $cycle: $p's speaker does not report itself fenced"
  owner="$(arp_owner "$VIP")" || e2e_fail "cycle $cycle: not exactly one owner during the partition"
  [ "$owner" = "$new" ] || e2e_fail "cycle $cycle: $owner answers during the partition, not $new"
  pass "cycle $cycle: $p silent after $last_p ms, $new answers alone"

  # The rest of the hold, then heal while watching for double answers.
  while ((${EPOCHREALTIME/./} < t0 + hold * 1000000)); do sleep 0.2; done
  start_trace "heal-$cycle" "$VIP"
  lan_wait_for 5 grep -q "^arp [0-9]* reply $new_mac " "$TRACE" || e2e_fail "cycle $cycle: $new does not answer"
  heal "$p"
  lan_wait_for 60 cluster_speakers_settled || e2e_fail "cycle $cycle: speakers not settled after the heal"
  stop_trace
  echo "cycle $cycle: while healing, $(overlaps "$TRACE") replies came within 3 ms of another MAC's"
  for ip in "${ADDRESSES[@]}"; do
    wait_arp_owner "$ip" >/dev/null || e2e_fail "cycle $cycle: $ip after the heal"
  done
  owners="$(assert_one_owner 10 "${ADDRESSES[@]}")" ||
    e2e_fail "cycle $cycle: not exactly one owner per address after the heal"
  pass "cycle $cycle: after the heal, one node answered each of 10 arping requests: $(tr "\n" " " <<<"$owners")"
done
