// SPDX-License-Identifier: MIT
// HTTP strictness over real sockets: line ends (CRLF only, in heads and in
// chunked framing), Expect (100 Continue before the body, 417 for anything
// else), Host (required in 1.1, one, valid), static-file preconditions
// (If-Match / If-Unmodified-Since -> 412, the RFC 9110 13.2.2 order, a
// future If-Modified-Since ignored) and TINA4_HTTP_MAX_HEADERS.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { binary } from '../lib/server.mjs';
import { parseResponses, raw, run, sleep, startServer } from './helpers.mjs';

const API = 'tests/servers/api_server';
const MTIME = new Date('2020-01-01T00:00:00Z');
const LAST_MODIFIED = 'Wed, 01 Jan 2020 00:00:00 GMT';

let srv;
let dir;
before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 't4-strict-'));
  mkdirSync(path.join(dir, 'public'));
  const file = path.join(dir, 'public', 'hello.txt');
  writeFileSync(file, '0123456789');
  utimesSync(file, MTIME, MTIME);
  srv = await startServer(API, { env: { TINA4_PUBLIC: path.join(dir, 'public') } });
});
after(async () => {
  const { code } = await srv.stop();
  assert.equal(code, 0);
  rmSync(dir, { recursive: true, force: true });
});

// The status of the first response to `data` (until the server closes or a
// whole response is in).
async function status(data, port = srv.port) {
  const r = await raw(port, data, {
    until: (t) => {
      const rs = parseResponses(t).filter((x) => x.status >= 200);
      return rs.length > 0 && rs[0].body.length >= Number(rs[0].headers['content-length'] || 0);
    },
  });
  const rs = parseResponses(r.text);
  assert.ok(rs.length > 0, `no response to ${JSON.stringify(String(data).slice(0, 80))}`);
  return rs[0].status;
}

// A socket whose input is awaited by content: waitFor(re) resolves with the
// text received so far once it matches (an event, not a sleep).
function conn(port = srv.port) {
  const s = net.connect(port, '127.0.0.1');
  let text = '';
  let ended = false;
  const waiters = [];
  const check = () => {
    for (const w of [...waiters]) {
      if (w.re.test(text) || ended) {
        waiters.splice(waiters.indexOf(w), 1);
        clearTimeout(w.timer);
        if (w.re.test(text)) w.resolve(text);
        else w.reject(new Error(`closed without ${w.re}; got ${JSON.stringify(text.slice(0, 300))}`));
      }
    }
  };
  s.on('data', (d) => {
    text += d.toString('latin1');
    check();
  });
  s.on('close', () => {
    ended = true;
    check();
  });
  s.on('error', () => {});
  const connected = new Promise((r) => s.once('connect', r));
  return {
    connected,
    write: (d) => s.write(d),
    get text() {
      return text;
    },
    waitFor(re, ms = 5000) {
      return new Promise((resolve, reject) => {
        const w = { re, resolve, reject };
        w.timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`no ${re} within ${ms} ms; got ${JSON.stringify(text.slice(0, 300))}`));
        }, ms);
        waiters.push(w);
        check();
      });
    },
    destroy: () => s.destroy(),
  };
}

describe('line ends: CRLF only', () => {
  test('a bare LF ending the request line, a header or the head is 400', async () => {
    assert.equal(await status('GET /api/hello HTTP/1.1\nHost: x\r\n\r\n'), 400);
    assert.equal(await status('GET /api/hello HTTP/1.1\r\nHost: x\nX: y\r\n\r\n'), 400);
    assert.equal(await status('GET /api/hello HTTP/1.1\r\nHost: x\r\n\n'), 400);
    assert.equal(await status('GET /api/hello HTTP/1.1\nHost: x\n\n'), 400);
    assert.equal(await status('\nGET /api/hello HTTP/1.1\r\nHost: x\r\n\r\n'), 400);
    assert.equal(await status('GET /api/hello HTTP/1.1\r\nHost: x\r\n\r\n'), 200, 'the same with CRLF');
  });

  test('a Content-Length hidden behind a bare LF is not honoured: 400, and the "body" is never a request', async () => {
    const r = await raw(srv.port, 'POST /api/body HTTP/1.1\r\nHost: x\r\nX: a\nContent-Length: 5\r\n\r\nhello');
    const rs = parseResponses(r.text);
    assert.equal(rs.length, 1, r.text);
    assert.equal(rs[0].status, 400);
    assert.equal(r.closed, true);
  });

  const chunked = (body) =>
    `POST /api/body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${body}`;
  test('chunked framing: a bare LF after a chunk size, chunk data, the last chunk or a trailer is 400', async () => {
    assert.equal(await status(chunked('5\nhello\r\n0\r\n\r\n')), 400);
    assert.equal(await status(chunked('5;ext\nhello\r\n0\r\n\r\n')), 400);
    assert.equal(await status(chunked('5\r\nhello\n0\r\n\r\n')), 400);
    assert.equal(await status(chunked('5\r\nhello\r\n0\n\r\n')), 400);
    assert.equal(await status(chunked('5\r\nhello\r\n0\r\nT: v\n\r\n')), 400);
    assert.equal(await status(chunked('5\r\nhello\r\n0\r\n\n')), 400);
    const ok = await raw(srv.port, chunked('5\r\nhe\nlo\r\n0\r\nT: v\r\n\r\n'));
    const rs = parseResponses(ok.text);
    assert.equal(rs[0].status, 200, 'CRLF framing (a LF inside the data is data)');
    assert.deepEqual(JSON.parse(rs[0].body), { len: 5, body: 'he\nlo' });
  });
});

