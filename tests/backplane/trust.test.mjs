// SPDX-License-Identifier: MIT
// What the backplane accepts from Redis. Anyone who can PUBLISH on its
// channels (or write its keys) can try to inject: these tests do it with a
// raw RESP client, as an attacker on the Redis network would, and check
// that forged counts, oversized envelopes and (with
// TINA4_WS_BACKPLANE_SECRET) unauthenticated traffic are dropped, counted
// and logged while genuine traffic between instances still flows.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import {
  clients, count, redisCommand, redisPipeline, startInstance, startRedis, waitFor,
} from './helpers.mjs';

const logs = (srv) => srv.stderr() + srv.stdout();
const fakeId = (n) => n.toString(16).padStart(32, 'a');
const publish = (redis, channel, msg) => redisCommand(redis.port, 'PUBLISH', channel, msg);
const cluster = async (srv, path) => (await count(srv, path)).cluster;

// The documented authentication: HMAC-SHA256(secret, domain || 0x00 || data).
const hmac = (key, domain, data) =>
  crypto.createHmac('sha256', key).update(domain).update(Buffer.from([0])).update(data).digest();
// JSON: the MAC of the envelope text before its closing brace, appended as
// a last member "mac" (lowercase hex).
function signJson(key, obj) {
  const x = JSON.stringify(obj).slice(0, -1);
  return `${x},"mac":"${hmac(key, 'tina4:ws', x).toString('hex')}"}`;
}
// Presence: "S <hex mac> <message>".
const signPresence = (key, body) => `S ${hmac(key, 'tina4:ws:presence', body).toString('hex')} ${body}`;
// Binary: flag bit 1 of byte 5, then the raw MAC of everything before it.
function binEnvelope(src, path, opcode, payload) {
  const head = Buffer.alloc(4 + 1 + 1 + 32 + 32 + 4);
  head.write('T4B1', 0);
  head[4] = opcode;
  head.write(src, 6);
  head.writeUInt32LE(Buffer.byteLength(path), 70);
  return Buffer.concat([head, Buffer.from(path), payload]);
}
function signBin(key, env) {
  const b = Buffer.from(env);
  b[5] |= 2;
  return Buffer.concat([b, hmac(key, 'tina4:ws:bin', b)]);
}
const envelope = (path, fields) => ({ src: 'python-instance', kind: 'path', path, exclude: null, room: null, ...fields });

describe('redis backplane: forged presence counts', () => {
  let redis, A, B, C;
  before(async () => {
    redis = await startRedis();
    // Slow heartbeat: a forged instance stays in the counts for 5 s.
    const env = { TINA4_WS_BACKPLANE_HEARTBEAT: '2' };
    [A, B] = await Promise.all([startInstance(redis, env), startInstance(redis, env)]);
  });
  after(async () => {
    for (const s of [A, B, C]) if (s) await s.stop();
    await redis?.stop();
  });

  test('negative, huge and non-numeric counts are dropped and counted; a valid one after them applies', async () => {
    const path = '/room/r1';
    const [a] = await clients(A.wsUrl(path));
    await waitFor(async () => (await cluster(B, path)) === 1, { what: 'count 1 on B' });
    const bad = [
      `P ${fakeId(1)} 1 -5 ${path}`,
      `P ${fakeId(2)} 1 9223372036854775808 ${path}`,
      `P ${fakeId(3)} 1 18446744073709551615 ${path}`,
      `P ${fakeId(4)} 1 99999999999999999999999 ${path}`,
      `P ${fakeId(5)} 1 +5 ${path}`,
      `P ${fakeId(6)} 1 5x ${path}`,
      `P ${fakeId(7)} -1 5 ${path}`,
      `P ${fakeId(8)} 1  5 ${path}`,
      `P ${fakeId(9)} 1 5 room-without-slash`,
    ];
    for (const m of bad) await publish(redis, 'tina4:ws:presence', m);
    // Same connection, so applied after all of the above.
    await publish(redis, 'tina4:ws:presence', `P ${fakeId(10)} 1 2 ${path}`);
    await waitFor(async () => (await cluster(B, path)) === 3, { timeout: 3000, what: 'cluster count 3 (1 real + 2 forged-but-valid)' });
    assert.equal(await cluster(B, path), 3);
    assert.equal((await count(B, path)).local, 0);
    // Counted, and logged at most once a second with the count.
    await waitFor(() => /dropped \d+ malformed presence message\(s\) \(9 in all\)/.test(logs(B)), { what: 'the drop log line' });
    const lines = logs(B).match(/malformed presence message/g).length;
    assert.ok(lines <= 3, `${lines} log lines for 9 drops within a second`);
    await a.close();
  });

  test('a snapshot (presence hash) with a negative count is not applied', async () => {
    const id = fakeId(0x51);
    const key = `tina4:ws:presence:${id}`;
    await redisPipeline(redis.port,
      ['HSET', key, '/room/snap-neg', '-5', '/room/snap-ok', '3', '/room/snap-huge', '18446744073709551615', '_seq', '1'],
      ['PEXPIRE', key, '60000'], ['SADD', 'tina4:ws:instances', id]);
    // A new instance reads every snapshot when it connects.
    C = await startInstance(redis, { TINA4_WS_BACKPLANE_HEARTBEAT: '2' });
    await waitFor(async () => (await cluster(C, '/room/snap-ok')) === 3, { what: 'the valid entry' });
    assert.equal(await cluster(C, '/room/snap-neg'), 0);
    assert.equal(await cluster(C, '/room/snap-huge'), 0);
    await waitFor(() => /malformed presence/.test(logs(C)), { what: 'the drop log line' });
  });
});

