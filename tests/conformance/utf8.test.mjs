// SPDX-License-Identifier: MIT
// RFC 6455 sections 5.6 and 8.1 (Autobahn 6.x): text must be UTF-8; an
// invalid byte fails the connection with 1007, as early as it is seen.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertEchoAndStop, benchServer, cleanup } from './lib/server.mjs';
import { OP, RawClient, encodeFrame, sleep } from './lib/ws.mjs';

let srv;
before(async () => {
  srv = await benchServer();
});
after(cleanup);

const hex = (s) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

const VALID = {
  'Greek kosme': Buffer.from('κόσμε'),
  'mixed Latin-1': Buffer.from('Hello-µ@ßöäüàá-UTF-8!!'),
  'CJK and emoji': Buffer.from('中文 日本語 한국어 😀🎉'),
  'U+0000 NUL': hex('00'),
  'U+007F': hex('7f'),
  'U+0080 (first 2-byte)': hex('c280'),
  'U+07FF (last 2-byte)': hex('dfbf'),
  'U+0800 (first 3-byte)': hex('e0a080'),
  'U+D7FF (before surrogates)': hex('ed9fbf'),
  'U+E000 (after surrogates)': hex('ee8080'),
  'U+FFFD': hex('efbfbd'),
  'U+FFFE and U+FFFF (noncharacters are valid)': hex('efbfbe efbfbf'),
  'U+10000 (first 4-byte)': hex('f0908080'),
  'U+10FFFF (last code point)': hex('f48fbfbf'),
};

const INVALID = {
  'lone continuation 0x80': hex('80'),
  'lone continuation 0xBF after ASCII': hex('61 bf 62'),
  'two continuations': hex('80 80'),
  'overlong NUL C0 80': hex('c080'),
  'overlong C1 BF': hex('c1bf'),
  'overlong 3-byte E0 80 AF': hex('e080af'),
  'overlong 3-byte E0 9F BF': hex('e09fbf'),
  'overlong 4-byte F0 80 80 AF': hex('f08080af'),
  'overlong 4-byte F0 8F BF BF': hex('f08fbfbf'),
  'surrogate U+D800 (ED A0 80)': hex('eda080'),
  'surrogate U+DFFF (ED BF BF)': hex('edbfbf'),
  'surrogate pair as CESU-8': hex('eda0bd edb880'),
  'above U+10FFFF: F4 90 80 80': hex('f4908080'),
  'F5 lead': hex('f5808080'),
  '5-byte form F8 88 80 80 80': hex('f888808080'),
  '6-byte form FC 84 80 80 80 80': hex('fc8480808080'),
  'FE': hex('fe'),
  'FF': hex('ff'),
  'truncated 2-byte at message end': hex('61 c3'),
  'truncated 3-byte at message end': hex('e282'),
  'truncated 4-byte at message end': hex('f09f98'),
  'lead then ASCII (missing continuation)': hex('c3 41'),
  'Autobahn 6.3.1 kosme with ED A0 80': hex('cebae1bdb9cf83cebcceb5eda080656469746564'),
};

async function expectEcho(c, payload) {
  const f = await c.nextDataOrClose();
  assert.equal(f.opcode, OP.TEXT, `expected a text echo (${c.describe()})`);
  assert.ok(f.payload.equals(payload), `echo differs: ${f.payload.toString('hex')} vs ${payload.toString('hex')}`);
}

async function expect1007(c, ms = 3000) {
  const f = await c.expectClose(ms);
  assert.equal(f.code, 1007);
}

describe('valid UTF-8 is echoed', { concurrency: true }, () => {
  test('each valid sample as one frame, as byte fragments, and sent byte-by-byte', async () => {
    const c = await RawClient.open(srv.port);
    for (const [name, p] of Object.entries(VALID)) {
      c.write(encodeFrame({ opcode: OP.TEXT, payload: p }));
      await expectEcho(c, p);
      // Every byte its own fragment: sequences split across fragments are valid.
      const frags = [...p].map((b, i) => encodeFrame({ opcode: i ? OP.CONT : OP.TEXT, payload: Buffer.from([b]), fin: i === p.length - 1 }));
      c.write(Buffer.concat(frags));
      await expectEcho(c, p);
      await c.writeChunked(encodeFrame({ opcode: OP.TEXT, payload: p }), 1, 0);
      await expectEcho(c, p).catch((e) => {
        throw new Error(`${name}: ${e.message}`);
      });
    }
    await c.closeCleanly();
  });

  test('a 4-byte sequence split 1+3, 2+2, 3+1 across fragments is valid', async () => {
    const c = await RawClient.open(srv.port);
    const emoji = Buffer.from('a😀b');
    for (const cut of [2, 3, 4]) {
      c.write(encodeFrame({ opcode: OP.TEXT, payload: emoji.subarray(0, cut), fin: false }));
      await sleep(5);
      c.write(encodeFrame({ opcode: OP.CONT, payload: emoji.subarray(cut), fin: true }));
      await expectEcho(c, emoji);
    }
    await c.closeCleanly();
  });

  test('a sequence split across fragments with a ping in between stays valid', async () => {
    const c = await RawClient.open(srv.port);
    const euro = Buffer.from('x€y'); // 78 e2 82 ac 79
    c.write(encodeFrame({ opcode: OP.TEXT, payload: euro.subarray(0, 3), fin: false }));
    c.write(encodeFrame({ opcode: OP.PING, payload: Buffer.from([0xac, 0x80]) })); // not text: not validated
    const p = await c.nextFrame();
    assert.equal(p.opcode, OP.PONG);
    c.write(encodeFrame({ opcode: OP.CONT, payload: euro.subarray(3), fin: true }));
    await expectEcho(c, euro);
    // And an invalid continuation after a ping still fails.
    c.write(encodeFrame({ opcode: OP.TEXT, payload: hex('e282'), fin: false }));
    c.write(encodeFrame({ opcode: OP.PING, payload: 'p' }));
    assert.equal((await c.nextFrame()).opcode, OP.PONG);
    c.write(encodeFrame({ opcode: OP.CONT, payload: hex('41'), fin: true }));
    await expect1007(c);
  });

  test('invalid UTF-8 in a binary message is fine', async () => {
    const c = await RawClient.open(srv.port);
    const p = hex('c080 eda080 ff fe 80');
    c.write(encodeFrame({ opcode: OP.BINARY, payload: p }));
    const f = await c.nextFrame();
    assert.equal(f.opcode, OP.BINARY);
    assert.ok(f.payload.equals(p));
    await c.closeCleanly();
  });

  test('long valid multibyte text (64 KiB + 1 of 3-byte characters, in random chunks)', async () => {
    const c = await RawClient.open(srv.port);
    const p = Buffer.from('€'.repeat(21846)); // 65538 bytes
    await c.writeChunked(encodeFrame({ opcode: OP.TEXT, payload: p }), [1, 7, 4096, 2, 333], 0);
    await expectEcho(c, p);
    await c.closeCleanly();
  });
});

