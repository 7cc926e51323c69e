#!/usr/bin/env bash
# A bad config applied with kubectl is rejected whole: an InvalidConfig Event in
# `kubectl get events -n metallb-system` says why, the controller logs it, the old
# config stays in force (a new Service still gets 192.168.1.241 from it, not an
# address of the bad config's first pool) and 192.168.1.240 stays announced.
# shellcheck source=tests/e2e/e2e.sh
source "$(dirname "$0")/e2e.sh" "$@"

e2e_tutorial
cat >"$LAN_WORK/bad-config.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata:
  namespace: metallb-system
  name: config
data:
  config: |
    address-pools:
    - name: first
      protocol: arp
      cidr:
      - 192.168.1.17/28
    - name: my-ip-space
      protocol: arp
      cidr:
      - 192.168.1.240/28
YAML
kapply "$LAN_WORK/bad-config.yaml" >/dev/null || e2e_fail "kubectl apply of the bad config"
lan_wait_output 10 InvalidConfig K get events -n metallb-system ||
  e2e_fail "no InvalidConfig event in kubectl get events -n metallb-system"
K get events -n metallb-system
K get events -n metallb-system -o jsonpath='{range .items[?(@.reason=="InvalidConfig")]}{.message}{"\n"}{end}' |
  grep -q 'host bits are set; the aligned prefix is "192.168.1.16/28"' ||
  e2e_fail "the InvalidConfig event does not say what is wrong"
lan_wait_log "$LAN_WORK/controller.log" "Applying new configuration failed" 5 ||
  e2e_fail "the controller did not log the rejection"
pass "bad config rejected: InvalidConfig event and log line"

e2e_service second || e2e_fail "creating Service second"
cluster_endpoints second "${LAN_NODES[@]}" || e2e_fail "EndpointSlice for second"
cluster_wait_external_ip second 192.168.1.241 ||
  e2e_fail "second has EXTERNAL-IP \"$(cluster_external_ips second)\", want 192.168.1.241 from the old config"
cluster_kube_proxy || e2e_fail "kube-proxy's addresses"
wait_arp_owner 192.168.1.241 >/dev/null || e2e_fail "192.168.1.241 not answered"
[ "$(arp_owner 192.168.1.240)" = "$OWNER" ] || e2e_fail "192.168.1.240 moved or stopped"
pass "the old config stays in force: second got 192.168.1.241, 192.168.1.240 still on $OWNER"
