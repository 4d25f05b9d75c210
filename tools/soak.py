"""The checker against real Linux traffic, at random: a soak run by hand (as root).

    python -m tools.soak --runs 40             # runs with seeds 1..40
    python -m tools.soak --seed 187            # run 187 again
    python -m tools.soak --runs 40 --tshark    # and compare the labels with tshark's
    python -m tools.soak --kinds fast_open,refused   # only conversations of these kinds

Each run sets up, from its seed, what makes a real capture messy: one network namespace (its
loopback) or two joined by a veth pair, a wire, captured at the client's end or the server's; a
share of TCP packets lost after the capture point (iptables); tcpdump with a small buffer, so that
it drops packets; a short snap length; a capture that starts after the conversations; packets
duplicated on the way (iptables TEE); on a wire, a share of packets sent by a second, slower veth
pair (a rate-limited queue, chosen at random by a firewall mark), so that they arrive out of order
and some are lost there (the capture then listens on every interface); TSO/GSO on or off; the MTU;
SACK, D-SACK, timestamps, window scaling and ECN on or off.  Then sixteen
conversations of random kinds run at once (echo, bulk, half-close, an SO_LINGER 0 abort from
either side, a receiver that stops reading, a simultaneous close, urgent data, keep-alives, a
reused port, a small MSS, Nagle, data both ways, a closed port, TCP Fast Open, a simultaneous open, a
socket connected to itself, a close with data unread, a clamped window, six clients for a backlog of one),
and the capture is checked.  Every
conversation of a Linux kernel should conform: a departure is a checker bug, or a choice of the
kernel's the model does not know.  The capture of a run with a departure (or a difference from
tshark) is kept, to look at with ``tcpsim check``.  Exit status 1 when a run found something.

It is not part of ``pytest``: a run takes several seconds, and finds what it finds by chance
(tests/test_soak.py runs one lossless run, so that this script keeps working).  What it has
found is in tests/test_check_*.py as hand-made captures.
"""

from __future__ import annotations

import argparse
import random
import shutil
import socket
import struct
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path

from simulator.capture.checker import ConnectionReport, check
from simulator.capture.connections import read
from simulator.live.namespace import DumpStats, Namespace, tcpdump
from simulator.model.errors import TcpsimError

SYSCTLS = {  # each on or off at random (per namespace: they do not touch the machine's own)
    "net.ipv4.tcp_sack": (1, 1, 0),
    "net.ipv4.tcp_dsack": (1, 0),
    "net.ipv4.tcp_timestamps": (1, 1, 0),
    "net.ipv4.tcp_window_scaling": (1, 1, 0),
    "net.ipv4.tcp_ecn": (2, 1),  # 1: ask for ECN on every SYN; 2 (Linux's default): only answer it
}
FAST_OPEN = {"net.ipv4.tcp_fastopen": 3}  # clients and servers may use it (only the fast_open kind asks to)
WIRE = {"client": ("10.99.0.1", "fd99::1"), "server": ("10.99.0.2", "fd99::2")}  # inside the namespaces only
DETOUR = {"client": ("10.98.0.1", "fd98::1"), "server": ("10.98.0.2", "fd98::2")}  # the slower second link's
WHOLE = 262144  # a snap length that keeps every packet whole


