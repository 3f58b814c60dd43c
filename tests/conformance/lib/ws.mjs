// SPDX-License-Identifier: MIT
// A raw RFC 6455 client for the conformance suite: a frame encoder that can
// produce any frame (bad opcodes, RSV bits, unmasked, forged lengths), a
// decoder for server frames, and a TCP client that exposes exactly what the
// server sent (HTTP head, frames, FIN/RST) with timeouts on every wait.
import tls from 'node:tls';
import { testCerts } from '../../lib/tls_certs.mjs';
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';

export const OP = { CONT: 0, TEXT: 1, BINARY: 2, CLOSE: 8, PING: 9, PONG: 10 };
export const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const tick = () => new Promise((r) => setImmediate(r));

export function acceptFor(key) {
  return createHash('sha1').update(key + GUID).digest('base64');
}

export function newKey() {
  return randomBytes(16).toString('base64');
}

const toBuf = (p) => (p === undefined ? Buffer.alloc(0) : Buffer.isBuffer(p) ? p : Buffer.from(p));

/**
 * Encodes one frame.
 *   opcode, payload (Buffer|string), fin (default true), rsv (0..7),
 *   mask (default true: a random key; false: unmasked; Buffer: that key),
 *   len7 / extLen (BigInt|number): forge the length fields; by default the
 *   minimal encoding of payload.length is used.
 */
export function encodeFrame({ opcode = OP.TEXT, payload, fin = true, rsv = 0, mask = true, len7, extLen } = {}) {
  const data = toBuf(payload);
  const n = data.length;
  let l7 = len7 ?? (n <= 125 ? n : n <= 0xffff ? 126 : 127);
  const parts = [];
  const h = Buffer.alloc(2);
  h[0] = (fin ? 0x80 : 0) | ((rsv & 7) << 4) | (opcode & 0x0f);
  const key = mask === false ? null : Buffer.isBuffer(mask) ? mask : randomBytes(4);
  h[1] = (key ? 0x80 : 0) | l7;
  parts.push(h);
  if (l7 === 126) {
    const e = Buffer.alloc(2);
    e.writeUInt16BE(Number(extLen ?? n));
    parts.push(e);
  } else if (l7 === 127) {
    const e = Buffer.alloc(8);
    e.writeBigUInt64BE(BigInt(extLen ?? n));
    parts.push(e);
  }
  if (key) {
    parts.push(key);
    const m = Buffer.alloc(n);
    for (let i = 0; i < n; i++) m[i] = data[i] ^ key[i & 3];
    parts.push(m);
  } else {
    parts.push(data);
  }
  return Buffer.concat(parts);
}

export const textFrame = (payload, o = {}) => encodeFrame({ ...o, opcode: OP.TEXT, payload });
export const binFrame = (payload, o = {}) => encodeFrame({ ...o, opcode: OP.BINARY, payload });

export function closePayload(code, reason = '') {
  if (code === undefined) return Buffer.alloc(0);
  const r = toBuf(reason);
  const b = Buffer.alloc(2 + r.length);
  b.writeUInt16BE(code);
  r.copy(b, 2);
  return b;
}
export const closeFrame = (code, reason, o = {}) =>
  encodeFrame({ ...o, opcode: OP.CLOSE, payload: closePayload(code, reason) });

/** Decodes one frame from buf; returns { frame, used } or null if incomplete. */
export function decodeFrame(buf) {
  if (buf.length < 2) return null;
  const b0 = buf[0];
  const b1 = buf[1];
  let len = b1 & 0x7f;
  let off = 2;
  if (len === 126) {
    if (buf.length < 4) return null;
    len = buf.readUInt16BE(2);
    off = 4;
  } else if (len === 127) {
    if (buf.length < 10) return null;
    const big = buf.readBigUInt64BE(2);
    if (big > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`server frame length ${big} is absurd`);
    len = Number(big);
    off = 10;
  }
  const masked = (b1 & 0x80) !== 0;
  let key = null;
  if (masked) {
    if (buf.length < off + 4) return null;
    key = buf.subarray(off, off + 4);
    off += 4;
  }
  if (buf.length < off + len) return null;
  let payload = Buffer.from(buf.subarray(off, off + len));
  if (key) for (let i = 0; i < len; i++) payload[i] ^= key[i & 3];
  const frame = {
    fin: (b0 & 0x80) !== 0,
    rsv: (b0 >> 4) & 7,
    opcode: b0 & 0x0f,
    masked,
    len,
    lenField: b1 & 0x7f,
    payload,
  };
  if (frame.opcode === OP.CLOSE) {
    frame.code = len >= 2 ? payload.readUInt16BE(0) : undefined;
    frame.reason = len > 2 ? payload.subarray(2) : Buffer.alloc(0);
  }
  return { frame, used: off + len };
}

