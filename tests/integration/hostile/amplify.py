#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Pipelined-request output amplification, as a hostile client does it.

N sockets with a 4 KiB receive buffer each send a batch of pipelined
`GET /js/frond.js` requests and never read a byte. A server that answers every
request already in its read buffer queues ~14 KiB per 40-byte request. Meanwhile
a canary WebSocket client does an echo round trip every 100 ms.

Prints one JSON line: the server's peak VmRSS (KiB) seen while the attack ran,
and the canary's round trips (count, max and p99 in ms).

usage: amplify.py PORT SERVER_PID [CONNECTIONS] [SECONDS] [BATCH_BYTES]
"""
import json
import os
import socket
import sys
import threading
import time

from wsraw import WsClient, cpu_seconds, run_canary


def attacker(port, batch, stop, socks):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(2)
    try:
        s.connect(("127.0.0.1", port))
        socks.append(s)
        view = memoryview(batch)
        while view and not stop.is_set():
            try:
                n = s.send(view)
                view = view[n:]
            except socket.timeout:
                continue  # the server stopped reading us: it may, we keep the socket
    except OSError:
        pass


def main():
    port = int(sys.argv[1])
    pid = int(sys.argv[2])
    nconn = int(sys.argv[3]) if len(sys.argv) > 3 else 100
    seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 8
    batch_bytes = int(sys.argv[5]) if len(sys.argv) > 5 else 64 * 1024
    req = b"GET /js/frond.js HTTP/1.1\r\nHost: x\r\n\r\n"
    batch = req * (batch_bytes // len(req))

    canary = WsClient(port, "/echo")
    cpu0 = cpu_seconds(pid)
    # The attackers run in a child process, so their threads never delay the
    # canary's own round trips (Python's GIL).
    child = os.fork()
    if child == 0:
        stop = threading.Event()
        socks = []
        threads = [threading.Thread(target=attacker, args=(port, batch, stop, socks), daemon=True)
                   for _ in range(nconn)]
        for t in threads:
            t.start()
        time.sleep(seconds + 1)
        os._exit(0)
    result = run_canary(port, pid, seconds, canary=canary)
    if "error" not in result:
        result = {"connections": nconn, "server_cpu_s": round(cpu_seconds(pid) - cpu0, 2), **result}
    print(json.dumps(result))
    os.kill(child, 9)
    os.waitpid(child, 0)


if __name__ == "__main__":
    main()
