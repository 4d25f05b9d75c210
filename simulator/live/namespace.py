"""Private network namespaces: made, configured, entered, always deleted again.

A ``Namespace`` is a context manager.  Leaving it deletes the namespace and kills
whatever still runs inside, whatever happened: an exception, Ctrl-C (SIGINT),
SIGTERM or SIGHUP (turned into ``SystemExit`` while a namespace is open, see
``system.lifetime``).  SIGKILL cannot be caught, so each namespace has a guard: a
small shell in a session of its own that holds the read end of a pipe whose write
end only this process holds.  When this process dies, however it dies, the pipe
closes and the guard kills what still runs inside and deletes the namespace; when
the namespace is deleted as usual, this process tells the guard so first.  As a
second line, each new namespace sweeps those whose tcpsim process is gone (the
name carries the process id) and stale temporary folders.
"""

from __future__ import annotations

import ctypes
import ipaddress
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from ..model.errors import TcpsimError
from ..system.lifetime import die_with_parent, ending_on_signals, sweep_folders

PREFIX = "tcpsim-"
_CLONE_NEWNET = 0x40000000
_PACKAGE_OF = {"ip": "iproute2", "ethtool": "ethtool"}


class LiveError(TcpsimError):
    """Live traffic that cannot be made here (no root, a missing tool, an address off loopback)."""


def missing(tools: Sequence[str], *, what: str) -> str | None:
    """Why ``what`` cannot run on this machine (root and ``tools`` are needed), or None if it can."""
    if sys.platform != "linux":
        return f"{what} needs Linux network namespaces"
    if os.geteuid() != 0:
        return f"{what} needs root (to create a network namespace): run it as {sudo_command()}"
    for tool in tools:
        if shutil.which(tool) is None:
            return f"{what} needs {tool}: apt-get install {_PACKAGE_OF.get(tool, tool)}"
    return None


def sudo_command(argv: Sequence[str] | None = None) -> str:
    """This very command under sudo, by the full path of the tcpsim that runs it: sudo resets PATH, so a
    plain ``sudo tcpsim`` from a virtual environment finds no tcpsim, or another one."""
    words = list(sys.argv if argv is None else argv)
    if not words or Path(words[0]).name != "tcpsim":
        return "root (sudo)"
    return "sudo " + shlex.join([str(Path(shutil.which(words[0]) or words[0]).absolute()), *words[1:]])


def require(tools: Sequence[str], *, what: str) -> None:
    reason = missing(tools, what=what)
    if reason is not None:
        raise LiveError(reason)


def is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def _ip(*args: str) -> None:
    done = subprocess.run(["ip", *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise LiveError(f"ip {' '.join(args)}: {done.stderr.strip() or 'failed'}")


def existing() -> list[str]:
    """The namespaces tcpsim made that still exist (on this machine, by any process)."""
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return [line.split()[0] for line in out.splitlines() if line.startswith(PREFIX)]


def sweep() -> list[str]:
    """Clean up after tcpsim processes that no longer run (killed with SIGKILL): their temporary folders,
    then each of their namespaces: what still runs inside is killed, then the namespace is deleted.
    Namespaces whose owner still runs (another tcpsim on this machine) are left alone.  Returns the
    namespaces deleted."""
    sweep_folders()
    if sys.platform != "linux" or os.geteuid() != 0 or shutil.which("ip") is None:
        return []
    gone = []
    for name in existing():
        match = re.match(rf"{PREFIX}(\d+)-", name)
        if match and not Path(f"/proc/{match.group(1)}").exists():
            _kill_inside(name)
            subprocess.run(["ip", "netns", "del", name], capture_output=True)
            gone.append(name)
    return gone


# The guard: waits on its stdin; "done" means the namespace was deleted as usual; end of file
# without it means tcpsim is gone.  It ignores the terminal's signals (Ctrl-C reaches tcpsim, which
# deletes the namespace itself) and kills what runs inside before deleting the namespace.
_GUARD = """trap '' INT TERM HUP QUIT
read -r said
[ "$said" = done ] && exit 0
for _ in 1 2 3 4 5; do
    pids=$(ip netns pids "$1" 2>/dev/null)
    [ -z "$pids" ] && break
    kill -9 $pids 2>/dev/null
    sleep 0.05
done
ip netns del "$1" 2>/dev/null
"""


def _guard(name: str) -> tuple[subprocess.Popen[bytes], int]:
    """Start the guard of namespace ``name``; returns it and the write end of its pipe (this process's
    alone: not inherited by children, so a child that outlives tcpsim cannot keep the guard waiting)."""
    read, write = os.pipe()
    os.set_inheritable(write, False)
    guard = subprocess.Popen(
        ["sh", "-c", _GUARD, "tcpsim-guard", name], stdin=read, start_new_session=True, close_fds=True
    )
    os.close(read)
    return guard, write


def _kill_inside(name: str) -> None:
    """SIGKILL every process running in namespace ``name``, and wait (briefly) until they are gone."""
    for _ in range(50):
        done = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True)
        # (never this process: a thread of it may still be inside, see ``entered``)
        pids = [int(pid) for pid in done.stdout.split() if pid.isdigit() and int(pid) != os.getpid()]
        if not pids:
            return
        for pid in pids:
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.02)


