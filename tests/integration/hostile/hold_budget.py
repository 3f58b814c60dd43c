#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Slow clients that hold the input budget, and a well-behaved client that
must still get through.

The attackers send most of a large request body (HTTP) or of a large frame
(WebSocket) at once, then trickle one byte every TRICKLE seconds, so a "no byte
for N seconds" timeout never fires while they hold their buffers. A
well-behaved client then sends SENDS request bodies and SENDS messages of SIZE
bytes each, one after the other; every one must succeed (HTTP 200, the message
echoed back).

Prints one JSON line with the counts.

usage: hold_budget.py PORT HTTP_ATTACKERS BODY_BYTES WS_ATTACKERS FRAME_BYTES
                      [SENDS] [SIZE] [TRICKLE] [SETTLE]
"""
import json
import os
import socket
import sys
import threading
import time

from wsraw import WsClient, frame


def http_holder(port, body_bytes, trickle, stop, out):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"POST /push/nobody HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % body_bytes)
        s.sendall(b"x" * (body_bytes - 1000))
        out["http_holding"] += 1
        while not stop.is_set():
            stop.wait(trickle)
            s.sendall(b"x")
    except OSError:
        out["http_cut_off"] += 1


def ws_holder(port, frame_bytes, trickle, stop, out):
    try:
        c = WsClient(port, "/echo")
        data = frame(2, b"y" * frame_bytes)
        c.send_raw(data[:-1000])
        out["ws_holding"] += 1
        i = len(data) - 1000
        while not stop.is_set():
            stop.wait(trickle)
            c.send_raw(data[i:i + 1])
            i += 1
    except OSError:
        out["ws_cut_off"] += 1


def good_http(port, size):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"POST /push/nobody HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % size + b"z" * size)
    got = b""
    while b"\r\n\r\n" not in got:
        d = s.recv(4096)
        if not d:
            break
        got += d
    s.close()
    return got.split(b"\r\n", 1)[0]


def main():
    port = int(sys.argv[1])
    n_http, body_bytes = int(sys.argv[2]), int(sys.argv[3])
    n_ws, frame_bytes = int(sys.argv[4]), int(sys.argv[5])
    sends = int(sys.argv[6]) if len(sys.argv) > 6 else 10
    size = int(sys.argv[7]) if len(sys.argv) > 7 else 200 * 1000
    trickle = float(sys.argv[8]) if len(sys.argv) > 8 else 5
    settle = float(sys.argv[9]) if len(sys.argv) > 9 else 2.5
    out = {"http_holding": 0, "http_cut_off": 0, "ws_holding": 0, "ws_cut_off": 0,
           "good_http_ok": 0, "good_http_failed": [], "good_ws_ok": 0, "good_ws_failed": []}
    stop = threading.Event()
    threads = [threading.Thread(target=http_holder, args=(port, body_bytes, trickle, stop, out), daemon=True)
               for _ in range(n_http)]
    threads += [threading.Thread(target=ws_holder, args=(port, frame_bytes, trickle, stop, out), daemon=True)
                for _ in range(n_ws)]
    for t in threads:
        t.start()
    time.sleep(settle)  # the holders have sent their bulk and gone quiet
    good = WsClient(port, "/echo")
    for i in range(sends):
        status = good_http(port, size)
        if status.startswith(b"HTTP/1.1 200"):
            out["good_http_ok"] += 1
        else:
            out["good_http_failed"].append(status.decode(errors="replace"))
        msg = os.urandom(size)
        try:
            good.send_raw(frame(2, msg))
            if good.recv_message(timeout=10) == msg:
                out["good_ws_ok"] += 1
            else:
                out["good_ws_failed"].append("wrong echo")
        except OSError as e:
            out["good_ws_failed"].append(str(e))
            good = WsClient(port, "/echo")
    stop.set()
    print(json.dumps(out))
    os._exit(0)


if __name__ == "__main__":
    main()
