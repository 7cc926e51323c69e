#!/usr/bin/env bash
# Convergence: from a Service's creation to its EXTERNAL-IP in the status, and to the
# first ARP frame for that address on the wire, as the client (router namespace) sees
# them. On a cluster of three nodes (controller, speakers, API server stand-in), with
# a pool of 64 addresses (192.168.1.128/26), convergence_probe creates
# CONVERGENCE_COUNT Services (default 50) one after another, each after its
# EndpointSlice, and times each from just before the POST that creates it: the status
# as its own watch delivers it, the ARP frame by the kernel's receive time on the
# router's eth0 (a raw capture). Prints p50/p99/max of both (and of the POST itself,
# for reference). Target: p50 < 20 ms, p99 < 100 ms.
#
# Run: bazel run -c opt //tests/bench/lan:convergence_bench  (as root), or
#      bash tests/bench/run.sh lan:convergence_bench
# Needs root; every namespace and process it creates is removed on exit.
set -euo pipefail

BENCH_RUNFILES="${RUNFILES_DIR:-$0.runfiles}/lb"
# shellcheck source=tests/bench/lan/bench_lib.sh
source "$BENCH_RUNFILES/tests/bench/lan/bench_lib.sh"

COUNT="${CONVERGENCE_COUNT:-50}"
((COUNT >= 1 && COUNT <= 63)) || bench_fail "CONVERGENCE_COUNT must be 1..63 (the pool has 64 addresses)"

bench_lan_up tests/bench/lan/convergence_probe
echo "# CONVERGENCE_COUNT=$COUNT bazel run -c opt //tests/bench/lan:convergence_bench"
bench_machine

bench_log "setting up the cluster"
cluster_up || bench_fail "starting the cluster"
configs="$(lan_count_log "$LAN_WORK/controller.log" "End config update")"
cat >"$LAN_WORK/bench-config.yaml" <<YAML
apiVersion: v1
kind: ConfigMap
metadata:
  namespace: metallb-system
  name: config
data:
  config: |
    address-pools:
    - name: bench
      protocol: arp
      cidr:
      - 192.168.1.128/26
YAML
kapply "$LAN_WORK/bench-config.yaml" >/dev/null || bench_fail "applying the benchmark's pool"
# shellcheck disable=SC2317 # called through lan_wait_for
config_loaded() { [ "$(lan_count_log "$LAN_WORK/controller.log" "End config update")" -gt "$configs" ]; }
lan_wait_for 10 config_loaded ||
  bench_fail "the controller did not load the benchmark's pool"
lan_wait_for 30 cluster_speakers_settled || bench_fail "speakers not settled"

endpoints=""
for node in "${LAN_NODES[@]}"; do
  endpoints+="${endpoints:+,}$node=$(lan_ip4 "$node")"
done
status=0
lan_exec router "$LAN_WORK/bin/convergence_probe" --kubeconfig "$CLUSTER_KUBECONFIG" \
  --interface eth0 --count "$COUNT" --endpoints "$endpoints" --gap-ms 300 || status=$?
exit "$status"
