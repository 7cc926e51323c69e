#!/usr/bin/env bash
# An IPv6 range in the pool: a single-stack IPv6 Service gets an address of it, ndisc6 from the
# router is answered by exactly the owning node's MAC, and curl reaches nginx over
# IPv6. A dual-stack Service gets one address of each family (a pool with both
# families, as MetalLB requires for dual-stack), both answered.
# shellcheck source=tests/e2e/e2e.sh
source "$(dirname "$0")/e2e.sh" "$@"

cluster_up || e2e_fail "starting the cluster"
cat >"$LAN_WORK/config-v6.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata:
  namespace: metallb-system
  name: config
data:
  config: |
    address-pools:
    - name: my-ip-space
      protocol: arp
      cidr:
      - 192.168.1.240/28
      - fd00:1::240/124
YAML
kapply "$LAN_WORK/config-v6.yaml" >/dev/null || e2e_fail "applying the IPv6 config"
lan_wait_log "$LAN_WORK/controller.log" "config changed" 10 || e2e_fail "the IPv6 config was not taken"

e2e_service v6 "  ipFamilyPolicy: SingleStack
  ipFamilies: [IPv6]" || e2e_fail "creating Service v6"
cluster_endpoints v6 IPv6 "${LAN_NODES[@]}" || e2e_fail "EndpointSlice for v6"
lan_wait_for 20 cluster_has_ip v6 'fd00:1::24[0-9a-f]' ||
  e2e_fail "v6 has EXTERNAL-IP \"$(cluster_external_ips v6)\", want one of fd00:1::240/124"
v6="$(cluster_external_ips v6)"
pass "v6 got $v6"
cluster_kube_proxy || e2e_fail "kube-proxy's addresses"
owner="$(wait_arp_owner "$v6")" || e2e_fail "$v6 not answered by exactly one node"
out="$(lan_exec router ndisc6 -n -r 3 -w 500 "$v6" eth0)" || e2e_fail "ndisc6 $v6 got no answer"
echo "$out"
mac="$(sed -n 's/.*Target link-layer address: \([0-9A-Fa-f:]*\).*/\1/p' <<<"$out" | tr 'A-F' 'a-f')"
[ "$mac" = "$(lan_mac "$owner")" ] || e2e_fail "ndisc6 answered by $mac, want $owner's $(lan_mac "$owner")"
grep -q "Request: who-has $v6? tell" "$LAN_WORK/speaker-$owner.log" ||
  e2e_fail "$owner did not log the solicitation"
pass "ndisc6 $v6 answered by $owner ($mac) alone"
fresh_curl "http://[$v6]/" -g -D "$LAN_WORK/headers" | lan_contains "Welcome to nginx!" ||
  e2e_fail "curl http://[$v6]/"
grep -qi "^X-Served-By: $owner" "$LAN_WORK/headers" || e2e_fail "not served by $owner"
pass "curl http://[$v6]/ served by $owner"

e2e_service dual "  ipFamilyPolicy: RequireDualStack
  ipFamilies: [IPv4, IPv6]" || e2e_fail "creating Service dual"
cluster_endpoints dual IPv4 "${LAN_NODES[@]}" || e2e_fail "IPv4 EndpointSlice for dual"
cluster_endpoints dual IPv6 "${LAN_NODES[@]}" || e2e_fail "IPv6 EndpointSlice for dual"
lan_wait_for 20 cluster_has_ip dual '192\.168\.1\.24[0-9] fd00:1::24[0-9a-f]' ||
  e2e_fail "dual has EXTERNAL-IP \"$(cluster_external_ips dual)\", want one IPv4 and one IPv6 address"
read -r dual4 dual6 <<<"$(cluster_external_ips dual)"
[ "$dual6" != "$v6" ] || e2e_fail "dual got v6's address"
pass "dual got $dual4 and $dual6"
cluster_kube_proxy || e2e_fail "kube-proxy's addresses"
owner4="$(wait_arp_owner "$dual4")" || e2e_fail "$dual4 not answered by exactly one node"
owner6="$(wait_arp_owner "$dual6")" || e2e_fail "$dual6 not answered by exactly one node"
fresh_curl "http://$dual4/" | lan_contains "Welcome to nginx!" || e2e_fail "curl http://$dual4/"
fresh_curl "http://[$dual6]/" -g | lan_contains "Welcome to nginx!" || e2e_fail "curl http://[$dual6]/"
pass "dual: $dual4 on $owner4, $dual6 on $owner6, both served"
