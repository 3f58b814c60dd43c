// SPDX-License-Identifier: MIT
// Static files from src/public/ (relative to the server's working directory):
// content types, validators and 304s, HEAD, byte ranges, directories, 405,
// routes winning over files, path traversal and symlinks, large files to
// slow readers (byte-identical, bounded memory), keep-alive and pipelining
// after a streamed file.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { raw, sleep, startServer } from './helpers.mjs';

let srv;
let dir;
let pub;
const BIG = randomBytes(5 * 1024 * 1024 + 123); // not a multiple of the 64 KiB chunk
const sha = (b) => createHash('sha256').update(b).digest('hex');
let HUGE_SHA;
const HUGE_SIZE = 50 * 1024 * 1024;

const typeFiles = {
  'page.html': '<p>x</p>',
  'site.css': 'body{}',
  'app.js': 'let x=1;',
  'mod.mjs': 'export {};',
  'data.json': '{"a":1}',
  'logo.svg': '<svg/>',
  'img.png': 'png',
  'img.jpg': 'jpg',
  'img.jpeg': 'jpeg',
  'img.gif': 'gif',
  'img.webp': 'webp',
  'favicon.ico': 'ico',
  'notes.txt': 'text',
  'feed.xml': '<a/>',
  'mod.wasm': 'wasm',
  'f.woff': 'woff',
  'f.woff2': 'woff2',
  'app.js.map': '{}',
  'doc.pdf': 'pdf',
  'clip.mp4': 'mp4',
  'clip.webm': 'webm',
  'blob.xyz': 'unknown',
  'UPPER.PNG': 'png',
};
const expectedTypes = {
  'page.html': 'text/html; charset=utf-8',
  'site.css': 'text/css; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'mod.mjs': 'text/javascript; charset=utf-8',
  'data.json': 'application/json',
  'logo.svg': 'image/svg+xml',
  'img.png': 'image/png',
  'img.jpg': 'image/jpeg',
  'img.jpeg': 'image/jpeg',
  'img.gif': 'image/gif',
  'img.webp': 'image/webp',
  'favicon.ico': 'image/x-icon',
  'notes.txt': 'text/plain; charset=utf-8',
  'feed.xml': 'application/xml',
  'mod.wasm': 'application/wasm',
  'f.woff': 'font/woff',
  'f.woff2': 'font/woff2',
  'app.js.map': 'application/json',
  'doc.pdf': 'application/pdf',
  'clip.mp4': 'video/mp4',
  'clip.webm': 'video/webm',
  'blob.xyz': 'application/octet-stream',
  'UPPER.PNG': 'image/png',
};

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 't4-static-'));
  pub = path.join(dir, 'src', 'public');
  mkdirSync(path.join(pub, 'sub'), { recursive: true });
  mkdirSync(path.join(pub, 'emptydir'));
  mkdirSync(path.join(pub, '.git'));
  mkdirSync(path.join(pub, 'push'));
  mkdirSync(path.join(dir, 'outside'));
  writeFileSync(path.join(dir, 'outside', 'secret.txt'), 'TOPSECRET outside\n');
  writeFileSync(path.join(pub, 'hello.txt'), 'hello static\n');
  writeFileSync(path.join(pub, 'empty.txt'), '');
  writeFileSync(path.join(pub, 'sub', 'index.html'), '<h1>sub index</h1>\n');
  writeFileSync(path.join(pub, 'index.html'), '<h1>root index</h1>\n');
  writeFileSync(path.join(pub, '.env'), 'SECRET=DOTENV_SECRET\n');
  writeFileSync(path.join(pub, '.git', 'config'), 'GIT_SECRET\n');
  writeFileSync(path.join(pub, 'echo'), 'a file named like a WebSocket route\n');
  writeFileSync(path.join(pub, 'push', 'x.txt'), 'a file under a POST route\n');
  writeFileSync(path.join(pub, 'big.bin'), BIG);
  // The 50 MB file: a random 1 MiB block repeated (fast to make, still not
  // compressible into a few chunks).
  const block = randomBytes(1024 * 1024);
  const huge = Buffer.alloc(HUGE_SIZE);
  for (let i = 0; i < 50; i++) block.copy(huge, i * block.length);
  huge.writeUInt32BE(0xdeadbeef, HUGE_SIZE - 4);
  writeFileSync(path.join(pub, 'huge.bin'), huge);
  HUGE_SHA = sha(huge);
  for (const [name, body] of Object.entries(typeFiles)) writeFileSync(path.join(pub, name), body);
  symlinkSync(path.join(dir, 'outside', 'secret.txt'), path.join(pub, 'link-out.txt'));
  symlinkSync('../../outside/secret.txt', path.join(pub, 'rel-link-out.txt'));
  symlinkSync(path.join(dir, 'outside'), path.join(pub, 'linkdir-out'));
  // A sibling folder whose path is as long as the public folder's: what is
  // left after cutting the folder's length off its real path looks like a
  // safe path ("/secret.txt"), so only the prefix comparison refuses it.
  mkdirSync(path.join(dir, 'src', 'publix'));
  writeFileSync(path.join(dir, 'src', 'publix', 'secret.txt'), 'TOPSECRET sibling\n');
  symlinkSync(path.join(dir, 'src', 'publix', 'secret.txt'), path.join(pub, 'link-sibling.txt'));
  symlinkSync('../publix', path.join(pub, 'linkdir-sibling'));
  symlinkSync('hello.txt', path.join(pub, 'link-in.txt'));
  symlinkSync('.env', path.join(pub, 'link-to-dotenv.txt'));
  srv = await startServer('bench/tina4-bench-server', { cwd: dir });
});

