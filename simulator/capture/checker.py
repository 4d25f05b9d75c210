"""Hold a real capture against the model: explain or flag every packet of a connection.

Two *observers*, one per side, shadow the real endpoints.  Each packet is fed to
the observer of its sender (as something it sent) and to the observer of its
receiver (as something it received).  An observer keeps what a capture can show
of a TCB (RFC 9293 section 3.3.1): the ISN, the highest sequence number sent
(SND.NXT as seen), the highest acknowledgement sent (RCV.NXT as seen), the
window it advertised (scaled, RFC 7323 section 2.3) and its state, moved by the
rules of RFC 9293 section 3.10.7.  Every packet gets a classification in the
words Wireshark's TCP analysis uses, the states of both sides before and after,
a sentence that explains it, and, where it breaks a rule a correct stack keeps,
a departure naming that rule.

Things a real capture does that are *not* departures: starting or ending
mid-connection, missing packets (capture drops), packets lost after the capture
point (so they appear and are sent again), TSO/GSO super-segments larger than the
MSS, payloads cut by the snap length, keep-alives and probes, a socket
connected to itself.  Checking is pure standard-library Python; ``checked_in_order`` reads the
capture, and a long connection's reports wait in a temporary file (``spool.Spool``).
"""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

from ..model.segment import ACK_BIT, CWR_BIT, ECE_BIT, FIN_BIT, FLAG_NAMES, RST_BIT, SYN_BIT, URG_BIT
from ..model.seq import MASK, SeqNum
from ..model.states import State
from .connections import Connection, Key, Packet, Share, Tally, ZeekHistory, key_of, stream
from .reader import CaptureError
from .spool import Spool

S = State
_T = TypeVar("_T")
_SYN_ACK = SYN_BIT | ACK_BIT
_HANDSHAKING = frozenset({S.SYN_SENT, S.SYN_RECEIVED})
_CONTROL = SYN_BIT | FIN_BIT | RST_BIT
_ECN = ECE_BIT | CWR_BIT
_SIGNALS = _ECN | URG_BIT  # flags seldom seen, each explained on its own (see _signals)
_sub = int.__sub__
_tuple_new = tuple.__new__
_TEXT = {state: state.value for state in State}  # a state's name, looked up once per packet in JSON
_WRAP = textwrap.TextWrapper(110, initial_indent=" " * 21, subsequent_indent=" " * 23, break_on_hyphens=False)
_HOLES = 64  # gaps remembered per side (capture drops); older ones are forgotten


class PacketReport(NamedTuple):
    """What the checker says about one packet (a named tuple: one is made for every packet checked)."""

    number: int
    time: float  # seconds since the connection's first packet
    direction: str  # "->" from the side that sent the first packet, "<-" towards it
    flags: str
    seq: int  # relative to the sender's ISN (absolute with relative=False)
    ack: int
    length: int  # payload bytes on the wire
    window: int  # as advertised, scaled when the scale is known
    labels: tuple[str, ...]
    before: tuple[State, State]  # (side a, side b)
    after: tuple[State, State]
    explanation: str
    departure: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "number": self.number,
            "time": round(self.time, 6),
            "direction": self.direction,
            "flags": self.flags,
            "seq": self.seq,
            "ack": self.ack,
            "len": self.length,
            "window": self.window,
            "labels": list(self.labels),
            "before": [_TEXT[self.before[0]], _TEXT[self.before[1]]],
            "after": [_TEXT[self.after[0]], _TEXT[self.after[1]]],
            "explanation": self.explanation,
            "departure": self.departure,
        }


@dataclass(frozen=True, slots=True)
class ConnectionReport:
    """One connection of a capture, checked packet by packet."""

    a: tuple[str, int]
    b: tuple[str, int]
    zeek_state: str
    packets: tuple[PacketReport, ...] | Spool[PacketReport]  # a long connection's are in a temporary file
    notes: tuple[str, ...]  # what the checker had to infer (mid-connection start, ...)
    number: int = 0  # the connection's number in its capture (as tcpsim read counts them)

    @property
    def departures(self) -> list[PacketReport]:
        if isinstance(self.packets, Spool):
            return list(self.packets.kept)
        return [p for p in self.packets if p.departure is not None]

    @property
    def heading(self) -> Heading:
        return Heading(self.a, self.b, self.zeek_state, len(self.packets), self.notes, len(self.departures))

    @property
    def conforms(self) -> bool:
        return not self.departures

    @property
    def verdict(self) -> str:
        return self.heading.verdict

    def to_json(self) -> dict[str, object]:
        return {**self.heading.to_json(self.number), "packets": [p.to_json() for p in self.packets]}


class Heading(NamedTuple):
    """What a connection's report says before its packets.  Its number is given when it is printed:
    a worker process that checks a share of a capture's connections does not know it.  (A named
    tuple: a worker sends one per connection to the parent, and tuples pickle fast.)"""

    a: tuple[str, int]
    b: tuple[str, int]
    zeek_state: str
    packets: int
    notes: tuple[str, ...]
    departures: int

    @property
    def conforms(self) -> bool:
        return not self.departures

    @property
    def verdict(self) -> str:
        n = self.departures
        if not n:
            return "conforms to the model"
        return f"{n} departure{'s' if n != 1 else ''} from the model"

    def lines(self, number: int) -> Iterator[str]:
        """The report's lines above its packets."""
        yield (
            f"connection {number}: A {_endpoint(self.a)} <-> B {_endpoint(self.b)}, "
            f"{self.packets} packets, Zeek state {self.zeek_state}"
        )
        for note in self.notes:
            yield f"  note: {note}"
        yield f"  {'#':>6} {'time':>9}    {'segment':<38} {'A state':<12} {'B state':<12} what it is"

    def to_json(self, number: int) -> dict[str, object]:
        """The report as JSON, without its packets."""
        return {
            "number": number,
            "a": f"{_endpoint(self.a)}",
            "b": f"{_endpoint(self.b)}",
            "zeek_state": self.zeek_state,
            "conforms": self.conforms,
            "verdict": self.verdict,
            "notes": list(self.notes),
        }


def _endpoint(addr: tuple[str, int]) -> str:
    host, port = addr
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


@dataclass(slots=True)
class _Observer:
    """What the capture shows of one side's TCB."""

    state: State
    isn: SeqNum | None = None
    nxt: SeqNum | None = None  # highest sequence number sent, plus one (SND.NXT as seen)
    acked: SeqNum | None = None  # highest ack it has sent (its RCV.NXT as seen)
    acked_from: SeqNum | None = None  # the first ack it was seen to send (on a segment without SYN)
    right_edge: SeqNum | None = None  # highest ack + window it has advertised
    window: int = -1  # last window advertised (scaled); -1 before any
    offered_scale: int | None = None  # the window scale its SYN offered
    options_cut: bool = False  # the snap length cut its SYN's options: whether it offered a scale is unknown
    scale: int | None = None  # the shift applied to its windows: known after the handshake
    mss: int | None = None
    fin: SeqNum | None = None  # sequence number of its FIN
    syn_data: int = 0  # payload bytes its SYN carried (TCP Fast Open, RFC 7413)
    syns: int = 0  # how many times the capture saw its SYN (without ACK), with the same ISN
    isn_seen: bool = False  # its SYN is in the capture (else its ISN was inferred from later numbers)
    last_pure_ack: tuple[SeqNum, int] | None = None  # (ack, window) of its last pure ACK
    dup_acks: int = 0
    last_numbers: tuple[SeqNum, int] | None = None  # (ack, window) of its latest segment
    holes: list[tuple[SeqNum, SeqNum]] = field(default_factory=list)  # sent but not captured
    unseen_acked: SeqNum | None = None  # the highest ack beyond SND.NXT reported for it (a capture drop)
    final_nxt: SeqNum | None = None  # the highest SND.NXT in the look-ahead (see ConnectionChecker)
    final_ack: SeqNum | None = None  # the highest ack it sends in the look-ahead
    final_packet: Packet | None = None  # its last packet in the look-ahead at its SND.NXT (see _lookahead)
    final_bare: bool = False  # final_nxt is the seq of a segment without data, SYN or FIN (see _short_of)
    went_on: SeqNum | None = None  # the seq of its first segment after its SYN in the look-ahead (no SYN, no RST)
    zero_seen: bool = False  # it advertised a zero window since the peer last sent new data
    probing: str = ""  # "keep-alive" or "zero window probe": its latest segment, which the peer's ACKs answer
    latest: Packet | None = None  # its latest segment checked
    listens: bool = False  # a server: after a reset its listener is still there


def check(conn: Connection, *, relative: bool = True) -> ConnectionReport:
    """Replay one captured connection through two observers and report on every packet."""
    checker = ConnectionChecker(conn, relative=relative)
    for p in conn.packets:
        checker.add(p)
    return checker.finish()


HORIZON = 10_000  # packets a connection's checker looks ahead of the packet it checks


