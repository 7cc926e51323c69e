#!/usr/bin/env bash
# The main job, as far as it is built: checks the tutorial's config with the controller,
# then lets the allocator assign addresses to the tutorial's nginx Service and a few
# more, printing what a user would see as EXTERNAL-IP.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install.sh
bazel build -c opt //cmd/controller //examples/ipam_operator >/dev/null 2>&1 ||
  bazel build -c opt //cmd/controller //examples/ipam_operator
bin="$(bazel info -c opt bazel-bin 2>/dev/null)"

echo "\$ controller --check-config manifests/example-arp-config.yaml"
"$bin/cmd/controller/controller" --check-config manifests/example-arp-config.yaml
echo
echo "\$ ipam_operator manifests/example-arp-config.yaml manifests/tutorial-2.yaml examples/ipam_operator/services.yaml"
"$bin/examples/ipam_operator/ipam_operator" manifests/example-arp-config.yaml \
  manifests/tutorial-2.yaml examples/ipam_operator/services.yaml