@dataclass(frozen=True)
class Setting:
    """How one run makes its capture messy."""

    wire: bool  # two namespaces joined by veth (else one namespace's loopback)
    capture_at: str  # on a wire: "client" or "server"
    loss: float  # share of TCP packets lost on input, after the capture point
    duplicate: float  # share of TCP packets sent twice (a copy made after the sender's capture point)
    reorder: float  # on a wire: share of TCP packets sent by the slower detour, to arrive out of order
    buffer_kib: int  # tcpdump's buffer: a small one drops packets
    snaplen: int
    late: float  # seconds the capture starts after the conversations
    mtu: int | None
    offloads: bool  # TSO, GSO and GRO
    sysctls: dict[str, int] = field(default_factory=dict)

    @classmethod
    def drawn(cls, rng: random.Random) -> Setting:
        return cls(
            wire=rng.random() < 0.5,
            capture_at=rng.choice(["client", "server"]),
            loss=rng.choice([0.0, 0.02, 0.05, 0.1, 0.2]),
            duplicate=rng.choice([0.0, 0.0, 0.01, 0.05]),
            reorder=rng.choice([0.0, 0.0, 0.05, 0.2]),
            buffer_kib=rng.choice([32768, 32768, 32768, 64, 128]),
            snaplen=rng.choice([WHOLE, WHOLE, 200, 96, 80, 66]),
            late=rng.choice([0.0, 0.0, 0.0, 0.3]),
            mtu=rng.choice([None, 1500, 9000]),
            offloads=rng.random() < 0.5,
            sysctls={name: rng.choice(values) for name, values in SYSCTLS.items()},
        ).possible()

    def possible(self) -> Setting:
        """The setting, without a detour where there is no wire to go beside."""
        return self if self.wire else replace(self, reorder=0.0)

    def describe(self) -> str:
        where = f"a wire captured at the {self.capture_at}" if self.wire else "a loopback"
        off = [name.rsplit(".", 1)[1].removeprefix("tcp_") for name, value in self.sysctls.items() if not value]
        return (
            f"{where}, loss {self.loss:.0%}"
            + (f", duplicates {self.duplicate:.0%}" if self.duplicate else "")
            + (f", {self.reorder:.0%} by a slower path" if self.reorder else "")
            + f", tcpdump buffer {self.buffer_kib} KiB, snap length {self.snaplen}"
            + (f", capture {self.late} s late" if self.late else "")
            + (f", MTU {self.mtu}" if self.mtu else "")
            + ("" if self.offloads else ", offloads off")
            + (f", {' '.join(off)} off" if off else "")
            + (", ECN asked for" if self.sysctls.get("net.ipv4.tcp_ecn") == 1 else "")
        )


# ----------------------------------------------------------------------------------- conversations
Act = Callable[[socket.socket], None]


@dataclass
class Conversation:
    """What the client and the server of one connection do (each given its connected socket)."""

    client: Act
    server: Act
    client_options: list[tuple[int, int, int]] = field(default_factory=list)  # set before connect
    server_options: list[tuple[int, int, int]] = field(default_factory=list)  # set on the listener
    rounds: int = 1  # connections one after the other
    same_port: bool = False  # every round from the same client port (a reused port)
    refused: bool = False  # nothing listens: the client's SYN is answered with a RST
    syn_data: bytes = b""  # sent with the client's SYN (TCP Fast Open, RFC 7413) instead of connect()


def read_all(s: socket.socket, pause: float = 0.0) -> int:
    got = 0
    while data := s.recv(65536):
        got += len(data)
        time.sleep(pause)
    return got


def exactly(s: socket.socket, count: int) -> None:
    while count > 0 and (data := s.recv(count)):
        count -= len(data)


def drain(s: socket.socket) -> None:
    with suppress(OSError):  # also in a thread of its own, whose socket may be closed under it
        read_all(s)


def echo_server(s: socket.socket) -> None:
    while data := s.recv(3000):
        s.sendall(data)


