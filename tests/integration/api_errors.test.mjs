// SPDX-License-Identifier: MIT
// The header's error convention for the send calls: a NULL text is a bad
// argument (T4_EINVAL, nothing sent), while NULL data with length 0 through
// t4_ws_send_binary is an empty binary message. A project served by the
// tina4 command reports what each call returned.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { binary, freePort } from '../lib/server.mjs';

const routes = `#include <tina4.h>
static void probe(t4_ws *ws, t4_ws_event ev, t4_msg msg)
{
    if (ev != T4_WS_MESSAGE)
        return;
    if (strcmp(msg.data, "send-null") == 0)
        t4_ws_sendf(ws, "send=%d", t4_ws_send(ws, NULL));
    else if (strcmp(msg.data, "binary-null-0") == 0)
        t4_ws_sendf(ws, "binary=%d", t4_ws_send_binary(ws, NULL, 0));
    else if (strcmp(msg.data, "broadcast-null") == 0)
        t4_ws_sendf(ws, "broadcast=%d", t4_ws_broadcast(ws, NULL, false));
    else if (strcmp(msg.data, "push-null") == 0)
        t4_ws_sendf(ws, "push=%d", t4_push("/probe", NULL));
}
T4_WEBSOCKET("/probe", probe)
`;

test('t4_ws_send(ws, NULL) is T4_EINVAL and sends nothing; t4_ws_send_binary(ws, NULL, 0) sends an empty message', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 't4err-'));
  try {
    mkdirSync(path.join(dir, 'src/routes'), { recursive: true });
    writeFileSync(path.join(dir, 'src/routes/probe.c'), `#include <string.h>\n${routes}`);
    const port = await freePort();
    const env = { ...process.env, TINA4_HOST: '127.0.0.1', TINA4_PORT: String(port) };
    const proc = spawn(binary('tina4'), ['serve'], { cwd: dir, env });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d) => { out += d; });
    proc.stderr.on('data', (d) => { err += d; });
    const exited = new Promise((r) => proc.on('exit', (code) => r(code)));
    const deadline = Date.now() + 60000;
    while (!out.includes('Press Ctrl+C to stop')) {
      assert.ok(Date.now() < deadline && proc.exitCode === null, `server did not start: ${err}`);
      await Promise.race([new Promise((r) => proc.stdout.once('data', r)), exited]);
    }
    const ws = new WebSocket(`ws://127.0.0.1:${port}/probe`);
    const frames = [];
    let wake = null;
    ws.on('message', (d, isBinary) => { frames.push({ d: d.toString(), isBinary }); if (wake) wake(); });
    await new Promise((resolve, reject) => { ws.on('open', resolve); ws.on('error', reject); });
    const next = async () => {
      while (frames.length === 0) await new Promise((r) => { wake = r; });
      return frames.shift();
    };
    ws.send('send-null');
    // Before the fix an empty text frame arrived first, then "send=0".
    assert.deepEqual(await next(), { d: 'send=-1', isBinary: false });
    ws.send('binary-null-0');
    assert.deepEqual(await next(), { d: '', isBinary: true });
    assert.deepEqual(await next(), { d: 'binary=0', isBinary: false });
    // The same for a broadcast and a push of NULL text: no empty message.
    ws.send('broadcast-null');
    assert.deepEqual(await next(), { d: 'broadcast=-1', isBinary: false });
    ws.send('push-null');
    assert.deepEqual(await next(), { d: 'push=-1', isBinary: false });
    assert.match(err, /t4_ws_send: NULL connection or data/);
    ws.close();
    proc.kill('SIGTERM');
    assert.equal(await exited, 0, err);
    assert.doesNotMatch(err, /AddressSanitizer|runtime error/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
