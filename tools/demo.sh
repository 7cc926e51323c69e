#!/usr/bin/env bash
# The README's main command: the MetalLB v0.3 layer-2 tutorial, replayed on one machine.
#
# A LAN of network namespaces (tests/e2e/lan.sh): a router/client at 192.168.1.1 and
# node1..node3 at 192.168.1.11-13 on one bridge, addresses that exist only inside
# those namespaces. In the router: the API server stand-in, kubectl and the
# controller; in every node: a speaker and a real nginx. The rest of a cluster is
# played by tests/e2e/cluster.sh (Node objects, the EndpointSlice, kube-proxy's
# kube-ipvs0 address). Then the tutorial: kubectl apply the three manifests in order,
# see EXTERNAL-IP 192.168.1.240, the speakers' log lines, arping answered by the
# elected node, curl reaching nginx. Then the announcing node's speaker is SIGKILLed
# and the failover is shown and timed.
#
# Needs root. Exits non-zero, naming the step, if any step fails. Everything it
# creates is removed on exit, also on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

STEP="start"
step() {
  STEP="$*"
  printf '\n== %s\n' "$*"
}
die() {
  echo "demo: step \"$STEP\" failed: $*" >&2
  exit 1
}
# kubectl ARGS...: shows the command as the tutorial types it, then runs it in the
# router (where the API server is).
kubectl() {
  echo "\$ kubectl $*"
  K "$@"
}
# on HOST COMMAND...: shows and runs COMMAND in HOST's network namespace.
on() {
  local host=$1
  shift
  echo "$host\$ $*"
  lan_exec "$host" "$@"
}
started=$(date +%s)

step "install the Debian packages"
bash tools/install.sh || die "tools/install.sh"
[ "$(id -u)" = 0 ] || die "network namespaces need root"

