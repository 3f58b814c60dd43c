// SPDX-License-Identifier: MIT
// The local bus: with TINA4_WORKERS > 1 and no Redis, broadcasts, pushes and
// connection counts span the workers of the machine. Real processes, real
// sockets; which worker a client landed on is asked of the worker itself.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { REDIS_SERVER, startRedis } from '../backplane/helpers.mjs';
import { open, startServer, waitFor } from './helpers.mjs';
import { alive, children, getFresh } from './workers_procs.mjs';

const SERVER = 'tests/servers/workers_server';
const linked = (srv) => (srv.stderr().match(/bus: worker \d+ \(slot \d+\) linked/g) || []).length;

async function startWorkers(n, env = {}) {
  const srv = await startServer(SERVER, { env: { TINA4_WORKERS: String(n), ...env } });
  await waitFor(() => children(srv.proc.pid).length === n, { what: `${n} workers` });
  await waitFor(() => linked(srv) === n, { what: 'every worker linked to its peers' });
  return srv;
}

// Opens clients on room until there are at least `per` on each of the live
// workers; returns them all, each tagged with its worker's pid.
async function spread(srv, room, per = 1) {
  const pids = children(srv.proc.pid);
  const all = [];
  const on = (pid) => all.filter((c) => c.pid === pid).length;
  for (let i = 0; i < 200 && pids.some((p) => on(p) < per); i++) {
    const c = await open(srv.wsUrl(`/bus/${room}`));
    c.send('pid');
    c.pid = Number((await c.next((m) => m.data.startsWith('pid:'))).data.slice(4));
    all.push(c);
  }
  assert.ok(pids.every((p) => on(p) >= per), `clients on every worker (${all.map((c) => c.pid)})`);
  return all;
}

// What a fresh connection's worker says about path: { total, local, pid }.
async function countOn(srv, path) {
  const [total, local, pid] = (await getFresh(srv.url(`/count?path=${encodeURIComponent(path)}`))).body.split(' ').map(Number);
  return { total, local, pid };
}

// Every worker (reached through fresh connections) reports want machine-wide.
async function everyWorkerCounts(srv, path, want) {
  const pids = new Set(children(srv.proc.pid));
  const agreed = new Set();
  await waitFor(async () => {
    const c = await countOn(srv, path);
    if (c.total === want) agreed.add(c.pid);
    else agreed.delete(c.pid);
    return [...pids].every((p) => agreed.has(p));
  }, { timeout: 10000, what: `every worker counting ${want} on ${path}` });
}

const closeAll = (cs) => Promise.all(cs.map((c) => c.close()));

test('2 workers, no Redis: broadcasts, exclude-self, pushes (handler and thread) and counts span the workers', async (t) => {
  const srv = await startWorkers(2);
  const cs = await spread(srv, 'r1', 2);
  t.diagnostic(`${cs.length} clients on workers ${[...new Set(cs.map((c) => c.pid))].join(', ')}`);
  const [p1, p2] = children(srv.proc.pid);
  const a = cs.find((c) => c.pid === p1);
  const b = cs.find((c) => c.pid === p2);

  await everyWorkerCounts(srv, '/bus/r1', cs.length);
  a.send('count');
  const [total, local] = (await a.next((m) => m.data.startsWith('count:'))).data.slice(6).split(' ').map(Number);
  assert.equal(total, cs.length, 't4_ws_connection_count is machine-wide');
  assert.equal(local, cs.filter((c) => c.pid === p1).length, 'the local count is this worker\'s');

  a.send('all:from a');
  for (const c of cs) assert.equal((await c.next()).data, 'from a');
  b.send('others:from b');
  for (const c of cs) if (c !== b) assert.equal((await c.next()).data, 'from b');
  a.send('all:marker');
  assert.equal((await b.next()).data, 'marker', 'the sender excluded itself on every worker');
  for (const c of cs) if (c !== b) assert.equal((await c.next()).data, 'marker');

  // t4_push from a handler and from a thread, from each worker.
  for (const thread of ['0', '1']) {
    const served = new Set();
    for (let i = 0; served.size < 2 && i < 50; i++) {
      const msg = `push${thread}-${i}`;
      const r = await getFresh(srv.url(`/push?path=/bus/r1&msg=${msg}&thread=${thread}`));
      served.add(Number(r.body));
      for (const c of cs) assert.equal((await c.next()).data, msg);
    }
    assert.equal(served.size, 2, `pushes (thread=${thread}) from both workers`);
  }

  // Leaving counts too.
  const leaving = cs.filter((c) => c.pid === p2).slice(0, 1);
  await closeAll(leaving);
  await everyWorkerCounts(srv, '/bus/r1', cs.length - 1);
  await closeAll(cs.filter((c) => !leaving.includes(c)));
  await everyWorkerCounts(srv, '/bus/r1', 0);
  await srv.stop();
});

