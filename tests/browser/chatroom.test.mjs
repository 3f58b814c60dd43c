// SPDX-License-Identifier: MIT
// The chat room `make run` serves (examples/chatroom): GET /room/{room_name}
// from Frond templates, frond.js with history and presence, and
// /ws/room/{room_name}. Two users, the user list, one join line each, own
// messages styled apart, local-time stamps, the typing indicator; one user
// offline for 3 s while the other sends 5 (all 5 shown once each after);
// a reload shows the history; HTML shown as text; rooms isolated.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { startServer } from '../lib/server.mjs';
import { launch, lines, screenshot, waitText } from './browser.mjs';

const BIN = 'examples/chatroom';
let browser, other; // two browsers: one can go offline on its own
before(async () => {
  browser = await launch();
  other = await launch();
});
after(async () => {
  await browser?.close();
  await other?.close();
});

// Chromium's offline mode (context.setOffline) stops new requests but leaves
// an open WebSocket alone, so Bob's page also goes through this TCP proxy,
// whose cut() drops his connection and refuses new ones until restore().
async function tcpProxy(target) {
  const socks = new Set();
  let refusing = false;
  const server = net.createServer((c) => {
    if (refusing) return c.destroy();
    const up = net.connect(target, '127.0.0.1');
    const end = () => { c.destroy(); up.destroy(); socks.delete(c); socks.delete(up); };
    socks.add(c); socks.add(up);
    c.pipe(up); up.pipe(c);
    for (const x of [c, up]) { x.on('error', end); x.on('close', end); }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: (p) => `http://127.0.0.1:${server.address().port}${p}`,
    cut() { refusing = true; for (const x of socks) x.destroy(); },
    restore() { refusing = false; },
    close: () => new Promise((r) => { for (const x of socks) x.destroy(); server.close(r); }),
  };
}

const send = async (page, text) => {
  await page.fill('#input', text);
  await page.press('#input', 'Enter');
};
const chat = async (page) => (await lines(page)).filter((l) => l.cls.startsWith('chat'));
const people = (page) => page.$$eval('#people-list li', (li) => li.map((x) => x.firstChild.textContent));

test('two users: presence list, one join line each, messages, offline 3 s misses nothing, reload shows history', async (t) => {
  const srv = await startServer(BIN);
  const px = await tcpProxy(srv.port);
  t.after(async () => { await px.close(); await srv.stop(); });
  const home = await fetch(srv.url('/'), { redirect: 'manual' });
  assert.equal(home.headers.get('location'), '/room/general');
  const icon = await fetch(srv.url('/favicon.svg'));
  assert.equal(icon.headers.get('content-type'), 'image/svg+xml');

  const alice = await browser.page(srv.url('/room/test?name=Alice'));
  assert.equal(await alice.title(), 'Room: test');
  await waitText(alice, '#status', 'Connected');
  await waitText(alice, '#messages', 'You joined as Alice');
  await waitText(alice, '#online', 'Online: 1');

  const bob = await other.page(px.url('/room/test?name=Bob'));
  await waitText(bob, '#online', 'Online: 2');
  await waitText(alice, '#messages', 'Bob joined');
  await waitText(alice, '#online', 'Online: 2');
  assert.deepEqual((await people(alice)).sort(), ['Alice', 'Bob']);
  const systemLines = (await lines(alice)).filter((l) => l.cls === 'system').map((l) => l.text);
  assert.deepEqual(systemLines, ['You joined as Alice', 'Bob joined'], 'one join line per user, no raw protocol text');

  // Typing indicator (presence, not history).
  await bob.fill('#input', 'typ');
  await bob.dispatchEvent('#input', 'input');
  await waitText(alice, '#typing', 'Bob is typing...');
  await send(bob, 'Hello Alice');
  await waitText(alice, '#messages', 'Hello Alice');
  await waitText(alice, '#typing', /^$/);
  const c = await chat(alice);
  assert.equal(c.length, 1);
  assert.equal(c[0].cls, 'chat', 'not mine');
  assert.match(c[0].text, /^BobHello Alice$|^Bob\d/);
  assert.equal((await chat(bob))[0].cls, 'chat mine', 'own message styled apart');
  const stamp = await alice.textContent('#messages .stamp');
  const local = await alice.evaluate(() => new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }));
  assert.equal(stamp.slice(0, 2), local.slice(0, 2), 'local time');
  await screenshot(alice, 'chatroom-two-users-alice');

  // Bob's network goes away for 3 s while Alice sends 5.
  await other.context.setOffline(true);
  px.cut();
  await waitText(bob, '#status', 'Reconnecting...');
  for (let i = 1; i <= 5; i++) await send(alice, `while away ${i}`);
  await waitText(alice, '#messages', 'while away 5');
  await new Promise((r) => setTimeout(r, 3000));
  await other.context.setOffline(false);
  px.restore();
  await waitText(bob, '#messages', 'while away 5', 30000);
  await waitText(bob, '#status', 'Connected');
  const got = (await chat(bob)).map((l) => l.text).filter((s) => s.includes('while away'));
  assert.equal(got.length, 5, `all 5 once each: ${JSON.stringify(got)}`);
  for (let i = 1; i <= 5; i++) assert.ok(got[i - 1].endsWith(`while away ${i}`), 'in order');
  await screenshot(bob, 'chatroom-bob-after-offline');

  // A reload is a fresh join: the history (last 50) is shown.
  await bob.reload();
  await waitText(bob, '#messages', 'while away 5');
  assert.equal((await chat(bob)).length, 6, 'Hello Alice and the 5');
  await waitText(bob, '#online', 'Online: 2');
  await screenshot(bob, 'chatroom-bob-after-reload');

  await bob.close();
  await waitText(alice, '#messages', 'Bob left');
  await waitText(alice, '#online', 'Online: 1');
  assert.deepEqual(await people(alice), ['Alice']);
  await screenshot(alice, 'chatroom-after-bob-left');
  assert.deepEqual(alice.dialogs, []);
  assert.deepEqual(alice.errors, []);
  await alice.close();
});

test('a phone-sized page lays out in one column; HTML in a message is text; another room hears nothing', async (t) => {
  const srv = await startServer(BIN);
  t.after(() => srv.stop());
  const a = await browser.page(srv.url('/room/red?name=Mallory'));
  const b = await browser.page();
  await b.setViewportSize({ width: 375, height: 700 });
  await b.goto(srv.url('/room/red?name=Bob'));
  const o = await browser.page(srv.url('/room/blue?name=Carol'));
  for (const p of [a, b, o]) await waitText(p, '#status', 'Connected');
  await waitText(b, '#online', 'Online: 2');
  const payload = '<img src=x onerror=alert(1)>';
  await send(a, payload);
  for (const p of [a, b]) {
    await waitText(p, '#messages', payload);
    assert.equal(await p.$$eval('#messages img', (x) => x.length), 0);
    assert.deepEqual(p.dialogs, []);
  }
  const [m, pe] = await Promise.all(['#messages', '#people'].map((s) => b.$eval(s, (el) => el.getBoundingClientRect().toJSON())));
  assert.ok(pe.top >= m.bottom - 1, 'the user list goes below the messages on a phone');
  assert.ok(m.width > 300, 'messages use the width');
  await screenshot(b, 'chatroom-phone');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await o.textContent('#messages')).includes('Mallory'), false);
  for (const p of [a, b, o]) await p.close();
});
