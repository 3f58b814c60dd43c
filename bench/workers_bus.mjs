// SPDX-License-Identifier: MIT
// Cross-worker broadcast through the local bus: throughput and delivery
// latency. Starts tests/servers/workers_server with TINA4_WORKERS=W (no
// Redis), one publisher and S subscribers on /bus/bench; each client asks
// its worker's pid, so latency is reported apart for subscribers on the
// publisher's worker and on the others. Every message carries its send time.
// Windowed (default): at most --window messages in flight, acknowledged when
// the first subscriber on another worker has it (the sustainable rate).
//
//   node bench/workers_bus.mjs [--build build] [--workers 2] [--subs 50]
//                              [--size 64] [--duration 5] [--window 64]
//                              [--path /pres/bench]  (a route with history: its
//                              owner worker positions every message)
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
const WORKERS = Number(arg('workers', 2));
const SUBS = Number(arg('subs', 50));
const SIZE = Math.max(32, Number(arg('size', 64)));
const DURATION = Number(arg('duration', 5));
const WINDOW = Number(arg('window', 64));
const PATH = arg('path', '/bus/bench');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const port = await new Promise((resolve) => {
  const s = net.createServer();
  s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
});
const srv = spawn(path.join(ROOT, BUILD, 'tests/servers/workers_server'), [], {
  env: { ...process.env, TINA4_HOST: '127.0.0.1', TINA4_PORT: String(port), TINA4_WORKERS: String(WORKERS),
    TINA4_WS_MAX_BACKPRESSURE: '64M' },
  stdio: ['ignore', 'ignore', 'pipe'],
});
let err = '';
srv.stderr.on('data', (d) => { err += d; });
process.on('exit', () => srv.kill('SIGKILL'));
for (let i = 0; i < 400 && (err.match(/bus: worker \d+ \(slot \d+\) linked/g) || []).length < WORKERS; i++) await sleep(25);

const open = () => new Promise((resolve, reject) => {
  const w = new WebSocket(`ws://127.0.0.1:${port}${PATH}`, { perMessageDeflate: false });
  w.on('open', () => {
    w.once('message', (d) => { w.pid = Number(d.toString().slice(4)); resolve(w); });
    w.send('pid');
  });
  w.on('error', reject);
});
const pub = await open();
const subs = [];
for (let i = 0; i < SUBS; i++) subs.push(await open());
const cross = subs.filter((s) => s.pid !== pub.pid);
if (!cross.length) throw new Error('no subscriber landed on another worker');
const acker = cross[0];

const t0ns = process.hrtime.bigint();
const nowUs = () => Number((process.hrtime.bigint() - t0ns) / 1000n);
const lat = { same: [], cross: [] };
let measuring = false; let delivered = 0; let acked = 0; let published = 0; let warm = 0;
let pump = () => {};
pub.on('message', () => {});
for (const s of subs) {
  const kind = s.pid === pub.pid ? 'same' : 'cross';
  s.on('message', (d) => {
    const [seq, ts] = d.toString().split(' ', 2).map(Number);
    if (seq === 0) { if (s === acker) warm++; return; }
    if (measuring) { delivered++; lat[kind].push(nowUs() - ts); }
    if (s === acker) { acked++; pump(); }
  });
}
const pad = 'x'.repeat(SIZE);
const send = (seq) => { const m = `${seq} ${nowUs()} `; pub.send(`all:${m}${pad.slice(m.length)}`); };
for (let i = 0; i < 40 && !warm; i++) { send(0); await sleep(50); }
if (!warm) throw new Error('no warm-up message crossed the bus');
await sleep(200);

measuring = true;
const start = Date.now();
let stop = false;
pump = () => { while (!stop && published - acked < WINDOW) send(++published); };
pump();
await sleep(DURATION * 1000);
stop = true;
const elapsed = (Date.now() - start) / 1000;
const inTime = delivered;
await sleep(1000);
const pct = (a, p) => (a.length ? a[Math.min(a.length - 1, Math.floor((a.length * p) / 100))] / 1000 : NaN);
for (const a of Object.values(lat)) a.sort((x, y) => x - y);
const onPub = subs.length - cross.length;
console.log(`local bus: ${WORKERS} workers, publisher on worker ${pub.pid}, ${onPub} subscribers there and ` +
  `${cross.length} on the other worker(s), ${SIZE}-byte text messages, window ${WINDOW}, ${elapsed.toFixed(1)} s`);
console.log(`RESULT workers=${WORKERS} subs=${SUBS} size=${SIZE} msgs_per_s=${Math.round(acked / elapsed)} ` +
  `deliveries_per_s=${Math.round(inTime / elapsed)} lost=${published * SUBS - delivered} ` +
  `same_p50_ms=${pct(lat.same, 50).toFixed(2)} same_p99_ms=${pct(lat.same, 99).toFixed(2)} ` +
  `cross_p50_ms=${pct(lat.cross, 50).toFixed(2)} cross_p99_ms=${pct(lat.cross, 99).toFixed(2)}`);
for (const s of [...subs, pub]) s.terminate();
srv.kill('SIGTERM');
await new Promise((r) => srv.once('exit', r));
if (/Sanitizer|runtime error/.test(err)) console.error(err);
process.exit(0);
