#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/run.sh BUILD_DIR -- WebSocket benchmarks of tina4-bench-server against
# peers (Node.js ws, Python websockets), side by side, in one run.
#
# Every scenario gets a fresh server process on a free 127.0.0.1 port, pinned
# to CPU 0; the load generator (BUILD_DIR/bench/tina4-loadgen) is pinned to
# CPU 1. Results: a Markdown table on stdout and in BUILD_DIR/bench-results.md,
# raw RESULT lines in BUILD_DIR/bench-results.jsonl, server logs in
# BUILD_DIR/bench-logs/.
#
# Parameters (environment, defaults in brackets):
#   ECHO_CONNS [100] ECHO_PIPELINE [16] ECHO_SIZE [64] ECHO_SECS [10]
#   BC_SUBS [1000] BC_SIZE [64] BC_WINDOW [16] BC_SECS [10]
#   IDLE_CONNS [10000] IDLE_SECS [10] IDLE_PING [5]  PY_IDLE_CONNS [= IDLE_CONNS]
#   BENCH_SERVERS ["tina4 node python"]  which servers to run
set -uo pipefail

BUILD=${1:-build}
# One server process (pinned to CPU 0) unless asked: the tables compare one
# loop with one Node or Python process (the default is one worker per CPU).
export TINA4_WORKERS=${TINA4_WORKERS:-1}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac

ECHO_CONNS=${ECHO_CONNS:-100}
ECHO_PIPELINE=${ECHO_PIPELINE:-16}
ECHO_SIZE=${ECHO_SIZE:-64}
ECHO_SECS=${ECHO_SECS:-10}
BC_SUBS=${BC_SUBS:-1000}
BC_SIZE=${BC_SIZE:-64}
BC_WINDOW=${BC_WINDOW:-16}
BC_SECS=${BC_SECS:-10}
IDLE_CONNS=${IDLE_CONNS:-10000}
IDLE_SECS=${IDLE_SECS:-10}
IDLE_PING=${IDLE_PING:-5}
PY_IDLE_CONNS=${PY_IDLE_CONNS:-$IDLE_CONNS}
BENCH_SERVERS=${BENCH_SERVERS:-"tina4 node python"}

mkdir -p "$BUILD/bench-logs"
RESULTS=$BUILD/bench-results.jsonl
TABLE=$BUILD/bench-results.md
NOTES=$BUILD/bench-logs/notes.txt
: >"$RESULTS"
: >"$NOTES"
note() {
  echo "bench: $*"
  echo "$*" >>"$NOTES"
}

# 10000 client sockets here and 10000 in the server: raise the fd limit.
want_fds=$((IDLE_CONNS + 1000))
ulimit -Sn "$want_fds" 2>/dev/null || ulimit -n "$want_fds" 2>/dev/null || ulimit -Sn "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt "$want_fds" ]; then
  cap=$(($(ulimit -n) - 1000))
  note "open-file limit is $(ulimit -n): idle connections capped at $cap"
  IDLE_CONNS=$cap
  [ "$PY_IDLE_CONNS" -gt "$cap" ] && PY_IDLE_CONNS=$cap
fi

