#!/usr/bin/env bash
# The controller daemon against the API server stand-in, driven by the real kubectl:
# the tutorial's Service gets 192.168.1.240; a bad config is rejected with an Event and
# the old one stays in force; a restart changes no address.
set -u
apiserver="$PWD/lib/k8s/testing/apiserver"
controller="$PWD/cmd/controller/controller"
manifests="$PWD/manifests"
work="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  echo "--- controller log"; cat "$work"/controller*.log
  exit 1
}
K() { kubectl --kubeconfig "$work/kubeconfig" --cache-dir "$work/cache" "$@"; }
# Waits up to 20 s for a command's output to contain a string.
await() {
  local want="$1"; shift
  for _ in $(seq 100); do
    if "$@" 2>&1 | grep -qF -- "$want"; then return 0; fi
    sleep 0.2
  done
  return 1
}
external_ip() { K get service "$1" -o jsonpath='{.status.loadBalancer.ingress[0].ip}'; }

"$apiserver" --kubeconfig_out="$work/kubeconfig" >"$work/apiserver.log" 2>&1 &
pids+=($!)
await "serving on" cat "$work/apiserver.log" || fail "the API server stand-in did not start"
K apply -f "$manifests/metallb.yaml" >/dev/null || fail "applying metallb.yaml"

start_controller() {
  "$controller" --kubeconfig "$work/kubeconfig" --channel-plaintext --port 0 \
    --channel-port 0 >"$work/controller$1.log" 2>&1 &
  pids+=($!)
  controller_pid=$!
}
start_controller 1
K apply -f "$manifests/example-arp-config.yaml" >/dev/null || fail "config"
K apply -f "$manifests/tutorial-2.yaml" >/dev/null || fail "tutorial-2.yaml"
await "192.168.1.240" external_ip nginx || fail "nginx did not get 192.168.1.240"
await "192.168.1.240" K get service nginx || fail "kubectl get service does not show the address"
await 'default/nginx: allocated "192.168.1.240"' cat "$work/controller1.log" ||
  fail "no allocation log line"
await "IPAllocated" K get events -o jsonpath='{.items[*].reason}' || fail "no IPAllocated event"
echo "ok: nginx got 192.168.1.240"

# A bad config is rejected whole; the previous one stays in force.
cat >"$work/bad.yaml" <<'YAML'
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
      - 192.168.1.241/28
YAML
K apply -f "$work/bad.yaml" >/dev/null || fail "applying the bad config"
await "InvalidConfig" K get events -n metallb-system -o jsonpath='{.items[*].reason}' ||
  fail "no InvalidConfig event"
await "host bits are set" K get events -n metallb-system -o jsonpath='{.items[*].message}' ||
  fail "the InvalidConfig event does not say what is wrong"
await "Applying new configuration failed" cat "$work/controller1.log" || fail "no log line"
cat >"$work/second.yaml" <<'YAML'
apiVersion: v1
kind: Service
metadata:
  name: second
spec:
  type: LoadBalancer
  ports:
  - port: 80
YAML
K apply -f "$work/second.yaml" >/dev/null || fail "creating a second service"
await "192.168.1.241" external_ip second || fail "the old config is not in force"
echo "ok: bad config rejected, old one in force"
count_reconverge() { grep -c "config changed, reconverging all services" "$work/controller1.log"; }
before="$(count_reconverge)"
more_reconverges() { [ "$(count_reconverge)" -gt "$before" ] && echo more; }
K apply -f "$manifests/example-arp-config.yaml" >/dev/null || fail "config"
await "more" more_reconverges || fail "the good config was not taken back"

# Restart: every address is re-learned; nothing moves and nothing is re-written.
kill "$controller_pid"
wait "$controller_pid" 2>/dev/null
start_controller 2
await "Controller synced, can allocate IPs now" cat "$work/controller2.log" ||
  fail "the restarted controller did not sync"
# Ready once its first pass over every Service is done: any re-write would have
# been made by then.
port2="$(sed -n 's/.*and \/readyz on port \([0-9]*\).*/\1/p' "$work/controller2.log")"
await 200 curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port2/readyz" ||
  fail "the restarted controller did not become ready"
[ "$(external_ip nginx)" = "192.168.1.240" ] || fail "nginx moved after a restart"
[ "$(external_ip second)" = "192.168.1.241" ] || fail "second moved after a restart"
if grep -q "updated service status" "$work/controller2.log"; then
  fail "the restarted controller re-wrote a status"
fi
echo "ok: restart changed no address"

# Deleting a Service releases its address.
K delete service second >/dev/null || fail "deleting a service"
await "default/second: service deleted" cat "$work/controller2.log" || fail "no release"
echo "ok: deletion releases"

# Two replicas, one active: a standby waits for the Lease and is not ready; when
# the active one stops, the standby takes over and changes no address.
active_pid=$controller_pid
start_controller 3
await "standing by; the active controller is" cat "$work/controller3.log" ||
  fail "the second replica does not stand by"
port3="$(sed -n 's/.*and \/readyz on port \([0-9]*\).*/\1/p' "$work/controller3.log")"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port3/readyz")" = 503 ] ||
  fail "the standby reports ready"
if grep -q "Controller synced" "$work/controller3.log"; then
  fail "the standby acts while another replica holds the Lease"
fi
kill "$active_pid"
await "became the active controller" cat "$work/controller3.log" ||
  fail "the standby did not take over"
await "Controller synced, can allocate IPs now" cat "$work/controller3.log" ||
  fail "the new active replica did not sync"
[ "$(external_ip nginx)" = "192.168.1.240" ] || fail "nginx moved after the hand-over"
echo "ok: standby takes over when the active replica stops"