describe('Expect', () => {
  const head = (n, expect = '100-continue', extra = '') =>
    `POST /api/body HTTP/1.1\r\nHost: x\r\nContent-Length: ${n}\r\nExpect: ${expect}\r\n${extra}\r\n`;

  test('a client that waits for 100 Continue gets it before sending the body, then the answer', async () => {
    const c = conn();
    await c.connected;
    c.write(head(5));
    const got = await c.waitFor(/\r\n\r\n/);
    assert.equal(got, 'HTTP/1.1 100 Continue\r\n\r\n', 'only the 100, nothing final before the body');
    c.write('hello');
    const all = await c.waitFor(/\{"len":5,"body":"hello"\}/);
    assert.match(all.slice(25), /^HTTP\/1\.1 200 /);
    c.destroy();
  });

  test('Expect is case-insensitive; a chunked body gets its 100 too', async () => {
    const c = conn();
    await c.connected;
    c.write('POST /api/body HTTP/1.1\r\nHOST: x\r\nEXPECT: 100-CONTINUE\r\nTransfer-Encoding: chunked\r\n\r\n');
    assert.equal(await c.waitFor(/\r\n\r\n/), 'HTTP/1.1 100 Continue\r\n\r\n');
    c.write('2\r\nhi\r\n0\r\n\r\n');
    await c.waitFor(/\{"len":2,"body":"hi"\}/);
    c.destroy();
  });

  test('head and part of the body together: one 100, then the answer once the rest arrives', async () => {
    const c = conn();
    await c.connected;
    c.write(head(10) + 'hello');
    assert.equal(await c.waitFor(/\r\n\r\n/), 'HTTP/1.1 100 Continue\r\n\r\n');
    c.write('world');
    const all = await c.waitFor(/\{"len":10,"body":"helloworld"\}/);
    assert.equal(all.match(/100 Continue/g).length, 1);
    c.destroy();
  });

  test('head and the whole body together: the answer (a 100 would be pointless)', async () => {
    const r = await raw(srv.port, head(5, '100-continue', 'Connection: close\r\n') + 'hello');
    assert.match(r.text, /^HTTP\/1\.1 200 /);
    assert.doesNotMatch(r.text, /100 Continue/);
  });

  test('no 100 for a request refused from its head: 413, 400, 417', async () => {
    const big = await raw(srv.port, head(9 * 1024 * 1024));
    assert.match(big.text, /^HTTP\/1\.1 413 /);
    assert.doesNotMatch(big.text, /100 Continue/);
    const noHost = await raw(srv.port, 'POST /api/body HTTP/1.1\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n');
    assert.match(noHost.text, /^HTTP\/1\.1 400 /);
    assert.doesNotMatch(noHost.text, /100 Continue/);
  });

  test('any other expectation is 417, before any body is read', async () => {
    for (const e of ['foo', '100-continue, foo', '200-ok', '100-continuex']) {
      const r = await raw(srv.port, head(5, e));
      assert.match(r.text, /^HTTP\/1\.1 417 Expectation Failed\r\n/, e);
      assert.doesNotMatch(r.text, /100 Continue/);
      assert.equal(r.closed, true);
    }
  });

  test('HTTP/1.0: 100-continue is ignored (no 1xx to a 1.0 client)', async () => {
    const c = conn();
    await c.connected;
    c.write('POST /api/body HTTP/1.0\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n');
    // The absence of an answer can only be observed over a window: a 100
    // would be sent as soon as the head is read, well within it.
    await sleep(300);
    assert.equal(c.text, '', 'nothing before the body');
    c.write('hello');
    const all = await c.waitFor(/\{"len":5,"body":"hello"\}/);
    assert.doesNotMatch(all, /100 Continue/);
    c.destroy();
  });

  test('curl with a large body waits for the 100 and gets it at once', async (t) => {
    if (spawnSync('curl', ['--version']).status !== 0) return t.skip('curl not installed');
    const body = path.join(dir, 'body.bin');
    writeFileSync(body, Buffer.alloc(2 * 1024 * 1024, 'a'));
    // --expect100-timeout 30: without a 100 curl would wait 30 s before
    // sending the body; the verbose log shows the 100 it waited for.
    const t0 = Date.now();
    const r = await run('curl', ['-sS', '-v', '--expect100-timeout', '30', '-H', 'Expect: 100-continue',
      '--data-binary', `@${body}`, srv.url('/api/body')], 60000);
    assert.equal(r.code, 0, r.e);
    assert.match(r.e, /< HTTP\/1\.1 100 Continue/);
    assert.match(r.e, /< HTTP\/1\.1 200 OK/);
    assert.equal(JSON.parse(r.o).len, 2 * 1024 * 1024);
    assert.ok(Date.now() - t0 < 20000, `took ${Date.now() - t0} ms`);
  });
});

