// SPDX-License-Identifier: MIT
// The soak: starts the server, runs every load kind at once for a set time
// while probe.mjs samples the server's memory, fds and a canary's latency,
// then stops the load, waits for the connections to close and judges:
//   rss     the floor (10th percentile) of VmRSS in the last third of the run
//           must not exceed that of the middle third (the first third is
//           warm-up) by more than SOAK_RSS_TOL_PCT % or SOAK_RSS_TOL_MB MB,
//           whichever is larger
//   fds     the open fds must return to the count before the load within
//           SOAK_SETTLE_S seconds of the stop
//   canary  no echo / GET round trip over SOAK_CANARY_MAX_MS, echo p99 under
//           SOAK_CANARY_P99_MS, and the canary never loses its connection
//   errors  at most SOAK_MAX_ERRORS wrong answers or failures seen by the
//           well-behaved clients (churn, pipelining, broadcast, floods)
//   server  it stays up, exits cleanly on SIGTERM, no sanitizer report
// Exit status 0 when all hold, 1 with the reasons otherwise, 2 on misuse.
//
//   node bench/soak/soak.mjs SERVER_BINARY SECONDS [LOG_DIR]
// Every load parameter and threshold is an environment variable; see CFG.
import { spawn } from 'node:child_process';
import { appendFileSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import WebSocket from 'ws';
import * as httpLoad from './http_load.mjs';
import {
  allCounters,
  cpuSeconds,
  liveCount,
  percentile,
  readServer,
  slope,
  stopAll,
} from './lib.mjs';
import * as wsLoad from './ws_load.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const env = (name, def) => (process.env[name] !== undefined && process.env[name] !== '' ? Number(process.env[name]) : def);

const CFG = {
  // load (per kind: concurrent clients, and rates where paced)
  churn: env('SOAK_CHURN', 2), // loops each for HTTP and WebSocket churn
  churnRate: env('SOAK_CHURN_RATE', 20), // connections/s per loop, at most
  pipeConns: env('SOAK_PIPE_CONNS', 4),
  pipeDepth: env('SOAK_PIPE_DEPTH', 16), // requests written at once
  pipeBatchRate: env('SOAK_PIPE_BATCH_RATE', 20), // batches/s per connection, at most
  pipeBatches: env('SOAK_PIPE_BATCHES', 100), // batches per connection
  bcSubs: env('SOAK_BC_SUBS', 50),
  bcRate: env('SOAK_BC_RATE', 50), // broadcasts/s
  pushSubs: env('SOAK_PUSH_SUBS', 4), // receivers of the pipelined POST /push
  slowWs: env('SOAK_SLOW_WS', 4),
  slowHttp: env('SOAK_SLOW_HTTP', 2), // one 1 MiB-file reader, one 404 flood
  trickleBody: env('SOAK_TRICKLE_BODY', 2),
  trickleHead: env('SOAK_TRICKLE_HEAD', 2),
  trickleFrame: env('SOAK_TRICKLE_FRAME', 2),
  trickleMs: env('SOAK_TRICKLE_MS', 500), // one byte every
  trickleMaxMs: env('SOAK_TRICKLE_MAX_S', 30) * 1000, // a trickler gives up after
  pingFlood: env('SOAK_PING_FLOOD', 2),
  pingsPerSec: env('SOAK_PINGS_PER_SEC', 1000), // per flooder
  // thresholds
  rssTolPct: env('SOAK_RSS_TOL_PCT', 10),
  rssTolMb: env('SOAK_RSS_TOL_MB', 4),
  settleS: env('SOAK_SETTLE_S', 20),
  canaryMaxMs: env('SOAK_CANARY_MAX_MS', 500),
  canaryP99Ms: env('SOAK_CANARY_P99_MS', 250),
  maxErrors: env('SOAK_MAX_ERRORS', 0),
};

const [bin, secondsArg, logDirArg] = process.argv.slice(2);
const SECONDS = Number(secondsArg);
if (!bin || !(SECONDS >= 10)) {
  console.error('usage: node bench/soak/soak.mjs SERVER_BINARY SECONDS(>=10) [LOG_DIR]');
  process.exit(2);
}
const logDir = logDirArg || os.tmpdir();
mkdirSync(logDir, { recursive: true });

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const log = (...a) => console.log('soak:', ...a);

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitPort(port, proc) {
  for (let i = 0; i < 200; i++) {
    if (proc.exitCode !== null) return false;
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.on('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return true;
    await sleep(50);
  }
  return false;
}

// ---- the server ----------------------------------------------------------
const work = mkdtempSync(path.join(os.tmpdir(), 'tina4-soak-'));
mkdirSync(path.join(work, 'public'));
const small = 'soak '.repeat(410).slice(0, 2048);
writeFileSync(path.join(work, 'public', 'small.txt'), small);
writeFileSync(path.join(work, 'public', 'big.bin'), Buffer.alloc(1 << 20, 7));
const smallLen = Buffer.byteLength(small);

const port = await freePort();
const serverLog = path.join(logDir, 'soak-server.log');
const logFd = openSync(serverLog, 'w');
const server = spawn(bin, [], {
  cwd: work,
  stdio: ['ignore', logFd, logFd],
  env: {
    ...process.env,
    TINA4_HOST: '127.0.0.1',
    TINA4_PORT: String(port),
    TINA4_PUBLIC: path.join(work, 'public'),
    TINA4_LOG_LEVEL: process.env.TINA4_LOG_LEVEL || 'warn',
    // One process: the RSS and descriptor checks read that process.
    TINA4_WORKERS: process.env.TINA4_WORKERS || '1',
    // A small quarantine keeps an ASan build's RSS from climbing for minutes
    // as freed memory queues up; leaks are still reported at exit.
    ASAN_OPTIONS: process.env.ASAN_OPTIONS || 'detect_leaks=1:quarantine_size_mb=16:abort_on_error=0:exitcode=86',
    UBSAN_OPTIONS: process.env.UBSAN_OPTIONS || 'print_stacktrace=1:halt_on_error=1:exitcode=87',
  },
});
closeSync(logFd);
let serverExit = null;
const exited = new Promise((resolve) =>
  server.on('exit', (code, signal) => {
    serverExit = { code, signal };
    resolve(serverExit);
  })
);
const killServer = () => {
  if (serverExit === null) server.kill('SIGKILL');
};
process.on('exit', killServer);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'])
  process.on(sig, () => {
    console.error(`soak: ${sig}: stopping the server`);
    killServer();
    process.exit(sig === 'SIGINT' ? 130 : 143);
  });
if (!(await waitPort(port, server))) {
  console.error(`soak: the server did not start (see ${serverLog})`);
  killServer();
  process.exit(1);
}
const pid = server.pid;
log(`server ${bin} pid ${pid} on 127.0.0.1:${port}, ${SECONDS} s of load, log ${serverLog}`);

// Warm-up: one of each kind of request, so lazily created state exists
// before the fd baseline is taken (each on a connection of its own, closed).
function get(p, method = 'GET') {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: p, method, agent: false }, (res) => {
      res.resume();
      res.on('end', resolve);
    });
    req.on('error', reject);
    req.end(method === 'POST' ? 'warm' : undefined);
  });
}
async function warmUp() {
  for (const p of ['/small.txt', '/big.bin', '/missing']) await get(p);
  await get('/push/broadcast/soak', 'POST');
  const ws = new WebSocket(`ws://127.0.0.1:${port}/echo`);
  await new Promise((resolve, reject) => {
    ws.on('open', () => ws.send('warm'));
    ws.on('message', () => ws.close());
    ws.on('close', resolve);
    ws.on('error', reject);
  });
}
await warmUp();
// The baseline: once the fd count has held still for a second.
let base = readServer(pid);
for (let i = 0, still = 0; i < 40 && still < 4; i++) {
  await sleep(250);
  const now = readServer(pid);
  still = now.fds === base.fds ? still + 1 : 0;
  base = now;
}
log(`baseline: RSS ${base.rssKb} kB, ${base.fds} fds`);

