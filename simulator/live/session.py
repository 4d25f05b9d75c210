"""``tcpsim live``: the model plays one endpoint of a scenario, the Linux kernel the other.

The model's endpoint sits in a ``LiveNetwork``: the scenario's own network
(its scripted faults and random loss still apply) with no latency of its own,
where the peer is not a model but the kernel behind a TUN device.  Time is the
wall clock.  Each segment the kernel sends is set beside the one the model
predicted for that side (from a plain simulated run of the same scenario) as
it arrives; at the end the whole conversation is lined up with the simulated
run, and the differences Linux makes on purpose are named in words.
"""

from __future__ import annotations

import platform
import select
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from scapy.layers.inet import IP, TCP
from scapy.utils import PcapNgWriter

from ..capture.compare import Key, Row, client_of, compare, key, keys
from ..capture.connections import Connection, read
from ..capture.export import from_packet, packet_bytes
from ..capture.outputs import replacing
from ..model.endpoint import Endpoint
from ..model.segment import Flags, Segment
from ..model.seq import SeqNum
from ..sim.app import Application
from ..sim.network import Network
from ..sim.scenario import Scenario
from ..sim.trace import EventKind, Trace
from .kernel import KernelApp
from .namespace import LiveError, Namespace, require
from .tun import KERNEL_ADDR, MODEL_ADDR, Tun

QUIET = 1.0  # seconds without a packet, once both applications are done, that end a run
LIMIT = 30.0  # a run stops after this many seconds at most (or the scenario's ``until``)


@dataclass(slots=True)
class Crossing:
    """One segment between the model and the kernel, in the order they happened."""

    time: float
    segment: Segment
    from_kernel: bool
    raw: bytes = b""
    dropped: str = ""  # why the scenario's fault or loss kept it from its receiver
    note: str = ""  # for the kernel's segments: how it compares with the model's prediction


@dataclass(slots=True)
class LiveRun:
    scenario: Scenario
    kernel: str  # the scenario endpoint the kernel played
    model: str
    kernel_dir: str  # its direction in the comparison: "client -> server" or "server -> client"
    crossings: list[Crossing]
    simulated: Trace
    rows: list[Row] = field(default_factory=list)  # the model host's view beside the simulated run
    kernel_failure: str | None = None
    model_failure: str | None = None


class LiveNetwork(Network):
    """The scenario's network around the model's endpoint; the kernel is reached through ``tun``."""

    def __init__(self, scenario: Scenario, tun: Tun, kernel: str, model: str, record: Callable[[Crossing], None]):
        link = replace(scenario.link, latency=0.0, jitter=0.0, bandwidth=None)
        super().__init__(seed=scenario.seed, default_link=link, faults=list(scenario.faults), scenario=scenario.name)
        self.tun = tun
        self.kernel_name = kernel
        self.model_name = model
        self.record_crossing = record
        self.started = time.monotonic()
        self._kernel_sent: dict[int, SeqNum] = {}  # per kernel port: the highest sequence end it has sent
        self._lost = ""  # why the segment going through the faults was lost ("" if it was not)

    def clock(self) -> float:
        return time.monotonic() - self.started

    def next_event(self) -> float | None:
        return self._heap[0][0] if self._heap else None

    # the model's segments: seen as they leave, written to the TUN when they "arrive"
    def _transmit(self, seg: Segment, sender: str, now: float, retransmission: bool) -> None:
        if sender != self.model_name:
            super()._transmit(seg, sender, now, retransmission)
            return
        crossing = Crossing(now, seg, False)
        self.record_crossing(crossing)
        self._through_faults(crossing, sender, retransmission)

    def _through_faults(self, crossing: Crossing, sender: str, retransmission: bool) -> None:
        """The scenario's faults and loss, as in a simulated run; a lost segment's crossing says why."""
        self._lost = ""
        super()._transmit(crossing.segment, sender, crossing.time, retransmission)
        crossing.dropped = self._lost

    def _arrive(self, seg: Segment, now: float) -> None:
        if seg.dst_addr == KERNEL_ADDR:
            self.tun.write(packet_bytes(seg))
            return
        super()._arrive(seg, now)

    def _drop(self, seg: Segment, sender: str, now: float, why: str) -> None:
        super()._drop(seg, sender, now, why)
        self._lost = why

    def from_kernel(self, seg: Segment, raw: bytes, now: float) -> Crossing:
        """A segment the kernel sent: through the scenario's faults, then to the model's endpoint."""
        end = seg.seq + seg.len  # serial arithmetic: Linux's ISN may sit just below 2^32
        sent = self._kernel_sent.get(seg.src_port)
        retransmission = bool(seg.len) and sent is not None and end <= sent
        if sent is None or end > sent:
            self._kernel_sent[seg.src_port] = end
        crossing = Crossing(now, seg, True, raw)
        self.record_crossing(crossing)
        self._through_faults(crossing, self.kernel_name, retransmission)
        return crossing


