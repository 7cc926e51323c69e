#!/bin/bash
# arping and ndisc6 from a client get the owning node's MAC, and only it;
# replies are Ethernet unicast to the requester; a unicast (NUD) request is
# answered too.
source "$(dirname "$0")/topology.sh"
setup_lan 2
N1=$(node_ns 1)
N2=$(node_ns 2)
MAC1=$(mac_of "$N1")
MACC=$(mac_of "$NS_CLIENT")
LOG="${TEST_TMPDIR:-/tmp}/reply_n1.log"

start_arptool "$N1" "$LOG" 10.77.0.240 fd77::240

# IPv4: every arping reply comes from node 1.
out=$(ip netns exec "$NS_CLIENT" arping -c 3 -w 5 -I eth0 10.77.0.240) ||
  fail "arping got no reply: $out"
echo "$out"
replies=$(grep -ci "reply from 10.77.0.240" <<<"$out")
[ "$replies" -ge 3 ] || fail "expected 3 replies, got $replies"
grep -i "reply from" <<<"$out" | grep -vqi "$MAC1" &&
  fail "a reply came from another MAC than node 1 ($MAC1)"
pass "arping answered by node 1 ($MAC1)"

# The reply is unicast to the client, op 2, sender = the VIP.
ip netns exec "$NS_CLIENT" tcpdump --immediate-mode -l -n -e -i eth0 -c 1 \
  "arp[6:2] = 2 and arp[14:4] = 0x0a4d00f0 and arp[24:4] != 0x0a4d00f0" >"$LOG.cap" 2>"$LOG.cap.err" &
cap=$!
BG_PIDS+=("$cap")
wait_for 10 grep -q "listening on" "$LOG.cap.err" || fail "tcpdump did not start"
ip netns exec "$NS_CLIENT" arping -c 1 -w 2 -I eth0 10.77.0.240 >/dev/null
wait_for 5 grep -q "is-at" "$LOG.cap" || fail "no ARP reply captured"
wait "$cap"
cat "$LOG.cap"
grep -qi "$MAC1 > $MACC" "$LOG.cap" || fail "reply not unicast from node 1 to the client"
grep -q "is-at $MAC1" "$LOG.cap" || fail "reply does not carry node 1's MAC"
pass "reply is Ethernet unicast to the requester"

# Unicast request to node 1's MAC (what a client sends to re-confirm a
# stale entry): iputils arping sends unicast after the first reply.
out=$(ip netns exec "$NS_CLIENT" arping -c 2 -w 4 -I eth0 10.77.0.240)
grep -q "Received 2 response" <<<"$out" || fail "unicast re-probe unanswered: $out"
pass "unicast request answered"

# IPv6: ndisc6 sees exactly node 1's MAC.
out=$(ip netns exec "$NS_CLIENT" ndisc6 -m -n -r 2 -w 1000 fd77::240 eth0) ||
  fail "ndisc6 got no answer: $out"
echo "$out"
grep -qi "$MAC1" <<<"$out" || fail "ndisc6 did not see node 1's MAC"
[ "$(grep -ci "Target link-layer" <<<"$out")" -eq 1 ] || fail "several answers: $out"
pass "ndisc6 answered by node 1"

# The NA has S and O set (a stale entry with another MAC gets replaced).
ip netns exec "$NS_CLIENT" ip -6 neigh replace fd77::240 lladdr 02:00:00:00:00:99 \
  dev eth0 nud stale
ip netns exec "$NS_CLIENT" ndisc6 -n -r 1 -w 1000 fd77::240 eth0 >/dev/null
ip netns exec "$NS_CLIENT" bash -c "exec 3<>/dev/udp/fd77::240/9; echo x >&3" 2>/dev/null
neigh_is_node1() { ip -n "$NS_CLIENT" -6 neigh show fd77::240 | grep -qi "$MAC1"; }
wait_for 10 neigh_is_node1
ip -n "$NS_CLIENT" -6 neigh show fd77::240
neigh_is_node1 || fail "client neighbour entry not updated to node 1"
pass "stale IPv6 entry replaced by node 1's MAC"

# Node 2 (not owning) stayed silent; node 1 counted the answers.
stop_pid "$LAST_PID"
cat "$LOG.out"
grep -q "^replies_sent: [1-9]" "$LOG.out" || fail "no replies counted"
grep -q "Request: who-has 10.77.0.240? tell 10.77.0.1 ($MACC). reply: 10.77.0.240 is-at $MAC1" "$LOG" ||
  fail "no MetalLB-format log line"
pass "counters and log line"
