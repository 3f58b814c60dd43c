// SPDX-License-Identifier: MIT
// Every row of the chapter's "Connection Methods Summary", plus the C API's
// extras (sendf, binary, handles, user data, send after close), against
// tests/servers/api_server.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { client, getJson, oneProcess, open, startServer, waitFor } from './helpers.mjs';

let srv;
before(async () => {
  srv = await startServer('tests/servers/api_server');
});
after(async () => {
  const { code } = await srv.stop();
  assert.equal(code, 0);
});

const stats = async () => (await getJson(srv.url('/stats'))).body;
let roomSeq = 0;
const room = () => `/api/room/m${++roomSeq}`;

// Opens a client on a tracked room and consumes its own "open" event.
async function join(path) {
  const c = await open(srv.wsUrl(path));
  const ev = await c.nextJson((j) => j.event === 'open');
  c.id = ev.id;
  return c;
}

describe('connection methods summary', () => {
  test('send: to this connection only', async () => {
    const p = room();
    const a = await join(p);
    const b = await join(p);
    await a.nextJson((j) => j.event === 'open' && j.id === b.id);
    a.send('sendf');
    assert.equal((await a.next()).data, 'fmt-42-1.50-00007');
    assert.ok(await b.none(150), 'send reached another connection');
    await a.close();
    await b.close();
  });

  test('send_json: one JSON text message', async () => {
    const c = await open(srv.wsUrl('/api/params/1'));
    const m = await c.next();
    assert.equal(m.binary, false);
    assert.equal(typeof JSON.parse(m.data), 'object');
    await c.close();
  });

  test('broadcast: every connection on the path, sender included, no other path', async () => {
    const p = room();
    const a = await join(p);
    const b = await join(p);
    const other = await join(room());
    a.send('hello all');
    assert.equal((await a.next((m) => m.data.startsWith?.('msg:'))).data, 'msg:hello all');
    assert.equal((await b.next((m) => m.data.startsWith?.('msg:'))).data, 'msg:hello all');
    assert.ok(await other.none(150, (m) => String(m.data).startsWith('msg:')), 'broadcast leaked to another path');
    await Promise.all([a.close(), b.close(), other.close()]);
  });

  test('broadcast exclude_self: everyone but the sender (binary)', async () => {
    const p = room();
    const a = await join(p);
    const b = await join(p);
    const c = await join(p);
    a.send(Buffer.from([9, 8, 7]));
    for (const x of [b, c]) {
      const m = await x.next((y) => y.binary);
      assert.deepEqual(m.data, Buffer.from([9, 8, 7]));
    }
    assert.ok(await a.none(150, (m) => m.binary), 'the sender got its own exclude_self broadcast');
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  test('binary send and broadcast', async () => {
    const p = room();
    const a = await join(p);
    const b = await join(p);
    a.send('bin');
    const m = await a.next((x) => x.binary);
    assert.deepEqual(m.data, Buffer.from([0, 1, 0xfe, 0xff]));
    assert.ok(await b.none(100, (x) => x.binary));
    a.send('bin-all');
    for (const x of [a, b]) assert.deepEqual((await x.next((y) => y.binary)).data, Buffer.from([0, 1, 0xfe, 0xff]));
    await Promise.all([a.close(), b.close()]);
  });

  test('close: server-side close with code and reason; later sends are T4_ECLOSED', oneProcess('the counters it reads over HTTP are per process'), async () => {
    const c = await join(room());
    c.send('close-me');
    const { code, reason } = await c.closed;
    assert.equal(code, 4001);
    assert.equal(reason, 'asked');
    assert.equal(c.queue.filter((m) => m.data === 'after close').length, 0, 'a send after close went out');
    const s = await waitFor(async () => {
      const x = await stats();
      return x.send_after_close !== 1 && x;
    });
    assert.equal(s.send_after_close, -3, 'send after t4_ws_close should return T4_ECLOSED');
    assert.equal(s.send_in_close, -3, 'send in the CLOSE handler should return T4_ECLOSED');
    assert.equal(s.close_in_close, -3, 'close in the CLOSE handler should return T4_ECLOSED');
  });

  test('id: unique, at least 16 hex chars', async () => {
    const ids = new Set();
    const cs = [];
    for (let i = 0; i < 20; i++) {
      const c = await open(srv.wsUrl('/api/params/1'));
      const { id } = await c.nextJson();
      assert.match(id, /^[0-9a-f]{16,}$/);
      ids.add(id);
      cs.push(c);
    }
    assert.equal(ids.size, 20);
    await Promise.all(cs.map((c) => c.close()));
  });

  test('params: path params, decoded query params, path wins a clash', async () => {
    const c = await open(srv.wsUrl('/api/params/abc%20d?q=hello%20w%C3%B6rld&id=999&plus=a+b&empty='));
    const j = await c.nextJson();
    assert.equal(j.path, '/api/params/abc d');
    assert.equal(j.param_id, 'abc d', 'the path parameter must win over ?id=');
    assert.equal(j.param_q, 'hello wörld');
    assert.equal(j.params.id, 'abc d');
    assert.equal(j.params.q, 'hello wörld');
    assert.equal(j.params.plus, 'a b');
    assert.equal(j.params.empty, '');
    assert.equal(j.remote, '127.0.0.1', 't4_ws_remote_addr');
    await c.close();
  });

  test('headers and cookies of the upgrade request', async () => {
    const c = await open(srv.wsUrl('/api/params/7'), {
      headers: { 'X-Test': 'yes please', Cookie: 'a=1; session=tok123; b=2' },
    });
    const j = await c.nextJson();
    assert.equal(j.header, 'yes please');
    assert.equal(j.cookie, 'tok123');
    await c.close();
    const d = await open(srv.wsUrl('/api/params/7'));
    const k = await d.nextJson();
    assert.equal(k.header, null);
    assert.equal(k.cookie, null);
    await d.close();
  });

  test('connection_count: per concrete path', async () => {
    const a = await open(srv.wsUrl('/api/params/cc'));
    assert.equal((await a.nextJson()).count, 1);
    const b = await open(srv.wsUrl('/api/params/cc'));
    assert.equal((await b.nextJson()).count, 2);
    const other = await open(srv.wsUrl('/api/params/dd'));
    assert.equal((await other.nextJson()).count, 1);
    assert.equal((await getJson(srv.url('/api/count?path=/api/params/cc'))).body.count, 2);
    await a.close();
    await waitFor(async () => (await getJson(srv.url('/api/count?path=/api/params/cc'))).body.count === 1);
    await Promise.all([b.close(), other.close()]);
    await waitFor(async () => (await getJson(srv.url('/api/count?path=/api/params/cc'))).body.count === 0);
  });
});

describe('handles, user data', () => {
  test('t4_ws_lookup finds a live connection later and NULL for a gone one', oneProcess('a handle resolves in its own worker only'), async () => {
    const p = room();
    const live = await join(p);
    const gone = await join(p);
    live.send('later');
    gone.send('later');
    await live.next((m) => m.data === 'later:registered');
    await gone.next((m) => m.data === 'later:registered');
    await gone.close();
    const r = await getJson(srv.url('/api/later/fire'), { method: 'POST' });
    assert.deepEqual(r.body, { found: 1, gone: 1 });
    await live.next((m) => m.data === 'later:ok');
    await live.close();
  });

  test('user data is freed exactly once per set_data, replacements included', oneProcess('free counters are per process'), async () => {
    const before0 = await stats();
    const p = room();
    const cs = [];
    for (let i = 0; i < 5; i++) cs.push(await join(p));
    cs[0].send('replace-data');
    cs[0].send('replace-data');
    await cs[0].next((m) => m.data === 'replaced');
    await cs[0].next((m) => m.data === 'replaced');
    // one ends abruptly, one is closed by the server, the rest close normally
    cs[1].ws._socket.destroy();
    cs[2].send('close-me');
    await cs[2].closed;
    await Promise.all([cs[0].close(), cs[3].close(), cs[4].close()]);
    const s = await waitFor(async () => {
      const x = await stats();
      return x.closes - before0.closes === 5 && x;
    });
    assert.equal(s.allocs - before0.allocs, 7);
    assert.equal(s.frees - before0.frees, 7, 'every allocation freed exactly once');
    assert.equal(s.double_closes, 0);
    assert.equal(s.lookup_in_close_null - before0.lookup_in_close_null, 5, 'lookup must be NULL in CLOSE');
  });
});

describe('failed upgrades', () => {
  test('an unknown WebSocket path is refused with 404', async () => {
    const c = client(srv.wsUrl('/api/nope'));
    await assert.rejects(c.opened, /HTTP 404/);
  });
});

describe('message sizes', () => {
  test('lengths around the 7/16/64-bit frame-length boundaries round-trip intact', async () => {
    const c = await open(srv.wsUrl('/api/flood'));
    for (const n of [0, 1, 125, 126, 127, 65535, 65536, 65537, 300001]) {
      const text = 'é'.repeat(Math.floor(n / 2)) + 'a'.repeat(n % 2); // n bytes of UTF-8
      c.send(text);
      const m = await c.next();
      assert.equal(m.binary, false);
      assert.equal(m.data, text, `text of ${n} bytes`);
      const bin = Buffer.alloc(n, n % 251);
      c.send(bin);
      const b = await c.next();
      assert.equal(b.binary, true);
      assert.ok(b.data.equals(bin), `binary of ${n} bytes`);
    }
    await c.close(1000);
  });

  test('many small messages in one TCP write are all delivered, in order', async () => {
    const c = await open(srv.wsUrl('/api/flood'));
    c.ws._socket.cork();
    for (let i = 0; i < 500; i++) c.send(`m${i}`);
    c.ws._socket.uncork();
    for (let i = 0; i < 500; i++) assert.equal((await c.next()).data, `m${i}`);
    await c.close(1000);
  });
});
