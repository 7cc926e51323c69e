# shellcheck shell=bash disable=SC2034,SC2120
# tests/e2e/cluster.sh: a Kubernetes cluster's worth of parts on the LAN of lan.sh,
# sourced after it. What a real cluster's other components would do is done here
# explicitly:
#   API server   the stand-in (lib/k8s/testing/apiserver) in the router namespace at
#                https://192.168.1.1:6443 with a bearer token; kubectl runs there too
#   kubelets     Node objects node1..node3 (InternalIPs, Ready, hostname label)
#   endpoints    EndpointSlices naming the nodes that run a Service's nginx
#   kube-proxy   (IPVS mode) every LoadBalancer ingress address on a NOARP device
#                kube-ipvs0 in every node, with arp_ignore=1 / arp_announce=2, so the
#                kernels never answer ARP or NDP for it; only the speaker does
#   pods         real nginx in each node namespace, serving the stock welcome page
# and MetalLB itself: the controller in the router namespace, one speaker per node.
#
# Inputs (absolute paths): LB_APISERVER, LB_CONTROLLER, LB_SPEAKER (binaries),
# LB_MANIFESTS (the directory holding metallb.yaml, example-arp-config.yaml,
# tutorial-2.yaml). Logs go to $LAN_WORK/<name>.log.
#
# Contract: every function returns non-zero with a message on stderr when its step
# fails; the caller decides whether that ends the run (tests and the demo use
# `|| lan_fail ...`). Nothing here sleeps in place of checking: waits poll for the
# condition with a timeout.

CLUSTER_TOKEN="e2e-${RANDOM}${RANDOM}"
CLUSTER_KUBECONFIG=""
CLUSTER_CONTROLLER_PID=""
CLUSTER_APISERVER_PID=""
declare -A CLUSTER_SPEAKER_PID=()
declare -A CLUSTER_NGINX_PID=()
CLUSTER_CHANNEL_FLAGS=()  # e.g. (--channel-plaintext) for both daemons
FAILOVER_NODE=""          # results of measure_failover
FAILOVER_MS=""
FAILOVER_LAST_OLD_MS=""

# K ARGS...: kubectl against the stand-in, from the router namespace.
K() {
  lan_exec router kubectl --kubeconfig "$CLUSTER_KUBECONFIG" \
    --cache-dir "$LAN_WORK/kubectl-cache" "$@"
}

# kapply FILE|-: kubectl apply, as the tutorial types it.
kapply() { K apply -f "$1"; }

# cluster_stop_daemons: SIGTERM to every speaker and the controller at once, and up
# to 3 s for them to exit, while the API server still runs (so speakers can release
# their Leases). Registered as a cleanup hook by cluster_start_apiserver.
cluster_stop_daemons() {
  local pids=(${CLUSTER_SPEAKER_PID[@]+"${CLUSTER_SPEAKER_PID[@]}"}
    ${CLUSTER_CONTROLLER_PID:+"$CLUSTER_CONTROLLER_PID"}) pid
  for pid in ${pids[@]+"${pids[@]}"}; do
    kill -TERM "$pid" 2>/dev/null
  done
  for _ in $(seq 30); do
    local alive=0
    for pid in ${pids[@]+"${pids[@]}"}; do
      kill -0 "$pid" 2>/dev/null && alive=1
    done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  return 0
}

# cluster_start_apiserver: the stand-in on 192.168.1.1:6443 over HTTPS with a token;
# writes $CLUSTER_KUBECONFIG, and one JSON line per request to $LAN_WORK/audit.log.
cluster_start_apiserver() {
  lan_on_cleanup cluster_stop_daemons
  CLUSTER_KUBECONFIG="$LAN_WORK/kubeconfig"
  lan_spawn router "$LAN_WORK/apiserver.log" "$LB_APISERVER" --tls \
    --token "$CLUSTER_TOKEN" --host 192.168.1.1 --port 6443 \
    --audit_log "$LAN_WORK/audit.log" --kubeconfig-out "$CLUSTER_KUBECONFIG"
  CLUSTER_APISERVER_PID=$LAN_PID
  if ! lan_wait_log "$LAN_WORK/apiserver.log" "serving on" 20; then
    cat "$LAN_WORK/apiserver.log" >&2
    echo "the API server stand-in did not start" >&2
    return 1
  fi
}

