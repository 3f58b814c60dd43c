// SPDX-License-Identifier: MIT
// The chat demo over https and wss (TINA4_TLS_CERT / TINA4_TLS_KEY with a
// test CA made at test time; Chromium with --ignore-certificate-errors):
// two tabs exchange messages, and the page really came over TLS.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startServer } from '../lib/server.mjs';
import { testCerts } from '../lib/tls_certs.mjs';
import { launch, screenshot, waitText } from './browser.mjs';

const BIN = 'examples/chatroom';
let browser;
before(async () => {
  browser = await launch(['--ignore-certificate-errors']);
});
after(async () => {
  await browser?.close();
});

const send = async (page, text) => {
  await page.fill('#input', text);
  await page.press('#input', 'Enter');
};

test('chat over https + wss in Chromium: two tabs, messages both ways', async (t) => {
  const srv = await startServer(BIN, { env: testCerts().env });
  t.after(() => srv.stop());
  const url = (p) => `https://127.0.0.1:${srv.port}${p}`;
  const alice = await browser.page(url('/room/tls?name=Alice'));
  assert.equal(await alice.evaluate(() => location.protocol), 'https:');
  await waitText(alice, '#status', 'Connected');
  await waitText(alice, '#online', 'Online: 1');
  const bob = await browser.page(url('/room/tls?name=Bob'));
  await waitText(bob, '#status', 'Connected');
  await waitText(alice, '#online', 'Online: 2');
  await send(alice, 'Hi Bob over TLS');
  await send(bob, 'Hello Alice over TLS');
  for (const p of [alice, bob]) {
    await waitText(p, '#messages', 'Hi Bob over TLS');
    await waitText(p, '#messages', 'Hello Alice over TLS');
    // A chat line reads name, local time stamp, text: the stamp's format is the reader's locale's.
    const chat = await p.$$eval('#messages .chat', (els) => els.map((el) => {
      const copy = el.cloneNode(true);
      copy.querySelector('.stamp')?.remove();
      return copy.textContent;
    }));
    assert.deepEqual(chat, ['AliceHi Bob over TLS', 'BobHello Alice over TLS']);
  }
  await screenshot(alice, 'chatroom-tls-alice');
  await bob.close();
  await alice.close();
});
