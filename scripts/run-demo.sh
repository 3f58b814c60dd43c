#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Starts the chat demo on http://localhost:7145 (TINA4_PORT overrides).
set -euo pipefail
build=${1:-build}
cd "$(dirname "$0")/.."
echo "The tina4 command is $build/tina4 (make install puts it on PATH; see README.md, Installing)"
# Every core: one worker per CPU (TINA4_WORKERS overrides; 1 is one process).
export TINA4_WORKERS=${TINA4_WORKERS:-auto}
exec "$build/examples/chatroom"
