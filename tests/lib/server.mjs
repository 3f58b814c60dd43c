// Starts a tina4-c server binary for a test and stops it afterwards.
//
//   const srv = await startServer('bench/tina4-bench-server', { env: { TINA4_WS_MAX_MESSAGE: '1024' } });
//   ... srv.port, srv.url('/echo'), srv.wsUrl('/echo'), srv.stderr() ...
//   const { code, signal } = await srv.stop();   // SIGTERM, waits for exit
//
// Binaries are looked up under T4_BUILD (default build-asan, then build).
// A server that printed a sanitizer report fails the test at stop().
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

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
  const proc = spawn(bin, args, {
    cwd,
    env: {
      ...process.env,
      TINA4_HOST: '127.0.0.1',
      TINA4_LOG_LEVEL: 'info',
      ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0:exitcode=86',
      UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1:exitcode=87',
      ...env,
      TINA4_PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  await waitForPort(port, proc, timeoutMs);
  return {
    port,
    proc,
    url: (p = '/') => `http://127.0.0.1:${port}${p}`,
    wsUrl: (p = '/') => `ws://127.0.0.1:${port}${p}`,
    stdout: () => out,
    stderr: () => err,
    exited,
    async stop(signal = 'SIGTERM', { timeoutMs: t = 15000 } = {}) {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      const timer = setTimeout(() => proc.kill('SIGKILL'), t);
      const res = await exited;
      clearTimeout(timer);
      if (/ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:/.test(err)) {
        throw new Error(`sanitizer report from ${rel}:\n${err}`);
      }
      return res;
    },
  };
}
