// SPDX-License-Identifier: MIT
// Per-file server start/stop for the conformance suite.
import assert from 'node:assert/strict';
import { startServer } from '../../lib/server.mjs';
import { testCerts } from '../../lib/tls_certs.mjs';
import { RawClient, textFrame } from './ws.mjs';

export const BIN = 'bench/tina4-bench-server';

const live = new Set();

/** T4_CONFORMANCE_TLS=1: every server speaks TLS and every client is wss (lib/ws.mjs). */
export const OVER_TLS = process.env.T4_CONFORMANCE_TLS === '1';

export async function benchServer(env = {}) {
  const tlsEnv = OVER_TLS ? testCerts().env : {};
  const srv = await startServer(BIN, { env: { TINA4_LOG_LEVEL: 'warn', ...tlsEnv, ...env } });
  live.add(srv);
  return srv;
}

/** after() hook of every file: drops clients and kills servers a failed test left running
 * (a live child would keep the test process, and so the whole run, from ending). */
export async function cleanup() {
  RawClient.destroyAll();
  const left = [...live];
  live.clear();
  await Promise.all(left.map((srv) => srv.stop('SIGKILL', { expect: 'any' }))); // still sanitizer-checked
}

/** The last test of every file: the server still echoes, then stops with 0 (sanitizer-clean). */
export async function assertEchoAndStop(srv) {
  const c = await RawClient.open(srv.port, '/echo');
  c.write(textFrame('still alive'));
  const f = await c.nextFrame(3000);
  assert.equal(f.opcode, 1);
  assert.equal(f.payload.toString(), 'still alive');
  await c.closeCleanly(1000);
  RawClient.destroyAll();
  live.delete(srv);
  const { code, signal } = await srv.stop();
  assert.equal(signal, null, `server died of ${signal}`);
  assert.equal(code, 0, `server exit code ${code}; stderr:\n${srv.stderr()}`);
}
