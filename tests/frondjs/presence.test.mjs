// SPDX-License-Identifier: MIT
// Presence: t4_ws_set_presence / t4_ws_presence / t4_path_presence, the
// join/update/leave notifications of a route with .presence_events, and
// frond.js's ws.presence() with its join, update, leave and presence events.
// Server: tests/servers/api_server, route /api/presence/{room}.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket, record, sleep, startServer } from './helpers.mjs';

async function until(fn, what, timeout = 8000) {
  const deadline = Date.now() + timeout;
  while (!fn()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const names = (list) => list.map((m) => m.info && m.info.name).sort();

test('who is on a path: the list, join, update and leave, in frond.js and from the server', async (t) => {
  const srv = await startServer('tests/servers/api_server');
  t.after(() => srv.stop());
  const ann = record(srv.wsUrl('/api/presence/r?name=ann'));
  const events = [];
  for (const e of ['join', 'update', 'leave']) ann.ws.on(e, (m) => events.push([e, m.info && m.info.name]));
  await until(() => names(ann.ws.presence()).join() === 'ann', 'ann sees herself');

  // A raw client without presence is not listed and gets no notifications.
  const raw = await new Promise((resolve) => {
    const w = new WebSocket(srv.wsUrl('/api/presence/r'));
    const msgs = [];
    w.on('message', (d) => msgs.push(String(d)));
    w.on('open', () => resolve({ w, msgs }));
  });

  const bob = record(srv.wsUrl('/api/presence/r?name=bob'));
  await until(() => names(bob.ws.presence()).join() === 'ann,bob', 'bob gets the list on joining');
  await until(() => names(ann.ws.presence()).join() === 'ann,bob', 'ann hears bob join');
  const annId = ann.ws.id;
  assert.ok(bob.ws.presence().some((m) => m.id === annId), 'ids are the server connection ids');

  bob.ws.send('rename:robert');
  await until(() => names(ann.ws.presence()).join() === 'ann,robert', 'the update');

  // The server's own view.
  ann.ws.send('who');
  const who = JSON.parse(await ann.wait('message', (d) => String(d).startsWith('[')).then((a) => String(a[0])));
  assert.deepEqual(names(who), ['ann', 'robert']);
  raw.w.send('path-who');
  await until(() => raw.msgs.some((m) => m.startsWith('[')), 'path presence');
  assert.deepEqual(names(JSON.parse(raw.msgs.find((m) => m.startsWith('[')))), ['ann', 'robert']);

  bob.ws.close();
  await until(() => names(ann.ws.presence()).join() === 'ann', 'bob leaves');
  assert.deepEqual(events, [['join', 'ann'], ['join', 'bob'], ['update', 'robert'], ['leave', 'robert']]);
  assert.ok(raw.msgs.every((m) => !m.startsWith('c')), 'raw clients see no presence traffic');
  raw.w.send('hello');
  await ann.messagesAtLeast(2); // "who" reply + broadcast
  assert.equal(ann.messages().at(-1), 'hello', 'messages are unchanged');
  ann.ws.close();
  raw.w.close();
});