def abort(s: socket.socket) -> None:
    """Close with SO_LINGER 0: a RST instead of a FIN."""
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def conversation(kind: str, rng: random.Random) -> Conversation:
    tcp, sol = socket.IPPROTO_TCP, socket.SOL_SOCKET
    if kind == "echo":
        sizes = [rng.randint(1, 5000) for _ in range(rng.randint(1, 4))]

        def client(s: socket.socket) -> None:
            for size in sizes:
                s.sendall(b"e" * size)
                exactly(s, size)

        return Conversation(client, echo_server)
    if kind == "bulk":
        size = rng.randint(100_000, 3_000_000)
        return Conversation(lambda s: s.sendall(b"z" * size), drain)
    if kind == "half_close":

        def client(s: socket.socket) -> None:
            s.sendall(b"h" * 30000)
            s.shutdown(socket.SHUT_WR)
            read_all(s)

        def server(s: socket.socket) -> None:
            read_all(s)
            s.sendall(b"n" * 5000)

        return Conversation(client, server)
    if kind == "client_aborts":
        size = rng.randint(1, 80000)

        def client(s: socket.socket) -> None:
            s.sendall(b"r" * size)
            time.sleep(0.03)
            abort(s)

        return Conversation(client, drain)
    if kind == "server_aborts":

        def client(s: socket.socket) -> None:
            s.sendall(b"x" * 100)
            for _ in range(20):  # into a connection the server resets
                s.sendall(b"y" * 5000)
                time.sleep(0.005)

        def server(s: socket.socket) -> None:
            exactly(s, 1000)
            time.sleep(0.02)
            abort(s)

        return Conversation(client, server)
    if kind == "slow_reader":

        def server(s: socket.socket) -> None:
            time.sleep(1.0)  # the window closes: zero window, probes
            read_all(s, pause=0.002)

        return Conversation(
            lambda s: s.sendall(b"q" * 200_000),
            server,
            client_options=[(sol, socket.SO_SNDBUF, 4096)],
            server_options=[(sol, socket.SO_RCVBUF, 4096)],
        )
    if kind == "simultaneous_close":
        both = threading.Barrier(2, timeout=10)

        def client(s: socket.socket) -> None:
            s.sendall(b"hello")
            exactly(s, 3)
            both.wait()

        def server(s: socket.socket) -> None:
            exactly(s, 5)
            s.sendall(b"bye")
            both.wait()

        return Conversation(client, server)
    if kind == "urgent":

        def client(s: socket.socket) -> None:
            s.sendall(b"hello")
            s.send(b"?", socket.MSG_OOB)
            time.sleep(0.05)

        def server(s: socket.socket) -> None:
            exactly(s, 5)
            s.send(b"!", socket.MSG_OOB)
            s.sendall(b"after")
            read_all(s)

        return Conversation(client, server)
    if kind == "keep_alive":
        options = [(sol, socket.SO_KEEPALIVE, 1), (tcp, socket.TCP_KEEPIDLE, 1), (tcp, socket.TCP_KEEPINTVL, 1)]

        def server(s: socket.socket) -> None:
            exactly(s, 5)
            time.sleep(2.5)
            s.sendall(b"bye")

        def client(s: socket.socket) -> None:
            s.sendall(b"hello")
            read_all(s)

        return Conversation(client, server, client_options=options)
    if kind == "reused_port":  # the server closes first, so its TIME-WAIT meets the next SYN

        def client(s: socket.socket) -> None:
            s.sendall(b"again")
            read_all(s)

        return Conversation(client, lambda s: s.sendall(s.recv(3000)), rounds=5, same_port=True)
    if kind == "fast_open":  # the first connection gets a cookie, the next two send data with their SYN
        request = b"f" * rng.randint(1, 3000)  # more than a SYN carries, at times: the rest follows it

        return Conversation(
            lambda s: exactly(s, len(request)),
            echo_server,
            server_options=[(tcp, socket.TCP_FASTOPEN, 16)],
            rounds=3,
            syn_data=request,
        )
    if kind == "small_mss":
        sizes = [rng.randint(1, 5000) for _ in range(3)]

        def client(s: socket.socket) -> None:
            for size in sizes:
                s.sendall(b"m" * size)
                exactly(s, size)

        return Conversation(client, echo_server, client_options=[(tcp, socket.TCP_MAXSEG, 536)])
    if kind == "nagle":
        sizes = [rng.randint(1, 100) for _ in range(40)]

        def client(s: socket.socket) -> None:
            for size in sizes:
                s.send(b"n" * size)
            s.shutdown(socket.SHUT_WR)
            read_all(s)

        return Conversation(client, echo_server, client_options=[(tcp, socket.TCP_NODELAY, 0)])
    if kind == "unread_close":  # closing with data unread sends a RST, not a FIN (RFC 1122 section 4.2.2.13)
        size = rng.randint(2000, 60000)

        def client(s: socket.socket) -> None:
            s.sendall(b"u" * size)
            read_all(s)

        def server(s: socket.socket) -> None:
            s.recv(1000)
            time.sleep(0.05)  # the rest arrives, and is never read

        return Conversation(client, server)
    if kind == "window_clamp":  # a receiver that advertises at most 5000 bytes, whatever its buffer
        return Conversation(
            lambda s: s.sendall(b"w" * rng.randint(50_000, 500_000)),
            drain,
            server_options=[(tcp, socket.TCP_WINDOW_CLAMP, 5000)],
        )
    if kind == "refused":
        return Conversation(drain, drain, refused=True)
    assert kind == "both_ways"

    def both_ways(size: int) -> Act:
        def act(s: socket.socket) -> None:
            reader = threading.Thread(target=drain, args=(s,), daemon=True)
            reader.start()
            s.sendall(b"b" * size)
            s.shutdown(socket.SHUT_WR)
            reader.join(30)

        return act

    return Conversation(both_ways(300_000), both_ways(400_000))


