#!/usr/bin/env bash
# Starts the chat demo on http://localhost:7145 (TINA4_PORT overrides).
set -euo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."
exec "$build/examples/chatroom"
