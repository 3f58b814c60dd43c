// SPDX-License-Identifier: MIT
// Review: a client that half-closes (shutdown(SHUT_WR)) right after sending
// its request must still receive the whole response. RFC 9112 9.6: the
// server closes after it has sent the final response; an EOF on the read
// side says only that the client will send no more requests.
// Defect: on_read() treats UV_EOF as "peer gone" and calls
// t4__conn_close_now(), which drops the queued / in-flight output.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { startServer } from './helpers.mjs';

let srv;
before(async () => {
  srv = await startServer('tests/servers/api_server');
});
after(async () => {
  await srv.stop();
});

function halfCloseRequest(port, request, pauseMs) {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const chunks = [];
    s.on('data', (d) => chunks.push(d));
    s.on('end', () => {
      s.end();
      resolve(Buffer.concat(chunks));
    });
    s.on('error', () => resolve(Buffer.concat(chunks)));
    s.on('connect', () => {
      s.pause(); // a client that reads a little later
      s.end(request); // request, then FIN
      setTimeout(() => s.resume(), pauseMs);
    });
  });
}

test('a response larger than the socket buffers survives the client half-close', async () => {
  const body = 'a'.repeat(7_500_000); // under the 8 MiB default body limit
  const req =
    `POST /api/body HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: ${body.length}\r\n\r\n` + body;
  const res = await halfCloseRequest(srv.port, req, 300);
  const headEnd = res.indexOf('\r\n\r\n');
  assert.ok(headEnd > 0, 'got a response head');
  const head = res.subarray(0, headEnd).toString();
  assert.match(head, /^HTTP\/1\.1 200 /);
  const cl = Number(/content-length: (\d+)/i.exec(head)[1]);
  assert.equal(res.length - headEnd - 4, cl, 'the whole body announced by Content-Length arrives');
});
