"""A pytest plugin: test your own TCP program in a private namespace and assert on its packets.

Installed with tcpsim (entry point ``pytest11``), it gives every test the
``tcp_capture`` fixture.  Inside ``with tcp_capture.inside():`` sockets (and
threads started there) live in a fresh network namespace with only a loopback
interface, while tcpdump records its TCP; ``tcp_capture.command([...])`` runs
a program in it.  Afterwards ``tcp_capture.connections()`` returns the
captured connections, each with assertion helpers::

    def test_echo(tcp_capture):
        with tcp_capture.inside():
            run_my_echo_server_and_client()
        (conn,) = tcp_capture.connections()
        conn.assert_handshake_completed()
        conn.assert_closed_gracefully()
        conn.assert_conforms()
        conn.assert_delivered(client=5, server=5)

Without root (or without ip and tcpdump) the test is skipped with the reason;
with CI=true in the environment it fails instead, so CI cannot skip it by accident.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import NoReturn

import pytest

from ..capture.checker import ConnectionReport, check
from ..capture.checker import render as render_report
from ..capture.connections import Connection, read, zeek_state
from ..model.segment import Flags
from .namespace import Namespace, missing


def namespace_or_skip(tools: Sequence[str], purpose: str) -> None:
    """Skip (on a laptop) or fail (under CI=true) when this machine cannot make a namespace with ``tools``."""
    reason = missing(["ip", *tools], what=purpose)
    if reason is not None:
        unavailable(reason)


def tool_or_skip(name: str) -> str:
    """The path of the command ``name``; without it the test skips (on a laptop) or fails (under CI=true)."""
    return shutil.which(name) or unavailable(f"{name} is not installed (apt-get install {name})")


def unavailable(reason: str) -> NoReturn:
    """Skip the test on a laptop; fail it under CI=true, where every tool is installed, so that CI cannot skip
    it by accident."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run this test, but {reason}")
    pytest.skip(reason)


class CapturedConnection:
    """One captured TCP connection with the questions a test asks of it."""

    def __init__(self, conn: Connection) -> None:
        self.connection = conn
        self.report: ConnectionReport = check(conn)

    @property
    def zeek_state(self) -> str:
        return zeek_state(self.connection)

    def _sent_by(self, side: tuple[str, int]) -> list[Flags]:
        conn = self.connection
        return [p.segment.flags for p in conn.packets if p.sender == side]

    @property
    def client(self) -> tuple[str, int]:
        return self.connection.a

    @property
    def server(self) -> tuple[str, int]:
        return self.connection.b

    def _peer(self, side: tuple[str, int]) -> tuple[str, int]:
        return self.connection.b if side == self.connection.a else self.connection.a

    def delivered(self, side: tuple[str, int]) -> int:
        """Bytes sent by ``side`` that its peer acknowledged (SYN and FIN not counted)."""
        conn = self.connection
        peer = self._peer(side)
        acks = [conn.relative_ack(p.segment) for p in conn.packets if p.sender == peer]
        # the ack counts the SYN (and the FIN once it is acknowledged) besides the bytes
        return max(0, max(acks, default=1) - 1 - int(self._fin_acked(side)))

    def _fin_acked(self, side: tuple[str, int]) -> bool:
        conn = self.connection
        fins = [p.segment for p in conn.packets if p.segment.flags & Flags.FIN and p.sender == side]
        if not fins:
            return False
        fin_end = conn.relative_seq(fins[-1]) + len(fins[-1].payload) + 1
        peer = self._peer(side)
        return any(conn.relative_ack(p.segment) >= fin_end for p in conn.packets if p.sender == peer)

    def assert_handshake_completed(self) -> None:
        client, server = self._sent_by(self.client), self._sent_by(self.server)
        syn, synack = Flags.SYN, Flags.SYN | Flags.ACK
        ok = any(f & synack == syn for f in client) and any(f & synack == synack for f in server)
        ok = ok and any(f & (Flags.SYN | Flags.ACK | Flags.RST) == Flags.ACK for f in client)
        assert ok, f"the three-way handshake did not complete (Zeek state {self.zeek_state}): {self._summary()}"

    def assert_closed_gracefully(self) -> None:
        resets = [p for p in self.connection.packets if p.segment.flags & Flags.RST]
        assert not resets, f"the connection ended with a RST (packet {resets[0].number}), not with FINs"
        for side in (self.client, self.server):
            assert self._fin_acked(side), f"{side[0]}:{side[1]} never had its FIN acknowledged: {self._summary()}"

    def assert_conforms(self) -> None:
        assert self.report.conforms, "\n".join(["the connection departs from the model:", *render_report(self.report)])

    def assert_delivered(self, *, client: int | None = None, server: int | None = None) -> None:
        """Exactly ``client`` bytes went from client to server (and ``server`` back), acknowledged."""
        for name, side, want in (("client", self.client, client), ("server", self.server, server)):
            if want is not None:
                got = self.delivered(side)
                assert got == want, f"the {name} delivered {got} bytes, not {want}"

    def _summary(self) -> str:
        return ", ".join(p.segment.flags.names for p in self.connection.packets[:12])


class TcpCapture:
    """A private namespace with tcpdump running on its loopback (the ``tcp_capture`` fixture)."""

    def __init__(self, ns: Namespace, pcap: Path, stack: ExitStack) -> None:
        self.namespace = ns
        self.pcap = pcap
        self._stack = stack
        self._connections: list[CapturedConnection] | None = None

    @contextmanager
    def inside(self) -> Iterator[None]:
        """Sockets made and threads started in this block belong to the private namespace."""
        with self.namespace.entered():
            yield

    def command(self, argv: Sequence[str], **kwargs: object) -> subprocess.CompletedProcess[str]:
        """Run a program inside the namespace (check=True, text output captured)."""
        return subprocess.run(self.namespace.command(argv), check=True, capture_output=True, text=True, **kwargs)  # type: ignore[call-overload, no-any-return]

    def connections(self) -> list[CapturedConnection]:
        """Stop capturing and return every TCP connection seen, in order."""
        if self._connections is None:
            self._stack.close()  # stops tcpdump; the namespace goes when the test ends
            self._connections = [CapturedConnection(c) for c in read(self.pcap).connections]
        return self._connections


@pytest.fixture
def tcp_capture(tmp_path: Path) -> Iterator[TcpCapture]:
    """A private network namespace for the test's traffic, captured with tcpdump."""
    namespace_or_skip(["tcpdump"], "the tcp_capture fixture")
    with Namespace() as ns, ExitStack() as dump:
        pcap = tmp_path / "tcp_capture.pcap"
        dump.enter_context(ns.tcpdump(pcap))
        yield TcpCapture(ns, pcap, dump)
