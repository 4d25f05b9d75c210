"""Turn a captured connection into a scenario file that replays what its two applications did.

The packets show what each application must have done: the client connected,
the server listened, each side sent so many bytes after it had received so
many, shut down its sending side (a FIN, then still data from the peer) or
closed, or aborted (a RST from a synchronized connection).  Those steps, with
each side's ISN, MSS, window and window scale from its SYN and a one-way
latency from the handshake, become a scenario the model can run on the same
conversation.  Pure standard library.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..model.errors import ScenarioError
from ..model.segment import Flags, Segment
from ..model.seq import SeqNum
from .connections import Connection, Packet, taken_at_client


@dataclass(slots=True)
class _Side:
    name: str
    addr: tuple[str, int]
    sent_to: SeqNum | None = None  # end of the new data sent so far
    sent: int = 0  # bytes of data sent so far
    fin: bool = False  # it has sent a FIN
    # (what, bytes, time, got, eof, push): push marks the end of one write (the segment's PSH)
    actions: list[tuple[str, int, float, int, bool, bool]] = field(default_factory=list)
    got: int = 0  # bytes received so far
    eof: bool = False  # the peer's FIN has arrived
    arrivals: list[tuple[int, SeqNum]] = field(default_factory=list)  # (bytes received by then, the seq after them)
    eof_end: SeqNum | None = None  # the seq after the peer's FIN
    copies: list[tuple[SeqNum, SeqNum, float]] = field(default_factory=list)  # (seq, end, time) of each copy to it

    @property
    def aborted(self) -> bool:
        return any(action[0] == "abort" for action in self.actions)


def _answers(rst: Segment, sender: _Side) -> bool:
    """A RST without ACK below its sender's SND.NXT: <SEQ=SEG.ACK><CTL=RST>, the answer of a side with no
    connection to a segment it got (RFC 9293 section 3.10.7.1), not its application's abort (which sends it at
    SND.NXT, section 3.10.5)."""
    return not rst.flags & Flags.ACK and sender.sent_to is not None and rst.seq < _next(sender)


def scenario_from(conn: Connection, *, name: str = "from_capture", source: str = "a capture") -> str:
    """A scenario file (TOML text) for the conversation in ``conn``."""
    packets = conn.packets
    syn = next((p for p in packets if p.segment.flags & (Flags.SYN | Flags.ACK) == Flags.SYN), None)
    if syn is None:
        raise ScenarioError("this connection has no SYN in the capture: there is no handshake to replay")
    client_addr = (syn.segment.src_addr, syn.segment.src_port)
    server_addr = (syn.segment.dst_addr, syn.segment.dst_port)
    if client_addr == server_addr:
        return _self_connect(conn, name, source)
    client, server = _Side("client", client_addr), _Side("server", server_addr)
    sides = {client_addr: client, server_addr: server}
    synack = next((p for p in packets if p.segment.flags & (Flags.SYN | Flags.ACK) == Flags.SYN | Flags.ACK), None)
    for p in packets:
        seg = p.segment
        sender = sides[(seg.src_addr, seg.src_port)]
        receiver = client if sender is server else server
        start = seg.seq + 1 if seg.flags & Flags.SYN else seg.seq  # a SYN's data (TCP Fast Open) follows it
        if sender.sent_to is None or seg.flags & Flags.SYN:
            sender.sent_to = start
        if seg.flags & Flags.ACK and _unseen(receiver, seg.ack):
            _sends(receiver, sender, seg.ack, p.time, False)  # it acknowledges bytes the capture never saw sent
        end = start + p.length
        if p.length or seg.flags & Flags.FIN:  # every copy, resent ones too: Karn's rule for the pauses
            receiver.copies.append((start, end + 1 if seg.flags & Flags.FIN else end, p.time))
        if (p.length and end > sender.sent_to) or (not seg.flags & Flags.RST and _unseen(sender, end)):
            _sends(sender, receiver, end, p.time, bool(seg.flags & Flags.PSH))  # its data, or bytes never seen
        if seg.flags & Flags.FIN and not sender.fin:
            sender.fin = True
            # crossed FINs (a simultaneous close): this FIN does not acknowledge the peer's, so its
            # application closed before it read the end of the stream
            read_eof = sender.eof and not _crossed(seg, receiver)
            sender.actions.append(("fin", 0, p.time, sender.got, read_eof, False))
            receiver.eof, receiver.eof_end = True, end + 1
        if (
            seg.flags & Flags.RST
            and synack is not None
            and p.time >= synack.time
            and not _answers(seg, sender)
            and not sender.aborted
        ):
            sender.actions.append(("abort", 0, p.time, sender.got, sender.eof, False))
    latency = _latency(packets, client, synack)
    taken = taken_at_client(packets)
    at = None if taken is None else client if taken else server
    refused = synack is None and any(p.segment.flags & Flags.RST and _from(p.segment, server) for p in packets)
    lines = [
        f'name = "{name}"',
        f'title = "Replayed from {_escape(source)}"',
        'lesson = """',
        f"The applications' steps as the packets of {_escape(source)} show them; run it and",
        "compare the model's segments with the capture (tcpsim compare).",
        '"""',
        "seed = 1",
        "",
        "[network]",
        f"latency = {latency:.6f}",
    ]
    if synack is None and not refused:  # never answered: the network loses every SYN
        lines += ["", "[[fault]]", 'action = "drop"', 'from = "client"', 'flags = "S"', "nth = 1", "count = 1000"]
    # a simultaneous open: the server sent a SYN of its own (no ACK) too, so it connected as well
    opens = "connect client" if any(_pure_syn(p.segment) and _from(p.segment, server) for p in packets) else "listen"
    for side, peer, first in ((client, server, "connect server"), (server, client, opens)):
        clock = _Clock(latency, here=side is at)
        script = "[]" if side is server and refused else _script(side, peer, first, clock)  # a closed port
        lines += ["", f"[endpoint.{side.name}]", *_settings(conn, side), f"script = {script}"]
    return "\n".join(lines) + "\n"


