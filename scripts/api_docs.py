#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Generates docs/api/README.md from include/tina4.h (make docs).

The header is the source: its section banners become chapters, each comment
documents the declarations right below it (no blank line between), and the
tags "Errors:", "Threads:" and "Ownership:" in a comment become the fields of
every function it documents. A comment standing alone (a blank line after it)
that carries tags gives the defaults of its section ("Every t4_req_* call").

Fails (exit 1) when a public function lacks one of the three fields, so a new
function cannot land undocumented. With --check, writes nothing and fails
when the committed file differs from what the header gives.

Output is a pure function of the header: no dates, no paths, stable order.
"""
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = ROOT / "include" / "tina4.h"
OUT = ROOT / "docs" / "api" / "README.md"
TAGS = ("Errors", "Threads", "Ownership")
BANNER = re.compile(r"^/\* -{20,} \*/$")
TAG = re.compile(r"^(Errors|Threads|Ownership)(?:\b[^:]*)?:\s*(.*)$")
SKIP_DEFINES = ("TINA4_H", "T4_API", "T4__")


def comment_text(lines):
    """The text of a /* ... */ block, without the markers and the ' * '."""
    out = []
    for i, line in enumerate(lines):
        t = line.strip()
        if i == 0:
            t = t[2:]
        if t.endswith("*/"):
            t = t[:-2]
        t = t.rstrip()
        if t.startswith("* "):
            t = t[2:]
        elif t == "*":
            t = ""
        elif t.startswith(" "):
            t = t[1:]
        out.append(t.rstrip())
    while out and not out[0].strip():
        out.pop(0)
    while out and not out[-1].strip():
        out.pop()
    return out


def split_tags(lines):
    """Prose lines and {tag: text}; a tag runs until the next tag or the end."""
    prose, tags, cur = [], {}, None
    for line in lines:
        m = TAG.match(line.strip())
        if m:
            cur = m.group(1)
            tags[cur] = m.group(2)
        elif cur:
            tags[cur] += " " + line.strip()
        else:
            prose.append(line)
    return prose, {k: " ".join(v.split()) for k, v in tags.items()}


def paragraphs(lines):
    """Comment lines to Markdown: blank lines and indentation changes split
    paragraphs; an indented line starting with T4_ is a code example; a
    line like "THREADS:" is a small heading."""
    out, para, indented = [], [], False

    def flush():
        if para:
            out.append(" ".join(para))
            out.append("")
            para.clear()

    for line in lines:
        s = line.strip()
        if not s:
            flush()
        elif re.match(r"^[A-Z]{3,}[A-Z ]*(\(.*\))?:$", s):
            flush()
            out += [f"**{s[:-1].capitalize()}**", ""]
        elif line.startswith("  ") and s.startswith("T4_"):
            flush()
            out += ["```c", s, "```", ""]
        else:
            if para and line.startswith("  ") != indented:
                flush()
            indented = line.startswith("  ")
            para.append(s)
    flush()
    return "\n".join(out).strip()


def read_decl(lines, i):
    """A declaration from line i: (kind, text lines, trailing comment, next i)."""
    first = lines[i]
    if first.startswith("#define"):
        j = i
        while lines[j].rstrip().endswith("\\"):
            j += 1
        return "macro", lines[i : j + 1], None, j + 1
    depth, j = 0, i
    while True:
        line = re.sub(r"/\*.*?\*/", "", lines[j])
        depth += line.count("{") - line.count("}")
        if depth == 0 and line.rstrip().endswith(";"):
            break
        j += 1
    trailing = None
    m = re.search(r";\s*/\*\s*(.*?)\s*\*/\s*$", lines[j])
    if m and first.startswith("T4_API"):
        trailing = m.group(1)
    kind = "function" if first.startswith("T4_API") else "type"
    return kind, lines[i : j + 1], trailing, j + 1


def signature(decl_lines):
    text = " ".join(l.strip() for l in decl_lines)
    text = re.sub(r"/\*.*?\*/", "", text)
    text = text.replace("T4_API ", "")
    text = re.sub(r"\s*T4__PRINTF\(\d+, \d+\)", "", text)
    return " ".join(text.split()).replace("( ", "(")


def function_name(sig):
    return re.search(r"(t4_\w+)\(", sig).group(1)


def parse(text):
    lines = text.split("\n")
    intro, sections = None, []
    section = None
    pending = None  # comment lines waiting for what follows them
    i = 0
    while i < len(lines):
        line = lines[i]
        s = line.strip()
        if BANNER.match(s) and i + 2 < len(lines) and BANNER.match(lines[i + 2].strip()):
            section = {"title": comment_text([lines[i + 1]])[0].strip(), "defaults": {}, "items": []}
            sections.append(section)
            pending = None
            i += 3
            continue
        if s.startswith("/*"):
            j = i
            while "*/" not in lines[j]:
                j += 1
            block = comment_text(lines[i : j + 1])
            if block and block[0].startswith("SPDX-License-Identifier"):
                block = []
            i = j + 1
            if intro is None and block:
                intro = block
                continue
            nxt = lines[i].strip() if i < len(lines) else ""
            if section is not None and block and not nxt:
                prose, tags = split_tags(block)
                if tags:
                    section["defaults"].update(tags)
                    section["items"].append({"kind": "note", "prose": prose, "tags": tags})
                else:
                    section["items"].append({"kind": "note", "prose": prose, "tags": {}})
                pending = None
            else:
                pending = block
            continue
        is_define = s.startswith("#define") and not s.split()[1].startswith(SKIP_DEFINES)
        if section is not None and (s.startswith(("T4_API", "typedef", "enum")) or is_define):
            group = {"kind": None, "comment": pending or [], "decls": []}
            pending = None
            while i < len(lines):
                s = lines[i].strip()
                is_define = s.startswith("#define") and not s.split()[1].startswith(SKIP_DEFINES)
                if not (s.startswith(("T4_API", "typedef", "enum")) or is_define):
                    break
                kind, decl, trailing, i = read_decl(lines, i)
                group["kind"] = group["kind"] or kind
                group["decls"].append({"kind": kind, "lines": decl, "trailing": trailing})
            section["items"].append(group)
            continue
        if not s:
            pending = None
        i += 1
    return intro, sections


def render(intro, sections):
    problems = []
    out = [
        "<!-- Generated by scripts/api_docs.py from include/tina4.h (make docs). Do not edit. -->",
        "",
        "# tina4.h API reference",
        "",
        "The one public header of libtina4. This page is generated from its comments; the header is the "
        "source of truth. Every function lists its **errors**, the **threads** it may be called from, "
        "and **ownership** of what it takes and returns.",
        "",
        "## Conventions",
        "",
    ]
    body = [l for l in intro if not l.startswith(("tina4.h --", "Names:"))]
    out.append(paragraphs(body))
    out += ["", "## Contents", ""]
    for sec in sections:
        names = [
            function_name(signature(d["lines"]))
            for it in sec["items"]
            if it["kind"] == "function"
            for d in it["decls"]
        ]
        anchor = re.sub(r"[^a-z0-9]+", "-", sec["title"].lower()).strip("-")
        line = f"- [{sec['title']}](#{anchor})"
        if names:
            line += ": " + ", ".join(f"[`{n}`](#{n})" for n in names)
        out.append(line)
    count = 0
    for sec in sections:
        out += ["", f"## {sec['title']}", ""]
        for it in sec["items"]:
            if it["kind"] == "note":
                text = paragraphs(it["prose"])
                if text:
                    out += [text, ""]
                for t in TAGS:
                    if t in it["tags"]:
                        out.append(f"- **{t}** (every function below, unless it says otherwise): {it['tags'][t]}")
                if it["tags"]:
                    out.append("")
                continue
            prose, tags = split_tags(it["comment"])
            if it["kind"] == "function":
                names = [function_name(signature(d["lines"])) for d in it["decls"]]
                count += len(names)
                out.append("".join(f'<a id="{n}"></a>' for n in names))
                out += [f"### {', '.join(f'`{n}`' for n in names)}", ""]
                code = [signature(d["lines"]) for d in it["decls"]]
            else:
                code = [l.rstrip() for d in it["decls"] for l in d["lines"]]
                first = signature(it["decls"][0]["lines"])
                m = re.match(r"#define (\w+)", first) or re.search(r"\}\s*(\w+)\s*;$", first)
                m = m or re.search(r"\(\*(\w+)\)", first) or re.search(r"typedef .*?(\w+);$", first)
                title = m.group(1) if m else None
                defines = [re.match(r"#define (\w+)", signature(d["lines"])) for d in it["decls"]]
                if all(defines) and len(defines) > 1:
                    title = ", ".join(d.group(1) for d in defines)
                if not title:  # an anonymous enum: its constants' common prefix
                    consts = re.findall(r"\b(T4_[A-Z_]+)\s*=", first)
                    prefix = consts[0]
                    while not all(c.startswith(prefix) for c in consts):
                        prefix = prefix[:-1]
                    title = "T4_OK and the T4_E* codes" if "T4_OK" in consts else prefix + "*"
                out += [f"### {title}", ""]
            out += ["```c", *code, "```", ""]
            text = paragraphs(prose)
            if text:
                out += [text, ""]
            for d in it["decls"]:
                if d["trailing"]:
                    n = function_name(signature(d["lines"]))
                    out += [f"`{n}`: {d['trailing']}.", ""]
            if it["kind"] == "function":
                for t in TAGS:
                    v = tags.get(t) or sec["defaults"].get(t)
                    if not v:
                        problems.append(f"{', '.join(names)}: no '{t}:' in its comment or its section's")
                        continue
                    out.append(f"- **{t}:** {v}")
                out.append("")
    out.append(f"*{count} functions.*")
    return re.sub(r"\n{3,}", "\n\n", "\n".join(out)).rstrip() + "\n", problems


def main():
    intro, sections = parse(HEADER.read_text())
    text, problems = render(intro, sections)
    if problems:
        for p in problems:
            print(f"api_docs: {p}", file=sys.stderr)
        return 1
    if "--check" in sys.argv:
        if not OUT.exists() or OUT.read_text() != text:
            print("api_docs: docs/api/README.md is not up to date with include/tina4.h: run make docs",
                  file=sys.stderr)
            return 1
        print("api_docs: docs/api is up to date")
        return 0
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text)
    print(f"api_docs: wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
