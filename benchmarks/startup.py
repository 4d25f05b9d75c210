"""Benchmark: start-up costs, each against a bare ``import simulator`` in the same run.

    python -m benchmarks.startup

Rich and matplotlib are imported only by the commands that draw, so ``tcpsim
list`` and ``tcpsim run`` must stay close to the bare import.  Each figure is
the median of several runs of a fresh Python process.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

RUNS = 5
FORTY_SEGMENTS = """
from simulator.sim.scenario import parse
from simulator.present.plot import ladder, save
trace = parse('''
[network]
latency = 0.05
bandwidth = 125000
[endpoint.client]
mss = 1000
script = ["connect server", "send 16000", "close"]
[endpoint.server]
mss = 1000
script = ["listen", "wait_for_eof", "close"]
''').run()
sent = sum(1 for e in trace.events if e.kind == "send")
assert sent >= 40, sent
save(ladder(trace), "/tmp/tcpsim-bench-ladder.svg")
"""


def timed(argv: list[str], *, first_line: bool = False) -> float:
    """Median seconds for ``argv`` to finish (or to print its first line)."""
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL) as p:
            assert p.stdout is not None
            if first_line:
                p.stdout.readline()
                samples.append(time.perf_counter() - start)
                p.stdout.read()
            else:
                p.stdout.read()
        if not first_line:
            samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main() -> int:
    py = sys.executable
    rows = [
        ("python -c 'import simulator' (baseline)", timed([py, "-c", "import simulator"])),
        ("tcpsim list", timed([py, "-m", "simulator", "list"])),
        ("tcpsim run three_way_handshake", timed([py, "-m", "simulator", "run", "three_way_handshake"])),
        ("tcpsim demo --no-pause: first screen", timed([py, "-m", "simulator", "demo", "--no-pause"], first_line=True)),
        ("40-segment ladder diagram to SVG", timed([py, "-c", FORTY_SEGMENTS])),
    ]
    base = rows[0][1]
    print(f"tcpsim start-up benchmark (median of {RUNS} fresh processes, Python {sys.version.split()[0]})")
    print(f"{'what':<42}{'seconds':>9}{'vs import':>11}")
    for label, seconds in rows:
        print(f"{label:<42}{seconds:>9.3f}{seconds / base:>10.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
