// SPDX-License-Identifier: MIT
// HTTP on the same port: routing answers, keep-alive and pipelining, bodies
// (JSON, form, chunked), limits (413, 431, 408), failed WebSocket upgrades,
// and settings from .env.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { open, parseResponses, raw, startServer } from './helpers.mjs';

let srv;
before(async () => {
  srv = await startServer('tests/servers/api_server', {
    env: { TINA4_HTTP_MAX_BODY: '4096', TINA4_HTTP_MAX_HEADER: '2048', TINA4_HTTP_HEADER_TIMEOUT: '0.5' },
  });
});
after(async () => {
  const { code } = await srv.stop();
  assert.equal(code, 0);
});

const fullResponse = (t) => {
  const r = parseResponses(t);
  return r.length > 0 && r[0].body.length >= Number(r[0].headers['content-length'] || 0);
};

describe('routing', () => {
  test('200, 404, 405 with Allow', async () => {
    const ok = await fetch(srv.url('/api/hello'));
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), 'hello\n');
    const nf = await fetch(srv.url('/nothing/here'));
    assert.equal(nf.status, 404);
    await nf.arrayBuffer();
    const na = await fetch(srv.url('/api/hello'), { method: 'DELETE' });
    assert.equal(na.status, 405);
    assert.match(na.headers.get('allow') || '', /\bGET\b/);
    await na.arrayBuffer();
    const np = await fetch(srv.url('/api/hello'), { method: 'POST', body: 'x' });
    assert.equal(np.status, 405);
    await np.arrayBuffer();
  });

  test('HEAD: headers of the GET, no body', async () => {
    const r = await raw(srv.port, 'HEAD /api/hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const [head, rest] = r.text.split('\r\n\r\n');
    assert.match(head, /^HTTP\/1\.1 200/);
    assert.match(head, /content-length: 6/i);
    assert.equal(rest, '', 'HEAD must not carry a body');
  });

  test('request headers and cookies reach the handler; response headers reach the client', async () => {
    const r = await fetch(srv.url('/api/headers'), { headers: { 'X-Test': 'v1', Cookie: 'x=1; session=abc' } });
    assert.equal(r.headers.get('x-reply'), 'yes');
    assert.deepEqual(await r.json(), { x_test: 'v1', cookie: 'abc', method: 'GET', path: '/api/headers', remote: '127.0.0.1' });
  });

  test('a WebSocket path without an Upgrade is 426', async () => {
    const r = await fetch(srv.url('/api/flood'));
    assert.equal(r.status, 426);
    await r.arrayBuffer();
  });
});

