#!/usr/bin/env bash
# externalTrafficPolicy: Local: only a node with a ready local endpoint may answer,
# and the address follows the endpoint from node to node. Without any ready
# endpoint the address is not announced at all.
# shellcheck source=tests/e2e/e2e.sh
source "$(dirname "$0")/e2e.sh" "$@"

cluster_up || e2e_fail "starting the cluster"
e2e_service local "  externalTrafficPolicy: Local" || e2e_fail "creating Service local"
cluster_wait_external_ip local 192.168.1.240 || e2e_fail "local did not get 192.168.1.240"
cluster_endpoints local || e2e_fail "an empty EndpointSlice for local"
# A barrier: once a later Service is announced, the speakers have the state that
# covers local too.
e2e_service other || e2e_fail "creating Service other"
cluster_endpoints other "${LAN_NODES[@]}" || e2e_fail "EndpointSlice for other"
cluster_wait_external_ip other 192.168.1.241 || e2e_fail "other did not get 192.168.1.241"
cluster_kube_proxy || e2e_fail "kube-proxy's addresses"
wait_arp_owner 192.168.1.241 >/dev/null || e2e_fail "other (192.168.1.241) not answered"
[ -z "$(arp_macs 192.168.1.240)" ] || e2e_fail "192.168.1.240 answered without a ready endpoint"
pass "no ready endpoint: 192.168.1.240 is not announced"

for node in node3 node1 node2; do
  cluster_endpoints local "$node" || e2e_fail "moving local's endpoint to $node"
  lan_wait_for 15 arp_owner_is 192.168.1.240 "$node" ||
    e2e_fail "192.168.1.240 not answered by $node alone (answered by: $(arp_macs 192.168.1.240 | tr '\n' ' '))"
  fresh_curl http://192.168.1.240 -D "$LAN_WORK/headers" >/dev/null || e2e_fail "curl via $node"
  grep -qi "^X-Served-By: $node" "$LAN_WORK/headers" || e2e_fail "not served by $node"
  pass "endpoint on $node only: $node alone answers and serves"
done
