// SPDX-License-Identifier: MIT
// Redis outages: down at start, down mid-run, back again. Local traffic is
// served throughout, one warning per outage, cross-instance delivery and
// cluster counts resume after; shutdown with Redis down is clean (ASan).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { binary } from '../lib/server.mjs';
import {
  SERVER, clients, count, connected, startInstance, startRedis, waitFor,
} from './helpers.mjs';

const logs = (srv) => srv.stderr() + srv.stdout();
const occurrences = (srv, re) => (logs(srv).match(new RegExp(re, 'g')) || []).length;
// With TINA4_LOG_LEVEL=debug every failed reconnect attempt is logged: the
// tests wait for attempts instead of sleeping through them.
const DEBUG = { TINA4_LOG_LEVEL: 'debug' };
const attempts = (srv) => occurrences(srv, 'backplane: reconnect to .* failed');

describe('redis backplane: outages', () => {
  let redis, A, B;
  before(async () => {
    redis = await startRedis();
    [A, B] = await Promise.all([startInstance(redis, DEBUG), startInstance(redis, DEBUG)]);
  });
  after(async () => {
    for (const s of [A, B]) if (s) await s.stop();
    await redis?.stop();
  });

  test('Redis stopped and restarted mid-run: local delivery continues, relaying resumes', async () => {
    const path = '/room/outage';
    const [a1, a2, b] = await clients(A.wsUrl(path), A.wsUrl(path), B.wsUrl(path));
    a1.ws.send('before');
    for (const x of [a1, a2, b]) assert.equal((await x.next()).data, 'before');
    await waitFor(async () => (await count(B, path)).cluster === 3, { what: 'count 3' });

    for (let outage = 1; outage <= 2; outage++) {
      await redis.stop();
      for (const s of [A, B]) {
        await waitFor(() => occurrences(s, 'lost the connection to Redis') === outage, { what: `warning ${outage} on :${s.port}` });
      }
      // Local traffic is served during the outage (and nothing blocks).
      const N = 25;
      for (let i = 0; i < N; i++) a1.ws.send(`during ${outage}.${i}`);
      for (let i = 0; i < N; i++) {
        assert.equal((await a1.next()).data, `during ${outage}.${i}`);
        assert.equal((await a2.next()).data, `during ${outage}.${i}`);
      }
      // (B gets none of it: its next message, below, is the first one after the outage.)
      const res = await fetch(B.url('/count/room/outage'));
      assert.equal(res.status, 200); // B serves HTTP too
      const tried = attempts(A);
      // Attempts back off 100 ms, 200 ms, ... up to 3 s apart: on a slow
      // machine "tried" can already sit on the 1.6 s step, so three more
      // take up to 1.6 + 3 + 3 s.
      await waitFor(() => attempts(A) >= tried + 3, { timeout: 12000, what: 'three more reconnect attempts' }); // still one warning
      assert.equal(occurrences(A, 'lost the connection to Redis'), outage);
      assert.equal(occurrences(A, 'cannot reach Redis'), 0);

      await redis.start();
      for (const s of [A, B]) {
        await waitFor(() => occurrences(s, 'connected to Redis at .* again after') === outage, { timeout: 8000, what: `reconnect on :${s.port}` });
      }
      // What was not relayed is counted and logged once.
      assert.equal(occurrences(A, `${N} message\\(s\\) \\(\\d+ bytes\\) published while Redis was unreachable`), outage);
      // Cross-instance delivery resumes (both directions), in order.
      a1.ws.send(`after ${outage}`);
      for (const x of [a1, a2, b]) assert.equal((await x.next()).data, `after ${outage}`);
      b.ws.send(`from b ${outage}`);
      for (const x of [a1, a2, b]) assert.equal((await x.next()).data, `from b ${outage}`);
      // Presence was re-announced to the fresh Redis: counts are whole again.
      for (const s of [A, B]) {
        await waitFor(async () => (await count(s, path)).cluster === 3, { what: `count 3 after outage on :${s.port}` });
      }
    }
    await Promise.all([a1, a2, b].map((x) => x.close()));
  });

  test('Redis down at start: one warning, local service, joins the cluster when Redis comes', async () => {
    await redis.stop();
    const C = await startInstance(redis, { NO_WAIT: '1', ...DEBUG });
    try {
      await waitFor(() => occurrences(C, 'cannot reach Redis') === 1, { what: 'start-up warning' });
      const [c1, c2] = await clients(C.wsUrl('/room/late'), C.wsUrl('/room/late'));
      c1.ws.send('local only');
      assert.equal((await c2.next()).data, 'local only');
      assert.equal((await c1.next()).data, 'local only');
      await waitFor(() => attempts(C) >= 3, { what: 'three reconnect attempts' });
      assert.equal(occurrences(C, 'cannot reach Redis'), 1);
      await redis.start();
      await waitFor(() => connected(C) > 0 && connected(A) >= 3 && connected(B) >= 3, { timeout: 8000, what: 'links up' });
      const [a] = await clients(A.wsUrl('/room/late'));
      a.ws.send('A to C');
      assert.equal((await c1.next()).data, 'A to C');
      await waitFor(async () => (await count(A, '/room/late')).cluster === 3, { what: 'count 3' });
      await Promise.all([c1, c2, a].map((x) => x.close()));
    } finally {
      assert.equal((await C.stop()).code, 0);
    }
  });

  test('shutdown with Redis down is clean (no leak, no hang)', async () => {
    const C = await startInstance(redis);
    const [c] = await clients(C.wsUrl('/room/bye'));
    await redis.stop();
    await waitFor(() => occurrences(C, 'lost the connection') === 1);
    c.ws.send('x');
    await c.next();
    const t0 = Date.now();
    const res = await C.stop(); // throws on an ASan / LSan report
    assert.equal(res.code, 0);
    assert.ok(Date.now() - t0 < 5000);
    await redis.start();
  });
});

