// SPDX-License-Identifier: MIT
// Running out of file descriptors (EMFILE) at accept: the server logs it at
// most once a second with a count, keeps serving the connections it has, and
// accepts again once descriptors free up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { binary, startServer } from '../lib/server.mjs';
import { rawHttp } from '../conformance/lib/ws.mjs';

function connect(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('connect', () => resolve(s));
    s.on('error', () => resolve(s));
  });
}

test('EMFILE at accept: rate-limited log with a count, existing clients served, accepting again later', async (t) => {
  const bin = binary('bench/tina4-bench-server');
  // A low descriptor limit for the server alone.
  const srv = await startServer('/bin/bash', { args: ['-c', `ulimit -n 48 && exec ${bin}`] });
  t.after(() => srv.stop());
  const t0 = Date.now();
  const socks = [];
  for (let i = 0; i < 120; i++) socks.push(await connect(srv.port));
  const deadline = Date.now() + 10000;
  while (!/accept failed: .*\(EMFILE\): \d+ time\(s\) in the last second; clients wait in the backlog, serving on/.test(srv.stderr()) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  assert.match(srv.stderr(), /accept failed: .*\(EMFILE\): \d+ time\(s\) in the last second; clients wait in the backlog, serving on/);
  // One line a second at most, however many were refused.
  const lines = srv.stderr().split('\n').filter((l) => /accept failed/.test(l));
  const seconds = Math.ceil((Date.now() - t0) / 1000);
  assert.ok(lines.length <= seconds + 1, `${lines.length} log lines in ${seconds} s:\n${lines.join('\n')}`);
  // A connection accepted before the limit is still served.
  const alive = socks.find((s) => !s.destroyed && s.readyState === 'open');
  assert.ok(alive, 'some connections were accepted');
  const reply = await new Promise((resolve) => {
    let got = '';
    alive.on('data', (d) => { got += d; if (/\r\n\r\n/.test(got)) resolve(got); });
    alive.write('GET /js/frond.js HTTP/1.1\r\nHost: x\r\n\r\n');
  });
  assert.match(reply, /^HTTP\/1.1 200/);
  // Free the descriptors: new connections are accepted and served again.
  for (const s of socks) s.destroy();
  let ok = false;
  let lastErr;
  for (let i = 0; i < 100 && !ok; i++) {
    try {
      ok = (await rawHttp(srv.port, 'GET /js/frond.js HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 2000)).status === 200;
    } catch (e) { lastErr = e; /* still closing the old ones */ }
    if (!ok) await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(ok, `a new connection is served once descriptors are free (${lastErr?.message})`);
});
