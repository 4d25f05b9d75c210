"""Ordinary TCP conversations captured from the real Linux kernel, and the ``linux`` profile held against them.

Issue 20 asks that the ``linux`` profile behave as Linux 6.x on everything a capture of an
ordinary conversation shows.  This module is the measuring stick: each ``Conversation`` is data
(a server program, a client program, what the namespace needs, and the scenario the model runs
for the same application steps, or what the model still lacks), and ``capture`` runs one in a
fresh network namespace (deleted again whatever happens) with ``tcpdump --immediate-mode`` on its
loopback, returning the kernel's segments per direction.  ``model_rows`` gives the model's for
the same steps under ``--profile linux``.

    python -m tools.linux_conversations                      # every conversation, the kernel's rows
    python -m tools.linux_conversations keepalive ipv6       # some of them
    python -m tools.linux_conversations --model              # the model's rows beside the kernel's

Every namespace has its loopback at MTU 1500 with TSO/GSO/GRO off, so that segments are sized
as on an Ethernet link (MSS 1460, 1440 on IPv6) and the model's MSS 1460 is comparable.
Needs root, ``ip``, ``tcpdump``, ``ethtool`` and ``iptables``.  docs/linux-conversations.md is
what it found; tests/test_linux_conversations.py holds the kernel to it.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from simulator.capture.connections import Connection, read
from simulator.capture.reader import records, tcp_in_frame
from simulator.live.namespace import LiveError, Namespace, missing
from simulator.model.segment import Options, Segment
from simulator.sim.scenario import parse
from simulator.sim.trace import EventKind

PORT = 8080
TOOLS = ("ip", "tcpdump", "ethtool", "iptables")
OUT, BACK, SELF = "c>s", "s>c", "self"  # the opener's direction, its peer's, a socket connected to itself

# ---------------------------------------------------------------------------------------------- programs
# A server prints "ready" once it listens; the client is started then.  Both run with sys.executable
# inside the namespace.  ``read_n``/``read_all`` loop over recv() as a real program must.
HELPERS = """
import socket, struct, sys, time
def read_n(s, n):
    got = b""
    while len(got) < n:
        chunk = s.recv(n - len(got))
        if not chunk:
            break
        got += chunk
    return got
def read_all(s):
    n = 0
    while True:
        chunk = s.recv(65536)
        if not chunk:
            return n
        n += len(chunk)
