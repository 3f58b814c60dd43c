// SPDX-License-Identifier: MIT
// Durations are stored in milliseconds in an unsigned (32-bit): a number of
// seconds whose milliseconds do not fit must be refused at start-up, and the
// largest one that fits must work as set, never wrap to something short
// (4294968 s wrapped used to become 704 ms and closed idle clients at once).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { binary } from '../lib/server.mjs';
import { client, startServer } from './helpers.mjs';

const BENCH = 'bench/tina4-bench-server';
const LARGEST = String(Math.floor(0xffffffff / 1000)); // 4294967 s: 49.7 days

// The server must stay open this long for an idle client when the idle timeout is huge.
async function idleClientSurvives(env, ms) {
  const srv = await startServer(BENCH, { env });
  try {
    const c = client(srv.wsUrl('/echo'));
    await c.opened;
    const r = await Promise.race([c.closed, new Promise((res) => setTimeout(() => res('open'), ms))]);
    c.ws.terminate();
    return r;
  } finally {
    await srv.stop();
  }
}

test(`the largest TINA4_WS_IDLE_TIMEOUT (${LARGEST} s) is taken as set, not wrapped`, async () => {
  const r = await idleClientSurvives({ TINA4_WS_IDLE_TIMEOUT: LARGEST, TINA4_WS_PING_INTERVAL: '100000' }, 2000);
  assert.equal(r, 'open', `an idle client was closed within 2 s: ${JSON.stringify(r)}`);
});

test('one second more than fits is refused at start-up with a clear message', () => {
  for (const name of ['TINA4_WS_IDLE_TIMEOUT', 'TINA4_HTTP_HEADER_TIMEOUT', 'TINA4_SHUTDOWN_TIMEOUT']) {
    const r = spawnSync(binary(BENCH), [], {
      env: { ...process.env, TINA4_HOST: '127.0.0.1', TINA4_PORT: '0', [name]: String(Number(LARGEST) + 1) },
      encoding: 'utf8',
      timeout: 15000,
    });
    assert.equal(r.error, undefined, `${name}: the server did not exit by itself (${r.error?.code}): it must refuse the value`);
    assert.equal(r.signal, null, `${name}: died of ${r.signal}`);
    assert.notEqual(r.status, 0, `${name}=${Number(LARGEST) + 1} must not start`);
    assert.ok(![86, 87].includes(r.status), `${name}: sanitizer exit code ${r.status}:\n${r.stderr}`);
    assert.match(r.stderr, new RegExp(`${name}=${Number(LARGEST) + 1}`), 'the message names the setting and the value');
    assert.doesNotMatch(r.stderr + r.stdout, /listening on/);
  }
});
