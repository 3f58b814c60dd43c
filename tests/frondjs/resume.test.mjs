// SPDX-License-Identifier: MIT
// frond.js resume over tina4.v1 against the bench server's /history/{room}
// (10 000 messages kept per room). The frond.js client reaches the server
// through a small TCP proxy in this file, so a test can cut its connection
// (every socket destroyed, new ones refused) without touching the server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { BENCH, WebSocket, record, sleep, startServer } from './helpers.mjs';

// A TCP proxy to 127.0.0.1:target. cut() destroys every connection and
// refuses new ones until restore(); retarget() points later ones elsewhere.
async function tcpProxy(target) {
  const socks = new Set();
  let refusing = false;
  const server = net.createServer((client) => {
    if (refusing) return client.destroy();
    const up = net.connect(target, '127.0.0.1');
    const end = () => {
      client.destroy();
      up.destroy();
      socks.delete(client);
      socks.delete(up);
    };
    socks.add(client);
    socks.add(up);
    client.pipe(up);
    up.pipe(client);
    for (const s of [client, up]) {
      s.on('error', end);
      s.on('close', end);
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: (p) => `ws://127.0.0.1:${server.address().port}${p}`,
    cut() {
      refusing = true;
      for (const s of socks) s.destroy();
    },
    restore() {
      refusing = false;
    },
    retarget(port) {
      target = port;
    },
    close: () => new Promise((r) => { for (const s of socks) s.destroy(); server.close(r); }),
  };
}

// A native ws client; resolves once open. msgs collects what it receives.
function native(url, protocols) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols);
    const msgs = [];
    ws.on('message', (d, bin) => msgs.push(bin ? d : String(d)));
    ws.on('open', () => resolve({ ws, msgs }));
    ws.on('error', reject);
  });
}

