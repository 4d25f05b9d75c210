"""``tcpsim probe HOST:PORT``: is a TCP port open, closed or filtered, packet by packet.

The socket API answers the question (connect() succeeds, is refused, or times
out); tcpdump on the loopback shows the packets that made the answer, and the
model runs the same attempt so the two can be read side by side.  Targets are
loopback addresses only, or a private namespace made by ``--example``.
"""

from __future__ import annotations

import errno
import socket
import threading
import time
from contextlib import AbstractContextManager, ExitStack, nullcontext
from dataclasses import dataclass, field
from pathlib import Path

from ..capture.compare import Row, compare
from ..capture.connections import Connection, read
from ..model.segment import Flags
from ..sim.scenario import parse
from ..sim.trace import EventKind, Trace
from ..system.lifetime import ending_on_signals, temporary_folder
from .namespace import LiveError, Namespace, is_loopback, missing, sweep, tcpdump

EXAMPLES = ("open", "closed", "filtered")
EXAMPLE_PORT = 5000


@dataclass(slots=True)
class Probe:
    """What one probe found."""

    host: str
    port: int
    verdict: str  # open, closed, filtered or unreachable
    detail: str  # what the socket API said
    seconds: float  # how long connect() took
    local_port: int  # the probe's own port, to find its packets in the capture
    connection: Connection | None = None  # the captured packets (None without root/tcpdump)
    why_no_packets: str = ""
    model: Trace | None = None
    rows: list[Row] = field(default_factory=list)

    @property
    def syn_times(self) -> list[float]:
        """When each SYN left, in seconds since the first (the backoff a student should see)."""
        if self.connection is None:
            return []
        syns = [p.time for p in self.connection.packets if p.segment.flags & (Flags.SYN | Flags.ACK) == Flags.SYN]
        return [t - syns[0] for t in syns]

    @property
    def model_syn_times(self) -> list[float]:
        if self.model is None:
            return []
        return [
            e.time
            for e in self.model.events
            if e.kind == EventKind.SEND
            and e.segment is not None
            and e.segment.flags & (Flags.SYN | Flags.ACK) == Flags.SYN
        ]


def parse_target(text: str) -> tuple[str, int]:
    """``127.0.0.1:8080`` or ``[::1]:8080``, checked to be on loopback."""
    host, sep, port_text = text.rpartition(":")
    host = host.strip("[]")
    digits = port_text.isascii() and port_text.isdigit()  # not "²", which isdigit() also calls a digit
    if not sep or not host or not digits or len(port_text) > 5 or not 0 < int(port_text) < 65536:
        raise LiveError(f"tcpsim probe: {text!r} is not HOST:PORT (for example 127.0.0.1:8080 or [::1]:8080)")
    if host == "localhost":
        host = "127.0.0.1"
    if not is_loopback(host):
        raise LiveError(
            f"tcpsim probe: {host} is not a loopback address; tcpsim only sends to 127.0.0.0/8 and ::1 "
            "(try --example open|closed|filtered for a private namespace)"
        )
    return host, int(port_text)


def probe(host: str, port: int, *, timeout: float = 5.0, example: str | None = None) -> Probe:
    """Connect to ``host:port`` (a loopback address) and explain what happened."""
    sweep()  # what killed probes left behind
    with ending_on_signals(), ExitStack() as stack:
        ns = None
        if example is not None:
            ns = stack.enter_context(Namespace(loss=0.0))
            _set_up_example(ns, example, port, stack)
        why = missing(["tcpdump"], what="packet detail")
        pcap = Path(stack.enter_context(temporary_folder("probe"))) / "probe.pcap"
        expression = f"tcp and host {host} and port {port}"
        dump: AbstractContextManager[object] = nullcontext()
        if why is None:
            dump = ns.tcpdump(pcap, expression) if ns is not None else tcpdump([], pcap, expression)
        with dump, ns.entered() if ns is not None else nullcontext():
            result = _connect(host, port, timeout)
        if why is None:
            result.connection = _our_connection(pcap, result)
        else:
            result.why_no_packets = why
    result.model = _model(result, timeout)
    if result.connection is not None:
        result.rows = compare(result.connection, result.model)
    return result


def _connect(host: str, port: int, timeout: float) -> Probe:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.bind((host, 0))
        local = sock.getsockname()[1]
        start = time.monotonic()
        try:
            sock.connect((host, port))
        except ConnectionRefusedError:
            detail = "connect() was refused (ECONNREFUSED): the port is closed"
            return _result(host, port, "closed", detail, start, local)
        except TimeoutError:
            detail = f"connect() had no answer within {timeout:g} s: the port is filtered (SYNs dropped)"
            return _result(host, port, "filtered", detail, start, local)
        except OSError as exc:
            name = errno.errorcode.get(exc.errno or 0, "error")
            return _result(host, port, "unreachable", f"connect() failed: {exc.strerror} ({name})", start, local)
        result = _result(host, port, "open", "connect() succeeded: the port is open", start, local)
        sock.shutdown(socket.SHUT_WR)  # a clean close: our FIN, then wait for the server's
        sock.settimeout(1.0)
        try:
            while sock.recv(65536):
                pass
        except OSError:
            pass
    time.sleep(0.2)  # the last ACK of the close
    return result