"""


def server(body: str, *, host: str = "127.0.0.1", options: str = "") -> str:
    """A program that listens on ``host``:8080, accepts one connection ``c`` and runs ``body``."""
    family = "socket.AF_INET6" if ":" in host else "socket.AF_INET"
    return (
        HELPERS
        + f"srv = socket.socket({family})\n"
        + "srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
        + (options.strip() + "\n" if options else "")
        + f"srv.bind(({host!r}, {PORT}))\nsrv.listen()\nprint('ready', flush=True)\nc, _ = srv.accept()\n"
        + body.strip()
        + "\n"
    )


def client(body: str, *, host: str = "127.0.0.1", options: str = "") -> str:
    """A program that connects ``c`` to ``host``:8080 (after ``options``) and runs ``body``."""
    family = "socket.AF_INET6" if ":" in host else "socket.AF_INET"
    return (
        HELPERS
        + f"c = socket.socket({family})\n"
        + (options.strip() + "\n" if options else "")
        + f"c.connect(({host!r}, {PORT}))\n"
        + body.strip()
        + "\n"
    )


def scenario(client_script: Sequence[str], server_script: Sequence[str], extra: str = "", **ends: str) -> str:
    """The TOML of a two-host scenario on a loopback path (each segment handled inside the sender's call).

    ``ends`` adds settings lines to ``client`` or ``server`` (``client='syn_retries = 3'``)."""
    quoted = {name: ", ".join(f"'{s}'" for s in steps) for name, steps in (("c", client_script), ("s", server_script))}
    return (
        "seed = 1\n[network]\nloopback = true\n"
        + extra.strip()
        + f"\n[endpoint.client]\nscript = [{quoted['c']}]\n{ends.get('client', '')}\n"
        + f"[endpoint.server]\nscript = [{quoted['s']}]\n{ends.get('server', '')}\n"
    )


# ----------------------------------------------------------------------------------------- conversations
@dataclass(frozen=True, slots=True)
class Conversation:
    """One conversation of issue 20: the kernel's programs, and the model's scenario for the same steps.

    ``setup`` are commands run inside the namespace first (an iptables rule, a sysctl: the namespace's
    own); ``server`` is None when ``client`` alone makes both ends.  ``model`` is the scenario TOML, or
    None with ``needs`` saying what the model cannot express yet."""

    name: str
    title: str
    client: str
    server: str | None = None
    setup: tuple[tuple[str, ...], ...] = ()
    model: str | None = None
    needs: str = ""
    timeout: float = 20.0  # seconds the client may take


def _drop_first(flags: str) -> tuple[str, ...]:
    """An iptables rule that loses the first packet with exactly ``flags`` (of SYN,ACK,FIN,RST) after tcpdump saw it
    (``statistic --mode nth --every 1000 --packet 0`` matches packets 1, 1001, ...: only the first here)."""
    return ("iptables", "-A", "INPUT", "-p", "tcp", "--tcp-flags", "SYN,ACK,FIN,RST", flags, "-m", "statistic",
            "--mode", "nth", "--every", "1000", "--packet", "0", "-j", "DROP")  # fmt: skip


ECHO_SERVER = "read_n(c, 5); c.sendall(b'world'); read_all(c); c.close()"
ECHO_CLIENT = "c.sendall(b'hello'); read_n(c, 5); c.close()"
ECHO_MODEL = scenario(
    ["connect server", 'send "hello"', "wait_for_bytes 5", "close"],
    ["listen", "wait_for_bytes 5", 'send "world"', "wait_for_eof", "close"],
)
SELF_CONNECT = """
c.sendall(b"me")
assert read_n(c, 2) == b"me"
c.close()
"""
SIMULTANEOUS_OPEN = """
import threading
def bound(port):
    s = socket.socket()
    s.bind(("127.0.0.1", port))
    return s
a, b = bound(9001), bound(9002)
t = threading.Thread(target=a.connect, args=(("127.0.0.1", 9002),))
t.start()  # its SYNs are lost (the namespace's rule): a is still in SYN-SENT when b's SYN comes
time.sleep(0.2)
b.connect(("127.0.0.1", 9001))
t.join(5)
a.sendall(b"from a")
assert read_n(b, 6) == b"from a"
a.close()
b.close()
"""
SYN_DROPPED = """
c = socket.socket()
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_SYNCNT, 1)  # Linux 6.5+ adds tcp_syn_linear_timeouts (4) to it
start = time.monotonic()
try:
    c.connect(("127.0.0.1", 8080))
except OSError as exc:
    print(type(exc).__name__, "after %.1f s" % (time.monotonic() - start), flush=True)
"""
FILL_SEND_BUFFER = """
c.setblocking(False)
n = 0
try:
    while True:
        n += c.send(b"y" * 1000)
except BlockingIOError:  # the send buffer is full
    print("accepted", n, flush=True)
c.setblocking(True)
c.shutdown(socket.SHUT_WR)
read_all(c)
c.close()
"""
SMALL_WRITES = """
for i in range(4):  # write header, write body, read the answer: Nagle holds the body once ACKs are delayed
    c.sendall(b"head%d" % i)
    c.sendall(b"body%d" % i)
    read_n(c, 5)