async function until(fn, what, timeout = 20000) {
  const deadline = Date.now() + timeout;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const FAST = { reconnectInterval: 100, maxReconnectDelay: 300, maxReconnectAttempts: Infinity };

test('1000 messages broadcast while the connection is cut for 2 s: all 1000 arrive, in order, once each', async (t) => {
  const srv = await startServer(BENCH);
  const px = await tcpProxy(srv.port);
  t.after(async () => { await px.close(); await srv.stop(); });
  const r = record(px.url('/history/cut'), FAST);
  const extra = [];
  for (const name of ['resumed', 'gap']) r.ws.on(name, (...a) => extra.push({ name, a }));
  await r.wait('open');
  await until(() => r.ws.position !== null, 'the welcome');
  assert.equal(r.ws.position.offset, '0');

  const sender = await native(srv.wsUrl('/history/cut'));
  const sent = [];
  const sending = (async () => {
    for (let i = 0; i < 1000; i++) {
      const m = `m${i}`;
      sender.ws.send(m);
      sent.push(m);
      if (i % 10 === 9) await sleep(30); // ~3 s in all: before, during and after the cut
    }
  })();
  await sleep(500);
  px.cut();
  const cutAt = r.messages().length;
  await sleep(2000);
  px.restore();
  await sending;
  await until(() => r.messages().length >= 1000, `1000 messages (have ${r.messages().length})`);
  await sleep(200); // nothing more may come
  assert.ok(cutAt > 0 && cutAt < 1000, `some arrived before the cut (${cutAt})`);
  assert.deepEqual(r.messages(), sent, 'all 1000, in order, no duplicate');
  const resumed = extra.filter((e) => e.name === 'resumed');
  assert.ok(resumed.length >= 1, 'resumed emitted');
  assert.ok(resumed.reduce((s, e) => s + e.a[0], 0) > 0, 'messages were replayed');
  assert.equal(extra.filter((e) => e.name === 'gap').length, 0);
  assert.equal(r.ws.position.offset, '1000');
  assert.ok(r.count('close') >= 1, 'the connection really dropped');
  r.ws.close();
  sender.ws.close();
});

test('a gap larger than the history gives "gap", then live messages only', async (t) => {
  const srv = await startServer(BENCH);
  const px = await tcpProxy(srv.port);
  t.after(async () => { await px.close(); await srv.stop(); });
  const r = record(px.url('/history/big'), FAST);
  const gaps = [];
  let resumed = 0;
  r.ws.on('gap', (info) => gaps.push(info));
  r.ws.on('resumed', () => resumed++);
  const sender = await native(srv.wsUrl('/history/big'));
  await r.wait('open');
  sender.ws.send('first');
  await r.messagesAtLeast(1);
  px.cut();
  await r.wait('close');
  const N = 10005; // 5 more than the room keeps
  for (let i = 0; i < N; i++) sender.ws.send(`x${i}`);
  await until(() => sender.msgs.length >= N + 1, 'the sender to hear all its messages');
  px.restore();
  await until(() => gaps.length === 1, 'gap');
  sender.ws.send('live');
  await until(() => r.messages().includes('live'), 'the live message');
  assert.deepEqual(r.messages(), ['first', 'live'], 'nothing replayed after a gap');
  assert.equal(resumed, 0);
  r.ws.close();
  sender.ws.close();
});

test('after a restart (a new epoch) the resume gives "gap"', async (t) => {
  let srv = await startServer(BENCH);
  const px = await tcpProxy(srv.port);
  t.after(async () => { await px.close(); await srv.stop(); });
  const r = record(px.url('/history/restart'), FAST);
  const gaps = [];
  r.ws.on('gap', (info) => gaps.push(info));
  await r.wait('open');
  let sender = await native(srv.wsUrl('/history/restart'));
  sender.ws.send('before');
  await r.messagesAtLeast(1);
  const before = r.ws.position;
  sender.ws.close();
  await srv.stop();
  srv = await startServer(BENCH);
  px.retarget(srv.port);
  await until(() => gaps.length === 1, 'gap');
  assert.notEqual(r.ws.position.epoch, before.epoch, 'a new epoch');
  sender = await native(srv.wsUrl('/history/restart'));
  sender.ws.send('after');
  await until(() => r.messages().includes('after'), 'the live message');
  assert.deepEqual(r.messages(), ['before', 'after']);
  r.ws.close();
  sender.ws.close();
});

test('history: n on a fresh join delivers the last n, then "history"', async (t) => {
  const srv = await startServer(BENCH);
  t.after(() => srv.stop());
  const sender = await native(srv.wsUrl('/history/h'));
  for (let i = 1; i <= 5; i++) sender.ws.send(`h${i}`);
  await until(() => sender.msgs.length === 5, 'the sender');
  const r = record(srv.wsUrl('/history/h'), { history: 3 });
  const hist = [];
  r.ws.on('history', (n) => hist.push(n));
  await r.messagesAtLeast(3);
  await until(() => hist.length === 1, 'history event');
  assert.deepEqual(r.messages(), ['h3', 'h4', 'h5']);
  assert.deepEqual(hist, [3]);
  // Without history the fresh join gets nothing old; live ones as usual.
  const plain = record(srv.wsUrl('/history/h'));
  await plain.wait('open');
  await until(() => plain.ws.position !== null, 'the welcome');
  sender.ws.send('h6');
  await plain.messagesAtLeast(1);
  assert.deepEqual(plain.messages(), ['h6']);
  assert.ok(/^[0-9a-f]{32}$/.test(plain.ws.id), 'the server id of the connection');
  r.ws.close();
  plain.ws.close();
  sender.ws.close();
});

test('frond.js on a route without history, and with resume: false, behaves as before', async (t) => {
  const srv = await startServer(BENCH);
  const a = record(srv.wsUrl('/broadcast/x'));
  const b = record(srv.wsUrl('/broadcast/x'), { resume: false });
  t.after(async () => { // closed also when an assertion fails: open sockets would hold the file to its timeout
    a.ws.close();
    b.ws.close();
    await srv.stop();
  });
  await a.wait('open');
  await b.wait('open');
  assert.equal(a.ws._socket.protocol, 'tina4.v1');
  assert.equal(b.ws._socket.protocol, '');
  await until(() => a.ws.id !== null, 'the welcome');
  // Two connections have no order between them: one message at a time.
  b.ws.send('one');
  await a.messagesAtLeast(1);
  a.ws.send('two');
  await a.messagesAtLeast(2);
  await b.messagesAtLeast(2);
  assert.deepEqual(a.messages(), ['one', 'two']);
  assert.deepEqual(b.messages(), ['one', 'two']);
  assert.equal(a.ws.position, null, 'no positions without history');
});
