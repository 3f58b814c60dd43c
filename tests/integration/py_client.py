# SPDX-License-Identifier: MIT
"""A second, independent client: Python's `websockets` (Debian's
python3-websockets) against tina4-c. Driven by interop.test.mjs.

usage: py_client.py ECHO_URL ANNOUNCEMENTS_URL
Checks echo (text, binary, a 200 KiB message, ping/pong) on the echo example
and a broadcast between two clients on the announcements example, then a
clean close. Prints one JSON line of results; exits 1 on the first failure.
"""
import asyncio
import json
import sys

import websockets


def check(cond, what):
    if not cond:
        print(json.dumps({"ok": False, "failed": what}))
        sys.exit(1)


async def recv_json(ws, pred=lambda m: True):
    while True:
        m = json.loads(await asyncio.wait_for(ws.recv(), 5))
        if pred(m):
            return m


async def main(echo_url, ann_url):
    results = {}
    async with websockets.connect(echo_url, max_size=2**20) as ws:
        await ws.send("hello from python")
        got = await asyncio.wait_for(ws.recv(), 5)
        check(got == "Echo: hello from python", f"echo text: {got!r}")
        await ws.send(b"\x00\x01\xff")
        got = await asyncio.wait_for(ws.recv(), 5)
        check(got == b"Echo: \x00\x01\xff", f"echo binary: {got!r}")
        big = "\u00e9" * (100 * 1024)  # 200 KiB of UTF-8
        await ws.send(big)
        got = await asyncio.wait_for(ws.recv(), 5)
        check(got == "Echo: " + big, "echo of a 200 KiB message")
        pong = await ws.ping(b"py")
        await asyncio.wait_for(pong, 5)
        results["echo"] = "ok"
    check(ws.close_code == 1000, f"echo close code {ws.close_code}")

    async with websockets.connect(ann_url) as a, websockets.connect(ann_url) as b:
        await recv_json(a, lambda m: m.get("online_count") == 2)
        await recv_json(b, lambda m: m.get("online_count") == 2)
        await a.send(json.dumps({"text": "hi from python"}))
        for who, ws in (("a", a), ("b", b)):
            m = await recv_json(ws, lambda m: m.get("type") == "announcement")
            check(m["text"] == "hi from python", f"broadcast to {who}: {m}")
        await b.close()
        m = await recv_json(a, lambda m: m.get("message") == "A user left")
        check(m["online_count"] == 1, f"left count {m}")
        results["broadcast"] = "ok"
    print(json.dumps({"ok": True, **results}))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
