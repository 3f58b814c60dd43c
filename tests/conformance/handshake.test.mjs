// SPDX-License-Identifier: MIT
// RFC 6455 section 4: the opening handshake.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertEchoAndStop, benchServer, cleanup } from './lib/server.mjs';
import { OP, RawClient, acceptFor, handshakeRequest, newKey, rawHttp, textFrame } from './lib/ws.mjs';

let srv;
before(async () => {
  srv = await benchServer();
});
after(cleanup);

describe('opening handshake', { concurrency: true }, () => {
  test('RFC 6455 sample key -> 101 with the sample Sec-WebSocket-Accept', async () => {
    const key = 'dGhlIHNhbXBsZSBub25jZQ==';
    const r = await rawHttp(srv.port, handshakeRequest('/echo', { key }).text);
    assert.equal(r.status, 101, r.statusLine);
    assert.equal(r.headers['sec-websocket-accept'], 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
    assert.equal(r.headers.upgrade?.toLowerCase(), 'websocket');
    assert.match(r.headers.connection ?? '', /upgrade/i);
    r.client.destroy();
  });

  test('random keys -> 101 with the matching accept, and the connection echoes', async () => {
    for (let i = 0; i < 5; i++) {
      const key = newKey();
      const c = await RawClient.connect(srv.port);
      c.write(handshakeRequest(`/echo`, { key }).text);
      const head = await c.waitHead();
      assert.equal(head.status, 101);
      assert.equal(head.headers['sec-websocket-accept'], acceptFor(key));
      c.write(textFrame(`hello ${i}`));
      const f = await c.nextFrame();
      assert.equal(f.payload.toString(), `hello ${i}`);
      c.destroy();
    }
  });

  test('header names are case-insensitive and a trailing slash is tolerated', async () => {
    const key = newKey();
    const text =
      `GET /echo/ HTTP/1.1\r\nhost: 127.0.0.1\r\nupgrade: WebSocket\r\nconnection: keep-alive, Upgrade\r\n` +
      `sec-websocket-key: ${key}\r\nsec-websocket-version: 13\r\n\r\n`;
    const r = await rawHttp(srv.port, text);
    assert.equal(r.status, 101, r.statusLine);
    assert.equal(r.headers['sec-websocket-accept'], acceptFor(key));
    r.client.destroy();
  });

  const badKeys = {
    missing: null,
    empty: '',
    'too short': 'abc',
    'base64 of 15 bytes': Buffer.alloc(15, 7).toString('base64'),
    'base64 of 17 bytes': Buffer.alloc(17, 7).toString('base64'),
    'base64 of 32 bytes': Buffer.alloc(32, 7).toString('base64'),
    'not base64': '!!!!!!!!!!!!!!!!!!!!!!==',
    'key with a space inside': 'dGhlIHNhbXBs ZSBub25jZQ=',
  };
  for (const [name, key] of Object.entries(badKeys)) {
    test(`bad key (${name}) -> 400 and no upgrade`, async () => {
      const req = handshakeRequest('/echo', { headers: { 'Sec-WebSocket-Key': key } });
      const r = await rawHttp(srv.port, req.text);
      assert.equal(r.status, 400, r.statusLine);
      assert.equal(r.headers['sec-websocket-accept'], undefined);
      await r.client.waitTcpClose(3000);
      r.client.destroy();
    });
  }

  test('Sec-WebSocket-Key sent twice -> 400 (RFC 6455 11.3.1: MUST NOT appear more than once)', async () => {
    const text = handshakeRequest('/echo').text.replace('\r\n\r\n', `\r\nSec-WebSocket-Key: ${newKey()}\r\n\r\n`);
    const r = await rawHttp(srv.port, text);
    assert.equal(r.status, 400, r.statusLine);
    assert.equal(r.headers['sec-websocket-accept'], undefined);
    r.client.destroy();
  });

  test('Sec-WebSocket-Version sent twice -> 400 (RFC 6455 11.3.5: MUST NOT appear more than once in a request)', async () => {
    const text = handshakeRequest('/echo').text.replace('\r\n\r\n', '\r\nSec-WebSocket-Version: 13\r\n\r\n');
    const r = await rawHttp(srv.port, text);
    assert.equal(r.status, 400, r.statusLine);
    assert.equal(r.headers['sec-websocket-accept'], undefined);
    r.client.destroy();
  });

  test('missing Host -> 400', async () => {
    const r = await rawHttp(srv.port, handshakeRequest('/echo', { headers: { Host: null } }).text);
    assert.equal(r.status, 400, r.statusLine);
    r.client.destroy();
  });

  test('GET on a WebSocket path without Upgrade -> 426 with Upgrade: websocket', async () => {
    const r = await rawHttp(srv.port, 'GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    assert.equal(r.status, 426, r.statusLine);
    assert.equal(r.headers.upgrade?.toLowerCase(), 'websocket');
    assert.equal(r.headers['sec-websocket-version'], '13');
    r.client.destroy();
  });

  test('Sec-WebSocket-Version 8 -> 426 with Sec-WebSocket-Version: 13', async () => {
    const r = await rawHttp(srv.port, handshakeRequest('/echo', { version: '8' }).text);
    assert.equal(r.status, 426, r.statusLine);
    assert.equal(r.headers['sec-websocket-version'], '13');
    assert.equal(r.headers['sec-websocket-accept'], undefined);
    r.client.destroy();
  });

  test('unknown path -> 404', async () => {
    const r = await rawHttp(srv.port, handshakeRequest('/no/such/socket').text);
    assert.equal(r.status, 404, r.statusLine);
    assert.equal(r.headers['sec-websocket-accept'], undefined);
    r.client.destroy();
  });

  test('POST with the upgrade headers -> 400', async () => {
    const r = await rawHttp(srv.port, handshakeRequest('/echo', { method: 'POST', headers: { 'Content-Length': '0' } }).text);
    assert.equal(r.status, 400, r.statusLine);
    assert.equal(r.headers['sec-websocket-accept'], undefined);
    r.client.destroy();
  });

  test('HTTP/1.0 upgrade -> 400', async () => {
    const text = handshakeRequest('/echo').text.replace('HTTP/1.1', 'HTTP/1.0');
    const r = await rawHttp(srv.port, text);
    assert.equal(r.status, 400, r.statusLine);
    r.client.destroy();
  });

  test('frames in the same TCP packet as the handshake are processed', async () => {
    const key = newKey();
    const c = await RawClient.connect(srv.port);
    const bytes = Buffer.concat([
      Buffer.from(handshakeRequest('/echo', { key }).text),
      textFrame('first'),
      textFrame('second'),
      Buffer.from([0x89, 0x80, 1, 2, 3, 4]), // empty masked ping
    ]);
    c.write(bytes);
    const head = await c.waitHead();
    assert.equal(head.status, 101);
    assert.equal(head.headers['sec-websocket-accept'], acceptFor(key));
    const f1 = await c.nextFrame();
    const f2 = await c.nextFrame();
    const f3 = await c.nextFrame();
    assert.deepEqual([f1.opcode, f1.payload.toString()], [OP.TEXT, 'first']);
    assert.deepEqual([f2.opcode, f2.payload.toString()], [OP.TEXT, 'second']);
    assert.deepEqual([f3.opcode, f3.len], [OP.PONG, 0]);
    await c.closeCleanly();
  });

  test('handshake sent one byte at a time', async () => {
    const key = newKey();
    const c = await RawClient.connect(srv.port);
    await c.writeChunked(handshakeRequest('/echo', { key }).text, 1, 1);
    const head = await c.waitHead();
    assert.equal(head.status, 101);
    assert.equal(head.headers['sec-websocket-accept'], acceptFor(key));
    c.write(textFrame('byte by byte'));
    const f = await c.nextFrame();
    assert.equal(f.payload.toString(), 'byte by byte');
    await c.closeCleanly();
  });
});

test('server keeps serving and stops cleanly', () => assertEchoAndStop(srv));
