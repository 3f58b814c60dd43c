// SPDX-License-Identifier: MIT
// Processes and fresh connections for the workers and crash tests.
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';

// The live (not zombie) processes whose parent is pid, from /proc.
export function children(pid) {
  const out = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${d}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // after "pid (comm) "
    if (Number(f[1]) === pid && f[0] !== 'Z') out.push(Number(d));
  }
  return out.sort((a, b) => a - b);
}

export function alive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

// One GET on a new connection (no keep-alive agent): which worker accepted.
export function getFresh(url, { timeout = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, headers: { Connection: 'close' }, timeout }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}
