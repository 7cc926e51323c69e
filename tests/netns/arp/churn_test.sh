#!/bin/bash
# Interface down/up, address changes and MAC changes on a node are followed
# while arptool keeps running (netlink events, no restart).
source "$(dirname "$0")/topology.sh"
setup_lan 1
N1=$(node_ns 1)
MAC1=$(mac_of "$N1")
DIR="${TEST_TMPDIR:-/tmp}"
LOG="$DIR/churn_n1.log"

answers() {  # answers ADDRESS -> MAC that answered, or nothing
  ip netns exec "$NS_CLIENT" "$ARPTOOL" probe -i eth0 -c 1 -w 500 "$1" |
    awk '/ is-at /{print $3}'
}

eventually() {  # eventually ADDRESS EXPECTED_MAC_OR_EMPTY
  local got i
  for i in $(seq 1 20); do
    got=$(answers "$1")
    [ "$got" = "$2" ] && return 0
  done
  fail "$1 answered by '${got}', expected '${2}'"
}

start_arptool "$N1" "$LOG" 10.77.0.240 fd77::240
eventually 10.77.0.240 "$MAC1"
eventually fd77::240 "$MAC1"
pass "answering on eth0"

# Down / up.
ip -n "$N1" link set eth0 down
eventually 10.77.0.240 ""
ip -n "$N1" link set eth0 up
eventually 10.77.0.240 "$MAC1"
pass "interface down stops answers, up restores them"

# IPv4 prefix removed / another one in the same subnet added.
ip -n "$N1" addr del 10.77.0.11/24 dev eth0
eventually 10.77.0.240 ""
ip -n "$N1" addr add 10.77.0.21/24 dev eth0
eventually 10.77.0.240 "$MAC1"
pass "IPv4 address removal and addition followed"

# IPv6 prefix (down/up flushed it; add it back).
ip -n "$N1" -6 addr flush dev eth0 scope global
eventually fd77::240 ""
ip -n "$N1" addr add fd77::21/64 dev eth0 nodad
eventually fd77::240 "$MAC1"
pass "IPv6 address removal and addition followed"

# MAC change: a fresh burst with the new MAC, and answers carry it.
NEWMAC=02:00:00:77:aa:01
PCAP="$DIR/churn_$$.pcap"
start_capture "$NS_CLIENT" "$PCAP" "arp and arp[6:2] = 1 and arp[14:4] = arp[24:4]"
cap=$CAP_PID
ip -n "$N1" link set eth0 address "$NEWMAC"
eventually 10.77.0.240 "$NEWMAC"
wait_for 5 pcap_count_at_least 1 "$PCAP" "ether src $NEWMAC"
stop_pid "$cap"
garps=$(pcap_count "$PCAP" "ether src $NEWMAC")
[ "$garps" -ge 1 ] || fail "no gratuitous ARP with the new MAC"
pass "MAC change re-announced ($garps GARPs with $NEWMAC) and answered with it"

# A second interface appearing on the same segment and subnet is served
# too, with its own MAC and its own takeover burst.
PCAP2="$DIR/churn2_$$.pcap"
start_capture "$NS_CLIENT" "$PCAP2" "arp and arp[6:2] = 1 and arp[14:4] = arp[24:4]"
cap=$CAP_PID
ip link add v2nd netns "$N1" address 02:00:00:77:bb:01 type veth peer name p2nd netns "$NS_LAN"
ip -n "$NS_LAN" link set p2nd master br0 up
ip -n "$N1" link set v2nd name eth1
ip -n "$N1" addr add 10.77.0.31/24 dev eth1
ip -n "$N1" link set eth1 up
wait_for 5 pcap_count_at_least 1 "$PCAP2" "ether src 02:00:00:77:bb:01"
stop_pid "$cap"
second=$(pcap_count "$PCAP2" "ether src 02:00:00:77:bb:01")
[ "$second" -ge 1 ] || fail "no announcement from the new interface"
pass "a new interface in the subnet is announced on ($second GARPs)"

# The responder closes an interface's sockets as it goes down and opens
# them once it is back: no send ever fails on the way.
stop_pid "$LAST_PID"
cat "$LOG.out"
grep -q "^send_errors: 0$" "$LOG.out" || fail "send errors while following the churn"
pass "no send errors"
