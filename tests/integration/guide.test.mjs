// SPDX-License-Identifier: MIT
// docs/GUIDE.md keeps working: every block after a `<!-- guide-file: PATH -->`
// marker is written to PATH in a project made by `tina4 init`, the project is
// linked by `tina4 build`, and the program is driven with real clients the way
// the guide describes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT, client, oneProcess, open, startServer } from './helpers.mjs';
import { binary } from '../lib/server.mjs';

// The files of the guide: [path, text] in the order they appear.
function guideFiles() {
  const md = readFileSync(path.join(ROOT, 'docs/GUIDE.md'), 'utf8');
  const re = /^<!-- guide-file: (\S+) -->\n```\w+\n([\s\S]*?)^```$/gm;
  return [...md.matchAll(re)].map((m) => [m[1], m[2]]);
}

const ctx = {};
before(async () => {
  ctx.dir = mkdtempSync(path.join(tmpdir(), 't4guide-'));
  const tina4 = binary('tina4');
  assert.equal(spawnSync(tina4, ['init', 'myapp'], { cwd: ctx.dir }).status, 0);
  ctx.app = path.join(ctx.dir, 'myapp');
  ctx.files = guideFiles();
  for (const [rel, text] of ctx.files) {
    mkdirSync(path.dirname(path.join(ctx.app, rel)), { recursive: true });
    writeFileSync(path.join(ctx.app, rel), text);
  }
  const built = spawnSync(tina4, ['build'], { cwd: ctx.app, encoding: 'utf8' });
  assert.equal(built.status, 0, `tina4 build failed:\n${built.stdout}${built.stderr}`);
  // Sanitizer builds link ASan into the app too: leaks are reported at exit.
  ctx.srv = await startServer(path.join(ctx.app, 'app'), { cwd: ctx.app, timeoutMs: 20000 });
});

after(async () => {
  if (ctx.srv) await ctx.srv.stop();
  if (ctx.srv) assert.doesNotMatch(ctx.srv.stderr(), /already registered|invalid pattern/);
  rmSync(ctx.dir, { recursive: true, force: true });
});

test('the guide has its samples, each with a marker', () => {
  const paths = ctx.files.map(([p]) => p);
  assert.ok(paths.length >= 12, `found ${paths.length} guide files`);
  assert.equal(new Set(paths).size, paths.length, 'two samples write the same file');
});

test('section 4: welcome with the id, pong to a ping, an error for bad JSON', async () => {
  const c = await open(ctx.srv.wsUrl('/ws/events'));
  const hello = await c.nextJson();
  assert.equal(hello.type, 'welcome');
  assert.match(hello.connection_id, /^[0-9a-f]{32}$/);
  c.send(JSON.stringify({ type: 'ping' }));
  assert.deepEqual(await c.nextJson(), { type: 'pong' });
  c.send('not json');
  assert.deepEqual(await c.nextJson(), { type: 'error' });
  await c.close();
});

test('section 6: exclude_self: the sender gets "sent", the others the message', async () => {
  const a = await open(ctx.srv.wsUrl('/ws/feed'));
  const b = await open(ctx.srv.wsUrl('/ws/feed'));
  a.send('hello');
  assert.deepEqual(await a.nextJson(), { type: 'sent', text: 'hello' });
  assert.deepEqual(await b.nextJson(), { type: 'message', text: 'hello' });
  assert.ok(await a.none(200));
  await a.close();
  await b.close();
});

test('section 6: a bad token is told and closed with 4001', async () => {
  const c = client(ctx.srv.wsUrl('/ws/secure'));
  await c.opened;
  assert.deepEqual(await c.nextJson(), { error: 'Unauthorized' });
  assert.equal((await c.closed).code, 4001);
  const ok = await open(ctx.srv.wsUrl('/ws/secure?token=let-me-in'));
  assert.deepEqual(await ok.nextJson(), { type: 'welcome' });
  await ok.close();
});