KINDS = [
    "echo", "bulk", "half_close", "client_aborts", "server_aborts", "slow_reader", "simultaneous_close",
    "urgent", "keep_alive", "reused_port", "small_mss", "nagle", "both_ways", "refused", "fast_open",
    "simultaneous_open", "self_connect", "unread_close", "window_clamp", "full_backlog",
]  # fmt: skip


# --------------------------------------------------------------------------------------- one run
@dataclass
class Places:
    """Where the client and the server of a run live, and their addresses."""

    client: Namespace
    server: Namespace
    client_address: tuple[str, str]  # IPv4, IPv6
    server_address: tuple[str, str]


@contextmanager
def places(setting: Setting) -> Iterator[Places]:
    """The run's namespaces, configured, deleted again afterwards whatever happens."""
    with ExitStack() as stack:
        client = stack.enter_context(Namespace(mtu=setting.mtu, offloads=setting.offloads, loss=setting.loss))
        server = client
        if setting.wire:
            server = stack.enter_context(Namespace(mtu=setting.mtu, offloads=setting.offloads, loss=setting.loss))
            join(client, server, setting, "wire")
            where = Places(client, server, WIRE["client"], WIRE["server"])
        else:
            where = Places(client, client, ("127.0.0.1", "::1"), ("127.0.0.1", "::1"))
        # each namespace with its peer's addresses (on a loopback, its own)
        ends = [(client, where.server_address), (server, where.client_address)][: 2 if setting.wire else 1]
        if setting.reorder:  # only on a wire
            join(client, server, setting, "detour")
            for (ns, peer), side in zip(ends, ("server", "client"), strict=True):
                detour(ns, peer, DETOUR[side], setting.reorder)
        for ns, peer in ends:
            for name, value in {**setting.sysctls, **FAST_OPEN}.items():
                ns.run(["sysctl", "-q", "-w", f"{name}={value}"])
            if setting.duplicate:
                duplicate(ns, peer, setting.duplicate)
        yield where


def join(client: Namespace, server: Namespace, setting: Setting, link: str) -> None:
    """A veth pair called ``link`` ("wire" or "detour") between the two namespaces, with its addresses
    (reachable from nowhere else)."""
    client.run(["ip", "link", "add", link, "type", "veth", "peer", "name", link, "netns", server.name])
    for ns, side in ((client, "client"), (server, "server")):
        v4, v6 = (WIRE if link == "wire" else DETOUR)[side]
        ns.run(["ip", "addr", "add", f"{v4}/24", "dev", link])
        ns.run(["ip", "addr", "add", f"{v6}/64", "dev", link, "nodad"])
        if setting.mtu:
            ns.run(["ip", "link", "set", link, "mtu", str(setting.mtu)])
        if not setting.offloads:
            ns.run(["ethtool", "-K", link, "tso", "off", "gso", "off", "gro", "off"])
        ns.run(["ip", "link", "set", link, "up"])


