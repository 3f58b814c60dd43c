// SPDX-License-Identifier: MIT
// WebSocket load kinds of the soak: connection churn, broadcast (checked for
// loss and order), slow readers (stop reading broadcasts or their own
// echoes), partial frames trickled a byte at a time, and ping floods.
import crypto from 'node:crypto';
import WebSocket from 'ws';
import { connect } from './http_load.mjs';
import { countCut, countExtra, counter, isStopped, loops, rand, sleep, track } from './lib.mjs';

const OP_TIMEOUT_MS = 15000;

// An open ws client, terminated at the stop.
function open(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: OP_TIMEOUT_MS });
    const untrack = track(() => ws.terminate());
    ws.on('close', untrack);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (req, res) => reject(new Error(`upgrade answered ${res.statusCode}`)));
  });
}

function closeOf(ws) {
  return new Promise((resolve) => ws.once('close', (code) => resolve(code)));
}

function nextMessage(ws, ms) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => fail(new Error(`no echo within ${ms} ms`)), ms);
    const onMsg = (data, binary) => {
      clearTimeout(t);
      ws.removeListener('close', onClose);
      resolve({ data: Buffer.from(data), binary });
    };
    const onClose = (code) => fail(new Error(`closed (${code}) while waiting for an echo`));
    function fail(e) {
      clearTimeout(t);
      ws.removeListener('message', onMsg);
      ws.removeListener('close', onClose);
      reject(e);
    }
    ws.once('message', onMsg);
    ws.once('close', onClose);
  });
}

// Waits until ws is closed, at most ms; then terminates it.
async function closeWithin(ws, ms) {
  if (ws.readyState === WebSocket.CLOSED) return;
  const t = setTimeout(() => ws.terminate(), ms);
  await closeOf(ws);
  clearTimeout(t);
}

