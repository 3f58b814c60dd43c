// SPDX-License-Identifier: MIT
// Settings without a test elsewhere: keep-alive expiry, the Origin allow-list,
// the connection limit, and bad values refused at start-up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { binary, oneProcess, startServer } from '../lib/server.mjs';

const BENCH = 'bench/tina4-bench-server';

function openWs(url, opts = {}) {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, opts);
    ws.on('open', () => resolve({ ws, ok: true }));
    ws.on('unexpected-response', (_req, res) => resolve({ ws, ok: false, status: res.statusCode }));
    ws.on('error', (e) => resolve({ ws, ok: false, error: e.code || e.message }));
  });
}

// Polls fn (sync or async) until it returns something truthy; fails after 5 s.
async function waitFor(fn, what) {
  const deadline = Date.now() + 5000;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
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

// A raw upgrade request (so the Origin line is exactly what the test says:
// absent, empty, odd case...); resolves with the status of the answer.
function upgradeStatus(port, originLine) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => { s.destroy(); reject(new Error(`no answer to the upgrade (${JSON.stringify(originLine)})`)); }, 5000);
    s.on('connect', () => s.write('GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n' +
      (originLine === null ? '' : `${originLine}\r\n`) + '\r\n'));
    s.on('data', (d) => {
      got += d;
      const m = /^HTTP\/1\.1 (\d{3}) /.exec(got);
      if (m && got.includes('\r\n\r\n')) { clearTimeout(timer); s.destroy(); resolve(Number(m[1])); }
    });
    s.on('error', (e) => { clearTimeout(timer); reject(e); });
  });
}

async function expectStatuses(port, cases) {
  for (const [line, want] of cases) {
    assert.equal(await upgradeStatus(port, line), want, `${JSON.stringify(line)} must get ${want}`);
  }
}

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

test('TINA4_WS_ALLOWED_ORIGINS matches whole values: prefixes, extensions and empty Origins get 403', async (t) => {
  const srv = await startServer(BENCH, { env: { TINA4_WS_ALLOWED_ORIGINS: 'https://good.example, http://localhost:3000' } });
  t.after(() => srv.stop());
  await expectStatuses(srv.port, [
    ['Origin: http://localhost:3000', 101], // exact
    ['Origin: https://good.example', 101],
    [null, 101], // no Origin header: a non-browser client (README)
    // The comparison ignores case (scheme and host are case-insensitive).
    ['Origin: HTTP://LOCALHOST:3000', 101],
    ['Origin: https://Good.Example', 101],
    // A prefix of an allowed origin is not that origin.
    ['Origin: http://localhost:3', 403],
    ['Origin: http://localhost:300', 403],
    ['Origin: h', 403],
    ['Origin: https://good.exampl', 403],
    // Nor is an empty one (with or without the space).
    ['Origin:', 403],
    ['Origin: ', 403],
    // Nor anything longer that starts with one.
    ['Origin: http://localhost:30000', 403],
    ['Origin: https://good.example.evil.example', 403],
    ['Origin: https://good.example, http://localhost:3000', 403], // the whole setting as the value
    ['Origin: null', 403],
    ['Origin: https://evil.example', 403],
  ]);
});

test('TINA4_WS_ALLOWED_ORIGINS: a list with several origins, spaces and empty items', async (t) => {
  const srv = await startServer(BENCH, {
    env: { TINA4_WS_ALLOWED_ORIGINS: '  https://a.example ,, http://b.example:8080,https://c.example' },
  });
  t.after(() => srv.stop());
  await expectStatuses(srv.port, [
    ['Origin: https://a.example', 101],
    ['Origin: http://b.example:8080', 101],
    ['Origin: https://c.example', 101],
    [null, 101],
    ['Origin: https://a.example ,', 403],
    ['Origin: http://b.example', 403],
    ['Origin: https://c.exampl', 403],
    ['Origin: https://d.example', 403],
    ['Origin:', 403],
  ]);
});

// The empty item after a trailing ',' or ' ' must not match an empty Origin.
test('TINA4_WS_ALLOWED_ORIGINS ending in a comma or space still refuses an empty Origin', async (t) => {
  for (const list of ['https://a.example,', 'https://a.example ', ' , ,']) {
    const srv = await startServer(BENCH, { env: { TINA4_WS_ALLOWED_ORIGINS: list } });
    t.after(() => srv.stop());
    await expectStatuses(srv.port, [['Origin:', 403], ['Origin: ', 403]]);
    if (list.includes('a.example')) await expectStatuses(srv.port, [['Origin: https://a.example', 101]]);
  }
});

