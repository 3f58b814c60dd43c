// SPDX-License-Identifier: MIT
// Cross-instance delivery through a real Redis: three tina4 instances on
// three ports, clients spread across them (chapter section 14).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  HEARTBEAT, clients, count, redisCommand, redisPipeline, sleep, startInstance, startRedis, waitFor,
} from './helpers.mjs';

// No "nothing arrives within N ms" waits: a check that a client got no
// (more) messages sends a marker that must be the client's very next
// message. Messages of one publisher (instance) arrive in publish order, so
// anything wrongly delivered before the marker would show up first.
const push = (srv, path, body) => fetch(srv.url(`/push${path}`), { method: 'POST', body });
async function nextIs(x, want, what) {
  assert.equal((await x.next()).data, want, what);
}

describe('redis backplane: three instances', () => {
  let redis;
  let A, B, C;
  before(async () => {
    redis = await startRedis();
    [A, B, C] = await Promise.all([startInstance(redis), startInstance(redis), startInstance(redis)]);
  });
  after(async () => {
    for (const s of [A, B, C]) if (s) await s.stop();
    await redis?.stop();
  });

  test('a room broadcast reaches members on all three instances, once each', async () => {
    const [a, b, c] = await clients(A.wsUrl('/room/lobby'), B.wsUrl('/room/lobby'), C.wsUrl('/room/lobby'));
    a.ws.send('hello from A');
    for (const x of [a, b, c]) assert.deepEqual(await x.next(), { data: 'hello from A', binary: false });
    c.ws.send('hello from C');
    for (const x of [a, b, c]) assert.equal((await x.next()).data, 'hello from C');
    // No duplicates: each publisher's marker is the next thing from it.
    a.ws.send('end A');
    c.ws.send('end C');
    for (const x of [a, b, c]) {
      const got = [(await x.next()).data, (await x.next()).data].sort();
      assert.deepEqual(got, ['end A', 'end C'], 'a message arrived twice');
    }
    await Promise.all([a, b, c].map((x) => x.close()));
  });

  test('isolation: other rooms and other routes do not hear it', async () => {
    const [a, b, other, otherRoute] = await clients(
      A.wsUrl('/room/iso'), B.wsUrl('/room/iso'), C.wsUrl('/room/iso-2'), C.wsUrl('/others/iso'));
    a.ws.send('only iso');
    assert.equal((await b.next()).data, 'only iso');
    assert.equal((await a.next()).data, 'only iso');
    // A published 'only iso' before these pushes: had the others heard it, it would come first.
    await push(A, '/room/iso-2', 'marker 1');
    await nextIs(other, 'marker 1', 'another room heard it');
    await push(A, '/others/iso', 'marker 2');
    await nextIs(otherRoute, 'marker 2', 'another route heard it');
    await Promise.all([a, b, other, otherRoute].map((x) => x.close()));
  });

  test('exclude-self holds across instances', async () => {
    const [sender, sameInstance, b, c] = await clients(
      A.wsUrl('/others/x'), A.wsUrl('/others/x'), B.wsUrl('/others/x'), C.wsUrl('/others/x'));
    sender.ws.send('not to me');
    for (const x of [sameInstance, b, c]) assert.equal((await x.next()).data, 'not to me');
    // The exclusion is by connection id, not by instance: a client of B
    // sending reaches A's clients and the other B client... there is none,
    // so check A's two. (B's message was published after A's reached C: had
    // the sender got its own, it would come before this.)
    b.ws.send('from b');
    await nextIs(sender, 'from b', 'the sender got its own exclude-self broadcast');
    for (const x of [sameInstance, c]) assert.equal((await x.next()).data, 'from b');
    await push(B, '/others/x', 'marker');
    await nextIs(b, 'marker', 'b got its own exclude-self broadcast');
    await Promise.all([sender, sameInstance, b, c].map((x) => x.close()));
  });

  test('a POST push on instance A reaches a client on instance C', async () => {
    const [c] = await clients(C.wsUrl('/room/pushed'));
    const res = await fetch(A.url('/push/room/pushed'), { method: 'POST', body: 'pushed from A' });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { delivered: 0 }); // nobody local on A
    assert.deepEqual(await c.next(), { data: 'pushed from A', binary: false });
    const bin = await fetch(A.url('/push/room/pushed?binary=1'), { method: 'POST', body: Buffer.from([0, 255, 7]) });
    assert.equal(bin.status, 200);
    const m = await c.next();
    assert.equal(m.binary, true);
    assert.deepEqual([...m.data], [0, 255, 7]);
    await c.close();
  });

  test('binary stays binary and text stays text, byte for byte', async () => {
    const [a, b] = await clients(A.wsUrl('/room/types'), B.wsUrl('/room/types'));
    const payload = Buffer.alloc(256);
    for (let i = 0; i < 256; i++) payload[i] = i;
    a.ws.send(payload, { binary: true });
    let m = await b.next();
    assert.equal(m.binary, true);
    assert.ok(m.data.equals(payload));
    const text = 'caf\u00e9 "quoted" \\ \n\t \u{1F600} \u0000 end';
    a.ws.send(text);
    await a.next();
    await a.next();
    m = await b.next();
    assert.equal(m.binary, false);
    assert.equal(m.data, text);
    a.ws.send(Buffer.alloc(0), { binary: true });
    m = await b.next();
    assert.equal(m.binary, true);
    assert.equal(m.data.length, 0);
    await Promise.all([a, b].map((x) => x.close()));
  });

  test('per-publisher order holds over a burst of 1000 messages', async () => {
    const [pub, b, c] = await clients(A.wsUrl('/room/burst'), B.wsUrl('/room/burst'), C.wsUrl('/room/burst'));
    const N = 1000;
    const got = { b: [], c: [] };
    const done = Promise.all([
      ['b', b], ['c', c],
    ].map(([k, x]) => new Promise((resolve) => {
      x.ws.on('message', (d) => { got[k].push(Number(d.toString())); if (got[k].length === N) resolve(); });
    })));
    for (let i = 0; i < N; i++) pub.ws.send(String(i));
    await Promise.race([done, sleep(20000).then(() => { throw new Error(`burst incomplete: b ${got.b.length}, c ${got.c.length}`); })]);
    const want = Array.from({ length: N }, (_, i) => i);
    assert.deepEqual(got.b, want);
    assert.deepEqual(got.c, want);
    await Promise.all([pub, b, c].map((x) => x.close()));
  });

  test('connection_count is the cluster count after joins and leaves', async () => {
    const path = '/room/counted';
    const cs = await clients(
      A.wsUrl(path), A.wsUrl(path), B.wsUrl(path), C.wsUrl(path), C.wsUrl(path), C.wsUrl(path));
    for (const [srv, local] of [[A, 2], [B, 1], [C, 3]]) {
      await waitFor(async () => {
        const n = await count(srv, path);
        return n.cluster === 6 && n.local === local;
      }, { what: `count 6 on :${srv.port}` });
    }
    await cs[0].close();
    await cs[5].close();
    for (const srv of [A, B, C]) {
      await waitFor(async () => (await count(srv, path)).cluster === 4, { what: `count 4 on :${srv.port}` });
    }
    const nobody = await count(A, '/room/nobody');
    assert.deepEqual([nobody.cluster, nobody.local], [0, 0]);
    await Promise.all(cs.slice(1, 5).map((x) => x.close()));
    for (const srv of [A, B, C]) await waitFor(async () => (await count(srv, path)).cluster === 0);
  });

  test('a malformed or foreign envelope on the channel is ignored; another Tina4\'s is delivered', async () => {
    const [b] = await clients(B.wsUrl('/room/foreign'));
    for (const junk of ['not json', '{"kind":"path"}', '[1,2]', '{"src":"x","kind":"room","room":"r","text":"t"}',
      '{"src":"x","kind":"path","path":"/room/foreign","b64":"!!!"}']) {
      await redisCommand(redis.port, 'PUBLISH', 'tina4:ws', junk);
    }
    // As a Tina4 Python instance would write it.
    await redisCommand(redis.port, 'PUBLISH', 'tina4:ws',
      JSON.stringify({ src: 'python-instance', kind: 'path', path: '/room/foreign', exclude: null, room: null, text: 'from python' }));
    assert.deepEqual(await b.next(), { data: 'from python', binary: false });
    await redisCommand(redis.port, 'PUBLISH', 'tina4:ws',
      JSON.stringify({ src: 'python-instance', kind: 'path', path: '/room/foreign', exclude: null, room: null, b64: Buffer.from([1, 2]).toString('base64') }));
    const m = await b.next();
    assert.equal(m.binary, true);
    assert.deepEqual([...m.data], [1, 2]);
    await redisCommand(redis.port, 'PUBLISH', 'tina4:ws',
      JSON.stringify({ src: 'python-instance', kind: 'path', path: '/room/foreign', exclude: null, room: null, text: 'end' }));
    await nextIs(b, 'end', 'something else was delivered');
    assert.match(B.stderr() + B.stdout(), /ignoring a malformed envelope/);
    await b.close();
  });

  // Last: it kills C.
  test('an instance killed with SIGKILL drops out of the counts within 3 heartbeats', async () => {
    const path = '/room/crash';
    const cs = await clients(A.wsUrl(path), C.wsUrl(path), C.wsUrl(path));
    await waitFor(async () => (await count(A, path)).cluster === 3, { what: 'count 3' });
    const killedAt = Date.now();
    await C.stop('SIGKILL'); // expects death by SIGKILL
    C = null;
    await waitFor(async () => (await count(A, path)).cluster === 1, { timeout: 10000, interval: 20, what: 'count 1 after the crash' });
    // B runs its own expiry sweep: it must get there within the same bound.
    await waitFor(async () => (await count(B, path)).cluster === 1, { timeout: 10000, interval: 20, what: 'B count 1 after the crash' });
    const took = (Date.now() - killedAt) / 1000;
    assert.ok(took <= 3 * HEARTBEAT + 0.3, `took ${took} s (heartbeat ${HEARTBEAT} s)`);
    // Its Redis hash expires too (TTL 3 heartbeats).
    await waitFor(async () => !(await redisCommand(redis.port, 'KEYS', 'tina4:ws:presence:*')).includes('*3'), { what: 'keys' });
    await cs[0].close();
  });
});

