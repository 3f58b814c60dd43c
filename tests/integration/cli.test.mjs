// SPDX-License-Identifier: MIT
// The tina4 command: init scaffolds a project; serve compiles its routes,
// prints the chapter's banner, serves HTTP and WebSocket, and exits 0 on SIGINT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, writeFileSync, existsSync, rmSync, readFileSync } from 'node:fs';
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

test('help: tina4 --help, tina4 help serve and tina4 serve --help print usage and exit 0', () => {
  const top = spawnSync(tina4, ['--help'], { encoding: 'utf8' });
  assert.equal(top.status, 0, top.stderr);
  assert.match(top.stdout, /tina4 serve \[--host H\] \[--port P\]/);
  assert.match(top.stdout, /exit status: 0 ok, 1 runtime error, 2 usage error/);
  assert.match(top.stdout, /header: +\/.*\n/); // where it found tina4.h
  for (const args of [['help', 'serve'], ['serve', '--help'], ['serve', '-h']]) {
    const r = spawnSync(tina4, args, { encoding: 'utf8', cwd: tmpdir() });
    assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout, /^usage: tina4 serve \[--host H\] \[--port P\]/, args.join(' '));
    assert.match(r.stdout, /--port P/);
  }
  const init = spawnSync(tina4, ['init', '--help'], { encoding: 'utf8', cwd: tmpdir() });
  assert.equal(init.status, 0);
  assert.match(init.stdout, /^usage: tina4 init NAME/);
  const none = spawnSync(tina4, ['help', 'serv'], { encoding: 'utf8' });
  assert.equal(none.status, 2);
  assert.match(none.stderr, /did you mean 'serve'/);
  // No arguments at all: the usage on stderr, a usage error.
  const bare = spawnSync(tina4, [], { encoding: 'utf8' });
  assert.equal(bare.status, 2);
  assert.match(bare.stderr, /usage:/);
});

test('tina4 --version and tina4 version print the version', () => {
  for (const arg of ['--version', 'version']) {
    const r = spawnSync(tina4, [arg], { encoding: 'utf8' });
    assert.equal(r.status, 0);
    assert.match(r.stdout, /^tina4 \d+\.\d+\.\d+\n$/);
  }
});

test('unknown commands and options suggest the nearest known one (exit 2)', () => {
  const cases = [
    [['serv'], /unknown command 'serv'; did you mean 'serve'\?/],
    [['inti', 'x'], /did you mean 'init'\?/],
    [['--hlep'], /unknown option '--hlep'; did you mean '--help'\?/],
    [['--verison'], /did you mean '--version'\?/],
    [['serve', '--prot', '8080'], /unknown option '--prot'; did you mean '--port'\?/],
    [['serve', '--hots', 'x'], /did you mean '--host'\?/],
    [['render', 'x.html', '--dat', 'x.json'], /unknown option '--dat'; did you mean '--data'\?/],
  ];
  for (const [args, re] of cases) {
    const r = spawnSync(tina4, args, { encoding: 'utf8', cwd: tmpdir() });
    assert.equal(r.status, 2, args.join(' '));
    assert.match(r.stderr, re, args.join(' '));
  }
  // Nothing near: no suggestion, still a usage error.
  const far = spawnSync(tina4, ['frobnicate'], { encoding: 'utf8' });
  assert.equal(far.status, 2);
  assert.doesNotMatch(far.stderr, /did you mean/);
  const missing = spawnSync(tina4, ['serve', '--port'], { encoding: 'utf8', cwd: tmpdir() });
  assert.equal(missing.status, 2);
  assert.match(missing.stderr, /--port needs a value/);
});