after(async () => {
  const { code } = await srv.stop();
  rmSync(dir, { recursive: true, force: true });
  assert.equal(code, 0);
});

// A raw HTTP/1.1 connection that reads Content-Length framed responses as
// bytes. pause()/resume() stop and restart reading from the socket.
function connect(port) {
  const s = net.connect(port, '127.0.0.1');
  let chunks = [];
  let total = 0; // bytes in chunks
  let need = 0; // bytes the response being parsed needs (0: unknown)
  let closed = false;
  const waiters = [];
  let received = 0;
  const flat = () => {
    if (chunks.length > 1) chunks = [Buffer.concat(chunks)];
    return chunks[0] || Buffer.alloc(0);
  };
  const pump = () => {
    while (waiters.length) {
      const w = waiters[0];
      const r = w.try();
      if (!r) break;
      waiters.shift();
      w.resolve(r);
    }
    if (closed) waiters.splice(0).forEach((w) => w.reject(new Error('connection closed')));
  };
  s.on('data', (d) => {
    received += d.length;
    chunks.push(d);
    total += d.length;
    pump();
  });
  s.on('close', () => {
    closed = true;
    pump();
  });
  s.on('error', () => {});
  const ready = new Promise((resolve) => s.once('connect', resolve));
  return {
    socket: s,
    ready,
    get received() {
      return received;
    },
    get closed() {
      return closed;
    },
    write: (t) => s.write(t),
    pause: () => s.pause(),
    resume: () => s.resume(),
    // Resolves with the next response; noBody for HEAD.
    response({ noBody = false, timeout = 30000 } = {}) {
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no response within ${timeout} ms`)), timeout);
        waiters.push({
          try() {
            if (need && total < need) return null; // the body is still arriving: no copying
            const buf = flat();
            const end = buf.indexOf('\r\n\r\n');
            if (end < 0) return null;
            const head = buf.subarray(0, end).toString('latin1');
            const [statusLine, ...lines] = head.split('\r\n');
            const headers = {};
            for (const l of lines) {
              const i = l.indexOf(':');
              headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
            }
            const status = Number(statusLine.split(' ')[1]);
            const len = noBody || status === 304 ? 0 : Number(headers['content-length'] || 0);
            if (buf.length < end + 4 + len) {
              need = end + 4 + len;
              return null;
            }
            need = 0;
            const body = Buffer.from(buf.subarray(end + 4, end + 4 + len));
            const rest = buf.subarray(end + 4 + len);
            chunks = rest.length ? [rest] : [];
            total = rest.length;
            return { status, headers, body };
          },
          resolve: (r) => {
            clearTimeout(t);
            resolve(r);
          },
          reject: (e) => {
            clearTimeout(t);
            reject(e);
          },
        });
        pump();
      });
    },
    rest: () => flat(),
    end: () => s.destroy(),
  };
}

const get = (p, headers = {}, method = 'GET') =>
  `${method} ${p} HTTP/1.1\r\nHost: x\r\n${Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;

// One request on a fresh connection.
async function request(p, headers = {}, method = 'GET') {
  const c = connect(srv.port);
  await c.ready;
  c.write(get(p, headers, method));
  const r = await c.response({ noBody: method === 'HEAD' });
  c.end();
  return r;
}

function rssKiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m[1]);
}

describe('serving files', () => {
  test('a text file with its headers', async () => {
    const r = await fetch(srv.url('/hello.txt'));
    assert.equal(r.status, 200);
    assert.equal(await r.text(), 'hello static\n');
    assert.equal(r.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal(r.headers.get('content-length'), '13');
    assert.match(r.headers.get('etag'), /^"[0-9a-f]+-[0-9a-f]+"$/);
    assert.equal(
      r.headers.get('last-modified'),
      new Date(Math.floor(statSync(path.join(pub, 'hello.txt')).mtimeMs / 1000) * 1000).toUTCString(),
    );
    assert.equal(r.headers.get('cache-control'), 'public, max-age=3600');
    assert.equal(r.headers.get('accept-ranges'), 'bytes');
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  });

  test('content types by extension', async () => {
    for (const [name, type] of Object.entries(expectedTypes)) {
      const r = await fetch(srv.url(`/${name}`));
      assert.equal(r.status, 200, name);
      assert.equal(r.headers.get('content-type'), type, name);
      assert.equal(await r.text(), typeFiles[name], name);
    }
  });

  test('an empty file', async () => {
    const r = await request('/empty.txt');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-length'], '0');
    const rr = await request('/empty.txt', { Range: 'bytes=0-' });
    assert.equal(rr.status, 200, 'a range of an empty file is answered with the (empty) whole');
  });

  test('a missing file is 404; percent-encoded names are decoded', async () => {
    assert.equal((await request('/nope.txt')).status, 404);
    assert.equal((await request('/hello%2etxt')).status, 200);
    assert.equal((await request('/hello.txt?v=3')).status, 200, 'the query string is ignored');
  });

  test('the root serves index.html', async () => {
    const r = await request('/');
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), '<h1>root index</h1>\n');
    assert.equal(r.headers['content-type'], 'text/html; charset=utf-8');
  });

  test('directories: /dir -> 301 /dir/, /dir/ -> its index.html, no index -> 404', async () => {
    const r = await request('/sub');
    assert.equal(r.status, 301);
    assert.equal(r.headers.location, '/sub/');
    const q = await request('/sub?a=1&b=2');
    assert.equal(q.headers.location, '/sub/?a=1&b=2');
    const i = await request('/sub/');
    assert.equal(i.status, 200);
    assert.equal(i.body.toString(), '<h1>sub index</h1>\n');
    assert.equal(i.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal((await request('/sub/index.html')).status, 200);
    assert.equal((await request('/emptydir/')).status, 404);
    assert.equal((await request('/emptydir')).status, 301);
    assert.equal((await request('/hello.txt/')).status, 404, 'a file is not a directory');
  });

  test('other methods on a file: 405 with Allow: GET, HEAD; on nothing: 404', async () => {
    for (const m of ['POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const r = await request('/hello.txt', { 'Content-Length': '0' }, m);
      assert.equal(r.status, 405, m);
      assert.equal(r.headers.allow, 'GET, HEAD');
    }
    assert.equal((await request('/nope.txt', { 'Content-Length': '0' }, 'POST')).status, 404);
  });

  test('routes win over files', async () => {
    // bench server: WebSocket /echo and POST /push/{target:path}
    const ws = await request('/echo');
    assert.equal(ws.status, 426);
    const post = await request('/push/x.txt');
    assert.equal(post.status, 405, 'GET on a POST route is the route\'s 405, not the file');
    assert.notEqual(post.headers.allow, 'GET, HEAD');
  });

  test('an in-folder symlink is followed', async () => {
    const r = await request('/link-in.txt');
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'hello static\n');
  });

  test('a big file is byte-identical', async () => {
    const r = await fetch(srv.url('/big.bin'));
    assert.equal(r.status, 200);
    assert.equal(Number(r.headers.get('content-length')), BIG.length);
    assert.equal(sha(Buffer.from(await r.arrayBuffer())), sha(BIG));
  });
});

describe('HEAD', () => {
  test('headers of the GET, correct Content-Length, no body; the connection stays usable', async () => {
    const c = connect(srv.port);
    await c.ready;
    c.write(get('/big.bin', {}, 'HEAD') + get('/hello.txt'));
    const h = await c.response({ noBody: true });
    assert.equal(h.status, 200);
    assert.equal(Number(h.headers['content-length']), BIG.length);
    assert.equal(h.headers['content-type'], 'application/octet-stream');
    assert.ok(h.headers.etag);
    const g = await c.response();
    assert.equal(g.status, 200);
    assert.equal(g.body.toString(), 'hello static\n', 'no stray body bytes between the responses');
    assert.equal(c.rest().length, 0);
    c.end();
  });

  test('HEAD with Range is answered like the full GET (ranges are for GET)', async () => {
    const h = await request('/big.bin', { Range: 'bytes=0-9' }, 'HEAD');
    assert.equal(h.status, 200);
    assert.equal(Number(h.headers['content-length']), BIG.length);
  });
});

describe('validators and 304', () => {
  test('If-None-Match: the ETag, a list, W/, * -> 304; another -> 200', async () => {
    const first = await request('/hello.txt');
    const etag = first.headers.etag;
    for (const inm of [etag, `"nope", ${etag}`, `W/${etag}`, '*', ` ${etag} `]) {
      const r = await request('/hello.txt', { 'If-None-Match': inm });
      assert.equal(r.status, 304, inm);
      assert.equal(r.body.length, 0);
      assert.equal(r.headers.etag, etag);
      assert.equal(r.headers['cache-control'], 'public, max-age=3600');
      assert.equal(r.headers['content-length'], undefined);
    }
    for (const inm of ['"nope"', 'W/"nope"', etag.slice(0, -2) + '"', 'garbage']) {
      const r = await request('/hello.txt', { 'If-None-Match': inm });
      assert.equal(r.status, 200, inm);
      assert.equal(r.body.toString(), 'hello static\n');
    }
    const head = await request('/hello.txt', { 'If-None-Match': etag }, 'HEAD');
    assert.equal(head.status, 304);
  });

  test('If-Modified-Since: not newer -> 304; older or invalid -> 200; If-None-Match wins', async () => {
    const first = await request('/hello.txt');
    const lm = first.headers['last-modified'];
    assert.equal((await request('/hello.txt', { 'If-Modified-Since': lm })).status, 304);
    // Later than the file but not than the clock (a future date is ignored: strictness.test.mjs).
    const later = new Date(Math.min(Date.parse(lm) + 86400e3, Date.now())).toUTCString();
    assert.equal((await request('/hello.txt', { 'If-Modified-Since': later })).status, 304);
    const earlier = new Date(Date.parse(lm) - 1000).toUTCString();
    assert.equal((await request('/hello.txt', { 'If-Modified-Since': earlier })).status, 200);
    assert.equal((await request('/hello.txt', { 'If-Modified-Since': 'not a date' })).status, 200);
    assert.equal(
      (await request('/hello.txt', { 'If-Modified-Since': lm, 'If-None-Match': '"other"' })).status,
      200,
      'If-None-Match is evaluated instead of If-Modified-Since',
    );
  });

  test('a changed file gets a new ETag and is sent again', async () => {
    const f = path.join(pub, 'changing.txt');
    writeFileSync(f, 'one');
    const a = await request('/changing.txt');
    await sleep(20);
    writeFileSync(f, 'two!');
    const b = await request('/changing.txt', { 'If-None-Match': a.headers.etag });
    assert.equal(b.status, 200);
    assert.equal(b.body.toString(), 'two!');
    assert.notEqual(b.headers.etag, a.headers.etag);
  });
});

describe('the embedded /js/frond.js answers like a file', () => {
  const JS = readFileSync(path.join(path.dirname(new URL(import.meta.url).pathname), '../../js/frond.js'));
  test('validators, 304, 412, ranges and HEAD', async () => {
    const first = await request('/js/frond.js');
    assert.equal(first.status, 200);
    assert.ok(first.body.equals(JS));
    const etag = first.headers.etag;
    assert.match(etag, /^"[0-9a-f]+-[0-9a-f]{16}"$/);
    assert.ok(first.headers['last-modified']);
    assert.equal((await request('/js/frond.js')).headers.etag, etag, 'the same bytes, the same tag');
    assert.equal((await request('/js/frond.js', { 'If-None-Match': etag })).status, 304);
    assert.equal((await request('/js/frond.js', { 'If-Match': '"nope"' })).status, 412);
    assert.equal((await request('/js/frond.js', { 'If-Match': `W/${etag}` })).status, 412);
    assert.equal((await request('/js/frond.js', { 'If-Match': etag })).status, 200);
    assert.equal((await request('/js/frond.js', { 'If-Unmodified-Since': 'Mon, 01 Jan 2001 00:00:00 GMT' })).status, 412);
    const future = new Date(Date.now() + 86400e3).toUTCString();
    assert.equal((await request('/js/frond.js', { 'If-Modified-Since': future })).status, 200, 'a date in the future is ignored');
    const part = await request('/js/frond.js', { Range: 'bytes=5-14' });
    assert.equal(part.status, 206);
    assert.ok(part.body.equals(JS.subarray(5, 15)));
    assert.equal(part.headers['content-range'], `bytes 5-14/${JS.length}`);
    assert.equal((await request('/js/frond.js', { Range: `bytes=${JS.length}-` })).status, 416);
    const head = await request('/js/frond.js', {}, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    assert.equal(Number(head.headers['content-length']), JS.length);
  });
});

describe('ranges', () => {
  const n = BIG.length;
  const cases = [
    ['bytes=0-9', 0, 9],
    ['bytes=0-0', 0, 0],
    ['bytes=100-199', 100, 199],
    [`bytes=${n - 1}-`, n - 1, n - 1],
    ['bytes=1000-', 1000, n - 1],
    ['bytes=-100', n - 100, n - 1],
    [`bytes=-${n + 10}`, 0, n - 1],
    [`bytes=10-${n + 1000}`, 10, n - 1],
    ['bytes=65530-131080', 65530, 131080], // across chunk boundaries
    ['bytes=0-', 0, n - 1],
    [' bytes=5-6', 5, 6],
  ];
  for (const [range, a, b] of cases) {
    test(`Range: ${range} -> 206`, async () => {
      const r = await request('/big.bin', { Range: range });
      assert.equal(r.status, 206);
      assert.equal(r.headers['content-range'], `bytes ${a}-${b}/${n}`);
      assert.equal(Number(r.headers['content-length']), b - a + 1);
      assert.equal(r.headers['content-type'], 'application/octet-stream');
      assert.ok(r.body.equals(BIG.subarray(a, b + 1)), 'range bytes differ');
    });
  }

  test('unsatisfiable -> 416 with Content-Range: bytes */size', async () => {
    for (const range of [`bytes=${n}-`, `bytes=${n + 5}-${n + 10}`, 'bytes=-0', `bytes=${n}-, ${n + 1}-`]) {
      const r = await request('/big.bin', { Range: range });
      assert.equal(r.status, 416, range);
      assert.equal(r.headers['content-range'], `bytes */${n}`);
    }
  });

  test('malformed, other units, several ranges -> 200 with the whole file', async () => {
    for (const range of ['bytes=5-2', 'bytes=abc', 'items=0-1', 'bytes=0-1,10-20', 'bytes=-', 'bytes=1-2-3']) {
      const r = await request('/hello.txt', { Range: range });
      assert.equal(r.status, 200, range);
      assert.equal(r.body.toString(), 'hello static\n');
    }
  });

  test('If-Range: matching ETag or date -> 206; stale -> 200 whole', async () => {
    const first = await request('/hello.txt');
    const { etag } = first.headers;
    const lm = first.headers['last-modified'];
    const ok = await request('/hello.txt', { Range: 'bytes=0-4', 'If-Range': etag });
    assert.equal(ok.status, 206);
    assert.equal(ok.body.toString(), 'hello');
    const byDate = await request('/hello.txt', { Range: 'bytes=6-', 'If-Range': lm });
    assert.equal(byDate.status, 206);
    assert.equal(byDate.body.toString(), 'static\n');
    for (const stale of ['"other"', `W/${etag}`, new Date(Date.parse(lm) - 1000).toUTCString()]) {
      const r = await request('/hello.txt', { Range: 'bytes=0-4', 'If-Range': stale });
      assert.equal(r.status, 200, stale);
      assert.equal(r.body.toString(), 'hello static\n');
    }
  });
});

describe('path safety (raw TCP)', () => {
  const attempts = [
    '/../outside/secret.txt',
    '/../../../../../../etc/passwd',
    '/%2e%2e/outside/secret.txt',
    '/%2E%2E/outside/secret.txt',
    '/.%2e/outside/secret.txt',
    '/sub/../../outside/secret.txt',
    '/sub/%2e%2e/%2e%2e/outside/secret.txt',
    '/a/../../etc/passwd',
    '/..%2f..%2f..%2fetc%2fpasswd',
    '/..%2Foutside%2Fsecret.txt',
    '/..\\outside\\secret.txt',
    '/%5c..%5coutside%5csecret.txt',
    '/sub%5c..%5c..%5coutside%5csecret.txt',
    '/hello.txt%00.png',
    '/%00',
    '/.env',
    '/%2eenv',
    '/sub/../.env',
    '/sub/%2e%2e/.env',
    '/.git/config',
    '/%2egit/config',
    '//etc/passwd',
    '/%2f%2fetc/passwd',
    '/link-out.txt',
    '/rel-link-out.txt',
    '/linkdir-out/secret.txt',
    '/linkdir-out/',
    '/link-sibling.txt',
    '/linkdir-sibling/secret.txt',
    '/link-to-dotenv.txt',
    '/./hello.txt',
    '/etc/passwd',
  ];
  for (const target of attempts) {
    test(`GET ${target} -> 400/403/404, never the file`, async () => {
      const r = await raw(srv.port, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      const status = Number(r.text.split(' ')[1]);
      assert.ok([400, 403, 404].includes(status), `${target}: status ${status}`);
      assert.doesNotMatch(r.text, /TOPSECRET|DOTENV_SECRET|GIT_SECRET|root:/);
    });
  }

  test('the server is still serving afterwards', async () => {
    assert.equal((await request('/hello.txt')).status, 200);
  });
});

describe('large files, slow readers, keep-alive and pipelining', () => {
  test('a paused reader gets every byte, then the connection serves another request', async () => {
    const c = connect(srv.port);
    await c.ready;
    c.write(get('/big.bin'));
    await new Promise((resolve) => c.socket.once('data', resolve));
    c.pause();
    await sleep(1500);
    const partial = c.received;
    assert.ok(partial < BIG.length, 'the reader was paused before the end');
    c.resume();
    const r = await c.response();
    assert.equal(r.status, 200);
    assert.equal(r.headers.connection, 'keep-alive');
    assert.equal(sha(r.body), sha(BIG));
    // Keep-alive: the same connection answers the next request.
    c.write(get('/hello.txt'));
    const r2 = await c.response();
    assert.equal(r2.status, 200);
    assert.equal(r2.body.toString(), 'hello static\n');
    assert.equal(c.closed, false);
    c.end();
  });

  test('pipelined requests after a big file are answered after it, in order', async () => {
    const c = connect(srv.port);
    await c.ready;
    c.write(get('/big.bin') + get('/hello.txt') + get('/big.bin', { Range: 'bytes=-5' }) + get('/nope') + get('/big.bin'));
    const r1 = await c.response();
    assert.equal(r1.status, 200);
    assert.equal(sha(r1.body), sha(BIG));
    const r2 = await c.response();
    assert.equal(r2.body.toString(), 'hello static\n');
    const r3 = await c.response();
    assert.equal(r3.status, 206);
    assert.ok(r3.body.equals(BIG.subarray(BIG.length - 5)));
    const r4 = await c.response();
    assert.equal(r4.status, 404);
    const r5 = await c.response();
    assert.equal(sha(r5.body), sha(BIG));
    await sleep(50);
    assert.equal(c.rest().length, 0);
    assert.equal(c.closed, false);
    c.end();
  });

  test('a slowly trickling pipelined request is processed after the file', async () => {
    const c = connect(srv.port);
    await c.ready;
    c.write(get('/big.bin'));
    await new Promise((resolve) => c.socket.once('data', resolve));
    c.pause();
    c.write('GET /hello.txt HTTP/1.1\r\n'); // half a request while the file is being sent
    await sleep(300);
    c.write('Host: x\r\n\r\n');
    await sleep(300);
    c.resume();
    const r1 = await c.response();
    assert.equal(sha(r1.body), sha(BIG));
    const r2 = await c.response();
    assert.equal(r2.body.toString(), 'hello static\n');
    c.end();
  });

  test('Connection: close after a big file: all bytes, then the server closes', async () => {
    const c = connect(srv.port);
    await c.ready;
    c.write(get('/big.bin', { Connection: 'close' }));
    const r = await c.response();
    assert.equal(r.headers.connection, 'close');
    assert.equal(sha(r.body), sha(BIG));
    await new Promise((resolve) => (c.closed ? resolve() : c.socket.once('close', resolve)));
  });

  test('HTTP/1.0 range of a big file', async () => {
    const r = await raw(srv.port, 'GET /big.bin HTTP/1.0\r\nRange: bytes=1000000-3000000\r\n\r\n');
    const end = r.buf.indexOf('\r\n\r\n');
    assert.match(r.text, /^HTTP\/1\.1 206/);
    assert.ok(r.buf.subarray(end + 4).equals(BIG.subarray(1000000, 3000001)));
  });

  test('a client that disconnects mid-file does not disturb the server', async () => {
    for (let i = 0; i < 5; i++) {
      const c = connect(srv.port);
      await c.ready;
      c.write(get('/huge.bin'));
      await new Promise((resolve) => c.socket.once('data', resolve));
      c.end();
    }
    assert.equal((await request('/hello.txt')).status, 200);
  });

  test('memory stays bounded while 50 MB stream to a paused, then slow, reader', async () => {
    // Warm up: buffer pools and allocator.
    const w = await fetch(srv.url('/big.bin'));
    await w.arrayBuffer();
    await sleep(200);
    const base = rssKiB(srv.proc.pid);
    const c = connect(srv.port);
    await c.ready;
    c.write(get('/huge.bin'));
    await new Promise((resolve) => c.socket.once('data', resolve));
    c.pause();
    let peak = 0;
    for (let i = 0; i < 10; i++) {
      await sleep(100);
      peak = Math.max(peak, rssKiB(srv.proc.pid));
    }
    assert.ok(c.received < HUGE_SIZE / 2, `paused reader got ${c.received} bytes`);
    // Now read slowly: 30 ms on, 30 ms off, sampling the server's RSS.
    const done = c.response({ timeout: 120000 });
    let finished = false;
    done.then(() => (finished = true), () => (finished = true));
    while (!finished) {
      c.resume();
      await sleep(30);
      c.pause();
      peak = Math.max(peak, rssKiB(srv.proc.pid));
      await sleep(30);
    }
    c.resume();
    const r = await done;
    assert.equal(r.status, 200);
    assert.equal(r.body.length, HUGE_SIZE);
    assert.equal(sha(r.body), HUGE_SHA);
    const growth = peak - base;
    console.log(`# RSS base ${base} KiB, peak ${peak} KiB, growth ${growth} KiB`);
    assert.ok(growth < 8 * 1024, `server RSS grew by ${growth} KiB (base ${base} KiB, peak ${peak} KiB)`);
    c.end();
  });
});

describe('settings and shutdown', () => {
  test('TINA4_PUBLIC (absolute) and TINA4_STATIC_CACHE_CONTROL', async () => {
    const s2 = await startServer('bench/tina4-bench-server', {
      cwd: tmpdir(),
      env: { TINA4_PUBLIC: path.join(dir, 'outside'), TINA4_STATIC_CACHE_CONTROL: 'no-cache' },
    });
    try {
      const r = await fetch(s2.url('/secret.txt'));
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('cache-control'), 'no-cache');
      assert.equal(await r.text(), 'TOPSECRET outside\n');
    } finally {
      assert.equal((await s2.stop()).code, 0);
    }
  });

  test('TINA4_PUBLIC="" turns static files off', async () => {
    const s2 = await startServer('bench/tina4-bench-server', { cwd: dir, env: { TINA4_PUBLIC: '' } });
    try {
      const r = await fetch(s2.url('/hello.txt'));
      assert.equal(r.status, 404);
      await r.arrayBuffer();
    } finally {
      assert.equal((await s2.stop()).code, 0);
    }
  });

  test('SIGTERM while a file streams to a paused reader: clean exit, nothing leaked', async () => {
    const s2 = await startServer('bench/tina4-bench-server', {
      cwd: dir,
      env: { TINA4_WS_CLOSE_TIMEOUT: '0.5', TINA4_SHUTDOWN_TIMEOUT: '2' },
    });
    const c = connect(s2.port);
    await c.ready;
    c.write(get('/huge.bin'));
    await new Promise((resolve) => c.socket.once('data', resolve));
    c.pause();
    await sleep(300);
    const { code } = await s2.stop(); // throws on a sanitizer report (leaks included)
    assert.equal(code, 0);
    c.end();
  });
});