describe('redis backplane: envelope size limits (TINA4_WS_MAX_MESSAGE=64K)', () => {
  let redis, A, B;
  const MAX = 64 * 1024;
  before(async () => {
    redis = await startRedis();
    const env = { TINA4_WS_MAX_MESSAGE: '64K' };
    [A, B] = await Promise.all([startInstance(redis, env), startInstance(redis, env)]);
  });
  after(async () => {
    for (const s of [A, B]) if (s) await s.stop();
    await redis?.stop();
  });

  test('a 20 MB envelope is not delivered; one byte over the limit is not; exactly the limit is', async () => {
    const path = '/room/big';
    const [b] = await clients(B.wsUrl(path));
    await publish(redis, 'tina4:ws', JSON.stringify(envelope(path, { text: 'x'.repeat(20 * 1024 * 1024) })));
    await publish(redis, 'tina4:ws', JSON.stringify(envelope(path, { text: 'y'.repeat(MAX + 1) })));
    await publish(redis, 'tina4:ws', JSON.stringify(envelope(path, { b64: Buffer.alloc(MAX + 1).toString('base64') })));
    await publish(redis, 'tina4:ws', JSON.stringify(envelope(path, { text: 'z'.repeat(MAX) })));
    await publish(redis, 'tina4:ws', JSON.stringify(envelope(path, { text: 'after' })));
    const m = await b.next(10000);
    assert.equal(m.data.length, MAX, `first delivered message: ${m.data.length} bytes`);
    assert.equal(m.data[0], 'z');
    assert.equal((await b.next()).data, 'after');
    await waitFor(() => /dropped \d+ envelope\(s\) over TINA4_WS_MAX_MESSAGE \(3 in all\)/.test(logs(B)), { what: 'the drop log line' });
    // Genuine traffic is not affected.
    const [a] = await clients(A.wsUrl(path));
    a.ws.send('genuine');
    assert.equal((await b.next()).data, 'genuine');
    await Promise.all([a.close(), b.close()]);
  });
});

