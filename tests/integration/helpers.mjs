// SPDX-License-Identifier: MIT
// Helpers for the integration tests: WebSocket clients that queue what they
// receive (so a test waits for events instead of sleeping), raw HTTP over a
// socket, and small polling utilities.
import { spawn } from 'node:child_process';
import net from 'node:net';
import WebSocket from 'ws';

export { oneProcess, startServer, ROOT } from '../lib/server.mjs';

export const TIMEOUT = 5000;

// A ws client whose messages are queued. next() waits for the next message
// (optionally the next one matching a predicate), closed resolves with the
// close code/reason, none() asserts nothing arrives within a short window.
export function client(url, opts = {}) {
  const ws = new WebSocket(url, opts);
  const queue = [];
  const waiters = [];
  let closeInfo = null;
  const closeWaiters = [];
  ws.on('message', (data, isBinary) => {
    const m = { data: isBinary ? Buffer.from(data) : data.toString(), binary: isBinary };
    m.json = () => JSON.parse(m.data);
    queue.push(m);
    pump();
  });
  ws.on('error', () => {}); // surfaced through close / opened
  ws.on('close', (code, reason) => {
    closeInfo = { code, reason: reason.toString() };
    closeWaiters.splice(0).forEach((r) => r(closeInfo));
    pump();
  });
  function pump() {
    for (let i = 0; i < waiters.length; i++) {
      const w = waiters[i];
      const idx = queue.findIndex(w.pred);
      if (idx >= 0) {
        const [m] = queue.splice(idx, 1);
        waiters.splice(i--, 1);
        clearTimeout(w.timer);
        w.resolve(m);
      } else if (closeInfo && !w.allowClosed) {
        waiters.splice(i--, 1);
        clearTimeout(w.timer);
        w.reject(new Error(`connection closed (${closeInfo.code}) while waiting for a message`));
      }
    }
  }
  const c = {
    ws,
    queue,
    opened: new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
      ws.once('unexpected-response', (req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    }),
    closed: new Promise((resolve) => closeWaiters.push(resolve)),
    get closeInfo() {
      return closeInfo;
    },
    next(pred = () => true, timeout = TIMEOUT, allowClosed = false) {
      if (typeof pred === 'number') [pred, timeout] = [() => true, pred];
      return new Promise((resolve, reject) => {
        const w = { pred, resolve, reject, allowClosed };
        w.timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`no message within ${timeout} ms (queue: ${JSON.stringify(queue.map((m) => m.data)).slice(0, 300)})`));
        }, timeout);
        waiters.push(w);
        pump();
      });
    },
    async nextJson(pred = () => true, timeout = TIMEOUT) {
      const m = await c.next((x) => !x.binary && pred(JSON.parse(x.data)), timeout);
      return m.json();
    },
    // Resolves true if no message (matching pred) arrives within ms.
    async none(ms = 200, pred = () => true) {
      await new Promise((r) => setTimeout(r, ms));
      return !queue.some(pred);
    },
    send(d) {
      ws.send(d);
    },
    close(code, reason) {
      ws.close(code, reason);
      return c.closed;
    },
  };
  return c;
}

export async function open(url, opts) {
  const c = client(url, opts);
  await c.opened;
  return c;
}

export function withTimeout(p, ms, what) {
  let t;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise((_, rej) => {
      t = setTimeout(() => rej(new Error(`timeout after ${ms} ms: ${what}`)), ms);
    }),
  ]);
}

// Sends raw bytes, collects everything until the server closes the socket,
// or until `until(text)` is true, or the timeout.
export function raw(port, data, { until, timeout = TIMEOUT, keepOpenMs } = {}) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let done = false;
    const finish = (closed) => {
      if (done) return;
      done = true;
      clearTimeout(t);
      s.destroy();
      resolve({ text: buf.toString('latin1'), buf, closed });
    };
    const t = setTimeout(() => (keepOpenMs ? finish(false) : reject(new Error(`raw: timeout; got ${JSON.stringify(buf.toString('latin1').slice(0, 300))}`))), keepOpenMs || timeout);
    s.on('connect', () => {
      if (Array.isArray(data)) data.forEach((d) => s.write(d));
      else if (data) s.write(data);
    });
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (until && until(buf.toString('latin1'))) finish(false);
    });
    s.on('end', () => finish(true));
    s.on('close', () => finish(true));
    s.on('error', () => finish(true));
  });
}

// Splits a byte stream of HTTP/1.1 responses (Content-Length framed).
export function parseResponses(text) {
  const out = [];
  let rest = text;
  while (rest.length) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) break;
    const head = rest.slice(0, end);
    const [statusLine, ...lines] = head.split('\r\n');
    const headers = {};
    for (const l of lines) {
      const i = l.indexOf(':');
      headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
    }
    const len = Number(headers['content-length'] || 0);
    const body = rest.slice(end + 4, end + 4 + len);
    out.push({ status: Number(statusLine.split(' ')[1]), statusLine, headers, body });
    rest = rest.slice(end + 4 + len);
  }
  return out;
}

export async function getJson(url, init) {
  const r = await fetch(url, init);
  return { status: r.status, body: await r.json(), headers: r.headers };
}

export async function postJson(url, body) {
  return getJson(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

// Polls fn until it returns a truthy value (returned) or the timeout.
export async function waitFor(fn, { timeout = TIMEOUT, interval = 20, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  while (Date.now() < deadline) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, interval));
  }
  throw new Error(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Runs a program to its end (killed after timeoutMs); resolves with its exit
// code and its output (o: stdout, e: stderr).
export function run(cmd, args, timeoutMs = 20000) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args);
    let o = '';
    let e = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.stdout.on('data', (d) => (o += d));
    p.stderr.on('data', (d) => (e += d));
    p.on('error', reject);
    p.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, o, e });
    });
  });
}
