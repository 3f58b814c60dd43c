// The tina4 command: init scaffolds a project; serve compiles its routes,
// prints the chapter's banner, serves HTTP and WebSocket, and exits 0 on SIGINT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { binary, freePort } from '../lib/server.mjs';

const tina4 = binary('tina4');

function waitFor(pred, ms, what) {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const iv = setInterval(() => {
      if (pred()) { clearInterval(iv); resolve(); } else if (Date.now() - t0 > ms) {
        clearInterval(iv); reject(new Error(`timeout waiting for ${what}`));
      }
    }, 20);
  });
}

test('tina4 init creates a project; a second init of the same name fails', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 't4cli-'));
  try {
    const r = spawnSync(tina4, ['init', 'app'], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    for (const f of ['src/routes/app.c', 'src/templates', 'src/public', '.env']) {
      assert.ok(existsSync(path.join(dir, 'app', f)), f);
    }
    const again = spawnSync(tina4, ['init', 'app'], { cwd: dir, encoding: 'utf8' });
    assert.equal(again.status, 1);
    assert.match(again.stderr, /cannot create app/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('unknown command and bad serve option are usage errors (exit 2)', () => {
  assert.equal(spawnSync(tina4, ['frobnicate']).status, 2);
  assert.equal(spawnSync(tina4, ['serve', '--bogus'], { cwd: tmpdir() }).status, 2);
});

test('tina4 serve: banner, HTTP route, WebSocket route, .env, SIGINT exits 0', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 't4cli-'));
  try {
    assert.equal(spawnSync(tina4, ['init', 'app'], { cwd: dir }).status, 0);
    const app = path.join(dir, 'app');
    const port = await freePort();
    // .env sets the port; the --host flag wins over the environment.
    writeFileSync(path.join(app, '.env'), `TINA4_PORT=${port}\nTINA4_HOST=0.0.0.0\n`);
    const env = { ...process.env, ASAN_OPTIONS: 'detect_leaks=1' };
    delete env.TINA4_PORT;
    delete env.TINA4_HOST;
    const proc = spawn(tina4, ['serve', '--host', '127.0.0.1'], { cwd: app, env });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d) => { out += d; });
    proc.stderr.on('data', (d) => { err += d; });
    const exited = new Promise((r) => proc.on('exit', (code, signal) => r({ code, signal })));
    await waitFor(() => out.includes('Press Ctrl+C to stop'), 60000, 'banner');
    assert.match(out, new RegExp(`HTTP server running at http://127\\.0\\.0\\.1:${port}`));
    assert.match(out, new RegExp(`WebSocket server running at ws://127\\.0\\.0\\.1:${port}`));

    const res = await fetch(`http://127.0.0.1:${port}/hello`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { message: 'Hello from Tina4 C' });

    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws/echo`);
    const reply = await new Promise((resolve, reject) => {
      ws.on('open', () => ws.send('hi'));
      ws.on('message', (d) => resolve(d.toString()));
      ws.on('error', reject);
    });
    assert.equal(reply, 'Echo: hi');
    const closed = new Promise((r) => ws.on('close', (code) => r(code)));
    proc.kill('SIGINT');
    assert.equal(await closed, 1001);
    const { code } = await exited;
    assert.equal(code, 0, err);
    assert.doesNotMatch(err, /AddressSanitizer|runtime error/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tina4 serve reports a compile error and exits 1', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 't4cli-'));
  try {
    assert.equal(spawnSync(tina4, ['init', 'app'], { cwd: dir }).status, 0);
    const app = path.join(dir, 'app');
    writeFileSync(path.join(app, 'src/routes/broken.c'), 'this is not C;\n');
    const r = spawnSync(tina4, ['serve', '--port', String(await freePort())], { cwd: app, encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /compiling the routes failed/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
