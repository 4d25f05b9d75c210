"""What the capture shows of one side's TCB, and the helpers every rule uses."""

from __future__ import annotations

from dataclasses import dataclass, field

from ...model.segment import ACK_BIT, CWR_BIT, ECE_BIT, FIN_BIT, RST_BIT, SYN_BIT, URG_BIT
from ...model.seq import HALF, MASK, SeqNum
from ...model.states import State
from ..connections import Packet
from ..labels import Label

S = State
_SYN_ACK = SYN_BIT | ACK_BIT
_HANDSHAKING = frozenset({S.SYN_SENT, S.SYN_RECEIVED})
_CONTROL = SYN_BIT | FIN_BIT | RST_BIT
_ECN = ECE_BIT | CWR_BIT
_SIGNALS = _ECN | URG_BIT  # flags seldom seen, each explained on its own (see _signals)
_sub = int.__sub__
_add = int.__add__
_new = int.__new__
MAX_SCALE = 14  # RFC 7323 section 2.3: a larger shift.cnt is logged, and 14 used instead
_HOLES = 64  # gaps remembered per side (capture drops); older ones are forgotten


@dataclass(slots=True)
class LookAhead:
    """What the packets still to come show of one side (``connection._lookahead``): how far it gets, which
    tells a capture gap from an ACK of data never sent, and a missed window update from data past the window."""

    nxt: SeqNum | None = None  # its highest SND.NXT in the look-ahead (see ConnectionChecker)
    ack: SeqNum | None = None  # the highest ack it sends in the look-ahead
    packet: Packet | None = None  # its last packet in the look-ahead at its SND.NXT (see _lookahead)
    bare: bool = False  # nxt is the seq of a segment without data, SYN or FIN (see _short_of)
    reset_answers: set[SeqNum] = field(default_factory=set)  # the seqs of its RSTs without ACK
    went_on: SeqNum | None = None  # the seq of its first segment after its SYN (no SYN, no RST)


@dataclass(slots=True)
class Missed:
    """What the capture missed of one side's sending (tcpdump drops, or a capture begun late)."""

    holes: list[tuple[SeqNum, SeqNum]] = field(default_factory=list)  # sent but not captured (yet)
    unseen_acked: SeqNum | None = None  # the highest ack beyond SND.NXT reported for it


@dataclass(slots=True)
class _Observer:
    """What the capture shows of one side's TCB (RFC 9293 section 3.3.1), with what the look-ahead adds
    (``ahead``) and what the capture missed (``missed``)."""

    state: State
    # the TCB as the capture shows it
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
    listens: bool = False  # a server: after a reset its listener is still there
    # what the capture has shown of it so far, for the rules that look back
    syns: int = 0  # how many times the capture saw its SYN (without ACK), with the same ISN
    isn_seen: bool = False  # its SYN is in the capture (else its ISN was inferred from later numbers)
    last_pure_ack: tuple[SeqNum, int] | None = None  # (ack, window) of its last pure ACK
    dup_acks: int = 0
    last_numbers: tuple[SeqNum, int] | None = None  # (ack, window) of its latest segment
    zero_seen: bool = False  # it advertised a zero window since the peer last sent new data
    probing: Label | None = None  # KEEP_ALIVE or ZERO_WINDOW_PROBE: its latest segment, which the peer's ACKs answer
    latest: Packet | None = None  # its latest segment checked
    ahead: LookAhead = field(default_factory=LookAhead)
    missed: Missed = field(default_factory=Missed)


def _rel(value: SeqNum, base: SeqNum | None) -> int:
    # value.relative_to(base), without a second call: this runs a few times per packet
    return _sub(value, base) & MASK if base is not None else int(value)


# RFC 1982 comparisons and sums for the hot path (header prediction, the look-ahead): SeqNum's operators
# are Python methods, several times slower than these int slots; the numbers are already 32 bits.
def after(a: int, b: int) -> bool:
    """``a > b`` on the sequence-number circle (``SeqNum.__gt__`` without the operator's dispatch)."""
    return 0 < _sub(a, b) & MASK < HALF


def plus(a: int, n: int) -> SeqNum:
    """``a + n`` on the sequence-number circle (``SeqNum.__add__`` without the operator's dispatch)."""
    return _new(SeqNum, _add(a, n) & MASK)


def _gap(s: _Observer, start: SeqNum, end: SeqNum) -> None:
    """Remember ``start..end`` as sent by ``s`` but not captured (yet): a segment that comes later may fill it."""
    s.missed.holes.append((start, end))
    del s.missed.holes[:-_HOLES]


def window_shift(offered: int | None) -> int | None:
    """The shift a Window Scale option's value sets: at most 14 (RFC 7323 section 2.3)."""
    return offered if offered is None or offered <= MAX_SCALE else MAX_SCALE


def record_ack(s: _Observer, ack: SeqNum, window: int) -> None:
    """What every ACK records of its sender: its ack and window, the highest ack (RCV.NXT as seen) and
    the right edge of the window it has offered (RFC 9293 section 3.8.6)."""
    s.last_numbers = (ack, window)
    acked, right_edge = s.acked, s.right_edge
    # (RFC 1982 comparisons written out, as SeqNum.__gt__ has them: this runs for nearly every packet)
    if acked is None or 0 < _sub(ack, acked) & MASK < HALF:
        if acked is None:
            s.acked_from = ack
        s.acked = ack
    s.window = window
    edge = _new(SeqNum, _add(ack, window) & MASK)  # ack + window
    if right_edge is None or 0 < _sub(edge, right_edge) & MASK < HALF:
        s.right_edge = edge
