#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A client flooding a busy broadcast room with one-byte messages.

SUBS raw subscribers join /broadcast/flood (the bench server broadcasts every
message to the room) and read everything; one attacker writes batches of 9000
one-byte text frames to the room as fast as TCP takes them, for SECONDS; a
canary on /echo does a round trip every 100 ms. Each message costs the server
SUBS deliveries, so a server that handles a whole read at once holds the loop
for the whole batch.

Prints one JSON line: the canary's round trips (count, p50, p99, max in ms),
the server's peak VmRSS (KiB) and CPU seconds, and the bytes the subscribers
received.

usage: fanout_flood.py PORT SERVER_PID [SUBS] [SECONDS]
"""
import json
import os
import selectors
import sys
import threading
import time

from wsraw import WsClient, cpu_seconds, frame, run_canary


def read_all(sel, stop, got):
    """Reads every subscriber as fast as data comes (one thread, a selector)."""
    while not stop.is_set():
        for key, _ in sel.select(0.1):
            try:
                got[0] += len(key.fileobj.recv(1 << 20))
            except (BlockingIOError, OSError):
                pass


def attack(port, seconds):
    """In a child process: its sending never competes with the canary (GIL)."""
    a = WsClient(port, "/broadcast/flood")
    batch = b"".join(frame(1, b"x") for _ in range(9000))
    end = time.monotonic() + seconds
    try:
        while time.monotonic() < end:
            a.sock.sendall(batch)
    except OSError:
        pass
    os._exit(0)


def main():
    port = int(sys.argv[1])
    pid = int(sys.argv[2])
    nsubs = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    seconds = float(sys.argv[4]) if len(sys.argv) > 4 else 8
    subs = [WsClient(port, "/broadcast/flood") for _ in range(nsubs)]
    sel = selectors.DefaultSelector()
    for s in subs:
        s.sock.setblocking(False)
        sel.register(s.sock, selectors.EVENT_READ)
    stop = threading.Event()
    got = [0]
    threading.Thread(target=read_all, args=(sel, stop, got), daemon=True).start()
    time.sleep(0.5)
    child = os.fork()
    if child == 0:
        attack(port, seconds)
    cpu0 = cpu_seconds(pid)
    result = run_canary(port, pid, seconds)
    print(json.dumps({"subs": nsubs, "server_cpu_s": round(cpu_seconds(pid) - cpu0, 2),
                      "subscriber_bytes": got[0], **result}))
    os.kill(child, 9)
    os.waitpid(child, 0)
    stop.set()


if __name__ == "__main__":
    main()
