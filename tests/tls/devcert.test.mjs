// SPDX-License-Identifier: MIT
// tina4 serve --dev-cert: a local CA and localhost certificate made once
// under .tina4/, https and wss served with them, trust instructions printed.
import assert from 'node:assert/strict';
import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import WebSocket from 'ws';
import { binary, freePort } from '../lib/server.mjs';

const run = promisify(execFile);
const tina4 = binary('tina4');

async function serve(app) {
  const port = await freePort();
  const proc = spawn(tina4, ['serve', '--dev-cert'], { cwd: app, env: { ...process.env, TINA4_PORT: String(port), TINA4_HOST: '127.0.0.1' } });
  let out = '';
  let err = '';
  proc.stdout.on('data', (d) => { out += d; });
  proc.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((r) => proc.on('exit', (code) => r(code)));
  const t = Date.now() + 90000;
  while (!out.includes('Press Ctrl+C to stop') && proc.exitCode === null && Date.now() < t) await new Promise((r) => setTimeout(r, 100));
  assert.match(out, /Press Ctrl\+C to stop/, err);
  return { port, proc, out: () => out, err: () => err, stop: async () => { proc.kill('SIGTERM'); return exited; } };
}

test('tina4 serve --dev-cert: https and wss with a local CA made once', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 't4devcert-'));
  const live = [];
  try {
    assert.equal(spawnSync(tina4, ['init', 'app'], { cwd: dir }).status, 0);
    const app = path.join(dir, 'app');
    const first = await serve(app);
    live.push(first);
    assert.match(first.out(), /Made a local CA/);
    assert.match(first.out(), /update-ca-certificates/);
    assert.match(first.out(), /https:\/\/127\.0\.0\.1:\d+/);
    const ca = path.join(app, '.tina4/dev-ca.pem');
    const { stdout } = await run('curl', ['-sS', '--cacert', ca, '-o', '/dev/null', '-w', '%{http_code}',
      '--resolve', `localhost:${first.port}:127.0.0.1`, `https://localhost:${first.port}/`]);
    assert.equal(stdout, '200');
    const ws = new WebSocket(`wss://localhost:${first.port}/ws/echo`, { ca: (await import('node:fs')).readFileSync(ca) });
    const echoed = await new Promise((res, rej) => {
      ws.on('open', () => ws.send('dev cert'));
      ws.on('message', (d) => res(d.toString()));
      ws.on('error', rej);
    });
    assert.equal(echoed, 'Echo: dev cert');
    ws.close();
    assert.equal(await first.stop(), 0);
    const made = statSync(ca).mtimeMs;
    const second = await serve(app);
    live.push(second);
    assert.doesNotMatch(second.out(), /Made a local CA/, 'the certificate is made once');
    assert.equal(statSync(ca).mtimeMs, made);
    assert.equal(await second.stop(), 0);
  } finally {
    for (const s of live) if (s.proc.exitCode === null) s.proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
