// SPDX-License-Identifier: MIT
// Workers with TINA4_WS_BACKPLANE=redis: each worker (not the supervisor)
// has its own link, so broadcasts and counts span the workers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { connected, REDIS_SERVER, SERVER, startRedis, waitFor } from '../backplane/helpers.mjs';
import { open, startServer } from './helpers.mjs';
import { children, getFresh } from './workers_procs.mjs';

test('TINA4_WORKERS=2 + redis: one link per worker, a broadcast reaches clients on both workers', { skip: !REDIS_SERVER && 'no redis-server' }, async (t) => {
  const redis = await startRedis();
  const srv = await startServer(SERVER, {
    env: { TINA4_WORKERS: '2', TINA4_WS_BACKPLANE: 'redis', TINA4_WS_BACKPLANE_URL: redis.url, TINA4_WS_BACKPLANE_HEARTBEAT: '0.4' },
  });
  const cs = [];
  // One hook, in order, each step on its own: a failed assertion must not
  // leave clients or processes behind (the file would hang to its timeout).
  t.after(async () => {
    for (const c of cs) c.ws.terminate();
    await srv.stop('SIGTERM', { expect: 'any' }).catch(() => {});
    await redis.stop();
  });
  await waitFor(() => children(srv.proc.pid).length === 2, { what: '2 workers' });
  await waitFor(() => connected(srv) === 2, { what: 'a link from each worker' });

  // Each fresh GET lands on some worker: its pid and its local count.
  const countNow = async () => JSON.parse((await getFresh(srv.url('/count/room/spread'))).body);
  const sample = async (total) => {
    await waitFor(async () => (await countNow()).cluster === total, { what: `cluster count ${total}` });
    const locals = new Map();
    for (let i = 0; i < 40 && locals.size < 2; i++) {
      const c = await countNow();
      locals.set(c.pid, c.local);
    }
    return locals;
  };
  // Clients until both workers hold some: the kernel hands a shared
  // listening socket's connections to whichever worker it wakes, which can
  // be the same one many times in a row, so connect 8 at a time.
  let locals = new Map();
  while (cs.length < 64) {
    cs.push(...await Promise.all(Array.from({ length: 8 }, () => open(srv.wsUrl('/room/spread')))));
    locals = await sample(cs.length);
    if (locals.size === 2 && [...locals.values()].every((n) => n > 0)) break;
  }
  t.diagnostic(`${cs.length} clients, local counts seen: ${JSON.stringify(Object.fromEntries(locals))}`);
  assert.equal(locals.size, 2, 'both workers answered');
  assert.equal([...locals.values()].reduce((a, b) => a + b, 0), cs.length, 'the local counts add up');
  assert.ok([...locals.values()].every((n) => n > 0 && n < cs.length), 'the clients are on two workers');

  cs[0].send('hello all');
  for (const c of cs) assert.equal((await c.next()).data, 'hello all');
  for (const c of cs) c.ws.close();
  await srv.stop();
  assert.equal(connected(srv), 2, 'the supervisor made no link of its own');
});
