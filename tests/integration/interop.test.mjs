// Interop with a second, independent client implementation: Python's
// `websockets` (python3-websockets from Debian) runs py_client.py against
// the echo and announcements examples.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT, startServer } from './helpers.mjs';

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
    const out = await new Promise((resolve, reject) => {
      const p = spawn(python, [script, echo.wsUrl('/ws/echo'), ann.wsUrl('/ws/announcements')]);
      let o = '';
      let e = '';
      const timer = setTimeout(() => p.kill('SIGKILL'), 20000);
      p.stdout.on('data', (d) => (o += d));
      p.stderr.on('data', (d) => (e += d));
      p.on('error', reject);
      p.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, o, e });
      });
    });
    assert.equal(out.code, 0, `py_client failed: ${out.o}${out.e}`);
    assert.deepEqual(JSON.parse(out.o.trim().split('\n').pop()), { ok: true, echo: 'ok', broadcast: 'ok' });
  } finally {
    assert.equal((await echo.stop()).code, 0);
    assert.equal((await ann.stop()).code, 0);
  }
});
