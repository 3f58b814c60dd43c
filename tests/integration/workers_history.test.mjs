// SPDX-License-Identifier: MIT
// History with workers: one sequence of positions per path across the
// workers (the path's owner worker positions every message), and a tina4.v1
// client that drops on one worker and resumes on another is replayed every
// message it missed, once, in order. The client speaks tina4.v1 itself
// (docs/RESUME_PROTOCOL.md) so the test sees every frame.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { v1 } from '../lib/v1client.mjs';
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
