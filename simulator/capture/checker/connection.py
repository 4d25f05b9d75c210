"""One connection checked as its packets come, with a look-ahead."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ...model.segment import ACK_BIT, FIN_BIT, FLAG_NAMES, RST_BIT, SYN_BIT
from ...model.seq import MASK, SeqNum
from ...model.states import State
from ..connections import Connection, Packet, ZeekHistory
from ..spool import Spool
from .fastpath import PREDICTABLE, predicted
from .handshake import _RESET_ANSWERS
from .observer import _SYN_ACK, S, _Observer, _rel, _sub, after, plus, window_shift
from .report import ConnectionReport, PacketReport
from .segment import _classify
from .sentences import Sentence, Why, say

_tuple_new = tuple.__new__
_ZEEK_FLAGS = SYN_BIT | FIN_BIT | RST_BIT  # the packets ZeekHistory.add looks at
_MOVED = Why.MOVED
FAST_PATH = True  # header prediction before the full rules (off: every packet through them, as the tests compare)


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
                notes.append(say(Why.STILL_OPEN, a, b))
        if conn.late:
            notes.append(say(Why.LATE_PACKETS, conn.late))
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
        a, b = sides[conn.a], sides[conn.b]  # (the same observer twice for a socket connected to itself)
        add_history, report = history.add, reports.append
        for p in waiting[:count]:
            if p.flags & _ZEEK_FLAGS:  # (what Zeek's history records: no call for the rest)
                add_history(p)
            report(_packet(conn, p, a, b, start, relative))
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
            notes.append(say(Why.SELF_CONNECTED))
        if midstream:
            notes.append(say(Why.MIDSTREAM))
        missed_syn = not self_connected and p.flags & _SYN_ACK == _SYN_ACK
        wscale = window_shift(p.options.wscale) if missed_syn else None
        if missed_syn:
            # The capture starts at the SYN,ACK: its sender was listening, the other side sent a SYN we never saw.
            a.state, a.listens, b.state = S.LISTEN, True, S.SYN_SENT
            b.isn, b.nxt = p.ack - 1, p.ack
            notes.append(say(Why.SYN_MISSED, wscale is not None))
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
    # marshal writes plain strings only: a label (a StrEnum) goes as its word, and comes back as one
    labels = tuple(map(str, p.labels))
    return (*p[:8], labels, _PAIR_NUMBER[p.before], _PAIR_NUMBER[p.after], str(p.why), p.departure, p.in_flight)


def _decode(f: Any) -> PacketReport:
    return PacketReport._make((*f[:9], _PAIR_LIST[f[9]], _PAIR_LIST[f[10]], f[11], f[12], f[13]))


_NEAR = 1 << 30  # the look-ahead keeps numbers within a quarter of the sequence space of where checking is
_BEHIND = MASK + 1 - _NEAR  # (from there on, a number is behind: less than _NEAR behind is near too)


def _lookahead(packets: Iterable[Packet], sides: dict[tuple[str, int], _Observer]) -> None:
    """Each side's highest sequence number and ack in the look-ahead (to tell a capture gap from a
    bad ACK, and a window update the capture missed from data sent beyond the window).

    Only numbers near where checking is (``_NEAR``) count: a sparse capture of a transfer of more than
    4 GB (a packet in a thousand, say) can span the whole sequence space within the look-ahead, and
    numbers further apart than half of it do not compare (RFC 1982)."""
    near = _where_checking_is(sides)
    for p in packets:
        flags, seq, side = p.flags, p.seq, sides[p.sender]
        if flags & RST_BIT:
            _reset_ahead(p, side)
            continue  # its seq may be the ack of the segment it answers (RFC 9293 section 3.10.7.1), not SND.NXT
        ahead, where = side.ahead, near[id(side)]
        final, at_seq = ahead.nxt, where[0]
        if at_seq is None:
            at_seq = where[0] = seq  # its first segment: checking starts there
        used = p.length + (1 if flags & SYN_BIT else 0) + (1 if flags & FIN_BIT else 0)  # sequence numbers
        end = plus(seq, used) if used else seq
        if not _NEAR <= _sub(end, at_seq) & MASK <= _BEHIND:  # (not _far(end, at_seq), without a call)
            if final is None or seq == final:
                # It starts at its SND.NXT (not a resend, nor past bytes the capture missed, which may be late):
                # it shows how far its sender had got.
                ahead.packet = p
            if final is None or after(end, final):
                ahead.nxt, ahead.bare = end, not used
        if flags & ACK_BIT:
            ack, at_ack = p.ack, where[1]
            if at_ack is None:
                at_ack = where[1] = ack
            if (ahead.ack is None or after(ack, ahead.ack)) and not _NEAR <= _sub(ack, at_ack) & MASK <= _BEHIND:
                ahead.ack = ack
        if ahead.went_on is None and not flags & SYN_BIT:
            ahead.went_on = seq  # where it went on once its SYN was acknowledged (see _syn_data_not_captured)


def _reset_ahead(p: Packet, side: _Observer) -> None:
    if not p.flags & ACK_BIT and len(side.ahead.reset_answers) < _RESET_ANSWERS:
        side.ahead.reset_answers.add(p.seq)  # <SEQ=SEG.ACK><CTL=RST>: its ack (see _answered_by_reset)


def _where_checking_is(sides: dict[tuple[str, int], _Observer]) -> dict[int, list[SeqNum | None]]:
    """Each side's SND.NXT and highest ack where checking is (None: not yet known), by ``id(side)``;
    a look-ahead number left behind by more than ``_NEAR`` is forgotten."""
    near: dict[int, list[SeqNum | None]] = {}
    for side in sides.values():
        seq, ack = side.nxt, side.acked
        near[id(side)] = [seq, ack]
        if side.ahead.nxt is not None and seq is not None and _far(side.ahead.nxt, seq):
            side.ahead.nxt = None
        if side.ahead.ack is not None and ack is not None and _far(side.ahead.ack, ack):
            side.ahead.ack = None
    return near


def _far(value: int, where: int) -> bool:
    """``value`` is ``_NEAR`` or more ahead of ``where``, or behind it."""
    return _NEAR <= _sub(value, where) & MASK <= _BEHIND


def _in_flight(p: Packet, sender: _Observer, receiver: _Observer) -> int | None:
    """Bytes in flight after a data segment, as Wireshark counts them (tcp.analysis.bytes_in_flight): the
    sender's highest sequence number sent so far less the highest the receiver has acknowledged."""
    if not p.length or sender.nxt is None or receiver.acked is None:
        return None
    end = p.seq + p.length  # (a zero-window probe lies beyond SND.NXT as the observer keeps it)
    top = end if _sub(end, sender.nxt) & MASK < 1 << 31 else sender.nxt
    return _sub(top, receiver.acked) & MASK


