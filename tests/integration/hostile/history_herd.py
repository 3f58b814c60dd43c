#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A herd of joiners that each ask for a room's whole history and never read.

A publisher fills /history/herd (the bench server keeps 10 000 messages per
room) with HISTORY messages of 64 bytes; then JOINERS clients with 4 KiB
receive buffers connect at once offering `tina4.v1, tina4.history.HISTORY`
and read nothing, while a canary on /echo does a round trip every 50 ms.
Every replay is a copy per joiner: unbounded, it multiplies memory.

Prints one JSON line: the canary's round trips (count, p50, max in ms) and
the server's peak VmRSS (KiB) and CPU seconds over 5 s.

usage: history_herd.py PORT SERVER_PID [JOINERS] [HISTORY]
"""
import base64
import json
import os
import socket
import sys
import threading
import time

from wsraw import WsClient, cpu_seconds, frame, run_canary


def joiner(port, history, out):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((
        "GET /history/herd HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Protocol: tina4.v1, tina4.history.%d\r\n\r\n" % (key, history)).encode())
    out.append(s)  # kept open, never read


def main():
    port = int(sys.argv[1])
    pid = int(sys.argv[2])
    joiners = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    history = int(sys.argv[4]) if len(sys.argv) > 4 else 10000
    pub = WsClient(port, "/history/herd")
    pub.sock.sendall(b"".join(frame(1, b"m%05d" % i + b"x" * 58) for i in range(history)))
    time.sleep(2)  # all kept (the publisher's own copies go unread too: bounded by its queue)
    canary = WsClient(port, "/echo")
    cpu0 = cpu_seconds(pid)
    socks = []
    threads = [threading.Thread(target=joiner, args=(port, history, socks)) for _ in range(joiners)]
    for t in threads:
        t.start()
    result = run_canary(port, pid, 5, period=0.05, canary=canary)
    print(json.dumps({"joiners": joiners, "history": history,
                      "server_cpu_s": round(cpu_seconds(pid) - cpu0, 2), **result}))


if __name__ == "__main__":
    main()
