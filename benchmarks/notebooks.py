"""Benchmark: each lesson of the course, executed top to bottom in a fresh kernel, against the
30-second target (the instructor copies, which also check every answer).

    python -m benchmarks.notebooks
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import nbclient
import nbformat

TARGET = 30.0
FOLDER = Path(__file__).parent.parent / "notebooks" / "instructor"


def main() -> int:
    print(f"tcpsim course benchmark: each lesson in a fresh kernel, Python {sys.version.split()[0]}")
    print(f"{'lesson':<32}{'cells':>6}{'seconds':>9}{'target':>8}  result")
    worst = 0.0
    for path in sorted(FOLDER.glob("*.ipynb")):
        book = nbformat.read(path, as_version=4)
        with tempfile.TemporaryDirectory() as tmp:
            client = nbclient.NotebookClient(book, timeout=300, resources={"metadata": {"path": tmp}})
            start = time.perf_counter()
            client.execute()
            seconds = time.perf_counter() - start
        worst = max(worst, seconds)
        cells = sum(1 for c in book.cells if c.cell_type == "code")
        verdict = "ok" if seconds < TARGET else "TOO SLOW"
        print(f"{path.stem:<32}{cells:>6}{seconds:>9.2f}{TARGET:>8.0f}  {verdict}")
    print(f"slowest lesson: {worst:.2f} s (target: under {TARGET:.0f} s each)")
    return 0 if worst < TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