def run_live(
    scenario: Scenario,
    kernel: str,
    pcap: Path,
    *,
    say: Callable[[str], None] = print,
) -> LiveRun:
    """Play ``scenario`` with the kernel as endpoint ``kernel`` and the model as the other one."""
    require(["ip"], what="tcpsim live")
    names = [spec.name for spec in scenario.endpoints]
    if len(names) != 2 or kernel not in names:
        raise LiveError(
            f"tcpsim live: the kernel plays one of two endpoints; {scenario.name} has {', '.join(names)} "
            f"and --kernel {kernel}"
        )
    model = names[1 - names.index(kernel)]
    k_spec, m_spec = scenario.endpoint(kernel), scenario.endpoint(model)
    simulated = scenario.run()
    kernel_dir, expected = _predicted(simulated, (k_spec.address, k_spec.port))
    crossings: list[Crossing] = []
    run = LiveRun(scenario, kernel, model, kernel_dir, crossings, simulated)
    isn: dict[bool, int] = {}  # from_kernel -> ISN
    cursor = [0]

    def record(c: Crossing) -> None:
        crossings.append(c)
        if c.segment.flags & Flags.SYN:
            isn.setdefault(c.from_kernel, int(c.segment.seq))

    with Namespace() as ns:
        tun = Tun(ns)
        try:
            with ns.entered():
                app = KernelApp(
                    list(k_spec.script),
                    (KERNEL_ADDR, k_spec.port),
                    (MODEL_ADDR, m_spec.port),
                    auto_read=k_spec.config.auto_read,
                    rcvbuf=k_spec.config.recv_buffer if "window" in dict(k_spec.settings) else None,
                    sndbuf=k_spec.config.send_buffer,
                )
            try:
                net = LiveNetwork(scenario, tun, kernel, model, record)
                endpoint = Endpoint(model, MODEL_ADDR, m_spec.port, m_spec.isn or 0, m_spec.config)
                net.add(endpoint, list(m_spec.script))
                net.address_of[kernel] = (KERNEL_ADDR, k_spec.port)
                _loop(net, app, tun, scenario, crossings, (kernel_dir, expected), isn, cursor, say)
                model_app = net.apps[model]
                run.model_failure = model_app.failure
                run.kernel_failure = app.failure
            finally:
                app.close()
        finally:
            tun.close()
    _write(crossings, pcap, kernel, model)
    seen = _host_view(pcap, crossings)
    if seen is not None:
        run.rows = compare(seen, simulated, at=model)
    return run


def _predicted(trace: Trace, kernel: tuple[str, int]) -> tuple[str, list[Key]]:
    """The kernel's direction in the comparison, and the segments the simulated run has the kernel's
    side (at address ``kernel``) send, as keys."""
    sends = [(e.segment, len(e.segment.payload)) for e in trace.events if e.kind == EventKind.SEND and e.segment]
    client = client_of(seg for seg, _ in sends)
    direction = "client -> server" if client == kernel else "server -> client"
    return direction, [k for k in keys(sends, client) if k.direction == direction]


