#!/usr/bin/env bash
# Runs the example operator on the tutorial's manifests and checks what it prints.
set -u
out="$(examples/ipam_operator/ipam_operator manifests/example-arp-config.yaml \
  manifests/tutorial-2.yaml examples/ipam_operator/services.yaml 2>&1)"
echo "$out"
fail=0
want() {
  grep -qE -- "$1" <<<"$out" || { echo "FAIL: missing: $1"; fail=1; }
}
want '^  my-ip-space \(IPv4\): 15 addresses'
want '^  default/nginx +192\.168\.1\.240 +pool my-ip-space'
want '^  infra/dns-tcp +192\.168\.1\.241 '
want '^  infra/dns-udp +192\.168\.1\.241 '
want '^  infra/ingress +192\.168\.1\.250 '
want '^  infra/legacy +<pending> +"192\.168\.1\.250" is already in use by "infra/ingress"'
want '^delete default/nginx:'
want 'my-ip-space: 2 in use, 1 held back after release'
if grep -q 'infra/internal' <<<"$out"; then echo "FAIL: a ClusterIP service was listed"; fail=1; fi
exit $fail