// ---- the run ---------------------------------------------------------------
const samples = [];
let gone = false;
const probe = new Worker(path.join(HERE, 'probe.mjs'), {
  workerData: { port, pid, wsEveryMs: 100, httpEveryMs: 1000, smallLen },
});
// The samples go to a CSV as they come (kept if the run is interrupted).
const csv = path.join(logDir, 'soak-samples.csv');
writeFileSync(csv, 't_s,rss_kb,fds,canary_ws_max_ms,canary_http_max_ms,canary_thread_lag_ms\n');
const probeDone = new Promise((resolve) =>
  probe.on('message', (m) => {
    if (m.type === 'sample') {
      samples.push(m);
      const row = [m.t.toFixed(1), m.rssKb, m.fds, m.wsMax.toFixed(1), m.httpMax.toFixed(1), m.lagMax.toFixed(1)];
      appendFileSync(csv, `${row.join(',')}\n`);
      if (samples.length % 10 === 0) {
        const w = samples.slice(-10);
        log(
          `t=${m.t.toFixed(0)}s RSS ${m.rssKb} kB, fds ${m.fds}, client sockets ${liveCount()}, ` +
            `canary max ${Math.max(...w.map((x) => x.wsMax)).toFixed(1)} ms (WS) ` +
            `${Math.max(...w.map((x) => x.httpMax)).toFixed(1)} ms (GET)`
        );
      }
    } else if (m.type === 'gone') gone = true;
    else if (m.type === 'done') resolve(m);
  })
);