describe('keep-alive and pipelining', () => {
  test('two requests in one write get two responses, in order, on one connection', async () => {
    const req = (p) => `GET ${p} HTTP/1.1\r\nHost: x\r\n\r\n`;
    const r = await raw(srv.port, req('/api/hello') + req('/api/headers') + req('/nope'), {
      until: (t) => parseResponses(t).length >= 3 && t.endsWith('404 Not Found\n'),
    });
    const rs = parseResponses(r.text);
    assert.deepEqual(
      rs.map((x) => x.status),
      [200, 200, 404],
    );
    assert.equal(rs[0].body, 'hello\n');
    assert.equal(JSON.parse(rs[1].body).path, '/api/headers');
    assert.equal(r.closed, false, 'keep-alive connection was closed');
  });

  test('pipelined POST bodies stay separate', async () => {
    const post = (b) => `POST /api/body HTTP/1.1\r\nHost: x\r\nContent-Length: ${b.length}\r\n\r\n${b}`;
    const r = await raw(srv.port, post('first') + post('second!') + 'GET /api/hello HTTP/1.1\r\nHost: x\r\n\r\n', {
      until: (t) => t.endsWith('hello\n'),
    });
    const rs = parseResponses(r.text);
    assert.deepEqual(JSON.parse(rs[0].body), { len: 5, body: 'first' });
    assert.deepEqual(JSON.parse(rs[1].body), { len: 7, body: 'second!' });
    assert.equal(rs[2].body, 'hello\n');
  });

  test('Connection: close is honoured', async () => {
    const r = await raw(srv.port, 'GET /api/hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.equal(r.closed, true);
    assert.equal(parseResponses(r.text)[0].status, 200);
  });
});

describe('bodies', () => {
  test('JSON body', async () => {
    const r = await fetch(srv.url('/api/json'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ a: [1, 2, { b: 'ü' }] }),
    });
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { got: { a: [1, 2, { b: 'ü' }] } });
    const bad = await fetch(srv.url('/api/json'), { method: 'POST', body: '{oops' });
    assert.equal(bad.status, 400);
    await bad.arrayBuffer();
  });

  test('form body', async () => {
    const r = await fetch(srv.url('/api/form'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'name=Ann+Lee&city=K%C3%B8benhavn&x=1',
    });
    assert.deepEqual(await r.json(), { name: 'Ann Lee', city: 'København' });
  });

  test('chunked request body', async () => {
    const r = await raw(
      srv.port,
      'POST /api/body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n' +
        '5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n',
    );
    const [res] = parseResponses(r.text);
    assert.equal(res.status, 200);
    assert.deepEqual(JSON.parse(res.body), { len: 12, body: 'hello, world' });
  });

  test('413 for a body over TINA4_HTTP_MAX_BODY (declared or chunked); exactly max passes', async () => {
    const exact = await fetch(srv.url('/api/body'), { method: 'POST', body: 'a'.repeat(4096) });
    assert.equal(exact.status, 200);
    assert.equal((await exact.json()).len, 4096);
    const big = await raw(srv.port, `POST /api/body HTTP/1.1\r\nHost: x\r\nContent-Length: 4097\r\n\r\n${'a'.repeat(4097)}`, {
      until: fullResponse,
    });
    assert.equal(parseResponses(big.text)[0].status, 413);
    const chunk = 'b'.repeat(3000);
    const ch = await raw(
      srv.port,
      `POST /api/body HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${(3000).toString(16)}\r\n${chunk}\r\n${(3000).toString(16)}\r\n${chunk}\r\n0\r\n\r\n`,
      { until: fullResponse },
    );
    assert.equal(parseResponses(ch.text)[0].status, 413);
  });

  test('431 for request headers over TINA4_HTTP_MAX_HEADER', async () => {
    const r = await raw(srv.port, `GET /api/hello HTTP/1.1\r\nHost: x\r\nX-Big: ${'h'.repeat(3000)}\r\n\r\n`, {
      until: fullResponse,
    });
    assert.equal(parseResponses(r.text)[0].status, 431);
    const ok = await raw(srv.port, `GET /api/hello HTTP/1.1\r\nHost: x\r\nX-Big: ${'h'.repeat(1000)}\r\n\r\n`, {
      until: fullResponse,
    });
    assert.equal(parseResponses(ok.text)[0].status, 200);
  });

  test('408 for a request head not completed within TINA4_HTTP_HEADER_TIMEOUT', async () => {
    const t0 = Date.now();
    const r = await raw(srv.port, 'GET /api/hello HTTP/1.1\r\nHost: x\r\n', { until: fullResponse, timeout: 4000 });
    const took = Date.now() - t0;
    assert.equal(parseResponses(r.text)[0].status, 408);
    assert.ok(took >= 400 && took < 3000, `408 after ${took} ms`);
  });
});

