// TINA4_WS_BACKPLANE_MAX_QUEUE: while Redis does not answer (here: the
// process is stopped with SIGSTOP), at most that many bytes wait for it;
// beyond, messages are delivered locally only, logged once, and relaying
// resumes when Redis answers again.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { clients, sleep, startInstance, startRedis, waitFor } from './helpers.mjs';

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
    // What fitted in the queue reaches B in order; what did not is not
    // relayed (at most once): B gets a prefix of 0..N-1, then new traffic.
    await sleep(500);
    const got = [];
    while (b.queue.length) got.push((await b.next()).data.split(':')[0]);
    assert.ok(got.length < N, `B got ${got.length} of ${N}: the overflow was not relayed`);
    assert.deepEqual(got, got.map((_, i) => String(i)), 'a prefix, in order');
    a.ws.send('after');
    assert.equal((await a.next()).data, 'after');
    assert.equal((await b.next(5000)).data, 'after', 'relaying resumed');
    await waitFor(() => /delivered locally only while TINA4_WS_BACKPLANE_MAX_QUEUE was full/.test(logs(A)), { what: 'the summary line' });
    await Promise.all([a.close(), b.close()]);
  });
});