def _loop(
    net: LiveNetwork,
    app: KernelApp,
    tun: Tun,
    scenario: Scenario,
    crossings: list[Crossing],
    prediction: tuple[str, list[Key]],
    isn: dict[bool, int],
    cursor: list[int],
    say: Callable[[str], None],
) -> None:

    limit = scenario.until if scenario.until is not None else LIMIT
    model_app: Application = net.apps[net.model_name]
    shown = 0
    while True:
        now = net.clock()
        app.step(now)  # first: a kernel server listens before the model's SYN can come
        net.run(until=now)
        while (raw := tun.read()) is not None:
            if raw[0] >> 4 != 4:
                continue
            pkt = IP(raw)
            if TCP not in pkt or pkt.src != KERNEL_ADDR:
                continue
            now = net.clock()
            crossing = net.from_kernel(from_packet(pkt), raw, now)
            net.run(until=now)
            crossing.note = _against_prediction(crossing, prediction, isn, cursor)
        app.step(net.clock())
        while shown < len(crossings):
            say(_line(crossings[shown], net, isn))
            shown += 1
        now = net.clock()
        last = crossings[-1].time if crossings else 0.0
        if (model_app.done and app.done and now - last >= QUIET) or now >= limit:
            return
        deadlines = [t for t in (net.next_event(), app.wake_at) if t is not None]
        wait = min([0.05, *[t - now for t in deadlines]])
        writers = [app.sock] if app.sock is not None and app.wants_to_write() and not app.closed else []
        readers: list[Tun | socket.socket] = [tun, *app.sockets()]
        select.select(readers, writers, [], max(wait, 0.0))


def _against_prediction(c: Crossing, prediction: tuple[str, list[Key]], isn: dict[bool, int], cursor: list[int]) -> str:
    """Set the kernel's segment beside the next one the model predicted for that side."""
    direction, expected = prediction
    seg = c.segment
    live = key(seg, len(seg.payload), direction, isn.get(True, int(seg.seq)), isn.get(False))
    for ahead in range(cursor[0], min(cursor[0] + 4, len(expected))):
        if expected[ahead] == live:
            skipped = ahead - cursor[0]
            cursor[0] = ahead + 1
            return "as the model predicted" + (f" (after {skipped} it predicted first)" if skipped else "")
    if cursor[0] < len(expected):
        return f"the model predicted {expected[cursor[0]].label(empty_length=False)}"
    return "the model predicted nothing more from this side"


def _line(c: Crossing, net: LiveNetwork, isn: dict[bool, int]) -> str:
    who = f"kernel ({net.kernel_name})" if c.from_kernel else f"model ({net.model_name})"
    arrow = "->" if not c.from_kernel else "<-"
    label = c.segment.label(isn_self=isn.get(c.from_kernel), isn_peer=isn.get(not c.from_kernel))
    text = f"{c.time:8.3f}  {who:<18} {arrow} {label}"
    if c.dropped:
        text += f"   [lost: {c.dropped}]"
    if c.note:
        text += f"   {'✓' if c.note.startswith('as the') else '≠'} {c.note}"
    return text


def _write(crossings: list[Crossing], pcap: Path, kernel: str, model: str) -> None:
    """Everything that crossed (and what the model's side lost) as pcapng, each with a comment."""

    epoch = time.time() - (crossings[-1].time if crossings else 0.0)
    try:
        with replacing(pcap) as temporary, PcapNgWriter(str(temporary)) as writer:
            for c in crossings:
                pkt = IP(c.raw or packet_bytes(c.segment))
                pkt.time = epoch + c.time
                who = f"the kernel ({kernel})" if c.from_kernel else f"the model ({model})"
                comment = f"sent by {who}"
                if c.dropped:
                    comment += f"; never delivered: {c.dropped}"
                if c.note:
                    comment += f"; {c.note}"
                pkt.comments = [comment.encode("utf-8")]
                writer.write(pkt)
    except OSError as exc:
        raise LiveError(f"cannot write {pcap}: {exc.strerror or exc}") from None


