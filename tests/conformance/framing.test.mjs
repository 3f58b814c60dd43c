// SPDX-License-Identifier: MIT
// RFC 6455 section 5 (Autobahn 1.x, 2.x, 3.x, 4.x): framing, lengths,
// control frames, reserved bits and opcodes, masking.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertEchoAndStop, benchServer, cleanup } from './lib/server.mjs';
import {
  OP,
  RawClient,
  asciiPayload,
  binaryPayload,
  encodeFrame,
  rng,
  sleep,
} from './lib/ws.mjs';

const MiB = 1024 * 1024;
let srv;
before(async () => {
  srv = await benchServer();
});
after(cleanup);

/** Sends one message and asserts the echo is one unmasked frame, same opcode, same bytes. */
async function echoOnce(c, opcode, payload, { send } = {}) {
  const frame = encodeFrame({ opcode, payload });
  if (send) await send(c, frame);
  else c.write(frame);
  const f = await c.nextDataOrClose(8000);
  assert.equal(f.opcode, opcode, `echo opcode (${c.describe()})`);
  assert.equal(f.fin, true);
  assert.equal(f.rsv, 0);
  assert.equal(f.masked, false, 'server frames must not be masked');
  assert.equal(f.len, payload.length);
  // The minimal length encoding (5.2: "the minimal number of bytes MUST be used").
  const expect7 = payload.length <= 125 ? payload.length : payload.length <= 0xffff ? 126 : 127;
  assert.equal(f.lenField, expect7, 'minimal length encoding');
  assert.ok(f.payload.equals(payload), `payload of ${payload.length} bytes differs`);
}

async function expectFail(c, code, what) {
  const f = await c.expectClose(3000);
  assert.equal(f.code, code, `${what}: close code`);
}

const LENGTHS = [0, 1, 125, 126, 127, 128, 65535, 65536, 65537];

describe('echo at every length boundary', { concurrency: true }, () => {
  for (const [name, opcode, gen] of [
    ['text', OP.TEXT, asciiPayload],
    ['binary', OP.BINARY, binaryPayload],
  ]) {
    test(`${name}: ${LENGTHS.join(', ')} bytes`, async () => {
      const c = await RawClient.open(srv.port);
      for (const n of LENGTHS) await echoOnce(c, opcode, gen(n, n + 1));
      await c.closeCleanly();
    });
  }

  test('text of exactly 1 MiB (TINA4_WS_MAX_MESSAGE) passes', async () => {
    const c = await RawClient.open(srv.port);
    await echoOnce(c, OP.TEXT, asciiPayload(MiB, 7));
    await c.closeCleanly();
  });

  test('binary of exactly 1 MiB passes', async () => {
    const c = await RawClient.open(srv.port);
    await echoOnce(c, OP.BINARY, binaryPayload(MiB, 8));
    await c.closeCleanly();
  });

  for (const opcode of [OP.TEXT, OP.BINARY]) {
    test(`${opcode === OP.TEXT ? 'text' : 'binary'} of 1 MiB + 1 -> 1009, then the TCP close`, async () => {
      const c = await RawClient.open(srv.port);
      c.write(encodeFrame({ opcode, payload: asciiPayload(MiB + 1, 9) }));
      const f = await c.expectClose(5000, { tcp: false });
      assert.equal(f.code, 1009);
      await c.waitTcpClose(4000);
    });
  }

  test('1 MiB + 1 refused from the header alone (no payload sent)', async () => {
    const c = await RawClient.open(srv.port);
    const frame = encodeFrame({ opcode: OP.BINARY, payload: Buffer.alloc(MiB + 1) });
    c.write(frame.subarray(0, 14)); // header + mask only
    await expectFail(c, 1009, 'oversized header');
  });

  test('byte-by-byte: 0, 1, 125, 126, 127, 128 bytes (every byte its own write)', async () => {
    const c = await RawClient.open(srv.port);
    for (const n of [0, 1, 125, 126, 127, 128]) {
      await echoOnce(c, OP.TEXT, asciiPayload(n, n + 3), { send: (cl, fr) => cl.writeChunked(fr, 1, 0) });
    }
    await c.closeCleanly();
  });

  test('random chunks with delays: 65535, 65537 bytes and 256 KiB', async () => {
    const r = rng(4242);
    const c = await RawClient.open(srv.port);
    for (const n of [65535, 65537, 256 * 1024]) {
      await echoOnce(c, n % 2 ? OP.TEXT : OP.BINARY, n % 2 ? asciiPayload(n, n) : binaryPayload(n, n), {
        send: (cl, fr) => cl.writeChunked(fr, () => r(1, 8192), 0),
      });
    }
    // A header split at every possible point: 2 + 8 + 4 bytes of a 64-bit-length frame.
    for (const cut of [1, 2, 3, 5, 9, 10, 11, 13, 14]) {
      const p = binaryPayload(65536 + cut, cut);
      await echoOnce(c, OP.BINARY, p, {
        send: async (cl, fr) => {
          cl.write(fr.subarray(0, cut));
          await sleep(5);
          cl.write(fr.subarray(cut));
        },
      });
    }
    await c.closeCleanly();
  });

  test('many messages in one write are all echoed in order', async () => {
    const c = await RawClient.open(srv.port);
    const msgs = Array.from({ length: 100 }, (_, i) => `message ${i}`);
    c.write(Buffer.concat(msgs.map((m) => encodeFrame({ opcode: OP.TEXT, payload: m }))));
    for (const m of msgs) {
      const f = await c.nextFrame();
      assert.equal(f.payload.toString(), m);
    }
    await c.closeCleanly();
  });
});

