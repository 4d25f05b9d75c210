"""A check that is killed leaves nothing behind: no worker, no temporary folder (issue 26, item 3).

``tcpsim check`` on a large capture runs two workers and keeps long reports in a
``tcpsim-check-PID-*`` folder.  SIGTERM (what ``timeout``, CI runners and ``kill`` send) ends it
as Ctrl-C does; after SIGKILL, which no handler sees, the workers learn of it from the kernel
(PR_SET_PDEATHSIG) and remove the folder themselves; a folder left by a check killed where no
process was left to remove it is removed by the next check.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks.capture_import import make_capture
from simulator.cli import main
from simulator.system import lifetime

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc (Linux)"),
]


def children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.add(int(stat.parent.name))
    return found


def until(condition, seconds: float = 30.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.fixture(scope="module")
def large(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("kill") / "many.pcap"
    make_capture(path, 300_000)  # some 17 MB: seconds of work for two workers
    return path


def running_check(large: Path, tmp: Path) -> tuple[subprocess.Popen[bytes], set[int]]:
    """A parallel check under way: its process, with its two workers started and its folder made."""
    env = {**os.environ, "TMPDIR": str(tmp)}
    command = [sys.executable, "-m", "simulator", "check", str(large), "--brief", "--jobs", "2"]
    check = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    assert until(lambda: len(children(check.pid)) >= 2 and any(tmp.iterdir())), "the check did not start its workers"
    return check, children(check.pid)


@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_killed_check_leaves_no_worker_and_no_folder(large, tmp_path, how):
    check, workers = running_check(large, tmp_path)
    assert next(p.name for p in tmp_path.iterdir()).startswith(f"tcpsim-check-{check.pid}-")
    check.send_signal(how)
    status = check.wait(timeout=30)
    assert status == (143 if how == signal.SIGTERM else -signal.SIGKILL)
    if how == signal.SIGTERM:
        assert check.stderr is not None and b"Traceback" not in check.stderr.read()
    assert until(lambda: not any(lifetime.running(pid) for pid in workers)), "a worker outlived its check"
    assert until(lambda: not any(tmp_path.iterdir())), f"left behind: {list(tmp_path.iterdir())}"


def test_the_next_check_removes_the_folder_of_a_check_that_is_gone(tmp_path, monkeypatch):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    stale = tmp_path / f"tcpsim-check-{gone.pid}-x1y2"
    (stale / "sub").mkdir(parents=True)
    mine = tmp_path / f"tcpsim-check-{os.getpid()}-z3"  # a check still running (this one)
    mine.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path))
    capture = Path(__file__).parent / "data" / "linux-loopback.pcap"
    assert main(["check", str(capture), "--brief"]) == 0
    assert not stale.exists() and mine.exists()
