// SPDX-License-Identifier: MIT
// Fairness under a pipelined flood: 8192 tiny requests in one write (each
// answered 404 from a small buffer, so no output limit is reached) must not
// hold the loop: one connection gets a bounded number of requests handled
// per loop turn, and the rest wait for the next turn. Every request is still
// answered while a canary's echoes interleave with the flood.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer } from '../lib/server.mjs';
import { RawClient, textFrame } from '../conformance/lib/ws.mjs';

test('8192 pipelined requests in one write: all answered, the loop stays responsive', async (t) => {
  const srv = await startServer('bench/tina4-bench-server');
  t.after(() => srv.stop());
  const canary = await RawClient.open(srv.port, '/echo');
  const N = 8192;
  let batch = '';
  for (let i = 0; i < N; i++) batch += `GET /nope-${i} HTTP/1.1\r\nHost: x\r\n\r\n`;
  const flood = net.connect(srv.port, '127.0.0.1');
  await new Promise((r) => flood.on('connect', r));
  let tail = ''; // the end of the last chunk: a status line may be split
  let answered = 0;
  const done = new Promise((resolve) => {
    flood.on('data', (d) => {
      const text = tail + d.toString('latin1');
      answered += (text.match(/HTTP\/1\.1 404/g) || []).length;
      tail = text.slice(-11); // shorter than the status line: never counted twice
      if (answered >= N) resolve();
    });
  });
  flood.write(batch);
  // Echo round trips while the flood is being answered.
  const rtts = [];
  let stop = false;
  const pinging = (async () => {
    for (let i = 0; !stop; i++) {
      const t0 = process.hrtime.bigint();
      canary.write(textFrame(Buffer.from(`c${i}`)));
      await canary.nextDataOrClose(5000);
      rtts.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  })();
  await done;
  stop = true;
  await pinging;
  flood.destroy();
  assert.equal(answered, N);
  rtts.sort((a, b) => a - b);
  t.diagnostic(`canary: ${rtts.length} round trips, median ${rtts[rtts.length >> 1].toFixed(2)} ms, max ${rtts[rtts.length - 1].toFixed(2)} ms`);
  // Back-to-back echoes: with the flood answered 64 requests a turn they
  // interleave with it (128 turns); answered all at once, they cannot.
  assert.ok(rtts.length >= 10, `only ${rtts.length} canary round trips while the flood was answered`);
  await canary.closeCleanly();
});
