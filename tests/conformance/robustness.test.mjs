// SPDX-License-Identifier: MIT
// Robustness: abrupt drops at every stage, garbage input, slow clients.
// The server must keep serving and still stop cleanly (sanitizer-clean).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertEchoAndStop, benchServer, cleanup } from './lib/server.mjs';
import {
  OP,
  RawClient,
  binaryPayload,
  encodeFrame,
  handshakeRequest,
  newKey,
  acceptFor,
  rng,
  sleep,
} from './lib/ws.mjs';

let srv;
let tight; // TINA4_WS_MAX_BACKPRESSURE=256 KiB
before(async () => {
  [srv, tight] = await Promise.all([benchServer(), benchServer({ TINA4_WS_MAX_BACKPRESSURE: '262144' })]);
});
after(cleanup);

async function echoWorks(port, path = '/echo') {
  const c = await RawClient.open(port, path);
  c.write(encodeFrame({ opcode: OP.TEXT, payload: 'are you there' }));
  const f = await c.nextFrame();
  assert.equal(f.payload.toString(), 'are you there');
  await c.closeCleanly();
}

/** One connection dropped at a chosen stage, by FIN or RST. */
async function dropAt(stage, how, r) {
  const c = await RawClient.connect(srv.port);
  const hs = Buffer.from(handshakeRequest(stage === 'broadcast' ? '/broadcast/drop' : '/echo').text);
  const big = encodeFrame({ opcode: OP.BINARY, payload: binaryPayload(200000, 3) });
  switch (stage) {
    case 'connect':
      break;
    case 'mid-handshake':
      c.write(hs.subarray(0, r(1, hs.length - 1)));
      break;
    default: {
      c.write(hs);
      await c.waitHead(5000);
      if (stage === 'mid-header') c.write(big.subarray(0, r(1, 13)));
      else if (stage === 'mid-payload') c.write(big.subarray(0, r(15, 150000)));
      else if (stage === 'mid-fragmented') {
        c.write(encodeFrame({ opcode: OP.TEXT, payload: 'part one ', fin: false }));
        c.write(encodeFrame({ opcode: OP.CONT, payload: 'part two', fin: false }).subarray(0, 9));
      } else if (stage === 'after-close-sent') c.write(encodeFrame({ opcode: OP.CLOSE, payload: Buffer.from([3, 232]) }));
      else if (stage === 'big-echo-unread') {
        // Ask for 200 KB of echo and vanish without reading it.
        c.sock.pause();
        c.write(big);
      } else if (stage === 'broadcast') {
        c.write(encodeFrame({ opcode: OP.TEXT, payload: 'hello room' }));
      }
    }
  }
  await sleep(r(0, 5));
  if (how === 'rst') c.reset();
  else c.end(); // FIN; the server sees EOF
  if (how === 'fin') setTimeout(() => c.destroy(), 200);
}

describe('abrupt drops', () => {
  test('200 connections dropped (RST or FIN) at every stage, 40 at a time', async () => {
    const stages = ['connect', 'mid-handshake', 'mid-header', 'mid-payload', 'mid-fragmented', 'after-close-sent', 'big-echo-unread', 'broadcast'];
    const r = rng(777);
    const jobs = Array.from({ length: 200 }, (_, i) => [stages[i % stages.length], i % 2 ? 'rst' : 'fin']);
    // A listener in the broadcast room sees traffic from dropped members meanwhile.
    const listener = await RawClient.open(srv.port, '/broadcast/drop');
    for (let i = 0; i < jobs.length; i += 40) {
      await Promise.all(jobs.slice(i, i + 40).map(([stage, how]) => dropAt(stage, how, r)));
    }
    await sleep(300);
    assert.equal(listener.ended, false, 'the room listener was dropped');
    const heard = listener.frames.filter((f) => f.opcode === OP.TEXT && f.payload.toString() === 'hello room').length;
    assert.ok(heard > 0, 'the broadcast stage reached the listener');
    listener.frames.length = 0;
    await listener.closeCleanly();
    await echoWorks(srv.port);
  });
});