test('TINA4_WS_ALLOWED_ORIGINS=* (and unset) allow any Origin', async (t) => {
  const star = await startServer(BENCH, { env: { TINA4_WS_ALLOWED_ORIGINS: '*' } });
  t.after(() => star.stop());
  await expectStatuses(star.port, [['Origin: https://evil.example', 101], ['Origin:', 101], [null, 101]]);
  const unset = await startServer(BENCH);
  t.after(() => unset.stop());
  await expectStatuses(unset.port, [['Origin: https://evil.example', 101], [null, 101]]);
});

test('TINA4_HTTP_HEADER_TIMEOUT runs from the first byte: a head trickled a byte at a time gets 408 on time', async (t) => {
  const srv = await startServer(BENCH, { env: { TINA4_HTTP_HEADER_TIMEOUT: '1' } });
  t.after(() => srv.stop());
  // 5 bytes a second: the whole head would take ~16 s, each byte well inside
  // the timeout of the one before. Only the clock of the first byte ends it.
  const head = `GET /nothing HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(40)}\r\n\r\n`;
  const r = await new Promise((resolve) => {
    const s = net.connect(srv.port, '127.0.0.1');
    let got = '';
    let sent = 0;
    let t0 = 0;
    let pace;
    const done = (closed) => {
      clearTimeout(pace);
      clearTimeout(deadline);
      s.destroy();
      resolve({ got, sent, closed, after: Date.now() - t0 });
    };
    // Give up well before the head would be complete.
    const deadline = setTimeout(() => done(false), 8000);
    const trickle = () => {
      if (got || sent === head.length) return; // answered: stop writing into a closing socket
      s.write(head[sent++]);
      pace = setTimeout(trickle, 200);
    };
    s.on('connect', () => { t0 = Date.now(); trickle(); });
    s.on('data', (d) => { got += d; });
    s.on('close', () => done(true));
    s.on('error', () => {});
  });
  assert.ok(r.closed, `still open ${r.after} ms after the first byte (${r.sent} of ${head.length} bytes sent; got ${JSON.stringify(r.got)})`);
  assert.ok(r.sent < head.length, 'the head was never completed');
  if (r.got) assert.match(r.got, /^HTTP\/1\.1 408 /);
  // 1 s timeout, a sweep every 0.25 s; the rest is margin for a loaded machine.
  assert.ok(r.after >= 900 && r.after < 4000, `closed ${r.after} ms after the first byte`);
});

test('TINA4_HTTP_HEADER_TIMEOUT also bounds a client that stops reading its response', async (t) => {
  // Larger than what the kernel buffers on loopback, so the server cannot
  // finish writing it while the client does not read.
  const SIZE = 64 * 1024 * 1024;
  const dir = mkdtempSync(path.join(tmpdir(), 't4-stall-'));
  writeFileSync(path.join(dir, 'big.bin'), Buffer.alloc(SIZE, 7));
  const srv = await startServer(BENCH, { env: { TINA4_HTTP_HEADER_TIMEOUT: '1', TINA4_PUBLIC: dir } });
  t.after(async () => { await srv.stop(); rmSync(dir, { recursive: true, force: true }); });
  const s = net.connect(srv.port, '127.0.0.1');
  s.on('error', () => {});
  let got = 0;
  const closed = new Promise((resolve) => s.on('close', resolve));
  await new Promise((r) => s.on('connect', r));
  s.pause(); // never reads until the server has given up on it
  s.write('GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n');
  const t0 = Date.now();
  await waitFor(() => /client stopped reading its responses; closing/.test(srv.stderr()), 'the server to drop the stalled reader');
  const took = Date.now() - t0;
  s.on('data', (d) => { got += d.length; });
  s.resume();
  await closed;
  assert.ok(got < SIZE, `the whole ${SIZE}-byte file arrived: the stalled connection was kept`);
  assert.ok(took >= 900 && took < 4500, `dropped ${took} ms after its output stalled (timeout 1 s)`);
});

