// SPDX-License-Identifier: MIT
// Cross-instance broadcast through the Redis backplane: throughput and
// delivery latency. Starts its own redis-server and two instances of the
// bench server (A and B); S subscribers connect to B, one publisher to A, all
// on /broadcast/bench. Every message carries its send time; each subscriber
// records publish -> delivery latency. Windowed mode (default) keeps at most
// W messages in flight (acknowledged when the first B subscriber has it), so
// it measures the sustainable rate; --rate R paces instead (latency at load).
// --workers W runs each instance with W workers (each worker has its own
// Redis link); the CPU time of Redis and of each instance (supervisor and
// workers, from /proc) is reported per message and per delivery.
//
//   node bench/backplane.mjs [--build build] [--subs 50] [--size 64] [--duration 5]
//                            [--window 64 | --rate 2000] [--format json|binary] [--workers 1]
//                            [--path /history/bench]   (history kept in Redis Streams)
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const BUILD = arg('build', 'build');
const SUBS = Number(arg('subs', 50));
const SIZE = Math.max(16, Number(arg('size', 64)));
const DURATION = Number(arg('duration', 5));
const WINDOW = Number(arg('window', 64));
const RATE = Number(arg('rate', 0));
const FORMAT = arg('format', 'json');
const WORKERS = String(arg('workers', '1'));

// CPU seconds (user + system) of pid and every process below it.
const TICK = 100; // USER_HZ on Linux
function statOf(pid) {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) / TICK };
  } catch {
    return null;
  }
}
function treeCpu(root) {
  const kids = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const st = statOf(d);
    if (st) kids.set(Number(d), st);
  }
  let sum = 0;
  const todo = [root];
  while (todo.length) {
    const p = todo.pop();
    const st = kids.get(p);
    if (!st) continue;
    sum += st.cpu;
    for (const [pid, k] of kids) if (k.ppid === p) todo.push(pid);
  }
  return sum;
}

const PATH = arg('path', '/broadcast/bench');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}
async function waitPort(port) {
  for (let i = 0; i < 400; i++) {
    const ok = await new Promise((r) => {
      const s = net.connect(port, '127.0.0.1');
      s.on('connect', () => { s.destroy(); r(true); });
      s.on('error', () => r(false));
    });
    if (ok) return;
    await sleep(25);
  }
  throw new Error(`nothing listens on ${port}`);
}

