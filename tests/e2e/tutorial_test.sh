#!/usr/bin/env bash
# The tutorial's end state: EXTERNAL-IP 192.168.1.240 in `kubectl get service nginx`,
# ARP from the router answered by exactly one node (real arping), the speakers' log
# lines, and curl from the router reaching nginx on that node.
# shellcheck source=tests/e2e/e2e.sh
source "$(dirname "$0")/e2e.sh" "$@"

e2e_tutorial
pass "nginx got 192.168.1.240, $OWNER answers ARP for it"

K get service nginx | grep -E "^nginx +LoadBalancer +[0-9.]+ +192\.168\.1\.240 " ||
  e2e_fail "kubectl get service nginx does not show EXTERNAL-IP 192.168.1.240"
pass "kubectl get service nginx shows EXTERNAL-IP 192.168.1.240"

# Real arping, broadcasting every request: every answer comes from the owner's MAC.
out="$(lan_exec router arping -b -c 3 -w 5 -I eth0 192.168.1.240)" || e2e_fail "arping: $out"
echo "$out"
macs="$(sed -n 's/.*reply from 192\.168\.1\.240 \[\([0-9A-F:]*\)\].*/\1/p' <<<"$out" | tr 'A-F' 'a-f' | sort -u)"
[ "$macs" = "$(lan_mac "$OWNER")" ] || e2e_fail "arping answered by \"$macs\", want $OWNER's $(lan_mac "$OWNER")"
[ "$(grep -c "reply from" <<<"$out")" = 3 ] || e2e_fail "not every request was answered once"
pass "arping: 3 requests, 3 answers, all from $OWNER"

# The speakers say what happened, in MetalLB's words; only the owner advertises.
log="$LAN_WORK/speaker-$OWNER.log"
grep -q "default/nginx: announcable, making advertisement" "$log" ||
  e2e_fail "$OWNER did not log the advertisement"
grep -q "Request: who-has 192.168.1.240? tell 192.168.1.1 ($(lan_mac router)). reply: 192.168.1.240 is-at $(lan_mac "$OWNER")" "$log" ||
  e2e_fail "$OWNER did not log the ARP exchange"
for node in "${LAN_NODES[@]}"; do
  [ "$node" = "$OWNER" ] && continue
  if grep -q "making advertisement" "$LAN_WORK/speaker-$node.log"; then
    e2e_fail "$node advertises too"
  fi
done
pass "speaker logs: advertisement and who-has lines on $OWNER only"

page="$(fresh_curl http://192.168.1.240 -D "$LAN_WORK/headers")" || e2e_fail "curl http://192.168.1.240"
grep -q "<title>Welcome to nginx!</title>" <<<"$page" || e2e_fail "curl did not return nginx's page"
grep -qi "^X-Served-By: $OWNER" "$LAN_WORK/headers" || e2e_fail "served by another node than $OWNER"
pass "curl http://192.168.1.240 returns the nginx welcome page from $OWNER"
