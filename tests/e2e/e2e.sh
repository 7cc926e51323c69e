# shellcheck shell=bash disable=SC2034
# tests/e2e/e2e.sh: the preamble of every end-to-end test. Sourced as
#   source "$(dirname "$0")/e2e.sh" "$@"
# with the arguments BUILD.bazel passes: the apiserver, controller, speaker and
# arptool binaries and the manifests' metallb.yaml. It sources lan.sh and
# cluster.sh, builds the LAN, and on failure prints the tail of every log.
#
# Tests assert with e2e_fail / `|| e2e_fail ...`, report progress with pass, and wait
# for conditions with the lan_wait_* / wait_arp_* helpers, never with bare sleeps.

set -euo pipefail

if (($# < 5)); then
  echo "usage: $0 APISERVER CONTROLLER SPEAKER ARPTOOL METALLB_YAML" >&2
  exit 2
fi
LB_APISERVER="$(realpath "$1")"
LB_CONTROLLER="$(realpath "$2")"
LB_SPEAKER="$(realpath "$3")"
LB_ARPTOOL="$(realpath "$4")"
LB_MANIFESTS="$(dirname "$(realpath "$5")")"
E2E_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# shellcheck source=tests/e2e/lan.sh
source "$E2E_DIR/lan.sh"
# shellcheck source=tests/e2e/cluster.sh
source "$E2E_DIR/cluster.sh"

e2e_dump_logs() {
  [ "$LAN_EXIT_STATUS" = 0 ] && return 0
  local f
  for f in "$LAN_WORK"/*.log "$LAN_WORK"/nginx-*/error.log; do
    [ -s "$f" ] || continue
    echo "--- ${f#"$LAN_WORK"/} (last 25 lines)"
    tail -n 25 "$f"
  done
}

e2e_fail() {
  echo "FAIL: $*"
  exit 1
}

pass() { echo "ok: $*"; }

lan_up || e2e_fail "building the LAN"
lan_on_cleanup e2e_dump_logs

# e2e_tutorial: the tutorial up to its end state: the cluster with the tutorial's
# config, nginx Service and EndpointSlice (every node), EXTERNAL-IP 192.168.1.240 on
# kube-ipvs0, and one node answering ARP for it, whose name is in $OWNER.
e2e_tutorial() {
  cluster_up || e2e_fail "starting the cluster"
  kapply "$LB_MANIFESTS/tutorial-2.yaml" >/dev/null || e2e_fail "kubectl apply tutorial-2.yaml"
  cluster_endpoints nginx "${LAN_NODES[@]}" || e2e_fail "creating the EndpointSlice"
  cluster_wait_external_ip nginx 192.168.1.240 ||
    e2e_fail "nginx has EXTERNAL-IP \"$(cluster_external_ips nginx)\", want 192.168.1.240"
  cluster_kube_proxy || e2e_fail "kube-proxy's addresses"
  OWNER="$(wait_arp_owner 192.168.1.240)" || e2e_fail "exactly one node answering ARP for .240"
}

# e2e_service NAME [SPEC] [ANNOTATIONS]: applies LoadBalancer Service NAME in namespace
# default (port http 80/TCP, selector app=NAME). SPEC: more lines of its spec, indented
# by 2; ANNOTATIONS: lines of metadata.annotations, indented by 4.
e2e_service() {
  local name=$1 spec=${2:-} annotations=${3:-}
  {
    cat <<EOF
apiVersion: v1
kind: Service
metadata:
  name: $name
EOF
    [ -n "$annotations" ] && printf '  annotations:\n%s\n' "$annotations"
    cat <<EOF
spec:
  type: LoadBalancer
  selector:
    app: $name
  ports:
  - name: http
    port: 80
    protocol: TCP
    targetPort: 80
EOF
    [ -n "$spec" ] && printf '%s\n' "$spec"
  } >"$LAN_WORK/service-$name.yaml"
  kapply "$LAN_WORK/service-$name.yaml" >/dev/null
}
