// SPDX-License-Identifier: MIT
// History with workers: one sequence of positions per path across the
// workers (the path's owner worker positions every message), and a tina4.v1
// client that drops on one worker and resumes on another is replayed every
// message it missed, once, in order. The client speaks tina4.v1 itself
// (docs/RESUME_PROTOCOL.md) so the test sees every frame.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { positioned, v1 } from '../lib/v1client.mjs';
import { startServer, waitFor } from './helpers.mjs';
import { children } from './workers_procs.mjs';

const SERVER = 'tests/servers/workers_server';
const linked = (srv) => (srv.stderr().match(/bus: worker \d+ \(slot \d+\) linked/g) || []).length;

async function onWorker(srv, path, want, offer = []) {
  for (let i = 0; i < 80; i++) {
    const c = v1(srv.wsUrl(path), offer);
    await c.opened;
    await waitFor(() => c.welcome, { what: 'welcome' });
    const pid = await c.pid();
    if (want(pid)) return Object.assign(c, { worker: pid });
    await c.close();
  }
  throw new Error('no connection landed on the wanted worker');
}

test('2 workers: one sequence per path; a client that drops on worker A resumes on worker B with nothing lost', async (t) => {
  const srv = await startServer(SERVER, { env: { TINA4_WORKERS: '2' } });
  t.after(() => srv.stop());
  await waitFor(() => children(srv.proc.pid).length === 2 && linked(srv) === 2, { what: '2 linked workers', timeout: 10000 });
  const [p1, p2] = children(srv.proc.pid);
  const room = '/pres/h';
  const a = await onWorker(srv, room, (p) => p === p1); // will drop
  const liveA = await onWorker(srv, room, (p) => p === p1);
  const liveB = await onWorker(srv, room, (p) => p === p2);

  // Messages before the drop, from both workers.
  liveA.ws.send('seq:20:a');
  liveB.ws.send('seq:20:b');
  const pos = (c) => c.msgs.filter((m) => m.offset);
  await waitFor(() => pos(a).length === 40, { what: '40 messages before the drop' });
  const stopped = a.last;
  a.ws.terminate(); // a drop: no close handshake

  // While it is away: 300 more, from clients on both workers, interleaved.
  for (let i = 0; i < 3; i++) {
    liveA.ws.send(`seq:50:A${i}-`);
    liveB.ws.send(`seq:50:B${i}-`);
  }
  await waitFor(() => pos(liveA).length === 340 && pos(liveB).length === 340, { what: 'live clients got 340', timeout: 15000 });

  // One sequence: both live clients (on different workers) saw the same
  // positions with the same texts, one epoch, offsets without hole.
  assert.deepEqual(pos(liveA), pos(liveB), 'the same sequence on both workers');
  const epochs = new Set(pos(liveA).map((m) => m.epoch));
  assert.equal(epochs.size, 1, 'one epoch');
  const offs = pos(liveA).map((m) => m.offset);
  for (let i = 1; i < offs.length; i++) assert.equal(offs[i], offs[i - 1] + 1, `contiguous at ${i}`);

  // Resume on the OTHER worker.
  const token = `tina4.resume.${stopped.epoch}.${stopped.offset}`;
  const t0 = Date.now();
  const back = await onWorker(srv, room, (p) => p === p2, [token]);
  t.diagnostic(`resumed on worker ${back.worker} (dropped on ${p1}) in ${Date.now() - t0} ms`);
  assert.equal(back.welcome.join, 'resumed');
  assert.equal(back.welcome.count, 300);
  const missed = pos(liveA).filter((m) => m.offset > stopped.offset);
  assert.deepEqual(pos(back).slice(0, 300), missed, 'every missed message, once, in order');
  assert.equal(pos(back).length, 300, 'no duplicate');
  // And it continues live on the same sequence.
  liveA.ws.send('all:after');
  await waitFor(() => pos(back).length === 301, { what: 'live after the resume' });
  assert.deepEqual(pos(back)[300], { epoch: stopped.epoch, offset: missed.at(-1).offset + 1, text: 'after' });
  for (const c of [back, liveA, liveB]) await c.close();
});

// The owner slot of a path, as the workers compute it (FNV-1a 64 % workers).
function ownerSlot(path, workers) {
  let h = 0xcbf29ce484222325n;
  for (const b of Buffer.from(path)) h = ((h ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return Number(h % BigInt(workers));
}

test('2 workers: a SIGKILLed worker\'s replacement gets the histories (those it owns and those it copies) from the survivor', async (t) => {
  const srv = await startServer(SERVER, { env: { TINA4_WORKERS: '2' } });
  t.after(() => srv.stop());
  await waitFor(() => children(srv.proc.pid).length === 2 && linked(srv) === 2, { what: '2 linked workers', timeout: 10000 });
  // One room owned by each slot: whichever worker dies, one room loses its
  // owner and the other a copy.
  const rooms = [];
  for (let i = 0; rooms.length < 2 && i < 100; i++) {
    const p = `/pres/k${i}`;
    if (!rooms.some((r) => ownerSlot(r, 2) === ownerSlot(p, 2))) rooms.push(p);
  }
  const [p1, p2] = children(srv.proc.pid);
  const live = [];
  for (const room of rooms) live.push(await onWorker(srv, room, (p) => p === p1));
  const doomed = await onWorker(srv, rooms[0], (p) => p === p2);
  for (const c of live) c.ws.send('seq:50:x');
  for (const c of live) await waitFor(() => positioned(c).length === 50, { what: '50 in each room' });
  await waitFor(() => positioned(doomed).length === 50, { what: 'the worker to kill has them' });

  process.kill(p2, 'SIGKILL');
  await waitFor(() => children(srv.proc.pid).length === 2 && !children(srv.proc.pid).includes(p2), { what: 'a replacement', timeout: 10000 });
  await waitFor(() => linked(srv) >= 3, { what: 'the replacement linked', timeout: 10000 });
  const p3 = children(srv.proc.pid).find((p) => p !== p1);
  for (let i = 0; i < rooms.length; i++) {
    const { epoch } = positioned(live[i])[0];
    const back = await onWorker(srv, rooms[i], (p) => p === p3, [`tina4.resume.${epoch}.10`]);
    t.diagnostic(`${rooms[i]} (owner slot ${ownerSlot(rooms[i], 2)}): ${back.welcome.join}, ${back.welcome.count} replayed on the replacement`);
    assert.equal(back.welcome.join, 'resumed', `${rooms[i]} resumed on the replacement`);
    assert.equal(back.welcome.count, 40);
    await waitFor(() => positioned(back).length === 40, { what: 'the replay' });
    assert.deepEqual(positioned(back), positioned(live[i]).slice(10), 'offsets 11..50, once, in order');
    // The sequence goes on, in the same epoch, on both workers.
    live[i].ws.send('all:next');
    await waitFor(() => positioned(back).length === 41 && positioned(live[i]).length === 51, { what: 'the next message' });
    assert.deepEqual(positioned(back)[40], { epoch, offset: 51, text: 'next' });
    assert.deepEqual(positioned(live[i])[50], { epoch, offset: 51, text: 'next' });
    await back.close();
  }
  for (const c of live) await c.close();
});
