"""The Linux suite's tables in docs/conformance.md, written again from a run of the suite.

    python -m tools.packetdrill_table           # print what would change
    python -m tools.packetdrill_table --write    # write the three tables into docs/conformance.md

Run it after a change to the model or the runner moves Linux scripts between outcomes
(tests/test_conformance.py says which).  A script that needs a feature takes the runner's name
for it; a failing script keeps the diagnosis the table already gives it, and a script newly
failing is written "TO CLASSIFY: ..." with the runner's message, for a person to replace with the
feature it needs.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

from simulator.conformance.packetdrill import Outcome, Result, RunOptions, run_paths, summarize

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "conformance.md"
SUITE = ROOT.parent / "shared" / "packetdrill-linux" / "gtests" / "net"
_ROW = re.compile(r"^\| `(tcp/[^`]+\.pkt)` \| (\S+) \| (.+) \|$", re.MULTILINE)
_BLOCK = r"(<!-- {name}: written by python -m tools.packetdrill_table -->\n)(.*?)(\n<!-- end of {name} -->)"


def needs(results: list[Result], tabled: dict[str, tuple[str, str]]) -> list[tuple[str, str, str]]:
    """(script, outcome, what it needs) for every script that does not pass."""
    rows = []
    for r in results:
        if r.status == Outcome.PASS:
            continue
        name = str(Path(r.path).relative_to(SUITE))
        if r.feature:
            need = r.feature
        elif name in tabled and tabled[name][0] == r.status and not tabled[name][1].startswith("TO CLASSIFY"):
            need = tabled[name][1]
        else:
            need = f"TO CLASSIFY: {r.message[:100]}".replace("|", "/")
        rows.append((name, str(r.status), need))
    return rows


def tables(results: list[Result], rows: list[tuple[str, str, str]]) -> dict[str, str]:
    """The three tables' markdown, by the name of their block."""
    counts = summarize(results)
    folders = ["| folder | scripts | pass | fail | needs a feature |", "|---|---:|---:|---:|---:|"]
    folders += [
        f"| `{f}/` | {sum(c.values())} | {c['pass']} | {c['fail']} | {c[str(Outcome.NEEDS_FEATURE)]} |"
        for f, c in counts
    ]
    total = Counter(str(r.status) for r in results)
    folders.append(f"| all | {len(results)} | {total['pass']} | {total['fail']} | {total['needs-feature']} |")
    tally = Counter(need for _, _, need in rows)
    needed = ["| what the model needs | scripts |", "|---|---:|"]
    needed += [f"| {need} | {n} |" for need, n in sorted(tally.items(), key=lambda kv: (-kv[1], kv[0]))]
    scripts = ["| script | outcome | what it needs |", "|---|---|---|"]
    scripts += [f"| `{name}` | {outcome} | {need} |" for name, outcome, need in rows]
    return {"linux folders": "\n".join(folders), "linux needs": "\n".join(needed), "linux scripts": "\n".join(scripts)}


def blocks(text: str) -> dict[str, str]:
    """The tables the tool writes, as docs/conformance.md has them now."""
    found = {}
    for name in ("linux folders", "linux needs", "linux scripts"):
        match = re.search(_BLOCK.format(name=re.escape(name)), text, re.DOTALL)
        if match is not None:
            found[name] = match.group(2)
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write the tables into docs/conformance.md")
    args = parser.parse_args()
    if not (SUITE / "tcp").is_dir():
        print(f"tools.packetdrill_table: the Linux suite is not at {SUITE}", file=sys.stderr)
        return 2
    text = DOC.read_text(encoding="utf-8")
    tabled = {name: (outcome, need) for name, outcome, need in _ROW.findall(text)}
    results = run_paths([str(SUITE / "tcp")], RunOptions(profile="linux"))
    new = text
    for name, table in tables(results, needs(results, tabled)).items():
        block = re.compile(_BLOCK.format(name=re.escape(name)), re.DOTALL)
        if block.search(new) is None:
            print(f"tools.packetdrill_table: no '{name}' block in {DOC}", file=sys.stderr)
            return 2
        new = block.sub(lambda m, table=table: m.group(1) + table + m.group(3), new)
    if new == text:
        print("docs/conformance.md is up to date")
        return 0
    if args.write:
        DOC.write_text(new, encoding="utf-8")
        print(f"wrote {DOC}")
    else:
        old_rows, new_rows = set(_ROW.findall(text)), set(_ROW.findall(new))
        for row in sorted(old_rows - new_rows):
            print("- " + " | ".join(row))
        for row in sorted(new_rows - old_rows):
            print("+ " + " | ".join(row))
        print("docs/conformance.md is out of date: python -m tools.packetdrill_table --write")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