def _packet(conn: Connection, p: Packet, a: _Observer, b: _Observer, start: float, relative: bool) -> PacketReport:
    """One packet checked: ``a`` and ``b`` are the observers of ``conn.a`` and ``conn.b``."""
    from_a = p.sender == conn.a
    sender, receiver = (a, b) if from_a else (b, a)
    before = _PAIRS[a.state, b.state]
    # header prediction first (fastpath.py): the common segment, in a few comparisons; else the full rules
    # (its first look, here: only a segment of nothing but ACK, PSH and FIN goes on to it)
    found = predicted(p, sender, receiver) if p.flags in PREDICTABLE and FAST_PATH else None
    labels, explanation, departure = found if found is not None else _classify(p, sender, receiver)
    sender.latest = p
    after = _PAIRS[a.state, b.state]
    # (!=, not "is not": a build compiled by mypyc unboxes these pairs, and a tuple made again is a new object)
    if before != after and (before[0] is not after[0] or b is not a):
        explanation = _tuple_new(Sentence, (_MOVED, (explanation, before, after, b is a)))  # (see fastpath._SAYS_DATA)
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
        "->" if from_a else "<-",
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
        _in_flight(p, sender, receiver) if p.length else None,  # (data only: no call for the rest)
    )
    return _tuple_new(PacketReport, fields)  # PacketReport(*fields) without its __new__ (a third of a microsecond)
