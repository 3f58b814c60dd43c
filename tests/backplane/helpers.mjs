// SPDX-License-Identifier: MIT
// Helpers for the backplane tests: a real redis-server on a free port, tina4
// instances wired to it, queueing WebSocket clients and a tiny RESP client
// (so a test can PUBLISH or inspect keys without an npm Redis package).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import WebSocket from 'ws';
import { freePort, startServer } from '../lib/server.mjs';

export { freePort, startServer };
export const REDIS_SERVER = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p));
export const NGINX = ['/usr/sbin/nginx', '/usr/local/sbin/nginx'].find((p) => existsSync(p));
export const SERVER = 'tests/servers/backplane_server';
export const HEARTBEAT = 0.4; // seconds: crashed instances expire within 3 of these

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Polls fn until it returns a truthy value (returned) or throws after timeout.
export async function waitFor(fn, { timeout = 5000, interval = 25, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
    await sleep(interval);
  }
}

async function portOpen(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.on('connect', () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  });
}

// One RESP command over a fresh connection; resolves with the raw reply text.
// Several commands (arrays of arguments) in one pipeline: redisPipeline(port, ['AUTH', 'pw'], ['KEYS', '*']).
export function redisPipeline(port, ...commands) {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    s.on('connect', () => {
      const parts = [];
      for (const args of commands) {
        parts.push(`*${args.length}\r\n`);
        for (const a of args) {
          const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a));
          parts.push(`$${b.length}\r\n`, b, '\r\n');
        }
      }
      s.write(Buffer.concat(parts.map((p) => (Buffer.isBuffer(p) ? p : Buffer.from(p)))));
    });
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      // Good enough for the short replies the tests read.
      setTimeout(() => { s.destroy(); resolve(buf.toString()); }, 20);
    });
    s.on('error', reject);
  });
}

export const redisCommand = (port, ...args) => redisPipeline(port, args);

// A redis-server the test owns. stop() and start() keep the same port, so
// instances reconnect to it after an outage.
export async function startRedis({ args = [] } = {}) {
  if (!REDIS_SERVER) throw new Error('redis-server is not installed (scripts/setup.sh installs it)');
  const port = await freePort();
  const r = {
    port,
    url: `redis://127.0.0.1:${port}`,
    proc: null,
    async start() {
      const proc = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--loglevel', 'warning', ...args], { stdio: 'ignore' });
      r.proc = proc;
      r.exited = new Promise((res) => proc.on('exit', res));
      await waitFor(() => portOpen(port), { what: `redis on ${port}` });
    },
    async stop() {
      if (!r.proc || r.proc.exitCode !== null) return;
      r.proc.kill('SIGKILL');
      await r.exited;
      r.proc = null;
    },
    command: (...args) => redisCommand(port, ...args),
  };
  await r.start();
  return r;
}

export function connected(srv) {
  return (srv.stderr() + srv.stdout()).match(/backplane: connected to Redis/g)?.length ?? 0;
}

// A tina4 instance on the backplane; waits until its link is up.
export async function startInstance(redis, env = {}) {
  const srv = await startServer(SERVER, {
    env: {
      TINA4_WS_BACKPLANE: 'redis',
      TINA4_WS_BACKPLANE_URL: redis.url,
      TINA4_WS_BACKPLANE_HEARTBEAT: String(HEARTBEAT),
      ...env,
    },
  });
  if (!env.NO_WAIT) await waitFor(() => connected(srv) > 0, { what: `backplane link of :${srv.port}` });
  return srv;
}

export async function count(srv, path) {
  const res = await fetch(srv.url(`/count${path}`));
  return res.json();
}

// A ws client whose messages are queued; next() waits for one.
export function client(url) {
  const ws = new WebSocket(url);
  const queue = [];
  const waiters = [];
  ws.on('message', (data, isBinary) => {
    queue.push({ data: isBinary ? Buffer.from(data) : data.toString(), binary: isBinary });
    pump();
  });
  ws.on('error', () => {});
  function pump() {
    while (waiters.length && queue.length) {
      const w = waiters.shift();
      clearTimeout(w.timer);
      w.resolve(queue.shift());
    }
  }
  const c = {
    ws,
    queue,
    opened: new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); }),
    next(timeout = 5000) {
      return new Promise((resolve, reject) => {
        const w = { resolve };
        w.timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`no message within ${timeout} ms on ${url}`));
        }, timeout);
        waiters.push(w);
        pump();
      });
    },
    async nothing(ms = 300) {
      await sleep(ms);
      return queue.length === 0;
    },
    close() {
      const done = new Promise((r) => ws.once('close', r));
      ws.close();
      return done;
    },
  };
  return c;
}

export async function clients(...urls) {
  const cs = urls.map((u) => client(u));
  await Promise.all(cs.map((c) => c.opened));
  return cs;
}
