// SPDX-License-Identifier: MIT
// Limits and shutdown: oversize messages (1009), slow consumers (1013,
// bounded memory, others unaffected), and SIGTERM (1001 to everyone, exit 0).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { getJson, open, startServer, waitFor, withTimeout } from './helpers.mjs';

describe('TINA4_WS_MAX_MESSAGE', () => {
  test('exactly the maximum passes; one byte more is closed with 1009', async () => {
    const srv = await startServer('bench/tina4-bench-server', { env: { TINA4_WS_MAX_MESSAGE: '1024' } });
    try {
      const c = await open(srv.wsUrl('/echo'));
      const max = 'x'.repeat(1024);
      c.send(max);
      assert.equal((await c.next()).data, max);
      c.send(Buffer.alloc(1024, 7));
      assert.equal((await c.next()).data.length, 1024);
      c.send('y'.repeat(1025));
      const { code } = await c.closed;
      assert.equal(code, 1009);

      // fragments count together: 600 + 425 bytes is one byte too many
      const f = await open(srv.wsUrl('/echo'));
      f.ws.send('a'.repeat(600), { fin: false });
      f.ws.send('b'.repeat(424), { fin: true });
      assert.equal((await f.next()).data.length, 1024, 'a fragmented message of exactly the max');
      f.ws.send('a'.repeat(600), { fin: false });
      f.ws.send('b'.repeat(425), { fin: true });
      assert.equal((await f.closed).code, 1009);

      // the server is still fine
      const g = await open(srv.wsUrl('/echo'));
      g.send('still here');
      assert.equal((await g.next()).data, 'still here');
      await g.close(1000);
    } finally {
      assert.equal((await srv.stop()).code, 0);
    }
  });
});

describe('outbound size', () => {
  // The size limit holds both ways: the server never sends what it would refuse.
  test(
    't4_ws_send_text of more than TINA4_WS_MAX_MESSAGE returns T4_ETOOBIG',
    async () => {
      const srv = await startServer('tests/servers/api_server', { env: { TINA4_WS_MAX_MESSAGE: '1024' } });
      try {
        const c = await open(srv.wsUrl('/api/room/big'));
        c.send('big:1024');
        assert.equal((await c.next((m) => m.data.startsWith?.('big-result:'))).data, 'big-result:0');
        c.send('big:1025');
        assert.equal((await c.next((m) => m.data.startsWith?.('big-result:'))).data, 'big-result:-4');
        await c.close(1000);
      } finally {
        await srv.stop();
      }
    },
  );
});

describe('slow consumers', () => {
  test('a paused client does not stop delivery to others, and is closed with 1013 with bounded memory', async () => {
    const srv = await startServer('tests/servers/api_server', {
      env: {
        TINA4_WS_MAX_BACKPRESSURE: '256K',
        TINA4_WS_CLOSE_TIMEOUT: '10',
        // keep ASan's quarantine small so RSS reflects live memory
        ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0:exitcode=86:quarantine_size_mb=8:malloc_context_size=5',
      },
    });
    try {
      const count = async () => (await getJson(srv.url('/api/count?path=/api/flood'))).body.count;
      const slow = await open(srv.wsUrl('/api/flood'));
      const fast = await open(srv.wsUrl('/api/flood'));
      const peer = await open(srv.wsUrl('/api/flood'));
      assert.equal(await count(), 3);
      slow.ws._socket.pause(); // stops reading: the kernel buffers fill, then the server's queue
      const rss0 = (await getJson(srv.url('/stats'))).body.rss_kb;

      const msg = (i) => `${String(i).padStart(8, '0')}${'z'.repeat(64 * 1024 - 8)}`;
      let i = 0;
      let sent = 0;
      const started = Date.now();
      // One message at a time, each waited for by both readers: a paced flood.
      for (; i < 1500; i++) {
        fast.send(msg(i));
        sent += 64 * 1024;
        const [a, b] = await Promise.all([fast.next(2000), peer.next(2000)]);
        assert.equal(a.data.slice(0, 8), String(i).padStart(8, '0'));
        assert.equal(b.data.slice(0, 8), String(i).padStart(8, '0'));
        if (i % 20 === 19 && (await count()) === 2) break;
      }
      assert.equal(await count(), 2, `the slow client was never dropped after ${sent} bytes`);
      // keep going (32 MiB more): the others still get everything, promptly
      for (let k = 0; k < 512; k++, i++) {
        fast.send(msg(i));
        sent += 64 * 1024;
        await Promise.all([fast.next(2000), peer.next(2000)]);
      }
      assert.ok(Date.now() - started < 60000);
      const rss1 = (await getJson(srv.url('/stats'))).body.rss_kb;
      // The unbounded alternative would hold everything sent to the slow
      // client minus what the kernel buffered.
      assert.ok(
        rss1 - rss0 < 24 * 1024,
        `server RSS grew ${(rss1 - rss0) / 1024} MiB while ${sent / 1048576} MiB went to a paused client`,
      );
      // resumed, the slow client reads its backlog and then the 1013
      slow.ws._socket.resume();
      const { code } = await withTimeout(slow.closed, 8000, 'slow client close');
      assert.equal(code, 1013);
      assert.ok(slow.queue.length > 0 && slow.queue.length < i, `slow client got ${slow.queue.length} of ${i}`);
      // what it did get is an in-order prefix
      slow.queue.forEach((m, k) => assert.equal(m.data.slice(0, 8), String(k).padStart(8, '0')));
      await fast.close(1000);
      await peer.close(1000);
    } finally {
      assert.equal((await srv.stop()).code, 0);
    }
  });
});

