// Upgrade guards (T4_WEBSOCKET_GUARDED): decided before the 101, a refusal
// is an HTTP status and the handler never sees the connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startServer } from '../lib/server.mjs';

function attempt(url, opts = {}) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, opts);
    ws.on('message', (d) => resolve({ ws, ok: true, first: d.toString() }));
    ws.on('unexpected-response', (_req, res) => resolve({ ws, ok: false, status: res.statusCode }));
    ws.on('error', (e) => resolve({ ws, ok: false, error: e.message }));
  });
}

test('a guard accepts, refuses with its status, and refused upgrades leave no OPEN or CLOSE', async (t) => {
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
  assert.deepEqual(stats, { opens: 1, closes: 1 });
});
