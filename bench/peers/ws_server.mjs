// SPDX-License-Identifier: MIT
// Peer server for the benchmarks: Node.js + the `ws` package.
//   node bench/peers/ws_server.mjs [PORT]      (or PORT=... in the environment)
// Endpoints, as tina4-bench-server:
//   /echo                 every message back unchanged (text stays text, binary stays binary)
//   /broadcast            every message to every connection on the same path,
//   /broadcast/<room>     the sender included
// Listens on 127.0.0.1 only.
import http from 'node:http';
import { WebSocketServer } from 'ws';

const port = Number(process.argv[2] || process.env.PORT || 7150);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error(`ws_server: bad port ${process.argv[2] || process.env.PORT}`);
  process.exit(2);
}

const server = http.createServer((req, res) => {
  res.writeHead(426, { 'Content-Type': 'text/plain' });
  res.end('WebSocket endpoints: /echo, /broadcast, /broadcast/<room>\n');
});
const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024, perMessageDeflate: false });
const rooms = new Map(); // path -> Set of sockets

function route(pathname) {
  if (pathname === '/echo') return 'echo';
  if (pathname === '/broadcast' || /^\/broadcast\/[^/]+$/.test(pathname)) return 'broadcast';
  return null;
}

server.on('upgrade', (req, socket, head) => {
  const pathname = new URL(req.url, 'http://127.0.0.1').pathname.replace(/(.)\/$/, '$1');
  const kind = route(pathname);
  if (!kind) {
    socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    if (kind === 'echo') {
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
      return;
    }
    let room = rooms.get(pathname);
    if (!room) rooms.set(pathname, (room = new Set()));
    room.add(ws);
    ws.on('message', (data, isBinary) => {
      for (const peer of room) {
        if (peer.readyState === 1) peer.send(data, { binary: isBinary });
      }
    });
    ws.on('close', () => {
      room.delete(ws);
      if (room.size === 0 && rooms.get(pathname) === room) rooms.delete(pathname);
    });
  });
});

server.listen({ port, host: '127.0.0.1', backlog: 4096 }, () => {
  console.log(`ws_server: node ${process.version}, ws, listening on 127.0.0.1:${port}`);
});

const stop = () => {
  for (const ws of wss.clients) ws.terminate();
  server.close(() => process.exit(0));
  setTimeout(() => process.exit(0), 1000).unref();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
