// SPDX-License-Identifier: MIT
// Helpers for the frond.js unit tests: frond.js loaded as CommonJS (as Node
// sees it), the `ws` package as its WebSocket, and an event recorder that lets
// a test wait for events instead of sleeping.
import { createRequire } from 'node:module';
import WebSocket from 'ws';

export { startServer, ROOT } from '../lib/server.mjs';
export { WebSocket };

const require = createRequire(import.meta.url);
export const frond = require('../../js/frond.js');

export const TIMEOUT = 8000;
export const BENCH = 'bench/tina4-bench-server';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Opens a frond.ws client with the ws implementation and records every event
// as { name, args, at } in order.
export function record(url, opts = {}) {
  const ws = frond.ws(url, { WebSocket, ...opts });
  return watch(ws);
}

const NAMES = ['open', 'message', 'close', 'error', 'reconnect', 'reconnect_failed', 'overflow'];

export function watch(ws) {
  const log = [];
  const waiters = [];
  const pump = () => {
    for (let i = 0; i < waiters.length; i++) {
      const w = waiters[i];
      const hit = log.slice(w.from).find((e) => e.name === w.name && w.pred(...e.args));
      if (hit) {
        waiters.splice(i--, 1);
        clearTimeout(w.timer);
        w.resolve(hit.args);
      }
    }
  };
  for (const name of NAMES) {
    ws.on(name, (...args) => {
      log.push({ name, args, at: Date.now() });
      pump();
    });
  }
  const r = {
    ws,
    log,
    names: () => log.map((e) => e.name),
    count: (name) => log.filter((e) => e.name === name).length,
    messages: () => log.filter((e) => e.name === 'message').map((e) => String(e.args[0])),
    // Resolves with the args of the first `name` event matching pred that was
    // recorded at or after index `from` (default: any time).
    wait(name, pred = () => true, { timeout = TIMEOUT, from = 0 } = {}) {
      return new Promise((resolve, reject) => {
        const w = { name, pred, from, resolve };
        w.timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`timed out waiting for "${name}"; saw: ${JSON.stringify(r.names())}`));
        }, timeout);
        waiters.push(w);
        pump();
      });
    },
    // Waits until `n` messages have arrived (in total).
    async messagesAtLeast(n, timeout = TIMEOUT) {
      const deadline = Date.now() + timeout;
      while (r.messages().length < n) {
        if (Date.now() > deadline) throw new Error(`only ${r.messages().length}/${n} messages: ${r.messages()}`);
        await sleep(10);
      }
      return r.messages();
    },
  };
  return r;
}
