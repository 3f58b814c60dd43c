// SPDX-License-Identifier: MIT
// permessage-deflate (TINA4_WS_COMPRESSION=true) against real clients: the
// `ws` npm client (perMessageDeflate with threshold 0 and its default),
// raw-socket clients for frame-level checks (RSV1 or not), Python's
// `websockets` (compression on by default), and the setting off.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import zlib from 'node:zlib';
import { RawClient, encodeFrame, OP } from '../conformance/lib/ws.mjs';
import { ROOT, client, run, startServer } from './helpers.mjs';

const BIN = 'bench/tina4-bench-server';
const EXT = 'permessage-deflate; server_no_context_takeover; client_no_context_takeover';
const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const inflate = (p) => zlib.inflateRawSync(Buffer.concat([p, TAIL]), { finishFlush: zlib.constants.Z_SYNC_FLUSH });

let on;
let offSrv;
before(async () => {
  [on, offSrv] = await Promise.all([
    startServer(BIN, { env: { TINA4_WS_COMPRESSION: 'true', TINA4_LOG_LEVEL: 'warn' } }),
    startServer(BIN, { env: { TINA4_LOG_LEVEL: 'warn' } }),
  ]);
});
after(async () => {
  RawClient.destroyAll();
  for (const s of [on, offSrv]) {
    const { code } = await s.stop();
    assert.equal(code, 0, s.stderr());
  }
});

/** A ws client that records the response's extension header. */
async function wsClient(srv, p, opts) {
  const c = client(srv.wsUrl(p), opts);
  c.ext = new Promise((resolve) => c.ws.once('upgrade', (res) => resolve(res.headers['sec-websocket-extensions'])));
  await c.opened;
  return c;
}

function payload(n, binary, seed = 1) {
  const b = Buffer.alloc(n);
  let s = seed;
  const words = ['{"user":', '"tina4",', '"msg":"hello ', 'world",', '"n":42},'];
  let i = 0;
  while (i < n) {
    s = (s * 1103515245 + 12345) >>> 0;
    const w = words[s % words.length];
    for (let k = 0; k < w.length && i < n; k++) b[i++] = binary && (s & 64) ? (s + k) & 0xff : w.charCodeAt(k);
  }
  return binary ? b : b.toString('latin1');
}

const SIZES = [0, 1, 127, 128, 1000, 65536, 1 << 20];

describe('ws client with perMessageDeflate', { concurrency: true }, () => {
  for (const [name, pmd] of [
    ['threshold 0', { threshold: 0 }],
    ['default options', true],
  ]) {
    test(`echo of text and binary at every size (${name})`, async () => {
      const c = await wsClient(on, '/echo', { perMessageDeflate: pmd });
      assert.equal(await c.ext, EXT);
      assert.match(c.ws.extensions, /permessage-deflate/);
      for (const n of SIZES) {
        for (const binary of [false, true]) {
          const p = payload(n, binary, n + 1);
          c.ws.send(p, { binary });
          const m = await c.next(10000);
          assert.equal(m.binary, binary, `size ${n}`);
          if (binary) assert.ok(m.data.equals(p), `binary echo of ${n} bytes`);
          else assert.equal(m.data, p, `text echo of ${n} bytes`);
        }
      }
      c.ws.close(1000);
      assert.equal((await c.closed).code, 1000);
    });
  }

  test('10 MiB of zeros, < 1 MiB on the wire -> 1009', async () => {
    const c = await wsClient(on, '/echo', { perMessageDeflate: { threshold: 0 } });
    const zeros = Buffer.alloc(10 << 20);
    assert.ok(zlib.deflateRawSync(zeros).length < 1 << 20);
    c.ws.send(zeros, { binary: true });
    assert.equal((await c.closed).code, 1009);
  });

  test('setting off: an offer gets no extension and plain frames', async () => {
    const c = await wsClient(offSrv, '/echo', { perMessageDeflate: { threshold: 0 } });
    assert.equal(await c.ext, undefined);
    assert.equal(c.ws.extensions, '');
    const p = payload(5000, false);
    c.ws.send(p);
    assert.equal((await c.next()).data, p);
    const raw = await RawClient.open(offSrv.port, '/echo', {
      headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate' },
    });
    assert.equal(raw.head.headers['sec-websocket-extensions'], undefined);
    raw.write(encodeFrame({ opcode: OP.TEXT, payload: p }));
    const f = await raw.nextDataOrClose();
    assert.equal(f.rsv, 0);
    assert.equal(f.payload.toString(), p);
    await raw.closeCleanly();
    c.ws.close();
    await c.closed;
  });
});

