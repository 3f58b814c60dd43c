# SPDX-License-Identifier: MIT
"""A minimal blocking WebSocket client over a raw socket, for the hostile-client
scripts: they need exact control of what is sent and when (partial frames,
trickling), which a full client library hides. Also reads a process's VmRSS."""
import base64
import os
import socket
import struct
import time


def vm_rss_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def frame(opcode, payload, fin=True):
    """A masked client frame."""
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        head += bytes([0x80 | 127]) + struct.pack("!Q", n)
    mask = os.urandom(4)
    body = _mask_fast(payload, mask) if n else b""
    return head + mask + body


def _mask_fast(payload, mask):
    n = len(payload)
    m = int.from_bytes((mask * (n // 4 + 1))[:n], "big")
    return (int.from_bytes(payload, "big") ^ m).to_bytes(n, "big")


class WsClient:
    def __init__(self, port, path, timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((
            "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n" % (path, key)).encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            d = self.sock.recv(4096)
            if not d:
                raise ConnectionError("closed during the handshake")
            self.buf += d
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        if not head.startswith(b"HTTP/1.1 101"):
            raise ConnectionError("handshake refused: %r" % head[:80])

    def send_raw(self, data):
        self.sock.sendall(data)

    def send_text(self, payload):
        self.sock.sendall(frame(1, payload))

    def _need(self, n, deadline):
        while len(self.buf) < n:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            d = self.sock.recv(65536)
            if not d:
                raise ConnectionError("closed")
            self.buf += d

    def recv_frame(self, timeout=10):
        """(opcode, payload) of the next frame."""
        deadline = time.monotonic() + timeout
        self._need(2, deadline)
        op, n = self.buf[0] & 0x0F, self.buf[1] & 0x7F
        hl = 2
        if n == 126:
            self._need(4, deadline)
            n, hl = struct.unpack("!H", self.buf[2:4])[0], 4
        elif n == 127:
            self._need(10, deadline)
            n, hl = struct.unpack("!Q", self.buf[2:10])[0], 10
        self._need(hl + n, deadline)
        payload, self.buf = self.buf[hl:hl + n], self.buf[hl + n:]
        return op, payload

    def recv_message(self, timeout=10):
        """The next data message's payload (pings are skipped), or raises on a close."""
        while True:
            op, payload = self.recv_frame(timeout)
            if op in (1, 2):
                return payload
            if op == 8:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                raise ConnectionError("closed with %d" % code)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def cpu_seconds(pid):
    """User + system CPU time the process has used."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0


def run_canary(port, pid, seconds, period=0.1, canary=None):
    """A well-behaved client beside an attack: a WebSocket echo on /echo every
    `period` seconds for `seconds`, sampling the server's VmRSS after each.
    `canary`: a client connected before the attack began (else one is made).

    Returns a dict: canary_n, canary_p50_ms, canary_p99_ms, canary_max_ms and
    peak_rss_kib; with "error" instead of the latencies when the canary's
    connection failed or stalled past 20 s (the worst outcome: reported)."""
    canary = canary or WsClient(port, "/echo")
    rtts = []
    peak = 0
    end = time.monotonic() + seconds
    i = 0
    while time.monotonic() < end:
        t0 = time.monotonic()
        msg = b"canary %d" % i
        canary.send_text(msg)
        try:
            got = canary.recv_message(timeout=20)
        except OSError as e:
            return {"error": "canary: %s" % e, "peak_rss_kib": max(peak, vm_rss_kib(pid))}
        if got != msg:
            raise SystemExit("canary got %r, expected %r" % (got, msg))
        rtts.append((time.monotonic() - t0) * 1000)
        peak = max(peak, vm_rss_kib(pid))
        i += 1
        time.sleep(max(0, period - (time.monotonic() - t0)))
    canary.close()
    rtts.sort()
    return {
        "canary_n": len(rtts),
        "canary_p50_ms": round(rtts[len(rtts) // 2], 2),
        "canary_p99_ms": round(rtts[max(0, int(len(rtts) * 0.99) - 1)], 2),
        "canary_max_ms": round(rtts[-1], 2),
        "peak_rss_kib": max(peak, vm_rss_kib(pid)),
    }
