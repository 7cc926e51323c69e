#!/bin/bash
# Duplicate responders are visible to real tools and to arptool's probe;
# passive conflict detection reports the other MAC; probing before a claim
# refuses a taken address and claims a free one.
source "$(dirname "$0")/topology.sh"
setup_lan 2
N1=$(node_ns 1)
N2=$(node_ns 2)
MAC1=$(mac_of "$N1")
MAC2=$(mac_of "$N2")
DIR="${TEST_TMPDIR:-/tmp}"

start_arptool "$N1" "$DIR/conflict_n1.log" 10.77.0.240 fd77::240
PID1=$LAST_PID

# DAD-style probes from the client are defended by node 1.
if ip netns exec "$NS_CLIENT" arping -D -c 2 -w 3 -I eth0 10.77.0.240 >/dev/null; then
  fail "arping -D saw no defender"
fi
out=$(ip netns exec "$NS_CLIENT" "$ARPTOOL" probe -i eth0 --dad -c 1 -w 500 10.77.0.240)
grep -qi "is-at $MAC1" <<<"$out" || fail "ARP probe not defended: $out"
out=$(ip netns exec "$NS_CLIENT" "$ARPTOOL" probe -i eth0 --dad -c 1 -w 500 fd77::240)
grep -qi "is-at $MAC1" <<<"$out" || fail "DAD not defended: $out"
pass "ARP probe and DAD for an owned address are defended"

# A second owner: both answer, every tool sees it, node 1 reports it.
start_arptool "$N2" "$DIR/conflict_n2.log" 10.77.0.240 fd77::240
PID2=$LAST_PID
out=$(ip netns exec "$NS_CLIENT" "$ARPTOOL" probe -i eth0 -c 2 -w 500 10.77.0.240)
rc=$?
echo "$out"
[ "$rc" -eq 2 ] || fail "probe exit status $rc, want 2 (duplicate)"
grep -qi "DUPLICATE" <<<"$out" && grep -qi "$MAC1" <<<"$out" && grep -qi "$MAC2" <<<"$out" ||
  fail "duplicate not listed with both MACs"
out=$(ip netns exec "$NS_CLIENT" ndisc6 -m -n -r 1 -w 1000 fd77::240 eth0)
echo "$out"
[ "$(grep -ci "Target link-layer" <<<"$out")" -eq 2 ] || fail "ndisc6 -m did not see two answers"
wait_for 5 grep -qi "CONFLICT 10.77.0.240 claimed by $MAC2" "$DIR/conflict_n1.log" ||
  fail "node 1 did not report node 2's claim"
wait_for 5 grep -qi "CONFLICT fd77::240 claimed by $MAC2" "$DIR/conflict_n1.log" ||
  fail "node 1 did not report node 2's IPv6 claim"
pass "duplicate responders detected (probe, ndisc6 -m, passive conflict)"
stop_pid "$PID2"

# Probe before claim: a taken address is not claimed, a free one is.
start_arptool "$N2" "$DIR/conflict_n2p.log" --probe 10.77.0.240 10.77.0.241
wait_for 6 grep -qi "CONFLICT 10.77.0.240 claimed by $MAC1 .*not claimed" "$DIR/conflict_n2p.log" ||
  fail "probing node did not back off from a taken address"
# Both addresses were probed on the same schedule (3 probes 1 s apart, then
# 2 s): once the free one is claimed, the taken one would have been too.
claimed_241() {
  ip netns exec "$NS_CLIENT" "$ARPTOOL" probe -i eth0 -c 1 -w 500 10.77.0.241 |
    grep -qi "10.77.0.241 is-at $MAC2"
}
wait_for 15 claimed_241 || fail "free address not claimed after probing"
out=$(ip netns exec "$NS_CLIENT" "$ARPTOOL" probe -i eth0 -c 2 -w 500 10.77.0.240)
grep -qi "10.77.0.240 is-at $MAC1" <<<"$out" || fail "taken address answered by others: $out"
pass "probe before claim: backs off from 10.77.0.240, claims 10.77.0.241"
