// SPDX-License-Identifier: MIT
// Echo throughput of a 4 KiB JSON-ish text message through the `ws` client
// with perMessageDeflate (threshold 0), and the server CPU per message.
// usage: node bench/ws-compression-echo.mjs PORT SERVER_PID [SECONDS]
// (start the server with TINA4_WS_COMPRESSION=true or false to compare).
import WebSocket from 'ws';
import { readFileSync } from 'node:fs';
const [port, pid, secs = 5] = process.argv.slice(2);
const cpu = () => { const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' '); return (Number(f[11]) + Number(f[12])) / 100; };
const obj = []; for (let i = 0; i < 60; i++) obj.push({ id: i, user: `user${i % 7}`, text: `message number ${i} from the bench`, ts: 1700000000 + i * 37, ok: i % 2 === 0 });
let msg = JSON.stringify(obj); msg = msg.slice(0, 4096).padEnd(4096, ' ');
const C = 16, P = 8; let count = 0, wire = 0; const conns = [];
for (let i = 0; i < C; i++) conns.push(new Promise((res) => { const ws = new WebSocket(`ws://127.0.0.1:${port}/echo`, { perMessageDeflate: { threshold: 0 } }); ws.on('open', () => res(ws)); ws._socket; }));
const all = await Promise.all(conns);
console.log('ext:', all[0].extensions || '(none)');
let t0, c0, run = true;
for (const ws of all) { ws._socket.on('data', (d) => (wire += d.length)); ws.on('message', () => { count++; if (run) ws.send(msg); }); for (let k = 0; k < P; k++) ws.send(msg); }
await new Promise((r) => setTimeout(r, 1000));
count = 0; wire = 0; t0 = Date.now(); c0 = cpu();
await new Promise((r) => setTimeout(r, secs * 1000));
const dt = (Date.now() - t0) / 1000, dc = cpu() - c0; run = false;
console.log(`msgs/s ${(count / dt).toFixed(0)}  server CPU ${(100 * dc / dt).toFixed(0)}%  server CPU us/msg ${(1e6 * dc / count).toFixed(1)}  wire bytes/msg (server->client) ${(wire / count).toFixed(0)}`);
for (const ws of all) ws.terminate();