def _host_view(pcap: Path, crossings: list[Crossing]) -> Connection | None:
    """The conversation as the model's host saw it: its own segments as sent, the kernel's as delivered."""
    connections = read(pcap).connections
    if not connections:
        return None
    lost = {i + 1 for i, c in enumerate(crossings) if c.from_kernel and c.dropped}
    conn = connections[0]
    return Connection(conn.a, conn.b, [p for p in conn.packets if p.number not in lost], conn.isn, conn.number)


def kernel_release() -> str:
    return f"Linux {platform.release()}"


# --------------------------------------------------------------------- report
_PROBE = "Linux's zero-window probe carries no data and seq = SND.UNA - 1 (the RFC's carries one byte)"


def why_different(
    row: Row,
    kernel_dir: str,
    data_ends: frozenset[int] = frozenset(),
    ack_limit: int | None = None,
    sent_before: frozenset[Key] = frozenset(),
) -> str | None:
    """Why a row differs, in words, when Linux made a choice of its own; None if it is unexplained.
    ``data_ends`` are the relative sequence numbers where the kernel's data segments end;
    ``ack_limit`` is the highest ack the model has the kernel send (more acknowledges bytes never sent);
    ``sent_before`` the segments the kernel sent in earlier rows."""
    live, predicted = row.captured, row.simulated
    either = live or predicted
    assert either is not None
    if either.direction != kernel_dir:
        return "the model's answer to what Linux actually sent (follows from the rows around it)"
    if live is not None and ack_limit is not None and live.ack > ack_limit:
        return None
    if live is not None and predicted is None and live in sent_before and live.flags != "ACK":
        return "timing: Linux sent this segment once more (its retransmission timer and the peer's crossed)"
    live_ack = live is not None and live.flags == "ACK" and live.length == 0
    if live is not None and predicted is not None:
        if live._replace(flags=_no_psh(live)) == predicted._replace(flags=_no_psh(predicted)):
            return "PSH placement: Linux sets PSH where its send buffer runs empty"
        if live_ack and predicted.length == 1 and live.seq == predicted.seq - 1:
            return _PROBE
    if live_ack and live is not None and live.seq + 1 in data_ends:
        return _PROBE
    predicted_ack = predicted is not None and predicted.flags == "ACK" and predicted.length == 0
    if (live is None or live_ack) and (predicted is None or predicted_ack):
        return "delayed ACK: Linux acknowledges when it chooses (RFC 9293 3.8.6.3 allows a delay)"
    carries_data = (live is not None and live.length > 0) or (predicted is not None and predicted.length > 0)
    if carries_data and {_no_psh(k) for k in (live, predicted) if k is not None} <= {"ACK"}:
        return "Linux cut its data into segments differently (send buffer, autocorking): the same bytes"
    return None


def _no_psh(key: Key) -> str:
    return ",".join(f for f in key.flags.split(",") if f != "PSH")


def _resends(items: list[tuple[float, Segment]]) -> dict[tuple[str, int], float]:
    """Each resent segment (flags and seq relative to the first one's, carrying data, SYN or FIN) with
    the time since it was first sent."""
    first: dict[tuple[str, int], float] = {}
    out: dict[tuple[str, int], float] = {}
    base = int(items[0][1].seq) if items else 0
    for t, seg in items:
        if not seg.len:
            continue
        key = (seg.flags.names, (int(seg.seq) - base) % (1 << 32))
        if key in first:
            out.setdefault(key, t - first[key])
        else:
            first[key] = t
    return out


