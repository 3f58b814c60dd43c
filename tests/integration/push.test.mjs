// SPDX-License-Identifier: MIT
// Push to a path (the chapter's push_to_websocket): from an HTTP handler on
// the loop thread and from another thread, text and binary, exact paths.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { getJson, oneProcess, open, startServer } from './helpers.mjs';

let srv;
before(async () => {
  srv = await startServer('tests/servers/api_server');
});
after(async () => {
  const { code } = await srv.stop();
  assert.equal(code, 0);
});

const post = (p, body) => getJson(srv.url(p), { method: 'POST', body });

async function listen(path) {
  const c = await open(srv.wsUrl(path));
  await c.nextJson((j) => j.event === 'open');
  return c;
}

// The next pushed message (skipping the room's own JSON open/close events).
const pushed = (c) => c.next((m) => m.binary || !m.data.startsWith('{'));

test('a push reaches exactly its path: 42, not 4 or 420', oneProcess('t4_push counts the deliveries of its own worker'), async () => {
  const u42 = await listen('/api/room/42');
  const u42b = await listen('/api/room/42?tab=2');
  const u4 = await listen('/api/room/4');
  const u420 = await listen('/api/room/420');
  const r = await post('/api/push/api/room/42', 'order shipped');
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { delivered: 2 });
  assert.equal((await pushed(u42)).data, 'order shipped');
  assert.equal((await pushed(u42b)).data, 'order shipped');
  // query string ignored, one trailing slash tolerated
  assert.deepEqual((await post('/api/push/api/room/42/?x=1', 'again')).body, { delivered: 2 });
  assert.equal((await pushed(u42)).data, 'again');
  assert.ok(await u4.none(150, (m) => !String(m.data).startsWith('{')), '/4 heard a push for /42');
  assert.ok(await u420.none(0, (m) => !String(m.data).startsWith('{')), '/420 heard a push for /42');
  await Promise.all([u42, u42b, u4, u420].map((c) => c.close()));
});

test('nobody listening is a no-op, not an error', async () => {
  const r = await post('/api/push/api/room/nobody-here', 'hello?');
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { delivered: 0 });
  assert.deepEqual((await post('/api/push-binary/api/room/nobody-here', 'x')).body, { delivered: 0 });
});

test('binary push arrives as a binary message', oneProcess('t4_push counts the deliveries of its own worker'), async () => {
  const c = await listen('/api/room/bin');
  const bytes = Buffer.from([0, 0xff, 0x80, 0x41]);
  const r = await fetch(srv.url('/api/push-binary/api/room/bin'), { method: 'POST', body: bytes });
  assert.deepEqual(await r.json(), { delivered: 1 });
  const m = await pushed(c);
  assert.equal(m.binary, true);
  assert.deepEqual(m.data, bytes);
  await c.close();
});

test('push from another thread: queued, delivered in call order to the path only', async () => {
  const a = await listen('/api/room/threaded');
  const b = await listen('/api/room/threaded');
  const other = await listen('/api/room/threaded2');
  const r = await post('/api/thread-push/api/room/threaded?n=50', '');
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.results, Array(50).fill(0), 'off-loop pushes are queued and return 0');
  assert.equal(r.body.count_off_loop, 0);
  for (const c of [a, b]) {
    const got = [];
    for (let i = 0; i < 50; i++) got.push((await pushed(c)).data);
    assert.deepEqual(got, Array.from({ length: 50 }, (_, i) => `thread:${i}`));
  }
  assert.ok(await other.none(150, (m) => String(m.data).startsWith('thread:')));
  // nobody listening from a thread: still fine
  const r2 = await post('/api/thread-push/api/room/empty-thread?n=3', '');
  assert.deepEqual(r2.body.results, [0, 0, 0]);
  await Promise.all([a, b, other].map((c) => c.close()));
});

test('a push over TINA4_WS_MAX_MESSAGE is refused, not sent (exactly the limit is sent)', oneProcess('t4_push counts the deliveries of its own worker'), async (t) => {
  const small = await startServer('tests/servers/api_server', { env: { TINA4_WS_MAX_MESSAGE: '1024' } });
  t.after(() => small.stop());
  const c = await open(small.wsUrl('/api/room/limit'));
  await c.nextJson((j) => j.event === 'open');
  const push = (body) => getJson(small.url('/api/push/api/room/limit'), { method: 'POST', body });
  for (const [len, status] of [[1025, 400], [64 * 1024, 400], [1024, 200]]) {
    const r = await push(Buffer.alloc(len, 120));
    assert.equal(r.status, status, `a ${len}-byte push`);
    if (status === 400) assert.ok(r.body.delivered < 0, `a ${len}-byte push: ${JSON.stringify(r.body)}`);
    else assert.deepEqual(r.body, { delivered: 1 });
  }
  // The refused ones never went out: the first message the client gets is the one of exactly 1024 bytes.
  const m = await c.next((x) => x.binary || !x.data.startsWith('{'));
  assert.equal(m.data.length, 1024);
  const logged = () => /refused: over TINA4_WS_MAX_MESSAGE \(1024\)/.test(small.stderr());
  for (const deadline = Date.now() + 3000; !logged() && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 20));
  assert.ok(logged(), 'the refusal is logged'); // (through a pipe: waited for above)
  c.ws.terminate();
});
