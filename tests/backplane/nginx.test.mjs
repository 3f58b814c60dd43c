// SPDX-License-Identifier: MIT
// A real nginx (docs/deploy/nginx.conf, ports and paths templated into a
// temp copy) balancing real WebSocket clients over two tina4 instances that
// share a Redis backplane.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ROOT } from '../lib/server.mjs';
import { NGINX, clients, count, freePort, startInstance, startRedis, waitFor } from './helpers.mjs';

function templated(conf, { listen, upstreams, dir }) {
  const replace = (s, from, to) => {
    assert.ok(s.includes(from), `docs/deploy/nginx.conf no longer contains ${JSON.stringify(from)}`);
    return s.replace(from, to);
  };
  let c = conf;
  c = replace(c, 'listen 8080;', `listen 127.0.0.1:${listen};`);
  c = replace(c, 'server 127.0.0.1:7145;', `server 127.0.0.1:${upstreams[0]};`);
  c = replace(c, 'server 127.0.0.1:7146;', `server 127.0.0.1:${upstreams[1]};`);
  c = replace(c, 'worker_processes auto;', `worker_processes 1;\npid ${dir}/nginx.pid;\nerror_log ${dir}/error.log;`);
  c = replace(c, 'http {', `http {\n    client_body_temp_path ${dir}/body;\n    proxy_temp_path ${dir}/proxy;\n` +
    `    fastcgi_temp_path ${dir}/fastcgi;\n    uwsgi_temp_path ${dir}/uwsgi;\n    scgi_temp_path ${dir}/scgi;\n`);
  return c;
}

describe('nginx load balancer in front of two instances', { skip: !NGINX && 'nginx is not installed' }, () => {
  let redis, A, B, nginx, port, dir, nginxOut = '';
  before(async () => {
    redis = await startRedis();
    [A, B] = await Promise.all([startInstance(redis), startInstance(redis)]);
    dir = mkdtempSync(path.join(tmpdir(), 'tina4-nginx-'));
    chmodSync(dir, 0o777); // workers may run as another user when we are root
    port = await freePort();
    const conf = templated(readFileSync(path.join(ROOT, 'docs/deploy/nginx.conf'), 'utf8'),
      { listen: port, upstreams: [A.port, B.port], dir });
    writeFileSync(path.join(dir, 'nginx.conf'), conf);
    nginx = spawn(NGINX, ['-p', dir, '-e', path.join(dir, 'error.log'), '-c', path.join(dir, 'nginx.conf'), '-g', 'daemon off;'],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    nginx.stdout.on('data', (d) => { nginxOut += d; });
    nginx.stderr.on('data', (d) => { nginxOut += d; });
    nginx.exited = new Promise((r) => nginx.on('exit', r));
    await waitFor(async () => {
      if (nginx.exitCode !== null) throw new Error(`nginx exited: ${nginxOut}`);
      return (await fetch(`http://127.0.0.1:${port}/count/room/x`)).ok;
    }, { what: 'nginx' });
  });
  after(async () => {
    if (nginx && nginx.exitCode === null) {
      nginx.kill('SIGQUIT');
      await nginx.exited;
    }
    for (const s of [A, B]) if (s) await s.stop();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('clients through nginx land on both instances and all hear one broadcast', async () => {
    const url = `ws://127.0.0.1:${port}/room/lb`;
    const cs = await clients(url, url, url, url, url, url);
    // Spread across both instances (least_conn)...
    await waitFor(async () => {
      const [a, b] = [await count(A, '/room/lb'), await count(B, '/room/lb')];
      return a.local + b.local === 6 && a.local > 0 && b.local > 0 && a.cluster === 6 && b.cluster === 6;
    }, { what: 'clients on both instances, cluster count 6' });
    // ...and the cluster count seen through nginx is the whole cluster's.
    const viaLb = await (await fetch(`http://127.0.0.1:${port}/count/room/lb`)).json();
    assert.equal(viaLb.cluster, 6);
    cs[0].ws.send('hello everyone');
    for (const c of cs) assert.equal((await c.next()).data, 'hello everyone');
    // A push through nginx (HTTP) reaches the WebSockets on both instances.
    const res = await fetch(`http://127.0.0.1:${port}/push/room/lb`, { method: 'POST', body: 'pushed via nginx' });
    assert.equal(res.status, 200);
    for (const c of cs) assert.equal((await c.next()).data, 'pushed via nginx');
    // Binary through nginx and the backplane.
    cs[5].ws.send(Buffer.from([1, 2, 3, 250]), { binary: true });
    for (const c of cs) {
      const m = await c.next();
      assert.equal(m.binary, true);
      assert.deepEqual([...m.data], [1, 2, 3, 250]);
    }
    for (const c of cs) assert.ok(await c.nothing(50));
    await Promise.all(cs.map((c) => c.close()));
    await waitFor(async () => (await count(A, '/room/lb')).cluster === 0, { what: 'count 0' });
  });
});
