"""The benchmarks still run (a small capture, no timing asserted: speed is the benchmarks' own business)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.slow
def test_the_check_benchmark_runs_and_prints_every_row():
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.check", "-n", "2000"], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    for row in (
        "tcpsim check FILE --brief --jobs 1",
        "tcpsim check FILE --brief --jobs 2",
        "one worker of 8 (its share, on one core)",
        "read it and pass over it (another worker's)",
        "... render and write its row (--brief)",
        "one connection of 150,006 packets",
    ):
        assert row in done.stdout, done.stdout


@pytest.mark.slow
def test_the_packetdrill_benchmark_runs_each_suite_it_finds():
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.packetdrill", "--runs", "1"], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    for suite in ("tcp-testsuite", "packetdrill-linux"):
        assert suite in done.stdout, done.stdout


def test_the_congestion_benchmark_runs_every_algorithm_and_checks_the_data():
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.congestion", "--mb", "1"], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    rows = [line.split()[0] for line in done.stdout.splitlines()[2:5]]
    assert rows == ["none", "reno", "cubic"], done.stdout