test('broadcast to compressing and plain clients: each gets the right bytes', async () => {
  const room = '/broadcast/x';
  const zc = await wsClient(on, room, { perMessageDeflate: { threshold: 0 } });
  const pc = await wsClient(on, room, { perMessageDeflate: false });
  const zraw = await RawClient.open(on.port, room, {
    headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits' },
  });
  const praw = await RawClient.open(on.port, room);
  const zraw10 = await RawClient.open(on.port, room, {
    headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate; server_max_window_bits=10' },
  });
  assert.equal(await zc.ext, EXT);
  assert.equal(await pc.ext, undefined);
  assert.equal(zraw.head.headers['sec-websocket-extensions'], EXT);
  assert.equal(praw.head.headers['sec-websocket-extensions'], undefined);
  const big = payload(20000, false, 7);
  const small = 'tiny';
  for (const p of [big, small]) {
    zc.ws.send(p);
    assert.equal((await zc.next()).data, p);
    assert.equal((await pc.next()).data, p);
    const fz = await zraw.nextDataOrClose();
    const fp = await praw.nextDataOrClose();
    const f10 = await zraw10.nextDataOrClose();
    assert.equal(fp.rsv, 0, 'a plain client never sees RSV1');
    assert.equal(fp.payload.toString(), p);
    if (p === big) {
      assert.equal(fz.rsv, 4, 'a compressing client gets the large message compressed');
      assert.ok(fz.len < p.length / 2);
      assert.equal(inflate(fz.payload).toString(), p);
      assert.equal(f10.rsv, 4);
      assert.equal(inflate(f10.payload).toString(), p);
    } else {
      assert.equal(fz.rsv, 0, 'under TINA4_WS_COMPRESSION_MIN: plain');
      assert.equal(fz.payload.toString(), p);
    }
  }
  for (const r of [zraw, praw, zraw10]) await r.closeCleanly();
  zc.ws.close();
  pc.ws.close();
  await Promise.all([zc.closed, pc.closed]);
});

const python = ['/usr/bin/python3', 'python3'].find((p) => {
  if (p.startsWith('/') && !existsSync(p)) return false;
  try {
    execFileSync(p, ['-c', 'import websockets'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});

const PY = `
import asyncio, json, sys, websockets
async def main(url):
    async with websockets.connect(url, max_size=2**21) as ws:
        ext = ws.response_headers.get("Sec-WebSocket-Extensions")
        out = {"ext": ext}
        for n in (0, 1, 200, 5000, 300000):
            t = ("tina4 compressed " * (n // 17 + 1))[:n]
            await ws.send(t)
            got = await asyncio.wait_for(ws.recv(), 5)
            assert got == t, n
            b = bytes(range(256)) * (n // 256) + bytes(n % 256)
            await ws.send(b)
            got = await asyncio.wait_for(ws.recv(), 5)
            assert got == b, n
        out["ok"] = True
    print(json.dumps(out))
asyncio.run(main(sys.argv[1]))
`;

test('python websockets (compression on by default): echo', { skip: !python && 'python3-websockets missing' }, async () => {
  const out = await run(python, ['-c', PY, on.wsUrl('/echo')]);
  assert.equal(out.code, 0, out.o + out.e);
  const r = JSON.parse(out.o.trim());
  assert.equal(r.ok, true);
  assert.match(r.ext, /^permessage-deflate; server_no_context_takeover; client_no_context_takeover/);
});

test('python websockets: the interop script against the examples with compression on', { skip: !python && 'python3-websockets missing' }, async () => {
  const env = { TINA4_WS_COMPRESSION: 'true' };
  const echo = await startServer('examples/echo', { env });
  const ann = await startServer('examples/announcements', { env });
  try {
    const script = path.join(ROOT, 'tests/integration/py_client.py');
    const out = await run(python, [script, echo.wsUrl('/ws/echo'), ann.wsUrl('/ws/announcements')]);
    assert.equal(out.code, 0, out.o + out.e);
  } finally {
    await echo.stop();
    await ann.stop();
  }
});
