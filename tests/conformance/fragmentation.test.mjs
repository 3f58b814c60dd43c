// SPDX-License-Identifier: MIT
// RFC 6455 section 5.4 (Autobahn 5.x): fragmentation.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertEchoAndStop, benchServer, cleanup } from './lib/server.mjs';
import { OP, RawClient, asciiPayload, binaryPayload, encodeFrame, sleep } from './lib/ws.mjs';

let srv;
let small; // TINA4_WS_MAX_MESSAGE=1000
before(async () => {
  [srv, small] = await Promise.all([benchServer(), benchServer({ TINA4_WS_MAX_MESSAGE: '1000' })]);
});
after(cleanup);

/** Frames for payload split into parts: first has opcode, the rest are continuations. */
function fragments(opcode, parts) {
  return parts.map((p, i) => encodeFrame({ opcode: i === 0 ? opcode : OP.CONT, payload: p, fin: i === parts.length - 1 }));
}

function split(buf, sizes) {
  const out = [];
  let off = 0;
  for (const s of sizes) {
    out.push(buf.subarray(off, off + s));
    off += s;
  }
  out.push(buf.subarray(off));
  return out;
}

async function expectMessage(c, opcode, payload) {
  const f = await c.nextDataOrClose();
  assert.equal(f.opcode, opcode, `opcode (${c.describe()})`);
  assert.equal(f.fin, true);
  assert.ok(f.payload.equals(Buffer.from(payload)), `payload: got ${f.len} bytes, want ${payload.length}`);
}

async function expectFail(c, code) {
  const f = await c.expectClose(3000);
  assert.equal(f.code, code);
}

describe('fragmented messages', { concurrency: true }, () => {
  test('text in 2 fragments (one write) is reassembled', async () => {
    const c = await RawClient.open(srv.port);
    c.write(Buffer.concat(fragments(OP.TEXT, ['frag', 'mented'])));
    await expectMessage(c, OP.TEXT, 'fragmented');
    await c.closeCleanly();
  });

  test('binary in 3 fragments (separate writes, delays) is reassembled', async () => {
    const c = await RawClient.open(srv.port);
    const p = binaryPayload(3000, 5);
    for (const fr of fragments(OP.BINARY, split(p, [1000, 1000]))) {
      c.write(fr);
      await sleep(10);
    }
    await expectMessage(c, OP.BINARY, p);
    await c.closeCleanly();
  });

  test('empty fragments: empty start, empty middle, empty final', async () => {
    const c = await RawClient.open(srv.port);
    c.write(Buffer.concat(fragments(OP.TEXT, ['', 'a', '', 'b', ''])));
    await expectMessage(c, OP.TEXT, 'ab');
    c.write(Buffer.concat(fragments(OP.BINARY, ['', '', ''])));
    await expectMessage(c, OP.BINARY, '');
    await c.closeCleanly();
  });

  test('fragmented text, every frame byte-by-byte', async () => {
    const c = await RawClient.open(srv.port);
    await c.writeChunked(Buffer.concat(fragments(OP.TEXT, ['Hello, ', 'World', '!'])), 1, 0);
    await expectMessage(c, OP.TEXT, 'Hello, World!');
    await c.closeCleanly();
  });

  test('1000 one-byte fragments', async () => {
    const c = await RawClient.open(srv.port);
    const p = asciiPayload(1000, 3);
    c.write(Buffer.concat(fragments(OP.TEXT, split(p, Array(999).fill(1)))));
    await expectMessage(c, OP.TEXT, p);
    await c.closeCleanly();
  });

  test('large message (512 KiB) in 64 KiB fragments', async () => {
    const c = await RawClient.open(srv.port);
    const p = binaryPayload(512 * 1024, 4);
    c.write(Buffer.concat(fragments(OP.BINARY, split(p, Array(7).fill(65536)))));
    await expectMessage(c, OP.BINARY, p);
    await c.closeCleanly();
  });

  test('two fragmented messages back to back keep their opcodes', async () => {
    const c = await RawClient.open(srv.port);
    c.write(Buffer.concat([...fragments(OP.TEXT, ['t1', 't2']), ...fragments(OP.BINARY, ['b1', 'b2']), ...fragments(OP.TEXT, ['x', 'y'])]));
    await expectMessage(c, OP.TEXT, 't1t2');
    await expectMessage(c, OP.BINARY, 'b1b2');
    await expectMessage(c, OP.TEXT, 'xy');
    await c.closeCleanly();
  });

  test('pings interleaved between fragments are answered (before the message completes)', async () => {
    const c = await RawClient.open(srv.port);
    c.write(encodeFrame({ opcode: OP.TEXT, payload: 'one ', fin: false }));
    c.write(encodeFrame({ opcode: OP.PING, payload: 'ping-1' }));
    let f = await c.nextFrame();
    assert.deepEqual([f.opcode, f.payload.toString()], [OP.PONG, 'ping-1']);
    c.write(encodeFrame({ opcode: OP.CONT, payload: 'two ', fin: false }));
    c.write(encodeFrame({ opcode: OP.PONG, payload: 'unsolicited' }));
    c.write(encodeFrame({ opcode: OP.PING, payload: 'ping-2' }));
    f = await c.nextFrame();
    assert.deepEqual([f.opcode, f.payload.toString()], [OP.PONG, 'ping-2']);
    c.write(encodeFrame({ opcode: OP.CONT, payload: 'three', fin: true }));
    await expectMessage(c, OP.TEXT, 'one two three');
    await c.closeCleanly();
  });

  test('ping interleaved in one write with all fragments', async () => {
    const c = await RawClient.open(srv.port);
    const fr = fragments(OP.BINARY, ['ab', 'cd', 'ef']);
    c.write(Buffer.concat([fr[0], encodeFrame({ opcode: OP.PING, payload: 'p' }), fr[1], fr[2]]));
    const f = await c.nextFrame();
    assert.deepEqual([f.opcode, f.payload.toString()], [OP.PONG, 'p'], 'the pong comes first');
    await expectMessage(c, OP.BINARY, 'abcdef');
    await c.closeCleanly();
  });

  test('close interleaved between fragments: close echoed, message dropped', async () => {
    const c = await RawClient.open(srv.port);
    c.write(encodeFrame({ opcode: OP.TEXT, payload: 'partial', fin: false }));
    c.write(encodeFrame({ opcode: OP.CLOSE, payload: Buffer.from([0x03, 0xe8]) }));
    c.write(encodeFrame({ opcode: OP.CONT, payload: ' never', fin: true }));
    const f = await c.expectClose();
    assert.equal(f.code, 1000);
  });
});

