// SPDX-License-Identifier: MIT
// TINA4_MAX_INPUT_MEMORY bounds the input all connections keep buffered
// (partial frames and requests, bodies, fragmented messages): past it, a
// WebSocket that needs more is closed with 1013 and an HTTP request gets
// 503; everyone else goes on, and the budget frees as buffers drain.
//
// No sleeps: the budget (256 KiB) holds one 150 KiB partial frame, not two,
// so of two clients that each send one, exactly one is refused, whichever the
// server read second. That refusal is the event the tests wait for; after it
// the other client is known to hold the budget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { oneProcess, startServer } from '../lib/server.mjs';
import { OP, RawClient, binFrame } from '../conformance/lib/ws.mjs';

const BUDGET = 256 * 1024;
const payload = Buffer.alloc(200 * 1024, 7);
const frame = binFrame(payload);
const cut = 150 * 1024; // header + most of the payload: the rest comes later (or never)

// Resolves with the first of the clients that the server closes.
function firstClosed(cs, ms = 5000) {
  return new Promise((resolve, reject) => {
    const check = () => {
      const c = cs.find((x) => x.ended || x.frames.some((f) => f.opcode === OP.CLOSE));
      if (c) {
        done();
        resolve(c);
      }
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`none was refused within ${ms} ms: ${cs.map((c) => c.describe()).join(' | ')}`));
    }, ms);
    const done = () => {
      clearTimeout(timer);
      cs.forEach((c) => c.waiters.delete(check));
    };
    cs.forEach((c) => c.waiters.add(check));
    check();
  });
}

// Two clients each send 150 KiB of a 200 KiB frame: one is refused with
// 1013, the other holds the budget. Returns [holder, refused].
async function twoPartials(port) {
  const x = await RawClient.open(port, '/echo');
  const y = await RawClient.open(port, '/echo');
  x.write(frame.subarray(0, cut));
  y.write(frame.subarray(0, cut));
  const refused = await firstClosed([x, y]);
  const closed = await refused.expectClose(3000);
  assert.equal(closed.code, 1013, 'told to come back later');
  return [refused === x ? y : x, refused];
}

test('a spent input budget: 1013 for the WebSocket that needs more, others unharmed, then freed', oneProcess('the input budget is per process'), async (t) => {
  const srv = await startServer('bench/tina4-bench-server', {
    env: { TINA4_MAX_INPUT_MEMORY: String(BUDGET), TINA4_WS_MAX_MESSAGE: '1M' },
  });
  t.after(() => srv.stop());

  const [a] = await twoPartials(srv.port);
  a.write(frame.subarray(cut)); // the holder completes its message
  const echo = await a.nextDataOrClose(5000);
  assert.equal(echo.len, payload.length);
  assert.ok(echo.payload.equals(payload));

  // A's buffer is gone: the budget holds one partial frame again (were it
  // not given back, both of the next two would be refused).
  const [c] = await twoPartials(srv.port);
  c.write(frame.subarray(cut));
  const echo2 = await c.nextDataOrClose(5000);
  assert.equal(echo2.len, payload.length);
  assert.ok(echo2.payload.equals(payload));
  await a.closeCleanly();
  await c.closeCleanly();
  // The warning travels through a pipe: wait for it (bounded).
  const warned = () => /TINA4_MAX_INPUT_MEMORY \(262144 bytes\) is spent/.test(srv.stderr());
  for (const deadline = Date.now() + 3000; !warned() && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 20));
  assert.ok(warned(), `no budget warning in the log:\n${srv.stderr()}`);
});

test('a spent input budget: 503 with Retry-After for an HTTP body that needs more', oneProcess('the input budget is per process'), async (t) => {
  const srv = await startServer('bench/tina4-bench-server', { env: { TINA4_MAX_INPUT_MEMORY: String(BUDGET) } });
  t.after(() => srv.stop());
  const [hold] = await twoPartials(srv.port); // hold now has the budget
  const reply = await new Promise((resolve) => {
    const s = net.connect(srv.port, '127.0.0.1');
    let got = '';
    s.on('data', (d) => { got += d; });
    s.on('close', () => resolve(got));
    s.on('error', () => resolve(got));
    s.write('POST /push/broadcast/x HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n');
    s.write(Buffer.alloc(150 * 1024, 65));
  });
  assert.match(reply, /^HTTP\/1\.1 503 /);
  assert.match(reply, /\r\nRetry-After: 1\r\n/);
  hold.destroy();
});
