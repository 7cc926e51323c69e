#!/usr/bin/env bash
# Least privilege, shown: both daemons run as their own ServiceAccounts from
# metallb.yaml, with tokens made by `kubectl create token`, against the
# stand-in's RBAC. After the tutorial, a second Service, a failover and a
# controller restart, every request each daemon made (the API server's audit
# log) was allowed, and every grant metallb.yaml gives them served at least one
# request, except the ones listed below with the reason no run here needs them.
# shellcheck source=tests/e2e/e2e.sh
source "$(dirname "$0")/e2e.sh" "$@"

e2e_tutorial
e2e_service second || e2e_fail "creating Service second"
cluster_wait_external_ip second 192.168.1.241 || e2e_fail "second got no address"
cluster_stop_speaker "$OWNER"
lan_wait_for 20 eval '[ -n "$(arp_owner 192.168.1.240)" ] && [ "$(arp_owner 192.168.1.240)" != "$OWNER" ]' ||
  e2e_fail "192.168.1.240 did not move off $OWNER"
cluster_start_speaker "$OWNER" || e2e_fail "restarting the speaker on $OWNER"
cluster_stop_controller
cluster_start_controller controller-2 || e2e_fail "restarting the controller"
K delete service second >/dev/null || e2e_fail "deleting Service second"
cluster_stop_daemons
pass "the tutorial, a second Service, a failover and a restart as the daemons' own accounts"

K get clusterroles,clusterrolebindings,roles,rolebindings -A -o json >"$LAN_WORK/rbac.json" ||
  e2e_fail "reading the RBAC objects"
cat >"$LAN_WORK/allowed-unused" <<'ALLOWED'
controller patch /events  # an Event's count is patched when it repeats; none does here
ALLOWED
python3 "$(dirname "$0")/rbac_audit.py" "$LAN_WORK/audit.log" "$LAN_WORK/rbac.json" \
  "$LAN_WORK/allowed-unused" || e2e_fail "the daemons' requests and metallb.yaml's grants differ"
pass "every request allowed, every grant used"
