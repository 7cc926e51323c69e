#!/usr/bin/env bash
# A second Service gets the next address, 192.168.1.241, and is answered and served.
# Deleting a Service releases its address: the speakers stop answering ARP for it at
# once (while kube-ipvs0 still holds it, so only a speaker could answer), the other
# Service stays announced, and the released address is held back from the next one.
# shellcheck source=tests/e2e/e2e.sh
source "$(dirname "$0")/e2e.sh" "$@"

e2e_tutorial
e2e_service second || e2e_fail "creating Service second"
cluster_endpoints second "${LAN_NODES[@]}" || e2e_fail "EndpointSlice for second"
cluster_wait_external_ip second 192.168.1.241 ||
  e2e_fail "second has EXTERNAL-IP \"$(cluster_external_ips second)\", want 192.168.1.241"
cluster_kube_proxy || e2e_fail "kube-proxy's addresses"
owner2="$(wait_arp_owner 192.168.1.241)" || e2e_fail "exactly one node answering ARP for .241"
fresh_curl http://192.168.1.241 | lan_contains "<title>Welcome to nginx!</title>" ||
  e2e_fail "curl http://192.168.1.241"
pass "second Service: 192.168.1.241, answered by $owner2, served"

K delete service nginx >/dev/null || e2e_fail "kubectl delete service nginx"
wait_arp_silent 192.168.1.240 10 || e2e_fail "ARP for 192.168.1.240 still answered after the deletion"
lan_wait_log "$LAN_WORK/controller.log" "default/nginx: service deleted" 5 ||
  e2e_fail "the controller did not log the release"
grep -q "not announcing 192.168.1.240 from this node any more" "$LAN_WORK/speaker-$OWNER.log" ||
  e2e_fail "$OWNER did not log that it stopped announcing"
pass "deleting nginx: ARP answers for 192.168.1.240 stopped"
[ "$(arp_owner 192.168.1.241)" = "$owner2" ] || e2e_fail "192.168.1.241 moved or stopped"
pass "192.168.1.241 still answered by $owner2"

# What the endpoints controller and kube-proxy do next.
K delete endpointslice nginx-ipv4 >/dev/null || e2e_fail "deleting nginx's EndpointSlice"
cluster_kube_proxy || e2e_fail "kube-proxy's addresses"
if fresh_curl http://192.168.1.240 -m 3 >/dev/null 2>&1; then
  e2e_fail "192.168.1.240 still reachable"
fi
pass "192.168.1.240 no longer reachable"

# The released address is held back while others are free: the next Service gets .242.
e2e_service third || e2e_fail "creating Service third"
cluster_wait_external_ip third 192.168.1.242 ||
  e2e_fail "third has EXTERNAL-IP \"$(cluster_external_ips third)\", want 192.168.1.242"
pass "a third Service gets 192.168.1.242 (192.168.1.240 is held back)"