describe('failed WebSocket handshakes', () => {
  const up = (p, extra = {}) => {
    const h = {
      Host: 'x',
      Upgrade: 'websocket',
      Connection: 'Upgrade',
      'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
      'Sec-WebSocket-Version': '13',
      ...extra,
    };
    const lines = Object.entries(h)
      .filter(([, v]) => v !== null)
      .map(([k, v]) => `${k}: ${v}`);
    return `GET ${p} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`;
  };
  const status = async (req) => parseResponses((await raw(srv.port, req, { until: fullResponse })).text)[0];

  const frame = (text) => {
    const p = Buffer.from(text);
    const mask = Buffer.from([1, 2, 3, 4]);
    return Buffer.concat([Buffer.from([0x81, 0x80 | p.length]), mask, Buffer.from(p.map((b, i) => b ^ mask[i % 4]))]);
  };
  test('a frame in the same packet as the handshake is not lost', async () => {
    const r = await raw(srv.port, Buffer.concat([Buffer.from(up('/api/flood')), frame('early bird')]), {
      until: (t) => t.endsWith('early bird'),
    });
    assert.match(r.text, /^HTTP\/1\.1 101/);
  });
  test('an upgrade pipelined behind an HTTP request', async () => {
    const r = await raw(srv.port, Buffer.concat([Buffer.from('GET /api/hello HTTP/1.1\r\nHost: x\r\n\r\n' + up('/api/flood')), frame('after http')]), {
      until: (t) => t.endsWith('after http'),
    });
    assert.match(r.text, /^HTTP\/1\.1 200[^]*hello\n[^]*HTTP\/1\.1 101 /);
  });
  test('a good handshake is 101 with the RFC 6455 accept key', async () => {
    const r = await raw(srv.port, up('/api/flood'), { until: (t) => t.includes('\r\n\r\n') });
    assert.match(r.text, /^HTTP\/1\.1 101/);
    assert.match(r.text, /sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=/i);
  });
  test('missing or malformed Sec-WebSocket-Key is 400', async () => {
    assert.equal((await status(up('/api/flood', { 'Sec-WebSocket-Key': null }))).status, 400);
    assert.equal((await status(up('/api/flood', { 'Sec-WebSocket-Key': 'short' }))).status, 400);
  });
  test('a wrong Sec-WebSocket-Version is 426 naming 13', async () => {
    const r = await status(up('/api/flood', { 'Sec-WebSocket-Version': '8' }));
    assert.equal(r.status, 426);
    assert.equal(r.headers['sec-websocket-version'], '13');
  });
  test('a POST upgrade is 400', async () => {
    assert.equal((await status(up('/api/flood').replace(/^GET/, 'POST'))).status, 400);
  });
  test('an upgrade to a path with no WebSocket route is 404', async () => {
    assert.equal((await status(up('/api/nowhere'))).status, 404);
    assert.equal((await status(up('/api/hello'))).status, 404);
  });
});

describe('.env', () => {
  test('a .env in the working directory sets TINA4_*; the real environment wins', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 't4-env-'));
    try {
      writeFileSync(
        path.join(dir, '.env'),
        '# test settings\nTINA4_WS_MAX_MESSAGE=100\nexport TINA4_HTTP_MAX_BODY="50"   \nSECURE_TOKEN=from-dotenv # comment\n',
      );
      const s1 = await startServer('bench/tina4-bench-server', { cwd: dir });
      try {
        const c = await open(s1.wsUrl('/echo'));
        c.send('x'.repeat(100));
        assert.equal((await c.next()).data.length, 100);
        c.send('x'.repeat(101));
        assert.equal((await c.closed).code, 1009, '.env TINA4_WS_MAX_MESSAGE=100 was not applied');
        const r = await fetch(s1.url('/push/nowhere'), { method: 'POST', body: 'y'.repeat(51) });
        assert.equal(r.status, 413, '.env TINA4_HTTP_MAX_BODY="50" was not applied');
        await r.arrayBuffer();
      } finally {
        assert.equal((await s1.stop()).code, 0);
      }
      // the real environment wins over .env
      const s2 = await startServer('bench/tina4-bench-server', { cwd: dir, env: { TINA4_WS_MAX_MESSAGE: '1000' } });
      try {
        const c = await open(s2.wsUrl('/echo'));
        c.send('x'.repeat(500));
        assert.equal((await c.next()).data.length, 500);
        await c.close(1000);
      } finally {
        assert.equal((await s2.stop()).code, 0);
      }
      // non-TINA4 variables are available to the app (the secure example's token)
      const s3 = await startServer('examples/secure', { cwd: dir });
      try {
        const c = await open(s3.wsUrl('/ws/secure?token=from-dotenv'));
        assert.deepEqual(await c.nextJson(), { type: 'welcome' });
        await c.close(1000);
      } finally {
        assert.equal((await s3.stop()).code, 0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