const cpu0 = process.cpuUsage();
const srvCpu0 = cpuSeconds(pid);
const wall0 = Date.now();
const cfg = { ...CFG, port, smallLen };
httpLoad.start(cfg);
wsLoad.start(cfg);
while (Date.now() - wall0 < SECONDS * 1000 && !gone && serverExit === null) await sleep(200);
const loadSeconds = (Date.now() - wall0) / 1000;
const cpu = process.cpuUsage(cpu0);
const srvCpu = cpuSeconds(pid) - srvCpu0;

// ---- stop, settle, judge --------------------------------------------------------
stopAll();
probe.postMessage('stop');
const canary = await Promise.race([probeDone, sleep(5000).then(() => null)]);
await probe.terminate();

let end = readServer(pid);
const settle0 = Date.now();
while (end && end.fds > base.fds && Date.now() - settle0 < CFG.settleS * 1000) {
  await sleep(250);
  end = readServer(pid) || end;
}
const settleSeconds = (Date.now() - settle0) / 1000;

const failures = [];
if (serverExit === null) server.kill('SIGTERM');
const stopTimer = setTimeout(() => server.kill('SIGKILL'), 20000);
const exit = await exited;
clearTimeout(stopTimer);
const serverText = readFileSync(serverLog, 'utf8');
rmSync(work, { recursive: true, force: true });

if (gone || loadSeconds < SECONDS - 1)
  failures.push(`server: it died during the load at ${loadSeconds.toFixed(0)} s (exit ${JSON.stringify(exit)})`);
else if (exit.code !== 0)
  failures.push(`server: exit ${exit.code ?? exit.signal} on SIGTERM${exit.code === 86 ? ' (LeakSanitizer)' : ''}`);
const sanitizer = /ERROR: (AddressSanitizer|LeakSanitizer)[^\n]*|runtime error:[^\n]*/.exec(serverText);
if (sanitizer) failures.push(`server: sanitizer report: ${sanitizer[0]} (see ${serverLog})`);

const sorted = (a) => [...a].sort((x, y) => x - y);

// RSS: samples taken while the load ran. The judged value of a window is
// its floor, the 10th percentile: slow readers' buffers (megabytes held for
// seconds, then freed) move the mean and even the median between runs, while
// memory that is never given back raises the floor.
const during = samples.filter((s) => s.t <= loadSeconds);
const rss = during.map((s) => s.rssKb);
let rssVerdict = 'not judged (fewer than 9 samples)';
let rssSlope = NaN;
if (rss.length >= 9) {
  const n = rss.length;
  const midW = sorted(rss.slice(Math.floor(n / 3), Math.floor((2 * n) / 3)));
  const lastW = sorted(rss.slice(Math.floor((2 * n) / 3)));
  const mid = percentile(midW, 10);
  const last = percentile(lastW, 10);
  const allowed = Math.max((mid * CFG.rssTolPct) / 100, CFG.rssTolMb * 1024);
  const tail = during.slice(Math.floor(n / 3));
  rssSlope = slope(
    tail.map((s) => s.t),
    tail.map((s) => s.rssKb)
  );
  rssVerdict =
    `floor (p10) middle third ${mid} kB, last third ${last} kB (${last - mid >= 0 ? '+' : ''}${last - mid} kB, ` +
    `allowed +${allowed.toFixed(0)} kB); medians ${percentile(midW, 50)} / ${percentile(lastW, 50)} kB; ` +
    `slope after warm-up ${(rssSlope * 60).toFixed(0)} kB/min`;
  if (last - mid > allowed) failures.push(`rss: drifts upward after warm-up: ${rssVerdict}`);
}

if (!end) failures.push('fds: the server was gone before the fds could be counted');
else if (end.fds > base.fds)
  failures.push(`fds: ${end.fds} open ${CFG.settleS} s after the load stopped, ${base.fds} before it: ${end.fds - base.fds} leaked`);

const wsR = canary ? sorted(canary.wsRtt) : [];
const httpR = canary ? sorted(canary.httpRtt) : [];
const lat = (a) =>
  a.length
    ? `p50 ${percentile(a, 50).toFixed(1)} ms, p99 ${percentile(a, 99).toFixed(1)} ms, max ${a[a.length - 1].toFixed(1)} ms (${a.length})`
    : 'no samples';