describe('redis backplane: binary envelopes (TINA4_WS_BACKPLANE_FORMAT=binary)', () => {
  let redis, A, B, J;
  before(async () => {
    redis = await startRedis();
    [A, B, J] = await Promise.all([
      startInstance(redis, { TINA4_WS_BACKPLANE_FORMAT: 'binary' }),
      startInstance(redis, { TINA4_WS_BACKPLANE_FORMAT: 'binary' }),
      startInstance(redis), // JSON: its own channel, never misparses
    ]);
  });
  after(async () => {
    for (const s of [A, B, J]) if (s) await s.stop();
    await redis?.stop();
  });

  test('relays text, binary and exclude-self; a JSON instance hears none of it', async () => {
    const [a, b, j] = await clients(A.wsUrl('/others/bin'), B.wsUrl('/others/bin'), J.wsUrl('/others/bin'));
    a.ws.send('text via binary envelope');
    assert.deepEqual(await b.next(), { data: 'text via binary envelope', binary: false });
    b.ws.send(Buffer.from([9, 8, 7]), { binary: true });
    const m = await a.next();
    assert.equal(m.binary, true);
    assert.deepEqual([...m.data], [9, 8, 7]);
    b.ws.send('end b');
    await nextIs(a, 'end b', 'a got its own message back');
    a.ws.send('end a');
    await nextIs(b, 'end a', 'b got its own message back');
    j.ws.send('json only');
    await push(J, '/others/bin', 'marker j');
    await nextIs(j, 'marker j', 'the JSON instance heard a binary envelope');
    await push(A, '/others/bin', 'marker a');
    await nextIs(a, 'marker a', 'a binary instance heard a JSON envelope');
    await Promise.all([a, b, j].map((x) => x.close()));
  });
});

