// SPDX-License-Identifier: MIT
// Presence across instances on the Redis backplane: frond.js clients on two
// instances see each other (list, join, leave), t4_ws_presence and
// t4_path_presence list the cluster, an instance started later gets the list
// from Redis, and the members of a SIGKILLed instance leave once its
// heartbeats stop (within 3 heartbeats).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { frond, WebSocket } from '../frondjs/helpers.mjs';
import { HEARTBEAT, REDIS_SERVER, startInstance, startRedis, waitFor } from './helpers.mjs';

const names = (list) => list.map((m) => m.info && m.info.name).sort().join();

async function member(srv, room, name) {
  const ws = frond.ws(srv.wsUrl(`/pres/${room}?name=${name}`), { WebSocket, reconnect: false });
  const c = { ws, msgs: [], events: [] };
  ws.on('message', (m) => c.msgs.push(String(m)));
  for (const e of ['join', 'leave', 'update']) ws.on(e, (m) => c.events.push([e, m.info && m.info.name]));
  await new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); });
  c.ask = async (q) => {
    const from = c.msgs.length;
    ws.send(q);
    await waitFor(() => c.msgs.slice(from).some((m) => m.startsWith('[')), { what: `reply to ${q}` });
    return JSON.parse(c.msgs.slice(from).find((m) => m.startsWith('[')));
  };
  return c;
}

test('presence across 2 Redis instances; a SIGKILLed instance\'s members expire', { skip: !REDIS_SERVER && 'no redis-server' }, async (t) => {
  const redis = await startRedis();
  t.after(() => redis.stop());
  const A = await startInstance(redis);
  const B = await startInstance(redis);
  t.after(() => A.stop());
  const ann = await member(A, 'r', 'ann');
  const bob = await member(B, 'r', 'bob');
  await waitFor(() => names(ann.ws.presence()) === 'ann,bob', { what: 'ann sees bob (other instance)' });
  await waitFor(() => names(bob.ws.presence()) === 'ann,bob', { what: 'bob sees ann in his welcome' });
  assert.deepEqual(ann.events, [['join', 'ann'], ['join', 'bob']]);
  assert.equal(names(await ann.ask('who')), 'ann,bob', 't4_ws_presence on A');
  assert.equal(names(await bob.ask('path-who')), 'ann,bob', 't4_path_presence on B');

  // An instance started now learns the list from Redis (snapshot).
  const C = await startInstance(redis);
  t.after(() => C.stop());
  const cy = await member(C, 'r', 'cy');
  await waitFor(() => names(cy.ws.presence()) === 'ann,bob,cy', { what: 'a late instance sees everyone' });
  await waitFor(() => names(ann.ws.presence()) === 'ann,bob,cy', { what: 'ann sees cy' });

  // A clean leave on C.
  cy.ws.close();
  await waitFor(() => names(ann.ws.presence()) === 'ann,bob', { what: 'cy left' });
  assert.deepEqual(ann.events.at(-1), ['leave', 'cy']);

  // SIGKILL B: no goodbye; its members expire with its heartbeats.
  const t0 = Date.now();
  B.proc.kill('SIGKILL');
  await waitFor(() => names(ann.ws.presence()) === 'ann', { what: 'bob expired', timeout: 10000 });
  const took = Date.now() - t0;
  t.diagnostic(`members of the killed instance expired after ${took} ms (heartbeat ${HEARTBEAT * 1000} ms)`);
  assert.ok(took < HEARTBEAT * 1000 * 4, `expired within ~3 heartbeats (${took} ms)`);
  assert.deepEqual(ann.events.at(-1), ['leave', 'bob']);
  assert.equal(names(await ann.ask('path-who')), 'ann', 't4_path_presence without bob');
  ann.ws.close();
  bob.ws.close();
});