# cluster_register_nodes: Node objects for every node, as kubelets post them.
cluster_register_nodes() {
  local node
  for node in "${LAN_NODES[@]}"; do
    cat <<EOF
---
apiVersion: v1
kind: Node
metadata:
  name: $node
  labels:
    kubernetes.io/hostname: $node
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
status:
  addresses:
  - type: InternalIP
    address: $(lan_ip4 "$node")
  - type: InternalIP
    address: $(lan_ip6 "$node")
  - type: Hostname
    address: $node
  conditions:
  - type: Ready
    status: "True"
    reason: KubeletReady
    message: kubelet is posting ready status
EOF
  done >"$LAN_WORK/nodes.yaml"
  kapply "$LAN_WORK/nodes.yaml" >/dev/null || return 1
  # The status must have been stored: it is what makes a node eligible.
  local ready
  ready="$(K get nodes -o jsonpath='{range .items[*]}{.metadata.name}={.status.conditions[0].status} {end}')"
  for node in "${LAN_NODES[@]}"; do
    if [[ " $ready " != *" $node=True "* ]]; then
      echo "Node $node is not Ready in the API server: $ready" >&2
      return 1
    fi
  done
}

# cluster_account_kubeconfig ACCOUNT: prints the path of a kubeconfig that
# presents a token of the metallb-system ServiceAccount ACCOUNT (from
# metallb.yaml, which must be applied), made with `kubectl create token` as a
# pod's projected token would be, so the daemon runs under that account's RBAC
# and a permission the manifests lack is a 403, as in a real cluster.
cluster_account_kubeconfig() {
  local account=$1 out="$LAN_WORK/kubeconfig-$1" token
  if ! token=$(K create token "$account" -n metallb-system --duration=24h); then
    echo "no token for the ServiceAccount metallb-system/$account" >&2
    return 1
  fi
  sed "s|^    token: .*|    token: \"$token\"|" "$CLUSTER_KUBECONFIG" >"$out" || return 1
  echo "$out"
}

# cluster_start_controller [LOGNAME]: the controller in the router namespace (channel
# on 192.168.1.1:7473, metrics on 7472), as the ServiceAccount controller; waits
# until it serves the channel.
cluster_start_controller() {
  local log="$LAN_WORK/${1:-controller}.log" kubeconfig
  kubeconfig=$(cluster_account_kubeconfig controller) || return 1
  lan_spawn router "$log" "$LB_CONTROLLER" --kubeconfig "$kubeconfig" \
    --port 7472 --channel-port 7473 "${CLUSTER_CHANNEL_FLAGS[@]+"${CLUSTER_CHANNEL_FLAGS[@]}"}"
  CLUSTER_CONTROLLER_PID=$LAN_PID
  if ! lan_wait_log "$log" "controller serving the channel" 30; then
    cat "$log" >&2
    echo "the controller did not start serving the channel" >&2
    return 1
  fi
}

# cluster_start_speaker NODE: the speaker in NODE's namespace, as the
# ServiceAccount speaker; waits until it has received the controller's state (its
# /readyz answers 200).
cluster_start_speaker() {
  local node=$1 log="$LAN_WORK/speaker-$1.log" kubeconfig
  kubeconfig=$(cluster_account_kubeconfig speaker) || return 1
  lan_spawn "$node" "$log" "$LB_SPEAKER" --kubeconfig "$kubeconfig" \
    --node-name "$node" --node-ip "$(lan_ip4 "$node")" --controller 192.168.1.1:7473 \
    --port 7472 --heartbeat-port 7946 "${CLUSTER_CHANNEL_FLAGS[@]+"${CLUSTER_CHANNEL_FLAGS[@]}"}"
  CLUSTER_SPEAKER_PID[$node]=$LAN_PID
  if ! lan_wait_for 30 cluster_speaker_ready "$node"; then
    tail -n 30 "$log" >&2
    echo "the speaker on $node did not become ready" >&2
    return 1
  fi
}

cluster_speaker_ready() {
  lan_alive "${CLUSTER_SPEAKER_PID[$1]}" &&
    lan_exec "$1" curl -sf -m 1 -o /dev/null http://127.0.0.1:7472/readyz
}

# cluster_speaker_metric NODE NAME: the value of the unlabelled metric NAME on NODE's
# speaker (over loopback, so it answers during a partition too), or nothing.
cluster_speaker_metric() {
  lan_exec "$1" curl -sf -m 1 http://127.0.0.1:7472/metrics 2>/dev/null |
    awk -v n="$2" '$1 == n {print $2}'
}