def detour(ns: Namespace, peer: tuple[str, str], via: tuple[str, str], share: float) -> None:
    """Send ``share`` of the TCP packets to the ``peer``'s wire addresses by the detour (through its
    detour addresses, ``via``): a queue of 5 Mbit/s holding 50 ms, so that under load they arrive late
    (out of order), or are lost when it is full.  A firewall mark given at random in OUTPUT picks them
    (marking there routes them again), and routing by that mark (table 100) sends them there; the
    peer takes them on the detour for its wire's address (no reverse-path filter)."""
    ns.run(["sysctl", "-q", "-w", "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.detour.rp_filter=0"])
    ns.run(["tc", "qdisc", "add", "dev", "detour", "root", "tbf", "rate", "5mbit", "burst", "10kb", "latency", "50ms"])
    for family, tables, address, gateway in (("-4", "iptables", peer[0], via[0]), ("-6", "ip6tables", peer[1], via[1])):
        ns.run(["ip", family, "rule", "add", "fwmark", "1", "table", "100"])
        ns.run(["ip", family, "route", "add", address, "via", gateway, "dev", "detour", "table", "100"])
        ns.run(
            [tables, "-t", "mangle", "-A", "OUTPUT", "-p", "tcp", *_at_random(share), "-j", "MARK", "--set-mark", "1"]
        )


def duplicate(ns: Namespace, peer: tuple[str, str], share: float) -> None:
    """Send ``share`` of the TCP packets twice: iptables TEE copies them after routing, to the ``peer``
    (or, on a loopback, to itself) by the same way, so the receiver gets both and the sender's
    capture point sees both."""
    for tables, gateway in (("iptables", peer[0]), ("ip6tables", peer[1])):
        rule = ["-A", "POSTROUTING", "-p", "tcp", *_at_random(share), "-j", "TEE", "--gateway", gateway]
        ns.run([tables, "-t", "mangle", *rule])


def _at_random(share: float) -> list[str]:
    return ["-m", "statistic", "--mode", "random", "--probability", f"{share:g}"]


def converse(where: Places, number: int, kind: str, rng: random.Random) -> None:
    """One conversation (or a few, on a reused port): server socket in its namespace, client in its own."""
    meeting = MEETINGS.get(kind)
    plan = conversation(kind, rng) if meeting is None else None
    six = rng.random() < 0.3
    family, index = (socket.AF_INET6, 1) if six else (socket.AF_INET, 0)
    client_address = (where.client_address[index], 40000 + number)
    server_address = (where.server_address[index], 9000 + number)
    if plan is None:
        assert meeting is not None
        meeting(where, family, client_address, server_address)
        return
    with where.server.entered():
        listener = socket.socket(family)
    with listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        for level, option, value in plan.server_options:
            listener.setsockopt(level, option, value)
        listener.bind(server_address)
        if not plan.refused:  # else the port is bound but closed: a SYN to it gets a RST
            listener.listen()
        listener.settimeout(20)
        served = threading.Thread(target=serve, args=(listener, plan), daemon=True)
        served.start()
        for _ in range(plan.rounds):
            with where.client.entered():
                s = socket.socket(family)
            with s, suppress(OSError):  # a conversation ended early (a reset, a timeout) just ends
                s.settimeout(30)
                for level, option, value in plan.client_options:
                    s.setsockopt(level, option, value)
                if plan.same_port:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                    s.bind(client_address)
                if plan.syn_data:
                    try:
                        sent = s.sendto(plan.syn_data, socket.MSG_FASTOPEN, server_address)  # the connect, with data
                    except BlockingIOError:  # no cookie yet: the SYN went alone (a socket with a timeout waits not)
                        sent = 0
                    s.sendall(plan.syn_data[sent:])  # the rest, once connected
                else:
                    s.connect(server_address)
                plan.client(s)
            time.sleep(0.01)
        served.join(60)


def simultaneous_open(
    where: Places, family: socket.AddressFamily, client_address: tuple[str, int], server_address: tuple[str, int]
) -> None:
    """Two sockets that connect to each other (RFC 9293 Figure 8).  The client's SYNs are lost at the
    server (after the capture point), so the client is still in SYN-SENT when the server's SYN comes,
    and answers it with a SYN,ACK."""
    tables = "ip6tables" if family == socket.AF_INET6 else "iptables"
    lost = ["-p", "tcp", "--dport", str(server_address[1]), "--tcp-flags", "SYN,ACK", "SYN", "-j", "DROP"]
    where.server.run([tables, "-A", "INPUT", *lost])
    with where.client.entered():
        a = socket.socket(family)
    with where.server.entered():
        b = socket.socket(family)
    with a, b, suppress(OSError):  # (a loss that outlasts the timeouts just ends it)
        for s, address in ((a, client_address), (b, server_address)):
            s.settimeout(30)
            s.bind(address)
        opening = threading.Thread(target=_connect, args=(a, server_address), daemon=True)
        opening.start()
        time.sleep(0.2)
        b.connect(client_address)
        opening.join(30)
        a.sendall(b"from a")
        exactly(b, 6)
        b.sendall(b"from b")
        exactly(a, 6)


