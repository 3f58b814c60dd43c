// SPDX-License-Identifier: MIT
// RFC 6455 5.2: "the minimal number of bytes MUST be used to encode the
// length". A 16-bit length field carrying less than 126, or a 64-bit one
// carrying less than 65536, is a protocol error: close 1002, and nothing
// after it is answered. The boundaries themselves (126 in 16 bits, 65536 in
// 64 bits) are fine.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertEchoAndStop, benchServer, cleanup } from './lib/server.mjs';
import { OP, RawClient, binaryPayload, encodeFrame } from './lib/ws.mjs';

let srv;
before(async () => {
  srv = await benchServer();
});
after(cleanup);

describe('non-minimal length encodings fail with 1002', { concurrency: true }, () => {
  const cases = [
    ['0 in a 16-bit length', 126, 0],
    ['5 in a 16-bit length', 126, 5],
    ['125 in a 16-bit length', 126, 125],
    ['0 in a 64-bit length', 127, 0],
    ['5 in a 64-bit length', 127, 5],
    ['126 in a 64-bit length', 127, 126],
    ['65535 in a 64-bit length', 127, 65535],
  ];
  for (const [name, len7, n] of cases) {
    for (const opcode of [OP.TEXT, OP.BINARY]) {
      test(`${name} (opcode ${opcode})`, async () => {
        const c = await RawClient.open(srv.port);
        c.write(encodeFrame({ opcode: OP.TEXT, payload: 'ok' }));
        assert.equal((await c.nextFrame()).payload.toString(), 'ok');
        c.write(encodeFrame({ opcode, payload: opcode === OP.TEXT ? 'x'.repeat(n) : binaryPayload(n, 7), len7 }));
        c.write(encodeFrame({ opcode: OP.TEXT, payload: 'must not echo' }));
        const f = await c.expectClose(3000);
        assert.equal(f.code, 1002, `${name}: close code`);
      });
    }
  }

  test('refused from the length field alone (no mask or payload needed)', async () => {
    const c = await RawClient.open(srv.port);
    c.write(encodeFrame({ opcode: OP.BINARY, payload: Buffer.alloc(5), len7: 127 }).subarray(0, 10));
    const f = await c.expectClose(3000);
    assert.equal(f.code, 1002);
  });

  test('a continuation frame in the non-minimal form fails the same way', async () => {
    const c = await RawClient.open(srv.port);
    c.write(encodeFrame({ opcode: OP.TEXT, payload: 'a', fin: false }));
    c.write(encodeFrame({ opcode: OP.CONT, payload: 'b', len7: 126 }));
    const f = await c.expectClose(3000);
    assert.equal(f.code, 1002);
  });
});

describe('the minimal boundaries are accepted', () => {
  for (const n of [126, 127, 65535, 65536, 65537]) {
    test(`${n} bytes`, async () => {
      const c = await RawClient.open(srv.port);
      const payload = binaryPayload(n, n);
      c.write(encodeFrame({ opcode: OP.BINARY, payload }));
      const f = await c.nextDataOrClose(8000);
      assert.equal(f.opcode, OP.BINARY);
      assert.ok(f.payload.equals(payload));
      await c.closeCleanly();
    });
  }
});

test('server keeps serving and stops cleanly', () => assertEchoAndStop(srv));