describe('keep-alive pings and idle timeout', () => {
  test('pings keep a live client open; a silent one is closed with 1001', async () => {
    const srv = await startServer('bench/tina4-bench-server', {
      env: { TINA4_WS_PING_INTERVAL: '0.2', TINA4_WS_IDLE_TIMEOUT: '0.7', TINA4_WS_CLOSE_TIMEOUT: '1' },
    });
    try {
      const live = await open(srv.wsUrl('/echo'));
      let pings = 0;
      live.ws.on('ping', () => pings++); // ws answers with a pong by itself
      const silent = await open(srv.wsUrl('/echo'));
      silent.ws._socket.pause(); // reads nothing, so answers no ping
      // well past the idle timeout before it may read again
      await waitFor(() => pings >= 6, { timeout: 3000, what: '6 pings' });
      silent.ws._socket.resume();
      const { code } = await withTimeout(silent.closed, 3000, 'idle close');
      assert.equal(code, 1001);
      assert.equal(live.closeInfo, null, 'a client answering pings was closed');
      live.send('still open');
      assert.equal((await live.next()).data, 'still open');
      await live.close(1000);
    } finally {
      assert.equal((await srv.stop()).code, 0);
    }
  });
});

describe('SIGTERM', () => {
  test('every connected client gets 1001 and the process exits 0 promptly', async () => {
    const srv = await startServer('examples/announcements', {
      env: { TINA4_WS_CLOSE_TIMEOUT: '1', TINA4_SHUTDOWN_TIMEOUT: '3' },
    });
    const cs = [];
    for (let i = 0; i < 8; i++) cs.push(await open(srv.wsUrl('/ws/announcements')));
    // one client that never reads (it will not answer the close handshake)
    const stuck = await open(srv.wsUrl('/ws/announcements'));
    await waitFor(() => cs[0].queue.length >= 9, { what: 'all joins' });
    stuck.ws._socket.pause();
    const t0 = Date.now();
    const stopped = srv.stop('SIGTERM');
    const codes = await Promise.all(cs.map((c) => withTimeout(c.closed, 4000, 'close on shutdown')));
    for (const c of codes) assert.equal(c.code, 1001);
    const { code, signal } = await stopped;
    const took = Date.now() - t0;
    assert.equal(signal, null);
    assert.equal(code, 0);
    assert.ok(took < 4000, `shutdown took ${took} ms`);
    stuck.ws._socket.resume();
    const s = await withTimeout(stuck.closed, 2000, 'stuck client close');
    assert.ok([1001, 1006].includes(s.code), `stuck client closed with ${s.code}`);
  });

  test('CLOSE handlers that broadcast during shutdown: all fire, nothing leaks, exit 0', async () => {
    const srv = await startServer('tests/servers/api_server', { env: { TINA4_WS_CLOSE_TIMEOUT: '1' } });
    const cs = [];
    for (let i = 0; i < 6; i++) {
      const c = await open(srv.wsUrl(`/api/room/shut${i % 2}`));
      await c.nextJson((j) => j.event === 'open');
      c.send('replace-data'); // per-connection data that must be freed once
      await c.next((m) => m.data === 'replaced');
      cs.push(c);
    }
    const stopped = srv.stop('SIGTERM'); // throws on a sanitizer (leak) report
    const codes = await Promise.all(cs.map((c) => withTimeout(c.closed, 4000, 'close on shutdown')));
    assert.deepEqual(
      codes.map((c) => c.code),
      Array(6).fill(1001),
    );
    assert.equal((await stopped).code, 0);
    assert.doesNotMatch(srv.stderr(), /ERROR|runtime error/);
  });

  test('idle server exits 0 at once', async () => {
    const srv = await startServer('examples/echo');
    const t0 = Date.now();
    const { code } = await srv.stop('SIGTERM');
    assert.equal(code, 0);
    assert.ok(Date.now() - t0 < 1500);
  });
});