def _crossed(fin: Segment, peer: _Side) -> bool:
    """``fin`` leaves before its sender had the peer's FIN: its ack does not count that FIN."""
    return peer.fin and peer.sent_to is not None and (not fin.flags & Flags.ACK or fin.ack <= peer.sent_to)


def _self_connect(conn: Connection, name: str, source: str) -> str:
    """One endpoint connected to itself (a simultaneous open with itself, RFC 9293 3.5): it
    sends its writes (one per PSH), reads them back, and closes if the capture shows its FIN."""
    side = _Side("client", (conn.packets[0].segment.src_addr, conn.packets[0].segment.src_port))
    steps, pending, total = ["connect client"], 0, 0
    for p in conn.packets:
        if p.length and p.segment.seq.since(side.sent_to or p.segment.seq) >= 0:
            side.sent_to = p.segment.seq + p.length
            pending += p.length
            if p.segment.flags & Flags.PSH:
                steps.append(f"send {pending}")
                total, pending = total + pending, 0
    if pending:
        steps.append(f"send {pending}")
        total += pending
    if total:
        steps.append(f"wait_for_bytes {total}")  # what it sent to itself, read back
    if any(p.segment.flags & Flags.FIN for p in conn.packets):
        steps.append("close")
    script = "[" + ", ".join(f'"{step}"' for step in steps) + "]"
    lines = [
        f'name = "{name}"',
        f'title = "Replayed from {_escape(source)}: a socket connected to itself"',
        "seed = 1",
        "",
        "[network]",
        "latency = 0.000010",
        "",
        "[endpoint.client]",
        *_settings(conn, side),
        f"script = {script}",
    ]
    return "\n".join(lines) + "\n"


def _next(side: _Side) -> SeqNum:
    """The sequence number after all ``side`` was seen to send, its FIN included."""
    assert side.sent_to is not None
    return side.sent_to + 1 if side.fin else side.sent_to


def _unseen(side: _Side, upto: SeqNum) -> bool:
    """``side`` must have sent bytes up to ``upto`` that the capture never saw (a Fast Open SYN's data, a capture
    drop): more than one sequence number past what it was seen to send (just one may be a FIN the capture
    missed), and before any abort of its own."""
    return side.sent_to is not None and not side.aborted and upto > _next(side) + 1


