// SPDX-License-Identifier: MIT
// Cross-instance broadcast through the Redis backplane: throughput and
// delivery latency. Starts its own redis-server and two instances of the
// bench server (A and B); S subscribers connect to B, one publisher to A, all
// on /broadcast/bench. Every message carries its send time; each subscriber
// records publish -> delivery latency. Windowed mode (default) keeps at most
// W messages in flight (acknowledged when the first B subscriber has it), so
// it measures the sustainable rate; --rate R paces instead (latency at load).
//
//   node bench/backplane.mjs [--build build] [--subs 50] [--size 64] [--duration 5]
//                            [--window 64 | --rate 2000] [--format json|binary]
//                            [--path /history/bench]   (history kept in Redis Streams)
import { spawn } from 'node:child_process';
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
  const p = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  p.err = '';
  p.stderr.on('data', (d) => { p.err += d; });
  procs.push(p);
  return p;
}
process.on('exit', () => procs.forEach((p) => p.kill('SIGKILL')));

const redisPort = await freePort();
run('redis-server', ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
await waitPort(redisPort);
const server = path.join(ROOT, BUILD, 'bench/tina4-bench-server');
const ports = [await freePort(), await freePort()];
const inst = ports.map((port) => run(server, [], {
  TINA4_HOST: '127.0.0.1', TINA4_PORT: String(port), TINA4_LOG_LEVEL: 'warn',
  TINA4_WS_BACKPLANE: 'redis', TINA4_WS_BACKPLANE_URL: `redis://127.0.0.1:${redisPort}`,
  TINA4_WS_BACKPLANE_FORMAT: FORMAT, TINA4_WS_MAX_BACKPRESSURE: '64M',
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
await sleep(1000); // let the stragglers land (they count for latency, not rate)
lat.sort((a, b) => a - b);
const pct = (p) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor((lat.length * p) / 100))] / 1000 : NaN);
const expected = published * SUBS;
console.log(`backplane ${FORMAT}: ${SUBS} subscribers on B, publisher on A, ${SIZE}-byte binary messages, ` +
  `${RATE ? `paced at ${RATE}/s` : `window ${WINDOW}`}, ${elapsed.toFixed(1)} s`);
console.log(`RESULT format=${FORMAT} subs=${SUBS} size=${SIZE} msgs_per_s=${Math.round(acked / elapsed)} ` +
  `deliveries_per_s=${Math.round(deliveredInTime / elapsed)} lost=${expected - delivered} ` +
  `p50_ms=${pct(50).toFixed(2)} p99_ms=${pct(99).toFixed(2)} max_ms=${pct(100).toFixed(2)}`);
for (const s of [...subs, pub]) s.terminate();
for (const p of inst) {
  p.kill('SIGTERM');
  await new Promise((r) => p.once('exit', r));
  if (/Sanitizer|runtime error/.test(p.err)) console.error(p.err);
}
process.exit(0);
