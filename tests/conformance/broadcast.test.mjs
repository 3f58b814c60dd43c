// SPDX-License-Identifier: MIT
// /broadcast and /broadcast/{room}: fan-out to every connection on the same
// concrete path, sender included, nobody else.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { assertEchoAndStop, benchServer, cleanup } from './lib/server.mjs';
import { OP, RawClient, binaryPayload, encodeFrame, sleep } from './lib/ws.mjs';

let srv;
before(async () => {
  srv = await benchServer();
});
after(cleanup);

async function expectMsg(c, opcode, payload, who) {
  const f = await c.nextDataOrClose(3000);
  assert.equal(f.opcode, opcode, `${who}: opcode`);
  assert.equal(f.masked, false);
  assert.ok(f.payload.equals(Buffer.from(payload)), `${who}: payload`);
}

test('rooms: x gets x\'s messages (sender included), y and /broadcast do not', async () => {
  const x = await Promise.all([0, 1, 2].map(() => RawClient.open(srv.port, '/broadcast/x')));
  const y = await RawClient.open(srv.port, '/broadcast/y');
  const plain = await RawClient.open(srv.port, '/broadcast');

  x[0].write(encodeFrame({ opcode: OP.TEXT, payload: 'to x from 0' }));
  for (const [i, c] of x.entries()) await expectMsg(c, OP.TEXT, 'to x from 0', `x${i}`);

  const bin = binaryPayload(70000, 1);
  x[2].write(encodeFrame({ opcode: OP.BINARY, payload: bin }));
  for (const [i, c] of x.entries()) await expectMsg(c, OP.BINARY, bin, `x${i}`);

  // A fragmented message is broadcast once, whole.
  x[1].write(encodeFrame({ opcode: OP.TEXT, payload: 'frag', fin: false }));
  x[1].write(encodeFrame({ opcode: OP.CONT, payload: 'mented', fin: true }));
  for (const [i, c] of x.entries()) await expectMsg(c, OP.TEXT, 'fragmented', `x${i}`);

  await sleep(200);
  assert.equal(y.frames.length, 0, `y got x's messages (${y.describe()})`);
  assert.equal(plain.frames.length, 0, `/broadcast got x's messages (${plain.describe()})`);

  // y is alive and alone in its room.
  y.write(encodeFrame({ opcode: OP.TEXT, payload: 'y only' }));
  await expectMsg(y, OP.TEXT, 'y only', 'y');
  plain.write(encodeFrame({ opcode: OP.TEXT, payload: 'plain only' }));
  await expectMsg(plain, OP.TEXT, 'plain only', 'plain');
  await sleep(200);
  for (const [i, c] of x.entries()) assert.equal(c.frames.length, 0, `x${i} got another room's message`);

  // One member leaves (close), another drops (RST): the rest still get messages.
  await x[0].closeCleanly();
  const extra = await RawClient.open(srv.port, '/broadcast/x');
  extra.reset();
  x[1].write(encodeFrame({ opcode: OP.TEXT, payload: 'after leave' }));
  await expectMsg(x[1], OP.TEXT, 'after leave', 'x1');
  await expectMsg(x[2], OP.TEXT, 'after leave', 'x2');

  for (const c of [x[1], x[2], y, plain]) await c.closeCleanly();
});

test('many senders, many receivers: every message reaches every member exactly once', async () => {
  const n = 10;
  const cs = await Promise.all(Array.from({ length: n }, () => RawClient.open(srv.port, '/broadcast/busy')));
  cs.forEach((c, i) => c.write(encodeFrame({ opcode: OP.TEXT, payload: `from ${i}` })));
  for (const [i, c] of cs.entries()) {
    const got = [];
    for (let k = 0; k < n; k++) got.push((await c.nextDataOrClose(3000)).payload.toString());
    assert.deepEqual(got.sort(), cs.map((_, j) => `from ${j}`).sort(), `member ${i}`);
  }
  await sleep(100);
  for (const c of cs) assert.equal(c.frames.length, 0, 'no duplicates');
  await Promise.all(cs.map((c) => c.closeCleanly()));
});

test('server keeps serving and stops cleanly', () => assertEchoAndStop(srv));
