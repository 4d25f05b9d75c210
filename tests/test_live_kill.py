"""A killed live command leaves nothing behind: no tcpdump, no user command, no namespace, no folder.

Each long-running command (``probe``, ``capture``, ``live``, and a program holding the ``Namespace``
the pytest fixture uses) is started, stopped mid-run with SIGTERM, SIGHUP or SIGKILL (sent to that
process alone, as ``kill`` and ``timeout`` do), then the next command runs; afterwards nothing of the
killed one may be left.  SIGTERM and SIGHUP are caught and cleaned up at once; SIGKILL cannot be
caught: its children die with it (PR_SET_PDEATHSIG), each namespace's guard process deletes the
namespace and kills what runs in it, and the next command's sweep removes the temporary folder.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from simulator.cli import main
from simulator.live.namespace import Namespace, existing
from simulator.system.lifetime import sweep_folders, temporary_folder

KILLS = [signal.SIGTERM, signal.SIGKILL]


@pytest.fixture
def root_with_tools() -> None:
    from simulator.live.pytest_plugin import namespace_or_skip

    namespace_or_skip(["tcpdump", "iptables"], "run the kill tests")


def _processes_with(marker: str) -> list[int]:
    """The processes whose command line contains ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if marker in cmdline and state != "Z":
            found.append(int(entry.name))
    return found


def _namespaces_of(pid: int) -> list[str]:
    return [n for n in existing() if n.startswith(f"tcpsim-{pid}-")]


def _folders_of(pid: int) -> list[Path]:
    return [p for p in Path(tempfile.gettempdir()).glob(f"tcpsim-*-{pid}-*")]


def _until(condition: Callable[[], object], what: str, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"never happened: {what}")


def _start(argv: list[str]) -> subprocess.Popen[str]:
    # a session of its own: the signal goes to this process alone, not to pytest
    command = [sys.executable, "-m", "simulator", *argv]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def _stop(child: subprocess.Popen[str], signum: int) -> str:
    os.kill(child.pid, signum)
    if signum == signal.SIGKILL:  # (its pipes may still be held by what it started: do not wait on them)
        child.wait(timeout=60)
        return ""
    _, err = child.communicate(timeout=60)
    assert "Traceback" not in err, err
    assert child.returncode in (128 + signum, -signum), err
    return err


def _assert_nothing_left(pid: int, markers: list[str]) -> None:
    def clean() -> bool:
        return not _namespaces_of(pid) and not _folders_of(pid) and not any(_processes_with(m) for m in markers)

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not clean():
        time.sleep(0.05)
    assert not _namespaces_of(pid), "a namespace was left"
    assert not _folders_of(pid), "a temporary folder was left"
    for marker in markers:
        assert not _processes_with(marker), f"a process was left: {marker}"
    links = subprocess.run(["ip", "link"], capture_output=True, text=True).stdout
    assert "tcpsim0" not in links, "a TUN device was left on the host"