describe('garbage', { concurrency: true }, () => {
  test('HTTP text after the handshake -> 1002 (the "G" has RSV bits)', async () => {
    const c = await RawClient.open(srv.port);
    c.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const f = await c.expectClose(3000);
    assert.equal(f.code, 1002);
  });

  test('0xFF bytes after the handshake -> 1002', async () => {
    const c = await RawClient.open(srv.port);
    c.write(Buffer.alloc(4096, 0xff));
    const f = await c.expectClose(3000);
    assert.equal(f.code, 1002);
  });

  test('zero bytes after the handshake -> 1002 (continuation without start)', async () => {
    const c = await RawClient.open(srv.port);
    c.write(Buffer.alloc(64, 0));
    const f = await c.expectClose(3000);
    assert.equal(f.code, 1002);
  });

  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    test(`random garbage after the handshake (seed ${seed}) -> a protocol close`, async () => {
      const c = await RawClient.open(srv.port);
      c.write(binaryPayload(65536, seed * 7919));
      const f = await c.expectClose(3000);
      assert.ok([1002, 1007, 1009].includes(f.code), `close code ${f.code}`);
    });
  }

  test('binary garbage instead of a handshake -> 400 and the TCP close', async () => {
    const c = await RawClient.connect(srv.port);
    c.write(Buffer.concat([binaryPayload(300, 5), Buffer.from('\r\n\r\n')]));
    const head = await c.waitHead(3000);
    assert.equal(head.status, 400, head.statusLine);
    await c.waitTcpClose(3000);
  });
});

describe('slow clients', { concurrency: true }, () => {
  test('5 clients sending the handshake one byte at a time, then a frame byte by byte', async () => {
    await Promise.all(
      [0, 1, 2, 3, 4].map(async (i) => {
        const key = newKey();
        const c = await RawClient.connect(srv.port);
        await c.writeChunked(handshakeRequest('/echo', { key }).text, 1, 1);
        const head = await c.waitHead();
        assert.equal(head.status, 101);
        assert.equal(head.headers['sec-websocket-accept'], acceptFor(key));
        await c.writeChunked(encodeFrame({ opcode: OP.TEXT, payload: `slow ${i}` }), 1, 1);
        const f = await c.nextFrame();
        assert.equal(f.payload.toString(), `slow ${i}`);
        await c.closeCleanly();
      }),
    );
  });

  test('a client that does not read a 4 MiB echo stream does not stall others', async () => {
    const slow = await RawClient.open(srv.port);
    slow.sock.pause();
    const chunk = encodeFrame({ opcode: OP.BINARY, payload: binaryPayload(512 * 1024, 9) });
    for (let i = 0; i < 8; i++) slow.write(chunk);
    await echoWorks(srv.port);
    slow.reset();
  });
});

describe('backpressure (TINA4_WS_MAX_BACKPRESSURE=256 KiB)', { concurrency: true }, () => {
  // A client that sends without reading must not make the server buffer
  // without bound: past the limit the server closes with 1013. Pongs are
  // output too (a ping flood is the cheapest way to fill a server's queue).
  for (const [name, frame] of [
    ['echo flood', encodeFrame({ opcode: OP.BINARY, payload: Buffer.alloc(1024, 1) })],
    ['ping flood', encodeFrame({ opcode: OP.PING, payload: Buffer.alloc(125, 1) })],
  ]) {
    test(`${name} from a client that never reads -> 1013, with bounded output before it`, async () => {
      const c = await RawClient.open(tight.port);
      c.sock.pause();
      const total = 40 * 1024 * 1024;
      const batch = Buffer.concat(Array(Math.ceil((1024 * 1024) / frame.length)).fill(frame));
      for (let sent = 0; sent < total && !c.ended; sent += batch.length) {
        if (!c.sock.write(batch)) {
          // The server stopped reading: fine (TCP backpressure), stop flooding.
          const drained = await Promise.race([new Promise((r) => c.sock.once('drain', () => r(true))), sleep(1000).then(() => false)]);
          if (!drained) break;
        }
      }
      c.sock.resume();
      let replyBytes = 0;
      let f;
      for (;;) {
        f = await c.nextFrame(5000).catch((e) => {
          throw new Error(`no close after ${(replyBytes / 1048576).toFixed(1)} MiB of replies: ${e.message}`);
        });
        if (f.opcode === OP.CLOSE) break;
        replyBytes += f.len;
      }
      assert.equal(f.code, 1013, `close code ${f.code}`);
      // Kernel socket buffers on loopback hold a few MB; the server's own queue at most 256 KiB.
      assert.ok(replyBytes < 16 * 1024 * 1024, `${(replyBytes / 1048576).toFixed(1)} MiB of replies before the close`);
      c.destroy();
    });
  }
});

test('servers keep serving and stop cleanly', async () => {
  await assertEchoAndStop(srv);
  await assertEchoAndStop(tight);
});