class ConnectionChecker:
    """Checks one connection as its packets come.

    A packet is checked once at least ``horizon`` later packets of its connection have come (or
    the connection has ended), so a long connection is held as a window of packets, not whole.
    The look-ahead is what tells a capture gap from a bad ACK (the side acknowledged is seen to
    send that far later on); 10,000 packets is far beyond any real gap, and it spans less than
    half the sequence space even in 64 KB super-segments, so a transfer of more than 2 GB, whose
    sequence numbers wrap, is compared only with numbers near it (RFC 1982).

    ``spool_from`` (None: never) is how many packet reports are kept in memory before they go to
    a temporary file (a ``Spool``): then memory does not grow with the connection's length at all.
    """

    __slots__ = (
        "conn", "folded", "history", "horizon", "midstream", "notes", "relative", "reports", "sides", "spool_from",
        "start", "waiting",
    )  # fmt: skip

    def __init__(
        self, conn: Connection, *, relative: bool = True, horizon: int = HORIZON, spool_from: int | None = None
    ) -> None:
        self.conn = conn
        self.relative = relative
        self.horizon = horizon
        self.spool_from = spool_from
        self.waiting: list[Packet] = []  # not checked yet
        self.folded = 0  # of the waiting packets, how many the look-ahead has seen
        self.reports: list[PacketReport] | Spool[PacketReport] = []
        self.history = ZeekHistory(conn.a, conn.b)
        self.sides: dict[tuple[str, int], _Observer] = {}  # made when the first packet is checked
        self.notes: list[str] = []
        self.start = 0.0  # the time of the first packet
        self.midstream = False

    def add(self, p: Packet) -> None:
        """The connection's next packet: it waits until the horizon has passed it."""
        waiting = self.waiting
        waiting.append(p)
        if len(waiting) >= 2 * self.horizon:
            self._advance(len(waiting) - self.horizon)

    def finish(self) -> ConnectionReport:
        """The connection has ended (or the capture has): check what waits and report."""
        if self.waiting:
            self._advance(len(self.waiting))
        conn, notes, reports = self.conn, self.notes, self.reports
        if self.sides and not self.midstream and any(side.state.synchronized for side in self.sides.values()):
            a, b = self.sides[conn.a].state, self.sides[conn.b].state
            if a not in (S.CLOSED, S.TIME_WAIT, S.LISTEN) or b not in (S.CLOSED, S.TIME_WAIT, S.LISTEN):
                notes.append(f"the capture ends with the connection still open ({a} / {b})")
        if conn.late:
            notes.append(
                f"{conn.late} of its packets came after a new SYN had reused these ports (held up on the way, or "
                "answers to such): their numbers, below the new connection's, say they are this connection's"
            )
        packets = reports if isinstance(reports, Spool) else tuple(reports)
        self.reports, self.sides = [], {}  # the report holds them now (a checker is finished once)
        return ConnectionReport(conn.a, conn.b, self.history.state, packets, tuple(notes), conn.number)

    def _advance(self, count: int) -> None:
        """Check the first ``count`` waiting packets, with every waiting packet in the look-ahead."""
        waiting, conn, relative = self.waiting, self.conn, self.relative
        fresh = not self.sides
        unseen_scale = self._begin(waiting[0]) if fresh else None
        sides, start = self.sides, self.start
        _lookahead(waiting[self.folded :], sides)
        reports, history = self.reports, self.history
        for p in waiting[:count]:
            history.add(p)
            reports.append(_packet(conn, p, sides, start, relative))
            if fresh:
                fresh = False
                if unseen_scale is not None:  # RFC 7323: the SYN offered a scale, its value unseen
                    sides[conn.a].scale, sides[conn.b].scale = unseen_scale, None
        del waiting[:count]
        self.folded = len(waiting)
        if self.spool_from is not None and len(reports) >= self.spool_from and isinstance(reports, list):
            self.reports = Spool(_encode, _decode, keep=lambda r: r.departure is not None)
            self.reports.extend(reports)

    def _begin(self, p: Packet) -> int | None:
        """Set both observers up from the first packet (and those waiting after it).  When the
        capture missed a SYN that offered window scaling, the scale its SYN,ACK offered."""
        conn, notes = self.conn, self.notes
        self.start = p.time
        self_connected = conn.a == conn.b
        self.midstream = midstream = not p.flags & SYN_BIT
        a = _Observer(S.ESTABLISHED if midstream else S.CLOSED)
        b = a if self_connected else _Observer(S.ESTABLISHED if midstream else self._responder_state())
        b.listens = b.state is S.LISTEN
        if self_connected:
            notes.append("a socket connected to itself: both ends are the same address and port")
        if midstream:
            notes.append(
                "the capture starts mid-connection: both sides are taken to be ESTABLISHED, numbers are "
                "relative to the first packet each side sent, and window scaling is unknown"
            )
        missed_syn = not self_connected and p.flags & _SYN_ACK == _SYN_ACK
        wscale = p.options.wscale if missed_syn else None
        if missed_syn:
            # The capture starts at the SYN,ACK: its sender was listening, the other side sent a SYN we never saw.
            a.state, a.listens, b.state = S.LISTEN, True, S.SYN_SENT
            b.isn, b.nxt = p.ack - 1, p.ack
            notes.append(
                "the capture missed the SYN: the side that answered with SYN,ACK was listening, the other sent "
                "a SYN with ISN = that SYN,ACK's ack - 1"
                + ("; the SYN's window scale is unknown" if wscale is not None else "")
            )
        self.sides = {conn.a: a, conn.b: b}
        return wscale if missed_syn else None

    def _responder_state(self) -> State:
        """LISTEN, unless its first answer is a RST: then the port was closed (RFC 9293 section 3.10.7.1)."""
        reply = next((p for p in self.waiting if p.sender == self.conn.b), None)
        return S.CLOSED if reply is not None and reply.flags & RST_BIT else S.LISTEN


# Every (state, state) pair made once: a report holds two per packet, and a long connection many packets.
_PAIRS = {(x, y): (x, y) for x in State for y in State}
_PAIR_LIST = list(_PAIRS.values())
_PAIR_NUMBER = {pair: n for n, pair in enumerate(_PAIR_LIST)}  # a pair as the spool stores it


def _encode(p: PacketReport) -> tuple[Any, ...]:
    return (*p[:9], _PAIR_NUMBER[p.before], _PAIR_NUMBER[p.after], p.explanation, p.departure)


def _decode(f: Any) -> PacketReport:
    return PacketReport._make((*f[:9], _PAIR_LIST[f[9]], _PAIR_LIST[f[10]], f[11], f[12]))


LINGER = 5.0  # seconds of capture time a closed connection waits for late packets before it is reported
SWEEP = 1024  # packets between looks for connections to report


@dataclass(slots=True)
class _Open:
    """A connection being collected for checking (or, when not wanted, only followed until it closes)."""

    conn: Connection
    last: float  # capture time of its latest packet
    checker: ConnectionChecker | None  # None when not wanted
    fins: set[tuple[str, int]] = field(default_factory=set)
    closed: bool = False  # a RST, or both FINs and a packet after them


END = sys.maxsize  # the order of the reports made when the capture ends


def check_capture(
    path: str | Path,
    tally: Tally,
    *,
    relative: bool = True,
    wanted: Callable[[Connection], bool] = lambda conn: True,
) -> Iterator[ConnectionReport]:
    """Check every (wanted) connection of a capture, streaming: memory follows the connections open at once.

    A connection is reported once it has closed (RST, or both FINs) and the capture has gone
    ``LINGER`` seconds past its last packet; the rest are reported at the end of the file, in order.
    A reported connection is forgotten: packets on its 4-tuple after that start a new connection.
    """
    for _, report in checked_in_order(path, tally, relative=relative, wanted=wanted):
        yield report


def checked_in_order(
    path: str | Path,
    tally: Tally,
    *,
    relative: bool = True,
    wanted: Callable[[Connection], bool] = lambda conn: True,
    share: Share | None = None,
) -> Iterator[tuple[tuple[int, int], ConnectionReport]]:
    """``check_capture``'s reports, each with its place in the order: (packet number of the sweep that
    reported it, or END; the number of the connection's first packet, which orders connections as
    their numbers do).  Connections not wanted are still followed until they close, so that the
    4-tuple table forgets them, and which connections are wanted does not change when a sweep
    happens: a share of the connections (``share``) checked elsewhere merges back by this order."""
    share = share if share is not None else Share(0, 1, sweep_every=SWEEP)
    collecting: dict[int, _Open] = {}  # in the order they began
    closed: dict[int, _Open] = {}  # the closed ones, oldest latest packet first
    current: dict[Key, Connection] = {}
    sweeps = share.sweeps  # where the reader has passed every SWEEP-th TCP packet of the capture

    def sweep(upto: int) -> Iterator[tuple[tuple[int, int], ConnectionReport]]:
        """Report the connections that closed LINGER seconds before a sweep, at each sweep up to packet ``upto``."""
        while sweeps and sweeps[0][0] <= upto:
            number, time = sweeps.popleft()
            done = []
            for entry in closed.values():
                if time - entry.last <= LINGER:
                    break  # the rest of the queue had packets later still
                done.append(entry)
            for entry in sorted(done, key=lambda e: e.conn.first):
                del collecting[id(entry.conn)], closed[id(entry.conn)]
                newer = current.get(key_of(entry.conn))
                if newer is entry.conn:
                    del current[key_of(entry.conn)]  # reported: a late packet starts a new connection
                    newer = None
                while newer is not None and newer.earlier is not entry.conn:
                    newer = newer.earlier
                if newer is not None:
                    newer.earlier = None  # reported: its late packets go to the connection that replaced it
                if entry.checker is not None:
                    yield (number, entry.conn.first), entry.checker.finish()
            # the reports still to come are of connections that began here or later
            share.oldest_open = next(iter(collecting.values())).conn.first if collecting else number

    damage: list[CaptureError] = []
    for conn, packet, _ in _until_damaged(stream(path, tally, current, share), damage):
        if sweeps:  # the sweeps at other shares' packets since this share's last one
            yield from sweep(packet.number - 1)
        entry = collecting.get(id(conn))
        if entry is None:
            checker = (
                ConnectionChecker(conn, relative=relative, horizon=HORIZON, spool_from=HORIZON)
                if wanted(conn)
                else None
            )
            entry = collecting[id(conn)] = _Open(conn, packet.time, checker)
        if entry.checker is not None:
            packet.drop_payload()  # only the headers are checked: a long transfer is not held in memory
            entry.checker.add(packet)
        entry.last = packet.time
        if entry.closed or packet.flags & RST_BIT or len(entry.fins) == 2:
            entry.closed = True
            closed.pop(id(conn), None)
            closed[id(conn)] = entry  # to the back of the queue
        elif packet.flags & FIN_BIT:
            entry.fins.add(packet.sender)
        if sweeps:
            yield from sweep(packet.number)
    yield from sweep(END)
    for entry in sorted(collecting.values(), key=lambda e: e.conn.first):
        if entry.checker is not None:
            yield (END, entry.conn.first), entry.checker.finish()
    if damage:
        raise damage[0]


