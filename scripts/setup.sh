#!/usr/bin/env bash
# Installs everything webgrad's tests and examples need on a fresh Debian 12 machine:
# Mesa's lavapipe from bookworm-backports (a real Vulkan device on the CPU, for Dawn's WebGPU
# in Node: Debian 12's own Mesa 22.3 is too old for Dawn), Chromium for the browser tests,
# and the npm dependencies. Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null | grep -q bpo12 || need_apt+=(mesa-vulkan-drivers libvulkan1)
command -v chromium >/dev/null || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then echo "setup: need root to apt-get install ${need_apt[*]}" >&2; exit 1; fi
  # bookworm-backports from the mirror the machine already uses (no host name is written here).
  if [ ! -f /etc/apt/sources.list.d/bookworm-backports.sources ]; then
    uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
    printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
      "$uri" > /etc/apt/sources.list.d/bookworm-backports.sources
  fi
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q -t bookworm-backports "${need_apt[@]}"
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
