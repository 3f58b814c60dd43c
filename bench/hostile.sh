#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Hostile clients against a build's bench server, with the figures the
# hardening promises rest on (docs/BENCHMARKS.md, "Hostile clients"):
#  - amplification: 100 clients pipeline GET /js/frond.js in 64 KiB batches
#    and never read, while a canary does a WebSocket echo every 100 ms;
#    prints the server's peak RSS, its CPU time and the canary's latencies.
#  - budget holders: 8 uploads of ~2 MB and 8 frames of ~1 MB trickling a
#    byte every 5 s against a 16 MiB input budget, while a well-behaved client
#    sends 10 bodies and 10 messages of 200 KB; prints how many succeeded.
#  - broadcast flood: one client writes one-byte messages into a room of 200
#    subscribers as fast as TCP takes them while the canary echoes; prints
#    the canary's latencies and the server's peak RSS and CPU.
#  - history herd: 200 clients join a room of 10 000 kept messages at once,
#    each asking for all of them and reading nothing; prints the canary's
#    latencies and the server's peak RSS (bounded by the output budget).
#
#   bench/hostile.sh [BUILD_DIR] [CONNECTIONS] [SECONDS]     (default: build 100 8)
# Run it on an otherwise idle machine: the canary measures scheduling too.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
conns=${2:-100}
secs=${3:-8}
server="$root/$build/bench/tina4-bench-server"
[ -x "$server" ] || server="$build/bench/tina4-bench-server"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

run() { # env... -- script args...
    # One process (its RSS is what is measured), unless TINA4_WORKERS says otherwise.
    TINA4_HOST=127.0.0.1 TINA4_PORT=$port TINA4_LOG_LEVEL=error TINA4_WORKERS=${TINA4_WORKERS:-1} env "$@" "$server" >/dev/null 2>&1 &
    local pid=$!
    for _ in $(seq 100); do
        (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break
        sleep 0.05
    done
    echo "$pid"
}

pid=$(run TINA4_MAX_OUTPUT_MEMORY=16M TINA4_MAX_INPUT_MEMORY=16M)
echo "amplification ($conns connections, ${secs} s, output and input budgets 16 MiB):"
echo "  idle RSS $(awk '/VmRSS/{print $2}' /proc/"$pid"/status) KiB"
echo "  $(python3 "$root/tests/integration/hostile/amplify.py" "$port" "$pid" "$conns" "$secs")"
kill "$pid"; wait "$pid" 2>/dev/null || true

pid=$(run TINA4_MAX_INPUT_MEMORY=16M)
echo "budget holders (input budget 16 MiB):"
echo "  $(python3 "$root/tests/integration/hostile/hold_budget.py" "$port" 8 2000000 8 1000000 10 200000 5)"
kill "$pid"; wait "$pid" 2>/dev/null || true

pid=$(run)
echo "broadcast flood (one client, one-byte messages into a room of 200):"
echo "  $(python3 "$root/tests/integration/hostile/fanout_flood.py" "$port" "$pid" 200 "$secs")"
kill "$pid"; wait "$pid" 2>/dev/null || true

pid=$(run TINA4_MAX_OUTPUT_MEMORY=16M)
echo "history herd (200 joiners asking for 10 000 messages each, never reading; output budget 16 MiB):"
echo "  $(python3 "$root/tests/integration/hostile/history_herd.py" "$port" "$pid" 200 10000)"
kill "$pid"; wait "$pid" 2>/dev/null || true
