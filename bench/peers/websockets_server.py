#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Peer server for the benchmarks: Python asyncio + the `websockets` package.

    python3 bench/peers/websockets_server.py [PORT]      (or PORT=... in the environment)

Endpoints, as tina4-bench-server:
  /echo               every message back unchanged (text stays text, binary stays binary)
  /broadcast          every message to every connection on the same path,
  /broadcast/<room>   the sender included (websockets.broadcast)
Listens on 127.0.0.1 only. Works with websockets 10.x (Debian 12) and later.
"""
import asyncio
import os
import re
import signal
import sys

import websockets

MAX_PAYLOAD = 1024 * 1024
BROADCAST_RE = re.compile(r"^/broadcast(/[^/]+)?$")
rooms = {}  # path -> set of connections


def clean_path(raw):
    path = (raw or "/").split("?", 1)[0]
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    return path


def path_of(ws, path_arg):
    if path_arg is not None:
        return path_arg
    if hasattr(ws, "request") and ws.request is not None:  # websockets >= 13 (new asyncio API)
        return ws.request.path
    return ws.path  # legacy API


async def echo(ws):
    async for message in ws:
        await ws.send(message)


async def broadcast(ws, path):
    room = rooms.setdefault(path, set())
    room.add(ws)
    try:
        async for message in ws:
            websockets.broadcast(room, message)
    finally:
        room.discard(ws)
        if not room and rooms.get(path) is room:
            del rooms[path]


async def handler(ws, path_arg=None):
    path = clean_path(path_of(ws, path_arg))
    try:
        if path == "/echo":
            await echo(ws)
        elif BROADCAST_RE.match(path):
            await broadcast(ws, path)
        else:
            await ws.close(1008, "no such endpoint")
    except websockets.ConnectionClosed:
        pass


async def main():
    port = int(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("PORT", "7151"))
    stop = asyncio.get_running_loop().create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
    async with websockets.serve(
        handler,
        "127.0.0.1",
        port,
        max_size=MAX_PAYLOAD,
        compression=None,
        backlog=4096,
    ):
        print(f"websockets_server: python {sys.version.split()[0]}, websockets {websockets.__version__}, "
              f"listening on 127.0.0.1:{port}", flush=True)
        await stop


if __name__ == "__main__":
    asyncio.run(main())
