// SPDX-License-Identifier: MIT
// The chapter's handlers, as the examples under examples/ implement them,
// driven by the real `ws` client against the real programs.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { oneProcess, open, postJson, startServer } from './helpers.mjs';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)$/;

function withServer(name, env = {}) {
  const ctx = {};
  before(async () => {
    ctx.srv = await startServer(`examples/${name}`, { env });
  });
  after(async () => {
    const { code } = await ctx.srv.stop();
    assert.equal(code, 0, `${name} exit code`);
  });
  return ctx;
}

describe('section 3: echo', () => {
  const ctx = withServer('echo');
  test('replies "Echo: <data>"', async () => {
    const c = await open(ctx.srv.wsUrl('/ws/echo'));
    c.send('hello');
    assert.equal((await c.next()).data, 'Echo: hello');
    c.send('héllo wörld ✓');
    assert.equal((await c.next()).data, 'Echo: héllo wörld ✓');
    c.send('');
    assert.equal((await c.next()).data, 'Echo: ');
    await c.close();
  });
  test('binary stays binary', async () => {
    const c = await open(ctx.srv.wsUrl('/ws/echo'));
    c.send(Buffer.from([0, 1, 255]));
    const m = await c.next();
    assert.equal(m.binary, true);
    assert.deepEqual(m.data, Buffer.concat([Buffer.from('Echo: '), Buffer.from([0, 1, 255])]));
    await c.close();
  });
  test('other paths are not upgraded', async () => {
    await assert.rejects(open(ctx.srv.wsUrl('/ws/other')), /HTTP 404/);
  });
});

describe('section 4: notifications', () => {
  const ctx = withServer('notifications');
  test('welcome with connection_id, ping -> pong with ISO timestamp', async () => {
    const c = await open(ctx.srv.wsUrl('/ws/notifications'));
    const w = await c.nextJson();
    assert.equal(w.type, 'welcome');
    assert.equal(w.message, 'Connected to notifications');
    assert.match(w.connection_id, /^[0-9a-f]{16,}$/);
    c.send(JSON.stringify({ type: 'ping' }));
    const p = await c.nextJson();
    assert.equal(p.type, 'pong');
    assert.match(p.timestamp, ISO);
    assert.ok(Math.abs(Date.parse(p.timestamp) - Date.now()) < 60000);
    await c.close();
  });
  test('bad JSON gets an error, the connection survives', async () => {
    const c = await open(ctx.srv.wsUrl('/ws/notifications'));
    await c.nextJson();
    c.send('{not json');
    assert.equal((await c.nextJson()).type, 'error');
    c.send(JSON.stringify({ type: 'ping' }));
    assert.equal((await c.nextJson()).type, 'pong');
    await c.close();
  });
});

describe('section 4: complete chat handler', () => {
  const ctx = withServer('chat');
  test('welcome, then each message back to its sender only', async () => {
    const a = await open(ctx.srv.wsUrl('/ws/chat'));
    const b = await open(ctx.srv.wsUrl('/ws/chat'));
    const wa = await a.nextJson();
    assert.deepEqual(Object.keys(wa).sort(), ['message', 'type', 'your_id']);
    assert.equal(wa.type, 'system');
    assert.equal(wa.message, 'Welcome to the chat!');
    const wb = await b.nextJson();
    assert.notEqual(wa.your_id, wb.your_id);
    a.send(JSON.stringify({ text: 'hi there' }));
    const m = await a.nextJson();
    assert.equal(m.type, 'message');
    assert.equal(m.from, wa.your_id);
    assert.equal(m.text, 'hi there');
    assert.match(m.timestamp, ISO);
    // no "text" field: the raw message is the text
    a.send(JSON.stringify({ other: 1 }));
    assert.equal((await a.nextJson()).text, '{"other":1}');
    assert.ok(await b.none(150), 'send() reached another client');
    a.send('not json');
    assert.equal((await a.nextJson()).type, 'error');
    await a.close();
    await b.close();
  });
});

