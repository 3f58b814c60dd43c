// SPDX-License-Identifier: MIT
// Starts a tina4-c server binary for a test and stops it afterwards.
//
//   const srv = await startServer('bench/tina4-bench-server', { env: { TINA4_WS_MAX_MESSAGE: '1024' } });
//   ... srv.port, srv.url('/echo'), srv.wsUrl('/echo'), srv.stderr() ...
//   await srv.stop();   // SIGTERM; throws unless it exits 0, in time, sanitizer-clean
//
// Binaries are looked up under T4_BUILD (default build-asan, then build).
//
// stop() is the one way a test ends a server, and it is an assertion: after
// SIGTERM (or SIGINT) the server must exit with code 0 within the bound, and
// print no sanitizer report, or stop() throws (so a hang or an abort at
// shutdown fails the test that caused it). A test that means something else
// says so: stop('SIGKILL') expects death by SIGKILL; a test that already sent
// the signal itself (srv.proc.kill) still calls stop() to collect and check
// the exit; { expect: 'any' } skips the exit-status check (the sanitizer
// check always runs).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

// Servers run one process (TINA4_WORKERS=1) unless a test asks for workers,
// though the default is one worker per CPU: most tests look at one
// process's behaviour. T4_WORKERS=N runs them with N workers instead
// (scripts/test.sh does a second integration pass with 2). Set here, in
// this process's environment, so that servers spawned directly (not through
// startServer) inherit it too.
export const WORKERS = process.env.T4_WORKERS || '1';
if (process.env.TINA4_WORKERS === undefined) process.env.TINA4_WORKERS = WORKERS;

// Options for a test of one process's own state (its memory budgets and
// limits, what t4_push returns, per-process event counters read over HTTP):
// such a test is skipped when the suite runs with workers (T4_WORKERS > 1).
// scripts/test.sh does not count these skips as missing checks.
export function oneProcess(why) {
  return WORKERS === '1' ? {} : { skip: `one process only: ${why}` };
}

// A server gets this long to exit after stop()'s signal. Its own shutdown
// bound (TINA4_SHUTDOWN_TIMEOUT) defaults to 10 s; the rest is margin for a
// loaded 2-core machine under ASan (LeakSanitizer's exit scan included).
export const STOP_TIMEOUT_MS = Number(process.env.T4_STOP_TIMEOUT_MS || 20000);

const SANITIZER_REPORT = /ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: UndefinedBehaviorSanitizer/;

export function buildDir() {
  const candidates = [process.env.T4_BUILD, 'build-asan', 'build'].filter(Boolean);
  for (const c of candidates) {
    const d = path.isAbsolute(c) ? c : path.join(ROOT, c);
    if (existsSync(d)) return d;
  }
  throw new Error('no build directory: run make (or make asan) first');
}

export function binary(rel) {
  const p = path.join(buildDir(), rel);
  if (!existsSync(p)) throw new Error(`missing binary ${p}`);
  return p;
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port, proc, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`server exited early with ${proc.exitCode}`);
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.on('connect', () => { s.destroy(); resolve(true); });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`server did not listen on ${port} within ${timeoutMs} ms`);
}

export async function startServer(rel, { env = {}, args = [], cwd = ROOT, timeoutMs = 10000 } = {}) {
  const port = env.TINA4_PORT ? Number(env.TINA4_PORT) : await freePort();
  const bin = path.isAbsolute(rel) ? rel : binary(rel);
  let out = '';
  let err = '';
  const childEnv = {
    ...process.env,
    TINA4_HOST: '127.0.0.1',
    TINA4_LOG_LEVEL: 'info',
    ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0:exitcode=86',
    UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1:exitcode=87',
    ...env,
    TINA4_PORT: String(port),
  };
  // env: { NAME: null } removes NAME (e.g. to see the default of a setting).
  for (const k of Object.keys(childEnv)) if (childEnv[k] === null || childEnv[k] === undefined) delete childEnv[k];
  const proc = spawn(bin, args, { cwd, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { err += d; });
  // 'close', not 'exit': it fires after stdout and stderr have ended, so a
  // sanitizer report written just before the exit is in err when stop() looks.
  const exited = new Promise((resolve) => proc.on('close', (code, signal) => resolve({ code, signal })));
  await waitForPort(port, proc, timeoutMs);
  return {
    port,
    proc,
    url: (p = '/') => `http://127.0.0.1:${port}${p}`,
    wsUrl: (p = '/') => `ws://127.0.0.1:${port}${p}`,
    stdout: () => out,
    stderr: () => err,
    exited,
    // Sends signal (unless the process is gone or a signal was already sent
    // to it), waits for the exit, and checks it; see the top of this file.
    async stop(signal = 'SIGTERM', { timeoutMs = STOP_TIMEOUT_MS, expect } = {}) {
      const want = expect ?? (signal === 'SIGKILL' ? 'SIGKILL' : 'clean');
      if (proc.exitCode === null && proc.signalCode === null && !proc.killed) proc.kill(signal);
      let hung = false;
      const timer = setTimeout(() => { hung = true; proc.kill('SIGKILL'); }, timeoutMs);
      const res = await exited;
      clearTimeout(timer);
      const tail = () => err.slice(-4000);
      if (SANITIZER_REPORT.test(err)) {
        throw new Error(`sanitizer report from ${rel}:\n${err}`);
      }
      if (hung) throw new Error(`${rel} did not exit within ${timeoutMs} ms of ${signal} (killed); stderr tail:\n${tail()}`);
      if (want === 'clean' && (res.code !== 0 || res.signal !== null)) {
        throw new Error(`${rel} exited with ${res.signal ?? `code ${res.code}`} after ${signal}, want code 0; stderr tail:\n${tail()}`);
      }
      if (want === 'SIGKILL' && res.signal !== 'SIGKILL') {
        throw new Error(`${rel} exited with ${res.signal ?? `code ${res.code}`}, want SIGKILL; stderr tail:\n${tail()}`);
      }
      return res;
    },
  };
}
