#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# What Redis history adds per broadcast, on the Redis side: the history
# script (epoch, offset, XADD MAXLEN ~ 10000, PUBLISH) against the plain
# PUBLISH a broadcast costs without history, each with one subscriber on
# the channel, 64-byte payloads, Redis pinned to CPU 0 and redis-benchmark
# to CPU 1. Pipelined (-P 64): Redis's CPU per command; not pipelined
# (-P 1, 1 client): the round trip a sender waits for.
#   bench/redis_history.sh [requests]        (default 200000; 127.0.0.1 only)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200000}
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
taskset -c 0 redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no --loglevel warning &
RPID=$!
trap 'kill $RPID $SPID 2>/dev/null || true' EXIT
sleep 0.3
# The script exactly as the server sends it (the C string literal, decoded).
SCRIPT=$(python3 - <<'PY'
import re, ast
src = open('src/backplane/redis_history.c').read()
body = src[src.index('static const char script[] ='):]
body = body[:body.index(';\n')]
print(''.join(ast.literal_eval(s) for s in re.findall(r'"(?:[^"\\]|\\.)*"', body)), end='')
PY
)
SHA=$(redis-cli -p "$PORT" SCRIPT LOAD "$SCRIPT")
redis-cli -p "$PORT" SUBSCRIBE tina4:ws:history >/dev/null &
SPID=$!
sleep 0.2
BODY="0123456789abcdef0123456789abcdef 2 - 13 /history/bench$(printf 'x%.0s' $(seq 1 64))"
run() { # label, pipeline, clients, command...
    local label=$1 p=$2 c=$3
    shift 3
    printf '%-28s ' "$label"
    taskset -c 1 redis-benchmark -p "$PORT" -n "$N" -P "$p" -c "$c" -q "$@" | tr '\r' '\n' | grep -v '^$' | tail -1 | sed 's/^.*: //'
}
for round in 1 2; do
    run "PUBLISH -P 64" 64 4 PUBLISH tina4:ws:history "$BODY"
    run "history script -P 64" 64 4 EVALSHA "$SHA" 2 tina4:ws:history:/history/bench \
        tina4:ws:history-meta:/history/bench 00000000000000aa 10000 0 tina4:ws:history "$BODY"
    run "PUBLISH -P 1" 1 1 PUBLISH tina4:ws:history "$BODY"
    run "history script -P 1" 1 1 EVALSHA "$SHA" 2 tina4:ws:history:/history/bench \
        tina4:ws:history-meta:/history/bench 00000000000000aa 10000 0 tina4:ws:history "$BODY"
done
echo "stream length: $(redis-cli -p "$PORT" XLEN tina4:ws:history:/history/bench) (MAXLEN ~ 10000)"
