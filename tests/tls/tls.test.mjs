// SPDX-License-Identifier: MIT
// TLS built in: real clients (curl, node ws and tls, python ssl + websockets,
// openssl s_client) against the bench server with a test CA made at test
// time; bad handshakes each get a clean close while the server keeps serving.
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { startServer } from '../lib/server.mjs';
import { reissue, testCerts } from '../lib/tls_certs.mjs';

const run = promisify(execFile);
const BIN = 'bench/tina4-bench-server';
// Debian's python3 (python3-websockets), not a pyenv shim earlier on PATH.
const PY = fs.existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const certs = testCerts();
const pub = fs.mkdtempSync(path.join(os.tmpdir(), 't4-tls-pub-'));
const big = Buffer.alloc(3 * 1024 * 1024 + 17);
for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 11)) & 255;
fs.writeFileSync(path.join(pub, 'big.bin'), big);
fs.writeFileSync(path.join(pub, 'small.txt'), 'hello over tls\n');

let srv;
before(async () => {
  srv = await startServer(BIN, { env: { ...certs.env, TINA4_PUBLIC: pub, TINA4_LOG_LEVEL: 'warn' } });
});
after(async () => {
  await srv?.stop('SIGKILL', { expect: 'any' }).catch(() => {});
  fs.rmSync(pub, { recursive: true, force: true });
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function wss(port, p = '/echo', opts = {}) {
  const ws = new WebSocket(`wss://localhost:${port}${p}`, { ca: certs.caPem, ...opts });
  const got = [];
  const waiters = [];
  ws.on('message', (d) => { got.push(d.toString()); waiters.splice(0).forEach((w) => w()); });
  ws.on('error', () => {});
  const opened = new Promise((res, rej) => { ws.once('open', res); ws.once('error', rej); });
  const closed = new Promise((res) => ws.once('close', (code) => res(code)));
  async function until(n, ms = 5000) {
    const t = Date.now() + ms;
    while (got.length < n) {
      if (Date.now() > t) throw new Error(`got ${got.length} of ${n} messages`);
      await new Promise((r) => { waiters.push(r); setTimeout(r, 100); });
    }
  }
  return { ws, got, opened, closed, until };
}

/** Whether the server still serves https (a fresh handshake and a request). */
async function serving(port) {
  const { stdout } = await run('curl', ['-sS', '--cacert', certs.ca, '-o', '/dev/null', '-w', '%{http_code}',
    `https://localhost:${port}/small.txt`, '--resolve', `localhost:${port}:127.0.0.1`, '-m', '10']);
  return stdout === '200';
}

test('curl --cacert: https with TLS 1.2 and 1.3, ALPN http/1.1, static files streamed whole', async () => {
  const base = ['-sS', '--cacert', certs.ca, '--resolve', `localhost:${srv.port}:127.0.0.1`, '-m', '20'];
  for (const v of [['--tlsv1.3'], ['--tlsv1.2', '--tls-max', '1.2']]) {
    const { stdout } = await run('curl', [...base, ...v, '-w', '\n%{http_code} %{http_version}',
      `https://localhost:${srv.port}/small.txt`]);
    assert.equal(stdout, 'hello over tls\n\n200 1.1');
  }
  const out = path.join(pub, 'download.bin');
  const { stdout } = await run('curl', [...base, '-o', out, '-w', '%{http_code}', `https://localhost:${srv.port}/big.bin`]);
  assert.equal(stdout, '200');
  assert.ok(fs.readFileSync(out).equals(big), 'the 3 MiB file arrived intact over TLS');
  fs.rmSync(out);
  // A Range over TLS, and the handshake offers http/1.1 only.
  const r = await run('curl', [...base, '-r', '1000-1999', '-o', '-', `https://localhost:${srv.port}/big.bin`],
    { encoding: 'buffer', maxBuffer: 1 << 20 });
  assert.ok(r.stdout.equals(big.subarray(1000, 2000)));
  const alpn = await new Promise((res, rej) => {
    const s = tls.connect({ port: srv.port, host: '127.0.0.1', servername: 'localhost', ca: certs.caPem,
      ALPNProtocols: ['h2', 'http/1.1'] }, () => { res(s.alpnProtocol); s.destroy(); });
    s.on('error', rej);
  });
  assert.equal(alpn, 'http/1.1');
});

test('node ws over wss with the test CA: echo, large messages, broadcast to a room', async () => {
  const a = wss(srv.port, '/echo');
  await a.opened;
  for (let i = 0; i < 50; i++) a.ws.send(`m${i}`);
  const large = 'x'.repeat(300000);
  a.ws.send(large);
  await a.until(51);
  assert.deepEqual(a.got.slice(0, 50), Array.from({ length: 50 }, (_, i) => `m${i}`));
  assert.equal(a.got[50], large);
  const room = [wss(srv.port, '/broadcast/r1'), wss(srv.port, '/broadcast/r1'), wss(srv.port, '/broadcast/r1')];
  await Promise.all(room.map((c) => c.opened));
  room[0].ws.send('to everyone');
  await Promise.all(room.map((c) => c.until(1)));
  for (const c of room) assert.equal(c.got[0], 'to everyone');
  for (const c of [a, ...room]) c.ws.close(1000);
  assert.deepEqual(await Promise.all([a, ...room].map((c) => c.closed)), [1000, 1000, 1000, 1000]);
});

test('python3 ssl + websockets (Debian) over wss', async (t) => {
  if (spawnSync(PY, ['-c', 'import websockets']).status !== 0) {
    t.skip('python3-websockets is not installed (scripts/setup.sh installs it)');
    return;
  }
  const py = `
import asyncio, ssl, sys, websockets
async def main():
    ctx = ssl.create_default_context(cafile=sys.argv[2])
    async with websockets.connect(f"wss://localhost:{sys.argv[1]}/echo", ssl=ctx) as ws:
        for i in range(20):
            await ws.send(f"py{i}")
        got = [await ws.recv() for _ in range(20)]
        assert got == [f"py{i}" for i in range(20)], got
        print("ok", ws.transport.get_extra_info("ssl_object").version())
asyncio.run(main())
`;
  const { stdout } = await run(PY, ['-c', py, String(srv.port), certs.ca], { timeout: 20000 });
  assert.match(stdout, /^ok TLSv1\.3/);
});

test('session tickets: a second connection resumes without a full handshake', async () => {
  const first = await new Promise((res, rej) => {
    const s = tls.connect({ port: srv.port, host: '127.0.0.1', servername: 'localhost', ca: certs.caPem });
    s.once('session', (sess) => { res(sess); s.end(); });
    s.on('error', rej);
    s.on('secureConnect', () => s.write('GET /small.txt HTTP/1.1\r\nHost: localhost\r\n\r\n'));
  });
  const reused = await new Promise((res, rej) => {
    const s = tls.connect({ port: srv.port, host: '127.0.0.1', servername: 'localhost', ca: certs.caPem, session: first },
      () => { res(s.isSessionReused()); s.destroy(); });
    s.on('error', rej);
  });
  assert.equal(reused, true);
});

/** Sends bytes on a raw TCP socket; resolves with what came back and how it ended. */
function rawExchange(port, bytes, ms = 4000) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => { s.destroy(); resolve({ got, ended: false }); }, ms);
    s.on('connect', () => s.write(bytes));
    s.on('data', (d) => { got = Buffer.concat([got, d]); });
    s.on('error', () => {});
    s.on('close', () => { clearTimeout(timer); resolve({ got, ended: true }); });
  });
}

