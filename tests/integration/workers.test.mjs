// SPDX-License-Identifier: MIT
// Workers: TINA4_WORKERS=N runs a supervisor and N worker processes on one
// listening socket. Real processes (read from /proc), real sockets.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { test } from 'node:test';
import { binary } from '../lib/server.mjs';
import { open, startServer, waitFor } from './helpers.mjs';
import { alive, children, getFresh } from './workers_procs.mjs';

const SERVER = 'tests/servers/workers_server';

test('TINA4_WORKERS=2: a supervisor and 2 workers; new connections reach both; SIGTERM stops all with 1001', async (t) => {
  const srv = await startServer(SERVER, { env: { TINA4_WORKERS: '2' } });
  const sup = srv.proc.pid;
  await waitFor(() => children(sup).length === 2, { what: '2 workers' });
  const workers = children(sup);
  t.diagnostic(`supervisor ${sup}, workers ${workers.join(', ')}`);
  assert.match(srv.stdout(), /2 worker processes/);

  // The supervisor runs no handler: every answer comes from a worker.
  const seen = new Map();
  for (let i = 0; i < 200; i++) {
    const r = await getFresh(srv.url('/pid'));
    assert.equal(r.status, 200);
    seen.set(Number(r.body), (seen.get(Number(r.body)) || 0) + 1);
  }
  t.diagnostic(`200 new connections: ${[...seen].map(([p, n]) => `${p}: ${n}`).join(', ')}`);
  assert.deepEqual([...seen.keys()].sort((a, b) => a - b), workers, 'both workers answer, nobody else');

  // A WebSocket on each worker, and a slow response in flight.
  const byPid = new Map();
  for (let i = 0; i < 50 && byPid.size < 2; i++) {
    const c = await open(srv.wsUrl('/echo'));
    c.send('pid');
    const pid = Number((await c.next()).data.slice(4));
    if (byPid.has(pid)) c.ws.close();
    else byPid.set(pid, c);
  }
  assert.equal(byPid.size, 2, 'a WebSocket on each worker');
  const slow = getFresh(srv.url('/sleep?ms=600'));
  await waitFor(() => srv.stderr().includes('sleep: start'), { what: 'the slow request to be in its handler' });
  const t0 = Date.now();
  srv.proc.kill('SIGTERM');
  for (const c of byPid.values()) assert.equal((await c.closed).code, 1001);
  assert.equal((await slow).body, 'slept', 'the in-flight response finished');
  const { code } = await srv.stop();
  const took = Date.now() - t0;
  t.diagnostic(`supervisor exited ${code} ${took} ms after SIGTERM`);
  assert.equal(code, 0);
  assert.ok(took < 10000, `exit took ${took} ms`);
  for (const w of workers) assert.ok(!alive(w), `worker ${w} is gone`);
});

test('TINA4_WORKERS=1: one process, no supervisor', async () => {
  for (const env of [{ TINA4_WORKERS: '1' }]) {
    const srv = await startServer(SERVER, { env });
    assert.deepEqual(children(srv.proc.pid), []);
    assert.equal(Number((await getFresh(srv.url('/pid'))).body), srv.proc.pid);
    assert.doesNotMatch(srv.stdout(), /worker processes/);
    await srv.stop();
  }
});

test('TINA4_WORKERS=auto, and unset (the default), start one worker per CPU', async (t) => {
  for (const env of [{ TINA4_WORKERS: 'auto' }, { TINA4_WORKERS: null }]) {
    const srv = await startServer(SERVER, { env });
    const want = os.availableParallelism();
    if (want === 1) { // one CPU: one process, as with TINA4_WORKERS=1
      assert.deepEqual(children(srv.proc.pid), []);
    } else {
      await waitFor(() => children(srv.proc.pid).length === want, { what: `${want} workers` });
      assert.match(srv.stdout(), new RegExp(`${want} worker processes`));
    }
    t.diagnostic(`${JSON.stringify(env)}: ${want} CPU(s), ${want} worker(s)`);
    await srv.stop();
  }
});

test('TINA4_WORKERS: a bad value is a clear start-up error', async () => {
  for (const bad of ['0', 'two', '-3', '1025']) {
    const p = spawn(binary(SERVER), [], { env: { ...process.env, TINA4_WORKERS: bad, TINA4_PORT: '0' } });
    let err = '';
    p.stderr.on('data', (d) => { err += d; });
    const code = await new Promise((r) => p.on('close', r));
    assert.equal(code, 1, `TINA4_WORKERS=${bad}`);
    assert.match(err, new RegExp(`TINA4_WORKERS=${bad}: expected`));
  }
});