def _until_damaged(packets: Iterator[_T], damage: list[CaptureError]) -> Iterator[_T]:
    """The packets up to where the file is damaged (its error is kept in ``damage``): the connections
    before the damage are still checked and reported, and the error comes after them."""
    try:
        yield from packets
    except CaptureError as exc:
        damage.append(exc)


def _lookahead(packets: Iterable[Packet], sides: dict[tuple[str, int], _Observer]) -> None:
    """Each side's highest sequence number and ack in the look-ahead (to tell a capture gap from a
    bad ACK, and a window update the capture missed from data sent beyond the window)."""
    for p in packets:
        flags = p.flags
        if flags & RST_BIT:
            continue  # its seq may be the ack of the segment it answers (RFC 9293 section 3.10.7.1), not SND.NXT
        side = sides[p.sender]
        seq, final = p.seq, side.final_nxt
        used = p.length + (1 if flags & SYN_BIT else 0) + (1 if flags & FIN_BIT else 0)  # sequence numbers
        end = seq + used if used else seq
        if final is None or seq == final:
            # It starts at its SND.NXT (not a resend, nor past bytes the capture missed, which may be late): it
            # shows how far its sender had got.
            side.final_packet = p
        if final is None or end > final:
            side.final_nxt = end
            side.final_bare = not used
        if flags & ACK_BIT and (side.final_ack is None or p.ack > side.final_ack):
            side.final_ack = p.ack
        if side.went_on is None and not flags & SYN_BIT:
            side.went_on = seq  # where it went on once its SYN was acknowledged (see _syn_data_not_captured)


def _packet(
    conn: Connection, p: Packet, sides: dict[tuple[str, int], _Observer], start: float, relative: bool
) -> PacketReport:
    sender = sides[p.sender]
    receiver = sides[p.receiver]
    a, b = sides[conn.a], sides[conn.b]
    before = _PAIRS[a.state, b.state]
    labels, explanation, departure = _classify(p, sender, receiver)
    sender.latest = p
    after = _PAIRS[a.state, b.state]
    if before is not after:  # both are from _PAIRS
        moves = []
        if before[0] is not after[0]:
            moves.append(f"A {_TEXT[before[0]]} -> {_TEXT[after[0]]}")
        if before[1] is not after[1] and b is not a:
            moves.append(f"B {_TEXT[before[1]]} -> {_TEXT[after[1]]}")
        explanation += " (" + ", ".join(moves) + ")" if moves else ""
    flags = p.flags
    window = p.window if flags & SYN_BIT or sender.scale is None else p.window << sender.scale
    acks = flags & ACK_BIT
    if relative:
        # As Wireshark shows them: from each side's ISN as the observers know it at this packet (a side not
        # seen yet: from its first packet later on, as Connection.isn has it).
        peer_isn = receiver.isn if receiver.isn is not None else conn.isn.get(p.receiver)
        seq, ack = _rel(p.seq, sender.isn), _rel(p.ack, peer_isn) if acks else 0
    else:
        seq, ack = int(p.seq), int(p.ack) if acks else 0
    fields = (
        p.number,
        p.time - start,
        "->" if p.sender == conn.a else "<-",
        FLAG_NAMES[flags],
        seq,
        ack,
        p.length,
        window,
        tuple(labels),
        before,
        after,
        explanation,
        departure,
    )
    return _tuple_new(PacketReport, fields)  # PacketReport(*fields) without its __new__ (a third of a microsecond)


def _rel(value: SeqNum, base: SeqNum | None) -> int:
    # value.relative_to(base), without a second call: this runs a few times per packet
    return _sub(value, base) & MASK if base is not None else int(value)