c.close()
"""
SMALL_WRITES_SERVER = "for i in range(4):\n    read_n(c, 10); c.sendall(b'ok %d.' % i)\nread_all(c); c.close()"
SMALL_WRITES_MODEL = scenario(
    ["connect server"]
    + [x for i in range(4) for x in (f'send "head{i}"', f'send "body{i}"', f"wait_for_bytes {5 * (i + 1)}")]
    + ["close"],
    ["listen"]
    + [x for i in range(4) for x in (f"wait_for_bytes {10 * (i + 1)}", f'send "ok {i}."')]
    + ["wait_for_eof", "close"],
)

CONVERSATIONS: dict[str, Conversation] = {
    c.name: c
    for c in (
        Conversation(
            "handshake",
            "The three-way handshake with its options, then the client closes",
            client("time.sleep(0.2); c.close()"),
            server("read_all(c); c.close()"),
            model=scenario(["connect server", "wait 0.2", "close"], ["listen", "wait_for_eof", "close"]),
        ),
        Conversation(
            "client_closes_first",
            "hello/world, the client closes first",
            client(ECHO_CLIENT),
            server(ECHO_SERVER),
            model=ECHO_MODEL,
        ),
        Conversation(
            "server_closes_first",
            "GET /, the server answers and closes at once (HTTP/1.0)",
            client("c.sendall(b'GET /'); read_all(c); c.close()"),
            server("read_n(c, 5); c.sendall(b'hello world'); c.close()"),
            model=scenario(
                ["connect server", 'send "GET /"', "wait_for_eof", "close"],
                ["listen", "wait_for_bytes 5", 'send "hello world"', "close"],
            ),
        ),
        Conversation(
            "think_time",
            "Request/response twice with 300 ms of think time between: ACK timing",
            client(
                "c.sendall(b'GET 1'); read_n(c, 100); time.sleep(0.3); c.sendall(b'GET 2'); read_n(c, 100); c.close()"
            ),
            server(
                "read_n(c, 5); time.sleep(0.05); c.sendall(b'a' * 100); read_n(c, 5); time.sleep(0.05); "
                "c.sendall(b'b' * 100); read_all(c); c.close()"
            ),
            model=scenario(
                ["connect server", "send 5", "wait_for_bytes 100", "wait 0.3", "send 5", "wait_for_bytes 200", "close"],
                [
                    "listen",
                    "wait_for_bytes 5",
                    "wait 0.05",
                    "send 100",
                    "wait_for_bytes 10",
                    "wait 0.05",
                    "send 100",
                    "wait_for_eof",
                    "close",
                ],
            ),
        ),
        Conversation(
            "self_connect",
            "A socket bound to 127.0.0.1:8080 connects to itself (a simultaneous open with one socket)",
            "import socket\nc = socket.socket()\nc.bind(('127.0.0.1', 8080))\nc.connect(('127.0.0.1', 8080))\n"
            + HELPERS
            + SELF_CONNECT,
            model="seed = 1\n[network]\nloopback = true\n[endpoint.c]\naddress = '127.0.0.1'\nport = 8080\n"
            "script = ['connect c', 'send \"me\"', 'wait_for_bytes 2', 'close']\n",
        ),
        Conversation(
            "simultaneous_open",
            "Sockets on 9001 and 9002 connect to each other; SYNs to 9002 are lost after the capture point",
            HELPERS + SIMULTANEOUS_OPEN,
            setup=(
                (
                    "iptables",
                    "-A",
                    "INPUT",
                    "-p",
                    "tcp",
                    "--dport",
                    "9002",
                    "--tcp-flags",
                    "SYN,ACK",
                    "SYN",
                    "-j",
                    "DROP",
                ),
            ),
            model=scenario(
                ["connect server", "send 6", "close"],
                ["connect client", "wait_for_bytes 6", "wait_for_eof", "close"],  # (a's close() comes first)
                '[[fault]]\naction = "drop"\nfrom = "client"\nflags = "S"\ncount = 10\n',
                client="port = 9001",
                server="port = 9002\nstart = 0.2",
            ),
        ),
        Conversation(
            "lost_syn_ack",
            "The first SYN,ACK is lost after the capture point: both sides' timers run",
            client("c.sendall(b'hello'); read_n(c, 5); c.close()"),
            server(ECHO_SERVER),
            setup=(_drop_first("SYN,ACK"),),
            model=ECHO_MODEL + '[[fault]]\naction = "drop"\nfrom = "server"\nflags = "SA"\nnth = 1\n',
        ),
        Conversation(
            "syn_dropped",
            "SYNs to a port behind a DROP rule; TCP_SYNCNT 1 (plus 4 linear timeouts): the retry schedule",
            HELPERS + SYN_DROPPED,
            setup=(("iptables", "-A", "INPUT", "-p", "tcp", "--dport", str(PORT), "--syn", "-j", "DROP"),),
            model=scenario(
                ["connect server"],
                ["listen"],
                '[[fault]]\naction = "drop"\nfrom = "client"\nflags = "S"\ncount = 10\n',
                client="syn_retries = 1",  # TCP_SYNCNT 1
            ),
        ),
        Conversation(
            "receiver_stops_reading",
            "A receiver with a 2 KiB buffer reads nothing for 2 s: zero window, probes, reopening",
            client("c.sendall(b'x' * 20000); c.close()"),
            server(
                "time.sleep(2); read_all(c); c.close()",
                options="srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)",
            ),
            model=scenario(
                ["connect server", "send 20000", "close"],
                ["listen", "wait 2", *["read", "wait 0.001"] * 30, "close"],  # (no step reads until the end)
                server="window = 2048\nfixed_recv_buffer = true\nauto_read = false",  # SO_RCVBUF
            ),
        ),
        Conversation(
            "keepalive",
            "SO_KEEPALIVE with TCP_KEEPIDLE 1 s, TCP_KEEPINTVL 1 s on an idle connection for 2.5 s",
            client(
                "time.sleep(2.5); c.close()",
                options="c.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)\n"
                "c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1)\n"
                "c.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1)",
            ),
            server("read_all(c); c.close()"),
            model=scenario(
                ["connect server", "wait 2.5", "close"],
                ["listen", "wait_for_eof", "close"],
                client="keepalive = true\nkeepalive_idle = 1.0\nkeepalive_interval = 1.0",
            ),
        ),
        Conversation(
            "send_buffer_fills",
            "SO_SNDBUF 4 KiB, a non-blocking writer fills it while the reader (SO_RCVBUF 4 KiB) sleeps 1 s",
            client(FILL_SEND_BUFFER, options="c.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)"),
            server(
                "time.sleep(1); read_all(c); c.close()",
                options="srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)",
            ),
            model=scenario(
                ["connect server", "fill 1000", "shutdown", "wait_for_eof", "close"],
                ["listen", "wait 1", *["read", "wait 0.001"] * 30, "close"],  # (no step reads until the end)
                client="send_buffer = 8192",  # SO_SNDBUF 4096, which Linux stores doubled
                server="window = 4096\nfixed_recv_buffer = true\nauto_read = false",  # SO_RCVBUF 4096 (2896 offered)
            ),
        ),
        Conversation(
            "small_writes_nagle",
            "Write 5 bytes, write 5 more, read a 5-byte answer, four times, Nagle on (the default)",
            client(SMALL_WRITES),
            server(SMALL_WRITES_SERVER),
            model=SMALL_WRITES_MODEL,
        ),
        Conversation(
            "small_writes_nodelay",
            "The same writes with TCP_NODELAY",
            client(SMALL_WRITES, options="c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)"),
            server(SMALL_WRITES_SERVER),
            model=SMALL_WRITES_MODEL.replace("[endpoint.server]", "nagle = false\n[endpoint.server]"),
        ),
        Conversation(
            "ipv6",
            "hello/world over ::1, the client closes first",
            client(ECHO_CLIENT, host="::1"),
            server(ECHO_SERVER, host="::1"),
            model=ECHO_MODEL.replace("[endpoint.client]", "[endpoint.client]\naddress = 'fd00::1'").replace(
                "[endpoint.server]", "[endpoint.server]\naddress = 'fd00::2'"
            ),
        ),
    )
}


# -------------------------------------------------------------------------------------------------- rows
@dataclass(frozen=True, slots=True)
class Row:
    """One segment as the comparison sees it.  ``key`` is what must agree; time and window are shown beside."""

    flags: str  # "S", "SA", "PA", "FA", "A", "R", ... (Scapy's letters)
    seq: int  # relative to the sender's ISN
    ack: int  # relative to the receiver's ISN; 0 without the ACK flag
    length: int  # payload bytes
    options: str  # kinds in order, with the values of mss and wscale: "mss 1460,sackOK,TS,nop,wscale 7"
    ms: int = 0  # since the first SYN, rounded to ms
    window: int = 0  # the header's field, unscaled

    @property
    def key(self) -> str:
        """``"S 0 0 0 <mss 1460,sackOK,TS,nop,wscale 7>"``: flags, seq, ack, length and the option kinds."""
        text = f"{self.flags or '.'} {self.seq} {self.ack} {self.length}"
        return f"{text} <{self.options}>" if self.options else text


Directions = dict[str, list[Row]]

_KINDS = {1: "nop", 2: "mss", 3: "wscale", 4: "sackOK", 5: "sack", 8: "TS", 30: "mptcp", 34: "tfo"}


def option_kinds(tcp: bytes) -> str:
    """The option kinds of a TCP header in wire order (nops included; values for mss and wscale only)."""
    end = min((tcp[12] >> 4) * 4, len(tcp))
    pos, out = 20, []
    while pos < end and tcp[pos] != 0:
        kind = tcp[pos]
        if kind == 1:
            out.append("nop")
            pos += 1
            continue
        size = tcp[pos + 1] if pos + 1 < end else 0
        if size < 2:
            break
        name = _KINDS.get(kind, f"opt{kind}")
        if kind == 2 and size == 4:
            name += f" {int.from_bytes(tcp[pos + 2 : pos + 4], 'big')}"
        elif kind == 3 and size == 3:
            name += f" {tcp[pos + 2]}"
        out.append(name)
        pos += size
    return ",".join(out)


_MODEL_NAMES = {"MSS": "mss", "SAckOK": "sackOK", "Timestamp": "TS", "NOP": "nop", "WScale": "wscale", "SAck": "sack"}


def model_option_kinds(options: Options) -> str:
    """The model's options as the exporter lays them on the wire (``simulator.capture.export``)."""
    from simulator.capture.export import tcp_options  # Scapy: only when the model is run

    out = []
    for name, value in tcp_options(options):
        kind = _MODEL_NAMES.get(name, name)
        out.append(f"{kind} {value}" if kind in ("mss", "wscale") else kind)
    return ",".join(out)


