#!/usr/bin/env bash
# A forged peer is refused. Its credentials come from another CA (a controller for
# another namespace creates them): the controller's channel refuses its client
# certificate, so it never receives state, and the real speakers drop its
# heartbeats as unauthenticated. 192.168.1.240 stays on its owner alone.
# shellcheck source=tests/e2e/e2e.sh
source "$(dirname "$0")/e2e.sh" "$@"

e2e_tutorial
# Credentials from another CA: Secret forged/metallb-channel.
printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: forged\n' | kapply - >/dev/null ||
  e2e_fail "creating namespace forged"
lan_spawn router "$LAN_WORK/forger.log" "$LB_CONTROLLER" --kubeconfig "$CLUSTER_KUBECONFIG" \
  --namespace forged --port 7482 --channel-port 7483 --leader-elect=false
forger=$LAN_PID
lan_wait_output 20 metallb-channel K get secret -n forged ||
  e2e_fail "no Secret forged/metallb-channel"
lan_stop "$forger" TERM

# The forged speaker, in the router, with the real controller's address.
unauth() {
  lan_exec "$1" curl -sf -m 1 http://127.0.0.1:7472/metrics |
    awk '/^metallb_speaker_heartbeats_unauthenticated_total / {print $2}'
}
lan_spawn router "$LAN_WORK/forged-speaker.log" "$LB_SPEAKER" --kubeconfig "$CLUSTER_KUBECONFIG" \
  --namespace forged --node-name intruder --node-ip 192.168.1.1 --controller 192.168.1.1:7473 \
  --port 7492 --heartbeat-port 7946
forged=$LAN_PID
forged_heard() {
  local node
  for node in "${LAN_NODES[@]}"; do
    [ "$(unauth "$node")" -gt 0 ] 2>/dev/null || return 1
  done
}
lan_wait_for 20 forged_heard ||
  e2e_fail "not every speaker dropped unauthenticated heartbeats: node1=$(unauth node1) node2=$(unauth node2) node3=$(unauth node3)"
pass "every speaker drops the forged heartbeats (node1 $(unauth node1), node2 $(unauth node2), node3 $(unauth node3))"

lan_alive "$forged" || e2e_fail "the forged speaker exited: $(tail -n 3 "$LAN_WORK/forged-speaker.log")"
connected="$(lan_exec router curl -sf -m 1 http://127.0.0.1:7492/metrics |
  awk '/^metallb_speaker_channel_connected / {print $2}')"
[ "$connected" = 0 ] || e2e_fail "the forged speaker's channel is connected ($connected)"
# A speaker with the real credentials is ready within about a second (every test's
# start-up waits for that); give the forged one five.
forged_ready() { lan_exec router curl -sf -m 1 -o /dev/null http://127.0.0.1:7492/readyz; }
if lan_wait_for 5 forged_ready; then
  e2e_fail "the forged speaker got state from the controller (readyz 200)"
fi
if grep -q "Start config update" "$LAN_WORK/forged-speaker.log"; then
  e2e_fail "the forged speaker received a config"
fi
pass "the controller refuses the forged client certificate: no state, readyz 503"

[ "$(arp_owner 192.168.1.240)" = "$OWNER" ] || e2e_fail "192.168.1.240 no longer answered by $OWNER alone"
pass "192.168.1.240 still answered by $OWNER alone"