test('section 7: rooms do not hear each other', async () => {
  const g = await open(ctx.srv.wsUrl('/ws/rooms/general'));
  await g.nextJson();
  const r = await open(ctx.srv.wsUrl('/ws/rooms/random'));
  await r.nextJson();
  r.send('psst');
  assert.deepEqual(await r.nextJson(), { type: 'message', room: 'random', text: 'psst' });
  assert.ok(await g.none(200));
  await g.close();
  await r.close();
});

test('section 9: an HTTP call pushes a notification to the user\'s connection', async () => {
  const c = await open(ctx.srv.wsUrl('/ws/notifications/42'));
  assert.equal((await c.nextJson()).type, 'connected');
  const res = await fetch(ctx.srv.url('/api/orders/1001/ship'), { method: 'POST', body: JSON.stringify({ user_id: 42 }) });
  assert.equal(res.status, 200);
  const n = await c.nextJson();
  assert.equal(n.type, 'notification');
  assert.match(n.message, /#1001$/);
  await c.close();
});

test('sections 8 and 11: the chat page and its WebSocket (names, typing to the others)', oneProcess('exact online counts at each join: another worker\'s join reaches the count over the bus a moment later'), async () => {
  const page = await fetch(ctx.srv.url('/livechat/general'));
  assert.equal(page.status, 200);
  assert.match(await page.text(), /Chat room: general/);
  const a = await open(ctx.srv.wsUrl('/ws/livechat/general'));
  assert.equal((await a.nextJson()).online, 1);
  const b = await open(ctx.srv.wsUrl('/ws/livechat/general'));
  assert.equal((await b.nextJson()).online, 2);
  a.send(JSON.stringify({ type: 'set-username', username: 'Alice' }));
  assert.equal((await b.nextJson()).message, 'Anonymous is now Alice');
  a.send(JSON.stringify({ type: 'typing' }));
  assert.deepEqual(await b.nextJson((m) => m.type === 'typing'), { type: 'typing', username: 'Alice' });
  await a.close();
  const left = await b.nextJson((m) => m.type === 'system' && /left/.test(m.message));
  assert.deepEqual(left, { type: 'system', message: 'Alice left the chat', online: 1 });
  await b.close();
});

test('section 13: the exercise\'s chat room, joined, named, chatting, left', oneProcess('exact online counts at each join: another worker\'s join reaches the count over the bus a moment later'), async () => {
  const page = await fetch(ctx.srv.url('/room/test'));
  assert.equal(page.status, 200);
  assert.match(await page.text(), /<h1>Room: test<\/h1>/);
  const a = await open(ctx.srv.wsUrl('/ws/room/test'));
  assert.equal((await a.nextJson()).online, 1);
  const b = await open(ctx.srv.wsUrl('/ws/room/test'));
  assert.equal((await b.nextJson()).online, 2);
  assert.deepEqual(await a.nextJson(), { type: 'system', message: 'A new user joined', online: 2 });
  assert.ok(await b.none(100, (m) => /joined/.test(m.data)), 'the joiner is excluded');
  a.send(JSON.stringify({ type: 'set-name', name: 'Alice' }));
  assert.equal((await b.nextJson()).message, 'Anonymous changed their name to Alice');
  a.send(JSON.stringify({ type: 'chat', text: 'hi' }));
  const chat = await b.nextJson((m) => m.type === 'chat');
  assert.equal(chat.from, 'Alice');
  assert.equal(chat.text, 'hi');
  assert.match(chat.timestamp, /^\d\d:\d\d:\d\d$/);
  await a.close();
  const left = await b.nextJson((m) => /left/.test(m.message ?? ''));
  assert.deepEqual(left, { type: 'system', message: 'Alice left the room', online: 1 });
  await b.close();
});

test('section 15: the guard refuses without a token (401) and admits with one', async () => {
  const refused = client(ctx.srv.wsUrl('/ws/members'));
  await assert.rejects(refused.opened, /HTTP 401/);
  const ok = await open(ctx.srv.wsUrl('/ws/members?token=let-me-in'));
  ok.send('hi');
  assert.equal((await ok.next()).data, 'hi');
  await ok.close();
});