def full_backlog(
    where: Places, family: socket.AddressFamily, client_address: tuple[str, int], server_address: tuple[str, int]
) -> None:
    """Six clients at once for a server that accepts one at a time, a second late, from a backlog of one: its
    queues overflow, so Linux drops their final ACKs (the client thinks it is connected, the server resends its
    SYN,ACK) or their SYNs, or answers with SYN cookies."""
    with where.server.entered():
        listener = socket.socket(family)
    with listener:
        listener.bind(server_address)
        listener.listen(1)
        listener.settimeout(20)

        def serve() -> None:
            time.sleep(1.0)
            for _ in range(6):
                with suppress(OSError):
                    s, _ = listener.accept()
                    with s:
                        s.settimeout(30)
                        echo_server(s)

        def client() -> None:
            with where.client.entered():
                s = socket.socket(family)
            with s, suppress(OSError):
                s.settimeout(30)
                s.connect(server_address)
                s.sendall(b"crowd")
                exactly(s, 5)

        threads = [threading.Thread(target=serve, daemon=True)] + [
            threading.Thread(target=client, daemon=True) for _ in range(6)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)


def _connect(s: socket.socket, address: tuple[str, int]) -> None:
    with suppress(OSError):
        s.connect(address)


def self_connect(
    where: Places, family: socket.AddressFamily, client_address: tuple[str, int], server_address: tuple[str, int]
) -> None:
    """A socket that connects to its own address and port: its SYN comes back to itself, a simultaneous
    open with one socket (on a wire it stays on the client's loopback, out of the capture's sight)."""
    with where.client.entered():
        s = socket.socket(family)
    with s, suppress(OSError):
        s.settimeout(30)
        s.bind(client_address)
        s.connect(client_address)
        s.sendall(b"me")
        exactly(s, 2)


# The kinds that are not one client and one server: what they do, from where and to where
Meeting = Callable[[Places, socket.AddressFamily, tuple[str, int], tuple[str, int]], None]
MEETINGS: dict[str, Meeting] = {
    "simultaneous_open": simultaneous_open,
    "self_connect": self_connect,
    "full_backlog": full_backlog,
}


def serve(listener: socket.socket, plan: Conversation) -> None:
    for _ in range(plan.rounds):
        try:
            s, _ = listener.accept()
        except OSError:
            return  # the client could not connect
        with s, suppress(OSError):  # a conversation ended early (a reset, a timeout) just ends
            s.settimeout(30)
            plan.server(s)


@dataclass
class Outcome:
    setting: Setting
    dropped: int  # by tcpdump
    reports: list[ConnectionReport]
    packets: int
    tshark: list[tuple[int, str, str]]  # (packet, the checker says, tshark says): differences not understood


def run(seed: int, conversations: int, pcap: Path, *, tshark: bool, kinds: list[str] = KINDS) -> Outcome:
    """Run ``seed``: its setting and its conversations (of ``kinds``), drawn from it."""
    rng = random.Random(seed)
    setting = Setting.drawn(rng)
    return run_setting(setting, [rng.choice(kinds) for _ in range(conversations)], rng, pcap, tshark=tshark)


