// SPDX-License-Identifier: MIT
// Clients that send too slowly. A request body or a WebSocket frame in
// progress must keep arriving at TINA4_MIN_DATA_RATE bytes/s, measured over
// windows of TINA4_MIN_DATA_RATE_GRACE: slower gets 408 (HTTP) or close 1008
// (WebSocket). And when the input budget is spent, the slowest holders are
// cut off so that a newcomer's request or message goes through.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { ROOT, buildDir, oneProcess, startServer } from '../lib/server.mjs';
import { OP, RawClient, binFrame, sleep } from '../conformance/lib/ws.mjs';

const SCRIPT = path.join(ROOT, 'tests/integration/hostile/hold_budget.py');

function holdBudget(port, args) {
  return new Promise((resolve, reject) => {
    execFile('python3', [SCRIPT, String(port), ...args.map(String)], { timeout: 90000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout.trim().split('\n').pop()));
    });
  });
}

// Sends a request head, then the body in pieces of `piece` bytes every
// `everyMs`; resolves with whatever the server answered once it closes or
// answers.
function trickleBody(port, total, piece, everyMs) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    let sent = 0;
    let timer;
    const t0 = Date.now();
    let over = false;
    const done = () => {
      if (over) return;
      over = true;
      clearTimeout(bound);
      clearInterval(timer);
      s.destroy();
      resolve({ got, ms: Date.now() - t0, sent });
    };
    const bound = setTimeout(() => done(), 10000); // the server must have answered by then
    s.on('connect', () => {
      s.write(`POST /push/nobody HTTP/1.1\r\nHost: x\r\nContent-Length: ${total}\r\n\r\n`);
      timer = setInterval(() => {
        if (sent >= total || s.destroyed) return;
        const n = Math.min(piece, total - sent);
        s.write(Buffer.alloc(n, 0x62));
        sent += n;
      }, everyMs);
    });
    s.on('data', (d) => { got += d; if (/\r\n\r\n/.test(got)) done(); });
    s.on('close', done);
    s.on('error', done);
  });
}

test('a request body below TINA4_MIN_DATA_RATE gets 408; one above it goes through', async (t) => {
  const srv = await startServer('bench/tina4-bench-server', {
    env: { TINA4_MIN_DATA_RATE: '1000', TINA4_MIN_DATA_RATE_GRACE: '1' },
  });
  t.after(() => srv.stop());
  // 1 byte every 100 ms: 10 B/s, far below 1000 B/s. The no-progress
  // timeout (10 s) would never fire.
  const slow = await trickleBody(srv.port, 100000, 1, 100);
  assert.match(slow.got, /^HTTP\/1.1 408/);
  assert.ok(slow.ms < 5000, `cut off after ${slow.ms} ms`);
  // 500 bytes every 100 ms: 5000 B/s, for 2 s (more than one window).
  const ok = await trickleBody(srv.port, 10000, 500, 100);
  assert.match(ok.got, /^HTTP\/1.1 200/);
  assert.ok(ok.ms >= 1500, 'the fast-enough body did span more than one window');
});

test('a WebSocket frame below TINA4_MIN_DATA_RATE is closed with 1008; one above it is delivered', async (t) => {
  const srv = await startServer('bench/tina4-bench-server', {
    env: { TINA4_MIN_DATA_RATE: '1000', TINA4_MIN_DATA_RATE_GRACE: '1' },
  });
  t.after(() => srv.stop());
  const frame = binFrame(Buffer.alloc(50000, 3));
  const slow = await RawClient.open(srv.port, '/echo');
  slow.write(frame.subarray(0, 100));
  let i = 100;
  const timer = setInterval(() => { if (i < frame.length) slow.write(frame.subarray(i, ++i)); }, 100);
  t.after(() => clearInterval(timer));
  const t0 = Date.now();
  const closed = await slow.expectClose(6000);
  clearInterval(timer);
  assert.equal(closed.code, 1008);
  assert.ok(Date.now() - t0 < 5000);

  // 2500 bytes every 100 ms: 25 000 B/s, over two seconds.
  const fine = await RawClient.open(srv.port, '/echo');
  for (let j = 0; j < frame.length; j += 2500) {
    fine.write(frame.subarray(j, j + 2500));
    await sleep(100);
  }
  const echo = await fine.nextDataOrClose(5000);
  assert.equal(echo.opcode, OP.BINARY);
  assert.equal(echo.len, 50000);
  await fine.closeCleanly();
});

// Reproduced on the sanitizer build (T4_BUILD) and, when it exists, the
// release build in build/ too.
const builds = [{ name: 'sanitizer build', dir: buildDir() }];
const release = path.join(ROOT, 'build');
if (existsSync(path.join(release, 'bench/tina4-bench-server')) && path.resolve(buildDir()) !== release)
  builds.push({ name: 'release build', dir: release });

for (const b of builds) {
  test(`slow holders of the whole input budget are cut off so well-behaved 200 KB bodies and messages succeed (${b.name})`, oneProcess('the input budget is per process'), async (t) => {
    const srv = await startServer(path.join(b.dir, 'bench/tina4-bench-server'), { env: { TINA4_MAX_INPUT_MEMORY: '16M' } });
    t.after(() => srv.stop());
    // 8 uploads of ~2 MB and 8 frames of ~1 MB, each then trickling a byte
    // every 5 s: together more than the 16 MiB budget.
    const r = await holdBudget(srv.port, [8, 2000000, 8, 1000000, 10, 200000, 5]);
    t.diagnostic(JSON.stringify(r));
    assert.deepEqual(r.good_http_failed, []);
    assert.deepEqual(r.good_ws_failed, []);
    assert.equal(r.good_http_ok, 10);
    assert.equal(r.good_ws_ok, 10);
    assert.match(srv.stderr(), /input memory contended: cutting off the slowest holder/);
  });
}
