"""RST (RFC 9293 section 3.10.7, RFC 5961 section 3)."""

from __future__ import annotations

from ...model.segment import ACK_BIT
from ..connections import Packet
from ..labels import Label
from .acknowledge import _short_of
from .handshake import _acks_syn
from .observer import S, _gap, _Observer, _rel
from .sentences import Sentence, Why, say

# A side taken to answer a SYN copy, or closed, or in TIME-WAIT (which ends after 2 MSL, or when a new SYN reuses
# the ports): its <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK> shows it holds no connection any more.
_NO_CONNECTION = frozenset({S.CLOSED, S.LISTEN, S.SYN_RECEIVED, S.TIME_WAIT})


def _reset(p: Packet, s: _Observer, r: _Observer) -> tuple[list[str], Sentence, str | None]:
    """RST, RFC 9293 section 3.10.7 (and RFC 5961 section 3 for the window test): is it acceptable, and if
    not, which correct answer is it that the receiver ignores, as it should."""
    if r.state is S.SYN_SENT:
        ok, where, unseen = _in_syn_sent(p, r)
        if unseen is not None:
            return _resets([Label.RST, Label.ACK_LOST_SEGMENT], [unseen], p, s, r)
    elif r.acked is None:
        ok, where = True, _NO_WINDOW
    else:
        ok, where, unseen = _in_window(p, s, r)
        if unseen is not None:
            return _resets([Label.RST, Label.LOST_SEGMENT], [unseen], p, s, r)
    labels: list[str] = [Label.RST, Label.RST_IN_WINDOW if ok else Label.RST_OUTSIDE_WINDOW]
    if ok:
        return _resets(labels, [where, *_without_connection(p, s, r)], p, s, r)
    ignored = _closed_sides_answer(p, s, r) or _older_answer(p, s, r) or _abort(p, s, r)
    if ignored is not None:
        return labels, ignored, None
    if s.isn is None:
        s.isn = p.seq
    return labels, Sentence(Why.RST_IGNORED, (where,)), say(Why.RST_OUTSIDE)


_NO_WINDOW = Sentence(Why.RST_NO_WINDOW, ())
_REFUSED, _NOT_FOR_THE_SYN = Sentence(Why.RST_REFUSED, ()), Sentence(Why.RST_NOT_FOR_THE_SYN, ())
_IN_WINDOW, _OUTSIDE_WINDOW = Sentence(Why.RST_IN_WINDOW, ()), Sentence(Why.RST_OUTSIDE_WINDOW, ())


def _in_syn_sent(p: Packet, r: _Observer) -> tuple[bool, Sentence, Sentence | None]:
    """RFC 9293 section 3.10.7.3: in SYN-SENT a RST counts only if it acknowledges the SYN.  Whether it is
    accepted, why, and (when its ack shows the capture missed the handshake's end) what the capture missed."""
    ok = bool(p.flags & ACK_BIT) and _acks_syn(p.ack, r)
    where = _REFUSED if ok else _NOT_FOR_THE_SYN
    # Its ack is past the SYN, and the capture shows nothing later of the SYN's sender to say it never got
    # that far (as for any ACK, see _acknowledgement): the capture missed the handshake's end and what came after.
    if not ok and p.flags & ACK_BIT and r.nxt is not None and p.ack > r.nxt and _short_of(p.ack, r, p) is None:
        return True, where, Sentence(Why.RST_PAST_HANDSHAKE, (_rel(p.ack, r.isn),))
    return ok, where, None


def _in_window(p: Packet, s: _Observer, r: _Observer) -> tuple[bool, Sentence, Sentence | None]:
    """RFC 9293 section 3.10.7.4, first check: a RST is valid when its seq is in the receive window.  Where
    the window scale is unknown (a capture begun mid-connection, a SYN's options cut), it may be up to 14."""
    assert r.acked is not None
    window = r.window << 14 if r.scale is None and r.state.synchronized else r.window
    ok = p.seq.in_window(r.acked, max(window, 1))
    where = _IN_WINDOW if ok else _OUTSIDE_WINDOW
    # Past what its sender was seen to send, and past the window (not below it), as data after a capture gap
    # is, unless its sender is seen later at its SND.NXT, short of this seq (as for an ACK of data never sent).
    if not ok and s.nxt is not None and p.seq > s.nxt and p.seq > r.acked and _short_of(p.seq, s, p) is None:
        return ok, where, Sentence(Why.RST_PAST_GAP, (_rel(p.seq, s.isn), _rel(s.nxt, s.isn)))
    return ok, where, None


def _without_connection(p: Packet, s: _Observer, r: _Observer) -> list[Sentence]:
    """RFC 9293 section 3.10.7.1: a side with no connection answers a segment with <SEQ=SEG.ACK><CTL=RST>."""
    if p.flags & ACK_BIT or r.acked is None or p.seq != r.acked or s.state is S.SYN_SENT:
        return []
    return [Sentence(Why.RST_OLD_DUPLICATE_SYN if r.state is S.SYN_RECEIVED else Why.RST_FROM_NO_CONNECTION, ())]


