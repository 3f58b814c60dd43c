#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/soak/run.sh BUILD_DIR SECONDS -- the soak: every kind of load at once
# against BUILD_DIR/bench/tina4-bench-server for SECONDS, judged on RSS drift,
# fd leaks and a canary's latency (see soak.mjs for the criteria and the
# SOAK_* settings). Exit status 0: passed; 1: failed, with the reasons.
# The server's log: BUILD_DIR/soak-logs/soak-server.log.
set -uo pipefail

BUILD=${1:-${T4_BUILD:-build}}
SECONDS_ARG=${2:-120}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac

SERVER=$BUILD/bench/tina4-bench-server
if [ ! -x "$SERVER" ]; then
  echo "soak: $SERVER not built (cmake --build $BUILD --target tina4-bench-server)" >&2
  exit 2
fi
if [ ! -d "$ROOT/node_modules/ws" ]; then
  echo "soak: node_modules/ws missing (npm install)" >&2
  exit 2
fi
ulimit -n 65536 2>/dev/null || true

# Bounded in time whatever happens: the load, 20 s to settle, 20 s to stop
# (TERM at the limit: the driver then kills its server; KILL 10 s later).
exec timeout -k 10 $((SECONDS_ARG + 120)) \
  node "$ROOT/bench/soak/soak.mjs" "$SERVER" "$SECONDS_ARG" "$BUILD/soak-logs"