export function start(cfg) {
  const base = `ws://127.0.0.1:${cfg.port}`;

  // Churn: open, one echo, then a clean close (half) or a dropped socket.
  loops('churn_ws', cfg.churn, 1000 / cfg.churnRate, async (i) => {
    const ws = await open(`${base}/echo`);
    ws.on('error', () => {});
    const msg = crypto.randomBytes(1 + Math.floor(Math.random() * 200)).toString('base64');
    const got = nextMessage(ws, OP_TIMEOUT_MS);
    ws.send(msg);
    const r = await got;
    if (r.binary || r.data.toString() !== msg) throw new Error('churn_ws: echo differs from what was sent');
    if (i % 2 === 0) {
      const closed = closeOf(ws);
      ws.close(1000);
      const code = await closed;
      if (code !== 1000) throw new Error(`churn_ws: close answered ${code}`);
    } else ws.terminate();
    counter('churn_ws').ops++;
  });

  // Broadcast: subscribers (each leaves after a while and comes back) and
  // one paced publisher on /broadcast/soak. Messages carry a sequence
  // number; a subscriber must see them consecutively from its first one.
  // Every tenth message is big (16 KiB), the rest 512 B.
  let seq = 0;
  const pad = 'x'.repeat(16384);
  const subscriber = (kind, path, lifeMs, check) => async () => {
    const ws = await open(`${base}${path}`);
    let last = -1;
    let bad = null;
    ws.on('error', () => {});
    ws.on('message', (data) => {
      countExtra(kind, 'deliveries');
      if (!check) return;
      const m = /^seq:(\d+):/.exec(data.toString('latin1', 0, 24));
      if (!m) return (bad = bad || 'a message without a sequence number');
      const n = Number(m[1]);
      if (last >= 0 && n !== last + 1) bad = bad || `sequence ${n} after ${last}`;
      last = n;
    });
    const closed = closeOf(ws);
    const life = sleep(lifeMs());
    const code = await Promise.race([closed, life.then(() => null)]);
    if (code !== null && !isStopped()) throw new Error(`${kind}: subscriber closed by the server (${code})`);
    if (bad) throw new Error(`${kind}: ${bad}`);
    if (isStopped()) return;
    ws.close(1000);
    await closeWithin(ws, 5000);
    counter(kind).ops++;
  };
  loops('broadcast', cfg.bcSubs, 500, subscriber('broadcast', '/broadcast/soak', () => rand(10000, 40000), true));
  loops('push_subs', cfg.pushSubs, 500, subscriber('push_subs', '/broadcast/soakpush', () => rand(10000, 40000), false));
  loops('publisher', 1, 1000, async () => {
    const ws = await open(`${base}/broadcast/soak`);
    ws.on('error', () => {});
    ws.on('message', () => {}); // the sender gets its own copy too
    const closed = closeOf(ws).then((code) => {
      if (!isStopped()) throw new Error(`publisher closed by the server (${code})`);
    });
    const publish = (async () => {
      const every = 1000 / cfg.bcRate;
      let next = Date.now();
      while (!isStopped() && ws.readyState === WebSocket.OPEN) {
        if (ws.bufferedAmount > 1 << 20) countExtra('publisher', 'skipped_busy');
        else {
          const n = seq++;
          ws.send(`seq:${n}:${pad.slice(0, n % 10 === 0 ? 16384 : 512)}`);
          counter('publisher').ops++;
        }
        next += every;
        await sleep(Math.max(0, next - Date.now()));
      }
    })();
    await Promise.race([closed, publish]);
  });

  // Slow readers: subscribe to the broadcast and stop reading, or send
  // 128 x 64 KiB to /echo and never read the echoes (more than the server
  // may queue for one connection, TINA4_WS_MAX_BACKPRESSURE, plus what the
  // socket buffers hold). After a while they read again to see
  // whether the server closed them (a cut, the expected outcome for the
  // echo flood), then drop the socket.
  loops('slow_ws', cfg.slowWs, 1000, async (i) => {
    const echo = i % 2 === 1;
    const ws = await open(`${base}${echo ? '/echo' : '/broadcast/soak'}`);
    ws.on('error', () => {});
    ws.on('message', () => {});
    let code = null;
    ws.once('close', (c) => {
      code = c;
    });
    ws.pause();
    if (echo) {
      const chunk = crypto.randomBytes(65536);
      for (let k = 0; k < 128; k++) ws.send(chunk);
    }
    await sleep(rand(5000, 20000));
    if (isStopped()) return;
    ws.resume();
    await sleep(300);
    if (code !== null) countCut('slow_ws', `${code}, ${echo ? 'echo' : 'broadcast'}`);
    else counter('slow_ws').ops++;
    ws.terminate();
  });

  // Partial frames: a frame header announcing 4096 payload bytes, then one
  // byte per trickleMs. Expected: the server closes (1008) or drops it.
  loops('trickle_frame', cfg.trickleFrame, 1000, async () => {
    const s = await connect(cfg.port);
    s.on('error', () => {});
    let buf = Buffer.alloc(0);
    let upgraded = false;
    let closeCode = null;
    let ended = false;
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (!upgraded) {
        const e = buf.indexOf('\r\n\r\n');
        if (e < 0) return;
        if (!buf.subarray(0, 12).toString().startsWith('HTTP/1.1 101')) closeCode = 'no upgrade';
        upgraded = true;
        buf = buf.subarray(e + 4);
      }
      if (buf.length >= 4 && (buf[0] & 0x0f) === 8) closeCode = String(buf.readUInt16BE(2));
    });
    s.on('close', () => {
      ended = true;
    });
    const key = crypto.randomBytes(16).toString('base64');
    s.write(
      `GET /echo HTTP/1.1\r\nHost: soak\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`
    );
    // binary, FIN; masked, 16-bit length 4096; a zero mask
    s.write(Buffer.from([0x82, 0xfe, 0x10, 0x00, 0, 0, 0, 0]));
    const t0 = Date.now();
    while (!ended && closeCode === null && !isStopped() && Date.now() - t0 < cfg.trickleMaxMs) {
      s.write('z');
      await sleep(cfg.trickleMs);
    }
    if (isStopped()) return s.destroy();
    if (closeCode === 'no upgrade') throw new Error('trickle_frame: the upgrade was refused');
    if (closeCode !== null || ended) {
      countCut('trickle_frame', closeCode ?? 'closed');
      countExtra('trickle_frame', 'seconds_to_cut', Math.round((Date.now() - t0) / 1000));
    } else counter('trickle_frame').outlived++;
    s.destroy();
  });

  // Ping floods: bursts of pings on /echo (pingsPerSec per flooder); the
  // pongs are read. At the end of its life a flooder checks that an echo
  // still comes back. The server may close a flooder (counted as a cut).
  loops('ping_flood', cfg.pingFlood, 1000, async () => {
    const ws = await open(`${base}/echo`);
    ws.on('error', () => {});
    ws.on('pong', () => countExtra('ping_flood', 'pongs'));
    let code = null;
    ws.once('close', (c) => {
      code = c;
    });
    const payload = Buffer.alloc(8);
    const until = Date.now() + rand(10000, 30000);
    const burst = Math.max(1, Math.round(cfg.pingsPerSec / 20));
    while (!isStopped() && code === null && Date.now() < until) {
      if (ws.bufferedAmount < 1 << 16) {
        for (let k = 0; k < burst; k++) ws.ping(payload);
        countExtra('ping_flood', 'pings', burst);
      }
      await sleep(50);
    }
    if (isStopped()) return;
    if (code !== null) return countCut('ping_flood', String(code));
    const got = nextMessage(ws, OP_TIMEOUT_MS);
    ws.send('still there?');
    const r = await got.catch((e) => e);
    if (r instanceof Error) {
      if (code !== null) return countCut('ping_flood', String(code));
      throw r;
    }
    if (r.data.toString() !== 'still there?') throw new Error('ping_flood: echo differs');
    ws.close(1000);
    await closeWithin(ws, 5000);
    counter('ping_flood').ops++;
  });
}