describe('section 5: private', () => {
  const ctx = withServer('private');
  test('get-time and get-status answer only the asker', async () => {
    const a = await open(ctx.srv.wsUrl('/ws/private'));
    const b = await open(ctx.srv.wsUrl('/ws/private'));
    a.send(JSON.stringify({ action: 'get-time' }));
    const t = await a.nextJson();
    assert.equal(t.type, 'time');
    assert.match(t.server_time, ISO);
    a.send(JSON.stringify({ action: 'get-status' }));
    const s = await a.nextJson();
    assert.equal(s.type, 'status');
    assert.equal(s.connections, 2);
    assert.equal(typeof s.uptime, 'number');
    assert.ok(s.memory_mb > 0.5 && s.memory_mb < 4096, `memory_mb ${s.memory_mb}`);
    assert.equal(Math.round(s.memory_mb * 100) / 100, s.memory_mb);
    assert.ok(await b.none(150));
    await b.close();
    a.send(JSON.stringify({ action: 'get-status' }));
    assert.equal((await a.nextJson()).connections, 1);
    a.send('[1,2');
    assert.equal((await a.nextJson()).type, 'error');
    await a.close();
  });
});

describe('section 6: announcements (broadcast)', () => {
  const ctx = withServer('announcements');
  test('joins, messages and leaves reach everyone with online_count', oneProcess('exact counts at each join: another worker\'s join reaches the count over the bus a moment later'), async () => {
    const a = await open(ctx.srv.wsUrl('/ws/announcements'));
    // the joiner hears its own join, already counted
    assert.deepEqual(await a.nextJson(), { type: 'system', message: 'A new user joined', online_count: 1 });
    const b = await open(ctx.srv.wsUrl('/ws/announcements'));
    assert.equal((await a.nextJson()).online_count, 2);
    assert.equal((await b.nextJson()).online_count, 2);
    b.send(JSON.stringify({ text: 'news' }));
    for (const c of [a, b]) {
      const m = await c.nextJson();
      assert.equal(m.type, 'announcement');
      assert.equal(m.text, 'news');
      assert.match(m.from, /^[0-9a-f]{16,}$/);
      assert.match(m.timestamp, ISO);
    }
    await b.close();
    // the leaver is not counted
    assert.deepEqual(await a.nextJson(), { type: 'system', message: 'A user left', online_count: 1 });
    a.send('oops');
    assert.equal((await a.nextJson()).type, 'error');
    await a.close();
  });
});

describe('section 6: status (send_json)', () => {
  const ctx = withServer('status');
  test('welcome with connection_id and ack with "received"', async () => {
    const c = await open(ctx.srv.wsUrl('/ws/status'));
    const w = await c.nextJson();
    assert.equal(w.type, 'welcome');
    assert.match(w.connection_id, /^[0-9a-f]{16,}$/);
    c.send('{"a": 1}');
    assert.deepEqual(await c.nextJson(), { type: 'ack', received: '{"a": 1}' });
    c.send('quote " and \\ and ✓');
    assert.deepEqual(await c.nextJson(), { type: 'ack', received: 'quote " and \\ and ✓' });
    await c.close();
  });
});

describe('section 6: secure (close)', () => {
  const ctx = withServer('secure', { SECURE_TOKEN: 's3cret' });
  test('a good token is welcomed and stays open', async () => {
    const c = await open(ctx.srv.wsUrl('/ws/secure?token=s3cret'));
    assert.deepEqual(await c.nextJson(), { type: 'welcome' });
    assert.ok(await c.none(150));
    assert.equal(c.closeInfo, null);
    await c.close();
  });
  for (const q of ['?token=wrong', '', '?token=', '?token=s3cre', '?token=s3cretX', '?other=s3cret']) {
    test(`token "${q}" -> Unauthorized, then close 1008`, async () => {
      const c = await open(ctx.srv.wsUrl(`/ws/secure${q}`));
      assert.deepEqual(await c.nextJson(), { error: 'Unauthorized' });
      const { code, reason } = await c.closed;
      assert.equal(code, 1008);
      assert.equal(reason, 'Unauthorized');
    });
  }
});

