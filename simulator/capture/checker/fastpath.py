"""Header prediction: the common segment recognised with a few comparisons, before the full rules.

Most packets of a transfer are in-order data, or an ACK of new data, on an established connection;
a short connection is made of a handshake, a little data and a FIN exchange.  Real stacks see that
too: Van Jacobson's header prediction (RFC 1323 appendix A, "the fast path") and Linux's
``tcp_rcv_established`` recognise such a segment by its header alone and handle it in a few lines;
everything else goes through the full processing of RFC 9293 section 3.10.7.4.

``predicted`` does the same for the checker, for three kinds of segment: in-order data between
ESTABLISHED sides; a pure ACK of new data from a synchronized side (the one that completes the
handshake and the ones that acknowledge a FIN too, their state moves made by the full rules' own
``_ack_moves``); and a side's first FIN, without data, at SND.NXT.  When every condition holds, the
full rules (``segment._classify``) would find nothing more, and move the observers as it does
here; else it returns None and the full rules run.  tests/test_checker_fastpath.py holds the two to
the same labels, states and sentences on random captures.
"""

from __future__ import annotations

from ...model.segment import ACK_BIT, FIN_BIT
from ...model.states import State
from ..connections import Packet
from ..labels import Label
from .acknowledge import _ack_moves
from .fin import _FIN_SENT, _receive_fin
from .observer import _Observer, after, plus, record_ack
from .sentences import Sentence, Why

_PSH = 0x08  # (the model sets PSH on every segment with data; the checker reads it only here)
PREDICTABLE = frozenset({ACK_BIT, ACK_BIT | _PSH, ACK_BIT | FIN_BIT, ACK_BIT | FIN_BIT | _PSH})  # header flags
_ESTABLISHED, _CLOSE_WAIT = State.ESTABLISHED, State.CLOSE_WAIT
_SYNCHRONIZED = frozenset(state for state in State if state.synchronized and state is not State.SYN_RECEIVED)
_ACKED = _SYNCHRONIZED | {State.SYN_RECEIVED}  # the states an ACK of new data may reach (it may complete the handshake)
_DATA = (Label.DATA,)
_PURE_ACK = (Label.PURE_ACK,)
_FIN = (Label.FIN,)
# The sentences' keys, read once (in Python 3.11 reading an enum's member is a descriptor call), and a sentence
# made as Sentence(why, args) makes it without the named tuple's __new__ (a Python function)
_SAYS_DATA, _SAYS_PURE_ACK, _SAYS_FIN, _SAYS_PHRASES = Why.DATA, Why.PURE_ACK, Why.FIN, Why.PHRASES
_tuple_new = tuple.__new__
Predicted = tuple[tuple[Label, ...], Sentence, None]


def predicted(p: Packet, s: _Observer, r: _Observer) -> Predicted | None:
    """In-order data, an ACK of new data or a first FIN, from ``s`` to ``r`` (its flags in ``PREDICTABLE``):
    its labels and sentence, with both observers moved on; or None."""
    if not _predictable(p, s, r):
        return None
    window = p.window << s.scale if s.scale is not None else p.window
    if window == 0:
        return None  # a zero window: the full rules say so
    if p.flags & FIN_BIT:
        return _first_fin(p, s, r, window)
    if p.length:
        return _in_order(p, s, r, window)
    return _pure_ack(p, s, r, window)


def _predictable(p: Packet, s: _Observer, r: _Observer) -> bool:
    """The header says: at SND.NXT, acknowledging no more than the peer was seen to send, no gap or probe
    about, the numbers all known, both sides synchronized."""
    if s.state not in _SYNCHRONIZED or r.state not in _ACKED:
        return False  # the handshake, or a closed side: more to it
    seq, ack, nxt, final = p.seq, p.ack, s.nxt, r.ahead.nxt
    if seq != nxt or nxt is None or s.isn is None or r.nxt is None or final is None:
        return False  # not at SND.NXT (a resend, a gap), or the numbers are still being learnt
    if after(ack, r.nxt) or after(ack, final) or r.missed.holes or r.probing is not None:
        return False  # an ACK of bytes not seen sent, of a gap or of a probe
    unseen = s.missed.unseen_acked
    return unseen is None or not after(unseen, nxt)  # (else the peer acknowledged bytes the capture never saw)


def _pure_ack(p: Packet, s: _Observer, r: _Observer, window: int) -> Predicted | None:
    """An ACK of new data (RFC 9293 section 3.10.7.4, fifth check), and the moves of the peer whose SYN or FIN
    it acknowledges."""
    ack, acked = p.ack, s.acked
    if acked is None:
        if s.last_numbers is not None or s.last_pure_ack is not None:
            return None
    elif not after(ack, acked):
        return None  # nothing new acknowledged: a duplicate, a window update, an old ACK
    s.probing = None
    s.dup_acks = 0
    s.last_pure_ack = (ack, window)
    record_ack(s, ack, window)
    moved = _ack_moves(ack, r)
    if moved is not None:
        return _PURE_ACK, _tuple_new(Sentence, (_SAYS_PHRASES, ((moved,),))), None
    return _PURE_ACK, _tuple_new(Sentence, (_SAYS_PURE_ACK, (ack, r.isn))), None


def _in_order(p: Packet, s: _Observer, r: _Observer, window: int) -> Predicted | None:
    """Data at SND.NXT inside the receiver's window (RFC 9293 section 3.8.6), both sides ESTABLISHED."""
    data_end = plus(p.seq, p.length)
    edge = r.right_edge
    if (
        s.state is not _ESTABLISHED
        or r.state is not _ESTABLISHED
        or s.acked is None
        or r.fin is not None
        or s.missed.holes
        or s.fin is not None
        or r.window == 0
        or (edge is not None and r.scale is not None and after(data_end, edge))
    ):
        return None  # it may fill a gap, follow a FIN, probe a zero window, or pass the window
    s.probing = None
    s.nxt = data_end
    r.zero_seen = False
    previous = s.last_pure_ack
    if previous is None or previous[0] != p.ack:
        s.dup_acks = 0
    record_ack(s, p.ack, window)
    return _DATA, _tuple_new(Sentence, (_SAYS_DATA, (p, s.isn, data_end, r.mss))), None


def _first_fin(p: Packet, s: _Observer, r: _Observer, window: int) -> Predicted | None:
    """Its sender's first FIN, without data, at SND.NXT: CLOSE's move (RFC 9293 section 3.10.4), its ACK field
    (3.10.7.4, fifth check) and the receiver's move (the eighth check), as ``segment._fin`` makes them."""
    ack, state = p.ack, s.state
    if p.length or s.fin is not None or s.missed.holes or state not in _FIN_SENT:
        return None  # data with it, its FIN again, or a gap the FIN may fill
    if state is _CLOSE_WAIT and r.fin is not None and ack <= r.fin:
        return None  # the two FINs crossed (a simultaneous close, RFC 9293 Figure 13)
    s.probing = None
    seq = p.seq
    s.nxt, s.fin, s.state = plus(seq, 1), seq, _FIN_SENT[state]
    r.zero_seen = False
    previous = s.last_pure_ack
    if previous is None or previous[0] != ack:
        s.dup_acks = 0
    record_ack(s, ack, window)
    moved = _ack_moves(ack, r)
    _receive_fin(r)
    fin = _tuple_new(Sentence, (_SAYS_FIN, (seq, s.isn)))
    return _FIN, _tuple_new(Sentence, (_SAYS_PHRASES, ((fin,) if moved is None else (fin, moved),))), None