def _closed_sides_answer(p: Packet, s: _Observer, r: _Observer) -> Sentence | None:
    """A RST outside the window that is a closed side's answer to a segment the peer sent before it
    acknowledged more (RFC 9293 section 3.10.7.1): its sentence, or None."""
    # An ack the peer has sent: from this side's ISN, or from the first ack the peer was seen to send where that is
    # lower (a capture begun mid-connection counts this side from its first seq seen, which this RST may be).
    low = s.isn
    if r.acked_from is not None and (low is None or r.acked_from < low):
        low = r.acked_from
    old = r.acked is not None and low is not None and low <= p.seq <= r.acked
    if p.flags & ACK_BIT or not old:
        return None
    if s.isn is None:
        s.isn = p.seq  # its numbers count from its first segment seen
    # Its sender has closed, and answers a segment of the peer's (a resend that crossed the close, data that
    # came after it, an ACK of a connection it no longer has) with <SEQ=SEG.ACK><CTL=RST>; the peer has
    # acknowledged more since it sent that segment, so it ignores the RST.  A side with a connection would
    # answer with an ACK (RFC 9293 section 3.5.2), or abort at SND.NXT, not below what the peer acknowledged:
    # if it is not seen to close, the capture missed that.
    unseen = not (s.state is S.CLOSED or s.fin is not None)
    s.state = S.CLOSED
    return Sentence(Why.RST_CLOSED_SIDE, (_rel(p.seq, s.isn), unseen))


def _older_answer(p: Packet, s: _Observer, r: _Observer) -> Sentence | None:
    """A RST outside the window that answers a segment of an older connection on these ports: below its
    sender's ISN, or a closed port's answer to a copy of the peer's SYN; its sentence, or None."""
    if not p.flags & ACK_BIT and s.isn_seen and s.isn is not None and p.seq < s.isn:
        # Below its sender's ISN: the segment it answers acknowledged bytes of an older connection on these
        # ports (a late copy); no ack of this connection is below the ISN.
        return Sentence(Why.RST_OLDER_CONNECTION, (_rel(p.seq, s.isn),))
    if p.flags & ACK_BIT and int(p.seq) == 0 and _acks_syn(p.ack, r) and s.state in _NO_CONNECTION:
        # RFC 9293 section 3.10.7.1: where nothing listens, a SYN is answered with <SEQ=0><ACK=SEG.SEQ+SEG.LEN>
        # <CTL=RST,ACK>.  This SYN was a copy of the peer's first (duplicated or held up on the way), and its
        # connection has gone, and the listener with it; the peer is past SYN-SENT, so the RST misses its window.
        s.state, s.listens = S.CLOSED, False
        return Sentence(Why.RST_NOTHING_LISTENS, ())
    return None


def _abort(p: Packet, s: _Observer, r: _Observer) -> Sentence | None:
    """RFC 9293 section 3.10.5: ABORT sends <SEQ=SND.NXT><CTL=RST>.  Outside the window only when the
    sender's data has filled it: SND.NXT is then the window's right edge, just past it.  Its sentence, or None."""
    if r.state is S.SYN_SENT or p.seq != s.nxt:
        return None
    s.state = S.CLOSED
    return Sentence(Why.RST_ABORT_PAST_WINDOW, (_rel(p.seq, s.isn),))


def _resets(
    labels: list[str], where: list[Sentence], p: Packet, s: _Observer, r: _Observer
) -> tuple[list[str], Sentence, None]:
    """A RST the receiver accepts: both sides' moves, and the sentence."""
    if p.flags & ACK_BIT and s.state.synchronized and s.nxt is not None and p.seq > s.nxt:
        # An ABORT's RST is at SND.NXT (RFC 9293 section 3.10.5): what its sender sent before it is still to
        # come (held up on the way) or was not captured; a segment that comes later fills that gap.
        _gap(s, s.nxt, p.seq)
        if Label.LOST_SEGMENT not in labels:  # (that label's sentence has said so)
            where.append(Sentence(Why.RST_BEFORE_UNSEEN, (_rel(p.seq, s.isn), _rel(s.nxt, s.isn))))
    # A RST from SYN-SENT or LISTEN answers an unacceptable segment and leaves its sender as it was
    # (RFC 9293 section 3.10.7.2-3); from any other state its sender has aborted.
    if s.state not in (S.SYN_SENT, S.LISTEN):
        s.state = S.CLOSED
    # RFC 9293 section 3.10.7.4, first check: a connection that came from a passive OPEN returns to LISTEN.
    r.state = S.LISTEN if r.state is S.SYN_RECEIVED and r.listens else S.CLOSED
    if s.isn is None:
        s.isn = p.seq
    return labels, Sentence(Why.RST_RESETS, (tuple(where),)), None
