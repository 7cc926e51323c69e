#!/usr/bin/env bash
# The harness's kube-proxy stand-in leaves ARP and NDP to the speakers: with the
# service addresses on kube-ipvs0 in every node (arp_ignore=1, arp_announce=2, IPv6
# nodad), no kernel answers an ARP request or a neighbour solicitation for them on
# the LAN. Controls show the probes would see a kernel that did answer.
# shellcheck source=tests/e2e/e2e.sh
source "$(dirname "$0")/e2e.sh" "$@"

kube_proxy_set_addresses 192.168.1.240 fd00:1::240 || e2e_fail "adding the addresses to kube-ipvs0"
for node in "${LAN_NODES[@]}"; do
  lan_exec "$node" ip -o addr show dev kube-ipvs0 | lan_contains "inet 192.168.1.240/32" ||
    e2e_fail "$node lacks 192.168.1.240 on kube-ipvs0"
  lan_exec "$node" ip -o addr show dev kube-ipvs0 | lan_contains "inet6 fd00:1::240/128" ||
    e2e_fail "$node lacks fd00:1::240 on kube-ipvs0"
  [ "$(lan_exec "$node" sysctl -n net.ipv4.conf.all.arp_ignore)" = 1 ] || e2e_fail "arp_ignore on $node"
done
[ -z "$(arp_macs 192.168.1.240 5)" ] || e2e_fail "a kernel answers ARP for 192.168.1.240: $(arp_macs 192.168.1.240)"
[ -z "$(arp_macs fd00:1::240 5)" ] || e2e_fail "a kernel answers NS for fd00:1::240: $(arp_macs fd00:1::240)"
if lan_exec router ndisc6 -n -r 3 -w 300 fd00:1::240 eth0 >/dev/null 2>&1; then
  e2e_fail "ndisc6 got an answer for fd00:1::240"
fi
pass "no kernel answers ARP or NS for the addresses on kube-ipvs0"

# Controls: without arp_ignore node1's kernel answers ARP for an address on any of
# its interfaces; with the address on eth0 it answers NS.
lan_exec node1 sysctl -qw net.ipv4.conf.all.arp_ignore=0
[ "$(arp_macs 192.168.1.240)" = "$(lan_mac node1)" ] || e2e_fail "control: node1's kernel did not answer ARP"
lan_exec node1 sysctl -qw net.ipv4.conf.all.arp_ignore=1
[ -z "$(arp_macs 192.168.1.240)" ] || e2e_fail "control: node1's kernel still answers ARP"
lan_exec node1 ip addr add fd00:1::240/128 dev eth0 nodad
[ "$(arp_macs fd00:1::240)" = "$(lan_mac node1)" ] || e2e_fail "control: node1's kernel did not answer NS"
lan_exec node1 ip addr del fd00:1::240/128 dev eth0
[ -z "$(arp_macs fd00:1::240)" ] || e2e_fail "control: node1's kernel still answers NS"
pass "controls: the same probes see a kernel that answers"

kube_proxy_set_addresses 192.168.1.241 || e2e_fail "replacing the addresses"
for node in "${LAN_NODES[@]}"; do
  [ "$(lan_exec "$node" ip -o addr show dev kube-ipvs0 scope global | awk '{print $4}')" = 192.168.1.241/32 ] ||
    e2e_fail "$node's kube-ipvs0 does not hold exactly 192.168.1.241"
done
pass "kube-ipvs0 follows the address set"
