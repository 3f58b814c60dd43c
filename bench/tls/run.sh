#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# bench/tls/run.sh BUILD_DIR -- TLS benchmarks of tina4-bench-server against
# peers, side by side, in one run:
#   tina4   tina4-c terminating TLS itself (TINA4_TLS_CERT / TINA4_TLS_KEY)
#   uws     uWebSockets' SSLApp, if UWS_SSL_SERVER names its binary
#           (usage: UWS_SSL_SERVER PORT CERT KEY, serving /echo,
#           /broadcast/bench and GET /static/64k); skipped with a note if unset
#   nginx   nginx terminating TLS in front of tina4-c's plain port (the common
#           deployment; both processes count as the server)
#
# Scenarios (tina4-loadgen --tls, no certificate check): echo, broadcast,
# full and resumed handshakes (TCP + TLS + WebSocket upgrade, then a reset),
# idle memory per connection, and GET of a 64 KiB file on keep-alive
# connections (tina4-c with TINA4_TLS_KTLS on and off).
#
# A throw-away CA and a localhost certificate (P-256) are made at run time
# with the openssl command into BUILD_DIR/bench-tls/. The server side is
# pinned to CPU 0, the load generator to CPU 1, as in bench/run.sh.
# Results: a Markdown table on stdout and in BUILD_DIR/bench-tls-results.md,
# raw RESULT lines in BUILD_DIR/bench-tls-results.jsonl, logs in
# BUILD_DIR/bench-tls/logs/.
#
# Parameters (environment, defaults in brackets):
#   SECS [5]  ECHO_CONNS [100] ECHO_PIPELINE [16] ECHO_SIZE [32]
#   BC_SUBS [1000] BC_SIZE [64] BC_WINDOW [16]  HS_CONNS [32]
#   IDLE_CONNS [5000] IDLE_SECS [3]  GET_CONNS [32] GET_SIZE [65536]
#   TLS_SERVERS ["tina4 uws nginx"]  UWS_SSL_SERVER [unset]
set -uo pipefail

BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 1
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac

SECS=${SECS:-5}
ECHO_CONNS=${ECHO_CONNS:-100}
ECHO_PIPELINE=${ECHO_PIPELINE:-16}
ECHO_SIZE=${ECHO_SIZE:-32}
BC_SUBS=${BC_SUBS:-1000}
BC_SIZE=${BC_SIZE:-64}
BC_WINDOW=${BC_WINDOW:-16}
HS_CONNS=${HS_CONNS:-32}
IDLE_CONNS=${IDLE_CONNS:-5000}
IDLE_SECS=${IDLE_SECS:-3}
GET_CONNS=${GET_CONNS:-32}
GET_SIZE=${GET_SIZE:-65536}
TLS_SERVERS=${TLS_SERVERS:-"tina4 uws nginx"}

DIR=$BUILD/bench-tls
LOGS=$DIR/logs
mkdir -p "$LOGS" "$DIR/pub" "$DIR/nginx"
RESULTS=$BUILD/bench-tls-results.jsonl
TABLE=$BUILD/bench-tls-results.md
NOTES=$LOGS/notes.txt
: >"$RESULTS"
: >"$NOTES"
note() {
  echo "bench: $*"
  echo "$*" >>"$NOTES"
}

want_fds=$((IDLE_CONNS * 2 + 1000))
ulimit -Sn "$want_fds" 2>/dev/null || ulimit -Sn "$(ulimit -Hn)" 2>/dev/null || true

LOADGEN=$BUILD/bench/tina4-loadgen
SERVER=$BUILD/bench/tina4-bench-server
for b in "$LOADGEN" "$SERVER"; do
  [ -x "$b" ] || {
    echo "bench: $b is not built (make)" >&2
    exit 1
  }
done

if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  PIN_SERVER=(taskset -c 0)
  PIN_LOAD=(taskset -c 1)
else
  PIN_SERVER=()
  PIN_LOAD=()
  note "fewer than 2 CPUs or no taskset: server and load generator are not pinned"
fi

