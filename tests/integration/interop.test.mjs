// SPDX-License-Identifier: MIT
// Interop with a second, independent client implementation: Python's
// `websockets` (python3-websockets from Debian) runs py_client.py against
// the echo and announcements examples.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT, run, startServer } from './helpers.mjs';

// Debian's interpreter first: its python3-websockets is the one installed.
const python = ['/usr/bin/python3', 'python3'].find((p) => {
  if (p.startsWith('/') && !existsSync(p)) return false;
  try {
    execFileSync(p, ['-c', 'import websockets'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});

test('python websockets: echo and broadcast', { skip: !python && 'python3-websockets is not installed' }, async () => {
  const echo = await startServer('examples/echo');
  const ann = await startServer('examples/announcements');
  try {
    const script = path.join(ROOT, 'tests/integration/py_client.py');
    const out = await run(python, [script, echo.wsUrl('/ws/echo'), ann.wsUrl('/ws/announcements')]);
    assert.equal(out.code, 0, `py_client failed: ${out.o}${out.e}`);
    assert.deepEqual(JSON.parse(out.o.trim().split('\n').pop()), { ok: true, echo: 'ok', broadcast: 'ok' });
  } finally {
    assert.equal((await echo.stop()).code, 0);
    assert.equal((await ann.stop()).code, 0);
  }
});
