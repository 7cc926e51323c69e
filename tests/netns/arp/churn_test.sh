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
ip netns exec "$NS_CLIENT" tcpdump -U -n -i eth0 -w "$PCAP" \
  "arp and arp[6:2] = 1 and arp[14:4] = arp[24:4]" 2>/dev/null &
cap=$!
BG_PIDS+=("$cap")
sleep 0.5
ip -n "$N1" link set eth0 address "$NEWMAC"
eventually 10.77.0.240 "$NEWMAC"
sleep 0.3
kill "$cap"
wait "$cap" 2>/dev/null
garps=$(tcpdump -n -r "$PCAP" "ether src $NEWMAC" 2>/dev/null | wc -l)
[ "$garps" -ge 1 ] || fail "no gratuitous ARP with the new MAC"
pass "MAC change re-announced ($garps GARPs with $NEWMAC) and answered with it"

# A second interface appearing on the same segment and subnet is served
# too, with its own MAC and its own takeover burst.
PCAP2="$DIR/churn2_$$.pcap"
ip netns exec "$NS_CLIENT" tcpdump -U -n -i eth0 -w "$PCAP2" \
  "arp and arp[6:2] = 1 and arp[14:4] = arp[24:4]" 2>/dev/null &
cap=$!
BG_PIDS+=("$cap")
sleep 0.5
ip link add v2nd netns "$N1" address 02:00:00:77:bb:01 type veth peer name p2nd netns "$NS_LAN"
ip -n "$NS_LAN" link set p2nd master br0 up
ip -n "$N1" link set v2nd name eth1
ip -n "$N1" addr add 10.77.0.31/24 dev eth1
ip -n "$N1" link set eth1 up
for i in $(seq 1 30); do
  [ "$(tcpdump -n -r "$PCAP2" "ether src 02:00:00:77:bb:01" 2>/dev/null | wc -l)" -ge 1 ] && break
  sleep 0.1
done
kill "$cap"
wait "$cap" 2>/dev/null
second=$(tcpdump -n -r "$PCAP2" "ether src 02:00:00:77:bb:01" 2>/dev/null | wc -l)
[ "$second" -ge 1 ] || fail "no announcement from the new interface"
pass "a new interface in the subnet is announced on ($second GARPs)"

stop_pid "$LAST_PID"
grep -q "^send_errors: 0" "$LOG.out" || echo "note: send errors while the link was down"
