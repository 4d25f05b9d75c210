"""Header prediction: the common segment recognised with a few comparisons, before the full rules.

Most packets of a transfer are in-order data, or an ACK of new data, on an established connection.
Real stacks see that too: Van Jacobson's header prediction (RFC 1323 appendix A, "the fast path")
and Linux's ``tcp_rcv_established`` recognise such a segment by its header alone and handle it in a
few lines; everything else goes through the full processing of RFC 9293 section 3.10.7.4.

``predicted`` does the same for the checker: when every condition below holds, the full rules
(``segment._classify``) would find nothing but "data" or "pure ACK", and move the observers as it
does here; else it returns None and the full rules run.  tests/test_checker_fastpath.py holds the
two to the same labels, states and sentences on random captures.
"""

from __future__ import annotations

from ...model.segment import ACK_BIT
from ...model.states import State
from ..connections import Packet
from ..labels import Label
from .observer import _Observer, record_ack
from .sentences import Sentence, Why

_PSH = 0x08  # (the model sets PSH on every segment with data; the checker reads it only here)
_ESTABLISHED = State.ESTABLISHED
_DATA = (Label.DATA,)
_PURE_ACK = (Label.PURE_ACK,)
Predicted = tuple[tuple[Label, ...], Sentence, None]


def predicted(p: Packet, s: _Observer, r: _Observer) -> Predicted | None:
    """In-order data, or an ACK of new data, from ``s`` to ``r``, both ESTABLISHED: its labels and
    sentence, with both observers moved on; or None."""
    if not _predictable(p, s, r):
        return None
    window = p.window << s.scale if s.scale is not None else p.window
    if window == 0:
        return None
    s.probing = None
    if p.length:
        return _in_order(p, s, r, window)
    ack = p.ack
    if not ack > s.acked:  # type: ignore[operator]  # (_predictable: not None)
        return None  # nothing new acknowledged: a duplicate, a window update, an old ACK
    s.dup_acks = 0
    s.last_pure_ack = (ack, window)
    record_ack(s, ack, window)
    return _PURE_ACK, Sentence(Why.PURE_ACK, (ack, r.isn)), None


def _predictable(p: Packet, s: _Observer, r: _Observer) -> bool:
    """The header says: nothing but ACK (and PSH), at SND.NXT, acknowledging no more than the peer was
    seen to send, both sides ESTABLISHED, no gap, probe or FIN about, the numbers all known."""
    flags = p.flags
    if flags | _PSH != ACK_BIT | _PSH or s.state is not _ESTABLISHED or r.state is not _ESTABLISHED:
        return False  # control bits, URG, ECE or CWR; or a state with more to it
    seq, ack, nxt, final = p.seq, p.ack, s.nxt, r.ahead.nxt
    if seq != nxt or nxt is None or s.acked is None or s.isn is None or r.nxt is None or final is None:
        return False  # not at SND.NXT (a resend, a gap), or the numbers are still being learnt
    if ack > r.nxt or ack > final or r.missed.holes or r.probing is not None or r.fin is not None:
        return False  # an ACK of bytes not seen sent, of a gap, of a probe or of a FIN
    unseen = s.missed.unseen_acked
    return unseen is None or not unseen > nxt  # (else the peer acknowledged bytes the capture never saw)


def _in_order(p: Packet, s: _Observer, r: _Observer, window: int) -> Predicted | None:
    """Data at SND.NXT inside the receiver's window (RFC 9293 section 3.8.6)."""
    data_end = p.seq + p.length
    edge = r.right_edge
    if (
        s.missed.holes
        or s.fin is not None
        or r.window == 0
        or (edge is not None and r.scale is not None and data_end > edge)
    ):
        return None  # it may fill a gap, follow a FIN, probe a zero window, or pass the window
    s.nxt = data_end
    r.zero_seen = False
    previous = s.last_pure_ack
    if previous is None or previous[0] != p.ack:
        s.dup_acks = 0
    record_ack(s, p.ack, window)
    return _DATA, Sentence(Why.DATA, (p, s.isn, data_end, r.mss)), None