def _directions(opener: tuple[str, int] | None, segments: Sequence[tuple[float, Segment, str, int]]) -> Directions:
    """Rows per direction from (time, segment, option kinds, payload length on the wire), numbered from the ISNs
    of the SYNs."""
    isn: dict[tuple[str, int], int] = {}
    for _, seg, _, _ in segments:
        if "S" in seg.flags.letters:
            isn.setdefault((seg.src_addr, seg.src_port), int(seg.seq))
    start = next((t for t, seg, _, _ in segments if "S" in seg.flags.letters), segments[0][0] if segments else 0.0)
    rows: Directions = {}
    for time, seg, kinds, length in segments:
        src, dst = (seg.src_addr, seg.src_port), (seg.dst_addr, seg.dst_port)
        way = SELF if src == dst else OUT if src == (opener or src) else BACK
        base, peer = isn.get(src, int(seg.seq)), isn.get(dst, 0)
        ack = (int(seg.ack) - peer) % 2**32 if "A" in seg.flags.letters else 0
        row = Row(seg.flags.letters, (int(seg.seq) - base) % 2**32, ack, length, kinds,
                  round((time - start) * 1000), seg.window)  # fmt: skip
        rows.setdefault(way, []).append(row)
    return rows


def kernel_rows(pcap: Path) -> tuple[Directions, int]:
    """The rows per direction of the one TCP connection in ``pcap`` (read with tcpsim's reader), and how
    many connections the file holds."""
    capture = read(pcap)
    if not capture.connections:
        return {}, 0
    conn: Connection = capture.connections[0]
    # the sender of the first SYN: ``Connection.opener`` is that of the last one (in a simultaneous open, the other)
    opener = next((p.sender for p in conn.packets if p.segment.flags.letters == "S"), conn.a)
    wanted = {p.number for p in conn.packets}
    kinds = {}
    data = pcap.read_bytes()
    for number, _, link, frame, _ in records(data):
        located = tcp_in_frame(link, frame) if number in wanted else None
        if located is not None:
            kinds[number] = option_kinds(located[2])
    segments = [(p.time, p.segment, kinds.get(p.number, ""), p.length) for p in conn.packets]
    return _directions(opener, segments), len(capture.connections)


