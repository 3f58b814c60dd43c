#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs what the build and the tests need, when missing (Debian, as root).
set -euo pipefail
cd "$(dirname "$0")/.."

debs=(build-essential cmake pkg-config git clang-format
      libuv1-dev libjansson-dev libssl-dev zlib1g-dev libhiredis-dev libcmocka-dev
      nodejs npm redis-server nginx-light python3 python3-websockets procps curl
      gnuplot-nox
      php-cli php-twig clang libclang-rt-14-dev
      chromium)
missing=()
for p in "${debs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node and npm may come from outside Debian (as on the dev machines): keep them.
if command -v node >/dev/null && command -v npm >/dev/null; then
  tmp=(); for p in "${missing[@]}"; do [[ $p == nodejs || $p == npm ]] || tmp+=("$p"); done
  missing=("${tmp[@]+"${tmp[@]}"}")
fi
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# nginx and redis are started by the tests that need them, on free ports.
systemctl disable --now nginx redis-server >/dev/null 2>&1 || true

if [ ! -d node_modules/ws ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