describe('invalid UTF-8 -> 1007', { concurrency: true }, () => {
  for (const [name, p] of Object.entries(INVALID)) {
    test(name, async () => {
      const a = await RawClient.open(srv.port);
      a.write(encodeFrame({ opcode: OP.TEXT, payload: p }));
      await expect1007(a);
      // The same bytes, one per fragment.
      const b = await RawClient.open(srv.port);
      const frags = [...p].map((x, i) => encodeFrame({ opcode: i ? OP.CONT : OP.TEXT, payload: Buffer.from([x]), fin: i === p.length - 1 }));
      b.write(Buffer.concat(frags));
      await expect1007(b);
    });
  }

  test('invalid UTF-8 after a long valid prefix in a later fragment -> 1007', async () => {
    const c = await RawClient.open(srv.port);
    c.write(encodeFrame({ opcode: OP.TEXT, payload: 'valid start ', fin: false }));
    c.write(encodeFrame({ opcode: OP.CONT, payload: Buffer.from('κόσμε'), fin: false }));
    c.write(encodeFrame({ opcode: OP.CONT, payload: hex('eda080'), fin: true }));
    await expect1007(c);
  });
});

describe('fail fast (Autobahn 6.4.x)', { concurrency: true }, () => {
  test('fragmented text: 1007 after the FIRST fragment, before the rest is sent', async () => {
    const c = await RawClient.open(srv.port);
    c.write(encodeFrame({ opcode: OP.TEXT, payload: Buffer.concat([Buffer.from('κόσμε'), hex('f4908080')]), fin: false }));
    const f = await c.expectClose(1500, { tcp: false }); // no further fragment has been sent
    assert.equal(f.code, 1007);
    c.write(encodeFrame({ opcode: OP.CONT, payload: 'edited', fin: false }));
    c.write(encodeFrame({ opcode: OP.CONT, payload: '', fin: true }));
    await c.waitTcpClose(3000);
  });

  test('one frame in two TCP writes, invalid byte in the first: 1007 before the second write', async () => {
    const c = await RawClient.open(srv.port);
    const p = Buffer.concat([Buffer.from('κόσμε'), hex('f4908080'), Buffer.from('edited and much more text after it')]);
    const frame = encodeFrame({ opcode: OP.TEXT, payload: p });
    const cut = frame.length - 30; // header + κόσμε + the bad sequence + a little
    c.write(frame.subarray(0, cut));
    const f = await c.expectClose(1500, { tcp: false });
    assert.equal(f.code, 1007);
    c.write(frame.subarray(cut));
    await c.waitTcpClose(3000);
  });

  test('the invalid byte as the last byte received so far: 1007 without waiting', async () => {
    const c = await RawClient.open(srv.port);
    const frame = encodeFrame({ opcode: OP.TEXT, payload: Buffer.concat([Buffer.from('abc'), hex('ff'), Buffer.from('def')]) });
    c.write(frame.subarray(0, frame.length - 3)); // stops right after 0xFF
    const f = await c.expectClose(1500, { tcp: false });
    assert.equal(f.code, 1007);
  });

  test('an incomplete but still valid prefix is NOT failed early', async () => {
    const c = await RawClient.open(srv.port);
    const p = Buffer.from('ab😀cd');
    const frame = encodeFrame({ opcode: OP.TEXT, payload: p });
    const cut = frame.length - 5; // stops inside the 4-byte sequence
    c.write(frame.subarray(0, cut));
    await sleep(200);
    assert.equal(c.frames.length, 0, `nothing may come back yet (${c.describe()})`);
    assert.equal(c.ended, false);
    c.write(frame.subarray(cut));
    await expectEcho(c, p);
    await c.closeCleanly();
  });
});

test('server keeps serving and stops cleanly', () => assertEchoAndStop(srv));
