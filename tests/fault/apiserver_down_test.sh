#!/usr/bin/env bash
# The API server stand-in down for DOWN_SECONDS (default 60; the first argument after
# e2e.sh's five, if given): it stops serving (connections closed, new ones refused,
# state kept), as an API server being restarted or upgraded does.
#  - during the outage the announced address keeps being answered, by the same single
#    node, and curl through it keeps reaching nginx (checked about every 2 s with a
#    flushed neighbour cache, so each check goes through the speaker's ARP reply);
#    every speaker keeps running;
#  - the controller may exit, only because it lost its Lease (it cannot renew it for
#    renew_deadline, 10 s, and a leader that cannot renew must stop acting); the test
#    restarts it then, as the kubelet does for its Deployment, and a controller started
#    during the outage waits for the API server;
#  - after it serves again, everything converges within 60 s of the return (a
#    controller takes the Lease again after lease_duration, 15 s; the API clients'
#    retry backoff is capped at 30 s, the speakers' channel backoff at 5 s): a Service
#    created right after the return gets an address, exactly one node answers for it
#    and curl reaches nginx through it; the old address is still answered by one node;
#    every speaker renews its Lease again, hears all three nodes, and has the
#    controller's state (both addresses).
# shellcheck source=tests/fault/fault.sh
source "$(dirname "$0")/fault.sh" "${@:1:5}"
DOWN_SECONDS="${6:-60}"

e2e_tutorial
fresh_curl http://192.168.1.240 | lan_contains "Welcome to nginx!" || e2e_fail "curl before the outage"
pass "before the outage: $OWNER answers for 192.168.1.240"

# kubelet_controller: the controller's Deployment; if the controller has exited, it is
# reaped and a new one started (logging to controller-N.log), without waiting for it:
# it cannot become active before the API server is back. The flags are those of
# cluster_start_controller.
CONTROLLER_RUNS=1
CONTROLLER_LOG="$LAN_WORK/controller.log"
kubelet_controller() {
  lan_alive "$CLUSTER_CONTROLLER_PID" && return 0
  lan_stop "$CLUSTER_CONTROLLER_PID"
  grep -q "lost the Lease" "$CONTROLLER_LOG" ||
    e2e_fail "the controller exited without losing its Lease: $(tail -n 3 "$CONTROLLER_LOG")"
  echo "the controller exited $(($(date +%s) - down_at)) s into the outage (it lost its Lease);" \
    "restarting it, as its Deployment would"
  CONTROLLER_RUNS=$((CONTROLLER_RUNS + 1))
  CONTROLLER_LOG="$LAN_WORK/controller-$CONTROLLER_RUNS.log"
  lan_spawn router "$CONTROLLER_LOG" "$LB_CONTROLLER" --kubeconfig "$CLUSTER_KUBECONFIG" \
    --port 7472 --channel-port 7473
  CLUSTER_CONTROLLER_PID=$LAN_PID
}

kill -USR1 "$CLUSTER_APISERVER_PID"
lan_wait_log "$LAN_WORK/apiserver.log" "stopped serving" 5 || e2e_fail "the API server did not stop"
down_at=$(date +%s)
if K get nodes --request-timeout=2s >/dev/null 2>&1; then
  e2e_fail "kubectl still reaches the API server"
fi
pass "API server down"

checks=0
while (($(date +%s) < down_at + DOWN_SECONDS)); do
  owner="$(arp_owner 192.168.1.240)" || e2e_fail "during the outage (check $checks): not exactly one node answers"
  [ "$owner" = "$OWNER" ] || e2e_fail "during the outage (check $checks): $owner answers, was $OWNER"
  fresh_curl http://192.168.1.240 | lan_contains "Welcome to nginx!" ||
    e2e_fail "during the outage (check $checks): curl through 192.168.1.240"
  kubelet_controller
  for node in "${LAN_NODES[@]}"; do
    lan_alive "${CLUSTER_SPEAKER_PID[$node]}" || e2e_fail "the speaker on $node exited during the outage"
  done
  checks=$((checks + 1))
  sleep 1 # pacing: each round already takes about a second
done
pass "for ${DOWN_SECONDS} s without the API server, $OWNER alone answered for 192.168.1.240 and curl worked ($checks checks)"
kubelet_controller