# cluster_speakers_settled: every speaker is ready, hears every node and claims.
cluster_speakers_settled() {
  local node
  for node in "${LAN_NODES[@]}"; do
    cluster_speaker_ready "$node" || return 1
    [ "$(cluster_speaker_metric "$node" metallb_speaker_members_heard)" = "${#LAN_NODES[@]}" ] ||
      return 1
    [ "$(cluster_speaker_metric "$node" metallb_speaker_claiming)" = 1 ] || return 1
  done
}

# cluster_stop_speaker NODE [SIGNAL]: stops NODE's speaker (default SIGTERM).
cluster_stop_speaker() {
  lan_stop "${CLUSTER_SPEAKER_PID[$1]}" "${2:-TERM}"
  unset "CLUSTER_SPEAKER_PID[$1]"
}

# cluster_stop_controller [SIGNAL]
cluster_stop_controller() {
  lan_stop "$CLUSTER_CONTROLLER_PID" "${1:-TERM}"
  CLUSTER_CONTROLLER_PID=""
}

# cluster_up: API server, Nodes, the three tutorial manifests in the tutorial's order,
# the controller, one speaker per node, nginx on every node.
cluster_up() {
  cluster_start_apiserver || return 1
  cluster_register_nodes || return 1
  kapply "$LB_MANIFESTS/metallb.yaml" >/dev/null || return 1
  kapply "$LB_MANIFESTS/example-arp-config.yaml" >/dev/null || return 1
  cluster_start_controller || return 1
  local node
  for node in "${LAN_NODES[@]}"; do
    cluster_start_speaker "$node" || return 1
  done
  for node in "${LAN_NODES[@]}"; do
    cluster_start_nginx "$node" || return 1
  done
}

# --- what the rest of a cluster would do ---------------------------------------------

