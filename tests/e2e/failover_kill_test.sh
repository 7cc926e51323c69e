#!/usr/bin/env bash
# SIGKILL of the announcing node's speaker: another node answers ARP within the
# heartbeat failure detection (suspect timeout 300 ms; asserted < 3 s, where the
# Lease alone would take 40 s), curl keeps working, and the outage is reported.
# shellcheck source=tests/e2e/e2e.sh
source "$(dirname "$0")/e2e.sh" "$@"

e2e_tutorial
fresh_curl http://192.168.1.240 | lan_contains "Welcome to nginx!" || e2e_fail "curl before the failover"
lan_exec router ip neigh show 192.168.1.240 | lan_contains "$(lan_mac "$OWNER")" ||
  e2e_fail "the router's neighbour cache does not point at $OWNER"
measure_failover 192.168.1.240 "$OWNER" cluster_stop_speaker "$OWNER" KILL ||
  e2e_fail "failover after SIGKILL"
echo "failover after SIGKILL of $OWNER's speaker: $FAILOVER_NODE answered after $FAILOVER_MS ms" \
  "($OWNER's last answer: ${FAILOVER_LAST_OLD_MS} ms)"
if [ "$FAILOVER_NODE" = "$OWNER" ] || [[ $FAILOVER_NODE != node* ]]; then
  e2e_fail "new owner \"$FAILOVER_NODE\""
fi
((FAILOVER_MS < 3000)) || e2e_fail "failover took $FAILOVER_MS ms"
((FAILOVER_LAST_OLD_MS < 100)) || e2e_fail "$OWNER answered $FAILOVER_LAST_OLD_MS ms after its speaker died"
[ "$(arp_owner 192.168.1.240)" = "$FAILOVER_NODE" ] || e2e_fail "not exactly $FAILOVER_NODE answering"
# The router's cache is not flushed: the new owner's ARP traffic moves it.
lan_wait_output 5 "$(lan_mac "$FAILOVER_NODE")" lan_exec router ip neigh show 192.168.1.240 ||
  e2e_fail "the router's neighbour cache still points at $OWNER"
lan_exec router curl -sS -m 5 -D "$LAN_WORK/headers" http://192.168.1.240 | lan_contains "Welcome to nginx!" ||
  e2e_fail "curl after the failover"
grep -qi "^X-Served-By: $FAILOVER_NODE" "$LAN_WORK/headers" || e2e_fail "not served by $FAILOVER_NODE"
pass "SIGKILL failover: $OWNER -> $FAILOVER_NODE in $FAILOVER_MS ms, curl served by $FAILOVER_NODE"

# The killed speaker comes back: still exactly one node answers.
cluster_start_speaker "$OWNER" || e2e_fail "restarting $OWNER's speaker"
back="$(wait_arp_owner 192.168.1.240)" || e2e_fail "not exactly one node answering after the restart"
pass "after $OWNER's speaker restarts, exactly one node answers: $back"