def model_rows(conversation: Conversation) -> Directions:
    """The model's rows for the conversation's scenario, run under ``--profile linux``."""
    if conversation.model is None:
        return {}
    trace = parse(conversation.model, default_name=conversation.name).with_options(profile_name="linux").run()
    sends = [(e.time, e.segment) for e in trace.events if e.kind == EventKind.SEND and e.segment is not None]
    first_syn = next((s for _, s in sends if s.flags.letters == "S"), None)
    opener = (first_syn.src_addr, first_syn.src_port) if first_syn is not None else None
    return _directions(opener, [(t, s, model_option_kinds(s.options), len(s.payload)) for t, s in sends])


# ----------------------------------------------------------------------------------------------- capture
@dataclass(slots=True)
class Captured:
    """What one run of a conversation on the kernel gave."""

    name: str
    rows: Directions
    connections: int  # TCP connections in the capture (1 for every conversation here)
    dropped: int  # packets tcpdump says the kernel dropped before it read them (must be 0)
    client_output: str = ""
    server_output: str = ""
    errors: list[str] = field(default_factory=list)


def capture(conversation: Conversation, workdir: Path | None = None) -> Captured:
    """Run one conversation in a fresh namespace (deleted whatever happens) while tcpdump records its loopback."""
    reason = missing(TOOLS, what="capturing a Linux conversation")
    if reason is not None:
        raise LiveError(reason)
    with tempfile.TemporaryDirectory(prefix="tcpsim-lc-") as tmp:
        pcap = Path(workdir or tmp) / f"{conversation.name}.pcap"
        with Namespace(mtu=1500, offloads=False) as ns:
            for argv in conversation.setup:
                ns.run(argv)
            with ns.tcpdump(pcap, "tcp", snaplen=200) as stats:
                outputs = _run_programs(ns, conversation)
        rows, count = kernel_rows(pcap)
    return Captured(conversation.name, rows, count, stats.dropped, *outputs)