describe('redis backplane: binary envelope size limits (TINA4_WS_MAX_MESSAGE=1K)', () => {
  let redis, A, B;
  before(async () => {
    redis = await startRedis();
    const env = { TINA4_WS_MAX_MESSAGE: '1K', TINA4_WS_BACKPLANE_FORMAT: 'binary' };
    [A, B] = await Promise.all([startInstance(redis, env), startInstance(redis, env)]);
  });
  after(async () => {
    for (const s of [A, B]) if (s) await s.stop();
    await redis?.stop();
  });

  test('over the limit (by one byte or 20 MB) is dropped, the limit is delivered', async () => {
    const path = '/room/bigbin';
    const [b] = await clients(B.wsUrl(path));
    await publish(redis, 'tina4:ws:bin', binEnvelope(fakeId(1), path, 2, Buffer.alloc(20 * 1024 * 1024)));
    await publish(redis, 'tina4:ws:bin', binEnvelope(fakeId(1), path, 2, Buffer.alloc(1025)));
    await publish(redis, 'tina4:ws:bin', binEnvelope(fakeId(1), path, 2, Buffer.alloc(1024, 7)));
    const m = await b.next(10000);
    assert.equal(m.data.length, 1024, `first delivered message: ${m.data.length} bytes`);
    await waitFor(() => /dropped \d+ envelope\(s\) over TINA4_WS_MAX_MESSAGE \(2 in all\)/.test(logs(B)), { what: 'the drop log line' });
    const [a] = await clients(A.wsUrl(path));
    a.ws.send('genuine');
    assert.equal((await b.next()).data, 'genuine');
    await Promise.all([a.close(), b.close()]);
  });
});

