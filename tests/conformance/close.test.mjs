// SPDX-License-Identifier: MIT
// RFC 6455 sections 5.5.1, 7 (Autobahn 7.x): the closing handshake.
import assert from 'node:assert/strict';
import net from 'node:net';
import tls from 'node:tls';
import { testCerts } from '../lib/tls_certs.mjs';
import { after, before, describe, test } from 'node:test';
import { OVER_TLS, assertEchoAndStop, benchServer, cleanup } from './lib/server.mjs';
import { OP, RawClient, closeFrame, closePayload, encodeFrame, sleep } from './lib/ws.mjs';

let srv;
before(async () => {
  srv = await benchServer();
});
after(cleanup);

/** Sends a close frame payload and returns the server's close frame (after the TCP close). */
async function closeWith(payload, { before: pre } = {}) {
  const c = await RawClient.open(srv.port);
  if (pre) await pre(c);
  c.write(encodeFrame({ opcode: OP.CLOSE, payload }));
  const f = await c.expectClose(3000);
  return { f, c };
}

describe('client-initiated close', { concurrency: true }, () => {
  test('1000 with a reason -> close 1000 echoed, then the server closes TCP', async () => {
    const { f, c } = await closeWith(closePayload(1000, 'bye now'));
    assert.equal(f.code, 1000);
    assert.ok(f.len === 2 || f.reason.toString() === 'bye now', 'any reason sent back is the code alone or our reason');
    assert.equal(c.frames.length, 0, 'nothing after the close frame');
  });

  test('close with no payload -> close with no code or 1000 (never 1005), then TCP close', async () => {
    const { f } = await closeWith(Buffer.alloc(0));
    assert.notEqual(f.len, 1, 'a 1-byte close payload is malformed');
    if (f.len >= 2) assert.equal(f.code, 1000, 'an empty close may only be answered with 1000');
    assert.notEqual(f.code, 1005, '1005 MUST NOT be sent in a close frame');
  });

  test('close with a 123-byte reason (the maximum) -> 1000 echoed', async () => {
    const { f } = await closeWith(closePayload(1000, 'r'.repeat(123)));
    assert.equal(f.code, 1000);
  });

  test('close with a valid multibyte UTF-8 reason -> 1000 echoed', async () => {
    const { f } = await closeWith(closePayload(1000, 'κόσμε 😀'));
    assert.equal(f.code, 1000);
  });

  test('close sent byte by byte -> echoed', async () => {
    const c = await RawClient.open(srv.port);
    await c.writeChunked(closeFrame(1001, 'going'), 1, 1);
    const f = await c.expectClose(3000);
    assert.equal(f.code, 1001);
  });

  test('close payload of 1 byte -> 1002', async () => {
    const { f } = await closeWith(Buffer.from([0x03]));
    assert.equal(f.code, 1002);
  });

  test('close payload of 126 bytes (control frame too long) -> 1002', async () => {
    const { f } = await closeWith(closePayload(1000, 'x'.repeat(124)));
    assert.equal(f.code, 1002);
  });

  for (const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]) {
    test(`invalid close code ${code} -> 1002`, async () => {
      const { f } = await closeWith(closePayload(code, 'bad'));
      assert.equal(f.code, 1002);
    });
  }

  for (const code of [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999]) {
    test(`valid close code ${code} -> echoed`, async () => {
      const { f } = await closeWith(closePayload(code));
      assert.equal(f.code, code);
    });
  }

  test('close reason with invalid UTF-8 -> 1007', async () => {
    const { f } = await closeWith(Buffer.concat([closePayload(1000), Buffer.from([0xce, 0xba, 0xed, 0xa0, 0x80])]));
    assert.equal(f.code, 1007);
  });

  test('close reason truncated mid-character -> 1007', async () => {
    const { f } = await closeWith(Buffer.concat([closePayload(1000, 'ab'), Buffer.from([0xe2, 0x82])]));
    assert.equal(f.code, 1007);
  });

  test('frames after the close (same write) are ignored', async () => {
    const c = await RawClient.open(srv.port);
    c.write(Buffer.concat([
      closeFrame(1000, 'done'),
      encodeFrame({ opcode: OP.TEXT, payload: 'after close' }),
      encodeFrame({ opcode: OP.PING, payload: 'after close' }),
    ]));
    const f = await c.expectClose(3000);
    assert.equal(f.code, 1000);
    assert.equal(c.frames.length, 0, `no echo and no pong after the close (${c.describe()})`);
  });

  test('frames after the close (later writes) are ignored', async () => {
    const c = await RawClient.open(srv.port);
    c.write(closeFrame(1000));
    const f = await c.nextFrame();
    assert.equal(f.opcode, OP.CLOSE);
    c.write(encodeFrame({ opcode: OP.TEXT, payload: 'late' }));
    c.write(encodeFrame({ opcode: OP.PING, payload: 'late' }));
    await c.waitTcpClose(3000);
    await sleep(50);
    assert.equal(c.frames.length, 0, `no echo and no pong after the close (${c.describe()})`);
  });

  test('a second close frame is not answered again', async () => {
    const c = await RawClient.open(srv.port);
    c.write(Buffer.concat([closeFrame(1000), closeFrame(1001)]));
    const f = await c.expectClose(3000);
    assert.equal(f.code, 1000);
    await sleep(50);
    assert.equal(c.frames.length, 0, 'exactly one close frame');
  });

  test('messages before the close are delivered first', async () => {
    const c = await RawClient.open(srv.port);
    c.write(Buffer.concat([encodeFrame({ opcode: OP.TEXT, payload: 'm1' }), encodeFrame({ opcode: OP.BINARY, payload: 'm2' }), closeFrame(1000)]));
    const a = await c.nextFrame();
    const b = await c.nextFrame();
    assert.deepEqual([a.opcode, a.payload.toString()], [OP.TEXT, 'm1']);
    assert.deepEqual([b.opcode, b.payload.toString()], [OP.BINARY, 'm2']);
    const f = await c.expectClose(3000);
    assert.equal(f.code, 1000);
  });
});