step "build the API server stand-in, the controller, the speaker and arptool"
targets=(//lib/k8s/testing:apiserver //cmd/controller //cmd/speaker //examples/arptool)
if ! bazel build "${targets[@]}" >/tmp/lb-demo-build.$$.log 2>&1; then
  cat /tmp/lb-demo-build.$$.log >&2
  rm -f /tmp/lb-demo-build.$$.log
  die "bazel build ${targets[*]}"
fi
rm -f /tmp/lb-demo-build.$$.log
bin="$(bazel info bazel-bin 2>/dev/null)" || die "bazel info bazel-bin"
echo "built: ${targets[*]}"

# shellcheck source=tests/e2e/lan.sh
source tests/e2e/lan.sh
# shellcheck source=tests/e2e/cluster.sh
source tests/e2e/cluster.sh
report_failure() {
  if [ "$LAN_EXIT_STATUS" != 0 ] && [ "$LAN_EXIT_STATUS" != 130 ]; then
    echo "demo: FAILED during step \"$STEP\" (exit status $LAN_EXIT_STATUS); logs:" >&2
    local f
    for f in "$LAN_WORK"/*.log; do
      [ -f "$f" ] || continue
      echo "--- $(basename "$f") (last 15 lines)" >&2
      tail -n 15 "$f" >&2
    done
  fi
  echo
  echo "== clean up: every process and network namespace of this run is removed"
}
lan_on_cleanup report_failure

step "build the LAN: a bridge, the router and three nodes, each in its own network namespace"
lan_up || die "lan_up"
# Copies, so that a rebuild during the run cannot swap a binary under it.
mkdir -p "$LAN_WORK/bin"
cp "$bin/lib/k8s/testing/apiserver" "$bin/cmd/controller/controller" \
  "$bin/cmd/speaker/speaker" "$bin/examples/arptool/arptool" "$LAN_WORK/bin/"
LB_APISERVER="$LAN_WORK/bin/apiserver"
LB_CONTROLLER="$LAN_WORK/bin/controller"
LB_SPEAKER="$LAN_WORK/bin/speaker"
LB_ARPTOOL="$LAN_WORK/bin/arptool"
LB_MANIFESTS="$ROOT/manifests"
printf '%-8s %-14s %-12s %s\n' HOST IPv4 IPv6 MAC
for host in "${LAN_HOSTS[@]}"; do
  printf '%-8s %-14s %-12s %s\n' "$host" "$(lan_ip4 "$host")" "$(lan_ip6 "$host")" "$(lan_mac "$host")"
done
echo "(namespaces ${LAN_PREFIX}{br,router,node1,node2,node3}; nothing is routed outside them)"

step "check the tutorial's config before applying it"
echo "\$ controller --check-config manifests/example-arp-config.yaml"
"$LB_CONTROLLER" --check-config manifests/example-arp-config.yaml || die "check-config"

step "start the API server in the router and register the nodes, as kubelets do"
cluster_start_apiserver || die "the API server stand-in"
cluster_register_nodes || die "registering Nodes"
kubectl get nodes -o custom-columns='NAME:.metadata.name,READY:.status.conditions[?(@.type=="Ready")].status,INTERNAL-IP:.status.addresses[?(@.type=="InternalIP")].address' ||
  die "kubectl get nodes"

step "kubectl apply -f manifests/metallb.yaml; start the controller and one speaker per node"
kubectl apply -f manifests/metallb.yaml || die "kubectl apply metallb.yaml"
echo "(the Deployment's pod:  controller --port 7472 --channel-port 7473, in the router)"
cluster_start_controller controller || die "starting the controller"
echo "(the DaemonSet's pods: speaker --node-name nodeN --controller 192.168.1.1:7473, one per node)"
for node in "${LAN_NODES[@]}"; do
  cluster_start_speaker "$node" || die "starting the speaker on $node"
done
lan_wait_log "$LAN_WORK/controller.log" "created channel credentials" 1 &&
  echo "the controller created the channel's mTLS credentials in Secret metallb-system/metallb-channel"
echo "speakers ready on ${LAN_NODES[*]}"

step "kubectl apply -f manifests/example-arp-config.yaml"
kubectl apply -f manifests/example-arp-config.yaml || die "kubectl apply the config"

step "kubectl apply -f manifests/tutorial-2.yaml; nginx runs on every node"
kubectl apply -f manifests/tutorial-2.yaml || die "kubectl apply tutorial-2.yaml"
for node in "${LAN_NODES[@]}"; do
  cluster_start_nginx "$node" || die "starting nginx on $node"
done
# As the endpoints controller would, with one nginx pod per node.
cluster_endpoints nginx "${LAN_NODES[@]}" || die "creating the EndpointSlice"
echo "nginx serves on ${LAN_NODES[*]}; EndpointSlice default/nginx-ipv4 lists one ready endpoint per node"

step "kubectl get service nginx"
cluster_wait_external_ip nginx 192.168.1.240 20 ||
  die "nginx did not get EXTERNAL-IP 192.168.1.240 (has \"$(cluster_external_ips nginx)\")"
kubectl get service nginx || die "kubectl get service nginx"
# kube-proxy (IPVS mode) now puts the address on kube-ipvs0 in every node.
cluster_kube_proxy || die "delivering 192.168.1.240 to the nodes (kube-ipvs0)"
echo "(kube-proxy, IPVS mode: 192.168.1.240 on kube-ipvs0 in every node; arp_ignore=1, arp_announce=2)"

step "arping -c 3 -I eth0 192.168.1.240, from the router"
owner="$(wait_arp_owner 192.168.1.240 15)" || die "exactly one node answering ARP for 192.168.1.240"
owner_mac="$(lan_mac "$owner")"
on router arping -c 3 -I eth0 192.168.1.240 || die "arping 192.168.1.240"
echo "=> answered by $owner ($owner_mac), the elected node"

step "the speakers' logs (kubectl logs -n metallb-system -l component=speaker)"
for node in "${LAN_NODES[@]}"; do
  grep -hE "Start config update|End config update|announcable, making advertisement" \
    "$LAN_WORK/speaker-$node.log" | tail -n 3 | sed "s/^/$node: /" || true
done
grep -h "Request: who-has 192.168.1.240" "$LAN_WORK/speaker-$owner.log" | tail -n 3 |
  sed "s/^/$owner: /" || true
lan_wait_log "$LAN_WORK/speaker-$owner.log" "default/nginx: announcable, making advertisement" 1 ||
  die "$owner's speaker did not log the advertisement"
lan_wait_log "$LAN_WORK/speaker-$owner.log" "Request: who-has 192.168.1.240? tell 192.168.1.1" 1 ||
  die "$owner's speaker did not log the ARP request"

step "curl http://192.168.1.240, from the router"
echo "router\$ curl http://192.168.1.240"
page="$(lan_exec router curl -sS -m 5 -D "$LAN_WORK/curl1.headers" http://192.168.1.240)" ||
  die "curl http://192.168.1.240"
echo "$page"
grep -q "<title>Welcome to nginx!</title>" <<<"$page" || die "curl did not return the nginx welcome page"
echo "=> served by $(sed -n 's/^X-Served-By: *\([a-z0-9]*\).*/\1/p' "$LAN_WORK/curl1.headers")"

step "failover: kill -9 the speaker on $owner"
echo "(the router asks who has 192.168.1.240 every 10 ms while the speaker dies)"
measure_failover 192.168.1.240 "$owner" cluster_stop_speaker "$owner" KILL ||
  die "another node taking over 192.168.1.240"
new_owner=$FAILOVER_NODE
outage=$FAILOVER_MS
last_old=$FAILOVER_LAST_OLD_MS
if [ "$new_owner" = "$owner" ] || [[ $new_owner != node* ]]; then
  die "the new owner is \"$new_owner\""
fi
echo "speaker on $owner killed; $new_owner ($(lan_mac "$new_owner")) answered ${outage} ms later"
if [ "$last_old" -ge 0 ]; then
  echo "($owner's last answer came ${last_old} ms after the kill)"
fi
grep -h "announcable, making advertisement" "$LAN_WORK/speaker-$new_owner.log" | tail -n 1 |
  sed "s/^/$new_owner: /"
lan_wait_output 5 "$(lan_mac "$new_owner")" lan_exec router ip neigh show 192.168.1.240 || true
on router ip neigh show 192.168.1.240
echo "(the router's own neighbour cache already points at $new_owner: nothing to flush)"
on router arping -c 3 -I eth0 192.168.1.240 || die "arping after the failover"
macs="$(arp_macs 192.168.1.240)"
[ "$macs" = "$(lan_mac "$new_owner")" ] || die "after the failover ARP is answered by: $macs"
echo "=> answered by $new_owner ($(lan_mac "$new_owner"))"
echo "router\$ curl http://192.168.1.240"
page="$(lan_exec router curl -sS -m 5 -D "$LAN_WORK/curl2.headers" http://192.168.1.240)" ||
  die "curl after the failover"
grep -q "<title>Welcome to nginx!</title>" <<<"$page" || die "curl after the failover did not reach nginx"
grep -o "<title>.*</title>" <<<"$page"
echo "=> served by $(sed -n 's/^X-Served-By: *\([a-z0-9]*\).*/\1/p' "$LAN_WORK/curl2.headers")"

step "summary"
echo "EXTERNAL-IP 192.168.1.240 announced by $owner ($owner_mac); after kill -9 of its speaker"
echo "$new_owner took over in ${outage} ms (from the kill to the first ARP answer)."
echo "done in $(($(date +%s) - started)) s"
STEP="clean up"