describe('redis backplane: TINA4_WS_BACKPLANE_SECRET (JSON envelopes)', () => {
  let redis, A, B;
  const KEY = 'correct horse battery staple';
  before(async () => {
    redis = await startRedis();
    const env = { TINA4_WS_BACKPLANE_SECRET: KEY, TINA4_WS_BACKPLANE_HEARTBEAT: '2' };
    [A, B] = await Promise.all([startInstance(redis, env), startInstance(redis, env)]);
  });
  after(async () => {
    for (const s of [A, B]) if (s) await s.stop();
    await redis?.stop();
  });

  test('genuine traffic flows; forged, wrongly keyed, truncated and tampered envelopes are dropped', async () => {
    const path = '/room/sec';
    const [a, b] = await clients(A.wsUrl(path), B.wsUrl(path));
    a.ws.send('genuine 1');
    assert.equal((await b.next()).data, 'genuine 1');
    assert.equal((await a.next()).data, 'genuine 1');
    const good = signJson(KEY, envelope(path, { text: 'signed by the test' }));
    const flipped = Buffer.from(good);
    flipped[good.indexOf('signed')] ^= 1; // one bit of the payload
    const macFlipped = good.replace(/"mac":"(.)/, (_, c) => `"mac":"${c === '0' ? '1' : '0'}`);
    const forged = [
      JSON.stringify(envelope(path, { text: 'no mac' })),
      signJson('wrong key', envelope(path, { text: 'wrong key' })),
      good.replace(/"mac":"([0-9a-f]{32})[0-9a-f]{32}"/, '"mac":"$1"'), // truncated
      good.replace(/,"mac":"[0-9a-f]{64}"/, ''), // stripped
      flipped,
      macFlipped,
      good.replace('"mac"', '"MAC"'),
    ];
    for (const f of forged) await publish(redis, 'tina4:ws', f);
    await publish(redis, 'tina4:ws', good);
    assert.equal((await b.next()).data, 'signed by the test');
    a.ws.send('genuine 2');
    assert.equal((await b.next()).data, 'genuine 2');
    assert.ok(await b.nothing(200));
    await waitFor(() => /dropped \d+ unauthenticated envelope\(s\) \(7 in all\)/.test(logs(B)), { what: 'the drop log line' });
    await Promise.all([a.close(), b.close()]);
  });

  test('forged presence is dropped; genuine counts still flow', async () => {
    const path = '/room/sec-count';
    const [a] = await clients(A.wsUrl(path));
    await waitFor(async () => (await cluster(B, path)) === 1, { what: 'the genuine count on B' });
    await publish(redis, 'tina4:ws:presence', `P ${fakeId(20)} 1 50 ${path}`);
    await publish(redis, 'tina4:ws:presence', signPresence('wrong key', `P ${fakeId(21)} 1 60 ${path}`));
    const ok = signPresence(KEY, `P ${fakeId(22)} 1 70 ${path}`);
    await publish(redis, 'tina4:ws:presence', ok.replace(' 70 ', ' 71 '));
    await publish(redis, 'tina4:ws:presence', ok.slice(0, 40) + ok.slice(41));
    await publish(redis, 'tina4:ws:presence', ok);
    await waitFor(async () => (await cluster(B, path)) === 71, { what: 'count 71 (1 genuine + 70 signed by the test)' });
    await waitFor(() => /dropped \d+ unauthenticated presence message\(s\) \(4 in all\)/.test(logs(B)), { what: 'the drop log line' });
    await a.close();
    await waitFor(async () => (await cluster(B, path)) === 70, { what: 'the genuine leave' });
  });

  test('a signed snapshot (presence hash) is applied, an unauthenticated one is not', async () => {
    const id = fakeId(0x52);
    const key = `tina4:ws:presence:${id}`;
    await redisPipeline(redis.port, ['HSET', key, '/room/sec-snap', '9', '_seq', '1'],
      ['PEXPIRE', key, '60000'], ['SADD', 'tina4:ws:instances', id]);
    // A's hash holds a signed count before C starts: C learns it from the
    // hash (it has missed the change message).
    const [a] = await clients(A.wsUrl('/room/sec-snap'));
    await waitFor(async () => (await cluster(B, '/room/sec-snap')) === 1, { what: 'the genuine count on B' });
    assert.match(await redisCommand(redis.port, 'HGETALL', `tina4:ws:presence:${logs(A).match(/instance ([0-9a-f]{32})/)[1]}`),
      /\/room\/sec-snap\r\n\$66\r\n1 [0-9a-f]{64}\r\n/);
    const C = await startInstance(redis, { TINA4_WS_BACKPLANE_SECRET: KEY, TINA4_WS_BACKPLANE_HEARTBEAT: '2' });
    try {
      await waitFor(async () => (await cluster(C, '/room/sec-snap')) === 1, { what: 'the genuine count on C' });
      await waitFor(() => /unauthenticated presence/.test(logs(C)), { what: 'the drop log line' });
      assert.equal(await cluster(C, '/room/sec-snap'), 1);
      await a.close();
    } finally {
      await C.stop();
    }
  });
});

describe('redis backplane: TINA4_WS_BACKPLANE_SECRET (binary envelopes)', () => {
  let redis, A, B;
  const KEY = 'binary secret';
  before(async () => {
    redis = await startRedis();
    const env = { TINA4_WS_BACKPLANE_SECRET: KEY, TINA4_WS_BACKPLANE_FORMAT: 'binary' };
    [A, B] = await Promise.all([startInstance(redis, env), startInstance(redis, env)]);
  });
  after(async () => {
    for (const s of [A, B]) if (s) await s.stop();
    await redis?.stop();
  });

  test('genuine traffic flows; unsigned and wrongly keyed envelopes are dropped', async () => {
    const path = '/room/secbin';
    const [a, b] = await clients(A.wsUrl(path), B.wsUrl(path));
    a.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    assert.deepEqual([...(await b.next()).data], [1, 2, 3]);
    const env = binEnvelope(fakeId(3), path, 1, Buffer.from('forged'));
    await publish(redis, 'tina4:ws:bin', env);
    await publish(redis, 'tina4:ws:bin', signBin('wrong key', env));
    const good = signBin(KEY, binEnvelope(fakeId(3), path, 1, Buffer.from('signed by the test')));
    await publish(redis, 'tina4:ws:bin', good.subarray(0, good.length - 1)); // truncated
    await publish(redis, 'tina4:ws:bin', good);
    assert.equal((await b.next()).data, 'signed by the test');
    a.ws.send('genuine');
    assert.equal((await b.next()).data, 'genuine');
    await waitFor(() => /dropped \d+ unauthenticated envelope\(s\) \(3 in all\)/.test(logs(B)), { what: 'the drop log line' });
    await Promise.all([a.close(), b.close()]);
  });
});
