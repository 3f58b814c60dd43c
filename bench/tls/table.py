# SPDX-License-Identifier: MIT
"""The Markdown table of bench/tls/run.sh: one column per server, ratios
tina4-c / peer, and notes (load generator or other processes busy, errors).
usage: table.py RESULTS.jsonl NOTES.txt OUT.md"""
import datetime
import json
import os
import platform
import sys

results_path, notes_path, table_path = sys.argv[1:4]
res = {}
for line in open(results_path):
    try:
        r = json.loads(line)
    except ValueError:
        continue
    res[(r["server"], r["scenario"])] = r
notes = [l.rstrip("\n") for l in open(notes_path) if l.strip()]

names = {"tina4": "tina4-c", "uws": "uWS SSLApp", "nginx": "nginx → tina4-c"}
servers = [s for s in ("tina4", "uws", "nginx") if any(k[0] == s for k in res)]
peers = [s for s in servers if s != "tina4"]


def val(server, scen, key):
    r = res.get((server, scen))
    if r is None:
        return None
    v = r.get(key)
    return None if v is None or (isinstance(v, (int, float)) and v < 0) else v


def fmt(v, digits):
    if v is None:
        return "n/a"
    if isinstance(v, str):
        return v
    return f"{v:,.{digits}f}"


rows = [
    ("echo 32 B: messages/s", "echo", "msgs_per_s", "higher", 0),
    ("echo: p99 round trip (µs)", "echo", "p99_us", "lower", 0),
    ("broadcast to 1000: deliveries/s", "broadcast", "deliveries_per_s", "higher", 0),
    ("broadcast: p99 delivery latency (µs)", "broadcast", "p99_us", "lower", 0),
    ("full handshakes/s (TCP + TLS 1.3 + upgrade)", "handshake_full", "handshakes_per_s", "higher", 0),
    ("  server CPU per full handshake (µs)", "handshake_full", "server_us_per_handshake", "lower", 0),
    ("resumed handshakes/s", "handshake_resumed", "handshakes_per_s", "higher", 0),
    ("  server CPU per resumed handshake (µs)", "handshake_resumed", "server_us_per_handshake", "lower", 0),
    ("  resumed / connections", "handshake_resumed", "_resumed", "", 0),
    ("idle: bytes per TLS WebSocket connection", "idle", "bytes_per_conn", "lower", 0),
    ("https GET 64 KiB: MiB/s", "get", "mib_per_s", "higher", 0),
    ("https GET 64 KiB: responses/s", "get", "responses_per_s", "higher", 0),
    ("server CPU µs per echoed message", "echo", "_per:msgs_per_s", "lower", 2),
    ("server CPU µs per broadcast delivery", "broadcast", "_per:deliveries_per_s", "lower", 2),
    ("server CPU ms per MiB of GET", "get", "_permib", "lower", 2),
    ("server CPU during echo (cores)", "echo", "server_cpu", "", 2),
    ("server CPU during broadcast (cores)", "broadcast", "server_cpu", "", 2),
    ("server CPU during full handshakes (cores)", "handshake_full", "server_cpu", "", 2),
    ("server CPU during GET (cores)", "get", "server_cpu", "", 2),
    ("loadgen CPU: echo / broadcast / full hs / GET", "_lg", "", "", 2),
    ("other processes' CPU: echo / broadcast / full hs / GET", "_other", "", "", 2),
]


def value(server, scen, key):
    if scen in ("_lg", "_other"):
        k = "loadgen_cpu" if scen == "_lg" else "other_cpu"
        vs = [val(server, s, k) for s in ("echo", "broadcast", "handshake_full", "get")]
        return " / ".join(fmt(v, 2) for v in vs)
    if key.startswith("_per"):
        # CPU per unit of work: steadier than rates when the machine is shared
        cpu = val(server, scen, "server_cpu")
        rate = val(server, scen, "mib_per_s" if key == "_permib" else key[5:])
        if not cpu or not rate:
            return None
        return cpu * (1e3 if key == "_permib" else 1e6) / rate
    if key == "_resumed":
        r = res.get((server, scen))
        return f'{r["resumed"]:,} / {r["handshakes"]:,}' if r else None
    return val(server, scen, key)


head = ["metric"] + [names[s] for s in servers] + [f"tina4-c ÷ {names[s]}" for s in peers] + ["better"]
lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
for label, scen, key, better, digits in rows:
    cells = [label] + [fmt(value(s, scen, key), digits) for s in servers]
    t = value("tina4", scen, key)
    for s in peers:
        v = value(s, scen, key)
        ok = better and isinstance(t, (int, float)) and isinstance(v, (int, float)) and v > 0
        cells.append(f"{t / v:.2f}×" if ok else "")
    cells.append(better)
    lines.append("| " + " | ".join(cells) + " |")
nok = res.get(("tina4-nokTLS", "get"))
if nok and ("tina4", "get") in res:
    on = res[("tina4", "get")]
    lines.append("")
    per = lambda r: f'{r["server_cpu"] * 1e3 / r["mib_per_s"]:.2f}' if r["mib_per_s"] > 0 and r["server_cpu"] > 0 else "n/a"
    lines.append(f'tina4-c https GET 64 KiB with TINA4_TLS_KTLS=true: {on["mib_per_s"]:,.1f} MiB/s '
                 f'({per(on)} ms of server CPU per MiB, other processes {on["other_cpu"]:.2f} cores); '
                 f'with TINA4_TLS_KTLS=false: {nok["mib_per_s"]:,.1f} MiB/s ({per(nok)} ms per MiB, other '
                 f'{nok["other_cpu"]:.2f} cores). No `tls` ULP here, so both run in user space.')

for (server, scen), r in sorted(res.items()):
    who = f"{names.get(server, server)} {scen}"
    cpu = r.get("loadgen_cpu")
    if isinstance(cpu, (int, float)) and cpu >= 0.85:
        notes.append(f"{who}: the load generator used {cpu:.0%} of its core: a lower bound for the server")
    other = r.get("other_cpu")
    if isinstance(other, (int, float)) and other >= 0.25:
        notes.append(f"{who}: other processes used {other:.2f} cores meanwhile: disturbed")
    for k in ("failed_connections", "protocol_errors", "mismatches", "missing", "lost", "out_of_order",
              "bad_messages", "bad_responses", "dropped"):
        if r.get(k):
            notes.append(f"{who}: {k} = {r[k]}")

md = [f"# TLS benchmark ({datetime.datetime.utcnow():%Y-%m-%d %H:%M} UTC)", "",
      f"{os.cpu_count()} CPUs, {platform.system()} {platform.release()}; server side pinned to CPU 0 "
      "(nginx and tina4-c behind it share it), tina4-loadgen --tls on CPU 1; a fresh server per scenario.", ""]
md += lines
md += ["", "Ratios are tina4-c ÷ peer: above 1 is better where `better` is *higher*, below 1 where it is *lower*."]
if notes:
    md += ["", "Notes:"] + [f"- {n}" for n in notes]
text = "\n".join(md) + "\n"
open(table_path, "w").write(text)
print()
print(text)