describe('redis backplane: AUTH and SELECT from the URL', () => {
  let redis, A, B;
  before(async () => {
    redis = await startRedis({ args: ['--requirepass', 'p@ss w0rd'] });
    const url = `redis://:${encodeURIComponent('p@ss w0rd')}@127.0.0.1:${redis.port}/3`;
    [A, B] = await Promise.all([
      startInstance(redis, { TINA4_WS_BACKPLANE_URL: url }),
      startInstance(redis, { TINA4_WS_BACKPLANE_URL: url }),
    ]);
  });
  after(async () => {
    for (const s of [A, B]) if (s) await s.stop();
    await redis?.stop();
  });

  test('relays with a password, keeps presence in the chosen database, never logs the password', async () => {
    const [a, b] = await clients(A.wsUrl('/room/auth'), B.wsUrl('/room/auth'));
    a.ws.send('authenticated');
    assert.equal((await b.next()).data, 'authenticated');
    await waitFor(async () => (await count(B, '/room/auth')).cluster === 2, { what: 'count 2' });
    const keys = await redisPipeline(redis.port, ['AUTH', 'p@ss w0rd'], ['SELECT', '3'], ['KEYS', 'tina4:ws:presence:*']);
    assert.match(keys, /\*2\r\n/);
    for (const s of [A, B]) assert.doesNotMatch(s.stderr() + s.stdout(), /p@ss|w0rd/);
    await Promise.all([a, b].map((x) => x.close()));
  });

  test('a wrong password: one clear warning, local service goes on', async () => {
    const C = await startInstance(redis, {
      NO_WAIT: '1', TINA4_LOG_LEVEL: 'debug', TINA4_WS_BACKPLANE_URL: `redis://:wrong@127.0.0.1:${redis.port}/3`,
    });
    try {
      await waitFor(() => /cannot reach Redis .*AUTH refused/.test(C.stderr() + C.stdout()), { what: 'AUTH warning' });
      const [c1, c2] = await clients(C.wsUrl('/room/auth'), C.wsUrl('/room/auth'));
      c1.ws.send('local');
      assert.equal((await c2.next()).data, 'local');
      // Two more attempts (logged at debug level): still one warning.
      await waitFor(() => ((C.stderr() + C.stdout()).match(/backplane: reconnect to .* failed/g) || []).length >= 2, { what: 'two retries' });
      assert.equal(((C.stderr() + C.stdout()).match(/cannot reach Redis/g) || []).length, 1);
      await Promise.all([c1, c2].map((x) => x.close()));
    } finally {
      assert.equal((await C.stop()).code, 0);
    }
  });
});
