// SPDX-License-Identifier: MIT
// frond.js events against the real server: open, message (text and binary),
// close (code, reason), error, unsubscribe, once/off, sendJson, getters.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { BENCH, frond, record, sleep, startServer, WebSocket } from './helpers.mjs';
import { freePort } from '../lib/server.mjs';

let srv;
before(async () => {
  srv = await startServer(BENCH);
});
after(async () => {
  const { code } = await srv.stop();
  assert.equal(code, 0);
});

test('open, message (text as a string), close with code and reason; getters', async () => {
  const r = record(srv.wsUrl('/echo'));
  assert.equal(r.ws.readyState, frond.FrondSocket.CONNECTING);
  assert.equal(r.ws.connected, false);
  await r.wait('open');
  assert.equal(r.ws.readyState, 1);
  assert.equal(r.ws.connected, true);
  assert.equal(r.ws.send('héllo ☃'), true);
  const [data] = await r.wait('message');
  assert.equal(typeof data, 'string');
  assert.equal(data, 'héllo ☃');
  r.ws.close(4001, 'bye now');
  assert.equal(r.ws.readyState, 2, 'CLOSING until the handshake completes');
  const [code, reason, willReconnect] = await r.wait('close');
  assert.equal(code, 4001, 'the server echoes the code');
  assert.equal(typeof reason, 'string');
  assert.equal(willReconnect, false);
  assert.equal(r.ws.readyState, 3);
  assert.equal(r.ws.connected, false);
  assert.deepEqual(r.names(), ['open', 'message', 'close']);
});

test('binary messages arrive as the socket gives them (binaryType passes through)', async () => {
  const r = record(srv.wsUrl('/echo'), { binaryType: 'arraybuffer' });
  await r.wait('open');
  r.ws.send(new Uint8Array([0, 1, 2, 255]));
  const [data] = await r.wait('message');
  assert.ok(data instanceof ArrayBuffer, 'an ArrayBuffer');
  assert.deepEqual([...new Uint8Array(data)], [0, 1, 2, 255]);
  r.ws.close();
  await r.wait('close');

  const n = record(srv.wsUrl('/echo')); // ws's default: a Node Buffer
  await n.wait('open');
  n.ws.send(Buffer.from([7, 8]));
  const [buf] = await n.wait('message');
  assert.ok(Buffer.isBuffer(buf));
  assert.deepEqual([...buf], [7, 8]);
  n.ws.close();
  await n.wait('close');
});

test('the server closing reports its code; error and close when nothing listens', async () => {
  // A server-side shutdown is covered by reconnect.test.mjs; here: no server.
  const port = await freePort();
  const r = record(`ws://127.0.0.1:${port}/echo`, { reconnect: false });
  await r.wait('error');
  const [code, , willReconnect] = await r.wait('close');
  assert.equal(code, 1006);
  assert.equal(willReconnect, false);
  assert.equal(r.ws.readyState, 3);
  assert.equal(r.count('open'), 0);
  assert.equal(r.ws.send('x'), false, 'send after the end drops');
  await sleep(100);
  assert.equal(r.count('reconnect'), 0);
});

test('on() returns an unsubscribe function; off(name, fn), off(name), off(); once()', async () => {
  const ws = frond.ws(srv.wsUrl('/echo'), { WebSocket });
  const a = [];
  const b = [];
  const c = [];
  const o = [];
  const unA = ws.on('message', (d) => a.push(d));
  const fnB = (d) => b.push(d);
  ws.on('message', fnB);
  ws.on('message', (d) => c.push(d));
  ws.once('message', (d) => o.push(d));
  await new Promise((resolve) => ws.on('open', resolve));
  const next = () => new Promise((resolve) => { const un = ws.on('message', (d) => { un(); resolve(d); }); });

  ws.send('1');
  await next();
  unA();
  unA(); // twice is harmless
  ws.send('2');
  await next();
  ws.off('message', fnB);
  ws.send('3');
  await next();
  assert.deepEqual(a, ['1']);
  assert.deepEqual(b, ['1', '2']);
  assert.deepEqual(c, ['1', '2', '3']);
  assert.deepEqual(o, ['1']);

  ws.off('message');
  let late = 0;
  ws.on('close', () => late++);
  ws.off();
  ws.send('4');
  await sleep(100);
  assert.deepEqual(c, ['1', '2', '3'], 'off(name) removed every message handler');
  ws.close();
  await sleep(100);
  assert.equal(late, 0, 'off() removed every handler');
});

test('a handler that throws does not stop the other handlers', async () => {
  const r = record(srv.wsUrl('/echo'));
  const seen = [];
  const boom = new Error('handler bug');
  // frond rethrows from a timer; catch it there instead of failing the run.
  const realSetTimeout = globalThis.setTimeout;
  const caught = [];
  globalThis.setTimeout = (fn, ms, ...args) =>
    realSetTimeout(() => { try { fn(...args); } catch (e) { caught.push(e); } }, ms);
  try {
    r.ws.on('open', () => { throw boom; });
    r.ws.on('open', () => seen.push('second'));
    await r.wait('open');
    await sleep(20);
  } finally {
    globalThis.setTimeout = realSetTimeout;
  }
  assert.deepEqual(seen, ['second']);
  assert.deepEqual(caught, [boom], 'rethrown asynchronously');
  r.ws.close();
  await r.wait('close');
});

test('sendJson sends JSON text', async () => {
  const r = record(srv.wsUrl('/echo'));
  const obj = { type: 'message', text: '<b>hi</b> "quoted"', n: 42, list: [1, null, true] };
  assert.equal(r.ws.sendJson(obj), true, 'buffered before open');
  await r.wait('open');
  r.ws.sendJson(obj);
  await r.messagesAtLeast(2);
  for (const m of r.messages()) assert.deepEqual(JSON.parse(m), obj);
  assert.equal(r.messages()[0], JSON.stringify(obj));
  r.ws.close();
  assert.equal((await r.wait('close'))[0], 1000, 'close() sends 1000 by default');
});

test('rooms: two clients on /broadcast/{room} hear each other, another room hears nothing', async () => {
  const a = record(srv.wsUrl('/broadcast/red'));
  const b = record(srv.wsUrl('/broadcast/red'));
  const c = record(srv.wsUrl('/broadcast/blue'));
  await Promise.all([a.wait('open'), b.wait('open'), c.wait('open')]);
  a.ws.sendJson({ from: 'a' });
  b.ws.sendJson({ from: 'b' });
  await a.messagesAtLeast(2);
  await b.messagesAtLeast(2);
  assert.deepEqual(a.messages().map((m) => JSON.parse(m).from).sort(), ['a', 'b']);
  await sleep(100);
  assert.deepEqual(c.messages(), []);
  for (const x of [a, b, c]) x.ws.close();
  await Promise.all([a, b, c].map((x) => x.wait('close')));
});
