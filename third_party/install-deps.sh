#!/usr/bin/env bash
# Installs the Debian 12 packages that building and testing need, only those
# that are missing. Safe to run any number of times; prints nothing when all
# is in place.
set -euo pipefail

packages=(
  bazel-bootstrap    # Bazel 4.2, WORKSPACE mode
  bazel-platforms    # @platforms, used offline
  default-jdk-headless
  g++
  liburing-dev
  libabsl-dev
  libcxxopts-dev
  doctest-dev
  clang              # libFuzzer targets
  libclang-rt-14-dev # libFuzzer and sanitizer runtimes for clang
  iproute2           # network namespaces in fault tests
  procps             # sysctl
  python3            # kali-bench harness (bench/ only)
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! $sudo apt-get install -y --no-install-recommends "${missing[@]}" >&2; then
  $sudo apt-get update >&2
  $sudo apt-get install -y --no-install-recommends "${missing[@]}" >&2
fi