test('a worker whose supervisor is killed exits too', async (t) => {
  const srv = await startServer(SERVER, { env: { TINA4_WORKERS: '2' } });
  await waitFor(() => children(srv.proc.pid).length === 2, { what: '2 workers' });
  const workers = children(srv.proc.pid);
  await srv.stop('SIGKILL');
  await waitFor(() => workers.every((w) => !alive(w)), { what: 'the workers to exit', timeout: 10000 });
  assert.ok(!existsSync(`/proc/${workers[0]}/stat`) || !alive(workers[0]));
});

test('t4_stop() in a worker stops the whole server', async () => {
  const srv = await startServer(SERVER, { env: { TINA4_WORKERS: '2' } });
  await waitFor(() => children(srv.proc.pid).length === 2, { what: '2 workers' });
  const workers = children(srv.proc.pid);
  assert.equal((await getFresh(srv.url('/stop'))).body, 'stopping');
  const { code, signal } = await srv.exited;
  assert.equal(code, 0, `supervisor exit ${signal ?? code}`);
  assert.match(srv.stderr(), /a worker stopped/);
  for (const w of workers) assert.ok(!alive(w), `worker ${w} is gone`);
  await srv.stop();
});

test('TINA4_SHUTDOWN_TIMEOUT: a worker stuck in a handler is killed, and the supervisor still exits 0', async (t) => {
  const srv = await startServer(SERVER, { env: { TINA4_WORKERS: '2', TINA4_SHUTDOWN_TIMEOUT: '1' } });
  await waitFor(() => children(srv.proc.pid).length === 2, { what: '2 workers' });
  const workers = children(srv.proc.pid);
  const stuck = getFresh(srv.url('/sleep?ms=30000'), { timeout: 30000 }).catch((e) => e);
  await waitFor(() => srv.stderr().includes('sleep: start'), { what: 'the stuck request to be in its handler' });
  const t0 = Date.now();
  const { code } = await srv.stop();
  const took = Date.now() - t0;
  t.diagnostic(`exited ${code} ${took} ms after SIGTERM`);
  assert.equal(code, 0);
  assert.ok(took >= 1000 && took < 6000, `took ${took} ms (TINA4_SHUTDOWN_TIMEOUT=1)`);
  assert.match(srv.stderr(), /shutdown timeout: killing 1 worker/);
  assert.ok((await stuck) instanceof Error, 'the stuck request was cut off');
  for (const w of workers) assert.ok(!alive(w), `worker ${w} is gone`);
});

test('SIGINT to the supervisor stops every worker too, exit 0', async () => {
  const srv = await startServer(SERVER, { env: { TINA4_WORKERS: '2' } });
  await waitFor(() => children(srv.proc.pid).length === 2, { what: '2 workers' });
  const workers = children(srv.proc.pid);
  const c = await open(srv.wsUrl('/echo'));
  const { code } = await srv.stop('SIGINT');
  assert.equal(code, 0);
  assert.equal((await c.closed).code, 1001);
  assert.match(srv.stderr(), /received SIGINT: stopping 2 worker\(s\)/);
  for (const w of workers) assert.ok(!alive(w), `worker ${w} is gone`);
});

test('SIGTERM or SIGINT as soon as the port answers is a graceful stop (exit 0), with workers and with one process', async () => {
  const net = await import('node:net');
  const { freePort } = await import('../lib/server.mjs');
  const answers = (port) => new Promise((res) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => { s.destroy(); res(true); });
    s.once('error', () => res(false));
  });
  for (const [workers, signal] of [['2', 'SIGTERM'], ['2', 'SIGINT'], ['1', 'SIGTERM']]) {
    for (let i = 0; i < 8; i++) {
      const port = await freePort();
      const proc = spawn(binary(SERVER), [], {
        env: { ...process.env, TINA4_HOST: '127.0.0.1', TINA4_PORT: String(port), TINA4_WORKERS: workers },
        stdio: 'ignore',
      });
      const exited = new Promise((res) => proc.once('exit', (code, sig) => res({ code, sig })));
      await waitFor(() => answers(port), { interval: 2, what: `port ${port}` });
      proc.kill(signal); // at once: the supervisor may still be starting its workers
      const r = await exited;
      assert.deepEqual(r, { code: 0, sig: null }, `TINA4_WORKERS=${workers}, ${signal} right after start, run ${i}`);
    }
  }
});