def run_setting(setting: Setting, kinds: list[str], rng: random.Random, pcap: Path, *, tshark: bool) -> Outcome:
    with places(setting) as where:
        at = where.server if setting.wire and setting.capture_at == "server" else where.client
        # each conversation its own generator, drawn here in order: a seed runs the same whatever the threads do
        # (daemon threads, as all of a run's: Ctrl-C or SIGTERM ends the soak without waiting for them)
        talks = [
            threading.Thread(target=converse, args=(where, n, kind, random.Random(rng.getrandbits(64))), daemon=True)
            for n, kind in enumerate(kinds)
        ]
        dump = ExitStack()
        if not setting.late:
            stats = dump.enter_context(capture(at, pcap, setting))
        for talk in talks:
            talk.start()
            time.sleep(rng.random() * 0.03)
        if setting.late:
            time.sleep(setting.late)
            stats = dump.enter_context(capture(at, pcap, setting))
        with dump:
            for talk in talks:
                talk.join(120)
    capture_file = read(pcap)
    reports = [check(conn) for conn in capture_file.connections]
    whole = not stats.dropped and setting.snaplen == WHOLE and not setting.late
    differences = tshark_differences(pcap, reports) if tshark and whole else []
    return Outcome(setting, stats.dropped, reports, capture_file.tcp_packets, differences)


def capture(at: Namespace, pcap: Path, setting: Setting) -> AbstractContextManager[DumpStats]:
    interface = "any" if setting.reorder else "wire" if setting.wire else "lo"  # any: the wire and the detour
    return tcpdump(at.command([]), pcap, "tcp", setting.snaplen, interface=interface, buffer_kib=setting.buffer_kib)


def tshark_differences(pcap: Path, reports: list[ConnectionReport]) -> list[tuple[int, str, str]]:
    from tests.test_checker_linux import tshark_differences as compare  # the same rule as the tests'

    return compare(pcap, reports)


def positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of 1 or more")
    return int(text)


def kinds(text: str) -> list[str]:
    chosen = text.split(",")
    unknown = [kind for kind in chosen if kind not in KINDS]
    if unknown:
        raise argparse.ArgumentTypeError(f"no kind of conversation called {', '.join(map(repr, unknown))}")
    return chosen


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=positive, default=1, help="how many runs (default 1)")
    parser.add_argument("--seed", type=int, default=1, help="the first run's seed (default 1)")
    parser.add_argument("--conversations", type=positive, default=16, help="at once in each run (default 16)")
    parser.add_argument("--keep", type=Path, default=Path("soak-captures"), help="where captures with findings go")
    parser.add_argument("--tshark", action="store_true", help="also compare the labels with tshark's analysis")
    parser.add_argument(
        "--kinds",
        type=kinds,
        default=KINDS,
        metavar="KIND,...",
        help=f"only these kinds of conversation ({', '.join(KINDS)})",
    )
    args = parser.parse_args(argv)
    if args.tshark and shutil.which("tshark") is None:
        parser.error("--tshark needs tshark (apt-get install tshark)")
    found = 0
    with tempfile.TemporaryDirectory() as scratch:
        for seed in range(args.seed, args.seed + args.runs):
            pcap = Path(scratch) / f"soak-{seed}.pcap"
            try:
                outcome = run(seed, args.conversations, pcap, tshark=args.tshark, kinds=args.kinds)
            except TcpsimError as exc:
                print(f"tools.soak: {exc}", file=sys.stderr)
                return 2
            found += report(seed, outcome, pcap, args.keep)
    return 1 if found else 0


def report(seed: int, outcome: Outcome, pcap: Path, keep: Path) -> int:
    """Print a run's line, and its findings; keep its capture if it has any.  How many findings."""
    departures = [(p.number, p.departure) for r in outcome.reports for p in r.departures]
    dropped = f", tcpdump dropped {outcome.dropped}" if outcome.dropped else ""
    print(
        f"run {seed}: {outcome.setting.describe()}{dropped}: {len(outcome.reports)} connections, "
        f"{outcome.packets} packets, {len(departures)} departures"
        + (f", {len(outcome.tshark)} differences from tshark" if outcome.tshark else ""),
        flush=True,
    )
    for number, departure in departures:
        print(f"  packet {number}: {departure}")
    for number, ours, theirs in outcome.tshark:
        print(f"  packet {number}: the checker says {ours or 'nothing'}, tshark {theirs or 'nothing'}")
    if departures or outcome.tshark:
        keep.mkdir(parents=True, exist_ok=True)
        shutil.copy(pcap, keep / pcap.name)
        print(f"  kept: {keep / pcap.name}")
    return len(departures) + len(outcome.tshark)


if __name__ == "__main__":
    sys.exit(main())
