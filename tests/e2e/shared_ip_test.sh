#!/usr/bin/env bash
# IP sharing (metallb.universe.tf/allow-shared-ip): two Services with the same key
# and disjoint ports get one address, announced by one node, each port served; a
# third with the same key but an overlapping port gets its own address. The shared
# address stays announced until the last Service holding it is gone.
# shellcheck source=tests/e2e/e2e.sh
source "$(dirname "$0")/e2e.sh" "$@"

# shared_service NAME PORT: a Service sharing key "web", port PORT -> 80.
shared_service() {
  cat >"$LAN_WORK/service-$1.yaml" <<EOF
apiVersion: v1
kind: Service
metadata:
  name: $1
  annotations:
    metallb.universe.tf/allow-shared-ip: web
spec:
  type: LoadBalancer
  selector:
    app: web
  ports:
  - name: http
    port: $2
    protocol: TCP
    targetPort: 80
EOF
  kapply "$LAN_WORK/service-$1.yaml" >/dev/null && cluster_endpoints "$1" "${LAN_NODES[@]}"
}

e2e_tutorial
shared_service web-http 80 || e2e_fail "creating web-http"
shared_service web-alt 8080 || e2e_fail "creating web-alt"
cluster_wait_external_ip web-http 192.168.1.241 || e2e_fail "web-http did not get 192.168.1.241"
cluster_wait_external_ip web-alt 192.168.1.241 || e2e_fail "web-alt did not share 192.168.1.241"
pass "web-http (80) and web-alt (8080) share 192.168.1.241"
shared_service web-clash 80 || e2e_fail "creating web-clash"
cluster_wait_external_ip web-clash 192.168.1.242 ||
  e2e_fail "web-clash has \"$(cluster_external_ips web-clash)\", want its own 192.168.1.242"
pass "web-clash (port 80 again) gets its own 192.168.1.242"

cluster_kube_proxy || e2e_fail "kube-proxy's addresses"
owner="$(wait_arp_owner 192.168.1.241)" || e2e_fail "192.168.1.241 not answered by exactly one node"
fresh_curl http://192.168.1.241 | lan_contains "Welcome to nginx!" || e2e_fail "curl http://192.168.1.241"
pass "192.168.1.241 answered by $owner alone and served"

K delete service web-http web-clash >/dev/null || e2e_fail "deleting web-http and web-clash"
wait_arp_silent 192.168.1.242 10 || e2e_fail "192.168.1.242 still answered"
[ "$(arp_owner 192.168.1.241)" = "$owner" ] || e2e_fail "192.168.1.241 stopped with web-alt still there"
pass "after deleting web-http, web-alt keeps 192.168.1.241 announced"
K delete service web-alt >/dev/null || e2e_fail "deleting web-alt"
wait_arp_silent 192.168.1.241 10 || e2e_fail "192.168.1.241 still answered after the last sharer went"
pass "after deleting web-alt, 192.168.1.241 is released"