// A setting the backplane cannot work with stops the server at start.
function runExpectingFailure(env) {
  return new Promise((resolve) => {
    const proc = spawn(binary(SERVER), [], {
      env: { ...process.env, TINA4_HOST: '127.0.0.1', TINA4_PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (d) => { out += d; });
    proc.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => proc.kill('SIGKILL'), 10000);
    proc.on('exit', (code) => { clearTimeout(timer); resolve({ code, out }); });
  });
}

describe('redis backplane: start-up errors', () => {
  for (const [env, re] of [
    [{ TINA4_WS_BACKPLANE: 'kafka' }, /unknown backplane/],
    [{ TINA4_WS_BACKPLANE: 'redis', TINA4_WS_BACKPLANE_URL: 'http://localhost:6379' }, /malformed Redis URL/],
    [{ TINA4_WS_BACKPLANE: 'redis', TINA4_WS_BACKPLANE_URL: 'redis://h:99999' }, /malformed Redis URL: port/],
    [{ TINA4_WS_BACKPLANE: 'redis', TINA4_WS_BACKPLANE_URL: 'redis://:secret@h:1/x' }, /malformed Redis URL: database/],
    [{ TINA4_WS_BACKPLANE: 'redis', TINA4_WS_BACKPLANE_FORMAT: 'xml' }, /TINA4_WS_BACKPLANE_FORMAT=xml/],
    [{ TINA4_WS_BACKPLANE: 'redis', TINA4_WS_BACKPLANE_HEARTBEAT: '-1' }, /TINA4_WS_BACKPLANE_HEARTBEAT/],
  ]) {
    test(`refuses ${JSON.stringify(env)}`, async () => {
      const { code, out } = await runExpectingFailure(env);
      assert.notEqual(code, 0);
      assert.match(out, re);
      assert.doesNotMatch(out, /secret/);
      assert.doesNotMatch(out, /AddressSanitizer|LeakSanitizer|runtime error/);
    });
  }
});
