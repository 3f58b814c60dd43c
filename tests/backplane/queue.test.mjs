// SPDX-License-Identifier: MIT
// TINA4_WS_BACKPLANE_MAX_QUEUE: while Redis does not answer (here: the
// process is stopped with SIGSTOP), at most that many bytes wait for it;
// beyond, messages are delivered locally only, logged once, and relaying
// resumes when Redis answers again.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { clients, startInstance, startRedis, waitFor } from './helpers.mjs';

const logs = (srv) => srv.stderr() + srv.stdout();

describe('redis backplane: bounded queue to Redis', () => {
  let redis, A, B;
  before(async () => {
    redis = await startRedis();
    const env = { TINA4_WS_BACKPLANE_MAX_QUEUE: '16K', TINA4_WS_BACKPLANE_HEARTBEAT: '5' };
    [A, B] = await Promise.all([startInstance(redis, env), startInstance(redis, env)]);
  });
  after(async () => {
    if (redis?.proc) redis.proc.kill('SIGCONT');
    for (const s of [A, B]) if (s) await s.stop();
    await redis?.stop();
  });

  test('a stalled Redis holds at most the queue limit; local delivery goes on; relaying resumes', async () => {
    const path = '/room/queue';
    const [a, b] = await clients(A.wsUrl(path), B.wsUrl(path));
    a.ws.send('warm-up');
    assert.equal((await a.next()).data, 'warm-up');
    assert.equal((await b.next()).data, 'warm-up');

    redis.proc.kill('SIGSTOP');
    const big = 'x'.repeat(1000);
    const N = 60; // 60 KB: well over the 16 KiB limit
    for (let i = 0; i < N; i++) a.ws.send(`${i}:${big}`);
    for (let i = 0; i < N; i++) assert.equal((await a.next()).data, `${i}:${big}`, 'local delivery, in order');
    await waitFor(() => /TINA4_WS_BACKPLANE_MAX_QUEUE=16384/.test(logs(A)), { what: 'the queue-full warning' });
    assert.equal((logs(A).match(/TINA4_WS_BACKPLANE_MAX_QUEUE=16384/g) || []).length, 1, 'logged once');

    redis.proc.kill('SIGCONT');
    // When Redis has caught up, A says how many messages it kept local. The
    // others (what fitted in the queue) reach B in order, and nothing more:
    // the next message B gets after them is new traffic.
    const summary = await waitFor(
      () => /(\d+) message\(s\) \(\d+ bytes\) were delivered locally only while TINA4_WS_BACKPLANE_MAX_QUEUE was full/.exec(logs(A)),
      { what: 'the summary line' });
    const local = Number(summary[1]);
    const relayed = N - local;
    assert.ok(relayed >= 1, `nothing was relayed (${local} of ${N} kept local): the queue held nothing`);
    // 16 KiB of ~1 KB messages: at most 16 await Redis at once.
    assert.ok(relayed <= 17, `${relayed} of ${N} were relayed: more than TINA4_WS_BACKPLANE_MAX_QUEUE holds`);
    for (let i = 0; i < relayed; i++) {
      assert.equal((await b.next(5000)).data, `${i}:${big}`, 'what fitted arrives, in order');
    }
    a.ws.send('after');
    assert.equal((await a.next()).data, 'after');
    assert.equal((await b.next(5000)).data, 'after', 'relaying resumed, and the overflow was not relayed');
    await Promise.all([a.close(), b.close()]);
  });
});
