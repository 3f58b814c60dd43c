// SPDX-License-Identifier: MIT
// The livechat example's page (examples/livechat) in headless chromium: the
// page uses /js/frond.js as served by the server. Two pages in one room, a
// page in another room, an HTML payload, and a server restart mid-test.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { startServer } from '../lib/server.mjs';
import { launch, lines, screenshot, waitText } from './browser.mjs';

const BIN = 'examples/livechat';
let browser;
before(async () => {
  browser = await launch();
});
after(async () => {
  await browser?.close();
});

// A TCP relay in front of the server for the pages: while closed, new
// connections are held (accepted, not forwarded) until open() is called, so
// a test decides when a page can reconnect instead of racing it.
async function gate(target) {
  let isOpen = true;
  let held = [];
  const socks = new Set();
  const forward = (sock) => {
    const up = net.connect(target, '127.0.0.1');
    socks.add(up);
    up.on('close', () => socks.delete(up));
    sock.pipe(up);
    up.pipe(sock);
    sock.on('error', () => up.destroy());
    up.on('error', () => sock.destroy());
    sock.resume();
  };
  const server = net.createServer((sock) => {
    socks.add(sock);
    sock.on('close', () => socks.delete(sock));
    sock.pause();
    if (isOpen) forward(sock);
    else held.push(sock);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: server.address().port,
    get held() { return held.length; },
    close() { isOpen = false; },
    open() {
      isOpen = true;
      const h = held;
      held = [];
      h.forEach(forward);
    },
    stop() {
      for (const x of socks) x.destroy();
      return new Promise((r) => server.close(r));
    },
  };
}

const send = async (page, text) => {
  await page.fill('#text', text);
  await page.press('#text', 'Enter');
};

test('two pages in a room: names, messages both ways, online count, leaving', async (t) => {
  const srv = await startServer(BIN);
  t.after(() => srv.stop());
  const alice = await browser.page(srv.url('/chat/lobby?name=Alice'));
  await waitText(alice, '#status', 'Connected');
  await waitText(alice, '#online', 'Online: 1');
  assert.equal(await alice.inputValue('#name'), 'Alice', '?name= prefills the form');
  await waitText(alice, '#messages', 'Anonymous is now known as Alice');

  // Bob sets his name with the form.
  const bob = await browser.page(srv.url('/chat/lobby'));
  await waitText(bob, '#status', 'Connected');
  await waitText(bob, '#online', 'Online: 2');
  await waitText(alice, '#online', 'Online: 2');
  await bob.fill('#name', 'Bob');
  await bob.click('#name-form button');
  await waitText(alice, '#messages', 'Anonymous is now known as Bob');
  assert.match(bob.url(), /[?&]name=Bob/);

  await send(alice, 'Hi Bob');
  await send(bob, 'Hello Alice');
  for (const p of [alice, bob]) {
    await waitText(p, '#messages', 'Alice: Hi Bob');
    await waitText(p, '#messages', 'Bob: Hello Alice');
  }
  const chat = (await lines(bob)).filter((l) => l.cls === 'msg').map((l) => l.text);
  assert.deepEqual(chat, ['Alice: Hi Bob', 'Bob: Hello Alice']);
  await bob.type('#text', 'typing...');
  await waitText(alice, '#typing', 'Bob is typing...');
  await screenshot(alice, 'livechat-two-pages-alice');
  await screenshot(bob, 'livechat-two-pages-bob');

  await bob.close();
  await waitText(alice, '#messages', 'Bob left the chat');
  await waitText(alice, '#online', 'Online: 1');
  await screenshot(alice, 'livechat-after-bob-left');
  assert.deepEqual(alice.dialogs, []);
  assert.deepEqual(alice.errors, []);
  await alice.close();
});

test('an HTML payload shows as text, fires nothing; another room sees nothing', async (t) => {
  const srv = await startServer(BIN);
  t.after(() => srv.stop());
  const a = await browser.page(srv.url('/chat/secure?name=' + encodeURIComponent('<b>Mallory</b>')));
  const b = await browser.page(srv.url('/chat/secure?name=Bob'));
  const other = await browser.page(srv.url('/chat/elsewhere?name=Carol'));
  for (const p of [a, b, other]) await waitText(p, '#status', 'Connected');
  await waitText(b, '#online', 'Online: 2');

  const payload = '<img src=x onerror=alert(1)>';
  await send(a, payload);
  await send(a, '<script>alert(2)</script>');
  for (const p of [a, b]) {
    await waitText(p, '#messages', `<b>Mallory</b>: ${payload}`);
    await waitText(p, '#messages', '<b>Mallory</b>: <script>alert(2)</script>');
    assert.equal(await p.$$eval('#messages img, #messages script, #messages b', (x) => x.length), 0);
  }
  await b.waitForTimeout(300); // give a broken <img> time to fire onerror
  await screenshot(b, 'livechat-html-payload');

  const seen = await lines(other);
  assert.deepEqual(seen.filter((l) => l.cls === 'msg'), [], 'no chat from another room');
  assert.ok(!seen.some((l) => /Mallory|Bob/.test(l.text)), JSON.stringify(seen));
  assert.equal(await other.textContent('#online'), 'Online: 1');
  await screenshot(other, 'livechat-other-room');
  for (const p of [a, b, other]) {
    assert.deepEqual(p.dialogs, [], 'no dialog fired');
    assert.deepEqual(p.errors, []);
    await p.close();
  }
});

test('the server restarts mid-chat: frond.js reconnects, a message typed offline arrives', async (t) => {
  let srv = await startServer(BIN);
  const port = srv.port;
  t.after(() => srv.stop());
  // The pages go through a gate, so that the observer below is in the room
  // before Alice's page comes back, however slow the restart.
  const g = await gate(port);
  t.after(() => g.stop());
  const at = (p) => `http://127.0.0.1:${g.port}${p}`;
  const alice = await browser.page(at('/chat/restart?name=Alice'));
  const bob = await browser.page(at('/chat/restart?name=Bob'));
  await waitText(alice, '#online', 'Online: 2');
  await waitText(bob, '#status', 'Connected');
  await send(bob, 'before the restart');
  await waitText(alice, '#messages', 'Bob: before the restart');

  g.close(); // reconnect attempts wait at the gate from now on
  await srv.stop(); // SIGTERM: the server closes every WebSocket with 1001
  for (const p of [alice, bob]) await waitText(p, '#status', /Disconnected|Reconnecting/);
  await send(alice, 'typed during the outage');
  assert.equal(await alice.inputValue('#text'), '', 'the form accepted it');
  await screenshot(alice, 'livechat-outage');
  assert.equal((await lines(alice)).filter((l) => l.text.includes('during the outage')).length, 0);

  // Back on the same port; a plain client joins (directly) to see what
  // Alice's page sends, then the gate lets the pages through.
  srv = await startServer(BIN, { env: { TINA4_PORT: String(port) } });
  const seen = [];
  const observer = new WebSocket(`ws://127.0.0.1:${port}/ws/livechat/restart`);
  observer.on('message', (d) => seen.push(JSON.parse(d.toString())));
  await new Promise((resolve, reject) => {
    observer.once('open', resolve);
    observer.once('error', reject);
  });
  t.after(() => observer.close());
  g.open();

  await waitText(alice, '#status', 'Connected', 20000);
  await waitText(bob, '#status', 'Connected', 20000);
  await waitText(alice, '#messages', 'Alice: typed during the outage');
  // On Alice's page: after the new welcome, her name is set again ahead of
  // the buffered message, which the server attributes to her.
  const after = (await lines(alice)).map((l) => l.text);
  const tail = after.slice(after.lastIndexOf('Connected to room: restart'));
  const iName = tail.indexOf('Anonymous is now known as Alice');
  const iMsg = tail.indexOf('Alice: typed during the outage');
  assert.ok(iName > 0 && iMsg > iName, JSON.stringify(tail));
  assert.equal(after.filter((x) => x === 'Alice: typed during the outage').length, 1, 'delivered once');
  // The observer was in the room before Alice's page came back: it got the
  // message under her name, right after her rename.
  await new Promise((resolve, reject) => {
    const done = () => seen.some((m) => m.type === 'message');
    const onMessage = () => { if (done()) finish(resolve); }; // runs after the push above
    const timer = setTimeout(() => finish(() => reject(new Error(`the observer got no chat message: ${JSON.stringify(seen)}`))), 5000);
    const finish = (f) => { clearTimeout(timer); observer.off('message', onMessage); f(); };
    observer.on('message', onMessage);
    if (done()) finish(resolve);
  });
  const renamed = seen.findIndex((m) => m.message === 'Anonymous is now known as Alice');
  assert.ok(renamed >= 0, `the observer saw no rename: ${JSON.stringify(seen)}`);
  const chat = seen.filter((m) => m.type === 'message').map((m) => [m.from, m.text]);
  assert.deepEqual(chat, [['Alice', 'typed during the outage']]);
  assert.ok(seen.findIndex((m) => m.type === 'message') > renamed);

  // The chat works as before.
  await send(bob, 'after the restart');
  await waitText(alice, '#messages', 'Bob: after the restart');
  await waitText(alice, '#online', 'Online: 3'); // Alice, Bob and the observer
  await screenshot(alice, 'livechat-after-restart-alice');
  await screenshot(bob, 'livechat-after-restart-bob');
  for (const p of [alice, bob]) {
    assert.deepEqual(p.dialogs, []);
    assert.deepEqual(p.errors, []);
    await p.close();
  }
});
