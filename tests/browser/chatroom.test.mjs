// SPDX-License-Identifier: MIT
// The chapter's exercise (sections 12-13), the page `make run` serves:
// GET /room/{room_name} rendered from Frond templates, frond.js, and
// /ws/room/{room_name}. Two tabs in one room, names, messages both ways,
// the online count, "left the room", HTML shown as text, room isolation.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startServer } from '../lib/server.mjs';
import { launch, lines, screenshot, waitText } from './browser.mjs';

const BIN = 'examples/chatroom';
let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

const send = async (page, text) => {
  await page.fill('#input', text);
  await page.press('#input', 'Enter');
};

test('the exercise: two tabs, different names, messages in both, count, leaving', async (t) => {
  const srv = await startServer(BIN);
  t.after(() => srv.stop());
  const home = await fetch(srv.url('/'), { redirect: 'manual' });
  assert.equal(home.status, 302);
  assert.equal(home.headers.get('location'), '/room/general');

  const alice = await browser.page(srv.url('/room/test?name=Alice'));
  assert.equal(await alice.title(), 'Room: test', 'the title block of room.html over base.html');
  assert.equal(await alice.textContent('h1'), 'Room: test');
  await waitText(alice, '#status', 'Connected');
  await waitText(alice, '#messages', 'Welcome to room: test');
  await waitText(alice, '#online', 'Online: 1');
  await waitText(alice, '#messages', 'Anonymous changed their name to Alice');

  const bob = await browser.page(srv.url('/room/test'));
  await waitText(bob, '#status', 'Connected');
  await waitText(bob, '#online', 'Online: 2');
  await waitText(alice, '#messages', 'A new user joined');
  await waitText(alice, '#online', 'Online: 2');
  await bob.fill('#name', 'Bob');
  await bob.click('#name-form button');
  await waitText(alice, '#messages', 'Anonymous changed their name to Bob');

  await send(alice, 'Hi Bob');
  await send(bob, 'Hello Alice');
  for (const p of [alice, bob]) {
    await waitText(p, '#messages', 'Hi Bob');
    await waitText(p, '#messages', 'Hello Alice');
    const chat = (await lines(p)).filter((l) => l.cls === 'chat').map((l) => l.text.replace(/ \d\d:\d\d:\d\d/, ''));
    assert.deepEqual(chat, ['AliceHi Bob', 'BobHello Alice']);
  }
  await screenshot(alice, 'chatroom-two-tabs-alice');
  await screenshot(bob, 'chatroom-two-tabs-bob');

  await bob.close();
  await waitText(alice, '#messages', 'Bob left the room');
  await waitText(alice, '#online', 'Online: 1');
  await screenshot(alice, 'chatroom-after-bob-left');
  assert.deepEqual(alice.dialogs, []);
  assert.deepEqual(alice.errors, []);
  await alice.close();
});

test('the exercise: HTML in a message is text; another room hears nothing', async (t) => {
  const srv = await startServer(BIN);
  t.after(() => srv.stop());
  const a = await browser.page(srv.url('/room/red?name=Mallory'));
  const b = await browser.page(srv.url('/room/red?name=Bob'));
  const other = await browser.page(srv.url('/room/blue?name=Carol'));
  for (const p of [a, b, other]) await waitText(p, '#status', 'Connected');
  await waitText(b, '#online', 'Online: 2');
  const payload = '<img src=x onerror=alert(1)>';
  await send(a, payload);
  for (const p of [a, b]) {
    await waitText(p, '#messages', payload);
    assert.equal(await p.$$eval('#messages img', (x) => x.length), 0);
    assert.deepEqual(p.dialogs, []);
  }
  await new Promise((r) => setTimeout(r, 300));
  assert.equal((await other.textContent('#messages')).includes('Mallory'), false);
  assert.equal((await other.textContent('#messages')).includes('img'), false);
  await screenshot(b, 'chatroom-html-as-text');
  for (const p of [a, b, other]) await p.close();
});
