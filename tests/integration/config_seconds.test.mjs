// Review: config.c parse_seconds() accepts up to 365 days but stores
// milliseconds in an unsigned (32-bit): (unsigned)ceil(s * 1000) wraps for
// anything above ~49.7 days. TINA4_WS_IDLE_TIMEOUT=4294968 (49.7 days, a
// value the parser accepts) becomes 704 ms and closes an idle client at once.
// Expected: either the value is refused at start-up or the idle timeout is
// about 49.7 days; a client silent for 2 s must not be closed for idleness.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { client, startServer } from './helpers.mjs';

test('a long TINA4_WS_IDLE_TIMEOUT does not wrap to under a second', async (t) => {
  let srv;
  try {
    srv = await startServer('bench/tina4-bench-server', {
      env: { TINA4_WS_IDLE_TIMEOUT: '4294968', TINA4_WS_PING_INTERVAL: '100000' },
    });
  } catch {
    return; // refusing the value at start-up is acceptable too
  }
  t.after(() => srv.stop());
  const c = client(srv.wsUrl('/echo'));
  await c.opened;
  const r = await Promise.race([c.closed, new Promise((res) => setTimeout(() => res('open'), 2000))]);
  c.ws.terminate();
  assert.equal(r, 'open', `closed after less than 2 s: ${JSON.stringify(r)}`);
});