if (!canary) failures.push('canary: the probe did not report back');
else {
  // The p99 bound applies to the echoes only: of ~1 GET per second, the
  // p99 is merely the second worst.
  for (const [name, a, p99] of [
    ['WebSocket echo', wsR, true],
    ['HTTP GET', httpR, false],
  ]) {
    if (!a.length) failures.push(`canary: no ${name} round trip completed`);
    else if (a[a.length - 1] > CFG.canaryMaxMs)
      failures.push(`canary: a ${name} round trip took ${a[a.length - 1].toFixed(0)} ms (bound ${CFG.canaryMaxMs} ms)`);
    else if (p99 && percentile(a, 99) > CFG.canaryP99Ms)
      failures.push(`canary: ${name} p99 ${percentile(a, 99).toFixed(0)} ms (bound ${CFG.canaryP99Ms} ms)`);
  }
  if (canary.errors.length) failures.push(`canary: ${canary.errors.length} error(s), first: ${canary.errors[0]}`);
}

let errors = 0;
const firstErrors = [];
for (const [kind, c] of allCounters()) {
  errors += c.errors;
  if (c.firstError) firstErrors.push(`${kind}: ${c.firstError}`);
}
if (errors > CFG.maxErrors)
  failures.push(`errors: ${errors} seen by well-behaved clients (allowed ${CFG.maxErrors}); ${firstErrors.join('; ')}`);

// ---- summary ---------------------------------------------------------------
const rssMax = Math.max(base.rssKb, ...samples.map((s) => s.rssKb), end ? end.rssKb : 0);
const fdMax = Math.max(base.fds, ...samples.map((s) => s.fds));
console.log('');
console.log(`soak summary (${loadSeconds.toFixed(0)} s of load, ${os.cpus().length} CPUs)`);
console.log(
  `  RSS     start ${base.rssKb} kB, end ${end ? end.rssKb : '?'} kB, max ${rssMax} kB; ${rssVerdict}`
);
console.log(`  fds     start ${base.fds}, end ${end ? end.fds : '?'} (${settleSeconds.toFixed(1)} s after the stop), max ${fdMax}`);
console.log(`  canary  WebSocket echo every 100 ms: ${lat(wsR)}`);
console.log(`          HTTP GET every 1 s, new connection: ${lat(httpR)}`);
if (canary) {
  const lagged = canary.spikes.filter(([t]) => {
    const smp = samples.find((x) => x.t >= t);
    return smp && smp.lagMax > 50;
  }).length;
  console.log(
    `          echoes over 100 ms: ${canary.spikes.length}, ${lagged} of them in a second when the canary's own ` +
      `thread was over 50 ms late (its timer lag p99 ${canary.lag.p99.toFixed(1)} ms, max ${canary.lag.max.toFixed(1)} ms)`
  );
}
console.log(
  `  CPU     server ${(srvCpu / loadSeconds).toFixed(2)} cores, load generator ${(
    (cpu.user + cpu.system) /
    1e6 /
    loadSeconds
  ).toFixed(2)} cores (main thread + canary)`
);
console.log('  load    kind            ops   errors  cut off (how)          outlived  other');
const order = [
  'churn_http',
  'churn_ws',
  'pipeline',
  'broadcast',
  'publisher',
  'push_subs',
  'slow_http',
  'slow_ws',
  'trickle_body',
  'trickle_head',
  'trickle_frame',
  'ping_flood',
];
const result = {};
for (const kind of order) {
  const c = allCounters().get(kind) || { ops: 0, errors: 0, cut: 0, outlived: 0, extra: {}, cutHow: {} };
  const how = Object.entries(c.cutHow)
    .map(([k, v]) => `${k}:${v}`)
    .join(' ');
  const extra = Object.entries(c.extra)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  console.log(
    `          ${kind.padEnd(14)} ${String(c.ops).padStart(7)} ${String(c.errors).padStart(6)}  ${`${c.cut}${how ? ` (${how})` : ''}`.padEnd(22)} ${String(c.outlived).padStart(8)}  ${extra}`
  );
  result[kind] = { ops: c.ops, errors: c.errors, cut: c.cut, cut_how: c.cutHow, outlived: c.outlived, ...c.extra };
}
console.log(
  `RESULT ${JSON.stringify({
    seconds: Math.round(loadSeconds),
    rss_start_kb: base.rssKb,
    rss_end_kb: end && end.rssKb,
    rss_max_kb: rssMax,
    rss_slope_kb_per_min: Math.round(rssSlope * 60),
    fds_start: base.fds,
    fds_end: end && end.fds,
    fds_max: fdMax,
    canary_ws_ms: wsR.length ? { p50: percentile(wsR, 50), p99: percentile(wsR, 99), max: wsR[wsR.length - 1] } : null,
    canary_http_ms: httpR.length
      ? { p50: percentile(httpR, 50), p99: percentile(httpR, 99), max: httpR[httpR.length - 1] }
      : null,
    load: result,
    failures,
  })}`
);
console.log('');
if (failures.length) {
  console.log('soak: FAIL');
  for (const f of failures) console.log(`  - ${f}`);
  process.exit(1);
}
console.log('soak: PASS (RSS steady, no fd leak, canary within bounds, no errors, clean exit)');
process.exit(0);
