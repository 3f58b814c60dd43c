// SPDX-License-Identifier: MIT
// frond.js itself in chromium, loaded from the server as a plain script and
// as a module: relative URL, text and binary messages (Blob by default,
// ArrayBuffer on request), buffering before open, close().
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startServer } from '../lib/server.mjs';
import { launch, screenshot } from './browser.mjs';

let browser;
let srv;
before(async () => {
  browser = await launch();
  srv = await startServer('bench/tina4-bench-server');
});
after(async () => {
  await browser?.close();
  await srv?.stop();
});

test('frond.js in the browser: script and module loading, text, Blob, ArrayBuffer', async () => {
  const page = await browser.page();
  await page.goto(srv.url('/page'), { waitUntil: 'commit' }).catch(() => {}); // any page of that origin (404)
  await page.setContent('<!doctype html><title>frond.js</title><pre id=out></pre>');
  await page.addScriptTag({ url: srv.url('/js/frond.js') });
  const r = await page.evaluate(async () => {
    const out = {};
    const ws = frond.ws('/echo');
    out.url = ws.url;
    const got = [];
    ws.on('message', (d) => got.push(d));
    ws.send('queued-1'); // before open: buffered
    ws.sendJson({ n: 2 });
    await new Promise((resolve) => ws.on('open', resolve));
    ws.send(new Uint8Array([1, 2, 3]));
    while (got.length < 3) await new Promise((r) => setTimeout(r, 10));
    out.text = got.slice(0, 2);
    out.blob = got[2] instanceof Blob ? [...new Uint8Array(await got[2].arrayBuffer())] : String(got[2]);
    const ab = frond.ws('/echo', { binaryType: 'arraybuffer' });
    const abData = await new Promise((resolve) => {
      ab.on('message', resolve);
      ab.on('open', () => ab.send(new Uint8Array([9, 8])));
    });
    out.arraybuffer = abData instanceof ArrayBuffer ? [...new Uint8Array(abData)] : String(abData);
    const closed = new Promise((resolve) => ws.on('close', (code, reason, will) => resolve([code, will])));
    ws.close();
    ab.close();
    out.close = await closed;
    out.readyState = ws.readyState;
    out.sendAfterClose = ws.send('x');
    const mod = await import('/js/frond.js'); // as an ES module: sets globalThis.frond
    out.module = typeof globalThis.frond.ws === 'function' && Object.keys(mod).length === 0;
    document.getElementById('out').textContent = JSON.stringify(out, null, 2);
    return out;
  });
  assert.equal(r.url, `ws://127.0.0.1:${srv.port}/echo`);
  assert.deepEqual(r.text, ['queued-1', '{"n":2}']);
  assert.deepEqual(r.blob, [1, 2, 3]);
  assert.deepEqual(r.arraybuffer, [9, 8]);
  assert.deepEqual(r.close, [1000, false]);
  assert.equal(r.readyState, 3);
  assert.equal(r.sendAfterClose, false);
  assert.equal(r.module, true);
  await screenshot(page, 'frondjs-in-browser');
  assert.deepEqual(page.errors, []);
  await page.close();
});
