// SPDX-License-Identifier: MIT
// Review: README "Shutdown": SIGTERM must "let in-flight HTTP responses
// finish". A static file being streamed is an in-flight response, yet
// begin_shutdown() closes it at once (t4__conn_close_now) whenever its
// output queue happens to be empty, which it is whenever the stream waits for
// its next refill (the per-turn budget, a uv_idle): the download is cut short.
// t4__conn_close_graceful() has the same hole (FIN while a stream waits).
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, mkdirSync, openSync, rmSync, truncateSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startServer } from './helpers.mjs';

const SIZE = 200 * 1024 * 1024;
let dir;
before(() => {
  dir = mkdtempSync(path.join(tmpdir(), 't4-review-'));
  mkdirSync(path.join(dir, 'pub'));
  const f = path.join(dir, 'pub', 'big.bin');
  closeSync(openSync(f, 'w'));
  truncateSync(f, SIZE); // sparse: cheap to create and to read
});
after(() => rmSync(dir, { recursive: true, force: true }));

function download(srv, killAfterMs) {
  return new Promise((resolve) => {
    const s = net.connect({ port: srv.port, host: '127.0.0.1' });
    let head = Buffer.alloc(0);
    let bodyBytes = -1;
    s.on('data', (d) => {
      if (bodyBytes < 0) {
        head = Buffer.concat([head, d]);
        const k = head.indexOf('\r\n\r\n');
        if (k >= 0) bodyBytes = head.length - k - 4;
      } else bodyBytes += d.length;
    });
    s.on('close', () => resolve(bodyBytes));
    s.on('error', () => {});
    s.on('connect', () => {
      s.write('GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n');
      setTimeout(() => srv.proc.kill('SIGTERM'), killAfterMs);
    });
  });
}

test('SIGTERM during a static download lets the download finish', async () => {
  for (let i = 0; i < 8; i++) {
    const srv = await startServer('tests/servers/api_server', {
      env: { TINA4_PUBLIC: path.join(dir, 'pub'), TINA4_SHUTDOWN_TIMEOUT: '30' },
    });
    const got = await download(srv, 50 + 17 * i);
    await srv.stop(); // the download's SIGTERM was sent: checks exit 0, in time, sanitizer-clean
    assert.equal(got, SIZE, `run ${i}: the whole file arrives (got ${got} of ${SIZE} bytes)`);
  }
});