test('bad handshakes: plain HTTP, garbage, TLS 1.0/1.1 offers are closed cleanly, the server keeps serving', async () => {
  const plain = await rawExchange(srv.port, 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
  assert.equal(plain.ended, true, 'plain text to the TLS port is closed');
  assert.ok(!plain.got.toString('latin1').startsWith('HTTP/'), 'no plain HTTP answer on a TLS-only port');
  const junk = await rawExchange(srv.port, Buffer.from([0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5, 0xff, 0xee]));
  assert.equal(junk.ended, true, 'a garbage handshake record is closed');
  const noise = await rawExchange(srv.port, Buffer.alloc(5000, 0x41));
  assert.equal(noise.ended, true, 'random bytes are closed');
  for (const v of ['-tls1', '-tls1_1']) {
    const r = spawnSync('openssl', ['s_client', v, '-connect', `127.0.0.1:${srv.port}`, '-servername', 'localhost',
      '-CAfile', certs.ca], { input: '', timeout: 10000 });
    assert.notEqual(r.status, 0, `openssl s_client ${v} must fail`);
    assert.doesNotMatch(r.stdout.toString(), /Cipher is (?!\(NONE\))/, `${v} negotiated nothing`);
  }
  assert.equal(await serving(srv.port), true);
});

test('a handshake trickled byte by byte completes; a stalled one is dropped after TINA4_TLS_HANDSHAKE_TIMEOUT', async () => {
  const own = await startServer(BIN, { env: { ...certs.env, TINA4_TLS_HANDSHAKE_TIMEOUT: '1.5', TINA4_PUBLIC: pub,
    TINA4_LOG_LEVEL: 'warn' } });
  // A proxy that forwards the client's bytes one at a time.
  const proxy = net.createServer((down) => {
    const up = net.connect(own.port, '127.0.0.1');
    up.setNoDelay(true);
    let chain = Promise.resolve();
    down.on('data', (d) => {
      for (const b of d) chain = chain.then(async () => { up.write(Buffer.from([b])); await sleep(1); });
    });
    up.on('data', (d) => down.write(d));
    const end = () => { up.destroy(); down.destroy(); };
    up.on('close', end); down.on('close', end); up.on('error', end); down.on('error', end);
  });
  await new Promise((r) => proxy.listen(0, '127.0.0.1', r));
  try {
    const body = await new Promise((res, rej) => {
      const s = tls.connect({ port: proxy.address().port, host: '127.0.0.1', servername: 'localhost', ca: certs.caPem },
        () => s.write('GET /small.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'));
      let got = '';
      s.on('data', (d) => { got += d; });
      s.on('end', () => res(got));
      s.on('error', rej);
    });
    assert.match(body, /^HTTP\/1\.1 200 [\s\S]*hello over tls\n$/);
    // Five bytes of a record header, then nothing.
    const t0 = Date.now();
    const stalled = await rawExchange(own.port, Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]), 8000);
    assert.equal(stalled.ended, true, 'the stalled handshake was dropped');
    const took = Date.now() - t0;
    assert.ok(took >= 1200 && took < 5000, `dropped after ${took} ms (timeout 1.5 s)`);
    assert.equal(await serving(own.port), true);
  } finally {
    proxy.close();
    await own.stop();
  }
});

