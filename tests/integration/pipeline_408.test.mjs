// SPDX-License-Identifier: MIT
// Review: a pipelining client whose responses pile up past 256 KiB makes the
// server stop reading (dispatch(): t4__conn_read_stop). The rest of the next
// request then waits in the server's kernel buffer, unread by the server's own
// choice, yet t4__http_tick() keeps counting TINA4_HTTP_HEADER_TIMEOUT from the
// request's first byte and answers 408 to a request the client sent in full.
// Expected: every pipelined request is answered 200.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { startServer } from './helpers.mjs';

let srv;
before(async () => {
  srv = await startServer('tests/servers/api_server', { env: { TINA4_HTTP_HEADER_TIMEOUT: '2' } });
});
after(async () => {
  await srv.stop();
});

test('read-side backpressure does not turn into a 408 for a complete request', async () => {
  const N = 1500; // ~61 KiB of requests (one read), ~21 MiB of responses
  const text = await new Promise((resolve) => {
    const s = net.connect({ port: srv.port, host: '127.0.0.1' });
    const chunks = [];
    s.on('data', (d) => chunks.push(d));
    s.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    s.on('error', () => {});
    s.on('connect', () => {
      // A slow but steady reader: a moment of reading every 400 ms, so output
      // always progresses well within the 2 s timeout, yet draining the
      // responses takes longer than 2 s.
      s.pause();
      const iv = setInterval(() => {
        s.resume();
        setTimeout(() => s.pause(), 2);
      }, 400);
      s.on('close', () => clearInterval(iv));
      s.write(
        'GET /js/frond.js HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(N) +
          'GET /api/hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n',
      );
      setTimeout(() => s.write('\r\n'), 50); // the last request is complete 50 ms later
    });
  });
  const statuses = [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1]);
  assert.equal(statuses.length, N + 1);
  assert.equal(statuses[N], '200', `the last pipelined request is answered 200, not ${statuses[N]}`);
  assert.ok(text.endsWith('hello\n'));
});
