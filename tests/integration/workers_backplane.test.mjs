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
  t.after(() => redis.stop());
  const srv = await startServer(SERVER, {
    env: { TINA4_WORKERS: '2', TINA4_WS_BACKPLANE: 'redis', TINA4_WS_BACKPLANE_URL: redis.url, TINA4_WS_BACKPLANE_HEARTBEAT: '0.4' },
  });
  t.after(() => srv.stop({ expect: 'any' }));
  await waitFor(() => children(srv.proc.pid).length === 2, { what: '2 workers' });
  await waitFor(() => connected(srv) === 2, { what: 'a link from each worker' });

  // 16 clients land on both workers (all on one: 1 chance in 32768).
  const cs = [];
  t.after(() => { for (const c of cs) c.ws.terminate(); }); // a failed assertion must not leave the file hanging
  for (let i = 0; i < 16; i++) cs.push(await open(srv.wsUrl('/room/spread')));
  const countNow = async () => JSON.parse((await getFresh(srv.url('/count/room/spread'))).body);
  await waitFor(async () => (await countNow()).cluster === 16, { what: 'cluster count 16' });
  // Each fresh GET lands on some worker: its pid and its local count.
  const locals = new Map();
  for (let i = 0; i < 40 && locals.size < 2; i++) {
    const c = await countNow();
    locals.set(c.pid, c.local);
  }
  t.diagnostic(`local counts seen: ${JSON.stringify(Object.fromEntries(locals))}`);
  assert.equal(locals.size, 2, 'both workers answered');
  assert.equal([...locals.values()].reduce((a, b) => a + b, 0), 16, 'the local counts add up');
  assert.ok([...locals.values()].every((n) => n > 0 && n < 16), 'the clients are on two workers');

  cs[0].send('hello all');
  for (const c of cs) assert.equal((await c.next()).data, 'hello all');
  for (const c of cs) c.ws.close();
  await srv.stop();
  assert.equal(connected(srv), 2, 'the supervisor made no link of its own');
});