# The load generator: built by CMake (make all); compiled by hand if missing.
LOADGEN=$BUILD/bench/tina4-loadgen
if [ ! -x "$LOADGEN" ]; then
  mkdir -p "$BUILD/bench"
  echo "bench: $LOADGEN missing, compiling it"
  gcc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter \
    bench/loadgen/*.c -luv -lcrypto -lm -o "$LOADGEN" || {
    echo "bench: cannot build the load generator" >&2
    exit 1
  }
fi

# CPU pinning: server on CPU 0, load generator on CPU 1.
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  PIN_SERVER=(taskset -c 0)
  PIN_LOAD=(taskset -c 1)
else
  PIN_SERVER=()
  PIN_LOAD=()
  note "fewer than 2 CPUs or no taskset: server and load generator are not pinned"
fi

# Python with the websockets package (Debian's python3-websockets lives in /usr/bin/python3).
PY=""
for cand in python3 /usr/bin/python3; do
  if command -v "$cand" >/dev/null && "$cand" -c 'import websockets' 2>/dev/null; then
    PY=$cand
    break
  fi
done
TABLE_PY=$(command -v python3 || echo /usr/bin/python3)

free_port() {
  "$TABLE_PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_port() { # port pid
  for _ in $(seq 1 100); do
    kill -0 "$2" 2>/dev/null || return 1
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

SERVER_PID=""
stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  kill -TERM "$SERVER_PID" 2>/dev/null
  for _ in $(seq 1 30); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$SERVER_PID" 2>/dev/null
  wait "$SERVER_PID" 2>/dev/null
  SERVER_PID=""
}
trap stop_server EXIT
trap 'stop_server; exit 130' INT TERM

start_server() { # name port logfile
  case $1 in
  tina4)
    TINA4_PORT=$2 TINA4_HOST=127.0.0.1 TINA4_LOG_LEVEL=${TINA4_LOG_LEVEL:-1} \
      "${PIN_SERVER[@]}" "$BUILD/bench/tina4-bench-server" >"$3" 2>&1 &
    ;;
  node) "${PIN_SERVER[@]}" node bench/peers/ws_server.mjs "$2" >"$3" 2>&1 & ;;
  python) "${PIN_SERVER[@]}" "$PY" bench/peers/websockets_server.py "$2" >"$3" 2>&1 & ;;
  esac
  SERVER_PID=$!
  wait_port "$2" "$SERVER_PID"
}

run_scenario() { # server scenario loadgen-args...
  local name=$1 scen=$2
  shift 2
  local port log out rc
  port=$(free_port)
  log=$BUILD/bench-logs/$name-$scen.log
  if ! start_server "$name" "$port" "$log"; then
    note "$name: server did not start for $scen (see $log)"
    stop_server
    return
  fi
  out=$BUILD/bench-logs/$name-$scen.out
  timeout 180 "${PIN_LOAD[@]}" "$LOADGEN" "$scen" --port "$port" --pid "$SERVER_PID" --label "$name" "$@" \
    >"$out" 2>&1
  rc=$?
  grep -v '^RESULT ' "$out"
  grep '^RESULT ' "$out" | sed 's/^RESULT //' >>"$RESULTS"
  if [ $rc -ne 0 ]; then
    note "$name $scen: load generator exited $rc: $(grep -m1 'first error' "$out" || tail -1 "$out")"
  fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    note "$name $scen: the server died during the run (see $log)"
  fi
  stop_server
}

echo "bench: $(date -u +%FT%TZ), $(nproc) CPUs, $(uname -r), open files $(ulimit -n)"
for name in $BENCH_SERVERS; do
  case $name in
  tina4)
    if [ ! -x "$BUILD/bench/tina4-bench-server" ]; then
      note "tina4: $BUILD/bench/tina4-bench-server not built: skipped"
      continue
    fi
    ;;
  node)
    if ! command -v node >/dev/null || [ ! -d node_modules/ws ]; then
      note "node: node or node_modules/ws missing (run make setup): skipped"
      continue
    fi
    ;;
  python)
    if [ -z "$PY" ]; then
      note "python: no python3 with the websockets package (apt-get install python3-websockets): skipped"
      continue
    fi
    ;;
  *)
    note "unknown server $name: skipped"
    continue
    ;;
  esac
  echo "bench: == $name =="
  run_scenario "$name" echo -c "$ECHO_CONNS" -p "$ECHO_PIPELINE" -s "$ECHO_SIZE" -d "$ECHO_SECS"
  run_scenario "$name" broadcast -n "$BC_SUBS" -s "$BC_SIZE" -w "$BC_WINDOW" -d "$BC_SECS"
  n=$IDLE_CONNS
  [ "$name" = python ] && n=$PY_IDLE_CONNS
  run_scenario "$name" idle -n "$n" -d "$IDLE_SECS" --ping "$IDLE_PING"
done

"$TABLE_PY" - "$RESULTS" "$NOTES" "$TABLE" <<'PYEOF'
import json, sys, datetime, os, platform

results_path, notes_path, table_path = sys.argv[1:4]
res = {}
for line in open(results_path):
    line = line.strip()
    if not line:
        continue
    try:
        r = json.loads(line)
    except ValueError:
        continue
    res[(r["server"], r["scenario"])] = r
notes = [l.rstrip("\n") for l in open(notes_path) if l.strip()]

servers = [s for s in ("tina4", "node", "python") if any(k[0] == s for k in res)]
names = {"tina4": "tina4-c", "node": "Node ws", "python": "Python websockets"}
peers = [s for s in servers if s != "tina4"]

def get(server, scen, key):  # a number, or None when missing or negative (unknown)
    r = res.get((server, scen))
    if r is None:
        return None
    v = r.get(key)
    return None if v is None or (isinstance(v, (int, float)) and v < 0) else v

def fmt(v, digits=0):
    if v is None:
        return "n/a"
    if isinstance(v, str):
        return v
    if isinstance(v, float) and digits == 0:
        return f"{v:,.0f}"
    if isinstance(v, float):
        return f"{v:,.{digits}f}"
    return f"{v:,}"

rows_def = [
    ("echo: messages/s", "echo", "msgs_per_s", "higher", 0),
    ("echo: p50 round trip (µs)", "echo", "p50_us", "lower", 0),
    ("echo: p99 round trip (µs)", "echo", "p99_us", "lower", 0),
    ("echo: errors (mismatch+missing+protocol)", "echo", "_echo_err", "", 0),
    ("broadcast: deliveries/s", "broadcast", "deliveries_per_s", "higher", 0),
    ("broadcast: messages published/s", "broadcast", "msgs_per_s", "higher", 0),
    ("broadcast: p50 delivery latency (µs)", "broadcast", "p50_us", "lower", 0),
    ("broadcast: p99 delivery latency (µs)", "broadcast", "p99_us", "lower", 0),
    ("broadcast: max delivery latency (µs)", "broadcast", "max_us", "lower", 0),
    ("broadcast: lost / out-of-order", "broadcast", "_bc_loss", "", 0),
    ("idle: connections held", "idle", "_idle_held", "", 0),
    ("idle: connects/s", "idle", "connects_per_s", "higher", 0),
    ("idle: server RSS before (kB)", "idle", "rss_before_kb", "lower", 0),
    ("idle: server RSS after (kB)", "idle", "rss_after_kb", "lower", 0),
    ("idle: bytes per connection", "idle", "bytes_per_conn", "lower", 0),
    ("server CPU during echo (cores)", "echo", "server_cpu", "", 2),
    ("server CPU during broadcast (cores)", "broadcast", "server_cpu", "", 2),
    ("loadgen CPU during echo (cores)", "echo", "loadgen_cpu", "", 2),
    ("loadgen CPU during broadcast (cores)", "broadcast", "loadgen_cpu", "", 2),
    ("other processes' CPU during echo (cores)", "echo", "other_cpu", "", 2),
    ("other processes' CPU during broadcast (cores)", "broadcast", "other_cpu", "", 2),
]

def value(server, scen, key):
    r = res.get((server, scen))
    if r is None:
        return None
    if key == "_echo_err":
        return r["mismatches"] + r["missing"] + r["protocol_errors"] + r["failed_connections"]
    if key == "_bc_loss":
        return f'{r["lost"]} / {r["out_of_order"]}'
    if key == "_idle_held":
        return f'{r["opened"] - r["dropped"]:,} / {r["connections"]:,}'
    return get(server, scen, key)

# A number is only the server's if the load generator had CPU to spare.
order = {"tina4": 0, "node": 1, "python": 2, "echo": 0, "broadcast": 1, "idle": 2}
for (server, scen), r in sorted(res.items(), key=lambda kv: (order.get(kv[0][0], 9), order.get(kv[0][1], 9))):
    cpu = r.get("loadgen_cpu")
    if isinstance(cpu, (int, float)) and cpu >= 0.85:
        notes.append(f"{names.get(server, server)} {scen}: the load generator used {cpu:.0%} of its core, "
                     "so it may have been a bottleneck too: read this number as a lower bound")
    other = r.get("other_cpu")
    if isinstance(other, (int, float)) and other >= 0.25:
        notes.append(f"{names.get(server, server)} {scen}: other processes on this machine used {other:.2f} cores "
                     "during the measurement, so this number may be disturbed: rerun on a quiet machine")
    for k in ("failed_connections", "protocol_errors", "mismatches", "missing", "lost", "out_of_order", "bad_messages", "dropped"):
        if r.get(k):
            notes.append(f"{names.get(server, server)} {scen}: {k} = {r[k]}")

head = ["metric"] + [names[s] for s in servers]
has_t4 = "tina4" in servers
if has_t4:
    head += [f"tina4 ÷ {names[s]}" for s in peers]
head += ["better"]
lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
for label, scen, key, better, digits in rows_def:
    cells = [label]
    for s in servers:
        cells.append(fmt(value(s, scen, key), digits))
    if has_t4:
        t = value("tina4", scen, key)
        for s in peers:
            v = value(s, scen, key)
            if better and isinstance(t, (int, float)) and isinstance(v, (int, float)) and v > 0:
                cells.append(f"{t / v:.2f}×")
            else:
                cells.append("")
    cells.append(better)
    lines.append("| " + " | ".join(cells) + " |")

def params():
    out = []
    for s in servers:
        r = res.get((s, "echo"))
        if r:
            out.append(f'echo {r["connections"]} connections × {r["pipeline"]} in flight × {r["size"]} B ({r["mode"]} text/binary), {r["duration_s"]:.0f} s')
            break
    for s in servers:
        r = res.get((s, "broadcast"))
        if r:
            out.append(f'broadcast {r["subscribers"]} subscribers + 1 publisher, {r["size"]} B, window {r["window"]}, {r["duration_s"]:.0f} s')
            break
    for s in servers:
        r = res.get((s, "idle"))
        if r:
            out.append(f'idle {r["connections"]} connections held {r["hold_s"]:.0f} s, ping every {r["ping_s"]:.0f} s (python: {res.get(("python","idle"),{}).get("connections","n/a")})')
            break
    return out

md = []
md.append(f"# WebSocket benchmark ({datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC)")
md.append("")
md.append(f"{os.cpu_count()} CPUs, {platform.system()} {platform.release()}; each server pinned to CPU 0, the load generator (tina4-loadgen) to CPU 1; a fresh server process per scenario, 127.0.0.1 only.")
md.append("")
for x in params():
    md.append(f"- {x}")
md.append("")
md.extend(lines)
md.append("")
md.append("Ratios are tina4-c ÷ peer: above 1 is better where `better` is *higher*, below 1 where it is *lower*.")
if not has_t4:
    md.append("")
    md.append("tina4-c was not measured in this run (no tina4-bench-server), so there are no ratios.")
if notes:
    md.append("")
    md.append("Notes:")
    md.extend(f"- {n}" for n in notes)
text = "\n".join(md) + "\n"
open(table_path, "w").write(text)
print()
print(text)
PYEOF
echo "bench: table written to $TABLE"

# The charts of docs/BENCHMARKS.md (echo, broadcast, idle memory), drawn
# from this run's results with gnuplot (bench/charts.py). BENCH_CHARTS=0
# leaves the committed charts alone (e.g. for a partial run).
if [ "${BENCH_CHARTS:-1}" != 0 ]; then
  if python3 bench/charts.py "$RESULTS" docs; then
    echo "bench: charts written to docs/bench-*.svg"
  else
    echo "bench: charts not drawn (gnuplot-nox missing, or a scenario without results)"
  fi
fi
