// SPDX-License-Identifier: MIT
// frond.js without a live connection: URL resolution, the documented backoff
// formula, the ways the file loads, and that the server serves this file.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { BENCH, ROOT, WebSocket, frond, record, startServer } from './helpers.mjs';

let srv;
before(async () => {
  srv = await startServer(BENCH);
});
after(async () => {
  const { code } = await srv.stop();
  assert.equal(code, 0);
});

test('relative URLs take ws: or wss: from the page and its host', () => {
  const r = frond.resolveUrl;
  assert.equal(r('/ws/chat/general', 'http://example.com:7145/chat/x'), 'ws://example.com:7145/ws/chat/general');
  assert.equal(r('/ws/chat/general', 'https://example.com/chat/x'), 'wss://example.com/ws/chat/general');
  assert.equal(r('/ws/a?x=1&y=2', 'http://127.0.0.1:9/'), 'ws://127.0.0.1:9/ws/a?x=1&y=2');
  assert.equal(r('ws/b', 'http://h/app/page'), 'ws://h/app/ws/b', 'path-relative');
  assert.equal(r('//other:81/w', 'https://h/'), 'wss://other:81/w', 'protocol-relative');
  assert.equal(r('/w#frag', 'http://h/'), 'ws://h/w', 'fragment dropped');
  // absolute URLs: ws(s) unchanged, http(s) mapped
  assert.equal(r('ws://a:1/x', 'https://h/'), 'ws://a:1/x');
  assert.equal(r('wss://a/x', 'http://h/'), 'wss://a/x');
  assert.equal(r('http://a:2/x', undefined), 'ws://a:2/x');
  assert.equal(r('https://a/x', undefined), 'wss://a/x');
  assert.throws(() => r('/x', undefined), /cannot resolve/);
});

test('a relative URL connects to the page host (baseUrl and globalThis.location)', async () => {
  const a = record('/echo', { baseUrl: srv.url('/chat/general'), reconnect: false });
  assert.equal(a.ws.url, `ws://127.0.0.1:${srv.port}/echo`);
  await a.wait('open');
  a.ws.send('via baseUrl');
  assert.equal((await a.wait('message'))[0], 'via baseUrl');
  a.ws.close();
  await a.wait('close');

  // As in a browser: the page's location and a global WebSocket.
  globalThis.location = { href: srv.url('/chat/general'), protocol: 'http:', host: `127.0.0.1:${srv.port}` };
  globalThis.WebSocket = WebSocket;
  try {
    const ws = frond.ws('/echo', { reconnect: false });
    assert.equal(ws.url, `ws://127.0.0.1:${srv.port}/echo`);
    const got = await new Promise((resolve, reject) => {
      ws.on('open', () => ws.send('via location'));
      ws.on('message', resolve);
      ws.on('error', reject);
    });
    assert.equal(got, 'via location');
    ws.close();
  } finally {
    delete globalThis.location;
    delete globalThis.WebSocket;
  }
  assert.throws(() => frond.ws('ws://127.0.0.1:1/x'), /no WebSocket implementation/);
  assert.throws(() => frond.ws('ws://[not a host/x', { WebSocket }), /Invalid URL/i, 'thrown by frond.ws() itself');
});

test('backoff: min(maxReconnectDelay, reconnectInterval * 2^(n-1)) * (0.5 + random()/2)', () => {
  const d = (n, rnd, o) => frond.reconnectDelay(n, o ?? frond.defaults, rnd);
  // defaults 3000 / 30000: lower bound (random() = 0) and upper bound (random() -> 1)
  assert.deepEqual([1, 2, 3, 4, 5, 6, 20].map((n) => d(n, 0)), [1500, 3000, 6000, 12000, 15000, 15000, 15000]);
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => d(n, 1)), [3000, 6000, 12000, 24000, 30000, 30000]);
  assert.equal(d(2, 0.5), 4500);
  assert.equal(d(3, 0, { reconnectInterval: 100, maxReconnectDelay: 250 }), 125);
  for (let i = 0; i < 1000; i++) {
    const v = frond.reconnectDelay(3, frond.defaults);
    assert.ok(v >= 6000 && v < 12000, String(v));
  }
  assert.equal(frond.defaults.reconnect, true);
  assert.equal(frond.defaults.reconnectInterval, 3000);
  assert.equal(frond.defaults.maxReconnectAttempts, 10);
  assert.equal(frond.defaults.maxReconnectDelay, 30000);
  assert.equal(frond.defaults.maxBuffer, 1000);
});

test('loads as CommonJS, as an ES module, and as a plain script', async () => {
  const esm = await import('../../js/frond.mjs');
  assert.equal(esm.default, frond);
  assert.equal(esm.ws, frond.ws);
  // A classic <script>: no module, no exports; it sets window.frond and
  // keeps what an existing window.frond already had.
  const src = readFileSync(path.join(ROOT, 'js/frond.js'), 'utf8');
  const win = { frond: { other: 1 } };
  new Function('globalThis', 'self', 'module', src).call(undefined, win, win, undefined);
  assert.equal(typeof win.frond.ws, 'function');
  assert.equal(win.frond.other, 1);
  const win2 = {};
  new Function('globalThis', 'self', 'module', src).call(undefined, win2, win2, undefined);
  assert.equal(typeof win2.frond.ws, 'function');
});

test('the server serves exactly js/frond.js at GET /js/frond.js', async () => {
  const res = await fetch(srv.url('/js/frond.js'));
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type'), /^text\/javascript/);
  const body = await res.text();
  const file = readFileSync(path.join(ROOT, 'js/frond.js'), 'utf8');
  assert.ok(body === file, `the served frond.js (${body.length} bytes) is not js/frond.js (${file.length} bytes): rebuild after editing js/frond.js`);
});
