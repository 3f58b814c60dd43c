#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Draws the benchmark charts of docs/BENCHMARKS.md with gnuplot (SVG).

    python3 bench/charts.py RESULTS.jsonl OUTDIR

RESULTS.jsonl holds the RESULT lines of bench/run.sh (BUILD/bench-results.jsonl):
one JSON object per server and scenario. Writes OUTDIR/bench-echo.svg
(messages/s), OUTDIR/bench-broadcast.svg (deliveries/s) and
OUTDIR/bench-idle-memory.svg (server memory per idle connection), one bar
per server, tina4-c first. The SVGs depend only on the numbers (no dates),
so a rerun on the same results changes nothing.
"""
import json
import shutil
import subprocess
import sys
from pathlib import Path

NAMES = {"tina4": "tina4-c", "node": "Node ws", "python": "Python websockets"}
ORDER = ["tina4", "node", "python"]
COLOURS = {"tina4": "#2b6cb0", "node": "#718096", "python": "#a0aec0"}

CHARTS = [
    # file, scenario, key, scale, title, y label, number format
    ("bench-echo.svg", "echo", "msgs_per_s", 1e3, "Echo: 100 connections x 16 in flight, 64 B",
     "thousand messages/s (higher is better)", "%.0f k"),
    ("bench-broadcast.svg", "broadcast", "deliveries_per_s", 1e3,
     "Broadcast: 64 B to 1000 subscribers", "thousand deliveries/s (higher is better)", "%.0f k"),
    ("bench-idle-memory.svg", "idle", "bytes_per_conn", 1.0,
     "Idle: server memory per connection at 10 000", "bytes per connection (lower is better)", "%.0f B"),
]


def load(path):
    res = {}
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if line.startswith("RESULT "):
            line = line[len("RESULT "):]
        if not line.startswith("{"):
            continue
        r = json.loads(line)
        res[(r["server"], r["scenario"])] = r
    return res


def chart(res, outdir, file, scen, key, scale, title, ylabel, fmt):
    rows = []
    for s in ORDER:
        v = res.get((s, scen), {}).get(key)
        if isinstance(v, (int, float)) and v >= 0:
            rows.append((s, v / scale))
    if not rows:
        print(f"charts: no {scen} {key} in the results: {file} not drawn", file=sys.stderr)
        return False
    top = max(v for _, v in rows) * 1.18
    data = "\n".join(f'{i} "{NAMES[s]}" {v:.3f} 0x{COLOURS[s][1:]}' for i, (s, v) in enumerate(rows))
    script = f"""
set terminal svg size 640,360 font "sans,12" background rgb "white"
set output "{outdir / file}"
set title "{title}"
set ylabel "{ylabel}"
set style fill solid 0.9 border -1
set boxwidth 0.6
set yrange [0:{top:.3f}]
set xrange [-0.6:{len(rows) - 0.4}]
set grid ytics lc rgb "#dddddd"
set border 3
set xtics nomirror scale 0
set ytics nomirror
unset key
$data << EOD
{data}
EOD
plot $data using 1:3:4:xtic(2) with boxes lc rgb variable, \\
     $data using 1:3:(sprintf("{fmt}", $3)) with labels offset 0,0.8
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=True)
    # gnuplot names the file it wrote in the SVG: keep only the base name.
    svg = (outdir / file).read_text().replace(str(outdir / file), file)
    (outdir / file).write_text(svg)
    print(f"charts: wrote {outdir / file}")
    return True


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    if not shutil.which("gnuplot"):
        print("charts: gnuplot is missing (apt-get install gnuplot-nox): no charts", file=sys.stderr)
        return 1
    res = load(sys.argv[1])
    outdir = Path(sys.argv[2]).resolve()
    outdir.mkdir(parents=True, exist_ok=True)
    drawn = [chart(res, outdir, *c) for c in CHARTS]
    return 0 if all(drawn) else 1


if __name__ == "__main__":
    sys.exit(main())
