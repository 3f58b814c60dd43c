// SPDX-License-Identifier: MIT
// Lifecycle: the counts an OPEN and a CLOSE handler see, and CLOSE firing
// exactly once per connection however the connection ends. Observed through
// the broadcasts remaining peers receive and api_server's counters.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { getJson, oneProcess, open, sleep, startServer, waitFor } from './helpers.mjs';

let srv;
before(async () => {
  srv = await startServer('tests/servers/api_server');
});
after(async () => {
  const { code } = await srv.stop();
  assert.equal(code, 0);
});

const stats = async () => (await getJson(srv.url('/stats'))).body;

async function join(path) {
  const c = await open(srv.wsUrl(path));
  const ev = await c.nextJson((j) => j.event === 'open');
  c.id = ev.id;
  c.openCount = ev.count;
  return c;
}

// Collects the close events an observer hears until `n` arrived, then makes
// sure no more arrive for a moment.
async function closeEvents(observer, n, quietMs = 250) {
  const evs = [];
  while (evs.length < n) evs.push(await observer.nextJson((j) => j.event === 'close'));
  await sleep(quietMs);
  const extra = observer.queue.filter((m) => !m.binary && m.data.includes('"event":"close"'));
  assert.equal(extra.length, 0, `extra close events: ${extra.map((m) => m.data)}`);
  return evs;
}

describe('counts', () => {
  test('an OPEN broadcast reaches the joiner, counted', async () => {
    const p = '/api/room/counts';
    const a = await join(p);
    assert.equal(a.openCount, 1);
    const b = await join(p);
    assert.equal(b.openCount, 2);
    assert.equal((await a.nextJson((j) => j.event === 'open')).count, 2);
    const c = await join(p);
    assert.equal(c.openCount, 3);
    // a CLOSE handler's count is the remaining peers
    await c.close();
    for (const x of [a, b]) {
      const ev = await x.nextJson((j) => j.event === 'close');
      assert.equal(ev.count, 2);
      assert.equal(ev.id, c.id);
    }
    await b.close();
    assert.equal((await a.nextJson((j) => j.event === 'close' && j.id === b.id)).count, 1);
    await a.close();
  });

  test('query string and trailing slash join the same group; other rooms are separate', async () => {
    const a = await join('/api/room/iso');
    const b = await join('/api/room/iso/?via=slash');
    assert.equal(b.openCount, 2);
    const c = await join('/api/room/iso?x=1&y=2');
    assert.equal(c.openCount, 3);
    const other = await join('/api/room/iso2');
    assert.equal(other.openCount, 1);
    b.send('ping-iso');
    for (const x of [a, b, c]) assert.equal((await x.next((m) => m.data === 'msg:ping-iso')).data, 'msg:ping-iso');
    assert.ok(await other.none(100, (m) => m.data === 'msg:ping-iso'));
    await Promise.all([a, b, c, other].map((x) => x.close()));
  });
});

describe('CLOSE fires exactly once per connection', () => {
  test('client close, server close, abrupt destroy, protocol error', oneProcess('CLOSE counters are per process'), async () => {
    const p = '/api/room/endings';
    const s0 = await stats();
    const obs = await join(p);
    const v = [];
    for (let i = 0; i < 4; i++) v.push(await join(p));
    assert.equal(v[3].openCount, 5);

    v[0].close(4100, 'client says bye'); // client-initiated handshake
    const e1 = await obs.nextJson((j) => j.event === 'close');
    v[1].send('close-me'); // server-initiated
    const e2 = await obs.nextJson((j) => j.event === 'close');
    v[2].ws._socket.destroy(); // no close frame at all
    const e3 = await obs.nextJson((j) => j.event === 'close');
    // an unmasked client frame is a protocol error (1002)
    v[3].ws._socket.write(Buffer.from([0x81, 0x02, 0x68, 0x69]));
    const e4 = await obs.nextJson((j) => j.event === 'close');

    assert.deepEqual(
      [e1, e2, e3, e4].map((e) => [e.id, e.code, e.count]),
      [
        [v[0].id, 4100, 4],
        [v[1].id, 4001, 3],
        [v[2].id, 1006, 2],
        [v[3].id, 1002, 1],
      ],
    );
    assert.equal((await v[1].closed).code, 4001);
    assert.equal((await v[3].closed).code, 1002, 'the client should see the 1002 close frame');
    await closeEvents(obs, 0);
    await obs.close(); // no status code: the CLOSE event sees 1005
    const s = await waitFor(async () => {
      const x = await stats();
      return x.closes - s0.closes === 5 && x;
    });
    assert.equal(s.opens - s0.opens, 5);
    assert.equal(s.double_closes, 0);
    assert.deepEqual(s.close_codes.slice(s0.close_codes.length), [4100, 4001, 1006, 1002, 1005]);
    await sleep(200);
    assert.equal((await stats()).closes - s0.closes, 5, 'a CLOSE fired late or twice');
  });

  test('a crowd leaving at once: one CLOSE each, counts are the peers left', oneProcess('counts reach other workers a bus hop later'), async () => {
    const p = '/api/room/crowd';
    const s0 = await stats();
    const obs = await join(p);
    const crowd = [];
    for (let i = 0; i < 30; i++) crowd.push(await join(p));
    // half go abruptly, half with a close handshake, all in the same tick
    crowd.forEach((c, i) => (i % 2 ? c.ws._socket.destroy() : c.ws.close(1000)));
    const evs = await closeEvents(obs, 30);
    assert.deepEqual(new Set(evs.map((e) => e.id)), new Set(crowd.map((c) => c.id)));
    // Connections that drop in the same loop turn all leave before their
    // CLOSE handlers run, so a count may skip; it is still the peers left:
    // never more than 30 - i after i + 1 departures, never rising, and the
    // observer alone at the end.
    const counts = evs.map((e) => e.count);
    counts.forEach((n, i) => {
      assert.ok(n <= 30 - i && n >= 1, `count ${n} at departure ${i + 1}: ${counts}`);
      if (i) assert.ok(n <= counts[i - 1], `count rose: ${counts}`);
    });
    assert.equal(counts[29], 1);
    await obs.close();
    const s = await waitFor(async () => {
      const x = await stats();
      return x.closes - s0.closes === 31 && x;
    });
    assert.equal(s.frees - s0.frees, 31);
    assert.equal(s.double_closes, 0);
  });

  test('closing during the handshake reply (server close then client close) still fires once', oneProcess('CLOSE counters are per process'), async () => {
    const p = '/api/room/race';
    const s0 = await stats();
    const obs = await join(p);
    const a = await join(p);
    a.send('close-me');
    a.ws.close(1000); // the client closes too, before seeing the server's close
    const ev = await obs.nextJson((j) => j.event === 'close');
    assert.equal(ev.id, a.id);
    await closeEvents(obs, 0);
    await a.closed;
    await obs.close();
    await waitFor(async () => (await stats()).closes - s0.closes === 2);
  });
});