export function handshakeRequest(path = '/echo', { key = newKey(), headers = {}, method = 'GET', version = '13' } = {}) {
  const h = {
    Host: '127.0.0.1',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': key,
    'Sec-WebSocket-Version': version,
    ...headers,
  };
  let s = `${method} ${path} HTTP/1.1\r\n`;
  for (const [k, v] of Object.entries(h)) if (v !== null && v !== undefined) s += `${k}: ${v}\r\n`;
  return { text: s + '\r\n', key };
}

function parseHead(text) {
  const lines = text.split('\r\n');
  const m = /^HTTP\/1\.1 (\d{3})/.exec(lines[0]);
  const headers = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  return { statusLine: lines[0], status: m ? Number(m[1]) : 0, headers };
}

/**
 * A raw TCP connection. Input is parsed as an HTTP head first, then as
 * server WebSocket frames. Every wait has a timeout and rejects with a
 * message saying what was (not) seen.
 */
export class RawClient {
  static all = new Set();

  constructor(port) {
    this.port = port;
    this.buf = Buffer.alloc(0);
    this.head = null;
    this.body = Buffer.alloc(0);
    this.frames = [];
    this.ended = false; // FIN (or RST) seen from the server
    this.closed = false;
    this.error = null;
    this.protocolError = null;
    this.waiters = new Set();
  }

  static async connect(port) {
    const c = new RawClient(port);
    await new Promise((resolve, reject) => {
      // Over TLS the TCP socket is kept apart so reset() can still send RST.
      const raw = process.env.T4_CONFORMANCE_TLS === '1' ? net.connect({ port, host: '127.0.0.1' }) : null;
      const s = raw
        ? tls.connect({ socket: raw, servername: 'localhost', ca: testCerts().caPem })
        : net.connect({ port, host: '127.0.0.1' });
      c.raw = raw ?? s;
      RawClient.all.add(c);
      c.sock = s;
      s.setNoDelay(true);
      s.once(s instanceof tls.TLSSocket ? 'secureConnect' : 'connect', resolve);
      s.once('error', reject);
    });
    c.sock.removeAllListeners('error');
    c.sock.on('data', (d) => c.onData(d));
    c.sock.on('end', () => {
      c.ended = true;
      c.endedAt = Date.now();
      c.wake();
    });
    c.sock.on('error', (e) => {
      c.error = e;
      c.wake();
    });
    c.sock.on('close', () => {
      c.closed = true;
      c.ended = true;
      RawClient.all.delete(c);
      c.endedAt ??= Date.now();
      c.wake();
    });
    return c;
  }

  /** Destroys every client still open (call in after()). */
  static destroyAll() {
    for (const c of RawClient.all) c.sock.destroy();
    RawClient.all.clear();
  }

  /** Connects and completes the opening handshake (asserting 101). */
  static async open(port, path = '/echo', opts = {}) {
    const c = await RawClient.connect(port);
    const { text, key } = handshakeRequest(path, opts);
    c.key = key;
    c.write(text);
    const head = await c.waitHead(opts.timeout ?? 3000);
    if (head.status !== 101) throw new Error(`handshake on ${path}: ${head.statusLine}`);
    return c;
  }

  wake() {
    for (const w of [...this.waiters]) w();
  }

  onData(d) {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    if (!this.head) {
      const i = this.buf.indexOf('\r\n\r\n');
      if (i < 0) return this.wake();
      this.head = parseHead(this.buf.subarray(0, i).toString('latin1'));
      this.buf = this.buf.subarray(i + 4);
    }
    if (this.head.status !== 101) {
      this.body = Buffer.concat([this.body, this.buf]);
      this.buf = Buffer.alloc(0);
      return this.wake();
    }
    try {
      for (;;) {
        const r = decodeFrame(this.buf);
        if (!r) break;
        this.buf = this.buf.subarray(r.used);
        r.frame.at = Date.now();
        this.frames.push(r.frame);
      }
    } catch (e) {
      this.protocolError = e;
    }
    this.wake();
  }

