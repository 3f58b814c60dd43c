// SPDX-License-Identifier: MIT
// The soak's observer, in a worker thread of its own so that the load on the
// main thread does not delay it: every second it samples the server's VmRSS
// and open fds; a canary WebSocket sends an echo every wsEveryMs (one in
// flight at a time) and a canary HTTP GET on a fresh connection runs every
// httpEveryMs. Messages to the parent: {type:'sample', ...} each second,
// {type:'done', ...} after the parent posts 'stop'.
import http from 'node:http';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import WebSocket from 'ws';
import { readServer } from './lib.mjs';

const { port, pid, wsEveryMs, httpEveryMs, smallLen } = workerData;
const t0 = performance.now();
const wsRtt = [];
const httpRtt = [];
const errors = [];
const spikes = []; // [t (s), ms] of echoes over 100 ms
let stopping = false;

// This thread's own timer lag: a round trip that is slow while this thread
// was itself late is (at least partly) the client's delay, not the server's.
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
let lagMax = 0;
let lagAt = performance.now();
const lagTimer = setInterval(() => {
  const now = performance.now();
  lagMax = Math.max(lagMax, now - lagAt - 20);
  lagAt = now;
}, 20);

// ---- sampler -------------------------------------------------------------
let wsMax = 0;
let httpMax = 0;
const sampler = setInterval(() => {
  const s = readServer(pid);
  const t = (performance.now() - t0) / 1000;
  if (!s) {
    parentPort.postMessage({ type: 'gone', t });
    return;
  }
  // An echo still unanswered shows with its age (a stall is visible live).
  const age = inflight ? performance.now() - inflight.at : 0;
  parentPort.postMessage({ type: 'sample', t, ...s, wsMax: Math.max(wsMax, age), httpMax, lagMax });
  wsMax = 0;
  lagMax = 0;
  httpMax = 0;
}, 1000);

// ---- WebSocket echo canary -----------------------------------------------
let ws = null;
let open = false;
let seq = 0;
let inflight = null; // { text, at }

function connectWs() {
  if (stopping) return;
  ws = new WebSocket(`ws://127.0.0.1:${port}/echo`, { perMessageDeflate: false, handshakeTimeout: 10000 });
  const at = performance.now();
  ws.on('open', () => {
    open = true;
    const ms = performance.now() - at;
    if (ms > wsMax) wsMax = ms;
  });
  ws.on('message', (data) => {
    const text = data.toString();
    if (!inflight || text !== inflight.text) {
      errors.push(`canary echo: got ${JSON.stringify(text.slice(0, 20))}, expected ${inflight && inflight.text}`);
      return;
    }
    const ms = performance.now() - inflight.at;
    wsRtt.push(ms);
    if (ms > wsMax) wsMax = ms;
    if (ms > 100) spikes.push([(performance.now() - t0) / 1000, ms]);
    inflight = null;
  });
  ws.on('error', (e) => {
    if (!stopping) errors.push(`canary WebSocket: ${e.message}`);
  });
  ws.on('close', (code) => {
    open = false;
    if (stopping) return;
    errors.push(`canary WebSocket closed by the server (${code})`);
    if (inflight) wsRtt.push(performance.now() - inflight.at);
    inflight = null;
    setTimeout(connectWs, 100);
  });
}
connectWs();
const wsTimer = setInterval(() => {
  if (!open || inflight) return;
  inflight = { text: `canary ${seq++}`, at: performance.now() };
  ws.send(inflight.text);
}, wsEveryMs);

// ---- HTTP canary -----------------------------------------------------------
let httpBusy = null; // start time of the GET in flight
const httpTimer = setInterval(() => {
  if (httpBusy !== null || stopping) return;
  const at = performance.now();
  httpBusy = at;
  const finish = (err) => {
    if (httpBusy !== at) return;
    httpBusy = null;
    const ms = performance.now() - at;
    httpRtt.push(ms);
    if (ms > httpMax) httpMax = ms;
    if (err && !stopping) errors.push(`canary GET: ${err}`);
  };
  const req = http.get({ host: '127.0.0.1', port, path: '/small.txt', agent: false }, (res) => {
    let len = 0;
    res.on('data', (d) => {
      len += d.length;
    });
    res.on('end', () => finish(res.statusCode !== 200 || len !== smallLen ? `${res.statusCode}, ${len} B` : null));
    res.on('error', (e) => finish(e.message));
  });
  req.setTimeout(10000, () => req.destroy(new Error('no answer within 10 s')));
  req.on('error', (e) => finish(e.message));
}, httpEveryMs);

parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  stopping = true;
  clearInterval(wsTimer);
  clearInterval(httpTimer);
  clearInterval(sampler);
  clearInterval(lagTimer);
  loopDelay.disable();
  // An echo or GET still unanswered counts with its age so far.
  if (inflight) wsRtt.push(performance.now() - inflight.at);
  if (httpBusy !== null) httpRtt.push(performance.now() - httpBusy);
  if (ws) ws.terminate();
  const lag = { p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 };
  parentPort.postMessage({ type: 'done', wsRtt, httpRtt, errors, spikes, lag });
  parentPort.close();
});
