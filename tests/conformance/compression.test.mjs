// SPDX-License-Identifier: MIT
// RFC 7692 permessage-deflate at the frame level (TINA4_WS_COMPRESSION=true):
// negotiation, RSV1 rules, compressed single and fragmented messages, and
// the failures: corrupt deflate data -> 1002 (RFC 7692 names no code; it is
// an extension-level framing error, not a data-type mismatch), invalid UTF-8
// after inflating -> 1007, inflated size over TINA4_WS_MAX_MESSAGE -> 1009.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import zlib from 'node:zlib';
import { assertEchoAndStop, benchServer, cleanup } from './lib/server.mjs';
import { OP, RawClient, asciiPayload, binaryPayload, encodeFrame, sleep } from './lib/ws.mjs';

const OFFER = { 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits' };
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** A client's compressed payload: raw deflate, sync flush, tail removed. */
function deflate(data) {
  const z = zlib.deflateRawSync(Buffer.from(data), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  assert.ok(z.subarray(-4).equals(TAIL));
  return z.subarray(0, -4);
}
const inflate = (payload) =>
  zlib.inflateRawSync(Buffer.concat([payload, TAIL]), { finishFlush: zlib.constants.Z_SYNC_FLUSH });

let srv;
let off; // TINA4_WS_COMPRESSION unset
before(async () => {
  [srv, off] = await Promise.all([benchServer({ TINA4_WS_COMPRESSION: 'true' }), benchServer()]);
});
after(cleanup);

async function expectFail(c, code) {
  const f = await c.expectClose(3000);
  assert.equal(f.code, code, `close code (${f.reason})`);
}

describe('permessage-deflate', { concurrency: true }, () => {
  test('negotiated: both no_context_takeover params in the response', async () => {
    const c = await RawClient.open(srv.port, '/echo', { headers: OFFER });
    assert.equal(
      c.head.headers['sec-websocket-extensions'],
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover',
    );
    await c.closeCleanly();
  });

  test('server_max_window_bits is echoed; 8 is declined for the next offer', async () => {
    const c = await RawClient.open(srv.port, '/echo', {
      headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate; server_max_window_bits=8, permessage-deflate; server_max_window_bits=10' },
    });
    assert.match(c.head.headers['sec-websocket-extensions'], /; server_max_window_bits=10$/);
    const p = asciiPayload(5000, 9);
    c.sendFrame({ opcode: OP.TEXT, payload: deflate(p), rsv: 4 });
    const f = await c.nextDataOrClose();
    assert.equal(f.rsv, 4);
    assert.ok(inflate(f.payload).equals(p));
    await c.closeCleanly();
  });

  test('a declined offer (unknown param) still upgrades, without the extension', async () => {
    const c = await RawClient.open(srv.port, '/echo', { headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate; bogus' } });
    assert.equal(c.head.headers['sec-websocket-extensions'], undefined);
    c.sendFrame({ opcode: OP.TEXT, payload: deflate('x'.repeat(300)), rsv: 4 });
    await expectFail(c, 1002); // RSV1 without the extension
  });

  test('setting off: no extension, plain frames', async () => {
    const c = await RawClient.open(off.port, '/echo', { headers: OFFER });
    assert.equal(c.head.headers['sec-websocket-extensions'], undefined);
    const p = 'y'.repeat(2000);
    c.sendFrame({ opcode: OP.TEXT, payload: p });
    const f = await c.nextDataOrClose();
    assert.equal(f.rsv, 0);
    assert.equal(f.payload.toString(), p);
    await c.closeCleanly();
  });

  test('compressed text echo comes back compressed; small messages plain', async () => {
    const c = await RawClient.open(srv.port, '/echo', { headers: OFFER });
    const p = asciiPayload(1000, 3);
    c.sendFrame({ opcode: OP.TEXT, payload: deflate(p), rsv: 4 });
    let f = await c.nextDataOrClose();
    assert.equal(f.opcode, OP.TEXT);
    assert.equal(f.rsv, 4);
    assert.ok(f.len < p.length);
    assert.ok(inflate(f.payload).equals(p));
    c.sendFrame({ opcode: OP.TEXT, payload: deflate('short'), rsv: 4 }); // under TINA4_WS_COMPRESSION_MIN
    f = await c.nextDataOrClose();
    assert.equal(f.rsv, 0);
    assert.equal(f.payload.toString(), 'short');
    c.sendFrame({ opcode: OP.BINARY, payload: deflate(Buffer.alloc(0)), rsv: 4 }); // the empty message
    f = await c.nextDataOrClose();
    assert.equal(f.opcode, OP.BINARY);
    assert.equal(f.len, 0);
    const r = binaryPayload(3000, 4); // incompressible: sent plain
    c.sendFrame({ opcode: OP.BINARY, payload: r });
    f = await c.nextDataOrClose();
    assert.equal(f.rsv, 0);
    assert.ok(f.payload.equals(r));
    await c.closeCleanly();
  });

  test('compressed fragmented message (RSV1 on the first frame only) with a ping between', async () => {
    const c = await RawClient.open(srv.port, '/echo', { headers: OFFER });
    const p = Buffer.from('héllo wörld '.repeat(200));
    const z = deflate(p);
    const a = Math.floor(z.length / 3);
    c.write(
      Buffer.concat([
        encodeFrame({ opcode: OP.TEXT, payload: z.subarray(0, a), fin: false, rsv: 4 }),
        encodeFrame({ opcode: OP.PING, payload: 'p' }),
        encodeFrame({ opcode: OP.CONT, payload: z.subarray(a, 2 * a), fin: false }),
      ]),
    );
    await sleep(20);
    c.write(encodeFrame({ opcode: OP.CONT, payload: z.subarray(2 * a) }));
    const pong = await c.nextFrame();
    assert.equal(pong.opcode, OP.PONG);
    const f = await c.nextDataOrClose();
    assert.equal(f.rsv, 4);
    assert.ok(inflate(f.payload).equals(p));
    await c.closeCleanly();
  });

  test('RSV1 on a continuation frame -> 1002', async () => {
    const c = await RawClient.open(srv.port, '/echo', { headers: OFFER });
    const z = deflate('abc'.repeat(100));
    c.write(
      Buffer.concat([
        encodeFrame({ opcode: OP.TEXT, payload: z.subarray(0, 5), fin: false, rsv: 4 }),
        encodeFrame({ opcode: OP.CONT, payload: z.subarray(5), rsv: 4 }),
      ]),
    );
    await expectFail(c, 1002);
  });

  test('RSV1 on a ping -> 1002', async () => {
    const c = await RawClient.open(srv.port, '/echo', { headers: OFFER });
    c.sendFrame({ opcode: OP.PING, payload: 'x', rsv: 4 });
    await expectFail(c, 1002);
  });

  test('RSV2 with the extension -> 1002', async () => {
    const c = await RawClient.open(srv.port, '/echo', { headers: OFFER });
    c.sendFrame({ opcode: OP.TEXT, payload: 'x', rsv: 2 });
    await expectFail(c, 1002);
  });

  test('corrupt deflate data -> 1002', async () => {
    const c = await RawClient.open(srv.port, '/echo', { headers: OFFER });
    c.sendFrame({ opcode: OP.TEXT, payload: Buffer.from([0xff, 0xff, 0xff, 0x00, 0x12]), rsv: 4 });
    await expectFail(c, 1002);
  });

  test('invalid UTF-8 inside compressed text -> 1007 (binary is fine)', async () => {
    const bad = Buffer.concat([Buffer.from('a'.repeat(200)), Buffer.from([0xc0, 0xaf])]);
    const b = await RawClient.open(srv.port, '/echo', { headers: OFFER });
    b.sendFrame({ opcode: OP.BINARY, payload: deflate(bad), rsv: 4 });
    const f = await b.nextDataOrClose();
    assert.ok(inflate(f.payload).equals(bad));
    await b.closeCleanly();
    const c = await RawClient.open(srv.port, '/echo', { headers: OFFER });
    c.sendFrame({ opcode: OP.TEXT, payload: deflate(bad), rsv: 4 });
    await expectFail(c, 1007);
  });

  test('zip bomb: 2 MiB of zeros in ~2 KiB -> 1009', async () => {
    const c = await RawClient.open(srv.port, '/echo', { headers: OFFER });
    const z = deflate(Buffer.alloc(2 << 20));
    assert.ok(z.length < 8192);
    c.sendFrame({ opcode: OP.BINARY, payload: z, rsv: 4 });
    await expectFail(c, 1009);
  });

  test('exactly TINA4_WS_MAX_MESSAGE inflated passes', async () => {
    const c = await RawClient.open(srv.port, '/echo', { headers: OFFER });
    const p = Buffer.alloc(1 << 20, 0x61);
    c.sendFrame({ opcode: OP.TEXT, payload: deflate(p), rsv: 4 });
    const f = await c.nextDataOrClose(5000);
    assert.equal(f.rsv, 4);
    assert.ok(inflate(f.payload).equals(p));
    await c.closeCleanly();
  });
});

test('still echoes, exits 0', async () => {
  await assertEchoAndStop(srv);
  await assertEchoAndStop(off);
});
