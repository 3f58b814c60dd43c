// SPDX-License-Identifier: MIT
// Idle memory per TLS connection: N TLS connections complete their
// handshake (TLS 1.3, one request each so the kind has run) and stay idle;
// the server's RSS is read from /proc before and after.
//   node bench/tls/idle.mjs PORT SERVER_PID N CA_FILE
import fs from 'node:fs';
import tls from 'node:tls';

const [port, pid, n, caFile] = [Number(process.argv[2]), process.argv[3], Number(process.argv[4] || 2000), process.argv[5]];
const ca = fs.readFileSync(caFile);
const rss = () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]);
const before = rss();
const socks = [];
for (let i = 0; i < n; i += 100) {
  await Promise.all(Array.from({ length: Math.min(100, n - i) }, () => new Promise((res, rej) => {
    const s = tls.connect({ port, host: '127.0.0.1', servername: 'localhost', ca }, () => {
      s.write('GET /nothing HTTP/1.1\r\nHost: localhost\r\n\r\n');
      s.once('data', () => res());
    });
    s.on('error', rej);
    socks.push(s);
  })));
}
await new Promise((r) => setTimeout(r, 3000)); // one malloc_trim tick and then some
const after = rss();
console.log(JSON.stringify({ connections: n, rss_before_kb: before, rss_after_kb: after,
  bytes_per_connection: Math.round(((after - before) * 1024) / n) }));
for (const s of socks) s.destroy();
process.exit(0);