class Namespace:
    """A fresh network namespace with its loopback up.

    ``mtu`` sets the loopback's MTU; ``offloads=False`` turns TSO, GSO and GRO
    off so that segments are MSS-sized as on a real link; ``loss`` drops that
    share of TCP packets at random after the capture point (an iptables
    ``statistic`` rule on INPUT inside the namespace, so on both directions of
    every connection).
    """

    _count = 0

    def __init__(self, *, mtu: int | None = None, offloads: bool = True, loss: float = 0.0) -> None:
        Namespace._count += 1
        self.name = f"{PREFIX}{os.getpid()}-{Namespace._count}"
        self.mtu = mtu
        self.offloads = offloads
        self.loss = loss
        self._signals: AbstractContextManager[None] | None = None
        self._guard: tuple[subprocess.Popen[bytes], int] | None = None

    def __enter__(self) -> Namespace:
        tools = ["ip"] + (["ethtool"] if not self.offloads else []) + (["iptables"] if self.loss else [])
        require(tools, what="tcpsim's private network namespace")
        sweep()
        self._signals = ending_on_signals()
        self._signals.__enter__()
        try:  # (a SIGTERM while it is being added deletes it too)
            self._guard = _guard(self.name)
            _ip("netns", "add", self.name)
            self._configure()
        except BaseException:
            self._delete()
            raise
        return self

    def _configure(self) -> None:
        self.run(["ip", "link", "set", "lo", "up"])
        if self.mtu is not None:
            self.run(["ip", "link", "set", "lo", "mtu", str(self.mtu)])
        if not self.offloads:
            self.run(["ethtool", "-K", "lo", "tso", "off", "gso", "off", "gro", "off"])
        if self.loss:
            # INPUT: on the loopback every packet passes it once, after tcpdump has seen it, so each is
            # lost on the way in with probability P and the sender must recover it.  (A DROP in OUTPUT
            # is reported back to the sending TCP as a local error, so it only delays data: no loss.)
            rule = ["-A", "INPUT", "-p", "tcp", "-m", "statistic", "--mode", "random"]
            rule += ["--probability", f"{self.loss:g}", "-j", "DROP"]
            for tool in ("iptables", "ip6tables") if shutil.which("ip6tables") else ("iptables",):
                self.run([tool, *rule])

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._delete()

    def _delete(self) -> None:
        """Stop what still runs inside (a server left in the background), then delete the namespace."""
        _kill_inside(self.name)
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True)
        if self._guard is not None:  # deleted: the guard may go
            guard, write = self._guard
            self._guard = None
            with suppress(OSError):
                os.write(write, b"done\n")
            os.close(write)
            guard.wait()
        if self._signals is not None:
            self._signals.__exit__(None, None, None)
            self._signals = None

    def command(self, argv: Sequence[str]) -> list[str]:
        """``argv`` run inside the namespace."""
        return ["ip", "netns", "exec", self.name, *argv]

    def run(self, argv: Sequence[str]) -> None:
        done = subprocess.run(self.command(argv), capture_output=True, text=True)
        if done.returncode != 0:
            raise LiveError(f"{' '.join(argv)} (in {self.name}): {done.stderr.strip() or 'failed'}")

    @contextmanager
    def entered(self) -> Iterator[None]:
        """Run this thread inside the namespace for the block: sockets and TUN devices opened
        there belong to it (and stay in it afterwards)."""
        libc = ctypes.CDLL(None, use_errno=True)
        own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
        target = os.open(f"/run/netns/{self.name}", os.O_RDONLY)
        try:
            if libc.setns(target, _CLONE_NEWNET) != 0:
                raise LiveError(f"cannot enter {self.name}: {os.strerror(ctypes.get_errno())}")
            try:
                yield
            finally:
                libc.setns(own, _CLONE_NEWNET)
        finally:
            os.close(own)
            os.close(target)

    def tcpdump(self, pcap: Path, expression: str = "tcp", snaplen: int = 262144) -> AbstractContextManager[DumpStats]:
        """tcpdump on the namespace's loopback while the block runs, writing ``pcap``."""
        return tcpdump(self.command([]), pcap, expression, snaplen)


