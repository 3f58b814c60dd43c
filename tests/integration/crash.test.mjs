// SPDX-License-Identifier: MIT
// Crash isolation: with workers, a handler that crashes takes down its own
// worker only. The worker writes one report (signal, route and event,
// backtrace), the supervisor replaces it (backing off while crashes go on),
// and connections on the other workers never notice.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { open, startServer, waitFor } from './helpers.mjs';
import { alive, children, getFresh } from './workers_procs.mjs';

const SERVER = 'tests/servers/workers_server';
const SANITIZER_REPORT = /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: UndefinedBehaviorSanitizer/;

// Under a sanitizer build the sanitizer may report the crash itself before
// our report: that is tolerated (the route line is still required), any
// other sanitizer report is not.
async function stopTolerant(srv) {
  srv.proc.kill('SIGTERM');
  const res = await srv.exited;
  const rest = srv.stderr().replace(/=+\n==\d+==ERROR: AddressSanitizer: (SEGV|ABRT)[\s\S]*?==\d+==ABORTING\n/g, '');
  assert.doesNotMatch(rest, SANITIZER_REPORT, 'a sanitizer report other than the crash');
  assert.equal(res.code, 0, `supervisor exit ${res.signal ?? res.code}`);
  return res;
}

async function twoWorkers(env = {}) {
  const srv = await startServer(SERVER, { env: { TINA4_WORKERS: '2', ...env } });
  await waitFor(() => children(srv.proc.pid).length === 2, { what: '2 workers' });
  return srv;
}

// GET /crash on new connections until a worker other than `spare` takes it
// and dies (the request fails). Returns when the request failed (ms).
async function crashOne(srv, spare = 0) {
  for (let i = 0; i < 100; i++) {
    const r = await getFresh(srv.url(`/crash?unless=${spare}`)).catch((e) => e);
    if (r instanceof Error) return Date.now();
    assert.equal(r.status, 409, `unexpected answer ${r.status} ${r.body}`);
  }
  throw new Error('no worker other than the spare took /crash');
}

// Waits for a worker pid not in `known`; returns [pid, when].
async function replacement(srv, known, timeout = 15000) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    const fresh = children(srv.proc.pid).filter((p) => !known.includes(p));
    if (fresh.length) return [fresh[0], Date.now()];
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('no replacement worker');
}

const reports = (err) => err.split('\n').filter((l) => / crashed: SIG/.test(l));

test('a crash in one worker: one report, replaced within 1 s, a WebSocket on the other keeps echoing', async (t) => {
  const srv = await twoWorkers();
  const sup = srv.proc.pid;
  const before = children(sup);

  const ws = await open(srv.wsUrl('/echo'));
  ws.send('pid');
  const spare = Number((await ws.next()).data.slice(4));
  assert.ok(before.includes(spare));
  // Echo continuously through the crash: every message must come back.
  let sent = 0, got = 0, stop = false;
  const pinger = (async () => {
    while (!stop) {
      ws.send(`m${++sent}`);
      const m = await ws.next();
      assert.equal(m.data, `m${++got}`);
    }
  })();

  const crashedAt = await crashOne(srv, spare);
  const gotAtCrash = got;
  const [fresh, at] = await replacement(srv, before);
  const took = at - crashedAt;
  t.diagnostic(`replacement worker ${fresh} ${took} ms after the crash`);
  assert.ok(took < 1000, `replaced after ${took} ms`);
  await waitFor(() => got >= gotAtCrash + 20, { what: 'echoes after the crash' });
  stop = true;
  await pinger;
  assert.equal(ws.closeInfo, null, 'the WebSocket on the other worker is still open');
  assert.ok(alive(spare));
  t.diagnostic(`${got} echoes, none lost`);

  // The replacement serves.
  const seen = new Set();
  for (let i = 0; i < 60 && seen.size < 2; i++) seen.add(Number((await getFresh(srv.url('/pid'))).body));
  assert.deepEqual([...seen].sort((a, b) => a - b), [spare, fresh].sort((a, b) => a - b));

  const err = srv.stderr();
  const rep = reports(err);
  assert.equal(rep.length, 1, `one report:\n${rep.join('\n')}`);
  assert.match(rep[0], /worker \d+ crashed: SIGSEGV .* in HTTP GET \/crash/);
  const after = err.slice(err.indexOf(rep[0]));
  assert.match(after, /\nbacktrace:\n[^\n]*\[0x[0-9a-f]+\]\n/, 'a backtrace line');
  assert.match(after, /\n  null_write\+0x[0-9a-f]+ \[0x[0-9a-f]+\]\n  crash_route\+0x/, 'named frames, static functions too');
  assert.equal((err.match(/killed by SIGSEGV; replacing it/g) || []).length, 1);
  await ws.close();
  await stopTolerant(srv);
});

