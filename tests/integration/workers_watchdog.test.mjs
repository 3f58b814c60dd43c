// SPDX-License-Identifier: MIT
// The handler watchdog of workers: a handler that holds the loop is logged
// once, by route (TINA4_HANDLER_WARN), and with TINA4_HANDLER_KILL its
// worker is killed and replaced.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { binary } from '../lib/server.mjs';
import { startServer, waitFor } from './helpers.mjs';
import { alive, children, getFresh } from './workers_procs.mjs';

const SERVER = 'tests/servers/workers_server';
const held = (err) => err.split('\n').filter((l) => /has held the loop/.test(l));

async function twoWorkers(env = {}) {
  const srv = await startServer(SERVER, { env: { TINA4_WORKERS: '2', ...env } });
  await waitFor(() => children(srv.proc.pid).length === 2, { what: '2 workers' });
  return srv;
}

test('TINA4_HANDLER_WARN (default 1 s): a handler holding the loop 2 s is logged once, by route', async () => {
  const srv = await twoWorkers();
  const r = await getFresh(srv.url('/sleep?ms=2000'));
  assert.equal(r.body, 'slept', 'only logged, not stopped');
  const lines = held(srv.stderr());
  assert.equal(lines.length, 1, lines.join('\n'));
  assert.match(lines[0], /worker \d+: HTTP GET \/sleep has held the loop for 1\.\d s \(TINA4_HANDLER_WARN\)/);
  // Under a second is not logged.
  assert.equal((await getFresh(srv.url('/sleep?ms=400'))).body, 'slept');
  assert.equal(held(srv.stderr()).length, 1);
  await srv.stop();
});

test('TINA4_HANDLER_WARN=0.3 logs a handler that holds the loop 0.6 s', async () => {
  const srv = await twoWorkers({ TINA4_HANDLER_WARN: '0.3' });
  assert.equal((await getFresh(srv.url('/sleep?ms=600'))).body, 'slept');
  const lines = held(srv.stderr());
  assert.equal(lines.length, 1, lines.join('\n'));
  assert.match(lines[0], /HTTP GET \/sleep has held the loop for 0\.\d s/);
  await srv.stop();
});

test('TINA4_HANDLER_KILL: a worker stuck past it is killed and replaced', async (t) => {
  const srv = await twoWorkers({ TINA4_HANDLER_KILL: '1' });
  const before = children(srv.proc.pid);
  const t0 = Date.now();
  const r = await getFresh(srv.url('/sleep?ms=30000'), { timeout: 20000 }).catch((e) => e);
  const took = Date.now() - t0;
  t.diagnostic(`the stuck request was cut off after ${took} ms`);
  assert.ok(r instanceof Error, 'the stuck request does not complete');
  assert.ok(took >= 900 && took < 5000, `cut off after ${took} ms`);
  await waitFor(() => children(srv.proc.pid).filter((p) => !before.includes(p)).length === 1, { what: 'a replacement' });
  assert.equal(before.filter(alive).length, 1, 'the stuck worker is gone, the other is not');
  const err = srv.stderr();
  assert.match(err, /HTTP GET \/sleep has held the loop for 1\.\d s \(TINA4_HANDLER_KILL\): replacing this worker/);
  assert.match(err, /worker \d+ was killed: a handler held its loop past TINA4_HANDLER_KILL; replacing it/);
  await srv.stop();
});

test('TINA4_HANDLER_WARN / TINA4_HANDLER_KILL: bad values are start-up errors', async () => {
  for (const [name, bad] of [['TINA4_HANDLER_WARN', '0'], ['TINA4_HANDLER_WARN', 'soon'], ['TINA4_HANDLER_KILL', '-1']]) {
    const p = spawn(binary(SERVER), [], { env: { ...process.env, [name]: bad, TINA4_PORT: '0' } });
    let err = '';
    p.stderr.on('data', (d) => { err += d; });
    const code = await new Promise((r) => p.on('close', r));
    assert.equal(code, 1, `${name}=${bad}`);
    assert.match(err, new RegExp(`${name}=${bad}: expected a positive number of seconds`));
  }
});