test('3 workers: 1000 messages from one sender arrive in order on every receiver; a 1 MiB broadcast crosses workers', async (t) => {
  const srv = await startWorkers(3);
  const cs = await spread(srv, 'order', 2);
  const sender = cs[0];
  const receivers = cs.slice(1);
  const got = receivers.map(() => []);
  const done = receivers.map((c, i) => new Promise((resolve) => {
    c.ws.on('message', (d) => {
      got[i].push(d.toString());
      if (got[i].length === 1000) resolve();
    });
  }));
  const t0 = Date.now();
  sender.send('seq:1000');
  await Promise.all(done);
  t.diagnostic(`1000 messages to ${receivers.length} receivers on 3 workers in ${Date.now() - t0} ms`);
  const want = Array.from({ length: 1000 }, (_, i) => `s${i}`);
  for (let i = 0; i < receivers.length; i++) assert.deepEqual(got[i], want, `receiver ${i} (worker ${receivers[i].pid})`);
  for (const c of receivers) c.ws.removeAllListeners('message');

  // 1 MiB (the default TINA4_WS_MAX_MESSAGE) from a client on one worker.
  const big = cs.find((c) => c.pid !== cs[cs.length - 1].pid);
  const bigGot = cs.map((c) => new Promise((resolve) => c.ws.once('message', (d) => resolve(d))));
  big.send(`big:${1024 * 1024}`);
  for (const d of await Promise.all(bigGot)) {
    assert.equal(d.length, 1024 * 1024);
    assert.equal(d[0], 'B'.charCodeAt(0));
  }
  await closeAll(cs);
  await srv.stop();
});

test('a worker that crashes: the others drop its connections from their counts at once and link to its replacement', async (t) => {
  const srv = await startWorkers(2);
  const cs = await spread(srv, 'crash', 2);
  await everyWorkerCounts(srv, '/bus/crash', cs.length);
  const [p1, p2] = children(srv.proc.pid);
  const onP2 = cs.filter((c) => c.pid === p2).length;

  process.kill(p2, 'SIGKILL');
  const t0 = Date.now();
  // p1 is the only worker accepting now: every fresh connection reaches it.
  await waitFor(async () => (await countOn(srv, '/bus/crash')).total === cs.length - onP2, { what: 'the count without the dead worker' });
  t.diagnostic(`count dropped ${onP2} within ${Date.now() - t0} ms of SIGKILL`);

  await waitFor(() => children(srv.proc.pid).length === 2 && !alive(p2), { what: 'a replacement worker' });
  await waitFor(() => linked(srv) === 3, { what: 'the replacement linked' });
  const survivors = cs.filter((c) => c.pid === p1);
  const fresh = await spread(srv, 'crash', 1);
  const p3 = children(srv.proc.pid).find((p) => p !== p1);
  const onNew = fresh.filter((c) => c.pid === p3);
  assert.ok(onNew.length >= 1);
  const everyone = [...survivors, ...fresh];
  await everyWorkerCounts(srv, '/bus/crash', everyone.length);
  survivors[0].send('all:to the new one');
  for (const c of everyone) assert.equal((await c.next((m) => m.data === 'to the new one')).data, 'to the new one');
  onNew[0].send('all:from the new one');
  for (const c of everyone) assert.equal((await c.next((m) => m.data === 'from the new one')).data, 'from the new one');
  for (const c of cs) if (c.pid === p2) c.ws.terminate();
  await closeAll(everyone);
  await srv.stop();
});

test('a stopped worker (SIGSTOP) does not stall the others: its queue is bounded, drops are counted and logged', async (t) => {
  const srv = await startWorkers(2, { TINA4_WS_BACKPLANE_MAX_QUEUE: '262144' });
  const cs = await spread(srv, 'stall', 1);
  const [p1, p2] = children(srv.proc.pid);
  const a = cs.find((c) => c.pid === p1);
  const s = cs.find((c) => c.pid === p2);
  process.kill(p2, 'SIGSTOP');
  t.after(() => { try { process.kill(p2, 'SIGCONT'); } catch { /* gone */ } });
  // 4 MB for the stopped worker: far more than its socket buffer and the
  // 256 KiB queue hold. The sender's own worker keeps answering.
  const t0 = Date.now();
  for (let i = 0; i < 40; i++) {
    a.send(`big:${100 * 1000}`);
    const m = await a.next();
    assert.equal(m.data.length, 100 * 1000);
  }
  a.send('pid');
  assert.equal((await a.next()).data, `pid:${p1}`);
  t.diagnostic(`40 x 100 kB broadcast with a stopped peer in ${Date.now() - t0} ms`);
  await waitFor(() => /backplane: dropped \d+ local bus message\(s\) for a worker that is not reading/.test(srv.stderr()), { what: 'the drop log line' });
  process.kill(p2, 'SIGCONT');
  a.send('all:after');
  assert.equal((await s.next((m) => m.data === 'after', 10000)).data, 'after', 'the resumed worker gets new broadcasts');
  const drops = srv.stderr().match(/dropped \d+ local bus/g);
  t.diagnostic(drops.join('; '));
  await closeAll(cs);
  await srv.stop();
});

test('2 workers + Redis: the bus and Redis together deliver each broadcast once and count each connection once', { skip: !REDIS_SERVER && 'no redis-server' }, async () => {
  const redis = await startRedis();
  const srv = await startWorkers(2, { TINA4_WS_BACKPLANE: 'redis', TINA4_WS_BACKPLANE_URL: redis.url, TINA4_WS_BACKPLANE_HEARTBEAT: '0.4' });
  await waitFor(() => (srv.stderr().match(/backplane: connected to Redis/g) || []).length === 2, { what: 'a Redis link per worker' });
  const cs = await spread(srv, 'once', 2);
  await everyWorkerCounts(srv, '/bus/once', cs.length);
  cs[0].send('all:once');
  for (const c of cs) assert.equal((await c.next()).data, 'once');
  cs[cs.length - 1].send('all:marker');
  for (const c of cs) assert.equal((await c.next()).data, 'marker', 'no second copy of "once"');
  await closeAll(cs);
  await srv.stop();
  await redis.stop();
});
