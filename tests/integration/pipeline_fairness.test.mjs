// SPDX-License-Identifier: MIT
// Fairness under a flood: 8192 tiny requests in one write (each answered 404
// from a small buffer, so no output limit is reached), or thousands of tiny
// WebSocket messages into a broadcast room, must not hold the loop: one
// connection gets a bounded share of each loop turn (requests or frames
// handled, and deliveries its handlers' broadcasts queue), and the rest waits
// for the next turn. Everything is still answered or delivered while a
// canary's echoes interleave with the flood.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { oneProcess, startServer } from '../lib/server.mjs';
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

// A raw subscriber that only counts the bytes of the frames it receives.
function subscriber(port, path) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let head = '';
    const sub = { sock: s, bytes: 0 };
    s.on('connect', () => s.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'));
    s.on('data', (d) => {
      if (head !== null) {
        head += d.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        if (!head.startsWith('HTTP/1.1 101')) return reject(new Error(head.slice(0, 80)));
        sub.bytes += head.length - end - 4;
        head = null;
        resolve(sub);
      } else {
        sub.bytes += d.length;
      }
    });
    s.on('error', reject);
  });
}

// One client floods a room: `frames` one-byte text frames in one write, each
// broadcast to the room (the sender hears its own too). Every subscriber must
// get every message, while a canary echoes back to back; returns the canary's
// round trips.
async function floodRoom(t, srv, room, nsubs, frames) {
  const subs = [];
  for (let i = 0; i < nsubs; i++) subs.push(await subscriber(srv.port, room));
  const sender = await subscriber(srv.port, room);
  const canary = await RawClient.open(srv.port, '/echo');
  sender.sock.write(Buffer.concat(Array(frames).fill(textFrame(Buffer.from('x')))));
  const want = frames * 3; // each arrives as 0x81 0x01 'x'
  const all = [...subs, sender];
  const delivered = () => all.every((s) => s.bytes >= want);
  const rtts = [];
  const deadline = Date.now() + 60000;
  for (let i = 0; !delivered() && Date.now() < deadline; i++) {
    const t0 = process.hrtime.bigint();
    canary.write(textFrame(Buffer.from(`c${i}`)));
    await canary.nextDataOrClose(10000);
    rtts.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  assert.ok(delivered(), `not every subscriber got all ${frames} messages: ${all.map((s) => s.bytes / 3).join(',')}`);
  assert.ok(all.every((s) => s.bytes === want), 'no subscriber got more than was sent');
  rtts.sort((a, b) => a - b);
  t.diagnostic(`canary: ${rtts.length} round trips while ${frames * (nsubs + 1)} deliveries went out, median ${rtts[rtts.length >> 1]?.toFixed(2)} ms, max ${rtts[rtts.length - 1]?.toFixed(2)} ms`);
  for (const s of all) s.sock.destroy();
  await canary.closeCleanly();
  return rtts.length;
}

test('6000 tiny messages in one write: all delivered, 256 frames per loop turn', oneProcess('it counts one loop\'s turns'), async (t) => {
  const srv = await startServer('bench/tina4-bench-server');
  t.after(() => srv.stop());
  // 21 recipients: 126 000 deliveries, 4 turns' worth of fan-out; the frame
  // share makes it 24 turns, and the canary's echoes go out in between.
  // Handled in one turn, the canary gets one or two.
  const n = await floodRoom(t, srv, '/broadcast/frames', 20, 6000);
  assert.ok(n >= 10, `only ${n} canary round trips while the flood was delivered`);
});

test('600 messages into a room of 1000: all delivered, fan-out bounded per loop turn', oneProcess('it counts one loop\'s turns: with workers the room is split and the other half arrives over the bus'), async (t) => {
  const srv = await startServer('bench/tina4-bench-server');
  t.after(() => srv.stop());
  // 600 600 deliveries: at most T4__FANOUT_PER_TURN (32768) per turn makes
  // it 19 turns (the frame share alone would make it 3).
  const n = await floodRoom(t, srv, '/broadcast/fanout', 1000, 600);
  assert.ok(n >= 6, `only ${n} canary round trips while the flood was delivered`);
});
