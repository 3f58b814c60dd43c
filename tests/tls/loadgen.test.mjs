// SPDX-License-Identifier: MIT
// The load generator's TLS mode (tina4-loadgen --tls, used by
// bench/tls/run.sh) against the bench server over TLS, briefly, so it cannot
// rot between benchmark runs: echo and broadcast with their checks, full and
// resumed handshakes, a static file with its body checked, and a wrong CA
// refused (the mode verifies when asked to).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { binary, startServer } from '../lib/server.mjs';
import { testCerts } from '../lib/tls_certs.mjs';

const run = promisify(execFile);
const certs = testCerts();
const pub = fs.mkdtempSync(path.join(os.tmpdir(), 't4-lg-pub-'));
// the benchmark file: byte i is 'a' + i % 26 (what `get` checks)
fs.writeFileSync(path.join(pub, 'file.bin'), Buffer.from(Array.from({ length: 70000 }, (_, i) => 97 + (i % 26))));

let srv, loadgen;
before(async () => {
  loadgen = binary('bench/tina4-loadgen');
  srv = await startServer('bench/tina4-bench-server', { env: { ...certs.env, TINA4_PUBLIC: pub, TINA4_LOG_LEVEL: 'error' } });
});
after(async () => {
  await srv?.stop('SIGTERM', { expect: 'any' }).catch(() => {});
  fs.rmSync(pub, { recursive: true, force: true });
});

/** Runs the load generator; returns its RESULT json (throws with its output on a non-zero exit). */
async function lg(...args) {
  const { stdout } = await run(loadgen, [...args, '--port', String(srv.port), '--pid', String(srv.proc.pid)], { timeout: 30000 });
  const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
  return JSON.parse(line.slice(7));
}

test('echo over TLS with the CA checked: every message back, none wrong', async () => {
  const r = await lg('echo', '--tls', '--ca', certs.ca, '-c', '4', '-p', '4', '-s', '32', '-d', '0.5');
  assert.ok(r.messages > 0);
  assert.equal(r.mismatches + r.missing + r.protocol_errors + r.failed_connections, 0);
});

test('broadcast over TLS: every subscriber gets every message in order', async () => {
  const r = await lg('broadcast', '--tls', '-n', '20', '-s', '64', '-d', '0.5');
  assert.ok(r.published > 0);
  assert.equal(r.deliveries, r.published * r.recipients);
  assert.equal(r.lost + r.out_of_order, 0);
});

test('handshakes: full ones are never resumed, --resume ones are', async () => {
  const full = await lg('handshake', '--tls', '-c', '2', '-d', '0.5');
  assert.ok(full.handshakes > 0);
  assert.equal(full.resumed, 0);
  const res = await lg('handshake', '--tls', '--resume', '-c', '2', '-d', '0.5');
  assert.ok(res.handshakes > 0);
  assert.ok(res.resumed >= res.handshakes * 0.9, `${res.resumed} of ${res.handshakes} resumed`);
});

test('get over https: the file whole and unchanged, again and again on keep-alive', async () => {
  const r = await lg('get', '--tls', '--path', '/file.bin', '-s', '70000', '-c', '2', '-d', '0.5');
  assert.ok(r.responses > 0);
  assert.equal(r.bad_responses, 0);
  // a size that is not the file's is caught
  await assert.rejects(lg('get', '--tls', '--path', '/file.bin', '-s', '65536', '-c', '1', '-d', '0.3'),
    (e) => /Content-Length is not the file's size/.test(e.stderr));
});

test('--ca with a CA that did not sign the certificate: the handshake fails and says why', async () => {
  const other = path.join(pub, 'other-ca.pem');
  const key = path.join(pub, 'other-ca.key');
  await run('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
    '-subj', '/CN=someone else', '-keyout', key, '-out', other]);
  await assert.rejects(lg('echo', '--tls', '--ca', other, '-c', '1', '-d', '0.2'),
    (e) => /certificate verify failed/.test(e.stderr));
});