def _classify(p: Packet, s: _Observer, r: _Observer) -> tuple[list[str], str, str | None]:
    """Labels, explanation and departure of one packet; moves both observers on."""
    flags = p.flags
    s.probing = ""  # as in Wireshark: the peer's ACK answers a probe only if its sender sent nothing else since
    if flags & RST_BIT:
        return _reset(p, s, r)
    if flags & SYN_BIT:
        return _handshake(p, s, r)
    if s.isn is None:  # its first packet in a capture that started mid-connection
        s.isn = p.seq
        s.nxt = p.seq
    labels: list[str] = []
    sentences: list[str] = []
    departure: str | None = None
    if flags & ACK_BIT and s.state in _HANDSHAKING:
        unseen = _unseen_handshake(p, s, r)
        if unseen:
            sentences.append(unseen)
    length = p.length
    fin = 1 if flags & FIN_BIT else 0
    data_end = p.seq + length if length else p.seq
    end = data_end + fin if fin else data_end
    nxt = s.nxt if s.nxt is not None else p.seq
    base = s.isn

    # --- what the segment carries (RFC 9293 section 3.10.7.4, first check: sequence numbers)
    top = nxt  # SND.NXT as the peer's ACKs show it, past what was seen sent when the capture missed segments
    if s.unseen_acked is not None and s.unseen_acked > nxt:
        top = s.unseen_acked
    # A probe carries the ack of now: one below an ack its sender has sent already is an old segment, come late.
    below = (
        length <= 1
        and not fin
        and p.seq == top - 1
        and (r.acked is None or r.acked == top)
        and (s.acked is None or p.ack >= s.acked)
    )
    if below and (r.acked is None or (r.window != 0 and not r.zero_seen)):
        labels.append("keep-alive")  # with no window of the peer's seen, as Wireshark says: no probe to tell
        sentences.append(
            f"a keep-alive (or Linux's zero-window probe: the capture holds no window of the peer's to tell them "
            f"apart): seq {_rel(p.seq, base)} is one below SND.NXT, so the only effect is to make the peer answer "
            "with an ACK (RFC 1122 section 4.2.3.6)"
            if r.acked is None
            else f"a keep-alive: seq {_rel(p.seq, base)} is one below SND.NXT, a byte the peer already has, "
            "so the only effect is to make it answer with an ACK (RFC 1122 section 4.2.3.6)"
        )
        s.probing = "keep-alive"
    elif below:
        labels.append("zero window probe")
        sentences.append(
            f"a zero-window probe as Linux sends it: seq {_rel(p.seq, base)}, one below SND.NXT, so the peer "
            "answers with an ACK that reports its window (RFC 9293 section 3.8.6.1)"
            + (
                "; the capture saw the window reopen, so that update must have been lost after the capture point"
                if r.window
                else ""
            )
        )
        s.probing = "zero window probe"
    elif length or fin:
        in_hole = next((h for h in s.holes if h[0] <= p.seq and end <= h[1]), None)
        if r.window == 0 and p.seq == nxt and length == 1 and not fin:  # a probe is one byte (Wireshark's rule too)
            labels.append("zero window probe")
            sentences.append(
                f"a zero-window probe: one byte at seq {_rel(p.seq, base)} sent into a zero window, to "
                "learn when it opens (RFC 9293 section 3.8.6.1); the probe byte is not counted as sent"
            )
        elif in_hole is not None:
            s.holes.remove(in_hole)
            if in_hole[0] != p.seq:
                s.holes.append((in_hole[0], p.seq))
            if in_hole[1] != end:
                s.holes.append((end, in_hole[1]))
            if _asked_again(p, r):
                labels.append("fast retransmission")
                sentences.append(
                    _fast_retransmission(p, r, base) + "; this capture never saw it sent before (the first sending "
                    "was lost before the capture point, or the capture dropped it)"
                )
            else:
                labels.append("out-of-order")
                sentences.append(
                    f"out of order: it fills seq {_rel(p.seq, base)}..{_rel(end, base)}, a gap left earlier "
                    "(the network reordered it, or it overtook its own retransmission)"
                )
        elif end <= nxt:
            if r.acked is not None and end <= r.acked:
                labels.append("spurious retransmission")
                sentences.append(
                    f"a spurious retransmission: seq {_rel(p.seq, base)}..{_rel(end, base)} was already "
                    f"acknowledged (the peer acked {_rel(r.acked, base)}); the sender took it for lost too early, "
                    "or that ACK (seen here) had not reached it"
                )
            elif _asked_again(p, r):
                labels.append("fast retransmission")
                sentences.append(_fast_retransmission(p, r, base))
            elif s.syn_data and s.isn is not None and p.seq == s.isn + 1 and r.acked == p.seq:
                labels.append("retransmission")
                sentences.append(
                    f"the {s.syn_data} bytes of data its SYN carried, sent again now that the connection is open: "
                    "the SYN,ACK acknowledged only the SYN (the server did not take the data, RFC 7413 section 4.2)"
                )
            else:
                labels.append("retransmission")
                acked = (  # the peer may have acknowledged its first part
                    f"; the peer had acknowledged up to {_rel(r.acked, base)}, so only the rest still needed it"
                    if r.acked is not None and p.seq < r.acked
                    else " and not yet acknowledged"
                )
                sentences.append(
                    f"a retransmission: seq {_rel(p.seq, base)}..{_rel(end, base)} was sent before{acked}; the "
                    "sender took it for lost, because its retransmission timer fired (RFC 6298) or its loss "
                    "detection said so (in Linux: RACK-TLP, RFC 8985)"
                )
        elif p.seq < nxt:
            labels.append("retransmission")
            sentences.append(
                f"a retransmission that also carries new data: seq {_rel(p.seq, base)} is below SND.NXT "
                f"{_rel(nxt, base)} (RFC 9293 section 3.10.7.4 trims the old part)"
            )
        else:
            if p.seq > nxt:
                _not_captured(p.seq, nxt, s, r, labels, sentences)
            if length:
                # Its bytes acknowledged before it was seen (the capture missed their first sending): Wireshark's
                # spurious retransmission, a resend of acknowledged data, or a copy that came late.
                already = s.unseen_acked is not None and s.unseen_acked >= data_end
                labels.append("spurious retransmission" if already else "data")
                big = (
                    f"; {length} bytes is more than the MSS {r.mss}: a TSO/GSO super-segment the NIC or kernel "
                    "cuts up later"
                    if r.mss is not None and length > r.mss
                    else ""
                )
                cut = f" (the capture kept {p.captured} of them)" if p.truncated else ""
                sentences.append(
                    f"{length} byte{'s' if length > 1 else ''} of data{cut}, "
                    f"seq {_rel(p.seq, base)}..{_rel(data_end, base)}; "
                    + (
                        "the receiver has acknowledged them already, so the capture missed their first sending "
                        "and this is a spurious retransmission (or it saw this segment late)"
                        if already
                        else f"the receiver will ack {_rel(data_end, base)}"
                    )
                    + big
                )
        if s.fin is not None and length and data_end > s.fin:
            if p.seq > nxt:
                sentences.append(
                    "it follows this side's FIN across bytes the capture never saw: most likely a new connection on "
                    "these ports, whose SYN and SYN,ACK the capture missed"
                )
            else:
                departure = (
                    f"data after FIN: bytes up to {_rel(data_end, base)} follow the FIN at "
                    f"{_rel(s.fin, base)} (RFC 9293 section 3.10.4: after CLOSE no more SENDs)"
                )
        elif (
            length
            and "zero window probe" not in labels
            and r.right_edge is not None
            and r.scale is not None
            and data_end > r.right_edge
        ):
            if (flags & ACK_BIT and r.nxt is not None and p.ack > r.nxt) or (
                r.final_ack is not None and r.final_ack >= data_end
            ):
                # the capture missed packets of the receiver (this segment acknowledges its unseen data,
                # or the receiver later acknowledges these bytes, which it would not take beyond its window)
                sentences.append(
                    f"beyond the last window seen ({_rel(r.right_edge, base)}), but the receiver accepts these "
                    "bytes (or sent packets the capture missed), so the capture missed its window update"
                )
            elif s.holes:  # a gap in this side's segments, not yet acknowledged: the capture is dropping packets
                sentences.append(
                    f"beyond the last window seen ({_rel(r.right_edge, base)}), but this capture missed segments "
                    "of this side that are not yet acknowledged, so it may well have missed the receiver's window "
                    "update too"
                )
            else:
                departure = (
                    f"data beyond the receiver's window: seq up to {_rel(data_end, base)} but the window "
                    f"ends at {_rel(r.right_edge, base)} (RFC 9293 section 3.8.6: send only inside SND.WND)"
                )
        if end > nxt and "zero window probe" not in labels:
            s.nxt = end
            r.zero_seen = False
    elif p.seq > nxt:  # no data, but past SND.NXT: the segments before it were not captured
        _not_captured(p.seq, nxt, s, r, labels, sentences)
        s.nxt = p.seq
    if fin:
        labels.append("FIN")
        sent = s.acked  # the highest ack it has sent
        if s.fin == data_end and s.state in _FIN_UNACKED:  # its FIN again, after the capture saw an ACK of it
            if flags & ACK_BIT and sent is not None and p.ack < sent:
                # Its ack is below one it has sent already: this resend was made before that ACK, and crossed it.
                sentences.append(
                    f"its FIN at seq {_rel(data_end, base)} again, made before the ACK it sent already: its ack "
                    f"{_rel(p.ack, r.isn)} is below that ACK's {_rel(sent, r.isn)}, so its timer resent it just "
                    "before the segment that ACK answers arrived, and it was captured after; its state does not go back"
                )
            else:  # that ACK had not reached it
                s.state = _FIN_UNACKED[s.state]
                sentences.append(
                    f"its FIN at seq {_rel(data_end, base)} again: the ACK of it seen before had not reached it (lost "
                    "after the capture point, or on its way)"
                )
        else:
            sentences.append(
                f"FIN at seq {_rel(data_end, base)}: no more data from this side; the FIN occupies one sequence "
                f"number, so the peer acks {_rel(data_end + 1, base)}"
            )
        s.fin = data_end
        # Its ack stops short of the peer's FIN, captured before it: the two FINs crossed, and this side
        # was not yet in CLOSE-WAIT when it sent its own (a simultaneous close, RFC 9293 Figure 13).
        crossed = s.state is S.CLOSE_WAIT and bool(flags & ACK_BIT) and r.fin is not None and p.ack <= r.fin
        if crossed:
            s.state = S.ESTABLISHED
            sentences.append(
                f"its ack {_rel(p.ack, r.isn)} does not cover the peer's FIN: the two FINs crossed, a simultaneous "
                "close, so each side goes through CLOSING (RFC 9293 Figure 13)"
            )
        s.state = _FIN_SENT.get(s.state, s.state)
        if crossed:
            _receive_fin(s)  # the peer's FIN arrives after this one left

    # --- what it acknowledges (RFC 9293 section 3.10.7.4, fifth check: the ACK field)
    if flags & ACK_BIT:
        after_gap = "previous segment not captured" in labels
        ack_labels, ack_sentence, ack_departure = _acknowledgement(
            p, length + fin, s, r, described=bool(labels), after_gap=after_gap
        )
        labels.extend(ack_labels)
        if ack_sentence:
            sentences.append(ack_sentence)
        departure = departure or ack_departure
    else:
        departure = "a segment with neither SYN, ACK nor RST: RFC 9293 section 3.10.7.4 drops it"
    if flags & _SIGNALS:
        sentences += _signals(p, base)
    if fin:
        _receive_fin(r)
    if not sentences:
        sentences.append("a segment with nothing new for the model")
    text = "; ".join(sentences)
    return labels, text[0].upper() + text[1:] + ".", departure


def _asked_again(p: Packet, r: _Observer) -> bool:
    """The receiver's latest pure ACKs, two duplicates or more, ask for the bytes at this segment's seq."""
    return r.dup_acks >= 2 and r.last_pure_ack is not None and p.seq == r.last_pure_ack[0]


def _fast_retransmission(p: Packet, r: _Observer, base: SeqNum | None) -> str:
    return (
        f"a fast retransmission: {r.dup_acks} duplicate ACKs asked for seq {_rel(p.seq, base)}, "
        "so it is sent again without waiting for the timer (RFC 5681 section 3.2"
        + (
            ")"
            if r.dup_acks >= 3
            else " waits for three: the sender's own loss detection decided sooner, in Linux "
            "SACK recovery and RACK-TLP, RFC 6675 and RFC 8985)"
        )
    )


def _signals(p: Packet, base: SeqNum | None) -> list[str]:
    """What URG, ECE and CWR say on a synchronized connection."""
    flags, said = p.flags, []
    if flags & URG_BIT:
        urgent = p.segment.urgent
        said.append(
            f"URG: the urgent pointer {urgent} marks the data before seq {_rel(p.seq + urgent, base)} as urgent "
            "(its last byte is the out-of-band byte of the sockets API's MSG_OOB); RFC 9293 section 3.8.5 keeps it "
            "for old applications only (RFC 6093)"
        )
    if flags & ECE_BIT:
        said.append(
            "ECE: it echoes a congestion mark (CE) that a router set on a packet it received, so the peer "
            "should slow down as for a loss (RFC 3168 section 6.1.2)"
        )
    if flags & CWR_BIT:
        said.append("CWR: its sender has reduced its congestion window, in answer to ECE (RFC 3168 section 6.1.2)")
    return said


