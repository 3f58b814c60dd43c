// SPDX-License-Identifier: MIT
// Review: the keep-alive idle timeout is measured from the connection's last
// READ (t4__http_tick: now - c->last_read >= http_keepalive), not from when it
// became idle. A response that takes longer than TINA4_HTTP_KEEPALIVE_TIMEOUT
// to deliver (a large file, a slow reader) leaves a connection that is closed
// at the very next tick: a client reusing it 300 ms later (well within the
// keep-alive timeout) finds it closed, without a response. (2 s here, so a
// loaded machine's event-loop delays stay well inside the margin.)
import assert from 'node:assert/strict';
import { closeSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startServer } from './helpers.mjs';

const SIZE = 20 * 1024 * 1024;
let dir;
let srv;
before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 't4-review-'));
  mkdirSync(path.join(dir, 'pub'));
  writeFileSync(path.join(dir, 'pub', 'mid.bin'), Buffer.alloc(SIZE, 98));
  srv = await startServer('tests/servers/api_server', {
    env: { TINA4_PUBLIC: path.join(dir, 'pub'), TINA4_HTTP_KEEPALIVE_TIMEOUT: '2' },
  });
});
after(async () => {
  await srv.stop();
  rmSync(dir, { recursive: true, force: true });
});

test('a connection idle for less than the keep-alive timeout is still usable after a long response', async () => {
  const rest = await new Promise((resolve) => {
    const s = net.connect({ port: srv.port, host: '127.0.0.1' });
    let buf = Buffer.alloc(0);
    let done = false;
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      const k = buf.indexOf('\r\n\r\n');
      if (!done && k >= 0 && buf.length - k - 4 >= SIZE) {
        done = true;
        buf = buf.subarray(k + 4 + SIZE);
        // Idle for 300 ms (< 2 s), then reuse the connection.
        setTimeout(() => s.write('GET /api/hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'), 300);
      }
    });
    s.on('close', () => resolve(buf.toString()));
    s.on('error', () => {});
    s.on('connect', () => {
      s.write('GET /mid.bin HTTP/1.1\r\nHost: x\r\n\r\n');
      s.pause(); // a reader slower than the keep-alive timeout
      setTimeout(() => s.resume(), 3000);
    });
  });
  assert.match(rest, /^HTTP\/1\.1 200 /, 'the reused keep-alive connection answers');
});