describe('section 7: rooms', () => {
  const ctx = withServer('rooms');
  test('rooms are isolated; joins/leaves carry the room and online count', oneProcess('exact online counts at each join: another worker\'s join reaches the count over the bus a moment later'), async () => {
    const g1 = await open(ctx.srv.wsUrl('/ws/chat/general'));
    assert.deepEqual(await g1.nextJson(), {
      type: 'system',
      message: 'Someone joined room general',
      room: 'general',
      online: 1,
    });
    const r1 = await open(ctx.srv.wsUrl('/ws/chat/random'));
    assert.equal((await r1.nextJson()).online, 1);
    // query string and one trailing slash do not split a group
    const g2 = await open(ctx.srv.wsUrl('/ws/chat/general/?x=1'));
    const j = await g2.nextJson();
    assert.equal(j.room, 'general');
    assert.equal(j.online, 2);
    assert.equal((await g1.nextJson()).online, 2);
    g1.send(JSON.stringify({ username: 'Alice', text: 'hello general' }));
    for (const c of [g1, g2]) {
      const m = await c.nextJson();
      assert.equal(m.type, 'message');
      assert.equal(m.room, 'general');
      assert.equal(m.from, 'Alice');
      assert.equal(m.text, 'hello general');
    }
    r1.send(JSON.stringify({ text: 'hello random' }));
    const rm = await r1.nextJson();
    assert.equal(rm.from, 'Anonymous');
    assert.equal(rm.room, 'random');
    assert.ok(await g1.none(150), 'random leaked into general');
    assert.ok(await g2.none(0));
    assert.ok(await r1.none(0), 'general leaked into random');
    await g2.close();
    assert.deepEqual(await g1.nextJson(), {
      type: 'system',
      message: 'Someone left room general',
      room: 'general',
      online: 1,
    });
    assert.ok(await r1.none(100));
    await g1.close();
    await r1.close();
  });
});

describe('section 9: notify (push from HTTP)', () => {
  const ctx = withServer('notify');
  test('POST ship pushes to /ws/notifications/42 only', async () => {
    const u42 = await open(ctx.srv.wsUrl('/ws/notifications/42'));
    const u4 = await open(ctx.srv.wsUrl('/ws/notifications/4'));
    const u420 = await open(ctx.srv.wsUrl('/ws/notifications/420'));
    for (const c of [u42, u4, u420]) {
      assert.deepEqual(await c.nextJson(), { type: 'connected', message: 'Listening for notifications' });
    }
    const r = await postJson(ctx.srv.url('/api/orders/1001/ship'), { user_id: 42 });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { message: 'Order shipped, user notified' });
    const n = await u42.nextJson();
    assert.equal(n.type, 'notification');
    assert.equal(n.title, 'Order Shipped');
    assert.equal(n.message, 'Your order #1001 has been shipped!');
    assert.equal(n.action_url, '/orders/1001');
    assert.match(n.timestamp, ISO);
    // a string user_id works too
    await postJson(ctx.srv.url('/api/orders/7/ship'), { user_id: '4' });
    assert.equal((await u4.nextJson()).message, 'Your order #7 has been shipped!');
    assert.ok(await u420.none(150), '/420 heard a push for 42 or 4');
    assert.ok(await u42.none(0), '/42 heard a push for 4');
    // nobody listening: still a success
    const none = await postJson(ctx.srv.url('/api/orders/8/ship'), { user_id: 999 });
    assert.equal(none.status, 200);
    u42.send(JSON.stringify({ type: 'mark-read', id: 5 }));
    u42.send('garbage');
    assert.equal((await u42.nextJson()).type, 'error');
    for (const c of [u42, u4, u420]) await c.close();
  });
  test('a body that is not JSON is a 400, not a crash', async () => {
    const r = await fetch(ctx.srv.url('/api/orders/1/ship'), { method: 'POST', body: 'user_id=42' });
    assert.equal(r.status, 400);
  });
});

describe('section 6: broadcast excluding sender', () => {
  const ctx = withServer('exclude_self');
  test('sender gets "sent", the others get the message', async () => {
    const a = await open(ctx.srv.wsUrl('/ws/messages'));
    const b = await open(ctx.srv.wsUrl('/ws/messages'));
    const c = await open(ctx.srv.wsUrl('/ws/messages'));
    a.send(JSON.stringify({ username: 'Alice', text: 'psst' }));
    assert.deepEqual(await a.nextJson(), { type: 'sent', text: 'psst' });
    for (const o of [b, c]) {
      const m = await o.nextJson();
      assert.equal(m.type, 'message');
      assert.equal(m.from, 'Alice');
      assert.equal(m.text, 'psst');
      assert.match(m.timestamp, ISO);
    }
    assert.ok(await a.none(150), 'the sender got its own broadcast');
    b.send(JSON.stringify({ text: 'anon' }));
    assert.equal((await a.nextJson()).from, 'Anonymous');
    assert.deepEqual(await b.nextJson(), { type: 'sent', text: 'anon' });
    b.send('bad');
    assert.equal((await b.nextJson()).type, 'error');
    for (const x of [a, b, c]) await x.close();
  });
});