def _sends(side: _Side, peer: _Side, upto: SeqNum, time: float, push: bool) -> None:
    """``side`` has sent new data up to ``upto`` (seen in the capture, or shown by a later seq or by the peer's ack)."""
    assert side.sent_to is not None
    new = upto.since(side.sent_to)
    side.sent_to = upto
    side.sent += new
    side.actions.append(("send", new, time, side.got, side.eof, push))
    peer.got += new
    peer.arrivals.append((peer.got, upto))


def _latency(packets: list[Packet], client: _Side, synack: Packet | None) -> float:
    """Half the round trip the handshake shows (captured at the client: SYN to SYN,ACK; at the server:
    SYN,ACK to the ACK), from segments sent once (Karn's rule, RFC 6298 section 3): a SYN sent again
    is timed from its last copy, and the SYN,ACK from its last copy before the ACK."""
    if synack is None:
        return 0.05
    syns = [p.time for p in packets if p.time <= synack.time and _pure_syn(p.segment) and _from(p.segment, client)]
    after = next((p.time for p in packets if p.time > synack.time and not p.segment.flags & Flags.SYN), None)
    synacks = [
        p.time
        for p in packets
        if p.segment.flags & (Flags.SYN | Flags.ACK) == Flags.SYN | Flags.ACK and (after is None or p.time <= after)
    ]
    last_synack = synacks[-1] if synacks else synack.time
    rtt = max(synack.time - (syns[-1] if syns else synack.time), (after or last_synack) - last_synack)
    return max(rtt / 2, 0.000001)


@dataclass(frozen=True, slots=True)
class _Clock:
    """Capture times turned into one side's own: a packet captured at the other host left this one a
    one-way latency earlier, or reaches it a latency later."""

    latency: float
    here: bool  # the capture was taken on this side's host

    def sent(self, time: float) -> float:
        return time if self.here else time - self.latency

    def received(self, time: float) -> float:
        return time if self.here else time + self.latency

    def pause(self, arrived: float, acted: float) -> float:
        """How long the application waited after ``arrived`` before it did what left at ``acted``."""
        return self.sent(acted) - self.received(arrived)


def _pure_syn(seg: Segment) -> bool:
    return seg.flags & (Flags.SYN | Flags.ACK) == Flags.SYN


def _from(seg: Segment, side: _Side) -> bool:
    return (seg.src_addr, seg.src_port) == side.addr


MAX_MSS = 65495  # an IPv4 packet's 65,535 bytes less 40 of headers: the largest MSS a scenario takes
MAX_WSCALE = 14  # RFC 7323 2.3


def _settings(conn: Connection, side: _Side) -> list[str]:
    syn = next((p.segment for p in conn.packets if p.segment.flags & Flags.SYN and _from(p.segment, side)), None)
    out = [f'address = "{side.addr[0]}"', f"port = {side.addr[1]}"]
    if syn is None:
        return out
    out.append(f"isn = {int(syn.seq)}")
    if syn.options.mss:  # (an MSS of 0 is ignored, as Linux's tcp_parse_options does)
        mss = min(syn.options.mss, MAX_MSS)
        if mss != syn.options.mss:
            out.append(f"# the capture's MSS {syn.options.mss} is more than an IPv4 packet can carry: {MAX_MSS}")
        out.append(f"mss = {mss}")
    # RFC 7323 2.3: a shift above 14 is used as 14
    wscale = None if syn.options.wscale is None else min(syn.options.wscale, MAX_WSCALE)
    offered = [p.segment.options.wscale for p in conn.packets if p.segment.flags & Flags.SYN]
    scale = wscale if len(offered) >= 2 and None not in offered and wscale else 0
    # its receive buffer: the largest window it advertised (scaled, RFC 7323), at least its SYN's
    windows = [
        p.segment.window << scale for p in conn.packets if _from(p.segment, side) and not p.segment.flags & Flags.SYN
    ]
    out.append(f"window = {min(max([syn.window, *windows]), 65535 << (wscale or 0))}")
    if wscale is not None:
        out.append(f"window_scale = {wscale}")
    if syn.options.sack_permitted:
        out.append("sack_permitted = true")
    if syn.options.timestamps is not None:
        out.append("timestamps = true")
    if _no_nagle(conn, side):
        out.append("nagle = false  # small segments in flight together: TCP_NODELAY")
    return out


