# shellcheck shell=bash disable=SC2034
# tests/fault/fault.sh: the preamble of the network-namespace fault tests. Sourced as
#   source "$(dirname "$0")/fault.sh" "$@"
# with the arguments of tests/e2e/e2e.sh (BUILD.bazel passes them). It sources e2e.sh,
# which builds the LAN and registers its cleanup (every namespace and process goes on
# exit, failure and Ctrl-C), and adds the helpers below. Tests assert with e2e_fail
# and report with pass, as the end-to-end tests do.

# shellcheck source=tests/e2e/e2e.sh
source "$(dirname "${BASH_SOURCE[0]}")/../e2e/e2e.sh" "$@"

# arping_replies IP COUNT: iputils arping from the router, COUNT broadcast requests
# 1 s apart (-b: it never switches to unicast, so every node claiming IP is asked
# every time); prints the MAC of every reply, lower case, one a line.
arping_replies() {
  { lan_exec router arping -b -c "$2" -I eth0 "$1" 2>/dev/null || true; } |
    sed -n 's/.*reply from [0-9.]* \[\([0-9A-Fa-f:]*\)\].*/\1/p' | tr 'A-F' 'a-f'
}

# assert_one_owner COUNT IP...: arping_replies IP COUNT for every IP at once (COUNT
# seconds in all). Each IP must get COUNT replies, one per request, all from one MAC.
# Prints "IP NODE" per IP; otherwise says why on stderr and returns 1.
assert_one_owner() {
  local count=$1 ip pids=() macs n failed=0
  shift
  for ip in "$@"; do
    arping_replies "$ip" "$count" >"$LAN_WORK/arping-$ip.txt" &
    pids+=($!)
  done
  wait "${pids[@]}" || true
  for ip in "$@"; do
    macs="$(sort -u "$LAN_WORK/arping-$ip.txt")"
    n="$(grep -c . "$LAN_WORK/arping-$ip.txt" || true)"
    if [ "$(grep -c . <<<"$macs" || true)" != 1 ] || [ "$n" != "$count" ]; then
      echo "arping $ip: $n replies to $count requests, from \"$(tr '\n' ' ' <<<"$macs")\";" \
        "want one per request from one MAC" >&2
      failed=1
      continue
    fi
    echo "$ip $(lan_host_of_mac "$macs")"
  done
  [ "$failed" = 0 ]
}
