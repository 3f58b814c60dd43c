// SPDX-License-Identifier: MIT
// Limits: TINA4_WS_MAX_MESSAGE (-> 1009) and TINA4_HTTP_MAX_HEADER on the handshake.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertEchoAndStop, benchServer, cleanup } from './lib/server.mjs';
import { OP, RawClient, asciiPayload, binaryPayload, encodeFrame, handshakeRequest, rawHttp } from './lib/ws.mjs';

let srv;
before(async () => {
  srv = await benchServer({ TINA4_WS_MAX_MESSAGE: '1000', TINA4_HTTP_MAX_HEADER: '2048' });
});
after(cleanup);

describe('TINA4_WS_MAX_MESSAGE=1000', { concurrency: true }, () => {
  for (const [name, opcode, gen] of [['text', OP.TEXT, asciiPayload], ['binary', OP.BINARY, binaryPayload]]) {
    test(`${name}: 999 and 1000 bytes pass`, async () => {
      const c = await RawClient.open(srv.port);
      for (const n of [999, 1000]) {
        const p = gen(n, n);
        c.write(encodeFrame({ opcode, payload: p }));
        const f = await c.nextFrame();
        assert.equal(f.opcode, opcode);
        assert.ok(f.payload.equals(p), `${n} bytes echoed`);
      }
      await c.closeCleanly();
    });

    test(`${name}: 1001 bytes -> 1009 and the TCP close`, async () => {
      const c = await RawClient.open(srv.port);
      c.write(encodeFrame({ opcode, payload: gen(1001, 3) }));
      const f = await c.expectClose(3000);
      assert.equal(f.code, 1009);
    });
  }

  test('1001 bytes sent byte by byte -> 1009 as soon as the header is in', async () => {
    const c = await RawClient.open(srv.port);
    const frame = encodeFrame({ opcode: OP.TEXT, payload: asciiPayload(1001, 4) });
    await c.writeChunked(frame.subarray(0, 8), 1, 2); // header (2 + 2) and the mask key only
    const f = await c.expectClose(2000, { tcp: false });
    assert.equal(f.code, 1009);
    await c.waitTcpClose(3000);
  });

  test('a 64-bit length of 2^32 (would wrap a 32-bit size) -> 1009', async () => {
    const c = await RawClient.open(srv.port);
    c.write(encodeFrame({ opcode: OP.BINARY, len7: 127, extLen: 1n << 32n }).subarray(0, 14));
    const f = await c.expectClose(2000);
    assert.equal(f.code, 1009);
  });

  test('a 64-bit length of 2^63 - 1 -> 1009', async () => {
    const c = await RawClient.open(srv.port);
    c.write(encodeFrame({ opcode: OP.BINARY, len7: 127, extLen: (1n << 63n) - 1n }).subarray(0, 14));
    const f = await c.expectClose(2000);
    assert.equal(f.code, 1009);
  });

  test('control frames are not limited by it, and do not count towards a message', async () => {
    const c = await RawClient.open(srv.port);
    const p = asciiPayload(1000, 6);
    c.write(encodeFrame({ opcode: OP.TEXT, payload: p.subarray(0, 900), fin: false }));
    for (let i = 0; i < 3; i++) c.write(encodeFrame({ opcode: OP.PING, payload: Buffer.alloc(125, 65 + i) }));
    c.write(encodeFrame({ opcode: OP.CONT, payload: p.subarray(900), fin: true }));
    for (let i = 0; i < 3; i++) assert.equal((await c.nextFrame()).opcode, OP.PONG);
    const f = await c.nextFrame();
    assert.equal(f.opcode, OP.TEXT);
    assert.ok(f.payload.equals(p));
    await c.closeCleanly();
  });
});

describe('TINA4_HTTP_MAX_HEADER=2048', { concurrency: true }, () => {
  test('a handshake just under the limit upgrades', async () => {
    const req = handshakeRequest('/echo', { headers: { 'X-Pad': 'a'.repeat(1500) } });
    assert.ok(req.text.length < 2048);
    const r = await rawHttp(srv.port, req.text);
    assert.equal(r.status, 101, r.statusLine);
    r.client.destroy();
  });

  test('a handshake over the limit -> 431, no upgrade', async () => {
    const req = handshakeRequest('/echo', { headers: { 'X-Pad': 'a'.repeat(4000) } });
    const r = await rawHttp(srv.port, req.text);
    assert.equal(r.status, 431, r.statusLine);
    assert.equal(r.headers['sec-websocket-accept'], undefined);
    r.client.destroy();
  });
});

test('server keeps serving and stops cleanly', () => assertEchoAndStop(srv));
