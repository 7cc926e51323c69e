#!/bin/bash
# The takeover burst carries the right frames at the right spacing; after
# release nothing answers; a moved address updates the client's neighbour
# cache through the burst alone (the client sends nothing).
source "$(dirname "$0")/topology.sh"
setup_lan 2
N1=$(node_ns 1)
N2=$(node_ns 2)
MAC1=$(mac_of "$N1")
MAC2=$(mac_of "$N2")
DIR="${TEST_TMPDIR:-/tmp}"
PCAP="$DIR/takeover_$$.pcap"

# --- the burst: 3 rounds, 400 ms apart.
start_capture "$NS_CLIENT" "$PCAP" "arp or (icmp6 and ip6[40] = 136)"
cap=$CAP_PID
start_arptool "$N1" "$DIR/takeover_n1.log" --rounds 3 --interval 400 10.77.0.240 fd77::240
# Three rounds of three frames; a fourth round, if there were one, would
# follow the third by 400 ms: watch 600 ms more for it.
wait_for 10 pcap_count_at_least 9 "$PCAP" "ether src $MAC1" ||
  fail "the burst did not complete: $(pcap_count "$PCAP" "ether src $MAC1") frames from node 1"
wait_for 0.6 pcap_count_at_least 10 "$PCAP" "ether src $MAC1"
stop_pid "$cap"

count() { pcap_count "$PCAP" "$1"; }
# Request-style: op 1, SPA = TPA = VIP, THA zero, Ethernet broadcast.
req=$(count "arp[6:2] = 1 and arp[14:4] = 0x0a4d00f0 and arp[24:4] = 0x0a4d00f0 and arp[18:4] = 0 and arp[22:2] = 0 and ether dst ff:ff:ff:ff:ff:ff")
# Reply-style: op 2, SPA = TPA = VIP, THA = SHA, Ethernet broadcast.
rep=$(count "arp[6:2] = 2 and arp[14:4] = 0x0a4d00f0 and arp[24:4] = 0x0a4d00f0 and arp[8:4] = arp[18:4] and arp[12:2] = arp[22:2] and ether dst ff:ff:ff:ff:ff:ff")
# Unsolicited NA: to ff02::1, O set, S clear, target fd77::240.
na=$(count "ip6 dst ff02::1 and ip6[40] = 136 and ip6[44] & 0x20 != 0 and ip6[44] & 0x40 = 0 and ip6[48:4] = 0xfd770000 and ip6[60:4] = 0x00000240")
from1=$(count "ether src $MAC1")
echo "request-style=$req reply-style=$rep na=$na from-node1=$from1"
[ "$req" -eq 3 ] || fail "expected 3 request-style GARPs, saw $req"
[ "$rep" -eq 3 ] || fail "expected 3 reply-style GARPs, saw $rep"
[ "$na" -eq 3 ] || fail "expected 3 unsolicited NAs, saw $na"
[ "$from1" -eq 9 ] || fail "expected 9 frames from node 1, saw $from1"
# Spacing of the request-style GARPs: 400 ms +- 100 ms.
times=$(tcpdump -tt -n -r "$PCAP" "arp[6:2] = 1 and arp[14:4] = arp[24:4]" 2>/dev/null | awk '{print $1}')
echo "$times"
awk 'NR > 1 { gap = $1 - prev; if (gap < 0.3 || gap > 0.5) { print "gap " gap; bad = 1 } } { prev = $1 } END { exit bad }' <<<"$times" ||
  fail "announcements not 400 ms apart"
pass "takeover burst: 3 x (request-style + reply-style GARP) and 3 NAs, 400 ms apart"

# --- release: nothing answers once node 1 stops.
stop_pid "$LAST_PID"
if ip netns exec "$NS_CLIENT" arping -c 2 -w 3 -I eth0 10.77.0.240 >/dev/null; then
  fail "someone still answers after release"
fi
if ip netns exec "$NS_CLIENT" ndisc6 -n -r 1 -w 500 fd77::240 eth0 >/dev/null; then
  fail "someone still answers NS after release"
fi
pass "nothing answers after release"

# --- move: client has entries pointing at node 1; node 2 takes over.
ip -n "$NS_CLIENT" neigh replace 10.77.0.240 lladdr "$MAC1" dev eth0 nud reachable
ip -n "$NS_CLIENT" -6 neigh replace fd77::240 lladdr "$MAC1" dev eth0 nud reachable
t0=$(date +%s.%N)
start_arptool "$N2" "$DIR/takeover_n2.log" 10.77.0.240 fd77::240
ok4=""
ok6=""
for i in $(seq 1 60); do
  [ -z "$ok4" ] && ip -n "$NS_CLIENT" neigh show 10.77.0.240 | grep -qi "$MAC2" &&
    ok4=$(date +%s.%N)
  [ -z "$ok6" ] && ip -n "$NS_CLIENT" -6 neigh show fd77::240 | grep -qi "$MAC2" &&
    ok6=$(date +%s.%N)
  [ -n "$ok4" ] && [ -n "$ok6" ] && break
  sleep 0.05
done
ip -n "$NS_CLIENT" neigh show 10.77.0.240
ip -n "$NS_CLIENT" -6 neigh show fd77::240
[ -n "$ok4" ] || fail "IPv4 neighbour entry did not move to node 2"
[ -n "$ok6" ] || fail "IPv6 neighbour entry did not move to node 2"
echo "moved after $(awk "BEGIN{print $ok4 - $t0}") s (IPv4), $(awk "BEGIN{print $ok6 - $t0}") s (IPv6), incl. process start"
pass "moved address updated the client's neighbour cache"
