#!/usr/bin/env bash
# While the controller is down the speakers keep announcing; a restarted controller
# re-learns every address and changes none: no Service status is written again, and
# the same nodes answer ARP.
# shellcheck source=tests/e2e/e2e.sh
source "$(dirname "$0")/e2e.sh" "$@"

e2e_tutorial
e2e_service second || e2e_fail "creating Service second"
cluster_endpoints second "${LAN_NODES[@]}" || e2e_fail "EndpointSlice for second"
cluster_wait_external_ip second 192.168.1.241 || e2e_fail "second did not get 192.168.1.241"
cluster_kube_proxy || e2e_fail "kube-proxy's addresses"
owner2="$(wait_arp_owner 192.168.1.241)" || e2e_fail "192.168.1.241 not answered"
version() { K get service "$1" -o jsonpath='{.metadata.resourceVersion}'; }
v1="$(version nginx)"
v2="$(version second)"

cluster_stop_controller TERM
[ "$(arp_owner 192.168.1.240)" = "$OWNER" ] || e2e_fail ".240 not answered by $OWNER without the controller"
[ "$(arp_owner 192.168.1.241)" = "$owner2" ] || e2e_fail ".241 not answered by $owner2 without the controller"
pass "controller down: .240 on $OWNER and .241 on $owner2 still answered"

cluster_start_controller controller2 || e2e_fail "restarting the controller"
lan_wait_log "$LAN_WORK/controller2.log" "Controller synced, can allocate IPs now" 20 ||
  e2e_fail "the restarted controller did not sync"
# A barrier: the work loop is sequential, so once a new Service is allocated, anything
# the restart would have done to the old ones has been done.
e2e_service third || e2e_fail "creating Service third"
cluster_wait_external_ip third 192.168.1.242 || e2e_fail "third did not get 192.168.1.242"
[ "$(cluster_external_ips nginx)" = 192.168.1.240 ] || e2e_fail "nginx changed address"
[ "$(cluster_external_ips second)" = 192.168.1.241 ] || e2e_fail "second changed address"
[ "$(version nginx)" = "$v1" ] || e2e_fail "nginx was written again ($v1 -> $(version nginx))"
[ "$(version second)" = "$v2" ] || e2e_fail "second was written again ($v2 -> $(version second))"
if grep -E "default/(nginx|second): (allocated|clearing|updated)" "$LAN_WORK/controller2.log"; then
  e2e_fail "the restarted controller re-allocated"
fi
pass "restart: addresses, resourceVersions and log show no change"
[ "$(arp_owner 192.168.1.240)" = "$OWNER" ] || e2e_fail ".240 moved after the restart"
[ "$(arp_owner 192.168.1.241)" = "$owner2" ] || e2e_fail ".241 moved after the restart"
pass "restart: .240 still on $OWNER, .241 still on $owner2"