@dataclass(slots=True)
class DumpStats:
    """What tcpdump says when it stops (filled in once the ``tcpdump`` block has ended)."""

    dropped: int = 0  # packets the kernel dropped before tcpdump could read them: missing from the capture


@contextmanager
def tcpdump(
    prefix: Sequence[str],
    pcap: Path,
    expression: str,
    snaplen: int = 262144,
    *,
    interface: str = "lo",
    buffer_kib: int = 32768,
) -> Iterator[DumpStats]:
    """tcpdump on ``interface`` (of the namespace that ``prefix`` runs commands in) while the block runs."""
    require(["tcpdump"], what="capturing packets")
    # --immediate-mode: without it libpcap's ring buffer loses packets when tcpdump is stopped.
    # -B 32768 (KiB): in immediate mode each ring slot holds a whole snap length, so the default 2 MiB
    # holds a handful of packets and a burst on the loopback overflows it (hundreds of "packets dropped
    # by kernel" in a 30 MB transfer); 32 MiB dropped none.  A small buffer makes tcpdump drop packets.
    argv = ["tcpdump", "-i", interface, "--immediate-mode", "-B", str(buffer_kib), "-U", "-Z", "root", "-n"]
    argv += ["-s", str(snaplen)]
    dump = subprocess.Popen(
        [*prefix, *argv, "-w", str(pcap), expression],
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=die_with_parent(),  # a SIGKILL of tcpsim must not leave a root tcpdump running
    )
    try:
        assert dump.stderr is not None
        line = dump.stderr.readline()  # "listening on lo, ..." once it captures
        if line.startswith("tcpdump: data link type"):  # said first on "any" (Linux cooked, SLL2)
            line = dump.stderr.readline()
        if "listening" not in line:
            raise LiveError(f"tcpdump did not start: {line.strip() or dump.stderr.read().strip()}")
        stats = DumpStats()
        yield stats
        _settled(pcap)
    finally:
        if dump.poll() is None:
            dump.send_signal(signal.SIGINT)
        try:
            dump.wait(timeout=20)
        except subprocess.TimeoutExpired:
            dump.kill()
            dump.wait()
    stats.dropped = dropped_by_kernel(dump.stderr.read() if dump.stderr else "")


def dropped_by_kernel(last_words: str) -> int:
    """How many packets tcpdump says the kernel dropped, from what it prints when it stops:
    "N packets captured", "N packets received by filter", "N packets dropped by kernel"."""
    found = re.search(r"(\d+) packets? dropped by kernel", last_words)
    return int(found.group(1)) if found else 0


def _settled(pcap: Path, quiet: float = 0.3, longest: float = 5.0) -> None:
    """Wait until tcpdump has written the last packets: the file has not grown for ``quiet`` seconds
    (a loaded machine can keep tcpdump behind the traffic for longer than any fixed pause)."""
    deadline = time.monotonic() + longest
    size, still_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        now_size = pcap.stat().st_size if pcap.exists() else 0
        if now_size != size:
            size, still_since = now_size, time.monotonic()
        elif time.monotonic() - still_since >= quiet:
            return
        time.sleep(0.05)