def _unseen_handshake(p: Packet, s: _Observer, r: _Observer) -> str:
    """What an ACK from a side still in the handshake shows it has received, where the capture missed it
    (it holds one direction only, say): the sentence that says so, or ""."""
    if s.state is S.SYN_SENT:
        s.state = S.ESTABLISHED  # it has the SYN,ACK: the last one seen, or one the capture never saw
        if r.isn is not None:
            return "" if r.isn_seen else "its sender has a SYN,ACK this capture never saw, so it is ESTABLISHED"
        r.isn, r.nxt, r.state = p.ack - 1, p.ack, S.SYN_RECEIVED
        return (
            f"it acknowledges a SYN,ACK this capture never saw (whose ISN must be {int(r.isn)}), so its sender "
            "has it and is ESTABLISHED"
        )
    if r.isn is not None and p.ack.since(r.isn) > 1 + r.syn_data:  # SYN-RECEIVED, and the peer's data acknowledged
        s.state = S.ESTABLISHED
        return (
            "it acknowledges data the peer sent after its SYN, which carried the ACK that completes the handshake "
            "(not in this capture), so its sender is ESTABLISHED"
        )
    return ""


def _not_captured(
    seq: SeqNum, nxt: SeqNum, s: _Observer, r: _Observer, labels: list[str], sentences: list[str]
) -> None:
    """A segment starts past where its sender was seen to get: remember the gap (the part the
    receiver has not acknowledged yet), to tell a later segment filling it."""
    labels.append("previous segment not captured")
    start = r.acked if r.acked is not None and r.acked > nxt else nxt
    if start < seq:
        _gap(s, start, seq)
    sentences.append(
        f"seq {_rel(seq, s.isn)} is past {_rel(nxt, s.isn)}, the end of what this side was seen to send: the "
        "bytes between were sent but not captured"
    )


def _gap(s: _Observer, start: SeqNum, end: SeqNum) -> None:
    """Remember ``start..end`` as sent by ``s`` but not captured (yet): a segment that comes later may fill it."""
    s.holes.append((start, end))
    del s.holes[:-_HOLES]


def _acknowledgement(
    p: Packet, seglen: int, s: _Observer, r: _Observer, *, described: bool, after_gap: bool
) -> tuple[list[str], str, str | None]:
    labels: list[str] = []
    ack = p.ack
    window = p.window << s.scale if s.scale is not None else p.window
    base = r.isn
    sentence = ""
    departure: str | None = None
    covered = [(start, end) for start, end in r.holes if start < ack]  # gaps this ACK reaches into
    # Beyond all the receiver is seen to send, and it is seen again after this ACK at its SND.NXT (not
    # resending), still short of it.  A capture that missed its last segments and shows nothing new from
    # it afterwards cannot tell: see the branch below.
    short = _short_of(ack, r, p)
    if short is not None:
        departure = (
            f"ACK for data never sent (ack {_rel(ack, base)} > SND.NXT {_rel(short, base)}): "
            "RFC 9293 section 3.10.7.4 says the receiver answers it with an ACK and drops it"
        )
    elif r.state is S.SYN_SENT and r.isn is not None and not _acks_syn(ack, r) and not _opens_later(r):
        labels.append("ACK of something never sent")
        if s.state is S.SYN_RECEIVED:
            s.state = S.ESTABLISHED  # it answered the SYN from the older, synchronized connection it holds
        sentence = (
            f"an ACK that does not acknowledge the SYN (ack {int(ack)}, the SYN needs {_syn_needs(r)}): the peer "
            "still holds an older connection on these ports (half-open, RFC 9293 Figure 11), so SYN-SENT answers "
            "it with a RST (RFC 9293 section 3.10.7.3)"
        )
    elif r.nxt is not None and ack > r.nxt and (r.unseen_acked is None or ack > r.unseen_acked):
        r.unseen_acked = ack  # said once: the ACKs after it that ask for no more are not news
        labels.append("ACKed segment that wasn't captured")
        sentence = f"it acknowledges up to {_rel(ack, base)}, bytes this capture never saw sent (a capture drop)"
        later = r.final_nxt is not None and r.final_nxt > r.nxt  # past a gap, say
        if not later and (r.final_packet is None or r.final_packet.number <= p.number):
            sentence += "; the capture has no later packet of that side to show how far it got"
    elif covered:
        gaps = ", ".join(f"{_rel(start, base)}..{_rel(min(end, ack), base)}" for start, end in covered)
        labels.append("ACKed segment that wasn't captured")
        sentence = f"it acknowledges bytes {gaps}, which this capture never saw: they arrived, the capture dropped them"
    if covered:  # a gap the receiver acknowledges will not be filled: it was the capture's loss
        r.holes = [(ack if start < ack else start, end) for start, end in r.holes if ack < end]
    old = s.acked is not None and ack < s.acked and not seglen
    if old:
        labels.append("old ACK")
    pure = not seglen and not p.flags & _CONTROL
    previous = s.last_pure_ack
    if pure:
        last = s.last_numbers
        if after_gap:
            pass  # the capture missed segments of this side: the ACK and window they carried are unknown
        elif last is not None and p.seq == s.nxt and last[0] == ack and window != last[1]:
            # Wireshark's rule: no data, seq at the next byte to send (SND.NXT as seen: after a
            # retransmission that is not where the latest segment ended), the latest ack, a new window
            labels.append("window update")
            sentence = sentence or (
                f"a window update: nothing new acknowledged, only the window changes from {last[1]} to {window}"
            )
        elif r.probing:
            labels.append(f"{r.probing} ACK")
            sentence = sentence or f"the answer to a {r.probing}: the same ACK again, which shows the peer is alive"
        elif (
            not old  # (a copy of an old ACK repeats nothing its sender still asks for)
            and previous is not None
            and previous[0] == ack
            and previous[1] == window
            and window != 0
            and r.nxt is not None
            and ack < r.nxt
        ):
            # RFC 5681 section 2: same ACK, same window, no data, data outstanding.
            s.dup_acks += 1
            labels.append(f"duplicate ACK (#{s.dup_acks})")
            sentence = sentence or (
                f"a duplicate ACK (#{s.dup_acks}): it still asks for {_rel(ack, base)}, so a segment after that "
                "arrived out of order or the one at it was lost; three of them trigger a fast retransmit"
            )
        elif not described:
            labels.append("pure ACK")
    if previous is None or previous[0] != ack:
        s.dup_acks = 0
    if window == 0 and not p.flags & RST_BIT:
        s.zero_seen = True
        labels.append("zero window")
        sentence += ("; " if sentence else "") + (
            "a zero window: its receive buffer is full, so the peer must stop sending and probe (RFC 9293 "
            "section 3.8.6.1)"
        )
    if pure and not sentence and not described:
        sentence = (
            f"an old ACK: ack {_rel(ack, base)} is below the {_rel(s.acked, base)} its sender has acknowledged "
            "already, so it was sent before that one and comes late (reordered on the way, or captured late)"
            if old and s.acked is not None
            else f"acknowledges every byte before {_rel(ack, base)}: the next byte it expects"
        )
    if pure:
        s.last_pure_ack = (ack, window)
    s.last_numbers = (ack, window)
    if s.acked is None or ack > s.acked:
        if s.acked is None:
            s.acked_from = ack
        s.acked = ack
    s.window = window
    edge = ack + window
    if s.right_edge is None or edge > s.right_edge:
        s.right_edge = edge
    moved = _ack_moves(ack, r)
    if moved:
        sentence = moved + ("; " + sentence if sentence and "pure ACK" not in labels else "")
    return labels, sentence, departure


def _short_of(ack: SeqNum, r: _Observer, p: Packet) -> SeqNum | None:
    """The receiver's SND.NXT, when ``ack`` (of packet ``p``) is beyond all it is seen to send and it is seen
    again after ``p``, sending after it, at its SND.NXT (not resending), still short of it: no capture gap
    explains that ack.  A segment without data, SYN or FIN is at SND.NXT, or at SND.NXT - 1 if it is a
    keep-alive (RFC 1122 section 4.2.3.6): one more is allowed after it.  A segment with data shows nothing:
    its bytes lie below that ack, so the receiver may have had them (a resend, or a copy held up on the way);
    the sender's answer to an ACK of data never sent is an ACK at its SND.NXT (RFC 9293 section 3.10.7.4)."""
    final, shown = r.final_nxt, r.final_packet
    if final is None or not ack > final or r.isn is None or shown is None or shown.number <= p.number:
        return None
    if shown.length:
        return None
    if r.final_bare and ack == final + 1:
        return None
    return None if _sent_before(shown, p) else final


def _sent_before(later: Packet, p: Packet) -> bool:
    """``later``, captured after ``p``, was sent no later than a segment of its sender that ``p``'s sender had
    received when it sent ``p``: its TSval is not past the TSecr ``p`` echoes (RFC 7323 section 4.3).  It came
    late (duplicated, or held up on a slower way, or captured late), and shows nothing of where its sender was
    after ``p``.  Without timestamps the capture's order is all there is."""
    stamp, echo = later.options.timestamps, p.options.timestamps
    # (timestamps compare on the same 32-bit circle as sequence numbers, RFC 7323 section 5.2)
    return stamp is not None and echo is not None and not SeqNum(stamp[0]) > echo[1]


def _opens_later(r: _Observer) -> bool:
    """The look-ahead shows ``r`` (in SYN-SENT) sending past its SYN: it got a SYN,ACK the capture missed."""
    return r.isn is not None and r.final_nxt is not None and r.final_nxt > r.isn + 1 + r.syn_data


def _ack_moves(ack: SeqNum, r: _Observer) -> str:
    """The receiver's moves when its SYN or FIN is acknowledged (RFC 9293 section 3.10.7.4)."""
    if r.state is S.SYN_RECEIVED and r.isn is not None and ack > r.isn:
        r.state = S.ESTABLISHED
        return "it acknowledges the SYN,ACK: the three-way handshake is complete"
    if r.fin is not None and ack > r.fin and r.state in _FIN_ACKED:
        r.state = _FIN_ACKED[r.state]
        return f"it acknowledges the peer's FIN (ack {_rel(ack, r.isn)} = FIN + 1)"
    return ""


