// SPDX-License-Identifier: MIT
// Keep-alive: server pings (TINA4_WS_PING_INTERVAL), the idle timeout
// (TINA4_WS_IDLE_TIMEOUT -> 1001) and the close timeout.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertEchoAndStop, benchServer, cleanup } from './lib/server.mjs';
import { OP, RawClient, closeFrame, encodeFrame, sleep } from './lib/ws.mjs';

let pinger; // pings every 0.3 s, idle timeout far away
let idler; // pings every 0.3 s, idle after 0.5 s, close timeout 0.5 s
before(async () => {
  [pinger, idler] = await Promise.all([
    benchServer({ TINA4_WS_PING_INTERVAL: '0.3', TINA4_WS_IDLE_TIMEOUT: '30' }),
    benchServer({ TINA4_WS_PING_INTERVAL: '0.3', TINA4_WS_IDLE_TIMEOUT: '0.5', TINA4_WS_CLOSE_TIMEOUT: '0.5' }),
  ]);
});
after(cleanup);

/** Answers every ping with a pong carrying its payload, logging every frame.
 * Returns stop() and until(pred, ms): resolves when pred(log) holds (checked
 * on every frame), rejects after ms. */
function autoPong(c, log = []) {
  let on = true;
  const waiters = new Set();
  const check = () => {
    for (const w of waiters) if (w.pred(log)) { waiters.delete(w); clearTimeout(w.timer); w.resolve(); }
  };
  (async () => {
    while (on) {
      let f;
      try {
        f = await c.nextFrame(5000);
      } catch {
        return;
      }
      log.push(f);
      if (f.opcode === OP.PING) c.write(encodeFrame({ opcode: OP.PONG, payload: f.payload }));
      check();
    }
  })();
  return {
    stop() {
      on = false;
    },
    until(pred, ms, what) {
      return new Promise((resolve, reject) => {
        const w = { pred, resolve };
        w.timer = setTimeout(() => { waiters.delete(w); reject(new Error(`no ${what} within ${ms} ms (${c.describe()})`)); }, ms);
        waiters.add(w);
        check();
      });
    },
  };
}

describe('keep-alive', { concurrency: true }, () => {
  test('TINA4_WS_PING_INTERVAL=0.3: a silent client receives periodic pings', async () => {
    const c = await RawClient.open(pinger.port);
    const t0 = Date.now();
    const pings = [];
    while (pings.length < 3) {
      const f = await c.nextFrame(1500);
      assert.equal(f.opcode, OP.PING, `only pings may arrive unasked (got opcode ${f.opcode})`);
      assert.equal(f.masked, false);
      assert.equal(f.fin, true);
      assert.ok(f.len <= 125);
      pings.push(Date.now() - t0);
    }
    // First ping after ~0.3 s, then every ~0.3 s (tick granularity and ASan slack allowed).
    assert.ok(pings[0] >= 200 && pings[0] < 1000, `first ping after ${pings[0]} ms`);
    for (let i = 1; i < pings.length; i++) {
      const gap = pings[i] - pings[i - 1];
      assert.ok(gap >= 200 && gap < 1000, `ping gap ${gap} ms`);
    }
    c.write(encodeFrame({ opcode: OP.TEXT, payload: 'after pings' }));
    const e = await c.nextDataOrClose();
    assert.equal(e.payload.toString(), 'after pings');
    await c.closeCleanly();
  });

  test('a client that keeps talking is not pinged', async () => {
    const c = await RawClient.open(pinger.port);
    for (let i = 0; i < 8; i++) {
      c.write(encodeFrame({ opcode: OP.TEXT, payload: `m${i}` }));
      const f = await c.nextFrame();
      assert.equal(f.opcode, OP.TEXT, `a busy connection needs no ping (got opcode ${f.opcode} at message ${i})`);
      await sleep(100);
    }
    await c.closeCleanly();
  });

  test('TINA4_WS_IDLE_TIMEOUT=0.5: a client that never answers gets 1001, then the TCP close', async () => {
    const c = await RawClient.open(idler.port);
    const t0 = Date.now();
    const f = await c.expectClose(2500, { tcp: false }); // pings before it are skipped
    const at = Date.now() - t0;
    assert.equal(f.code, 1001);
    assert.ok(at >= 400 && at < 2500, `closed after ${at} ms`);
    // We never answer the close: the server must still drop TCP (close timeout 0.5 s).
    const waited = await c.waitTcpClose(2500);
    assert.ok(waited < 2500);
  });

  test('idle close answered with a close -> TCP closed promptly', async () => {
    const c = await RawClient.open(idler.port);
    const f = await c.expectClose(2500, { tcp: false });
    assert.equal(f.code, 1001);
    c.write(closeFrame(1001));
    const waited = await c.waitTcpClose(400); // well under the 0.5 s close timeout
    assert.ok(waited < 400);
  });

  test('a client that answers pings stays connected past the idle timeout', async () => {
    const c = await RawClient.open(idler.port);
    const log = [];
    const pong = autoPong(c, log);
    // Six pings answered: 1.8 s at 0.3 s apart, over 3x the 0.5 s idle timeout.
    const pingCount = () => log.filter((f) => f.opcode === OP.PING).length;
    await pong.until((l) => pingCount() >= 6 || c.ended || l.some((f) => f.opcode === OP.CLOSE), 6000, 'sixth ping');
    assert.equal(c.ended, false, `connection dropped (${c.describe()})`);
    assert.ok(pingCount() >= 6);
    assert.equal(log.filter((f) => f.opcode === OP.CLOSE).length, 0, 'no close while answering pings');
    // Still usable (the pong loop keeps reading; the echo lands in its log).
    c.write(encodeFrame({ opcode: OP.TEXT, payload: 'still here' }));
    await pong.until((l) => l.some((f) => f.opcode === OP.TEXT), 2000, 'echo');
    pong.stop();
    const echo = log.find((f) => f.opcode === OP.TEXT);
    assert.ok(echo, `no echo (${c.describe()})`);
    assert.equal(echo.payload.toString(), 'still here');
    c.destroy();
  });
});

test('servers keep serving and stop cleanly', async () => {
  await assertEchoAndStop(pinger);
  await assertEchoAndStop(idler);
});