test('TINA4_TLS_REDIRECT: plain requests get 308 to https, plain upgrades 400, TLS still served', async () => {
  const own = await startServer(BIN, { env: { ...certs.env, TINA4_TLS_REDIRECT: 'true', TINA4_PUBLIC: pub,
    TINA4_LOG_LEVEL: 'warn' } });
  try {
    const r = await rawExchange(own.port, `GET /small.txt?a=1 HTTP/1.1\r\nHost: localhost:${own.port}\r\n\r\n`);
    const head = r.got.toString('latin1');
    assert.match(head, /^HTTP\/1\.1 308 /);
    assert.match(head, new RegExp(`\r\nLocation: https://localhost:${own.port}/small\\.txt\\?a=1\r\n`, 'i'));
    assert.equal(r.ended, true);
    const up = await rawExchange(own.port, 'GET /echo HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n' +
      'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
    assert.match(up.got.toString('latin1'), /^HTTP\/1\.1 400 /);
    assert.equal(await serving(own.port), true);
    const c = wss(own.port, '/echo');
    await c.opened;
    c.ws.send('still wss');
    await c.until(1);
    assert.equal(c.got[0], 'still wss');
    c.ws.close();
    await c.closed;
  } finally {
    await own.stop();
  }
});

test('start-up errors name the file: unreadable, not PEM, key not matching', async () => {
  const bad = path.join(certs.dir, 'bad.pem');
  fs.writeFileSync(bad, 'not a certificate\n');
  const other = path.join(certs.dir, 'other.key');
  spawnSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', other]);
  const cases = [
    [{ TINA4_TLS_CERT: '/nonexistent/cert.pem', TINA4_TLS_KEY: certs.key }, /TINA4_TLS_CERT=\/nonexistent\/cert\.pem: cannot read/],
    [{ TINA4_TLS_CERT: bad, TINA4_TLS_KEY: certs.key }, new RegExp(`TINA4_TLS_CERT=${bad}: not a PEM certificate`)],
    [{ TINA4_TLS_CERT: certs.cert, TINA4_TLS_KEY: bad }, new RegExp(`TINA4_TLS_KEY=${bad}: not a PEM private key`)],
    [{ TINA4_TLS_CERT: certs.cert, TINA4_TLS_KEY: other }, new RegExp(`TINA4_TLS_KEY=${other} does not match`)],
    [{ TINA4_TLS_CERT: certs.cert }, /needs both TINA4_TLS_CERT and TINA4_TLS_KEY/],
  ];
  for (const [env, want] of cases) {
    const r = spawnSync(path.resolve(process.env.T4_BUILD || 'build-asan', BIN), [], {
      env: { ...process.env, TINA4_TLS_CERT: '', TINA4_TLS_KEY: '', TINA4_PORT: '0', TINA4_HOST: '127.0.0.1', ...env },
      timeout: 10000,
    });
    assert.notEqual(r.status, 0, `refused to start with ${JSON.stringify(env)}`);
    assert.match(r.stderr.toString(), want);
  }
});

// workers: 1, one process; 2, a supervisor (no reload hooks: a built app)
// that forwards SIGHUP to every worker, which reloads in place.
for (const workers of ['1', '2']) test(`SIGHUP reloads the certificate under load (TINA4_WORKERS=${workers}): 0 dropped connections, new handshakes get the new one`, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 't4-tls-reload-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  fs.copyFileSync(certs.cert, cert);
  fs.copyFileSync(certs.key, key);
  let stopPump = null;
  const own = await startServer(BIN, { env: { TINA4_TLS_CERT: cert, TINA4_TLS_KEY: key, TINA4_PUBLIC: pub, TINA4_LOG_LEVEL: 'info', TINA4_WORKERS: workers } });
  if (workers !== '1') {
    for (let i = 0; i < 200 && (own.stderr().match(/bus: worker \d+ \(slot \d+\) linked/g) || []).length < 2; i++) await sleep(25);
  }
  const serial = () => new Promise((res, rej) => {
    const s = tls.connect({ port: own.port, host: '127.0.0.1', servername: 'localhost', ca: certs.caPem },
      () => { res(s.getPeerCertificate().serialNumber); s.destroy(); });
    s.on('error', rej);
  });
  try {
    const before = await serial();
    const clients = Array.from({ length: 40 }, () => wss(own.port, '/echo'));
    await Promise.all(clients.map((c) => c.opened));
    let sent = 0;
    let stop = false;
    stopPump = () => { stop = true; };
    const pump = (async () => {
      while (!stop) {
        for (const c of clients) c.ws.send(`n${sent}`);
        sent++;
        await sleep(5);
      }
    })();
    for (let i = 0; i < 3; i++) {
      await sleep(150);
      reissue(cert, key);
      process.kill(own.proc.pid, 'SIGHUP'); // not proc.kill: it would mark the child killed for stop()
      await sleep(150);
      assert.equal(await serving(own.port), true, 'new handshakes work after a reload');
    }
    stop = true;
    await pump;
    await Promise.all(clients.map((c) => c.until(sent, 10000)));
    for (const c of clients) {
      assert.equal(c.ws.readyState, WebSocket.OPEN, 'no connection dropped');
      assert.deepEqual(c.got, Array.from({ length: sent }, (_, i) => `n${i}`));
    }
    assert.notEqual(await serial(), before, 'new handshakes present the new certificate');
    assert.match(own.stderr(), /TLS: certificate reloaded/);
    // A broken file on reload keeps the old certificate serving.
    fs.writeFileSync(cert, 'broken\n');
    process.kill(own.proc.pid, 'SIGHUP'); // not proc.kill: it would mark the child killed for stop()
    await sleep(300);
    assert.match(own.stderr(), /certificate reload failed; still serving the previous certificate/);
    assert.equal(await serving(own.port), true);
    for (const c of clients) c.ws.close(1000);
    await Promise.all(clients.map((c) => c.closed));
  } finally {
    stopPump?.();
    await own.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('TINA4_TLS_KTLS=false serves the same; a bad value is a start-up error', async () => {
  const own = await startServer(BIN, { env: { ...certs.env, TINA4_TLS_KTLS: 'false', TINA4_PUBLIC: pub, TINA4_LOG_LEVEL: 'warn' } });
  try {
    assert.equal(await serving(own.port), true);
  } finally {
    await own.stop();
  }
  const r = spawnSync(path.resolve(process.env.T4_BUILD || 'build-asan', BIN), [], {
    env: { ...process.env, ...certs.env, TINA4_TLS_KTLS: 'maybe', TINA4_PORT: '0', TINA4_HOST: '127.0.0.1' },
    timeout: 10000,
  });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr.toString(), /TINA4_TLS_KTLS=maybe: expected true or false/);
});

test('server stops cleanly (sanitizer-clean) after all of it', async () => {
  assert.equal(await serving(srv.port), true);
  const res = await srv.stop();
  assert.equal(res.code, 0);
  srv = null;
});