_FIN_SENT = {S.ESTABLISHED: S.FIN_WAIT_1, S.CLOSE_WAIT: S.LAST_ACK, S.SYN_RECEIVED: S.FIN_WAIT_1}  # CLOSE (3.10.4)
_FIN_ACKED = {S.FIN_WAIT_1: S.FIN_WAIT_2, S.CLOSING: S.TIME_WAIT, S.LAST_ACK: S.CLOSED}
_FIN_UNACKED = {after: before for before, after in _FIN_ACKED.items()}
# RFC 9293 section 3.10.7.4, eighth check: the FIN bit
_FIN_RECEIVED = {
    S.ESTABLISHED: S.CLOSE_WAIT,
    S.SYN_RECEIVED: S.CLOSE_WAIT,
    S.FIN_WAIT_1: S.CLOSING,
    S.FIN_WAIT_2: S.TIME_WAIT,
}


def _receive_fin(r: _Observer) -> None:
    """RFC 9293 section 3.10.7.4, eighth check: the FIN bit."""
    r.state = _FIN_RECEIVED.get(r.state, r.state)


def _handshake(p: Packet, s: _Observer, r: _Observer) -> tuple[list[str], str, str | None]:
    """SYN and SYN,ACK (RFC 9293 sections 3.5 and 3.10.7.2-3)."""
    labels = ["handshake"]
    departure: str | None = None
    again = s.isn is not None and p.seq == s.isn
    # Its SYN (or SYN,ACK) sent again after the capture missed the first: its ISN, inferred from its first
    # segment seen, was a little above this one.
    missed = not s.isn_seen and s.isn is not None and 0 < s.isn.since(p.seq) <= _MISSED_SYN_SPAN
    again = again or missed
    fresh = s.isn is None  # its first segment in the capture
    # The same ISN again, but the capture never saw it on a SYN or SYN,ACK: it missed the first one, whose ISN the
    # peer's ACK of it showed (ack - 1, see _unseen_handshake), or this side's next segment (see missed).
    unseen_first = again and not s.isn_seen
    if s.isn is not None and p.seq != s.isn and s.state.synchronized and not missed:
        other = _other_syn_ack(p, s, r) if p.flags & ACK_BIT else ""
        if other:
            return labels, other, None  # (both sides stay as they were: the connection goes on with the first)
        departure = (
            f"SYN on a synchronized connection with a new ISN {int(p.seq)} (was {int(s.isn)}): RFC 9293 section "
            "3.10.7.4 answers it with a challenge ACK (RFC 5961 section 4)"
        )
    s.isn, s.isn_seen = p.seq, True
    s.syn_data = max(s.syn_data, p.length) if again else p.length  # a resent Fast Open SYN may leave its data out
    end = p.seq + 1 + p.length  # the SYN's one sequence number, then any data it carries (TCP Fast Open)
    if s.nxt is None or end > s.nxt:
        s.nxt = end
    options = p.options
    if options.mss is not None:
        s.mss = options.mss
    s.offered_scale = options.wscale
    s.options_cut = cut = p.options_cut
    s.window = p.window
    if again:
        labels.append("retransmission")
    if not p.flags & ACK_BIT:
        s.syns = s.syns + 1 if again else 1
        # A SYN, not a SYN,ACK, from a side taken to have the peer's SYN: that SYN had not reached it
        # (a simultaneous open).
        crossed = s.state is S.SYN_RECEIVED and not again and r.state is S.SYN_SENT
        # Its SYN again after a SYN,ACK it has not acknowledged: that SYN,ACK had not reached it.
        unanswered = again and s.state.synchronized and s.acked is None
        # Its SYN again after it acknowledged the SYN,ACK: a copy made before, even after it has closed.
        copy = again and s.acked is not None
        if (s.state in (S.CLOSED, S.LISTEN) and not copy) or crossed or unanswered:
            s.state = S.SYN_SENT
        if r.state is S.LISTEN or (r.state is S.CLOSED and r.listens):
            r.state = S.SYN_RECEIVED
        elif r.state is S.SYN_SENT:
            r.state = S.SYN_RECEIVED  # simultaneous open, RFC 9293 Figure 8
        text = (
            f"SYN: opens the connection with ISN {int(p.seq)} (relative 0); a SYN occupies one sequence "
            "number, so the answer must ack relative 1"
        )
        if p.length:
            text = (
                f"SYN: opens the connection with ISN {int(p.seq)} (relative 0) and carries {p.length} bytes of "
                f"data, seq 1..{1 + p.length} (TCP Fast Open, RFC 7413); a SYN occupies one sequence number, so "
                f"the answer acks relative {1 + p.length} if the server takes the data with the SYN, or relative 1 "
                "if it does not (the data is then sent again)"
            )
        if again:
            text = "The SYN again, same ISN: no SYN,ACK came back in time, so the SYN timer resent it (RFC 6298 5.5)"
            if unanswered:
                text += "; the SYN,ACK seen before had not reached it (lost after the capture point, or on its way)"
            elif copy:
                text = (
                    f"The SYN again, same ISN, though its sender has acknowledged the peer's SYN,ACK already (it is "
                    f"{s.state}): a copy of its first SYN, made by the network or held up on the way, not a resend; "
                    "its state does not go back"
                )
            text += _MISSED_FIRST if missed else ""
        elif crossed:
            text += (
                "; its sender has not got the peer's SYN (or it would answer with a SYN,ACK): both sides open at "
                "once, a simultaneous open (RFC 9293 Figure 8)"
            )
        if p.flags & _ECN == _ECN:
            text += (
                "; ECE and CWR together ask to use Explicit Congestion Notification: routers may then mark packets "
                "instead of dropping them (RFC 3168 section 6.1.1)"
            )
        return labels, text + (_OPTIONS_CUT if cut else "") + ".", departure
    # SYN,ACK
    first = s.acked is None  # after a SYN of its own: a simultaneous open
    # A capture begun mid-connection counted the peer's numbers from its first segment seen: this ack shows the
    # ISN of the SYN it answers, a little below that (the same correction as for a SYN resent, see missed).
    renumbered = not r.isn_seen and r.isn is not None and 0 <= r.isn.since(p.ack) <= _MISSED_SYN_SPAN
    if renumbered:
        r.isn = p.ack - 1
    # Its first segment, where both sides were taken to be ESTABLISHED (a capture begun mid-connection), is a
    # SYN,ACK: it is still in SYN-RECEIVED, the ACK that completes the handshake has not reached it.
    midstream = fresh and s.state is S.ESTABLISHED
    unseen = _syn_data_not_captured(p.ack, r)
    if unseen:
        assert r.isn is not None
        r.syn_data = p.ack.since(r.isn) - 1
        if r.nxt is None or p.ack > r.nxt:  # (else its sender was seen past those bytes already)
            r.unseen_acked = p.ack
            labels.append("ACKed segment that wasn't captured")
    if r.isn is not None and not _acks_syn(p.ack, r):
        departure = departure or (
            f"SYN,ACK acknowledges {int(p.ack)}, but the SYN had ISN {int(r.isn)}, so the ack must be "
            f"{_syn_needs(r)} (RFC 9293 section 3.10.7.3)"
        )
    if s.options_cut or r.options_cut:
        s.scale = r.scale = None  # whether both SYNs offered a scale is not in the capture: windows stay unscaled
    elif r.offered_scale is not None and s.offered_scale is not None:
        # RFC 7323 section 2.2: scaling is on only when both SYNs carry the option.
        s.scale, r.scale = s.offered_scale, r.offered_scale
    elif r.isn_seen:  # (a SYN the capture missed may have offered a scale)
        s.scale = r.scale = 0
    # The same SYN,ACK again, but it has acknowledged the peer's data since: it had the ACK that completes the
    # handshake.  (With a new ISN it is a new connection's: its numbers replace the old ones.)
    past = again and s.acked is not None and s.acked > p.ack
    # Its SYN,ACK again after an ACK of it, with nothing sent since: that ACK had not reached it.
    unanswered = again and (not first or unseen_first) and s.state is S.ESTABLISHED and s.nxt == p.seq + 1 and not past
    if (s.state in (S.LISTEN, S.CLOSED, S.SYN_SENT) and not past) or unanswered or midstream:
        s.state = S.SYN_RECEIVED  # (a leftover resend that comes after the connection has closed leaves it closed)
    if r.state in _HANDSHAKING and _acks_syn(p.ack, r):
        r.state = S.ESTABLISHED
    if not past:
        s.acked = p.ack
        s.right_edge = p.ack + p.window
        s.last_numbers = (p.ack, p.window)
    text = (
        f"SYN,ACK: accepts the connection; ack = the SYN's ISN + 1 (a SYN occupies one sequence number) and "
        f"its own ISN is {int(p.seq)}"
    )
    if r.syn_data and r.isn is not None and p.ack.since(r.isn) in (1, 1 + r.syn_data):
        taken = p.ack.since(r.isn) > 1
        text = (
            f"SYN,ACK: accepts the connection and the {r.syn_data} bytes of data its SYN carried (TCP Fast Open "
            f"with a valid cookie, RFC 7413), so ack = the SYN's ISN + 1 + {r.syn_data}; its own ISN is {int(p.seq)}"
            if taken
            else f"SYN,ACK: accepts the connection but not the {r.syn_data} bytes of data its SYN carried (no valid "
            "Fast Open cookie, RFC 7413 section 4.2), so ack = the SYN's ISN + 1 and the client sends the data "
            f"again; its own ISN is {int(p.seq)}"
        )
    if again and first and not unseen_first:
        text = (
            f"SYN,ACK in a simultaneous open: it acknowledges the peer's SYN and sends its own SYN again (the same "
            f"ISN {int(p.seq)}, so Wireshark calls it a retransmission); the handshake is complete once each SYN is "
            "acknowledged (RFC 9293 Figure 8)"
        )
    elif again:
        text = "The SYN,ACK again: the ACK that completes the handshake did not arrive in time, so it is resent"
        if unanswered:
            text += "; the ACK seen before had not reached it (lost after the capture point, or on its way)"
        elif past and s.acked is not None:
            text = (
                f"The SYN,ACK again, though its sender has acknowledged the peer's data since (ack "
                f"{_rel(s.acked, r.isn)}), so it had the ACK that completes the handshake: a leftover resend (for "
                "a copy of the SYN the network made, say), and its state does not go back"
            )
        text += _MISSED_FIRST if missed else _ACKED_FIRST if unseen_first else ""
    if renumbered:
        text += (
            f"; its ack {int(p.ack)} shows the ISN of the peer's SYN, {int(p.ack - 1)}, which this capture never "
            "saw: the peer's numbers count from it from here on"
        )
    if midstream:
        text += (
            "; this side was taken to be ESTABLISHED (the capture began mid-connection), but a SYN,ACK shows it "
            "still in SYN-RECEIVED: the ACK that completes the handshake has not reached it"
        )
    if unseen:
        text += (
            f"; its ack {_rel(p.ack, r.isn)} takes {r.syn_data} bytes of data past the SYN, which carried none here: "
            "they rode on a first sending of the SYN that this capture never saw (Linux keeps a Fast Open SYN's "
            "data apart, so the SYN its timer resends carries none), and the SYN's sender goes on from that ack"
        )
    scale = (
        f"; window scaling is on (shift {s.scale} and {r.scale}, RFC 7323)"
        if s.scale is not None and (s.scale or r.scale)
        else ""
    )
    if p.flags & _ECN == ECE_BIT:
        scale += "; ECE without CWR agrees to use Explicit Congestion Notification (RFC 3168 section 6.1.1)"
    return labels, text + scale + (_OPTIONS_CUT if cut else "") + ".", departure


