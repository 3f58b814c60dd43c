// SPDX-License-Identifier: MIT
// Shared pieces of the soak driver: the stop switch (every sleep ends and no
// new connection starts once it is thrown), per-load counters, the set of open
// client sockets (all destroyed at the stop), a small HTTP/1.1 response reader
// and statistics.

import { readFileSync, readdirSync } from 'node:fs';

// The server's VmRSS (kB) and open fds from /proc; null once it is gone.
export function readServer(pid) {
  try {
    const st = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+) kB/.exec(st)[1]);
    const fds = readdirSync(`/proc/${pid}/fd`).length;
    return { rssKb, fds };
  } catch {
    return null;
  }
}

// CPU seconds (user + system) the process has used so far.
export function cpuSeconds(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return NaN;
  }
}

// ---- stop switch and sleeps --------------------------------------------
const sleepers = new Set();
let stopped = false;

export function isStopped() {
  return stopped;
}

// Resolves after ms, or at once when the soak stops.
export function sleep(ms) {
  if (stopped) return Promise.resolve();
  return new Promise((resolve) => {
    const s = { resolve, timer: null };
    s.timer = setTimeout(() => {
      sleepers.delete(s);
      resolve();
    }, ms);
    sleepers.add(s);
  });
}

// ---- open client connections -------------------------------------------
// Each entry has kill(): destroy the socket without ceremony.
const live = new Set();

export function track(kill) {
  const h = { kill };
  if (stopped) {
    // opened as the soak stopped: drop it on the next turn
    setImmediate(kill);
    return () => {};
  }
  live.add(h);
  return () => live.delete(h);
}

export function liveCount() {
  return live.size;
}

export function stopAll() {
  stopped = true;
  for (const s of sleepers) {
    clearTimeout(s.timer);
    s.resolve();
  }
  sleepers.clear();
  for (const h of live) {
    try {
      h.kill();
    } catch {
      // already gone
    }
  }
  live.clear();
}

// ---- counters ------------------------------------------------------------
// ops: operations completed as expected; errors: a well-behaved client saw
// something wrong; cut: a hostile client was cut off by the server (the
// expected outcome); outlived: a hostile client reached its own time limit
// without being cut off (noted, not an error).
const counters = new Map();

export function counter(kind) {
  let c = counters.get(kind);
  if (!c) {
    c = { ops: 0, errors: 0, cut: 0, outlived: 0, extra: {}, firstError: null, cutHow: {} };
    counters.set(kind, c);
  }
  return c;
}

export function countError(kind, what) {
  const c = counter(kind);
  c.errors++;
  if (!c.firstError) c.firstError = String(what && what.message ? what.message : what);
}

export function countCut(kind, how) {
  const c = counter(kind);
  c.cut++;
  c.cutHow[how] = (c.cutHow[how] || 0) + 1;
}

export function countExtra(kind, key, n = 1) {
  const c = counter(kind);
  c.extra[key] = (c.extra[key] || 0) + n;
}

export function allCounters() {
  return counters;
}

// Runs n copies of a cycle until the stop, each starting at most every
// minMs; an exception is one error of kind and the loop goes on.
export function loops(kind, n, minMs, cycle) {
  for (let i = 0; i < n; i++) {
    (async () => {
      await sleep(Math.random() * minMs); // spread the start
      while (!stopped) {
        const t0 = Date.now();
        try {
          await cycle(i);
        } catch (e) {
          if (!stopped) countError(kind, e);
        }
        const left = minMs - (Date.now() - t0);
        await sleep(left > 0 ? left : 0);
      }
    })();
  }
}

export function rand(lo, hi) {
  return lo + Math.random() * (hi - lo);
}

// ---- HTTP/1.1 responses over a raw socket --------------------------------
// Feed it bytes; it calls onResponse(status, body) for every complete
// response (Content-Length bodies; HEAD responses have none). Enough for
// this server's answers; anything it cannot read is thrown.
export function responseReader(onResponse) {
  let buf = Buffer.alloc(0);
  const heads = []; // true for a HEAD request still waiting for its answer
  let want = null; // { status, len }
  return {
    expect(isHead = false) {
      heads.push(isHead);
    },
    get pending() {
      return heads.length;
    },
    feed(chunk) {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      for (;;) {
        if (!want) {
          const end = buf.indexOf('\r\n\r\n');
          if (end < 0) {
            if (buf.length > 65536) throw new Error('response head over 64 KiB');
            return;
          }
          const head = buf.subarray(0, end).toString('latin1');
          const m = /^HTTP\/1\.1 (\d{3}) /.exec(head);
          if (!m) throw new Error(`bad status line: ${JSON.stringify(head.slice(0, 40))}`);
          const cl = /\r\ncontent-length: *(\d+)/i.exec(head);
          if (/\r\ntransfer-encoding:/i.test(head)) throw new Error('chunked response not expected');
          const isHead = heads.length ? heads[0] : false;
          want = { status: Number(m[1]), len: isHead || !cl ? 0 : Number(cl[1]) };
          buf = buf.subarray(end + 4);
        }
        if (buf.length < want.len) return;
        const body = buf.subarray(0, want.len);
        buf = buf.subarray(want.len);
        const status = want.status;
        want = null;
        heads.shift();
        onResponse(status, body);
      }
    },
  };
}

// ---- statistics ----------------------------------------------------------
export function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)];
}

export function mean(a) {
  return a.length ? a.reduce((s, x) => s + x, 0) / a.length : NaN;
}

// Least-squares slope of ys against xs.
export function slope(xs, ys) {
  const mx = mean(xs);
  const my = mean(ys);
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den ? num / den : 0;
}
