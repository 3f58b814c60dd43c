// SPDX-License-Identifier: MIT
// HTTP load kinds of the soak: connection churn, pipelining, slow readers
// (never read their responses) and tricklers (headers or a body, a byte
// every half second: the server is expected to cut them off).
import net from 'node:net';
import {
  countCut,
  countExtra,
  counter,
  isStopped,
  loops,
  rand,
  responseReader,
  sleep,
  track,
} from './lib.mjs';

const OP_TIMEOUT_MS = 15000;

// A connected socket, destroyed at the stop. Rejects on error / timeout.
export function connect(port) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    const untrack = track(() => s.destroy());
    s.on('close', untrack);
    const t = setTimeout(() => {
      s.destroy();
      reject(new Error('connect timed out'));
    }, OP_TIMEOUT_MS);
    s.once('connect', () => {
      clearTimeout(t);
      s.setNoDelay(true);
      resolve(s);
    });
    s.once('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
  });
}

// Resolves when a socket closes; its 'error' (a reset) is only recorded.
function closedOf(s) {
  return new Promise((resolve) => {
    let err = null;
    s.on('error', (e) => {
      err = e;
    });
    s.on('close', () => resolve(err));
  });
}

function timeout(p, ms, what) {
  let t;
  return Promise.race([
    p,
    new Promise((_, reject) => {
      t = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(t));
}

// Sends requests and resolves with their answers [{status, body}] in order.
function exchange(s, reqs, count) {
  return new Promise((resolve, reject) => {
    const out = [];
    const done = (err) => {
      s.removeListener('data', onData);
      s.removeListener('close', onClose);
      s.removeListener('error', done);
      if (err) reject(err);
      else resolve(out);
    };
    const rd = responseReader((status, body) => {
      out.push({ status, body });
      if (out.length === count) done(null);
    });
    for (const r of reqs) rd.expect(r.startsWith('HEAD '));
    function onData(d) {
      try {
        rd.feed(d);
      } catch (e) {
        done(e);
      }
    }
    function onClose() {
      done(new Error(`connection closed after ${out.length}/${count} responses`));
    }
    s.on('data', onData);
    s.on('close', onClose);
    s.on('error', done);
    s.write(reqs.join(''));
  });
}

const GET_SMALL = 'GET /small.txt HTTP/1.1\r\nHost: soak\r\n\r\n';
const GET_MISSING = 'GET /missing HTTP/1.1\r\nHost: soak\r\n\r\n';
const HEAD_SMALL = 'HEAD /small.txt HTTP/1.1\r\nHost: soak\r\n\r\n';
const PUSH = 'POST /push/broadcast/soakpush HTTP/1.1\r\nHost: soak\r\nContent-Length: 4\r\n\r\npush';

export function start(cfg) {
  const { port, smallLen } = cfg;

  // Churn: a new connection per request; half are closed by the server
  // (Connection: close), half are dropped by the client after the answer.
  loops('churn_http', cfg.churn, 1000 / cfg.churnRate, async (i) => {
    const s = await connect(port);
    const closed = closedOf(s);
    const close = i % 2 === 0;
    const req = `GET /small.txt HTTP/1.1\r\nHost: soak\r\n${close ? 'Connection: close\r\n' : ''}\r\n`;
    const [r] = await timeout(exchange(s, [req], 1), OP_TIMEOUT_MS, 'churn request');
    if (r.status !== 200 || r.body.length !== smallLen) throw new Error(`churn: got ${r.status}, ${r.body.length} B`);
    if (close) await timeout(closed, OP_TIMEOUT_MS, 'server close after Connection: close');
    s.destroy();
    counter('churn_http').ops++;
  });

  // Pipelining: batches of mixed requests written at once on a keep-alive
  // connection; every answer is checked, in order. A connection serves
  // pipeBatches batches, then the next one opens.
  const mix = [GET_SMALL, GET_MISSING, HEAD_SMALL, GET_SMALL, PUSH, GET_MISSING, GET_SMALL, HEAD_SMALL];
  const want = [200, 404, 200, 200, 200, 404, 200, 200];
  loops('pipeline', cfg.pipeConns, 0, async () => {
    const s = await connect(port);
    const closed = closedOf(s);
    for (let b = 0; b < cfg.pipeBatches && !isStopped(); b++) {
      const t0 = Date.now();
      const reqs = [];
      for (let k = 0; k < cfg.pipeDepth; k++) reqs.push(mix[k % mix.length]);
      const rs = await timeout(exchange(s, reqs, reqs.length), OP_TIMEOUT_MS, 'pipelined batch');
      rs.forEach((r, k) => {
        const w = want[k % want.length];
        const len = reqs[k] === GET_SMALL ? smallLen : null;
        if (r.status !== w || (len !== null && r.body.length !== len))
          throw new Error(`pipeline: answer ${k} is ${r.status} (${r.body.length} B), want ${w}`);
      });
      counter('pipeline').ops += rs.length;
      await sleep(Math.max(0, 1000 / cfg.pipeBatchRate - (Date.now() - t0)));
    }
    s.end();
    await timeout(closed, OP_TIMEOUT_MS, 'pipeline close');
  });

  // Slow readers: write many requests whose answers are large (a 1 MiB
  // file) or many (small 404s: output much bigger than the input), never
  // read, hold the connection a while, then drop it. A server that closes
  // them first has cut them off.
  loops('slow_http', cfg.slowHttp, 1000, async (i) => {
    const s = await connect(port);
    s.pause();
    let cut = false;
    s.on('error', () => {});
    s.on('end', () => {
      cut = true;
    });
    const big = i % 2 === 0;
    const reqs = big ? 'GET /big.bin HTTP/1.1\r\nHost: soak\r\n\r\n'.repeat(32) : GET_MISSING.repeat(8192);
    s.write(reqs);
    countExtra('slow_http', 'bytes_requested', reqs.length);
    await sleep(rand(5000, 20000));
    // Read what is buffered so that a close by the server shows.
    s.resume();
    s.on('data', () => {});
    await sleep(200);
    if (cut || s.destroyed) countCut('slow_http', big ? 'closed, files' : 'closed, 404s');
    else counter('slow_http').ops++;
    s.destroy();
  });

  // Tricklers: a body (Content-Length 4096) or the headers, one byte per
  // trickleMs. The answer they should get is 408 (or a close).
  const trickle = (kind, head, body) => async () => {
    const s = await connect(port);
    let status = 0;
    let ended = false;
    const rd = responseReader((st) => {
      status = st;
    });
    rd.expect(false);
    s.on('data', (d) => {
      try {
        rd.feed(d);
      } catch {
        // a partial answer is still a cut
      }
    });
    s.on('error', () => {});
    s.on('close', () => {
      ended = true;
    });
    s.write(head);
    const t0 = Date.now();
    while (!ended && !status && !isStopped() && Date.now() - t0 < cfg.trickleMaxMs) {
      s.write(body);
      await sleep(cfg.trickleMs);
    }
    if (isStopped()) return s.destroy();
    if (status || ended) {
      countCut(kind, status ? String(status) : 'closed');
      countExtra(kind, 'seconds_to_cut', Math.round((Date.now() - t0) / 1000));
    } else counter(kind).outlived++;
    s.destroy();
  };
  loops(
    'trickle_body',
    cfg.trickleBody,
    1000,
    trickle('trickle_body', 'POST /push/broadcast/trickle HTTP/1.1\r\nHost: soak\r\nContent-Length: 4096\r\n\r\n', 'x')
  );
  loops('trickle_head', cfg.trickleHead, 1000, trickle('trickle_head', 'GET /small.txt HTTP/1.1\r\nX-Slow: ', 'a'));
}
