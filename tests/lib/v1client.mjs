// SPDX-License-Identifier: MIT
// A minimal tina4.v1 client (docs/RESUME_PROTOCOL.md) for the tests: it
// records the welcome and every positioned message, so a test sees every
// frame. `text` messages come from the "pid" style replies (".").
import WebSocket from 'ws';
import { waitFor } from '../integration/helpers.mjs';

// A tina4.v1 connection: welcome, positioned messages, replies.
export function v1(url, offer = []) {
  const ws = new WebSocket(url, ['tina4.v1', ...offer]);
  const c = { ws, welcome: null, msgs: [], raw: [], last: null };
  ws.on('message', (d, bin) => {
    const s = String(d);
    c.raw.push(s);
    if (bin) return;
    if (s[0] === 'c') {
      const m = JSON.parse(s.slice(1));
      if (m.type === 'welcome') c.welcome = m;
    } else if (s[0] === 'p') {
      const nl = s.indexOf('\n');
      const [epoch, off] = s.slice(1, nl).split(':');
      c.msgs.push({ epoch, offset: Number(off), text: s.slice(nl + 1) });
      c.last = { epoch, offset: Number(off) };
    } else if (s[0] === 's') {
      const [epoch, off] = s.slice(1).split(':');
      c.last = { epoch, offset: Number(off) };
    } else if (s[0] === '.') {
      c.msgs.push({ text: s.slice(1) });
    }
  });
  c.opened = new Promise((resolve, reject) => { ws.once('open', resolve); ws.once('error', reject); });
  c.pid = async () => {
    const from = c.msgs.length;
    ws.send('pid');
    await waitFor(() => c.msgs.slice(from).some((m) => m.text.startsWith('pid:')), { what: 'pid' });
    return Number(c.msgs.slice(from).find((m) => m.text.startsWith('pid:')).text.slice(4));
  };
  c.close = () => new Promise((r) => { ws.once('close', r); ws.close(); });
  return c;
}

// Positioned messages only.
export const positioned = (c) => c.msgs.filter((m) => m.offset);