_OPTIONS_CUT = (
    "; the snap length cut its options short, so whether it offered window scaling is unknown: the windows "
    "are shown as sent, and data is not tested against them"
)
_MISSED_SYN_SPAN = 1 << 16  # how far below an inferred ISN a resent SYN may be (the SYN's data, at most)
_MISSED_FIRST = "; the capture missed the first one, so this side's numbers had been counted from its next segment"
_ACKED_FIRST = "; the capture missed the first one, whose ISN the peer's ACK of it had shown"


def _other_syn_ack(p: Packet, s: _Observer, r: _Observer) -> str:
    """Why a SYN,ACK with another ISN, from a side the connection has synchronized, is no departure, or "".  It
    answered another sending of the SYN, apart from the connection the capture follows: it was sent before the
    side's latest segment seen (its timestamp is older, RFC 7323 section 4.3) and came late; or the SYN it
    acknowledges was sent more than once, and each sending may have had its own answer (one with a SYN cookie,
    which keeps no state, RFC 4987 section 3.6), come late or sent after the side had dropped the other.  A side
    that holds the connection answers a SYN with an ACK (RFC 5961 section 4), never with a new ISN."""
    latest = s.latest
    assert s.isn is not None
    peer_answers = (
        f"; the peer, which holds the connection with ISN {int(s.isn)}, answers it with an ACK (RFC 5961 section 4)."
    )
    stamp = p.options.timestamps
    before = latest.options.timestamps if latest is not None else None
    if stamp is not None and before is not None and SeqNum(stamp[0]) < before[0]:
        return (
            f"A SYN,ACK with another ISN, {int(p.seq)}, sent before its sender's segment seen before it (its "
            f"timestamp {stamp[0]} is older than that one's {before[0]}, RFC 7323 section 4.3) and held up on the way: "
            "it answered another sending of the SYN" + peer_answers
        )
    if r.syns > 1 and _acks_syn(p.ack, r):
        return (
            f"A SYN,ACK with another ISN, {int(p.seq)}, to the same SYN, which was sent {r.syns} times: its sender "
            "answered two sendings apart (Linux answers with SYN cookies, which keep no state, when its queue is "
            "full, RFC 4987 section 3.6), and this answer came late (held up on the way), or after it had dropped "
            "the other" + peer_answers
        )
    return ""


def _acks_syn(ack: SeqNum, r: _Observer) -> bool:
    """RFC 9293 section 3.10.7.3: an ACK of a SYN is acceptable when ISS < SEG.ACK =< SND.NXT, which is
    past the SYN and any data it carried: a Fast Open server takes that data with the SYN or not (RFC 7413)."""
    return r.isn is not None and 0 < ack.since(r.isn) <= 1 + r.syn_data


def _syn_data_not_captured(ack: SeqNum, r: _Observer) -> bool:
    """A SYN,ACK's ack past the SYN it answers, which carried no data, acknowledges the data of a Fast Open SYN
    (RFC 7413) the capture never saw: Linux resends such a SYN without its data.  Only if the SYN's sender holds
    the connection still (in SYN-SENT, or past it: not closed by a RST of its own) and goes on from exactly that
    ack: a correct stack in SYN-SENT takes no ack beyond what it sent (RFC 9293 section 3.10.7.3), and answers
    one with a RST."""
    return (
        (r.state is S.SYN_SENT or r.state.synchronized)
        and not r.syn_data
        and r.isn is not None
        and 1 < ack.since(r.isn) <= 1 + _MISSED_SYN_SPAN
        and r.went_on == ack
    )


def _syn_needs(r: _Observer) -> str:
    """The acks that acknowledge ``r``'s SYN, in words."""
    assert r.isn is not None
    first = int(r.isn + 1)
    return f"{first}" if not r.syn_data else f"{first} (or {int(r.isn + 1 + r.syn_data)} with its data)"


# A side taken to answer a SYN copy, or closed, or in TIME-WAIT (which ends after 2 MSL, or when a new SYN reuses
# the ports): its <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK> shows it holds no connection any more.
_NO_CONNECTION = frozenset({S.CLOSED, S.LISTEN, S.SYN_RECEIVED, S.TIME_WAIT})


_CLOSE_NOT_CAPTURED = (
    "; this capture never saw it close (its FIN was not captured, or it aborted or lost the connection), but a "
    "side with a connection would answer with an ACK, or abort at its SND.NXT (RFC 9293 sections 3.5.2, 3.10.5)"
)