# cluster_endpoints SERVICE [FAMILY] NODE...: the EndpointSlice the endpoints
# controller keeps for SERVICE (namespace default, port http 80/TCP): one ready
# endpoint per NODE, at the node's address of FAMILY (IPv4, the default, or IPv6).
# With no NODE the slice has no endpoints.
cluster_endpoints() {
  local svc=$1 family=IPv4 node addr
  shift
  if [ "${1:-}" = IPv4 ] || [ "${1:-}" = IPv6 ]; then
    family=$1
    shift
  fi
  {
    cat <<EOF
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: $svc-${family,,}
  namespace: default
  labels:
    kubernetes.io/service-name: $svc
    endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io
addressType: $family
ports:
- name: http
  port: 80
  protocol: TCP
EOF
    if (($# == 0)); then
      echo "endpoints: []"
    else
      echo "endpoints:"
    fi
    for node in "$@"; do
      if [ "$family" = IPv6 ]; then addr="$(lan_ip6 "$node")"; else addr="$(lan_ip4 "$node")"; fi
      cat <<EOF
- addresses: ["$addr"]
  conditions: {ready: true, serving: true, terminating: false}
  nodeName: $node
EOF
    done
  } >"$LAN_WORK/endpoints-$svc-$family.yaml"
  kapply "$LAN_WORK/endpoints-$svc-$family.yaml" >/dev/null
}

# cluster_start_nginx NODE: nginx in NODE's namespace on 0.0.0.0:80 and [::]:80,
# serving the stock welcome page with a header naming the node; waits until it
# answers on the node's own address.
cluster_start_nginx() {
  local node=$1 dir="$LAN_WORK/nginx-$1"
  mkdir -p "$dir"
  cat >"$dir/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log;
events { worker_connections 128; }
http {
  include /etc/nginx/mime.types;
  access_log $dir/access.log;
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
  server {
    listen 0.0.0.0:80;
    listen [::]:80 ipv6only=on;
    root /usr/share/nginx/html;
    index index.html;
    add_header X-Served-By $node;
  }
}
EOF
  lan_spawn "$node" "$dir/stderr.log" nginx -c "$dir/nginx.conf" -p "$dir" -e "$dir/error.log"
  CLUSTER_NGINX_PID[$node]=$LAN_PID
  if ! lan_wait_for 10 lan_exec "$node" curl -sf -m 1 -o /dev/null "http://$(lan_ip4 "$node")/"; then
    cat "$dir/stderr.log" "$dir/error.log" >&2
    echo "nginx on $node does not answer" >&2
    return 1
  fi
}

# cluster_external_ips SERVICE: the Service's ingress addresses, space-separated.
cluster_external_ips() {
  K get service "$1" -o jsonpath='{range .status.loadBalancer.ingress[*]}{.ip}{" "}{end}' |
    sed 's/ *$//'
}

# cluster_wait_external_ip SERVICE WANT [SECONDS]: waits until the Service's ingress
# addresses are exactly WANT (space-separated; "" for none).
cluster_wait_external_ip() {
  lan_wait_for "${3:-20}" cluster_external_ip_is "$1" "$2"
}
cluster_external_ip_is() { [ "$(cluster_external_ips "$1")" = "$2" ]; }

# cluster_has_ip SERVICE REGEX: whether the Service's ingress addresses (as
# cluster_external_ips prints them) match the extended REGEX in full.
cluster_has_ip() { [[ "$(cluster_external_ips "$1")" =~ ^$2$ ]]; }

# cluster_kube_proxy: makes kube-ipvs0 on every node hold exactly the ingress
# addresses of all LoadBalancer Services, as kube-proxy in IPVS mode (strictARP) does.
cluster_kube_proxy() {
  local want
  want="$(K get services -A -o jsonpath='{range .items[?(@.spec.type=="LoadBalancer")]}{range .status.loadBalancer.ingress[*]}{.ip}{"\n"}{end}{end}')" ||
    return 1
  # shellcheck disable=SC2086 # one address a word
  kube_proxy_set_addresses $want
}

# kube_proxy_set_addresses ADDRESS...: kube-ipvs0 on every node holds exactly these
# addresses (/32, or /128 nodad). The device and the sysctls net.ipv4.conf.all.
# arp_ignore=1 and arp_announce=2 are set up on first use. kube-ipvs0 is a dummy
# device; kernels built without dummy get an ifb device instead, which is, like
# dummy, NOARP and always up. Neither kernel answers ARP or NDP on eth0 for an
# address on kube-ipvs0 (tests/e2e/kube_proxy_test.sh checks this).
kube_proxy_set_addresses() {
  local want node ns have ip
  want="$(printf '%s\n' "$@" | sed '/^$/d' | sort -u)"
  for node in "${LAN_NODES[@]}"; do
    ns="$(lan_ns "$node")"
    if ! ip -n "$ns" link show kube-ipvs0 >/dev/null 2>&1; then
      ip netns exec "$ns" sysctl -qw net.ipv4.conf.all.arp_ignore=1 \
        net.ipv4.conf.all.arp_announce=2 || return 1
      ip -n "$ns" link add kube-ipvs0 type dummy 2>/dev/null ||
        ip -n "$ns" link add kube-ipvs0 type ifb || return 1
      ip -n "$ns" link set kube-ipvs0 up || return 1
    fi
    have="$(ip -n "$ns" -o addr show dev kube-ipvs0 scope global |
      awk '{print $4}' | sed 's|/.*||' | sort -u)"
    for ip in $want; do
      grep -qxF "$ip" <<<"$have" && continue
      if [[ $ip == *:* ]]; then
        ip -n "$ns" addr add "$ip/128" dev kube-ipvs0 nodad || return 1
      else
        ip -n "$ns" addr add "$ip/32" dev kube-ipvs0 || return 1
      fi
    done
    for ip in $have; do
      grep -qxF "$ip" <<<"$want" && continue
      if [[ $ip == *:* ]]; then
        ip -n "$ns" addr del "$ip/128" dev kube-ipvs0 || return 1
      else
        ip -n "$ns" addr del "$ip/32" dev kube-ipvs0 || return 1
      fi
    done
  done
}

# --- observing from the router -------------------------------------------------------

# arp_macs IP [COUNT]: asks who has IP from the router COUNT times (default 3), 200 ms
# apart (arptool probe: a broadcast ARP request, or a neighbour solicitation for an
# IPv6 address), and prints every distinct MAC that answered (lower case, one a
# line; nothing if none did). Needs LB_ARPTOOL.
arp_macs() {
  lan_exec router "$LB_ARPTOOL" probe -i eth0 -c "${2:-3}" -w 200 "$1" 2>/dev/null |
    sed -n 's/^reply from [^ ]* at \([0-9A-Fa-f:]*\).*/\1/p' | tr 'A-F' 'a-f' | sort -u
}

# arp_owner IP: the one node whose MAC answers ARP for IP; fails (with the MACs seen on
# stderr) unless exactly one MAC answered.
arp_owner() {
  local macs n
  macs="$(arp_macs "$1")"
  n="$(grep -c . <<<"$macs" || true)"
  if [ "$n" != 1 ]; then
    echo "ARP for $1 answered by $n MACs: $(tr '\n' ' ' <<<"$macs")" >&2
    return 1
  fi
  lan_host_of_mac "$macs"
}

# wait_arp_owner IP [SECONDS]: waits until exactly one node answers ARP for IP and
# prints that node.
wait_arp_owner() {
  local deadline owner
  deadline=$(($(date +%s) + ${2:-15}))
  while true; do
    if owner="$(arp_owner "$1" 2>/dev/null)" && [[ $owner == node* ]]; then
      echo "$owner"
      return 0
    fi
    [ "$(date +%s)" -lt "$deadline" ] || break
  done
  arp_owner "$1" >/dev/null
  return 1
}

# arp_owner_is IP NODE: whether NODE alone answers ARP for IP.
arp_owner_is() { [ "$(arp_owner "$1" 2>/dev/null)" = "$2" ]; }

# wait_arp_silent IP [SECONDS]: waits until nothing answers ARP for IP.
wait_arp_silent() { lan_wait_for "${2:-15}" arp_silent "$1"; }
arp_silent() { [ -z "$(arp_macs "$1" 2)" ]; }

# fresh_curl URL ARGS...: curl from the router after forgetting cached neighbours, so
# the request follows the current ARP/NDP answer.
fresh_curl() {
  local url=$1
  shift
  lan_exec router ip neigh flush dev eth0 >/dev/null 2>&1 || true
  lan_exec router curl -sS -m 5 "$@" "$url"
}

# measure_failover IP OLD_NODE ACTION...: runs ACTION (a command that makes OLD_NODE
# stop answering, e.g. killing its speaker) while the router asks who has IP every
# 10 ms (arptool probe: a broadcast ARP request, or an NS for IPv6), and waits up to
# 20 s for an answer from another MAC. Runs in the current shell (ACTION may change
# its state) and sets FAILOVER_NODE (the new owner), FAILOVER_MS (from ACTION to the
# first answer by FAILOVER_NODE) and FAILOVER_LAST_OLD_MS (from ACTION to OLD_NODE's
# last answer; -1 if none after ACTION). Needs LB_ARPTOOL.
measure_failover() {
  local ip=$1 old=$2 old_mac trace t0 pid first_new new_mac last_old ok
  shift 2
  old_mac="$(lan_mac "$old")"
  trace="$LAN_WORK/failover-$(lan_now_ms).trace"
  # One line per answer: "<epoch ms> <mac>". 3000 requests of 10 ms: 30 s at most.
  lan_exec router stdbuf -oL "$LB_ARPTOOL" probe -i eth0 -c 3000 -w 10 "$ip" 2>/dev/null |
    while IFS= read -r line; do
      if [[ $line =~ ^reply\ from\ [^\ ]+\ at\ ([0-9a-fA-F:]+) ]]; then
        t=${EPOCHREALTIME/./}
        echo "${t:0:${#t}-3} ${BASH_REMATCH[1],,}"
      fi
    done >"$trace" &
  pid=$!
  # Measure only once the old owner is seen answering in this trace.
  if ! lan_wait_for 5 grep -q " $old_mac\$" "$trace"; then
    stop_probe "$pid"
    echo "before the failover, $old ($old_mac) does not answer for $ip" >&2
    return 1
  fi
  t0=$(lan_now_ms)
  if ! "$@"; then
    stop_probe "$pid"
    echo "the failover action failed: $*" >&2
    return 1
  fi
  ok=0
  # shellcheck disable=SC2016 # awk's own $1 and $2
  lan_wait_for 20 awk -v t0="$t0" -v old="$old_mac" \
    '$1 >= t0 && $2 != old {found = 1} END {exit !found}' "$trace" || ok=1
  stop_probe "$pid"
  if [ "$ok" != 0 ]; then
    echo "no other node answered for $ip within 20 s" >&2
    return 1
  fi
  first_new="$(awk -v t0="$t0" -v old="$old_mac" '$1 >= t0 && $2 != old {print; exit}' "$trace")"
  new_mac="${first_new#* }"
  last_old="$(awk -v t0="$t0" -v old="$old_mac" \
    '$1 >= t0 && $2 == old {last = $1 - t0} END {print (last == "" ? -1 : last)}' "$trace")"
  FAILOVER_NODE="$(lan_host_of_mac "$new_mac")"
  FAILOVER_MS=$((${first_new%% *} - t0))
  FAILOVER_LAST_OLD_MS=$last_old
}

# stop_probe PID: ends measure_failover's prober (arptool, run by `ip netns exec` in
# the router namespace, the only arptool there) and its reader PID.
stop_probe() {
  local p
  for p in $(ip netns pids "$(lan_ns router)"); do
    [ "$(cat "/proc/$p/comm" 2>/dev/null)" = arptool ] && kill "$p" 2>/dev/null
  done
  wait "$1" 2>/dev/null || true
  return 0
}
