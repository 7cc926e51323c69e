#!/usr/bin/env bash
# Installs, from Debian's archive, everything the build, the tests and the demo need.
# Idempotent: does nothing when every package is already present.
set -euo pipefail

PACKAGES=(
  bazel-bootstrap bazel-platforms g++ clang clang-format libclang-rt-14-dev libfuzzer-14-dev
  pkg-config libabsl-dev libprotobuf-dev protobuf-compiler libgrpc++-dev protobuf-compiler-grpc
  libnl-3-dev libnl-route-3-dev doctest-dev libcpp-httplib-dev libssl-dev zlib1g-dev
  libbrotli-dev libyaml-cpp-dev nlohmann-json3-dev
  iproute2 iputils-arping ndisc6 tcpdump nginx curl procps python3
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install: ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