  /** Waits until pred() returns a truthy value (re-checked on every event). */
  waitFor(pred, timeoutMs, what) {
    return new Promise((resolve, reject) => {
      const check = () => {
        let v;
        try {
          v = pred();
        } catch (e) {
          done();
          reject(e);
          return;
        }
        if (v) {
          done();
          resolve(v);
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ` + this.describe()));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
      check();
    });
  }

  describe() {
    const fr = this.frames
      .slice(-5)
      .map((f) => `op=${f.opcode} len=${f.len}${f.code !== undefined ? ` code=${f.code}` : ''}`)
      .join(', ');
    return `head=${this.head ? this.head.statusLine : 'none'} frames(unread ${this.frames.length}: ${fr}) ended=${this.ended} error=${this.error ? this.error.code : 'none'}`;
  }

  waitHead(timeoutMs = 3000) {
    return this.waitFor(() => this.head, timeoutMs, 'an HTTP response head');
  }

  /** The next server frame (removed from the queue). */
  async nextFrame(timeoutMs = 3000) {
    await this.waitFor(() => {
      if (this.protocolError) throw this.protocolError;
      if (this.frames.length) return true;
      if (this.ended) throw new Error(`connection closed while waiting for a frame; ${this.describe()}`);
      return false;
    }, timeoutMs, 'a frame');
    return this.frames.shift();
  }

  /** The next non-ping/pong frame; pings are not answered. */
  async nextDataOrClose(timeoutMs = 3000) {
    for (;;) {
      const f = await this.nextFrame(timeoutMs);
      if (f.opcode !== OP.PING && f.opcode !== OP.PONG) return f;
    }
  }

  /** Waits for the server to close TCP (FIN or RST). Returns the ms waited. */
  async waitTcpClose(timeoutMs = 3000) {
    const t0 = Date.now();
    await this.waitFor(() => this.ended, timeoutMs, 'the server to close the TCP connection');
    return Date.now() - t0;
  }

  /**
   * Expects the next frames to be a close frame (pings skipped, anything else
   * an error) and then the TCP close. Returns the close frame.
   */
  async expectClose(timeoutMs = 3000, { tcp = true, reply = false } = {}) {
    let f;
    for (;;) {
      f = await this.nextFrame(timeoutMs);
      if (f.opcode === OP.PING || f.opcode === OP.PONG) continue;
      if (f.opcode !== OP.CLOSE) {
        throw new Error(`expected a close frame, got opcode ${f.opcode} (${f.len} bytes: ${f.payload.subarray(0, 40).toString('hex')})`);
      }
      break;
    }
    if (f.masked) throw new Error('server close frame is masked');
    if (reply) this.write(closeFrame(f.code ?? undefined));
    if (tcp) await this.waitTcpClose(timeoutMs);
    return f;
  }

  write(data) {
    if (this.sock.destroyed || this.sock.writableEnded) return false;
    try {
      this.sock.write(data);
      return true;
    } catch {
      return false;
    }
  }

  /** Writes data in pieces with a pause after each so they leave as separate segments. */
  async writeChunked(data, sizes, delayMs = 0) {
    const buf = toBuf(data);
    let off = 0;
    let i = 0;
    while (off < buf.length) {
      const n = typeof sizes === 'function' ? sizes(i++) : Array.isArray(sizes) ? sizes[i++ % sizes.length] : sizes;
      this.write(buf.subarray(off, off + Math.max(1, n)));
      off += Math.max(1, n);
      if (delayMs > 0) await sleep(delayMs);
      else await tick();
    }
  }

  sendFrame(o) {
    return this.write(encodeFrame(o));
  }

  /** Sends a close, expects the echo and the TCP close. */
  async closeCleanly(code = 1000, timeoutMs = 3000) {
    this.write(closeFrame(code));
    const f = await this.expectClose(timeoutMs);
    this.destroy();
    return f;
  }

  end() {
    this.sock.end();
  }

  destroy() {
    this.sock.destroy();
  }

  reset() {
    if (typeof this.raw.resetAndDestroy === 'function') this.raw.resetAndDestroy();
    else this.sock.destroy();
  }
}

/** Sends one raw HTTP request and returns { status, headers, body } once the head (and Content-Length body) is in. */
export async function rawHttp(port, text, timeoutMs = 3000) {
  const c = await RawClient.connect(port);
  c.write(text);
  const head = await c.waitHead(timeoutMs);
  const cl = Number(head.headers['content-length'] ?? 0);
  if (head.status !== 101) await c.waitFor(() => c.body.length >= cl || c.ended, timeoutMs, 'the response body');
  const res = { ...head, body: c.body.toString('utf8'), client: c };
  return res;
}

/** Random integer in [lo, hi]. A seeded generator keeps failures reproducible. */
export function rng(seed = 12345) {
  let s = seed >>> 0;
  const next = () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
  return (lo, hi) => lo + (next() % (hi - lo + 1));
}

export function asciiPayload(n, seed = 1) {
  const r = rng(seed);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = r(0x20, 0x7e);
  return b;
}

export function binaryPayload(n, seed = 2) {
  const r = rng(seed);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = r(0, 255);
  return b;
}