describe('server-initiated closes are followed by the TCP close', { concurrency: true }, () => {
  const failures = {
    '1002 (reserved opcode)': [encodeFrame({ opcode: 5 }), 1002],
    '1007 (bad UTF-8)': [encodeFrame({ opcode: OP.TEXT, payload: Buffer.from([0xc0, 0x80]) }), 1007],
    '1009 (too big)': [encodeFrame({ opcode: OP.BINARY, payload: Buffer.alloc(10) , len7: 127, extLen: 1024 * 1024 + 1 }).subarray(0, 14), 1009],
  };
  for (const [name, [bytes, code]] of Object.entries(failures)) {
    test(`${name}: close frame, then FIN within a second, without the client replying`, async () => {
      const c = await RawClient.open(srv.port);
      c.write(bytes);
      const f = await c.expectClose(3000, { tcp: false });
      assert.equal(f.code, code);
      const waited = await c.waitTcpClose(1000);
      assert.ok(waited < 1000);
    });
  }
});

test('server shutdown (SIGTERM): open connections get 1001 and the TCP close; exit code 0', async () => {
  const own = await benchServer({ TINA4_WS_CLOSE_TIMEOUT: '1' });
  const cs = await Promise.all([0, 1, 2].map(() => RawClient.open(own.port, '/broadcast/shutdown')));
  const quiet = await RawClient.open(own.port, '/echo');
  quiet.sock.pause(); // one client that does not read at all
  const t0 = Date.now();
  const stopped = own.stop();
  for (const c of cs) {
    const f = await c.expectClose(5000, { tcp: false });
    assert.equal(f.code, 1001);
    c.write(closeFrame(1001)); // complete the handshake
    await c.waitTcpClose(3000);
  }
  const { code, signal } = await stopped;
  const took = Date.now() - t0;
  assert.ok(took < 4000, `shutdown took ${took} ms with TINA4_WS_CLOSE_TIMEOUT=1 (a silent peer must not hold it up)`);
  assert.equal(signal, null);
  assert.equal(code, 0, own.stderr());
  quiet.destroy();
});

// Resolves true when the server answers an HTTP request on a new connection
// (with TINA4_MAX_CONNECTIONS=1: the only slot is free), false when it
// refuses the connection.
function accepted(port) {
  return new Promise((resolve) => {
    const s = OVER_TLS
      ? tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca: testCerts().caPem })
      : net.connect(port, '127.0.0.1');
    const done = (v) => { s.destroy(); resolve(v); };
    s.on(OVER_TLS ? 'secureConnect' : 'connect', () => s.write('GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
    s.on('data', () => done(true));
    s.on('close', () => done(false));
    s.on('error', () => done(false));
  });
}

async function until(fn, ms, what) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a failed connection whose peer stops reading is dropped after TINA4_WS_CLOSE_TIMEOUT', async () => {
  const own = await benchServer({ TINA4_WS_CLOSE_TIMEOUT: '1', TINA4_WS_MAX_BACKPRESSURE: '64M', TINA4_MAX_CONNECTIONS: '1' });
  // The one slot: taken once startServer's probe (and our own checks) are gone.
  const c = await until(() => RawClient.open(own.port, '/echo', { timeout: 500 }).catch(() => null), 5000, 'the only slot');
  c.sock.pause(); // reads nothing from now on
  const big = Buffer.alloc(256 * 1024, 97);
  for (let i = 0; i < 20; i++) c.write(encodeFrame({ opcode: OP.BINARY, payload: big })); // 5 MB of echoes queue up
  c.write(encodeFrame({ opcode: OP.TEXT, payload: 'unmasked', mask: false })); // -> 1002, close after the queue drains
  const t0 = Date.now();
  // It never drains (nobody reads): the close timeout must drop it, which frees the slot.
  await until(() => accepted(own.port), 10000, 'the stalled connection to be dropped');
  const took = Date.now() - t0;
  assert.ok(took < 5000, `dropped ${took} ms after the protocol error (close timeout 1 s)`);
  c.destroy();
  await own.stop(); // exit 0, sanitizer-clean
});

test('server keeps serving and stops cleanly', () => assertEchoAndStop(srv));
