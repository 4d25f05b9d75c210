"""Benchmark: the packetdrill suites through the runner, beside reading them alone.

    python -m benchmarks.packetdrill           # best of 5 runs of each suite
    python -m benchmarks.packetdrill --runs 1

For each suite found under ``../shared/`` (FreeBSD's tcp-testsuite with ``--profile freebsd``,
Google's Linux TCP tests with ``--profile linux``): the time to read and parse every script, and
the time to run them all (parse included), in this process, best of several runs.  The goal is
about a millisecond a script.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path

from simulator.conformance.packetdrill import RunOptions, find_scripts, parse, run_paths
from simulator.model.profiles import profile

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
SUITES = (
    ("tcp-testsuite", SHARED / "tcp-testsuite", "freebsd"),
    ("packetdrill-linux", SHARED / "packetdrill-linux" / "gtests" / "net" / "tcp", "linux"),
)


def best(runs: int, work: Callable[[], object]) -> float:
    """The shortest of ``runs`` timings of ``work()``."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def _parse_all(texts: list[tuple[str, str]], defines: frozenset[str]) -> None:
    for path, text in texts:
        parse(text, path=path, defines=defines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"packetdrill benchmark (best of {args.runs}, Python {sys.version.split()[0]})")
    print(f"{'suite':<20} {'profile':<8} {'scripts':>7} {'parse s':>8} {'run s':>8} {'ms/script':>9}  outcomes")
    for name, folder, prof in SUITES:
        if not folder.is_dir():
            print(f"{name:<20} not found at {folder}")
            continue
        paths = find_scripts([str(folder)])
        defines = profile(prof).defines
        texts = [(str(p), p.read_text(encoding="utf-8", errors="replace")) for p in paths]
        parsing = best(args.runs, partial(_parse_all, texts, defines))
        results = run_paths([str(folder)], RunOptions(profile=prof))
        running = best(args.runs, partial(run_paths, [str(folder)], RunOptions(profile=prof)))
        outcomes = ", ".join(f"{n} {k}" for k, n in sorted(Counter(str(r.status) for r in results).items()))
        print(
            f"{name:<20} {prof:<8} {len(paths):>7} {parsing:>8.3f} {running:>8.3f} "
            f"{1000 * running / len(paths):>9.2f}  {outcomes}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