@pytest.fixture
def silent_port():
    """A loopback port whose SYNs are never answered: its accept queue is full (Linux drops the SYN)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = []
    for _ in range(3):  # a backlog of 0 still queues one: fill it
        filler = socket.socket()
        filler.setblocking(False)
        filler.connect_ex(("127.0.0.1", port))
        fillers.append(filler)
    time.sleep(0.2)
    yield port
    for s in [*fillers, server]:
        s.close()


@pytest.mark.usefixtures("root_with_tools")
@pytest.mark.parametrize("signum", [*KILLS, signal.SIGHUP])
def test_a_killed_probe_of_a_loopback_port_leaves_no_tcpdump_and_no_folder(signum, silent_port):
    child = _start(["probe", f"127.0.0.1:{silent_port}", "--timeout", "30"])
    folder = f"tcpsim-probe-{child.pid}-"
    _until(lambda: _processes_with(folder), "tcpdump started for the probe")
    _stop(child, signum)
    assert main(["probe", "127.0.0.1:9", "--timeout", "1", "--json"]) == 0  # the next command
    _assert_nothing_left(child.pid, [folder])


@pytest.mark.usefixtures("root_with_tools")
@pytest.mark.parametrize("signum", KILLS)
def test_a_killed_probe_of_the_filtered_example_leaves_no_namespace(signum, capsys):
    child = _start(["probe", "--example", "filtered", "--timeout", "30"])
    folder = f"tcpsim-probe-{child.pid}-"
    _until(lambda: _processes_with(folder), "tcpdump started in the namespace")
    _stop(child, signum)
    assert main(["probe", "--example", "closed", "--timeout", "2"]) == 0  # the next command
    _assert_nothing_left(child.pid, [folder])


@pytest.mark.usefixtures("root_with_tools")
@pytest.mark.parametrize("signum", [*KILLS, signal.SIGHUP])
def test_a_killed_capture_leaves_no_command_no_tcpdump_and_no_namespace(signum, tmp_path, capsys):
    pcap = tmp_path / "killed.pcap"
    # the user's command starts a second one in the background: only the sweep can find that one
    marker = f"{417 + signum}.{os.getpid()}"
    script = f"sleep {marker} & sleep {marker}; wait"
    child = _start(["capture", "-o", str(pcap), "--", "sh", "-c", script])
    _until(lambda: len(_processes_with(f"sleep {marker}")) >= 2, "the command and its background job run")
    _until(lambda: _processes_with(str(pcap)), "tcpdump runs")
    _stop(child, signum)
    assert main(["capture", "-o", str(tmp_path / "next.pcap"), "--brief", "--", "true"]) in (
        0,
        1,
        2,
    )  # (nothing to check)
    _assert_nothing_left(child.pid, [f"sleep {marker}", str(pcap)])


@pytest.mark.usefixtures("root_with_tools")
@pytest.mark.parametrize("signum", KILLS)
def test_a_killed_live_run_leaves_no_namespace_and_no_tun_device(signum, tmp_path, capsys):
    pcap = tmp_path / "killed.pcapng"
    child = _start(["live", "zero_window", "--kernel", "client", "--pcap", str(pcap), "-o", "-"])
    assert child.stdout is not None
    child.stdout.readline()  # the header
    child.stdout.readline()  # the first segment: the namespace and TUN device are there
    assert _namespaces_of(child.pid)
    _stop(child, signum)
    assert main(["probe", "--example", "closed", "--timeout", "2"]) == 0  # the next command
    _assert_nothing_left(child.pid, [])
    assert not pcap.exists()  # never a half-written capture under its name


@pytest.mark.usefixtures("root_with_tools")
@pytest.mark.parametrize("signum", KILLS)
def test_a_killed_program_holding_a_namespace_leaves_nothing_running_in_it(signum):
    """What the ``tcp_capture`` fixture holds: a namespace, tcpdump in it, a server started inside."""
    marker = f"{517 + signum}.{os.getpid()}"
    program = (
        "import subprocess, sys, time, tempfile\n"
        "from pathlib import Path\n"
        "from simulator.live.namespace import Namespace\n"
        "from simulator.system.lifetime import die_with_parent\n"
        "with Namespace() as ns, tempfile.TemporaryDirectory() as d, ns.tcpdump(Path(d) / 'x.pcap'):\n"
        f"    subprocess.Popen(ns.command(['sh', '-c', 'sleep {marker} & wait']), preexec_fn=die_with_parent())\n"
        "    print('in', flush=True)\n"
        "    time.sleep(60)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", program], stdout=subprocess.PIPE, text=True, start_new_session=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "in"
    _until(lambda: _processes_with(f"sleep {marker}"), "the server runs in the namespace")
    os.kill(child.pid, signum)
    child.wait(timeout=60)
    with Namespace():  # the next one sweeps
        pass
    _assert_nothing_left(child.pid, [f"sleep {marker}"])


@pytest.mark.usefixtures("root_with_tools")
def test_a_namespace_is_deleted_when_its_program_is_killed_even_if_nothing_runs_next():
    """SIGKILL: no handler runs and no next command sweeps; the namespace's guard sees its pipe close, kills
    what runs inside and deletes the namespace."""
    marker = f"617.{os.getpid()}"
    program = (
        "import subprocess, time\n"
        "from simulator.live.namespace import Namespace\n"
        "with Namespace() as ns:\n"
        f"    subprocess.Popen(ns.command(['sh', '-c', 'sleep {marker} & wait']), start_new_session=True)\n"
        "    print('in', flush=True)\n"
        "    time.sleep(60)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", program], stdout=subprocess.PIPE, text=True, start_new_session=True)
    assert child.stdout is not None and child.stdout.readline().strip() == "in"
    _until(lambda: _processes_with(f"sleep {marker}"), "a process runs in the namespace")
    assert _namespaces_of(child.pid)
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=60)
    _until(lambda: not _namespaces_of(child.pid), "the guard deleted the namespace")
    _until(lambda: not _processes_with(f"sleep {marker}"), "the guard killed what ran inside")


def test_the_sweep_removes_folders_of_dead_processes_only(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    stale = tmp_path / f"tcpsim-probe-{int(dead.stdout)}-abc"
    mine = tmp_path / f"tcpsim-probe-{os.getpid()}-abc"
    other = tmp_path / "tcpsim-check-abcdefgh"  # not named after a process: never touched
    for folder in (stale, mine, other):
        folder.mkdir()
        (folder / "x.pcap").write_bytes(b"x")
    assert sweep_folders(tmp_path) == [stale]
    assert mine.exists() and other.exists() and not stale.exists()


def test_a_temporary_folder_carries_the_owner_process_id():
    with temporary_folder("probe") as folder:
        assert Path(folder).name.startswith(f"tcpsim-probe-{os.getpid()}-")
    assert not Path(folder).exists()


@pytest.mark.usefixtures("root_with_tools")
@pytest.mark.parametrize("signum", KILLS)
def test_a_killed_pytest_run_using_the_tcp_capture_fixture_leaves_nothing(signum, tmp_path):
    test_file = tmp_path / "test_student.py"
    test_file.write_text(
        "import time\n\n\ndef test_waits(tcp_capture):\n"
        "    with tcp_capture.inside():\n        print('in', flush=True)\n        time.sleep(60)\n"
    )
    basetemp = tmp_path / "inner"
    command = [sys.executable, "-m", "pytest", "-s", "-q", "-p", "no:cacheprovider", f"--basetemp={basetemp}"]
    with (tmp_path / "out.txt").open("w") as out:
        child = subprocess.Popen(
            [*command, str(test_file)], stdout=out, stderr=out, start_new_session=True, cwd=tmp_path
        )
    _until(lambda: _namespaces_of(child.pid) and _processes_with(str(basetemp)), "the fixture's namespace and tcpdump")
    os.kill(child.pid, signum)
    try:
        child.wait(timeout=60)
    except subprocess.TimeoutExpired:
        child.kill()
        pytest.fail((tmp_path / "out.txt").read_text()[-3000:])
    with Namespace():  # the next one sweeps
        pass
    _assert_nothing_left(child.pid, [str(basetemp)])
