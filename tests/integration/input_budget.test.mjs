// TINA4_MAX_INPUT_MEMORY bounds the input all connections keep buffered
// (partial frames and requests, bodies, fragmented messages): past it, a
// WebSocket that needs more is closed with 1013 and an HTTP request gets
// 503; everyone else goes on, and the budget frees as buffers drain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startServer } from '../lib/server.mjs';
import { RawClient, binFrame, sleep } from '../conformance/lib/ws.mjs';

const BUDGET = 256 * 1024;

test('a spent input budget: 1013 for the WebSocket that needs more, others unharmed, then freed', async (t) => {
  const srv = await startServer('bench/tina4-bench-server', {
    env: { TINA4_MAX_INPUT_MEMORY: String(BUDGET), TINA4_WS_MAX_MESSAGE: '1M' },
  });
  t.after(() => srv.stop());
  const payload = Buffer.alloc(200 * 1024, 7);
  const frame = binFrame(payload);
  const cut = 150 * 1024; // header + most of the payload: the rest never comes (yet)

  const a = await RawClient.open(srv.port, '/echo');
  a.write(frame.subarray(0, cut));
  await sleep(200); // A now holds ~150 KiB (a 256 KiB buffer) of the budget

  const b = await RawClient.open(srv.port, '/echo');
  b.write(frame.subarray(0, cut));
  const closed = await b.expectClose(3000);
  assert.equal(closed.code, 1013, 'B is told to come back later');

  a.write(frame.subarray(cut)); // A completes its message
  const echo = await a.nextDataOrClose(5000);
  assert.equal(echo.len, payload.length);
  assert.ok(echo.payload.equals(payload));

  // A's buffer is gone: the budget is free again.
  const c = await RawClient.open(srv.port, '/echo');
  c.write(frame.subarray(0, cut));
  await sleep(100);
  c.write(frame.subarray(cut));
  const echo2 = await c.nextDataOrClose(5000);
  assert.equal(echo2.len, payload.length);
  await a.closeCleanly();
  await c.closeCleanly();
  for (let i = 0; i < 100 && !/TINA4_MAX_INPUT_MEMORY \(262144 bytes\) is spent/.test(srv.stderr()); i++) await sleep(20);
  assert.match(srv.stderr(), /TINA4_MAX_INPUT_MEMORY \(262144 bytes\) is spent/);
});

test('a spent input budget: 503 with Retry-After for an HTTP body that needs more', async (t) => {
  const srv = await startServer('bench/tina4-bench-server', { env: { TINA4_MAX_INPUT_MEMORY: String(BUDGET) } });
  t.after(() => srv.stop());
  const hold = await RawClient.open(srv.port, '/echo');
  hold.write(binFrame(Buffer.alloc(200 * 1024, 1)).subarray(0, 150 * 1024));
  await sleep(200);
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
