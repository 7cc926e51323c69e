#!/usr/bin/env bash
# Runs the real controller binary with --check-config on valid and invalid files and
# checks its output and exit status.
set -u
controller=cmd/controller/controller
fail=0
expect() {  # expect <description> <want-exit> <want-substring> -- args...
  local what="$1" want_rc="$2" want="$3"
  shift 4
  out="$("$controller" "$@" 2>&1)"
  rc=$?
  if [ "$rc" != "$want_rc" ] || ! grep -qF -- "$want" <<<"$out"; then
    echo "FAIL: $what: exit $rc (want $want_rc), output:"
    echo "$out"
    echo "(wanted: $want)"
    fail=1
  else
    echo "ok: $what"
  fi
}
expect "tutorial config is valid" 0 \
  'pool "my-ip-space" (arp, arp-network 192.168.1.0/24): 192.168.1.240/28' \
  -- --check-config manifests/example-arp-config.yaml
expect "capacity and first address" 0 "IPv4: 15 usable addresses, first 192.168.1.240" \
  -- --check-config manifests/example-arp-config.yaml
expect "host bits error with manifest line" 1 \
  'bad-config.yaml:12:9: error: address pool #1 "my-ip-space": cidr "192.168.1.241/28": invalid CIDR "192.168.1.241/28": host bits are set; the aligned prefix is "192.168.1.240/28"' \
  -- --check-config cmd/controller/testdata/bad-config.yaml
expect "second error reported too" 1 \
  'bad-config.yaml:17:17: error: address pool #3 "third": unknown protocol "carrier-pigeon"' \
  -- --check-config cmd/controller/testdata/bad-config.yaml
expect "summary names the outcome" 1 "configuration is invalid (2 errors)" \
  -- --check-config cmd/controller/testdata/bad-config.yaml
expect "unknown key is a warning" 0 \
  'warn-config.yaml:5:3: warning: address pool #1 "v6": unknown key "auto-asign" is ignored' \
  -- --check-config cmd/controller/testdata/warn-config.yaml
expect "an IPv6 /64 is counted exactly" 0 "IPv6: 18446744073709551616 usable addresses" \
  -- --check-config cmd/controller/testdata/warn-config.yaml
expect "a BGP pool is valid but warned about: nothing announces it yet" 0 \
  'bgp-config.yaml: warning: pool "routed" is a BGP pool: BGP mode is not built yet, so its addresses are assigned but nothing announces them' \
  -- --check-config cmd/controller/testdata/bgp-config.yaml
expect "missing file" 1 "cannot read the file" -- --check-config /nonexistent.yaml
exit $fail
