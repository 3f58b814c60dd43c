// SPDX-License-Identifier: MIT
// Presence across workers: with TINA4_WORKERS=2 (no Redis), frond.js clients
// on different workers see each other in ws.presence(), get join and leave
// events from the other worker, t4_ws_presence / t4_path_presence list the
// whole machine, and the members of a SIGKILLed worker leave at once.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { frond, WebSocket } from '../frondjs/helpers.mjs';
import { startServer, waitFor } from './helpers.mjs';
import { children } from './workers_procs.mjs';

const SERVER = 'tests/servers/workers_server';
const linked = (srv) => (srv.stderr().match(/bus: worker \d+ \(slot \d+\) linked/g) || []).length;
const names = (list) => list.map((m) => m.info && m.info.name).sort().join();

// A frond.js client whose raw messages are queued; pid asked of its worker.
async function member(srv, room, name) {
  const ws = frond.ws(srv.wsUrl(`/pres/${room}?name=${name}`), { WebSocket, reconnect: false });
  const c = { ws, msgs: [], events: [] };
  ws.on('message', (m) => c.msgs.push(String(m)));
  for (const e of ['join', 'leave', 'update']) ws.on(e, (m) => c.events.push([e, m.info && m.info.name]));
  await new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); });
  c.ask = async (q, prefix) => {
    const from = c.msgs.length;
    ws.send(q);
    await waitFor(() => c.msgs.slice(from).some((m) => m.startsWith(prefix)), { what: `reply to ${q}` });
    return c.msgs.slice(from).find((m) => m.startsWith(prefix));
  };
  c.pid = Number((await c.ask('pid', 'pid:')).slice(4));
  return c;
}

// Opens members (names n0, n1, ...) until one is on each of the 2 workers.
async function onBothWorkers(srv, room) {
  const pids = children(srv.proc.pid);
  const all = [];
  for (let i = 0; i < 60 && !pids.every((p) => all.some((c) => c.pid === p)); i++) all.push(await member(srv, room, `n${i}`));
  assert.ok(pids.every((p) => all.some((c) => c.pid === p)), 'a member on each worker');
  return all;
}

test('2 workers: presence lists, join and leave span the workers; a SIGKILLed worker\'s members leave', async (t) => {
  const srv = await startServer(SERVER, { env: { TINA4_WORKERS: '2' } });
  t.after(() => srv.stop());
  await waitFor(() => children(srv.proc.pid).length === 2 && linked(srv) === 2, { what: '2 linked workers', timeout: 10000 });
  const cs = await onBothWorkers(srv, 'r');
  const want = cs.map((c) => `n${cs.indexOf(c)}`).sort().join();
  for (const c of cs) await waitFor(() => names(c.ws.presence()) === want, { what: `${c.pid} sees everyone`, timeout: 5000 });

  const a = cs.find((c) => c.pid === cs[0].pid);
  const b = cs.find((c) => c.pid !== a.pid);
  // The server's view, from each worker.
  for (const c of [a, b]) {
    assert.equal(names(JSON.parse(await c.ask('who', '['))), want, `t4_ws_presence on worker ${c.pid}`);
    assert.equal(names(JSON.parse(await c.ask('path-who', '['))), want, `t4_path_presence on worker ${c.pid}`);
  }
  // The last member to join was told nothing about itself by others, but the
  // first member heard every later join, including those on the other worker.
  const first = cs[0];
  assert.deepEqual(first.events.filter((e) => e[0] === 'join').map((e) => e[1]).sort(), cs.map((c, i) => `n${i}`).sort());

  // A member on the other worker leaves: a leave event here.
  const leaver = cs.filter((c) => c.pid !== first.pid).at(-1);
  leaver.ws.close();
  const left = `n${cs.indexOf(leaver)}`;
  await waitFor(() => first.events.some((e) => e[0] === 'leave' && e[1] === left), { what: 'leave across workers' });
  await waitFor(() => !names(first.ws.presence()).split(',').includes(left), { what: 'list without the leaver' });

  // SIGKILL the other worker: its members leave the list of this one.
  const victim = cs.find((c) => c.pid !== first.pid && c !== leaver) || null;
  const otherPid = cs.find((c) => c.pid !== first.pid).pid;
  process.kill(otherPid, 'SIGKILL');
  const survivors = cs.filter((c) => c.pid === first.pid).map((c) => `n${cs.indexOf(c)}`).sort().join();
  await waitFor(() => names(first.ws.presence()) === survivors, { what: 'the dead worker\'s members gone', timeout: 5000 });
  assert.equal(names(JSON.parse(await first.ask('path-who', '['))), survivors, 't4_path_presence without them');
  if (victim) assert.ok(first.events.some((e) => e[0] === 'leave' && e[1] === `n${cs.indexOf(victim)}`), 'a leave event for them');
  // The replacement worker links up, and members on it are seen again.
  await waitFor(() => children(srv.proc.pid).length === 2 && !children(srv.proc.pid).includes(otherPid), { what: 'the replacement', timeout: 10000 });
  await waitFor(() => linked(srv) >= 3, { what: 'the replacement linked', timeout: 10000 });
  const more = [];
  for (let i = 0; i < 40 && !more.some((c) => c.pid !== first.pid); i++) more.push(await member(srv, 'r', `m${i}`));
  const late = more.find((c) => c.pid !== first.pid);
  assert.ok(late, 'a member on the replacement worker');
  await waitFor(() => names(first.ws.presence()).includes(`m${more.indexOf(late)}`), { what: 'a member on the new worker seen' });
  await waitFor(() => names(late.ws.presence()).includes(`n${cs.indexOf(first)}`), { what: 'the new worker sees the old members' });
  for (const c of [...cs, ...more]) c.ws.close();
});
