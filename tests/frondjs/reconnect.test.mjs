// SPDX-License-Identifier: MIT
// Reconnecting against the real server: the server is stopped and started
// again on the same port; attempt numbering, reconnect_failed once, close()
// stops reconnecting (while open and while waiting between attempts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { freePort } from '../lib/server.mjs';
import { BENCH, record, sleep, startServer } from './helpers.mjs';

const FAST = { reconnectInterval: 40, maxReconnectDelay: 200, maxReconnectAttempts: 100 };
const restart = (port) => startServer(BENCH, { env: { TINA4_PORT: String(port) } });

test('reconnects after the server is killed and restarted on the same port', async (t) => {
  let srv = await startServer(BENCH);
  const port = srv.port;
  const r = record(srv.wsUrl('/broadcast/room1'), FAST);
  t.after(() => { r.ws.close(); return srv.stop(); });
  await r.wait('open');
  r.ws.send('before');
  await r.wait('message', (d) => d === 'before');

  // Graceful stop: the server closes WebSockets with 1001 (going away).
  await srv.stop();
  const [code, , willReconnect] = await r.wait('close');
  assert.equal(code, 1001);
  assert.equal(willReconnect, true);
  assert.equal(r.ws.connected, false);
  assert.equal(r.ws.readyState, 0, 'CONNECTING while it reconnects');
  await r.wait('reconnect', (n) => n >= 2); // some attempts fail while it is down

  srv = await restart(port);
  const at = r.log.length;
  await r.wait('open', () => true, { from: at });
  assert.equal(r.ws.connected, true);
  r.ws.send('after');
  await r.wait('message', (d) => d === 'after');
  assert.equal(r.ws.reconnectAttempt, 0, 'the count restarts after an open');
  const firstOutage = r.log.filter((e) => e.name === 'reconnect').map((e) => e.args[0]);
  assert.deepEqual(firstOutage, firstOutage.map((_, i) => i + 1), 'attempts 1, 2, 3, ...');

  // A hard kill (no close frame): 1006, and it comes back again.
  const n = r.count('open');
  const from = r.log.length;
  await srv.stop('SIGKILL'); // expects death by SIGKILL
  const [code2] = await r.wait('close', () => true, { from });
  assert.equal(code2, 1006);
  srv = await restart(port);
  const [first] = await r.wait('reconnect', () => true, { from });
  await r.wait('open', () => true, { from });
  assert.equal(r.count('open'), n + 1);
  // numbering restarted at 1 for the new outage
  const after = r.log.slice(from).filter((e) => e.name === 'reconnect').map((e) => e.args[0]);
  assert.equal(first, 1);
  assert.deepEqual(after, after.map((_, i) => i + 1));
  assert.equal(r.count('reconnect_failed'), 0);
  r.ws.close();
  await r.wait('close', (c, reason, will) => will === false);
});

test('attempts are numbered 1..max, with growing delays; reconnect_failed fires once', async () => {
  const port = await freePort(); // nothing listens here
  const r = record(`ws://127.0.0.1:${port}/echo`, {
    reconnectInterval: 20,
    maxReconnectDelay: 80,
    maxReconnectAttempts: 4,
  });
  await r.wait('reconnect_failed');
  await sleep(300); // nothing more happens
  const attempts = r.log.filter((e) => e.name === 'reconnect');
  assert.deepEqual(attempts.map((e) => e.args[0]), [1, 2, 3, 4]);
  // documented delays: min(80, 20 * 2^(n-1)) * [0.5, 1)
  const bounds = [[10, 20], [20, 40], [40, 80], [40, 80]];
  attempts.forEach((e, i) => {
    const d = e.args[1];
    assert.ok(d >= bounds[i][0] && d < bounds[i][1], `attempt ${i + 1} delay ${d}`);
  });
  assert.equal(r.count('reconnect_failed'), 1);
  // the first try plus four attempts each failed: five closes; only the last says "no retry"
  const closes = r.log.filter((e) => e.name === 'close').map((e) => e.args[2]);
  assert.deepEqual(closes, [true, true, true, true, false]);
  assert.equal(r.names().at(-1), 'reconnect_failed');
  assert.equal(r.ws.readyState, 3);
  assert.equal(r.ws.send('late'), false);
  r.ws.close(); // harmless after giving up
  assert.equal(r.count('close'), 5);
});

test('reconnect: false never reconnects; maxReconnectAttempts: 0 gives up at once', async () => {
  const port = await freePort();
  const a = record(`ws://127.0.0.1:${port}/echo`, { reconnect: false, reconnectInterval: 10 });
  await a.wait('close');
  const b = record(`ws://127.0.0.1:${port}/echo`, { maxReconnectAttempts: 0, reconnectInterval: 10 });
  await b.wait('reconnect_failed');
  await sleep(150);
  assert.equal(a.count('reconnect') + b.count('reconnect'), 0);
  assert.equal(a.count('reconnect_failed'), 0);
  assert.equal(b.count('reconnect_failed'), 1);
});

test('close() stops reconnecting, whether open or waiting between attempts', async (t) => {
  let srv = await startServer(BENCH);
  const port = srv.port;
  const open = record(srv.wsUrl('/echo'), FAST);
  const waiting = record(srv.wsUrl('/echo'), { ...FAST, reconnectInterval: 400, maxReconnectDelay: 400 });
  t.after(() => { open.ws.close(); waiting.ws.close(); return srv.stop(); });
  await Promise.all([open.wait('open'), waiting.wait('open')]);

  open.ws.close(1000, 'done');
  const [code, , will] = await open.wait('close');
  assert.equal(code, 1000);
  assert.equal(will, false);

  await srv.stop();
  await waiting.wait('close', (c, reason, w) => w === true);
  // now between attempts (the first waits 200-400 ms): close() ends it
  waiting.ws.close(1000, 'bye');
  const last = waiting.log.at(-1);
  assert.equal(last.name, 'close');
  assert.deepEqual(last.args, [1000, 'bye', false]);
  assert.equal(waiting.ws.readyState, 3);

  srv = await restart(port);
  await sleep(700);
  assert.equal(open.count('reconnect'), 0);
  assert.equal(waiting.count('reconnect'), 0);
  assert.equal(open.count('open'), 1);
  assert.equal(waiting.count('open'), 1);
  assert.equal(open.ws.send('x'), false, 'send after close() drops');
});
