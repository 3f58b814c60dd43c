// SPDX-License-Identifier: MIT
// Route options: upgrade guards (T4_WEBSOCKET_GUARDED), decided before the
// 101, where a refusal is an HTTP status and the handler never sees the
// connection; and subprotocol selection (T4_WEBSOCKET_WITH .protocols).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { oneProcess, startServer } from '../lib/server.mjs';

function attempt(url, opts = {}) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, opts);
    ws.on('message', (d) => resolve({ ws, ok: true, first: d.toString() }));
    ws.on('unexpected-response', (_req, res) => resolve({ ws, ok: false, status: res.statusCode }));
    ws.on('error', (e) => resolve({ ws, ok: false, error: e.message }));
  });
}

test('a guard accepts, refuses with its status, and refused upgrades leave no OPEN or CLOSE', oneProcess('the counters it reads over HTTP are per process'), async (t) => {
  const srv = await startServer('tests/servers/api_server');
  t.after(() => srv.stop());
  const good = await attempt(srv.wsUrl('/api/guarded?token=ok'));
  assert.equal(good.ok, true);
  assert.equal(good.first, 'welcome ok', 'nothing sent by the guard arrives before the handler\'s first message');

  assert.equal((await attempt(srv.wsUrl('/api/guarded'))).status, 401);
  assert.equal((await attempt(srv.wsUrl('/api/guarded?token=teapot'))).status, 418);
  assert.equal((await attempt(srv.wsUrl('/api/guarded?token=nope'))).status, 403);
  const weird = await attempt(srv.wsUrl('/api/guarded?token=ok'), { headers: { 'X-Guard-Weird': '1' } });
  assert.equal(weird.status, 500, 'a guard result outside 400-599 refuses with 500');
  // The log line travels through a pipe: give it a moment to arrive.
  for (let i = 0; i < 100 && !/guard for \/api\/guarded returned 200/.test(srv.stderr()); i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.match(srv.stderr(), /guard for \/api\/guarded returned 200/);

  await new Promise((r) => { good.ws.on('close', r); good.ws.close(); });
  await new Promise((r) => setTimeout(r, 100));
  const stats = await (await fetch(srv.url('/api/guarded/stats'))).json();
  assert.equal(stats.opens, 1);
  assert.equal(stats.closes, 1);
});

test('subprotocols: the route picks its preferred one the client offers; none offered, none selected', async (t) => {
  const srv = await startServer('tests/servers/api_server');
  t.after(() => srv.stop());
  const pick = async (protocols) => {
    const ws = new WebSocket(srv.wsUrl('/api/proto'), protocols);
    const r = await new Promise((resolve) => {
      ws.on('message', (d) => resolve({ first: d.toString(), protocol: ws.protocol }));
      ws.on('error', (e) => resolve({ error: e.message }));
    });
    ws.close();
    return r;
  };
  assert.deepEqual(await pick(['v1.chat', 'v2.chat']), { first: 'protocol=v2.chat', protocol: 'v2.chat' });
  assert.deepEqual(await pick(['v1.chat']), { first: 'protocol=v1.chat', protocol: 'v1.chat' });
  assert.deepEqual(await pick([]), { first: 'protocol=(none)', protocol: '' });
  // A client whose protocols the route does not speak gets none back, and
  // a conforming client (ws) then fails the connection.
  const other = await pick(['mqtt']);
  assert.match(other.error, /subprotocol/i);
  // Registration refuses a protocol list that is not made of HTTP tokens.
  const stats = await (await fetch(srv.url('/api/guarded/stats'))).json();
  assert.equal(stats.bad_protocols_rc, -1, 'T4_EINVAL');
});
