// SPDX-License-Identifier: MIT
// The send buffer: what send() does while not open, the order of the flush
// relative to the "open" handlers, and the overflow policy (drop the oldest,
// emit "overflow").
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BENCH, WebSocket, record, sleep, startServer } from './helpers.mjs';

const FAST = { reconnectInterval: 40, maxReconnectDelay: 200, maxReconnectAttempts: 100 };

// A ws WebSocket that logs what is written to the wire.
function spyClass(wire) {
  return class SpyWebSocket extends WebSocket {
    send(data, ...rest) {
      wire.push(`send:${data}`);
      return super.send(data, ...rest);
    }
  };
}

test('send() before the first open is buffered, flushed in order before the open handlers', async (t) => {
  const srv = await startServer(BENCH);
  t.after(() => srv.stop());
  const wire = [];
  const r = record(srv.wsUrl('/echo'), { WebSocket: spyClass(wire) });
  t.after(() => r.ws.close());
  for (let i = 1; i <= 5; i++) assert.equal(r.ws.send(`m${i}`), true);
  assert.equal(r.ws.bufferedCount, 5);
  assert.deepEqual(wire, [], 'nothing written while connecting');
  r.ws.on('open', () => {
    wire.push(`open-handler(buffered=${r.ws.bufferedCount})`);
    r.ws.send('from-open');
  });
  await r.wait('open');
  assert.deepEqual(wire, ['send:m1', 'send:m2', 'send:m3', 'send:m4', 'send:m5', 'open-handler(buffered=0)', 'send:from-open']);
  assert.deepEqual(await r.messagesAtLeast(6), ['m1', 'm2', 'm3', 'm4', 'm5', 'from-open']);
});

test('messages sent during an outage are delivered, in order, after the reconnect', async (t) => {
  let srv = await startServer(BENCH);
  t.after(() => srv.stop());
  const port = srv.port;
  const wire = [];
  const r = record(srv.wsUrl('/echo'), { ...FAST, WebSocket: spyClass(wire) });
  t.after(() => r.ws.close());
  await r.wait('open');
  r.ws.send('a');
  await r.messagesAtLeast(1);
  await srv.stop();
  await r.wait('close');
  const during = Array.from({ length: 50 }, (_, i) => `outage-${i}`);
  for (const m of during) r.ws.send(m);
  r.ws.sendJson({ last: true });
  assert.equal(r.ws.bufferedCount, 51);
  await sleep(150); // a few failed attempts keep the buffer
  assert.equal(r.ws.bufferedCount, 51);
  let sentFromOpen = false;
  r.ws.on('open', () => {
    assert.equal(r.ws.bufferedCount, 0, 'flushed before the open handlers');
    r.ws.send('hello again');
    sentFromOpen = true;
  });
  wire.length = 0;
  srv = await startServer(BENCH, { env: { TINA4_PORT: String(port) } });
  const got = await r.messagesAtLeast(53);
  assert.ok(sentFromOpen);
  assert.deepEqual(got, ['a', ...during, '{"last":true}', 'hello again']);
  assert.deepEqual(wire, [...during, '{"last":true}', 'hello again'].map((m) => `send:${m}`));
});

test('overflow: past maxBuffer the oldest message is dropped and "overflow" emitted with it', async (t) => {
  const srv = await startServer(BENCH);
  t.after(() => srv.stop());
  const r = record(srv.wsUrl('/echo'), { maxBuffer: 3 });
  t.after(() => r.ws.close());
  for (let i = 1; i <= 6; i++) assert.equal(r.ws.send(`m${i}`), true);
  assert.equal(r.ws.bufferedCount, 3);
  assert.deepEqual(r.log.filter((e) => e.name === 'overflow').map((e) => e.args[0]), ['m1', 'm2', 'm3']);
  await r.wait('open');
  assert.deepEqual(await r.messagesAtLeast(3), ['m4', 'm5', 'm6']);
  await sleep(50);
  assert.deepEqual(r.messages(), ['m4', 'm5', 'm6']);
  assert.equal(r.count('error'), 0, 'overflow is not an error');

  // maxBuffer: 0 keeps nothing: every send while not open overflows at once
  const z = record(srv.wsUrl('/echo'), { maxBuffer: 0 });
  t.after(() => z.ws.close());
  z.ws.send('gone');
  assert.deepEqual(z.log.map((e) => [e.name, ...e.args]), [['overflow', 'gone']]);
  await z.wait('open');
  z.ws.send('kept');
  assert.deepEqual(await z.messagesAtLeast(1), ['kept']);
});

test('the default buffer holds 1000 messages', async (t) => {
  const srv = await startServer(BENCH);
  t.after(() => srv.stop());
  const r = record(srv.wsUrl('/echo'));
  t.after(() => r.ws.close());
  for (let i = 0; i < 1001; i++) r.ws.send(String(i));
  assert.equal(r.ws.bufferedCount, 1000);
  assert.deepEqual(r.log.filter((e) => e.name === 'overflow').map((e) => e.args[0]), ['0']);
  await r.wait('open');
  const got = await r.messagesAtLeast(1000);
  assert.equal(got[0], '1');
  assert.equal(got[999], '1000');
});
