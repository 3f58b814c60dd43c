// SPDX-License-Identifier: MIT
// Per-path history on the server side: raw clients see no change, pushes
// are kept even with nobody listening, the OPEN handler can tell a resume
// (t4_ws_join_kind), and TINA4_WS_HISTORY_MEMORY bounds it all.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import WebSocket from 'ws';
import net from 'node:net';
import { binary, startServer } from '../lib/server.mjs';

const BENCH = 'bench/tina4-bench-server';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function open(url, protocols) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols);
    const msgs = [];
    ws.on('message', (d, bin) => msgs.push(bin ? Buffer.from(d) : String(d)));
    ws.on('open', () => resolve({ ws, msgs }));
    ws.on('error', reject);
  });
}

async function until(fn, what, timeout = 10000) {
  const deadline = Date.now() + timeout;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

// "p<epoch>:<offset>\n<text>" -> { epoch, offset, text }
function positioned(s) {
  const m = /^p([0-9a-f]{16}):(\d+)\n([\s\S]*)$/.exec(s);
  assert.ok(m, `a positioned message: ${JSON.stringify(s)}`);
  return { epoch: m[1], offset: Number(m[2]), text: m[3] };
}

test('a native client on a history route receives exactly the raw messages; tina4.v1 gets them positioned', async (t) => {
  const srv = await startServer(BENCH);
  t.after(() => srv.stop());
  const raw = await open(srv.wsUrl('/history/n'));
  const rawPlain = await open(srv.wsUrl('/broadcast/n'));
  const v1 = await open(srv.wsUrl('/history/n'), ['tina4.v1']);
  assert.equal(raw.ws.protocol, '');
  assert.equal(v1.ws.protocol, 'tina4.v1');
  const texts = ['hello', '', 'p0000000000000001:1\nlooks like a head', 'c{"type":"welcome"}', '.dot', 'ünï©ødé'];
  for (const s of texts) raw.ws.send(s);
  raw.ws.send(Buffer.from([0, 1, 2, 255]));
  for (const s of texts) rawPlain.ws.send(s);
  rawPlain.ws.send(Buffer.from([0, 1, 2, 255]));
  await until(() => raw.msgs.length === 7 && rawPlain.msgs.length === 7 && v1.msgs.length === 1 + 6 + 2, 'all messages');
  // The same bytes as on a route without history.
  assert.deepEqual(raw.msgs.slice(0, 6), texts);
  assert.deepEqual(rawPlain.msgs.slice(0, 6), texts);
  assert.deepEqual(raw.msgs[6], Buffer.from([0, 1, 2, 255]));
  // tina4.v1: the welcome, then each message with its position (1, 2, ...).
  const welcome = JSON.parse(v1.msgs[0].slice(1));
  assert.equal(welcome.type, 'welcome');
  assert.equal(welcome.join, 'fresh');
  const got = v1.msgs.slice(1, 7).map(positioned);
  assert.deepEqual(got.map((m) => m.text), texts);
  assert.deepEqual(got.map((m) => m.offset), [1, 2, 3, 4, 5, 6]);
  assert.ok(got.every((m) => m.epoch === welcome.epoch));
  assert.equal(v1.msgs[7], `b${welcome.epoch}:7`, 'a binary message is announced by its position');
  assert.deepEqual(v1.msgs[8], Buffer.from([0, 1, 2, 255]));
  for (const c of [raw, rawPlain, v1]) c.ws.close();
});

test('pushes to a history path are kept with nobody listening, and replayed on request', async (t) => {
  const srv = await startServer(BENCH);
  t.after(() => srv.stop());
  for (const body of ['a', 'b', 'c']) {
    const r = await fetch(srv.url('/push/history/p'), { method: 'POST', body });
    assert.deepEqual(await r.json(), { delivered: 0 });
  }
  // Not a history route: nothing kept.
  await fetch(srv.url('/push/broadcast/p'), { method: 'POST', body: 'lost' });
  const c = await open(srv.wsUrl('/history/p'), ['tina4.v1', 'tina4.history.10']);
  const d = await open(srv.wsUrl('/broadcast/p'), ['tina4.v1', 'tina4.history.10']);
  await until(() => c.msgs.length === 4 && d.msgs.length === 1, 'welcome and history');
  assert.deepEqual(c.msgs.slice(1).map((m) => positioned(m).text), ['a', 'b', 'c']);
  assert.equal(JSON.parse(c.msgs[0].slice(1)).count, 3);
  assert.deepEqual(JSON.parse(d.msgs[0].slice(1)), { ...JSON.parse(d.msgs[0].slice(1)), epoch: '', offset: 0, count: 0 });
  c.ws.close();
  d.ws.close();
});

test('the OPEN handler tells a fresh join from a resume and from a gap (t4_ws_join_kind)', async (t) => {
  const srv = await startServer('tests/servers/api_server');
  t.after(() => srv.stop());
  const a = await open(srv.wsUrl('/api/joined/r'), ['tina4.v1']);
  const n = await open(srv.wsUrl('/api/joined/r'));
  await until(() => a.msgs.length === 2 && n.msgs.length === 1, 'joined');
  assert.equal(a.msgs[1], '.joined:fresh', 'unicast text to a tina4.v1 client has the "." head');
  assert.equal(n.msgs[0], 'joined:fresh');
  a.ws.send('one');
  await until(() => a.msgs.length === 3, 'one');
  const { epoch, offset } = positioned(a.msgs[2]);
  const b = await open(srv.wsUrl('/api/joined/r'), ['tina4.v1', `tina4.resume.${epoch}.${offset - 1}`]);
  await until(() => b.msgs.length === 3, 'resumed join');
  assert.equal(JSON.parse(b.msgs[0].slice(1)).join, 'resumed');
  assert.equal(positioned(b.msgs[1]).text, 'one', 'the missed message comes before OPEN runs');
  assert.equal(b.msgs[2], '.joined:resumed');
  const g = await open(srv.wsUrl('/api/joined/r'), ['tina4.v1', `tina4.resume.${epoch}.${offset + 5}`]);
  await until(() => g.msgs.length === 2, 'gap join');
  assert.equal(JSON.parse(g.msgs[0].slice(1)).join, 'gap');
  assert.equal(g.msgs[1], '.joined:gap');
  for (const c of [a, n, b, g]) c.ws.close();
});

test('a replay is output: cut to TINA4_WS_MAX_BACKPRESSURE (newest first), a resume past it is a gap, a spent budget is 1013', async (t) => {
  const srv = await startServer(BENCH, { env: { TINA4_WS_MAX_BACKPRESSURE: '64K' } });
  t.after(() => srv.stop());
  const body = 'y'.repeat(200);
  const pub = await open(srv.wsUrl('/history/cap'), ['tina4.v1']);
  for (let i = 1; i <= 1000; i++) pub.ws.send(`${i} ${body}`); // ~200 KB kept, 3 times the limit
  await until(() => pub.msgs.length === 1001, 'the publisher hears all 1000');
  const last = positioned(pub.msgs[1000]);
  // Asking for all 1000: the newest that fit in 64 KiB, in order, ending at the last.
  const h = await open(srv.wsUrl('/history/cap'), ['tina4.v1', 'tina4.history.1000']);
  await until(() => h.msgs.length >= 1 && h.msgs.length === 1 + JSON.parse(h.msgs[0].slice(1)).count, 'the cut replay');
  const w = JSON.parse(h.msgs[0].slice(1));
  assert.equal(w.join, 'fresh');
  assert.ok(w.count > 100 && w.count < 330, `${w.count} of 1000 replayed under a 64 KiB limit`);
  const got = h.msgs.slice(1).map(positioned);
  assert.equal(got[got.length - 1].offset, last.offset, 'the newest message is the last replayed');
  assert.ok(got.every((m, i) => i === 0 || m.offset === got[i - 1].offset + 1), 'contiguous, in order');
  assert.equal(w.offset, got[0].offset - 1, 'the welcome says where the replay starts');
  // Resuming from the start would need all 1000: told it is a gap instead.
  const r = await open(srv.wsUrl('/history/cap'), ['tina4.v1', `tina4.resume.${last.epoch}.1`]);
  await until(() => r.msgs.length >= 1, 'the welcome');
  await sleep(100);
  assert.equal(JSON.parse(r.msgs[0].slice(1)).join, 'gap');
  assert.equal(r.msgs.length, 1, 'nothing replayed with a gap');
  // A short resume still replays.
  const ok = await open(srv.wsUrl('/history/cap'), ['tina4.v1', `tina4.resume.${last.epoch}.${last.offset - 5}`]);
  await until(() => ok.msgs.length === 6, 'five replayed');
  assert.equal(JSON.parse(ok.msgs[0].slice(1)).join, 'resumed');
  for (const c of [pub, h, r, ok]) c.ws.close();
});

test('a history join while the output budget is spent is closed with 1013, not queued', async (t) => {
  const srv = await startServer(BENCH, { env: { TINA4_MAX_OUTPUT_MEMORY: '1M' } });
  t.after(() => srv.stop());
  const pub = await open(srv.wsUrl('/history/spent'), ['tina4.v1']);
  pub.ws.send('kept');
  await until(() => pub.msgs.length === 2, 'kept');
  // Clients that pipeline requests and never read hold the output budget
  // (each up to TINA4_HTTP_MAX_BACKPRESSURE once the kernel's buffers are full).
  const holders = [];
  for (let i = 0; i < 12; i++) {
    const s = net.connect(srv.port, '127.0.0.1');
    s.on('error', () => {});
    s.on('connect', () => { s.pause(); s.write('GET /js/frond.js HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(1500)); });
    holders.push(s);
  }
  await until(() => /TINA4_MAX_OUTPUT_MEMORY \(1048576 bytes\) is spent/.test(srv.stderr()), 'the budget spent', 15000);
  // Until the holders' kernel buffers are full the budget comes and goes: a
  // join that arrives while it is free is served (its replay arrives), and is
  // tried again; one that arrives while it is spent must get 1013.
  const attempt = () => new Promise((resolve, reject) => {
    const ws = new WebSocket(srv.wsUrl('/history/spent'), ['tina4.v1', 'tina4.history.10']);
    const got = [];
    ws.on('message', (d) => {
      got.push(String(d));
      if (got.some((m) => m.startsWith('p'))) ws.terminate(); // served: the budget was free
    });
    ws.on('close', (code) => resolve({ code, got }));
    ws.on('error', reject);
  });
  let closed;
  for (const deadline = Date.now() + 20000; Date.now() < deadline;) {
    closed = await attempt();
    if (!closed.got.some((m) => m.startsWith('p'))) break;
    await sleep(200);
  }
  assert.equal(closed.code, 1013);
  assert.ok(closed.got.every((m) => !m.startsWith('p')), 'nothing replayed');
  // A join that asks for no history is not refused.
  const plain = await open(srv.wsUrl('/history/spent'), ['tina4.v1']);
  await until(() => plain.msgs.length === 1, 'the welcome');
  for (const s of holders) s.destroy();
  plain.ws.close();
  pub.ws.close();
});

test('TINA4_WS_HISTORY_MEMORY bounds all history; the oldest goes first', async (t) => {
  const srv = await startServer(BENCH, { env: { TINA4_WS_HISTORY_MEMORY: '64K' } });
  t.after(() => srv.stop());
  const sender = await open(srv.wsUrl('/history/m'));
  const pad = 'x'.repeat(200);
  for (let i = 0; i < 2000; i++) sender.ws.send(`${i}:${pad}`);
  await until(() => sender.msgs.length === 2000, 'the sender');
  const c = await open(srv.wsUrl('/history/m'), ['tina4.v1', 'tina4.history.10000']);
  await until(() => c.msgs.length >= 1 && c.msgs.length === 1 + JSON.parse(c.msgs[0].slice(1)).count, 'history');
  const kept = c.msgs.slice(1).map(positioned);
  // 2000 x ~250 bytes is ~500 KB: far more than 64 KiB, so most went.
  assert.ok(kept.length > 100 && kept.length < 300, `kept ${kept.length}`);
  assert.equal(kept.at(-1).offset, 2000, 'the newest are kept');
  kept.forEach((m, i) => assert.equal(m.offset, 2001 - kept.length + i, 'contiguous'));
  assert.equal(kept[0].text, `${2000 - kept.length}:${pad}`);
  // With the default (64 MiB) all 2000 stay.
  const big = await startServer(BENCH);
  t.after(() => big.stop());
  const s2 = await open(big.wsUrl('/history/m'));
  for (let i = 0; i < 2000; i++) s2.ws.send(`${i}:${pad}`);
  await until(() => s2.msgs.length === 2000, 'the sender');
  const c2 = await open(big.wsUrl('/history/m'), ['tina4.v1', 'tina4.history.10000']);
  await until(() => c2.msgs.length === 2001, 'all 2000');
  for (const x of [sender, c, s2, c2]) x.ws.close();
});

test('TINA4_WS_HISTORY_MEMORY: a bad value is refused at start-up', () => {
  const r = spawnSync(binary(BENCH), [], { env: { ...process.env, TINA4_WS_HISTORY_MEMORY: 'lots', TINA4_PORT: '0' }, timeout: 10000 });
  assert.notEqual(r.status, 0);
  assert.match(String(r.stderr), /TINA4_WS_HISTORY_MEMORY=lots/);
});

test('with compression on, raw and tina4.v1 clients each get their own form of a compressed broadcast and replay', async (t) => {
  const srv = await startServer(BENCH, { env: { TINA4_WS_COMPRESSION: 'true' } });
  t.after(() => srv.stop());
  const raw = await open(srv.wsUrl('/history/z'));
  const v1 = await open(srv.wsUrl('/history/z'), ['tina4.v1']);
  assert.match(raw.ws.extensions, /permessage-deflate/);
  const long = 'compress me '.repeat(200);
  raw.ws.send(long);
  await until(() => raw.msgs.length === 1 && v1.msgs.length === 2, 'the broadcast');
  assert.equal(raw.msgs[0], long);
  assert.equal(positioned(v1.msgs[1]).text, long);
  const late = await open(srv.wsUrl('/history/z'), ['tina4.v1', 'tina4.history.1']);
  await until(() => late.msgs.length === 2, 'the replay');
  assert.equal(positioned(late.msgs[1]).text, long);
  for (const c of [raw, v1, late]) c.ws.close();
});