describe('Host', () => {
  test('missing in HTTP/1.1, repeated, or not a valid host[:port]: 400', async () => {
    const get = (hosts, v = '1.1') => `GET /api/hello HTTP/${v}\r\n${hosts.map((h) => `Host: ${h}\r\n`).join('')}\r\n`;
    assert.equal(await status(get([])), 400);
    assert.equal(await status(get(['a', 'b'])), 400);
    assert.equal(await status(get(['a', 'a'])), 400);
    assert.equal(await status(get(['a', 'b'], '1.0')), 400);
    for (const bad of ['', 'a b', '<script>', 'a/b', 'user@host', 'a:b', 'h:80:80', '[::1', 'a,b', 'caf\xe9']) {
      assert.equal(await status(get([bad])), 400, JSON.stringify(bad));
      assert.equal(await status(get([bad], '1.0')), 400, `1.0 ${JSON.stringify(bad)}`);
    }
  });

  test('valid hosts pass; HTTP/1.0 without Host is fine', async () => {
    const get = (h) => `GET /api/hello HTTP/1.1\r\nHost: ${h}\r\nConnection: close\r\n\r\n`;
    for (const good of ['x', `127.0.0.1:${srv.port}`, 'example.com', 'EXAMPLE.com:80', '[::1]:8080', 'xn--bcher-kva.example'])
      assert.equal(await status(get(good)), 200, good);
    assert.equal(await status('GET /api/hello HTTP/1.0\r\n\r\n'), 200);
  });
});