// A client with a 4 KiB receive buffer pipelines 400 requests for 64 KiB
// each and never reads; after a second, how many did the server answer?
// TINA4_HTTP_MAX_BACKPRESSURE bounds it: what the kernel's socket buffers
// took, plus the setting, plus one response.
function pipelinedAnswered(port) {
  const py = `
import socket, sys, time, json, urllib.request
port = int(sys.argv[1])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", port))
s.sendall(b"GET /api/big?n=65536 HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n" * 400)
last = -1
for _ in range(40):  # until the count settles (it stops growing for 0.3 s)
    time.sleep(0.3)
    n = json.load(urllib.request.urlopen("http://127.0.0.1:%d/api/big/served" % port))["served"]
    if n == last:
        break
    last = n
print(n)
s.close()
`;
  const r = spawnSync('python3', ['-c', py, String(port)], { encoding: 'utf8', timeout: 30000 });
  if (r.status !== 0) throw new Error(`python: ${r.stderr}`);
  return Number(r.stdout.trim());
}

test('TINA4_HTTP_MAX_BACKPRESSURE: a pipelining client that does not read gets only that much answered ahead', oneProcess('it counts one process\'s answers'), async (t) => {
  const answeredWith = async (setting) => {
    const srv = await startServer('tests/servers/api_server', { env: { TINA4_HTTP_MAX_BACKPRESSURE: setting } });
    try {
      return pipelinedAnswered(srv.port);
    } finally {
      await srv.stop();
    }
  };
  const fewer = await answeredWith('64K');
  const more = await answeredWith('8M');
  t.diagnostic(`answered ahead of a reader that never reads: ${fewer} with 64K, ${more} with 8M`);
  // 64 KiB responses: 64K allows one or two past what the kernel's socket
  // buffers took (loopback autotuning: ~3 MB here), 8M about 128 more.
  assert.ok(more >= fewer + 64, `8M answered ${more}, 64K answered ${fewer}`);
  assert.ok(fewer < 120, `64K answered ${fewer} requests of 64 KiB ahead of a client that does not read`);
});

test('TINA4_SHUTDOWN_TIMEOUT bounds a shutdown held up by a client that does not read', async (t) => {
  const SIZE = 64 * 1024 * 1024; // more than loopback buffers hold
  const dir = mkdtempSync(path.join(tmpdir(), 't4-shut-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'big.bin'), Buffer.alloc(SIZE, 7));
  // Every other bound far away: only the shutdown timeout can end it.
  const srv = await startServer(BENCH, {
    env: { TINA4_SHUTDOWN_TIMEOUT: '1', TINA4_WS_CLOSE_TIMEOUT: '60', TINA4_HTTP_HEADER_TIMEOUT: '60', TINA4_PUBLIC: dir },
  });
  const s = net.connect(srv.port, '127.0.0.1');
  s.on('error', () => {});
  await new Promise((r) => s.on('connect', r));
  const started = new Promise((r) => s.once('data', r));
  s.write('GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n');
  await started; // the response is under way...
  s.pause(); // ...and from now on nobody reads it
  const t0 = Date.now();
  await srv.stop('SIGTERM', { timeoutMs: 15000 }); // exit 0 within the bound, or it throws
  const took = Date.now() - t0;
  s.destroy();
  assert.ok(took < 5000, `exited ${took} ms after SIGTERM (TINA4_SHUTDOWN_TIMEOUT=1)`);
  assert.match(srv.stderr(), /shutdown timeout: closing 1 remaining connection/);
});

test('TINA4_MAX_CONNECTIONS refuses connections over the limit, and frees a slot on close', oneProcess('the limit is per worker'), async (t) => {
  const srv = await startServer(BENCH, { env: { TINA4_MAX_CONNECTIONS: '3' } });
  t.after(() => srv.stop());
  // startServer's port probe was a connection too: the server may not have
  // seen it go yet, so open until three are accepted (bounded).
  const three = [];
  await waitFor(async () => {
    const c = await openWs(srv.wsUrl('/echo'));
    if (c.ok) three.push(c);
    return three.length === 3;
  }, 'three connections accepted');
  const fourth = await openWs(srv.wsUrl('/echo'));
  assert.equal(fourth.ok, false, 'the fourth is refused');
  await waitFor(() => /connection limit \(3\) reached/.test(srv.stderr()), 'the limit warning'); // through a pipe
  await new Promise((r) => { three[0].ws.on('close', r); three[0].ws.close(); });
  // The client sees the close before the server has freed the slot: retry
  // until a connection is accepted again (bounded).
  const again = await waitFor(async () => {
    const c = await openWs(srv.wsUrl('/echo'));
    return c.ok ? c : null;
  }, 'a free slot after a close');
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
