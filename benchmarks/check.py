"""Benchmark: `tcpsim check` on a 1,000,000-packet capture, beside tshark's TCP analysis of the same file.

    python -m benchmarks.check            # 1,000,000 packets, 100,000 connections
    python -m benchmarks.check -n 100000
    python -m benchmarks.check --repeat 3 # tshark and tcpsim side by side, three times: the ratios

Both run as child processes on the same capture (see benchmarks/capture_import.py
for what it holds), with their output thrown away: ``tcpsim check FILE --brief``
(every packet classified and given both states; ``--brief`` leaves out its sentence), the default
output (with the sentences), and ``tshark -r FILE -T fields -e tcp.analysis.flags`` (tshark's TCP
analysis).  The machine may be shared: tshark and tcpsim run one after the other, ``--repeat`` times,
and each round's ratio is printed, then the median.
Peak memory is the largest resident set size of the child or of any process it waited for
(with ``--jobs 2``: the larger of the two workers, each of which holds only its own connections).
``--jobs 2`` is what ``tcpsim check`` chooses by itself for a capture this size on two cores.
On a machine with more cores it uses more workers; what one of them does is measured too, on
one core: a worker's share of 2, 4 and 8 (each still reads every record of the file; what two workers take
beyond one's share of 2 alone is what running side by side costs).  Last, what
one packet costs on one core, stage by stage, measured in this process: what the 3x goal is up against.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.capture_import import generated_capture, make_transfer
from simulator.capture.checkpool import check_serial
from simulator.capture.connections import Share, Tally


def measure(command: list[str]) -> tuple[float, float, int, float]:
    """Seconds, peak RSS in MB, exit status and CPU seconds (user and system, its workers' too) of
    ``command`` run as a child with its output discarded.  On a machine shared with other work the CPU
    seconds move less than the wall seconds."""
    pid_start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - pid_start
    return seconds, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status), usage.ru_utime + usage.ru_stime


TSHARK_LABEL = "tshark -r FILE -T fields -e tcp.analysis.flags"


def row(label: str, seconds: float, count: int, peak: float, cpu: float) -> None:
    print(f"{label:<52}{seconds:>9.2f}{count / seconds:>12,.0f}{peak:>9.0f}{cpu:>9.2f}")


def ours(path: Path, count: int, jobs: str, *, brief: bool = True) -> float:
    """Run ``tcpsim check`` (``--brief`` by default) on ``path``, print its row, and return its seconds."""
    command = [sys.executable, "-m", "simulator", "check", str(path), *(["--brief"] if brief else []), "--jobs", jobs]
    seconds, peak, status, cpu = measure(command)
    assert status == 0, f"tcpsim check exited with {status}: the generated connections should all conform"
    row(f"tcpsim check FILE{' --brief' if brief else ''} --jobs {jobs}", seconds, count, peak, cpu)
    return seconds


SHARE = """
import gc, sys
from simulator.capture.connections import Share, Tally
from simulator.capture.checker import SWEEP
from simulator.capture.checkpool import check_serial
gc.set_threshold(10_000, 10, 10)  # as tcpsim check sets it
for checked in check_serial(sys.argv[1], Tally(), brief=True, share=Share(0, int(sys.argv[2]), sweep_every=SWEEP)):
    checked.write(sys.stdout)
"""


def share(path: Path, count: int, workers: int) -> None:
    """Time one worker's share of ``workers`` on one core: the most a worker does on a machine with that many cores."""
    seconds, peak, status, cpu = measure([sys.executable, "-c", SHARE, str(path), str(workers)])
    assert status == 0, f"a share of {workers} exited with {status}"
    row(f"one worker of {workers} (its share, on one core)", seconds, count, peak, cpu)


def theirs(tshark: str | None, path: Path, count: int) -> float | None:
    """Run tshark's TCP analysis on ``path``, print its row, and return its seconds (None without tshark)."""
    if tshark is None:
        print("tshark: not installed (apt-get install tshark), no comparison")
        return None
    seconds, peak, _, cpu = measure([tshark, "-r", str(path), "-T", "fields", "-e", "tcp.analysis.flags"])
    row(TSHARK_LABEL, seconds, count, peak, cpu)
    return seconds


def stages(path: Path, count: int) -> None:
    """What one packet costs on one core, in this process, stage by stage: each stage runs the ones before it
    again, and its row says what it adds (docs/benchmarks.md's "why not 3x" is made of these rows)."""
    from simulator.capture.checker import checked_in_order
    from simulator.capture.connections import stream
    from simulator.capture.reader import mapped, records

    def read() -> None:
        with mapped(path) as data:
            for _ in records(data):
                pass

    def passed_over() -> None:
        for _ in stream(path, Tally(), share=Share(0, 1 << 62)):  # a share that holds (almost) none of them
            pass

    def followed() -> None:
        for _ in stream(path, Tally()):
            pass

    def checked() -> None:
        for _ in checked_in_order(path, Tally()):
            pass

    def rendered() -> None:
        with open(os.devnull, "w") as out:
            for report in check_serial(path, Tally(), brief=True):
                report.write(out)

    gc.set_threshold(10_000, 10, 10)  # as tcpsim check sets it
    print(f"one packet on one core, stage by stage (microseconds a packet, {count:,} packets):")
    print(f"  {'stage':<50}{'in all':>8}{'adds':>8}")
    before = 0.0
    for label, stage, base in (
        ("read its record", read, False),
        ("read it and pass over it (another worker's)", passed_over, True),
        ("read it, find its connection and follow it", followed, True),
        ("... move both observers, label and explain it", checked, False),
        ("... render and write its row (--brief)", rendered, False),
    ):
        start = time.perf_counter()
        stage()
        micros = (time.perf_counter() - start) / count * 1e6
        print(f"  {label:<50}{micros:>8.2f}{micros - before:>+8.2f}")
        if not base or label.startswith("read it,"):
            before = micros


def side_by_side(tshark: str | None, path: Path, count: int, rounds: int) -> None:
    """tshark, ``--brief`` and the default output (two workers), one after the other, ``rounds`` times:
    each round's ratios (tshark's seconds over ours), then their medians."""
    brief: list[float] = []
    full: list[float] = []
    for _ in range(rounds):
        reference = theirs(tshark, path, count)
        fast, said = ours(path, count, "2"), ours(path, count, "2", brief=False)
        if reference is not None:
            brief.append(reference / fast)
            full.append(reference / said)
            print(f"  this round: --brief {brief[-1]:.2f}x tshark's speed, the default output {full[-1]:.2f}x")
    if brief:
        print(
            f"tcpsim check runs at {statistics.median(brief):.2f}x tshark's speed with --brief (goal: 3x) and "
            f"{statistics.median(full):.2f}x with its sentences (goal: 1.5x), median of {len(brief)}; "
            "peak memory: the column above (goal: under 200 MB)"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--repeat", type=int, default=1, help="rounds of tshark and tcpsim side by side")
    own, rest = parser.parse_known_args(argv)
    tshark = shutil.which("tshark")
    with generated_capture(rest, __doc__) as (path, count):
        print(f"check benchmark: {count:,} packets ({count // 10:,} connections), {path.stat().st_size / 1e6:.0f} MB")
        print(f"{'analyser':<52}{'seconds':>9}{'packets/s':>12}{'peak MB':>9}{'cpu s':>9}")
        ours(path, count, "1")
        share(path, count, 2)
        share(path, count, 4)
        share(path, count, 8)
        side_by_side(tshark, path, count, max(own.repeat, 1))
        with tempfile.TemporaryDirectory() as tmp:
            # A long connection is checked through a window of packets, its reports kept in a file: what that costs.
            transfer = Path(tmp) / "transfer.pcap"
            packets = make_transfer(transfer, 100_000)
            print(f"one connection of {packets:,} packets ({transfer.stat().st_size / 1e6:.0f} MB):")
            ours(transfer, packets, "1")
            theirs(tshark, transfer, packets)
        # Last: it runs in this process, whose memory a child started after it would count as its own at the fork.
        stages(path, count)
    return 0


if __name__ == "__main__":
    sys.exit(main())
