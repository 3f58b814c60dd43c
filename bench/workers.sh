#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/workers.sh BUILD_DIR -- tina4-bench-server with 1 worker (a single
# process) and with 2 worker processes, side by side in one run: echo,
# broadcast (subscribers spread over the workers, the publisher's messages
# crossing the local bus) and idle memory.
#
# The point is the server's CPU per message and per delivery, not raw
# throughput: on a 2-core machine the load generator competes with the
# workers for the same cores, so nothing is pinned and throughput mostly
# measures the machine. CPU is read from /proc for the supervisor and its
# workers together (tina4-loadgen --pid sums a process and its children).
#
# Parameters (environment, defaults in brackets):
#   WORKER_COUNTS ["1 2"]
#   ECHO_CONNS [100] ECHO_PIPELINE [16] ECHO_SIZE [32] ECHO_SECS [5]
#   BC_SUBS [1000] BC_SIZE [64] BC_WINDOW [16] BC_SECS [5]
#   IDLE_CONNS [10000] IDLE_SECS [5]
# Output: a table on stdout and BUILD_DIR/bench-workers.md; RESULT lines in
# BUILD_DIR/bench-workers.jsonl.
set -uo pipefail

BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac

WORKER_COUNTS=${WORKER_COUNTS:-"1 2"}
ECHO_CONNS=${ECHO_CONNS:-100}
ECHO_PIPELINE=${ECHO_PIPELINE:-16}
ECHO_SIZE=${ECHO_SIZE:-32}
ECHO_SECS=${ECHO_SECS:-5}
BC_SUBS=${BC_SUBS:-1000}
BC_SIZE=${BC_SIZE:-64}
BC_WINDOW=${BC_WINDOW:-16}
BC_SECS=${BC_SECS:-5}
IDLE_CONNS=${IDLE_CONNS:-10000}
IDLE_SECS=${IDLE_SECS:-5}

SERVER=$BUILD/bench/tina4-bench-server
LOADGEN=$BUILD/bench/tina4-loadgen
for b in "$SERVER" "$LOADGEN"; do
  [ -x "$b" ] || {
    echo "bench/workers.sh: $b missing (make all)" >&2
    exit 1
  }
done
ulimit -n $((IDLE_CONNS + 1000)) 2>/dev/null || true
mkdir -p "$BUILD/bench-logs"
RESULTS=$BUILD/bench-workers.jsonl
: >"$RESULTS"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

SERVER_PID=""
stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  kill -TERM "$SERVER_PID" 2>/dev/null
  for _ in $(seq 1 100); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$SERVER_PID" 2>/dev/null
  wait "$SERVER_PID" 2>/dev/null
  SERVER_PID=""
}
trap stop_server EXIT
trap 'stop_server; exit 130' INT TERM

run() { # workers scenario loadgen-args...
  local w=$1 scen=$2 port log
  shift 2
  port=$(free_port)
  log=$BUILD/bench-logs/workers$w-$scen.log
  TINA4_WORKERS=$w TINA4_PORT=$port TINA4_HOST=127.0.0.1 TINA4_LOG_LEVEL=info "$SERVER" >"$log" 2>&1 &
  SERVER_PID=$!
  # Ready when every worker has joined the bus (or, single process, the port answers).
  for _ in $(seq 1 100); do
    if [ "$w" -gt 1 ]; then
      [ "$(grep -c 'bus: worker .* linked' "$log")" -ge "$w" ] && break
    else
      (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
    fi
    sleep 0.1
  done
  timeout 120 "$LOADGEN" "$scen" --port "$port" --pid "$SERVER_PID" --label "workers=$w" "$@" \
    >"$BUILD/bench-logs/workers$w-$scen.out" 2>&1 || echo "bench/workers.sh: $scen with $w worker(s) failed: $(tail -1 "$BUILD/bench-logs/workers$w-$scen.out")" >&2
  grep -v '^RESULT ' "$BUILD/bench-logs/workers$w-$scen.out"
  grep '^RESULT ' "$BUILD/bench-logs/workers$w-$scen.out" | sed "s/^RESULT {/{\"workers\":$w,/" >>"$RESULTS"
  stop_server
}

echo "bench/workers.sh: $(date -u +%FT%TZ), $(nproc) CPUs, $(uname -r)"
for w in $WORKER_COUNTS; do
  run "$w" echo -c "$ECHO_CONNS" -p "$ECHO_PIPELINE" -s "$ECHO_SIZE" -d "$ECHO_SECS"
  run "$w" broadcast -n "$BC_SUBS" -s "$BC_SIZE" -w "$BC_WINDOW" -d "$BC_SECS"
  run "$w" idle -n "$IDLE_CONNS" -d "$IDLE_SECS"
done

python3 - "$RESULTS" "$BUILD/bench-workers.md" "$(nproc)" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
cpus = int(sys.argv[3])
by = {}
for r in rows:
    by.setdefault(r['workers'], {})[r['scenario']] = r
out = ['| workers | echo msg/s | server CPU (cores) | CPU µs / echo | broadcast deliveries/s | server CPU (cores) | CPU µs / delivery | idle B / conn |',
       '|---|---|---|---|---|---|---|---|']
base = {}
for w in sorted(by):
    e, b, i = by[w].get('echo'), by[w].get('broadcast'), by[w].get('idle')
    def per(r, rate_key):
        if not r or r.get('server_cpu', -1) <= 0 or r[rate_key] <= 0:
            return None
        return r['server_cpu'] / r[rate_key] * 1e6
    pe, pb = per(e, 'msgs_per_s'), per(b, 'deliveries_per_s')
    base.setdefault('echo', pe); base.setdefault('bc', pb)
    idle = i.get('bytes_per_conn') if i else None
    f = lambda v, d=2: '-' if v is None else f'{v:.{d}f}'
    out.append(f"| {w} | {f(e and e['msgs_per_s'], 0)} | {f(e and e['server_cpu'])} | {f(pe, 3)} | "
               f"{f(b and b['deliveries_per_s'], 0)} | {f(b and b['server_cpu'])} | {f(pb, 3)} | {f(idle, 0)} |")
out.append('')
for w in sorted(by)[1:]:
    for key, name, rate in (('echo', 'echo', 'msgs_per_s'), ('bc', 'broadcast delivery', 'deliveries_per_s')):
        r = by[w].get('echo' if key == 'echo' else 'broadcast')
        if r and base.get(key) and r.get('server_cpu', -1) > 0:
            ratio = (r['server_cpu'] / r[rate] * 1e6) / base[key]
            out.append(f'- {w} workers: server CPU per {name} is {ratio:.2f}x that of 1 worker')
for one, many, scen, rate in (('echo', 'echoes', 'echo', 'msgs_per_s'), ('delivery', 'deliveries', 'broadcast', 'deliveries_per_s')):
    w = max(by)
    r = by[w].get(scen)
    if r and r.get('server_cpu', -1) > 0:
        us = r['server_cpu'] / r[rate] * 1e6
        out.append(f'- projection: 16 cores busy only with the server at {us:.3f} µs per {one} '
                   f'would give about {16e6 / us:,.0f} {many}/s ({w} workers\' cost per message, client elsewhere)')
out.append(f'- machine: {cpus} CPUs shared by the server and the load generator (other_cpu in the jsonl: '
           'CPU other processes used during each run)')
text = '\n'.join(out)
print(text)
open(sys.argv[2], 'w').write(text + '\n')
PYEOF
