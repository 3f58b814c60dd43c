// SPDX-License-Identifier: MIT
// History benchmarks against a running build/bench/tina4-bench-server
// (127.0.0.1 only): the time to resume 1000 missed messages, and the
// memory per history entry (server RSS growth / entries kept).
//   node bench/history.mjs [build]      (default build: build/)
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import WebSocket from 'ws';

const build = process.argv[2] || 'build';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}
const rss = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);

function open(url, protocols) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { perMessageDeflate: false });
    const msgs = [];
    ws.on('message', (d) => msgs.push(String(d)));
    ws.on('open', () => resolve({ ws, msgs }));
    ws.on('error', reject);
  });
}
async function until(fn) {
  while (!fn()) await sleep(1);
}

const port = await freePort();
const srv = spawn(path.join(build, 'bench/tina4-bench-server'), [], {
  env: { ...process.env, TINA4_PORT: String(port), TINA4_HOST: '127.0.0.1', TINA4_LOG_LEVEL: 'error' },
  stdio: 'ignore',
});
await sleep(500);
const url = (p) => `ws://127.0.0.1:${port}${p}`;

// Resume: 1000 missed 64-byte messages, from the handshake to the last one.
const sender = await open(url('/history/resume'));
const first = await open(url('/history/resume'), ['tina4.v1']);
await until(() => first.msgs.length === 1);
const epoch = JSON.parse(first.msgs[0].slice(1)).epoch;
first.ws.close();
const pad = 'x'.repeat(58);
const times = [];
for (let round = 0; round < 5; round++) {
  const base = round * 1000;
  for (let i = 0; i < 1000; i++) sender.ws.send(`${String(base + i).padStart(5, '0')}${pad}`);
  await until(() => sender.msgs.length === base + 1000);
  const t0 = process.hrtime.bigint();
  const c = await open(url('/history/resume'), ['tina4.v1', `tina4.resume.${epoch}.${base}`]);
  await until(() => c.msgs.length === 1001);
  times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  c.ws.close();
}
times.sort((a, b) => a - b);
console.log(`resume of 1000 missed 64-byte messages (handshake to the last): median ${times[2].toFixed(1)} ms, min ${times[0].toFixed(1)} ms, max ${times[4].toFixed(1)} ms (5 runs)`);

// Memory per entry: 10 rooms x 10 000 messages of 64 bytes.
await sleep(300);
const before = rss(srv.pid);
const pushers = [];
for (let r = 0; r < 10; r++) pushers.push(await open(url(`/history/mem${r}`)));
for (let i = 0; i < 10000; i++) for (const p of pushers) p.ws.send(`${String(i).padStart(6, '0')}${'y'.repeat(58)}`);
for (const p of pushers) await until(() => p.msgs.length === 10000);
await sleep(1500); // the 1 Hz malloc_trim
const after = rss(srv.pid);
console.log(`memory: ${after - before} kB RSS for 100 000 entries of 64 bytes = ${(((after - before) * 1024) / 100000).toFixed(0)} bytes per entry (payload 64)`);
for (const p of [sender, ...pushers]) p.ws.close();
srv.kill('SIGTERM');