def report(run: LiveRun) -> list[str]:
    """The agreement table, the differences in words, retransmission timing and Linux's own choices."""
    from ..capture.compare import render as render_rows

    lines = [f"the conversation beside the model's simulated run of {run.scenario.name} (relative numbers):"]
    lines += render_rows(run.rows)
    unexplained = []
    explained: dict[str, int] = {}
    for row, why in differences(run):
        if why is None:
            unexplained.append(row)
        else:
            explained[why] = explained.get(why, 0) + 1
    for why, count in explained.items():
        lines.append(f"  {count} row{'s' if count > 1 else ''}: {why}")
    for row in unexplained:
        live = row.captured.label() if row.captured else "nothing"
        predicted = row.simulated.label() if row.simulated else "nothing"
        lines.append(f"  departs: Linux sent {live} where the model predicted {predicted}")
    kernel_sends = [(c.time, c.segment) for c in run.crossings if c.from_kernel]
    predicted_sends = [
        (e.time, e.segment)
        for e in run.simulated.events
        if e.kind == EventKind.SEND and e.endpoint == run.kernel and e.segment
    ]
    model_resends = _resends(predicted_sends)
    for (flags, seq), delay in _resends(kernel_sends).items():
        model = model_resends.get((flags, seq))
        beside = "" if model is None else f"; the model resent it after {model:.3f} s"
        if model is not None and abs(model - delay) > 0.1:
            beside += " (Linux's RTO may go down to 200 ms where RFC 6298 2.4 asks for at least 1 s)"
        lines.append(f"  timing: Linux resent {flags} seq={seq} after {delay:.3f} s{beside}")
    lines += [f"  {text}" for text in _linux_choices(run)]
    verdict = (
        "agrees with the model"
        if not explained and not unexplained
        else "agrees with the model except for Linux's own choices named above"
        if not unexplained
        else f"departs from the model in {len(unexplained)} row{'s' if len(unexplained) > 1 else ''}"
    )
    lines.append(f"verdict: {kernel_release()} as {run.kernel} {verdict}")
    return lines


def differences(run: LiveRun) -> list[tuple[Row, str | None]]:
    """Each row that differs, with Linux's reason in words (None: a departure from the model)."""
    kernel_dir = run.kernel_dir
    live = [row.captured for row in run.rows if row.captured is not None and row.captured.direction == kernel_dir]
    data_ends = frozenset(k.seq + k.length for k in live if k.length)
    predicted = [
        row.simulated for row in run.rows if row.simulated is not None and row.simulated.direction == kernel_dir
    ]
    ack_limit = max((k.ack for k in predicted), default=None)
    out: list[tuple[Row, str | None]] = []
    sent: set[Key] = set()
    for row in run.rows:
        if not row.same:
            out.append((row, why_different(row, kernel_dir, data_ends, ack_limit, frozenset(sent))))
        if row.captured is not None and row.captured.direction == kernel_dir:
            sent.add(row.captured)
    return out


def agrees(run: LiveRun) -> bool:
    """Every row agrees, or differs only by a choice Linux makes on purpose."""
    return bool(run.rows) and all(why is not None for _, why in differences(run))


def _linux_choices(run: LiveRun) -> list[str]:
    """What Linux chooses on purpose and the comparison leaves aside: ISN, options, windows."""
    kernel = [c.segment for c in run.crossings if c.from_kernel]
    if not kernel:
        return []
    syn = next((s for s in kernel if s.flags & Flags.SYN), None)
    out = []
    if syn is not None:
        out.append(f"ISN: Linux chose {int(syn.seq)} (a keyed hash and a clock, RFC 6528); numbers above are relative")
        opts = syn.options
        offered = [f"MSS {opts.mss}"] if opts.mss else []
        offered += ["SACK-permitted"] if opts.sack_permitted else []
        offered += ["timestamps"] if opts.timestamps else []
        offered += [f"window scale {opts.wscale}"] if opts.wscale is not None else []
        out.append(
            f"options: Linux's {syn.flags.names} carried {', '.join(offered) or 'none'}; the model offers what "
            "its profile does, and an option is used only when both sides offer it"
        )
    windows = sorted({s.window for s in kernel})
    out.append(
        f"windows: Linux advertised {windows[0]}..{windows[-1]} bytes; window sizes are each stack's own choice "
        "and are not compared"
    )
    return out