def _run_programs(ns: Namespace, conversation: Conversation) -> tuple[str, str, list[str]]:
    """Start the server (wait for its "ready"), run the client, wait for the server; kill what is left."""
    errors: list[str] = []
    server = None
    try:
        if conversation.server is not None:
            server = subprocess.Popen(ns.command([sys.executable, "-c", conversation.server]),
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
            assert server.stdout is not None
            if server.stdout.readline().strip() != "ready":
                raise LiveError(f"{conversation.name}: the server did not start: {server.communicate()[1].strip()}")
        done = subprocess.run(ns.command([sys.executable, "-c", conversation.client]),
                              capture_output=True, text=True, timeout=conversation.timeout)  # fmt: skip
        if done.returncode != 0:
            errors.append(f"client: {done.stderr.strip().splitlines()[-1:]}")
        server_out = ""
        if server is not None:
            server_out, server_err = server.communicate(timeout=conversation.timeout)
            if server.returncode != 0:
                errors.append(f"server: {server_err.strip().splitlines()[-1:]}")
        return done.stdout, server_out, errors
    finally:
        if server is not None and server.poll() is None:
            server.kill()
            with suppress(subprocess.TimeoutExpired):
                server.communicate(timeout=5)


# --------------------------------------------------------------------------------------------------- show
HEAD = f"{'ms':>6} {'flags':<5} {'seq':>6} {'ack':>6} {'len':>5} {'win':>6}  options"
WIDTH = 72


def _cell(row: Row | None) -> str:
    if row is None:
        return ""
    return f"{row.ms:>6} {row.flags or '.':<5} {row.seq:>6} {row.ack:>6} {row.length:>5} {row.window:>6}  {row.options}"


def _mark(kernel: Row | None, model: Row | None) -> str:
    """ " " where the rows agree on flags, seq, ack, length and options; "o" where only the options differ;
    "≠" where more does (or one side has no row)."""
    if kernel is None or model is None:
        return "≠"
    if kernel.key == model.key:
        return " "
    same = (kernel.flags, kernel.seq, kernel.ack, kernel.length) == (model.flags, model.seq, model.ack, model.length)
    return "o" if same else "≠"


def render(conversation: Conversation, kernel: Captured, model: Directions | None = None) -> list[str]:
    """The kernel's rows per direction; with ``model``, the model's beside them, "≠" where the keys differ."""
    lines = [f"== {conversation.name}: {conversation.title}  (Linux {platform.release()})"]
    if model is not None and conversation.model is not None:
        lines.append("   (o: only the options differ; ≠: flags, seq, ack or length differ, or a row is missing)")
    lines += [f"   {e}" for e in kernel.errors]
    if kernel.client_output.strip():
        lines.append(f"   client printed: {kernel.client_output.strip()}")
    if model is not None and conversation.model is None:
        lines.append(f"   model: none yet (needs {conversation.needs})")
        model = None
    for way in sorted(set(kernel.rows) | set(model or {}), key=[OUT, BACK, SELF].index):
        theirs, ours = kernel.rows.get(way, []), (model or {}).get(way, [])
        lines.append(f"-- {way}")
        if model is None:
            lines += [f"   {HEAD}", *(f"   {_cell(r)}" for r in theirs)]
            continue
        lines.append(f"   {'kernel ' + HEAD:<{WIDTH + 7}} | model")
        for i in range(max(len(theirs), len(ours))):
            k, m = (theirs[i] if i < len(theirs) else None), (ours[i] if i < len(ours) else None)
            lines.append(f" {_mark(k, m)} {'       ' + _cell(k):<{WIDTH + 7}} | {_cell(m)}")
    return [line.rstrip() for line in lines]


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        """Bad arguments: one line, exit 2."""
        self.exit(2, f"linux_conversations: {message}\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _Parser(prog="python -m tools.linux_conversations", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"default: all of {', '.join(CONVERSATIONS)}")
    parser.add_argument("--model", action="store_true", help="run the model's scenario too, beside the kernel's rows")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in CONVERSATIONS]
    if unknown:
        parser.error(f"no conversation called {unknown[0]!r} (known: {', '.join(CONVERSATIONS)})")
    try:
        for name in args.names or CONVERSATIONS:
            conversation = CONVERSATIONS[name]
            kernel = capture(conversation)
            print("\n".join(render(conversation, kernel, model_rows(conversation) if args.model else None)), flush=True)
    except LiveError as exc:
        print(f"linux_conversations: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # | head
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115  (no second error when Python flushes at exit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