test('a crash in a WebSocket MESSAGE handler names the route pattern and the event', async () => {
  const srv = await twoWorkers();
  const c = await open(srv.wsUrl('/ws/chat/lobby'));
  c.send('hello');
  assert.equal((await c.next()).data, 'hello');
  c.send('crash');
  assert.equal((await c.closed).code, 1006);
  await waitFor(() => reports(srv.stderr()).length === 1, { what: 'the report' });
  assert.match(reports(srv.stderr())[0], /crashed: SIGSEGV .* in WS \/ws\/chat\/\{room\} MESSAGE \(path \/ws\/chat\/lobby\)/);
  await stopTolerant(srv);
});

test('abort() in a handler is reported as SIGABRT with its route', async () => {
  const srv = await twoWorkers();
  const r = await getFresh(srv.url('/abort')).catch((e) => e);
  assert.ok(r instanceof Error);
  await waitFor(() => reports(srv.stderr()).length === 1, { what: 'the report' });
  assert.match(reports(srv.stderr())[0], /crashed: SIGABRT .* in HTTP GET \/abort/);
  await waitFor(() => /killed by SIGABRT/.test(srv.stderr()), { what: 'the supervisor line' });
  await stopTolerant(srv);
});

test('repeated crashes: restarts back off (each waits longer), one supervisor line for the burst', async (t) => {
  const srv = await twoWorkers();
  t.after(() => srv.proc.kill('SIGKILL')); // after a failed assertion (a no-op once stopped)
  let known = children(srv.proc.pid);
  const waits = [];
  for (let i = 0; i < 5; i++) {
    const crashedAt = await crashOne(srv);
    const [fresh, at] = await replacement(srv, known);
    waits.push(at - crashedAt);
    known = [...known, fresh];
  }
  t.diagnostic(`restart delays (ms): ${waits.join(', ')}`);
  // 100, 200, 400, 800, 1600 ms: each wait at least its step (a loaded
  // machine adds its own delay on top, which can blur a ratio), and growing.
  for (let i = 0; i < waits.length; i++) {
    assert.ok(waits[i] >= 90 * 2 ** i, `delay ${i + 1} at least ${100 * 2 ** i} ms: ${waits.join(', ')}`);
    if (i > 0) assert.ok(waits[i] > waits[i - 1], `delays grow: ${waits.join(', ')}`);
  }
  assert.ok(waits[4] >= 1400, `the fifth restart waited ${waits[4]} ms (1.6 s expected)`);
  const err = srv.stderr();
  assert.equal(reports(err).length, 5, 'one report per crash');
  assert.equal((err.match(/replacing it/g) || []).length, 1, 'one supervisor line for the burst');
  await stopTolerant(srv);
  assert.match(srv.stderr(), /5 worker crash\(es\) since start/);
});

test('the backoff resets once workers have lived 30 s: a later crash is a new burst, logged, replaced after 100 ms', async (t) => {
  const srv = await twoWorkers();
  let known = children(srv.proc.pid);
  const waits = [];
  for (let i = 0; i < 2; i++) {
    const crashedAt = await crashOne(srv);
    const [fresh, at] = await replacement(srv, known);
    waits.push(at - crashedAt);
    known = [...known, fresh];
  }
  await new Promise((r) => setTimeout(r, 31000)); // the burst window is the thing under test
  const crashedAt = await crashOne(srv);
  const [, at] = await replacement(srv, known);
  waits.push(at - crashedAt);
  t.diagnostic(`restart delays (ms): ${waits.join(', ')}`);
  assert.ok(waits[1] > waits[0] * 1.3, 'backing off within the burst');
  assert.ok(waits[2] < waits[1] * 0.8 && waits[2] < 1000, `reset after the quiet time: ${waits.join(', ')}`);
  assert.equal((srv.stderr().match(/replacing it in 100 ms/g) || []).length, 2, 'one supervisor line per burst');
  await stopTolerant(srv);
});