# Certificates: a CA and a localhost certificate signed by it, made now.
(
  cd "$DIR" || exit 1
  ec=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
  openssl req -x509 "${ec[@]}" -days 2 -subj '/CN=tina4 bench CA' -keyout ca.key -out ca.pem &&
    openssl req "${ec[@]}" -subj /CN=localhost -keyout key.pem -out req.csr &&
    echo 'subjectAltName=DNS:localhost,IP:127.0.0.1' >ext.cnf &&
    openssl x509 -req -in req.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile ext.cnf -out cert.pem
) >"$LOGS/certs.log" 2>&1 || {
  echo "bench: cannot make the certificates (see $LOGS/certs.log)" >&2
  exit 1
}
CERT=$DIR/cert.pem
KEY=$DIR/key.pem
# The static file: byte i is 'a' + i % 26 (what `tina4-loadgen get` checks).
python3 -c "import sys; sys.stdout.buffer.write(bytes(97 + i % 26 for i in range($GET_SIZE)))" >"$DIR/pub/file.bin"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_port() { # port pid
  for _ in $(seq 1 100); do
    kill -0 "$2" 2>/dev/null || return 1
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

PIDS=()
stop_servers() {
  for p in "${PIDS[@]}"; do
    kill -TERM "$p" 2>/dev/null
  done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 1 30); do
      kill -0 "$p" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$p" 2>/dev/null
    wait "$p" 2>/dev/null
  done
  PIDS=()
}
trap stop_servers EXIT
trap 'stop_servers; exit 130' INT TERM

start_tina4() { # port log [env...]
  local port=$1 log=$2
  shift 2
  env TINA4_PORT="$port" TINA4_HOST=127.0.0.1 TINA4_LOG_LEVEL=error TINA4_PUBLIC="$DIR/pub" \
    TINA4_HTTP_KEEPALIVE_TIMEOUT=60 TINA4_WS_IDLE_TIMEOUT=300 "$@" \
    "${PIN_SERVER[@]}" "$SERVER" >"$log" 2>&1 &
  PIDS+=($!)
  wait_port "$port" $!
}

nginx_conf() { # tls-port plain-port
  local n=$DIR/nginx
  mkdir -p "$n/tmp"
  cat >"$n/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $n/nginx.pid;
error_log $n/error.log error;
worker_rlimit_nofile $((IDLE_CONNS * 2 + 1000));
events { worker_connections $((IDLE_CONNS * 2 + 500)); }
http {
  access_log off;
  client_body_temp_path $n/tmp/body;
  proxy_temp_path $n/tmp/proxy;
  fastcgi_temp_path $n/tmp/fastcgi;
  uwsgi_temp_path $n/tmp/uwsgi;
  scgi_temp_path $n/tmp/scgi;
  upstream tina4 { server 127.0.0.1:$2; keepalive 64; }
  map \$http_upgrade \$connection_upgrade { default upgrade; '' ''; }
  server {
    listen 127.0.0.1:$1 ssl;
    ssl_certificate $CERT;
    ssl_certificate_key $KEY;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_tickets on;
    keepalive_requests 1000000;
    location / {
      proxy_pass http://tina4;
      proxy_http_version 1.1;
      proxy_set_header Upgrade \$http_upgrade;
      proxy_set_header Connection \$connection_upgrade;
      proxy_set_header Host \$host;
      proxy_read_timeout 300s;
      proxy_buffer_size 16k;
      proxy_buffers 8 16k;
    }
  }
}
EOF
}