def _no_nagle(conn: Connection, side: _Side) -> bool:
    """``side`` sent a small segment while an earlier small one was unacknowledged, which Nagle's
    algorithm forbids (RFC 896, RFC 9293 3.7.4): its application had turned it off."""
    peer_syn = next(
        (p.segment for p in conn.packets if p.segment.flags & Flags.SYN and not _from(p.segment, side)), None
    )
    mss = peer_syn.options.mss if peer_syn is not None and peer_syn.options.mss else 536
    small_until: SeqNum | None = None  # the end of the last small segment sent
    acked: SeqNum | None = None
    for p in conn.packets:
        seg = p.segment
        if not _from(seg, side):
            if seg.flags & Flags.ACK and (acked is None or seg.ack > acked):
                acked = seg.ack
            continue
        if 0 < p.length < mss:
            if small_until is not None and (acked is None or acked < small_until):
                return True
            small_until = seg.seq + p.length
    return False


def _arrived(side: _Side, upto: SeqNum | None, acted: float) -> float:
    """When the capture last saw, before ``acted``, a copy of the segment that ended at ``upto``: a pause
    is timed from the copy that got through (Karn's rule, RFC 6298 section 3, for the application)."""
    times = [time for seq, end, time in side.copies if upto is not None and seq < upto <= end and time <= acted]
    return max(times, default=acted)


def _script(side: _Side, peer: _Side, first: str, clock: _Clock) -> str:
    """The side's application steps; a pause longer than the one-way latency (with nothing new
    received, or after what it waited for arrived) becomes a ``wait``, so that the model's
    segments leave in the same order. The segments of one write are one ``send`` (a stack sets
    PSH on a write's last segment), so nine small writes stay nine sends."""
    latency = clock.latency
    steps = [first]
    last_got, last_eof, last_time = 0, False, None
    pending_send = 0
    for what, amount, time, got, eof, push in side.actions:
        before = len(steps)
        if eof and not last_eof:
            steps.append("wait_for_eof")  # also waits for every byte before the FIN
            _think(steps, clock.pause(_arrived(side, side.eof_end, time), time), latency)
        elif got > last_got:
            steps.append(f"wait_for_bytes {got}")
            upto = next(end for total, end in side.arrivals if total >= got)
            _think(steps, clock.pause(_arrived(side, upto, time), time), latency)
        elif last_time is not None and time - last_time > latency:
            steps.append(f"wait {time - last_time:.6f}")
        waited = len(steps) > before
        if pending_send and (waited or what != "send"):
            steps.insert(before, f"send {pending_send}")
            pending_send = 0
        if what == "send":
            pending_send += amount
            if push:  # PSH: the end of one write (RFC 9293 3.9.1.2); the next bytes are another
                steps.append(f"send {pending_send}")
                pending_send = 0
        elif what == "fin":
            half = peer.sent > got  # the peer still sends after this FIN: it was shutdown(SHUT_WR)
            steps.append("shutdown" if half else "close")
            if half and peer.fin:
                steps += ["wait_for_eof", "close"]
        else:
            steps.append("abort")
        last_got, last_eof, last_time = got, eof, time
    if pending_send:
        steps.append(f"send {pending_send}")
    return "[" + ", ".join(f'"{step}"' for step in steps) + "]"


MIN_PAUSE = 0.001  # shorter than a millisecond is the program's own work, not a pause


def _think(steps: list[str], pause: float, latency: float) -> None:
    """The application thought before it acted on what arrived: a ``wait`` after the wait for it."""
    if pause > max(latency, MIN_PAUSE):
        steps.append(f"wait {pause:.6f}")


def _escape(text: str) -> str:
    return text.replace("\\", "/").replace('"', "'")
