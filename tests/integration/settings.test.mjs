// Settings without a test elsewhere: keep-alive expiry, the Origin allow-list,
// the connection limit, and bad values refused at start-up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import WebSocket from 'ws';
import { binary, startServer } from '../lib/server.mjs';

const BENCH = 'bench/tina4-bench-server';

function openWs(url, opts = {}) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, opts);
    ws.on('open', () => resolve({ ws, ok: true }));
    ws.on('unexpected-response', (_req, res) => resolve({ ws, ok: false, status: res.statusCode }));
    ws.on('error', (e) => resolve({ ws, ok: false, error: e.code || e.message }));
  });
}

// Sends one keep-alive request; resolves with the ms until the server closed.
function keepAliveLife(port, waitMs) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    const t0 = Date.now();
    let got = '';
    s.on('connect', () => s.write('GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n'));
    s.on('data', (d) => { got += d; });
    s.on('error', reject);
    s.on('close', () => resolve({ closedAfter: Date.now() - t0, got }));
    setTimeout(() => { s.destroy(); resolve({ closedAfter: null, got }); }, waitMs);
  });
}

test('TINA4_HTTP_KEEPALIVE_TIMEOUT closes an idle keep-alive connection, not sooner', async (t) => {
  const srv = await startServer(BENCH, { env: { TINA4_HTTP_KEEPALIVE_TIMEOUT: '0.3' } });
  t.after(() => srv.stop());
  const r = await keepAliveLife(srv.port, 3000);
  assert.match(r.got, /^HTTP\/1\.1 404/);
  assert.ok(r.closedAfter !== null, 'closed by the server');
  assert.ok(r.closedAfter >= 250 && r.closedAfter < 1500, `closed after ${r.closedAfter} ms`);

  const dflt = await startServer(BENCH);
  t.after(() => dflt.stop());
  const d = await keepAliveLife(dflt.port, 800);
  assert.equal(d.closedAfter, null, 'the default (5 s) keeps it open for 0.8 s');
});

test('TINA4_WS_ALLOWED_ORIGINS: listed origins and clients without Origin upgrade; others get 403', async (t) => {
  const srv = await startServer(BENCH, { env: { TINA4_WS_ALLOWED_ORIGINS: 'https://good.example, http://localhost:3000' } });
  t.after(() => srv.stop());
  const good = await openWs(srv.wsUrl('/echo'), { origin: 'https://good.example' });
  assert.equal(good.ok, true);
  const second = await openWs(srv.wsUrl('/echo'), { origin: 'http://localhost:3000' });
  assert.equal(second.ok, true);
  const none = await openWs(srv.wsUrl('/echo'));
  assert.equal(none.ok, true);
  const bad = await openWs(srv.wsUrl('/echo'), { origin: 'https://evil.example' });
  assert.equal(bad.ok, false);
  assert.equal(bad.status, 403);
  for (const c of [good, second, none]) c.ws.close();
});

test('TINA4_MAX_CONNECTIONS refuses connections over the limit, and frees a slot on close', async (t) => {
  const srv = await startServer(BENCH, { env: { TINA4_MAX_CONNECTIONS: '3' } });
  t.after(() => srv.stop());
  // startServer's port probe is a connection too: let the server see it go.
  await new Promise((r) => setTimeout(r, 200));
  const three = await Promise.all([1, 2, 3].map(() => openWs(srv.wsUrl('/echo'))));
  assert.ok(three.every((c) => c.ok));
  const fourth = await openWs(srv.wsUrl('/echo'));
  assert.equal(fourth.ok, false, 'the fourth is refused');
  for (let i = 0; i < 100 && !/connection limit \(3\) reached/.test(srv.stderr()); i++) {
    await new Promise((r) => setTimeout(r, 20)); // the log line travels through a pipe
  }
  assert.match(srv.stderr(), /connection limit \(3\) reached/);
  await new Promise((r) => { three[0].ws.on('close', r); three[0].ws.close(); });
  await new Promise((r) => setTimeout(r, 100));
  const again = await openWs(srv.wsUrl('/echo'));
  assert.equal(again.ok, true, 'a slot is free again');
  for (const c of [three[1], three[2], again]) c.ws.close();
});

test('bad setting values stop the server at start with a clear message', () => {
  const cases = [
    ['TINA4_PORT', '70000'],
    ['TINA4_WS_MAX_MESSAGE', 'lots'],
    ['TINA4_WS_PING_INTERVAL', '-1'],
    ['TINA4_HTTP_MAX_BODY', '0'],
    ['TINA4_DEBUG', 'maybe'],
    ['TINA4_LOG_LEVEL', 'loud'],
    ['TINA4_WS_BACKPLANE', 'carrier-pigeon'],
  ];
  for (const [name, value] of cases) {
    const r = spawnSync(binary(BENCH), [], { env: { ...process.env, TINA4_HOST: '127.0.0.1', TINA4_PORT: '0', [name]: value }, encoding: 'utf8', timeout: 10000 });
    assert.notEqual(r.status, 0, `${name}=${value} must not start`);
    assert.ok(r.stderr.includes(name), `${name}=${value}: ${r.stderr}`);
  }
});