describe('fragmentation errors', { concurrency: true }, () => {
  test('continuation without a start -> 1002', async () => {
    const c = await RawClient.open(srv.port);
    c.write(encodeFrame({ opcode: OP.CONT, payload: 'orphan', fin: true }));
    await expectFail(c, 1002);
  });

  test('non-final continuation without a start -> 1002', async () => {
    const c = await RawClient.open(srv.port);
    c.write(encodeFrame({ opcode: OP.CONT, payload: 'orphan', fin: false }));
    await expectFail(c, 1002);
  });

  test('continuation after a completed message -> 1002', async () => {
    const c = await RawClient.open(srv.port);
    c.write(Buffer.concat(fragments(OP.TEXT, ['a', 'b'])));
    await expectMessage(c, OP.TEXT, 'ab');
    c.write(encodeFrame({ opcode: OP.CONT, payload: 'c', fin: true }));
    await expectFail(c, 1002);
  });

  test('new text frame while a fragmented message is in progress -> 1002', async () => {
    const c = await RawClient.open(srv.port);
    c.write(encodeFrame({ opcode: OP.TEXT, payload: 'first', fin: false }));
    c.write(encodeFrame({ opcode: OP.TEXT, payload: 'second', fin: true }));
    await expectFail(c, 1002);
  });

  test('new binary start while a fragmented text message is in progress -> 1002', async () => {
    const c = await RawClient.open(srv.port);
    c.write(encodeFrame({ opcode: OP.TEXT, payload: 'first', fin: false }));
    c.write(encodeFrame({ opcode: OP.BINARY, payload: 'second', fin: false }));
    await expectFail(c, 1002);
  });

  test('fragmented message within TINA4_WS_MAX_MESSAGE=1000 passes at exactly 1000', async () => {
    const c = await RawClient.open(small.port);
    const p = asciiPayload(1000, 11);
    c.write(Buffer.concat(fragments(OP.TEXT, split(p, [400, 400]))));
    await expectMessage(c, OP.TEXT, p);
    await c.closeCleanly();
  });

  test('fragmented message totalling 1001 over TINA4_WS_MAX_MESSAGE=1000 -> 1009', async () => {
    const c = await RawClient.open(small.port);
    c.write(encodeFrame({ opcode: OP.TEXT, payload: asciiPayload(600, 1), fin: false }));
    c.write(encodeFrame({ opcode: OP.CONT, payload: asciiPayload(401, 2), fin: true }));
    await expectFail(c, 1009);
  });

  test('many small fragments totalling over the limit -> 1009 (without a final fragment)', async () => {
    const c = await RawClient.open(small.port);
    const parts = Array.from({ length: 120 }, (_, i) => encodeFrame({ opcode: i ? OP.CONT : OP.BINARY, payload: Buffer.alloc(10, i), fin: false }));
    c.write(Buffer.concat(parts));
    await expectFail(c, 1009);
  });
});

test('servers keep serving and stop cleanly', async () => {
  await assertEchoAndStop(small);
  await assertEchoAndStop(srv);
});