kill -USR2 "$CLUSTER_APISERVER_PID"
lan_wait_log "$LAN_WORK/apiserver.log" "serving again" 5 || e2e_fail "the API server did not serve again"
up_at=$(lan_now_ms)
K get nodes >/dev/null || e2e_fail "kubectl after the return"
# A user creates a Service as soon as the API server is back.
e2e_service after || e2e_fail "creating Service after"
cluster_endpoints after "${LAN_NODES[@]}" || e2e_fail "creating after's EndpointSlice"
created_ms=$(($(lan_now_ms) - up_at))
controller_active() {
  kubelet_controller
  grep -q "controller serving the channel" "$CONTROLLER_LOG"
}
lan_wait_for 60 controller_active || e2e_fail "no controller became active within 60 s of the return"
active_ms=$(($(lan_now_ms) - up_at))
lan_wait_for 60 cluster_has_ip after '192\.168\.1\.(24[1-9]|25[0-5])' ||
  e2e_fail "Service after has EXTERNAL-IP \"$(cluster_external_ips after)\" 60 s after the return"
ip="$(cluster_external_ips after)"
assigned_ms=$(($(lan_now_ms) - up_at))
cluster_kube_proxy || e2e_fail "kube-proxy's addresses"
# channel_state: what the speakers have of the controller's state, for a failure.
channel_state() {
  local node
  for node in "${LAN_NODES[@]}"; do
    echo "$node: channel_connected=$(cluster_speaker_metric "$node" metallb_speaker_channel_connected)," \
      "last state: $(grep -h "Start config update" "$LAN_WORK/speaker-$node.log" | tail -n 1 | sed 's/.*(//')"
  done
  lan_exec router ss -tn state established '( sport = :7473 )'
}
remaining=$((60 - ($(lan_now_ms) - up_at) / 1000))
new_owner="$(wait_arp_owner "$ip" $((remaining > 5 ? remaining : 5)))" || {
  channel_state
  e2e_fail "exactly one node answering for $ip (Service after) within 60 s of the return"
}
answered_ms=$(($(lan_now_ms) - up_at))
fresh_curl "http://$ip" | lan_contains "Welcome to nginx!" || e2e_fail "curl through $ip"
pass "after the return: Service after created at $created_ms ms, a controller active at" \
  "$active_ms ms ($CONTROLLER_RUNS runs in all), $ip in its status by $assigned_ms ms," \
  "answered by $new_owner by $answered_ms ms; curl reaches nginx"

owner="$(wait_arp_owner 192.168.1.240)" || e2e_fail "192.168.1.240 after the return"
pass "192.168.1.240 still answered by one node ($owner)"

# Every speaker renews its Lease again (every 10 s).
lease_renewed_since() {
  local node=$1 since_ms=$2 renew
  renew="$(K get lease -n metallb-system "speaker-$node" -o jsonpath='{.spec.renewTime}')" || return 1
  [ -n "$renew" ] || return 1
  (($(date -d "$renew" +%s%3N) >= since_ms))
}
for node in "${LAN_NODES[@]}"; do
  lan_wait_for 30 lease_renewed_since "$node" "$up_at" ||
    e2e_fail "the speaker on $node did not renew its Lease after the return"
done
lan_wait_for 30 cluster_speakers_settled || e2e_fail "speakers not settled after the return"
pass "every speaker renewed its Lease and hears all three nodes"

# Every speaker has the controller's current state: both addresses (a speaker that
# misses it would not take over 192.168.1.241 if its owner failed).
speaker_addresses() {
  grep -h "Start config update" "$LAN_WORK/speaker-$1.log" | tail -n 1 |
    sed -n 's/.*, \([0-9]*\) addresses)$/\1/p'
}
speaker_has_state() { [ "$(speaker_addresses "$1")" = 2 ]; }
for node in "${LAN_NODES[@]}"; do
  remaining=$((60 - ($(lan_now_ms) - up_at) / 1000))
  lan_wait_for $((remaining > 1 ? remaining : 1)) speaker_has_state "$node" || {
    channel_state
    e2e_fail "the speaker on $node does not have the controller's state (2 addresses) 60 s after the return"
  }
done
pass "every speaker has the controller's state (2 addresses) $(($(lan_now_ms) - up_at)) ms after the return"