# Starts server NAME on PORT; sets SRV_PIDS (comma list for --pid).
start_server() { # name port log [tina4 env...]
  local name=$1 port=$2 log=$3
  shift 3
  case $name in
  tina4)
    start_tina4 "$port" "$log" TINA4_TLS_CERT="$CERT" TINA4_TLS_KEY="$KEY" "$@" || return 1
    SRV_PIDS=${PIDS[-1]}
    ;;
  uws)
    "${PIN_SERVER[@]}" "$UWS_SSL_SERVER" "$port" "$CERT" "$KEY" >"$log" 2>&1 &
    PIDS+=($!)
    wait_port "$port" $! || return 1
    SRV_PIDS=$!
    ;;
  nginx)
    local plain
    plain=$(free_port)
    start_tina4 "$plain" "$log.tina4" "$@" || return 1
    local t4=${PIDS[-1]}
    nginx_conf "$port" "$plain"
    "${PIN_SERVER[@]}" nginx -p "$DIR/nginx" -c "$DIR/nginx/nginx.conf" -e "$DIR/nginx/error.log" >"$log" 2>&1 &
    PIDS+=($!)
    wait_port "$port" $! || return 1
    SRV_PIDS="$!,$t4" # nginx's master (its worker is a child) and tina4-c
    ;;
  esac
}

run_scenario() { # server scenario label-suffix [server-env --] loadgen-args...
  local name=$1 scen=$2 tag=$3
  shift 3
  local envs=()
  if [ "${1:-}" = "--env" ]; then
    envs=("$2")
    shift 2
  fi
  local port log out rc label=$name$tag
  port=$(free_port)
  log=$LOGS/$label-$scen.log
  if ! start_server "$name" "$port" "$log" "${envs[@]}"; then
    note "$label: server did not start for $scen (see $log)"
    stop_servers
    return
  fi
  out=$LOGS/$label-$scen.$(echo "$*" | tr -c 'a-z0-9' _ | cut -c1-40).out
  timeout 120 "${PIN_LOAD[@]}" "$LOADGEN" "$scen" --tls --port "$port" --pid "$SRV_PIDS" --label "$label" "$@" \
    >"$out" 2>&1
  rc=$?
  grep -v '^RESULT ' "$out"
  grep '^RESULT ' "$out" | sed 's/^RESULT //' >>"$RESULTS"
  [ $rc -ne 0 ] && note "$label $scen: load generator exited $rc: $(grep -m1 'first error' "$out" || tail -1 "$out")"
  stop_servers
}

echo "bench: $(date -u +%FT%TZ), $(nproc) CPUs, $(uname -r), $(openssl version), tls ULP available: $(cat /proc/sys/net/ipv4/tcp_available_ulp 2>/dev/null || echo unknown)"
for name in $TLS_SERVERS; do
  case $name in
  tina4) get_path=/file.bin ;;
  uws)
    if [ -z "${UWS_SSL_SERVER:-}" ] || [ ! -x "${UWS_SSL_SERVER:-}" ]; then
      note "uws: UWS_SSL_SERVER is not set to an executable uWebSockets SSLApp server: skipped"
      continue
    fi
    get_path=/static/64k
    ;;
  nginx)
    if ! command -v nginx >/dev/null; then
      note "nginx: not installed: skipped"
      continue
    fi
    get_path=/file.bin
    ;;
  *)
    note "unknown server $name: skipped"
    continue
    ;;
  esac
  echo "bench: == $name =="
  run_scenario "$name" echo "" -c "$ECHO_CONNS" -p "$ECHO_PIPELINE" -s "$ECHO_SIZE" -d "$SECS"
  run_scenario "$name" broadcast "" -n "$BC_SUBS" -s "$BC_SIZE" -w "$BC_WINDOW" -d "$SECS"
  run_scenario "$name" handshake "" -c "$HS_CONNS" -d "$SECS"
  run_scenario "$name" handshake "" -c "$HS_CONNS" -d "$SECS" --resume
  run_scenario "$name" idle "" -n "$IDLE_CONNS" -d "$IDLE_SECS" --ping 0 --batch 100
  run_scenario "$name" get "" -c "$GET_CONNS" -d "$SECS" --path "$get_path" -s "$GET_SIZE"
  if [ "$name" = tina4 ]; then
    run_scenario tina4 get "-nokTLS" --env TINA4_TLS_KTLS=false -c "$GET_CONNS" -d "$SECS" --path "$get_path" -s "$GET_SIZE"
  fi
done

python3 bench/tls/table.py "$RESULTS" "$NOTES" "$TABLE"
echo "bench: table written to $TABLE"