test('tina4 serve outside a project is a usage error with a hint (exit 2), not a server with no routes', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 't4cli-'));
  try {
    const r = spawnSync(tina4, ['serve', '--port', '0'], { cwd: dir, encoding: 'utf8', timeout: 30000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /not a tina4 project \(no \.c file under src\/routes\/\)/);
    assert.match(r.stderr, /tina4 init NAME/);
    assert.doesNotMatch(r.stdout, /server running/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tina4 init: .gitignore, Dockerfile, systemd unit; the project serves a welcome page at / and a chat demo', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 't4cli-'));
  try {
    assert.equal(spawnSync(tina4, ['init', 'app'], { cwd: dir }).status, 0);
    const app = path.join(dir, 'app');
    const gitignore = readFileSync(path.join(app, '.gitignore'), 'utf8');
    for (const line of ['.tina4/', 'build/', '/app']) assert.ok(gitignore.split('\n').includes(line), line);
    const docker = readFileSync(path.join(app, 'Dockerfile'), 'utf8');
    assert.match(docker, /^FROM debian:bookworm AS build$/m);
    assert.match(docker, /^FROM debian:bookworm-slim$/m);
    // the single binary comes from tina4 build, and only it goes to the run stage
    assert.match(docker, /^RUN \/opt\/tina4\/bin\/tina4 build -o app$/m);
    assert.match(docker, /^COPY --from=build \/app\/app \/app\/app$/m);
    const unit = readFileSync(path.join(app, 'deploy/tina4.service'), 'utf8');
    for (const k of ['DynamicUser=yes', 'ProtectSystem=strict', 'NoNewPrivileges=yes', 'PrivateTmp=yes',
      'ProtectHome=yes', 'RestrictAddressFamilies=']) assert.ok(unit.includes(k), k);

    const port = await freePort();
    const env = { ...process.env, TINA4_PORT: String(port), TINA4_HOST: '127.0.0.1' };
    const proc = spawn(tina4, ['serve'], { cwd: app, env });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d) => { out += d; });
    proc.stderr.on('data', (d) => { err += d; });
    const exited = new Promise((r) => proc.on('exit', (code) => r(code)));
    await waitFor(() => out.includes('Press Ctrl+C to stop') || proc.exitCode !== null, 60000, 'banner');
    assert.match(out, /Press Ctrl\+C to stop/, err);

    const home = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(home.status, 200);
    assert.match(home.headers.get('content-type'), /text\/html/);
    const page = await home.text();
    assert.match(page, /Welcome to Tina4 C/);
    assert.match(page, /href="\/chat\/general"/);
    assert.match(page, /href="https:\/\/tina4\.com"/);

    const chat = await fetch(`http://127.0.0.1:${port}/chat/general`);
    assert.equal(chat.status, 200);
    assert.match(await chat.text(), /frond\.ws\("\/ws\/chat\/"/);

    // Two members of the room: a message from one reaches both.
    const open = (u) => new Promise((resolve, reject) => {
      const ws = new WebSocket(u);
      const msgs = [];
      ws.on('message', (d) => msgs.push(d.toString()));
      ws.on('open', () => resolve({ ws, msgs }));
      ws.on('error', reject);
    });
    const a = await open(`ws://127.0.0.1:${port}/ws/chat/general`);
    const b = await open(`ws://127.0.0.1:${port}/ws/chat/general`);
    await waitFor(() => a.msgs.includes('{"online":2}'), 10000, 'online count 2');
    a.ws.send(JSON.stringify({ text: 'hi' }));
    await waitFor(() => b.msgs.includes('{"text":"hi"}') && a.msgs.includes('{"text":"hi"}'), 10000, 'chat');
    a.ws.close();
    b.ws.close();
    proc.kill('SIGTERM');
    assert.equal(await exited, 0, err);
    assert.doesNotMatch(err, /AddressSanitizer|runtime error/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('tina4 build links the project into ./app, which serves from another folder with no libtina4 and no sources', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 't4build-'));
  try {
    assert.equal(spawnSync(tina4, ['init', 'proj'], { cwd: dir }).status, 0);
    const proj = path.join(dir, 'proj');
    // A route in a subfolder: src/routes/**/*.c is linked.
    mkdirSync(path.join(proj, 'src/routes/api'), { recursive: true });
    writeFileSync(path.join(proj, 'src/routes/api/ping.c'),
      '#include <tina4.h>\nstatic void ping(t4_req *req, t4_res *res) { (void)req; t4_res_text(res, 200, "pong\\n"); }\nT4_GET("/api/ping", ping)\n');
    const b = spawnSync(tina4, ['build'], { cwd: proj, encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr);
    assert.match(b.stdout, /Linking 2 route file\(s\) and libtina4 into app/);
    const ldd = spawnSync('ldd', [path.join(proj, 'app')], { encoding: 'utf8' });
    assert.doesNotMatch(ldd.stdout, /libtina4/, 'libtina4 is linked in, not loaded');
    // Deploy: the binary and the templates and public folders, no sources.
    const deploy = path.join(dir, 'deploy');
    mkdirSync(path.join(deploy, 'src'), { recursive: true });
    cpSync(path.join(proj, 'app'), path.join(deploy, 'app'));
    cpSync(path.join(proj, 'src/templates'), path.join(deploy, 'src/templates'), { recursive: true });
    cpSync(path.join(proj, 'src/public'), path.join(deploy, 'src/public'), { recursive: true });
    rmSync(proj, { recursive: true, force: true });
    const port = await freePort();
    const app = spawn(path.join(deploy, 'app'), [], {
      cwd: tmpdir(), // not its folder: templates are found next to the binary
      env: { ...process.env, TINA4_HOST: '127.0.0.1', TINA4_PORT: String(port), ASAN_OPTIONS: 'detect_leaks=1' },
    });
    let err = '';
    app.stderr.on('data', (d) => { err += d; });
    const exited = new Promise((r) => app.on('exit', (code, signal) => r({ code, signal })));
    let home;
    try {
      for (const t0 = Date.now(); !home && Date.now() - t0 < 20000;) {
        try { home = await fetch(`http://127.0.0.1:${port}/`); } catch { await new Promise((r) => setTimeout(r, 50)); }
      }
    } finally {
      if (!home) app.kill('SIGKILL');
    }
    assert.ok(home, `the built app did not listen: ${err}`);
    assert.equal(home.status, 200);
    assert.match(await home.text(), /<html/i);
    const ping = await fetch(`http://127.0.0.1:${port}/api/ping`);
    assert.equal(await ping.text(), 'pong\n');
    app.kill('SIGTERM');
    assert.deepEqual(await exited, { code: 0, signal: null }, err);
    // Outside a project: a usage error with a hint.
    const none = spawnSync(tina4, ['build'], { cwd: dir, encoding: 'utf8' });
    assert.equal(none.status, 2);
    assert.match(none.stderr, /tina4 init NAME/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
