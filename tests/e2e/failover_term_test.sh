#!/usr/bin/env bash
# SIGTERM of the announcing node's speaker: it hands over at once (it tells its peers
# it leaves instead of going silent), so another node answers ARP sooner than failure
# detection could notice (the suspect timeout is 300 ms); curl keeps working.
# shellcheck source=tests/e2e/e2e.sh
source "$(dirname "$0")/e2e.sh" "$@"

e2e_tutorial
measure_failover 192.168.1.240 "$OWNER" cluster_stop_speaker "$OWNER" TERM ||
  e2e_fail "failover after SIGTERM"
echo "failover after SIGTERM of $OWNER's speaker: $FAILOVER_NODE answered after $FAILOVER_MS ms" \
  "($OWNER's last answer: ${FAILOVER_LAST_OLD_MS} ms)"
if [ "$FAILOVER_NODE" = "$OWNER" ] || [[ $FAILOVER_NODE != node* ]]; then
  e2e_fail "new owner \"$FAILOVER_NODE\""
fi
((FAILOVER_MS < 300)) || e2e_fail "hand-over took $FAILOVER_MS ms, no faster than failure detection"
grep -q "handing over and shutting down" "$LAN_WORK/speaker-$OWNER.log" ||
  e2e_fail "$OWNER's speaker did not log the hand-over"
[ "$(arp_owner 192.168.1.240)" = "$FAILOVER_NODE" ] || e2e_fail "not exactly $FAILOVER_NODE answering"
fresh_curl http://192.168.1.240 -D "$LAN_WORK/headers" | lan_contains "Welcome to nginx!" ||
  e2e_fail "curl after the hand-over"
grep -qi "^X-Served-By: $FAILOVER_NODE" "$LAN_WORK/headers" || e2e_fail "not served by $FAILOVER_NODE"
pass "SIGTERM hand-over: $OWNER -> $FAILOVER_NODE in $FAILOVER_MS ms, curl served by $FAILOVER_NODE"