describe('ping and pong (2.x)', { concurrency: true }, () => {
  for (const n of [0, 125]) {
    test(`ping with ${n} bytes -> pong with the identical payload`, async () => {
      const c = await RawClient.open(srv.port);
      const p = binaryPayload(n, 99);
      c.write(encodeFrame({ opcode: OP.PING, payload: p }));
      const f = await c.nextFrame();
      assert.equal(f.opcode, OP.PONG);
      assert.equal(f.masked, false);
      assert.ok(f.payload.equals(p), 'pong payload');
      await c.closeCleanly();
    });
  }

  test('ping sent byte by byte -> pong', async () => {
    const c = await RawClient.open(srv.port);
    const p = Buffer.from('ping payload');
    await c.writeChunked(encodeFrame({ opcode: OP.PING, payload: p }), 1, 1);
    const f = await c.nextFrame();
    assert.equal(f.opcode, OP.PONG);
    assert.ok(f.payload.equals(p));
    await c.closeCleanly();
  });

  test('10 pings in one write -> 10 pongs in order', async () => {
    const c = await RawClient.open(srv.port);
    c.write(Buffer.concat(Array.from({ length: 10 }, (_, i) => encodeFrame({ opcode: OP.PING, payload: `p${i}` }))));
    for (let i = 0; i < 10; i++) {
      const f = await c.nextFrame();
      assert.equal(f.opcode, OP.PONG);
      assert.equal(f.payload.toString(), `p${i}`);
    }
    await c.closeCleanly();
  });

  test('ping with 126 bytes -> 1002', async () => {
    const c = await RawClient.open(srv.port);
    c.write(encodeFrame({ opcode: OP.PING, payload: Buffer.alloc(126, 1) }));
    await expectFail(c, 1002, 'ping of 126');
  });

  test('unsolicited pong is ignored (no reply, connection stays usable)', async () => {
    const c = await RawClient.open(srv.port);
    c.write(encodeFrame({ opcode: OP.PONG, payload: 'unsolicited' }));
    c.write(encodeFrame({ opcode: OP.PONG, payload: Buffer.alloc(0) }));
    c.write(encodeFrame({ opcode: OP.TEXT, payload: 'after pong' }));
    const f = await c.nextFrame();
    assert.equal(f.opcode, OP.TEXT, 'the first thing back is the echo, not a reply to the pong');
    assert.equal(f.payload.toString(), 'after pong');
    await c.closeCleanly();
  });
});

describe('protocol violations -> 1002 and the TCP close (3.x, 4.x, 5.1)', { concurrency: true }, () => {
  const cases = [];
  for (const rsv of [1, 2, 3, 4, 5, 6, 7]) {
    cases.push([`text frame with RSV=${rsv.toString(2).padStart(3, '0')}`, () => encodeFrame({ opcode: OP.TEXT, payload: 'x', rsv })]);
  }
  cases.push(['ping with RSV1', () => encodeFrame({ opcode: OP.PING, payload: 'x', rsv: 4 })]);
  cases.push(['close with RSV3', () => encodeFrame({ opcode: OP.CLOSE, payload: Buffer.from([3, 232]), rsv: 1 })]);
  for (const op of [3, 4, 5, 6, 7, 11, 12, 13, 14, 15]) {
    cases.push([`reserved opcode ${op}`, () => encodeFrame({ opcode: op, payload: 'reserved' })]);
    cases.push([`reserved opcode ${op}, empty`, () => encodeFrame({ opcode: op })]);
  }
  cases.push(['fragmented ping (FIN=0)', () => encodeFrame({ opcode: OP.PING, payload: 'x', fin: false })]);
  cases.push(['fragmented pong (FIN=0)', () => encodeFrame({ opcode: OP.PONG, payload: 'x', fin: false })]);
  cases.push(['fragmented close (FIN=0)', () => encodeFrame({ opcode: OP.CLOSE, payload: Buffer.from([3, 232]), fin: false })]);
  cases.push(['unmasked text frame', () => encodeFrame({ opcode: OP.TEXT, payload: 'hello', mask: false })]);
  cases.push(['unmasked empty binary frame', () => encodeFrame({ opcode: OP.BINARY, mask: false })]);
  cases.push(['unmasked ping', () => encodeFrame({ opcode: OP.PING, payload: 'p', mask: false })]);
  cases.push(['64-bit length with the MSB set', () => encodeFrame({ opcode: OP.BINARY, len7: 127, extLen: 0x8000000000000001n })]);
  cases.push(['64-bit length 2^63', () => encodeFrame({ opcode: OP.BINARY, len7: 127, extLen: 1n << 63n })]);
  cases.push(['ping with a 16-bit length field', () => encodeFrame({ opcode: OP.PING, payload: 'x', len7: 126, extLen: 1 })]);

  for (const [name, make] of cases) {
    test(name, async () => {
      const c = await RawClient.open(srv.port);
      // An echo first proves the connection was healthy before the violation.
      c.write(encodeFrame({ opcode: OP.TEXT, payload: 'ok' }));
      assert.equal((await c.nextFrame()).payload.toString(), 'ok');
      c.write(make());
      // Anything after the bad frame must never be answered.
      c.write(encodeFrame({ opcode: OP.TEXT, payload: 'must not echo' }));
      await expectFail(c, 1002, name);
    });
  }

  test('bad first byte alone fails fast (no second byte needed)', async () => {
    const c = await RawClient.open(srv.port);
    c.write(Buffer.from([0x80 | 0x40 | OP.TEXT])); // RSV1 text, only byte 0
    await expectFail(c, 1002, 'RSV1 first byte');
  });
});

test('server keeps serving and stops cleanly', () => assertEchoAndStop(srv));
