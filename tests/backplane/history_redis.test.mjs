// SPDX-License-Identifier: MIT
// History in Redis Streams: with TINA4_WS_BACKPLANE=redis, positions of a
// path with history are cluster-wide (Redis gives them), the messages are
// kept in a stream (XADD MAXLEN ~ history_size) and the epoch in Redis. An
// instance is SIGKILLed; its client resumes on another instance and gets
// every message it missed, once, in order, then live ones on the same
// sequence. Clients speak tina4.v1 (tests/lib/v1client.mjs).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { positioned, v1 } from '../lib/v1client.mjs';
import { REDIS_SERVER, startInstance, startRedis, waitFor } from './helpers.mjs';

async function join(srv, path, offer = []) {
  const c = v1(srv.wsUrl(path), offer);
  await c.opened;
  await waitFor(() => c.welcome, { what: 'welcome' });
  return c;
}

test('Redis history: one sequence across instances; a killed instance\'s client resumes on another with nothing lost', { skip: !REDIS_SERVER && 'no redis-server' }, async (t) => {
  const redis = await startRedis();
  t.after(() => redis.stop());
  const A = await startInstance(redis);
  const B = await startInstance(redis);
  const C = await startInstance(redis);
  t.after(() => B.stop());
  t.after(() => C.stop());
  const room = '/pres/h';
  const a = await join(A, room);
  const b = await join(B, room);
  const c = await join(C, room);

  // 30 messages from clients on all three instances, interleaved.
  for (let i = 0; i < 10; i++) for (const [x, n] of [[a, 'a'], [b, 'b'], [c, 'c']]) x.ws.send(`${n}${i}`);
  for (const x of [a, b, c]) await waitFor(() => positioned(x).length === 30, { what: '30 positioned' });
  assert.deepEqual(positioned(a), positioned(b), 'A and B saw one sequence');
  assert.deepEqual(positioned(a), positioned(c), 'A and C saw one sequence');
  const offs = positioned(a).map((m) => m.offset);
  assert.deepEqual(offs, Array.from({ length: 30 }, (_, i) => i + 1), 'offsets 1..30');
  const epoch = positioned(a)[0].epoch;
  const meta = await redis.command('HGET', `tina4:ws:history-meta:${room}`, 'e');
  assert.match(meta, new RegExp(epoch), 'the epoch is kept in Redis');

  // A dies without a word; its client stopped at 30.
  const stopped = a.last;
  A.proc.kill('SIGKILL');
  for (let i = 0; i < 100; i++) (i % 2 ? b : c).ws.send(`m${i}`);
  await waitFor(() => positioned(b).length === 130, { what: 'B got 130' });

  // The client resumes on B.
  const back = await join(B, room, [`tina4.resume.${stopped.epoch}.${stopped.offset}`]);
  assert.equal(back.welcome.join, 'resumed');
  assert.equal(back.welcome.count, 100);
  const missed = positioned(b).slice(30);
  await waitFor(() => positioned(back).length >= 100, { what: 'the replay' });
  assert.deepEqual(positioned(back), missed, 'every missed message, once, in order');
  c.ws.send('live');
  await waitFor(() => positioned(back).length === 101, { what: 'live after the resume' });
  assert.deepEqual(positioned(back)[100], { epoch, offset: 131, text: 'live' });

  // Redis holds the stream.
  const xlen = await redis.command('XLEN', `tina4:ws:history:${room}`);
  assert.match(xlen, /:131\r\n/, 'XLEN 131');

  // An instance started now (a deploy) reads the history from Redis: a
  // client resumes there from offset 10, and a fresh one asks for the last 5.
  const D = await startInstance(redis);
  t.after(() => D.stop());
  await waitFor(async () => {
    const probe = await join(D, room, [`tina4.resume.${epoch}.130`]);
    await probe.close();
    return probe.welcome.join === 'resumed';
  }, { what: 'D primed from Redis' });
  const late = await join(D, room, [`tina4.resume.${epoch}.10`]);
  assert.equal(late.welcome.join, 'resumed');
  assert.equal(late.welcome.count, 121);
  await waitFor(() => positioned(late).length === 121, { what: '121 replayed on D' });
  assert.deepEqual(positioned(late), positioned(b).slice(10, 131), 'offsets 11..131 from Redis, in order');
  const fresh = await join(D, room, ['tina4.history.5']);
  assert.equal(fresh.welcome.epoch, epoch, 'the epoch kept in Redis');
  await waitFor(() => positioned(fresh).length === 5, { what: 'the last 5' });
  assert.deepEqual(positioned(fresh).map((m) => m.offset), [127, 128, 129, 130, 131]);
  for (const x of [b, c, back, late, fresh]) await x.close();
});