def _result(host: str, port: int, verdict: str, detail: str, start: float, local: int) -> Probe:
    seconds = time.monotonic() - start
    return Probe(host, port, verdict, f"{detail} ({seconds * 1000:.1f} ms)", seconds, local)


def _our_connection(pcap: Path, result: Probe) -> Connection | None:
    for conn in read(pcap).connections:
        if result.local_port in (conn.a[1], conn.b[1]):
            return conn
    return None


def _set_up_example(ns: Namespace, example: str, port: int, stack: ExitStack) -> None:
    if example == "filtered":
        ns.run(["iptables", "-A", "INPUT", "-p", "tcp", "--dport", str(port), "-j", "DROP"])
    if example != "open":
        return
    with ns.entered():
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    stack.callback(server.close)
    server.bind(("127.0.0.1", port))
    server.listen()

    def serve() -> None:  # accept one connection, read to end of stream, close
        try:
            conn, _ = server.accept()
        except OSError:
            return
        with conn:
            while conn.recv(65536):
                pass

    threading.Thread(target=serve, daemon=True).start()


def _model(result: Probe, timeout: float) -> Trace:
    """The model's run of the same attempt (Linux profile), for the outcome the socket saw."""
    client = f'[endpoint.client]\naddress = "{result.host}"\nisn = 0\n'
    if result.verdict == "open":
        scripts = (
            client + 'script = ["connect server", "shutdown", "wait_for_eof", "close"]\n',
            'script = ["listen", "wait_for_eof", "close"]\n',
        )
        faults = ""
    else:
        scripts = (client + 'script = ["connect server"]\n', "script = []\n")
        faults = '[[fault]]\naction = "drop"\nfrom = "client"\nflags = "S"\ncount = 1000\n'
        if result.verdict == "closed":
            faults = ""
    server = f'[endpoint.server]\naddress = "{result.host}"\nport = {result.port}\nisn = 0\n{scripts[1]}'
    text = f'name = "probe"\nuntil = {timeout:g}\n[network]\nlatency = 0.00005\n{faults}{scripts[0]}{server}'
    return parse(text, default_name="probe").run()


def _linear_syn_timeouts() -> int | None:
    """Linux 6.x sends its first few SYN retransmissions 1 s apart (net.ipv4.tcp_syn_linear_timeouts)."""
    try:
        return int(Path("/proc/sys/net/ipv4/tcp_syn_linear_timeouts").read_text())
    except (OSError, ValueError):
        return None


def render(result: Probe) -> list[str]:
    """The verdict, the packets beside the model's, and the timing of any SYN retransmissions."""
    from ..capture.compare import render as render_rows

    lines = [f"probe {_target(result)}: {result.verdict.upper()}", f"  socket: {result.detail}"]
    if result.connection is None:
        lines.append(f"  packets: not shown ({result.why_no_packets})")
        return lines
    lines.append("  packets on the loopback (tcpdump) beside the model's run (linux profile), relative numbers:")
    lines += ["  " + line for line in render_rows(result.rows)]
    real, model = result.syn_times, result.model_syn_times
    if len(real) > 1:
        lines.append("  SYN sent at " + ", ".join(f"{t:.2f}" for t in real) + " s (Linux)")
        lines.append("  model:      " + ", ".join(f"{t:.2f}" for t in model) + " s (RFC 6298 5.5: the RTO doubles)")
        linear = _linear_syn_timeouts()
        if linear:
            lines.append(
                f"  Linux differs on purpose: net.ipv4.tcp_syn_linear_timeouts = {linear}, so its first {linear} "
                "SYN retransmissions come 1 s apart before the doubling starts (Linux 6.5 and later)."
            )
    return lines


def to_json(result: Probe) -> dict[str, object]:
    packets = []
    if result.connection is not None:
        conn = result.connection
        t0 = conn.packets[0].time
        for p in conn.packets:
            seg = p.segment
            packets.append(
                {
                    "time": round(p.time - t0, 6),
                    "from": "probe" if seg.src_port == result.local_port else "target",
                    "flags": seg.flags.names,
                    "seq": conn.relative_seq(seg),
                    "ack": conn.relative_ack(seg),
                    "len": p.length,
                }
            )
    return {
        "target": _target(result),
        "verdict": result.verdict,
        "socket": result.detail,
        "seconds": round(result.seconds, 6),
        "packets": packets if result.connection is not None else None,
        "packets_missing_because": result.why_no_packets or None,
        "agrees_with_model": all(row.same for row in result.rows) if result.rows else None,
        "syn_times": [round(t, 6) for t in result.syn_times],
        "model_syn_times": result.model_syn_times,
    }


def _target(result: Probe) -> str:
    """``127.0.0.1:80`` or ``[::1]:80``."""
    host = f"[{result.host}]" if ":" in result.host else result.host
    return f"{host}:{result.port}"