def _reset(p: Packet, s: _Observer, r: _Observer) -> tuple[list[str], str, str | None]:
    """RST, RFC 9293 section 3.10.7 (and RFC 5961 section 3 for the window test)."""
    if r.state is S.SYN_SENT:
        # RFC 9293 section 3.10.7.3: in SYN-SENT a RST counts only if it acknowledges the SYN.
        ok = bool(p.flags & ACK_BIT) and _acks_syn(p.ack, r)
        where = (
            "it acknowledges the SYN, so the connection is refused: nothing listens on that port"
            if ok
            else "it does not acknowledge the SYN, and SYN-SENT takes a RST only if it does (RFC 9293 section 3.10.7.3)"
        )
        # Its ack is past the SYN, and the capture shows nothing later of the SYN's sender to say it never got
        # that far (as for any ACK, see _acknowledgement): the capture missed the handshake's end and what came after.
        if not ok and p.flags & ACK_BIT and r.nxt is not None and p.ack > r.nxt:
            ok = _short_of(p.ack, r, p) is None
            if ok:
                unseen = (
                    f"its ack {_rel(p.ack, r.isn)} is past the SYN: it acknowledges bytes this capture never saw "
                    "sent, so the capture missed the end of the handshake and what came after it (a capture drop), "
                    "and the connection it resets was open"
                )
                return _resets(["RST", "ACKed segment that wasn't captured"], unseen, p, s, r)
    elif r.acked is None:
        ok, where = True, "the receiver never acknowledged anything, so there is no window to test it against"
    else:
        # RFC 9293 section 3.10.7.4, first check: a RST is valid when its seq is in the receive window.  Where
        # the window scale is unknown (a capture begun mid-connection, a SYN's options cut), it may be up to 14.
        window = r.window << 14 if r.scale is None and r.state.synchronized else r.window
        ok = p.seq.in_window(r.acked, max(window, 1))
        where = (
            "its seq is inside the receiver's window, so it is accepted (RFC 9293 section 3.10.7.4)"
            if ok
            else "its seq is outside the receiver's window (RFC 9293 section 3.10.7.4)"
        )
        # Past what its sender was seen to send, and past the window (not below it), as data after a capture gap
        # is, unless its sender is seen later at its SND.NXT, short of this seq (as for an ACK of data never sent).
        if not ok and s.nxt is not None and p.seq > s.nxt and p.seq > r.acked and _short_of(p.seq, s, p) is None:
            unseen = (
                f"its seq {_rel(p.seq, s.isn)} is past {_rel(s.nxt, s.isn)}, the end of what its sender was seen to "
                "send: the bytes between were sent but not captured, nor were the receiver's ACKs of them that moved "
                "its window on"
            )
            return _resets(["RST", "previous segment not captured"], unseen, p, s, r)
    labels = ["RST", "RST in window" if ok else "RST outside the window"]
    if ok and not p.flags & ACK_BIT and r.acked is not None and p.seq == r.acked and s.state is not S.SYN_SENT:
        # RFC 9293 section 3.10.7.1: a side with no connection answers a segment with <SEQ=SEG.ACK><CTL=RST>
        where += (
            "; seq = the ack of the SYN,ACK it answers, and no ACK bit: the answer of a side with no connection "
            "for it, so the SYN that SYN,ACK acknowledges was an old duplicate (RFC 9293 section 3.5, Figure 9)"
            if r.state is S.SYN_RECEIVED
            else "; seq = the ack of the segment it answers, and no ACK bit: the answer of a side with no "
            "connection (RFC 9293 section 3.10.7.1), which has closed it already or lost it (its host restarted: "
            "the connection was half-open, RFC 9293 section 3.5.1)"
        )
    if ok:
        return _resets(labels, where, p, s, r)
    # An ack the peer has sent: from this side's ISN, or from the first ack the peer was seen to send where that is
    # lower (a capture begun mid-connection counts this side from its first seq seen, which this RST may be).
    low = s.isn
    if r.acked_from is not None and (low is None or r.acked_from < low):
        low = r.acked_from
    old = r.acked is not None and low is not None and low <= p.seq <= r.acked
    if not p.flags & ACK_BIT and old:
        if s.isn is None:
            s.isn = p.seq  # its numbers count from its first segment seen
        # Its sender has closed, and answers a segment of the peer's (a resend that crossed the close, data that
        # came after it, an ACK of a connection it no longer has) with <SEQ=SEG.ACK><CTL=RST>; the peer has
        # acknowledged more since it sent that segment, so it ignores the RST.  A side with a connection would
        # answer with an ACK (RFC 9293 section 3.5.2), or abort at SND.NXT, not below what the peer acknowledged:
        # if it is not seen to close, the capture missed that.
        unseen = "" if s.state is S.CLOSED or s.fin is not None else _CLOSE_NOT_CAPTURED
        s.state = S.CLOSED
        return (
            labels,
            (
                "RST: the answer of a side that has closed to a segment it got (a resend that crossed the close, "
                f"data that came after it, an ACK): seq {_rel(p.seq, s.isn)}, no ACK bit, is that segment's ack (RFC "
                f"9293 section 3.10.7.1; for data after CLOSE, RFC 1122 section 4.2.2.13){unseen}; the receiver has "
                "acknowledged more since it sent that segment, so the RST is outside its window and it ignores it "
                "(RFC 9293 section 3.10.7.4), as it should."
            ),
            None,
        )
    if not p.flags & ACK_BIT and s.isn_seen and s.isn is not None and p.seq < s.isn:
        # Below its sender's ISN: the segment it answers acknowledged bytes of an older connection on these
        # ports (a late copy); no ack of this connection is below the ISN.
        return (
            labels,
            (
                f"RST: the answer to a late segment of an older connection on these ports: seq {_rel(p.seq, s.isn)}, "
                "no ACK bit, is that segment's ack (RFC 9293 section 3.10.7.1), below this side's ISN, so that "
                "segment acknowledged an older connection's bytes; the receiver finds the RST outside its window "
                "and ignores it (RFC 9293 section 3.10.7.4), as it should."
            ),
            None,
        )
    if p.flags & ACK_BIT and int(p.seq) == 0 and _acks_syn(p.ack, r) and s.state in _NO_CONNECTION:
        # RFC 9293 section 3.10.7.1: where nothing listens, a SYN is answered with <SEQ=0><ACK=SEG.SEQ+SEG.LEN>
        # <CTL=RST,ACK>.  This SYN was a copy of the peer's first (duplicated or held up on the way), and its
        # connection has gone, and the listener with it; the peer is past SYN-SENT, so the RST misses its window.
        s.state, s.listens = S.CLOSED, False
        return (
            labels,
            (
                "RST: nothing listens on this port any more, and this is its answer to the copy of the peer's SYN "
                "(seq 0 and ack = the SYN's ISN + 1, RFC 9293 section 3.10.7.1); the peer, whose connection has "
                "gone past SYN-SENT, finds it outside its window and ignores it (RFC 9293 section 3.10.7.4), as it "
                "should."
            ),
            None,
        )
    if r.state is not S.SYN_SENT and p.seq == s.nxt:
        # RFC 9293 section 3.10.5: ABORT sends <SEQ=SND.NXT><CTL=RST>.  Outside the window only when the
        # sender's data has filled it: SND.NXT is then the window's right edge, just past it.
        s.state = S.CLOSED
        return (
            labels,
            (
                f"RST: its sender aborts, with seq {_rel(p.seq, s.isn)} = its SND.NXT as an ABORT sends it (RFC 9293 "
                "section 3.10.5); its data had filled the receiver's window, so that seq is just past the window's "
                "right edge, and the receiver ignores the RST (RFC 9293 section 3.10.7.4), or answers with a "
                "challenge ACK (RFC 5961 section 3.2), as it should."
            ),
            None,
        )
    if s.isn is None:
        s.isn = p.seq
    return (
        labels,
        f"RST: {where}, so a correct stack ignores it.",
        "RST outside the window: a correct stack ignores it (RFC 9293 section 3.10.7.4, RFC 5961)",
    )


def _resets(labels: list[str], where: str, p: Packet, s: _Observer, r: _Observer) -> tuple[list[str], str, None]:
    """A RST the receiver accepts: both sides' moves, and the sentence."""
    if p.flags & ACK_BIT and s.state.synchronized and s.nxt is not None and p.seq > s.nxt:
        # An ABORT's RST is at SND.NXT (RFC 9293 section 3.10.5): what its sender sent before it is still to
        # come (held up on the way) or was not captured; a segment that comes later fills that gap.
        _gap(s, s.nxt, p.seq)
        if "previous segment not captured" not in labels:  # (that label's sentence has said so)
            where += (
                f"; its seq {_rel(p.seq, s.isn)} is past {_rel(s.nxt, s.isn)}, the end of what its sender was seen "
                "to send: what it sent before the RST is still on its way, or was not captured"
            )
    # A RST from SYN-SENT or LISTEN answers an unacceptable segment and leaves its sender as it was
    # (RFC 9293 section 3.10.7.2-3); from any other state its sender has aborted.
    if s.state not in (S.SYN_SENT, S.LISTEN):
        s.state = S.CLOSED
    # RFC 9293 section 3.10.7.4, first check: a connection that came from a passive OPEN returns to LISTEN.
    r.state = S.LISTEN if r.state is S.SYN_RECEIVED and r.listens else S.CLOSED
    if s.isn is None:
        s.isn = p.seq
    return labels, f"RST: resets the connection; {where}.", None


_WITH_ACK = frozenset(name for bits, name in enumerate(FLAG_NAMES) if bits & ACK_BIT)


def wrap(text: str) -> list[str]:
    """A sentence as the report's indented lines: ``_WRAP.wrap(text)``, made without its regular
    expressions when the text is plain words split by single spaces (every sentence the checker writes)."""
    first, later = _WRAP.width - len(_WRAP.initial_indent), _WRAP.width - len(_WRAP.subsequent_indent)
    words = text.split(" ")
    if not text.isprintable() or "" in words or max(map(len, words)) > min(first, later):
        return _WRAP.wrap(text)
    lines: list[str] = []
    indent, room = _WRAP.initial_indent, first
    line: list[str] = []
    length = -1  # of the words in ``line`` and the spaces between them
    for word in words:
        if line and length + 1 + len(word) > room:
            lines.append(indent + " ".join(line))
            indent, room, line, length = _WRAP.subsequent_indent, later, [], -1
        line.append(word)
        length += 1 + len(word)
    lines.append(indent + " ".join(line))
    return lines


_COLUMN = {state: f"{text:<12} " for state, text in _TEXT.items()}  # a state as the report's table shows it


def render(report: ConnectionReport, *, brief: bool = False) -> list[str]:
    """A connection's report as text lines: header, a row per packet (and its sentence), the verdict."""
    return list(report_lines(report, brief=brief))


def report_lines(report: ConnectionReport, *, brief: bool = False) -> Iterator[str]:
    """``render``'s lines one at a time (a long connection's report is written, never held whole)."""
    yield from report.heading.lines(report.number)
    yield from packet_lines(report, brief=brief)


def packet_lines(report: ConnectionReport, *, brief: bool = False) -> Iterator[str]:
    """``report_lines`` below the heading: a row per packet (and its sentence), then the verdict."""
    for (
        number,
        time,
        direction,
        flags,
        seq,
        ack,
        length,
        window,
        labels,
        _,
        after,
        explanation,
        departure,
    ) in report.packets:
        acked = f" ack={ack}" if flags in _WITH_ACK else ""
        segment = f"{flags} seq={seq}{acked} len={length} win={window}"
        a, b = after
        yield f"  {number:>6} {time:9.6f} {direction} {segment:<38} {_COLUMN[a]}{_COLUMN[b]}{', '.join(labels)}"
        if departure is not None:
            yield from wrap(f"DEPARTS FROM THE MODEL: {departure}")
        if not brief:
            yield from wrap(explanation)
    yield f"  verdict: {report.verdict}"