const procs = [];
function run(cmd, args, env = {}) {
  // One process per instance unless asked (the default is one worker per CPU).
  const p = spawn(cmd, args, { env: { TINA4_WORKERS: '1', ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  p.err = '';
  p.stderr.on('data', (d) => { p.err += d; });
  procs.push(p);
  return p;
}
process.on('exit', () => procs.forEach((p) => p.kill('SIGKILL')));

const redisPort = await freePort();
const redis = run('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
await waitPort(redisPort);
const server = path.join(ROOT, BUILD, 'bench/tina4-bench-server');
const ports = [await freePort(), await freePort()];
const inst = ports.map((port) => run(server, [], {
  TINA4_HOST: '127.0.0.1', TINA4_PORT: String(port), TINA4_LOG_LEVEL: 'warn',
  TINA4_WS_BACKPLANE: 'redis', TINA4_WS_BACKPLANE_URL: `redis://127.0.0.1:${redisPort}`,
  TINA4_WS_BACKPLANE_FORMAT: FORMAT, TINA4_WS_MAX_BACKPRESSURE: '64M', TINA4_WORKERS: WORKERS,
}));
await Promise.all(ports.map(waitPort));
await sleep(300); // links up

const url = (port) => `ws://127.0.0.1:${port}${PATH}`;
const open = (u) => new Promise((resolve, reject) => {
  const w = new WebSocket(u, { perMessageDeflate: false });
  w.binaryType = 'nodebuffer';
  w.on('open', () => resolve(w));
  w.on('error', reject);
});

const lat = [];
let delivered = 0; let acked = 0; let published = 0; let measuring = false; let warm = 0;
const subs = [];
for (let i = 0; i < SUBS; i++) subs.push(await open(url(ports[1])));
const pub = await open(url(ports[0]));
pub.on('message', () => {}); // its own local copy
const t0ns = process.hrtime.bigint();
const nowUs = () => Number((process.hrtime.bigint() - t0ns) / 1000n);
let pump = () => {};
subs.forEach((s, i) => s.on('message', (d) => {
  const seq = d.readUInt32LE(0);
  if (seq === 0) { if (i === 0) warm++; return; }
  if (measuring) { delivered++; lat.push(nowUs() - d.readUInt32LE(4)); }
  if (i === 0) { acked++; pump(); }
}));
const buf = Buffer.alloc(SIZE, 0x61);
function send(seq) {
  buf.writeUInt32LE(seq, 0);
  buf.writeUInt32LE(nowUs() >>> 0, 4);
  pub.send(buf, { binary: true });
}
// Warm-up: every subscriber is joined and the path is hot.
for (let i = 0; i < 20 && warm === 0; i++) { send(0); await sleep(50); }
if (!warm) throw new Error('no warm-up message crossed the backplane');
await sleep(200);

const cpuPids = [redis.pid, inst[0].pid, inst[1].pid];
const cpu0 = cpuPids.map(treeCpu);
measuring = true;
const start = Date.now();
let stop = false;
if (RATE > 0) {
  const perTick = Math.max(1, Math.round(RATE / 1000));
  const timer = setInterval(() => { for (let k = 0; k < perTick && !stop; k++) send(++published); }, 1);
  await sleep(DURATION * 1000);
  clearInterval(timer);
} else {
  pump = () => { while (!stop && published - acked < WINDOW) send(++published); };
  pump();
  await sleep(DURATION * 1000);
}
stop = true;
const elapsed = (Date.now() - start) / 1000;
const deliveredInTime = delivered;
const [cpuRedis, cpuA, cpuB] = cpuPids.map((p, i) => treeCpu(p) - cpu0[i]);
await sleep(1000); // let the stragglers land (they count for latency, not rate)
lat.sort((a, b) => a - b);
const pct = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor((lat.length * p) / 100))] / 1000 : NaN);
const expected = published * SUBS;
console.log(`backplane ${FORMAT}: ${WORKERS} worker(s) per instance, ${SUBS} subscribers on B, publisher on A, ${SIZE}-byte binary messages, ` +
  `${RATE ? `paced at ${RATE}/s` : `window ${WINDOW}`}, ${elapsed.toFixed(1)} s`);
console.log(`RESULT format=${FORMAT} subs=${SUBS} size=${SIZE} msgs_per_s=${Math.round(acked / elapsed)} ` +
  `deliveries_per_s=${Math.round(deliveredInTime / elapsed)} lost=${expected - delivered} ` +
  `p50_ms=${pct(50).toFixed(2)} p99_ms=${pct(99).toFixed(2)} max_ms=${pct(100).toFixed(2)} workers=${WORKERS} ` +
  `redis_cpu_us_per_msg=${((cpuRedis * 1e6) / published).toFixed(1)} ` +
  `a_cpu_us_per_msg=${((cpuA * 1e6) / published).toFixed(1)} ` +
  `b_cpu_us_per_delivery=${((cpuB * 1e6) / Math.max(1, deliveredInTime)).toFixed(2)} ` +
  `cpu_s=${cpuRedis.toFixed(2)}/${cpuA.toFixed(2)}/${cpuB.toFixed(2)}`);
for (const s of [...subs, pub]) s.terminate();
for (const p of inst) {
  const exited = p.exitCode !== null || p.signalCode !== null
    ? Promise.resolve() : new Promise((r) => p.once('exit', r));
  if (p.exitCode !== null || p.signalCode !== null) console.error(`an instance had exited (${p.exitCode ?? p.signalCode}):\n${p.err}`);
  p.kill('SIGTERM');
  await exited;
  if (/Sanitizer|runtime error|crashed/.test(p.err)) console.error(p.err);
}
process.exit(0);