describe('static files: preconditions', () => {
  async function req(headers = {}, method = 'GET') {
    const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    const r = await raw(srv.port, `${method} /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${lines}\r\n`);
    const [res] = parseResponses(r.text);
    return res;
  }
  let etag;
  before(async () => {
    const r = await req();
    assert.equal(r.status, 200);
    assert.equal(r.headers['last-modified'], LAST_MODIFIED);
    etag = r.headers.etag;
  });

  test('If-Match: our ETag or * -> 200; another, a weak tag or garbage -> 412 (GET and HEAD)', async () => {
    assert.equal((await req({ 'If-Match': etag })).status, 200);
    assert.equal((await req({ 'If-Match': '*' })).status, 200);
    assert.equal((await req({ 'If-Match': `"a", ${etag}` })).status, 200);
    const r = await req({ 'If-Match': '"other"' });
    assert.equal(r.status, 412);
    assert.equal(r.headers.etag, etag, 'the 412 tells the current ETag');
    assert.equal((await req({ 'If-Match': `W/${etag}` })).status, 412);
    assert.equal((await req({ 'If-Match': 'garbage' })).status, 412);
    assert.equal((await req({ 'If-Match': '"other"' }, 'HEAD')).status, 412);
  });

  test('If-Unmodified-Since: modified later -> 412; not modified -> 200; an invalid date is ignored', async () => {
    assert.equal((await req({ 'If-Unmodified-Since': 'Tue, 31 Dec 2019 23:59:59 GMT' })).status, 412);
    assert.equal((await req({ 'If-Unmodified-Since': LAST_MODIFIED })).status, 200);
    assert.equal((await req({ 'If-Unmodified-Since': 'Thu, 02 Jan 2020 00:00:00 GMT' })).status, 200);
    assert.equal((await req({ 'If-Unmodified-Since': 'not a date' })).status, 200);
  });

  test('the order of RFC 9110 13.2.2', async () => {
    const before = 'Tue, 31 Dec 2019 23:59:59 GMT';
    // If-Match decides, If-Unmodified-Since is then not looked at.
    assert.equal((await req({ 'If-Match': etag, 'If-Unmodified-Since': before })).status, 200);
    // Both 412 conditions come before If-None-Match (304) and Range (206 / 416).
    assert.equal((await req({ 'If-Match': '"other"', 'If-None-Match': etag })).status, 412);
    assert.equal((await req({ 'If-Unmodified-Since': before, 'If-None-Match': etag })).status, 412);
    assert.equal((await req({ 'If-Match': '"other"', Range: 'bytes=0-1' })).status, 412);
    assert.equal((await req({ 'If-Match': '"other"', Range: 'bytes=100-' })).status, 412);
    // Passed preconditions: If-None-Match, then Range.
    assert.equal((await req({ 'If-Match': etag, 'If-None-Match': etag })).status, 304);
    const part = await req({ 'If-Match': etag, Range: 'bytes=2-4' });
    assert.equal(part.status, 206);
    assert.equal(part.body, '234');
  });

  test('If-Modified-Since later than the server clock is ignored (200, not 304)', async () => {
    assert.equal((await req({ 'If-Modified-Since': LAST_MODIFIED })).status, 304, 'control: a true date');
    assert.equal((await req({ 'If-Modified-Since': 'Fri, 01 Jan 2100 00:00:00 GMT' })).status, 200);
    const soon = new Date(Date.now() + 3600 * 1000).toUTCString();
    assert.equal((await req({ 'If-Modified-Since': soon })).status, 200);
    const past = new Date(Date.now() - 60 * 1000).toUTCString();
    assert.equal((await req({ 'If-Modified-Since': past })).status, 304, 'a recent past date still counts');
  });
});

describe('TINA4_HTTP_MAX_HEADERS', () => {
  // Host plus n - 1 more header lines.
  const withHeaders = (n) => {
    let s = 'GET /api/hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n';
    for (let i = 2; i < n; i++) s += `X-${i}: v\r\n`;
    return `${s}\r\n`;
  };

  test('the default, 100: 100 lines pass, 101 are 431', async () => {
    assert.equal(await status(withHeaders(100)), 200);
    assert.equal(await status(withHeaders(101)), 431);
  });

  test('a lower setting is honoured', async (t) => {
    const s5 = await startServer(API, { env: { TINA4_HTTP_MAX_HEADERS: '5' } });
    t.after(() => s5.stop());
    assert.equal(await status(withHeaders(5), s5.port), 200);
    assert.equal(await status(withHeaders(6), s5.port), 431);
  });

  test('a higher setting is honoured (past the old fixed 100)', async (t) => {
    const s300 = await startServer(API, { env: { TINA4_HTTP_MAX_HEADERS: '300' } });
    t.after(() => s300.stop());
    assert.equal(await status(withHeaders(250), s300.port), 200);
    assert.equal(await status(withHeaders(300), s300.port), 200);
    assert.equal(await status(withHeaders(301), s300.port), 431);
  });

  test('more than the supported 1000 is refused at start-up', () => {
    for (const v of ['1001', '5000']) {
      const r = spawnSync(binary(API), [], {
        env: { ...process.env, TINA4_HOST: '127.0.0.1', TINA4_PORT: '0', TINA4_HTTP_MAX_HEADERS: v },
        encoding: 'utf8',
        timeout: 10000,
      });
      assert.notEqual(r.status, 0, `TINA4_HTTP_MAX_HEADERS=${v} must not start`);
      assert.match(r.stderr, /TINA4_HTTP_MAX_HEADERS=\d+: at most 1000/);
    }
  });
});

describe('WebSocket key', () => {
  const upgrade = (key) =>
    `GET /api/room/a HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`;
  test('a key that is not base64 of 16 bytes is 400 (a "=" among its characters too)', async () => {
    assert.equal(await status(upgrade('dGhlIHNhbXBsZSBub2=jZQ==')), 400);
    assert.equal(await status(upgrade('dGhlIHNhbXBsZSBub25jZ-_==')), 400);
    const ok = await raw(srv.port, upgrade('dGhlIHNhbXBsZSBub25jZQ=='), { until: (t) => t.includes('\r\n\r\n') });
    assert.match(ok.text, /^HTTP\/1\.1 101 /);
    assert.match(ok.text, /Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/);
  });
});
