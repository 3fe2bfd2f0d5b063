#!/usr/bin/env bash
# Installs the Debian packages hipp needs (Debian 12). Safe to rerun.
set -euo pipefail
PKGS=(build-essential cmake ninja-build pkg-config
      libtorch-dev libopencv-dev libsodium-dev libcli11-dev nlohmann-json3-dev
      libspdlog-dev libgtest-dev libgmock-dev libbenchmark-dev)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
