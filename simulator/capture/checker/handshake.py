"""SYN and SYN,ACK (RFC 9293 sections 3.5 and 3.10.7.2-3)."""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import NamedTuple

from ...model.segment import ACK_BIT, ECE_BIT, Options
from ...model.seq import SeqNum
from ..connections import Packet
from ..labels import Label
from .observer import _CONTROL, _ECN, _HANDSHAKING, MAX_SCALE, S, _Observer, _rel, window_shift
from .sentences import Sentence, Why, say


class SynKind(StrEnum):
    """What a SYN (without ACK) is, to the side that sent it and the capture."""

    FIRST = "first"  # it opens the connection (with data: TCP Fast Open)
    CROSSED = "crossed"  # from a side taken to have the peer's SYN, which had not reached it: a simultaneous open
    RESENT = "resent"  # the same ISN again: no SYN,ACK came back in time
    UNANSWERED = "unanswered"  # the same ISN again after a SYN,ACK the capture saw: that had not reached it
    COPY = "copy"  # the same ISN again after its sender acknowledged the SYN,ACK: a copy, not a resend


class SynAckKind(StrEnum):
    """What a SYN,ACK is."""

    FIRST = "first"  # it accepts the connection
    ANOTHER_ANSWER = "another answer"  # another ISN, answering another sending of the SYN (see _other_syn_ack)
    SIMULTANEOUS = "simultaneous"  # its SYN again, now acknowledging the peer's: a simultaneous open
    RESENT = "resent"  # the same again: the ACK that completes the handshake did not come in time
    UNANSWERED = "unanswered"  # the same again after an ACK of it the capture saw: that had not reached it
    LEFTOVER = "leftover"  # the same again after its sender acknowledged the peer's data: a leftover resend


class _Isn(NamedTuple):
    """What the capture knew of the sender's ISN before this SYN or SYN,ACK."""

    again: bool  # the same ISN as before (or a little below one inferred: ``missed``)
    missed: bool  # the capture missed its first SYN: its ISN was inferred from its next segment, a little above
    fresh: bool  # its first segment in the capture
    unseen_first: bool  # the same ISN again, but never seen on a SYN: the capture missed the first sending


def _handshake(p: Packet, s: _Observer, r: _Observer) -> tuple[list[str], Sentence, str | None]:
    """SYN and SYN,ACK (RFC 9293 sections 3.5 and 3.10.7.2-3): what kind it is, then that kind's moves."""
    labels: list[str] = [Label.HANDSHAKE]
    isn = _isn_before(p, s)
    departure: str | None = None
    if s.isn is not None and p.seq != s.isn and s.state.synchronized and not isn.missed:
        other = _other_syn_ack(p, s, r) if p.flags & ACK_BIT else None
        if other is not None:  # SynAckKind.ANOTHER_ANSWER
            return labels, other, None  # (both sides stay as they were: the connection goes on with the first)
        departure = say(Why.NEW_ISN, int(p.seq), int(s.isn))
    options = _learn(p, s, isn)
    if isn.again:
        labels.append(Label.RETRANSMISSION)
    if not p.flags & ACK_BIT:
        return labels, _syn(p, s, r, isn), departure
    text, departure = _syn_ack(p, s, r, isn, labels, departure, options.wscale)
    return labels, text, departure


def _isn_before(p: Packet, s: _Observer) -> _Isn:
    # Its SYN (or SYN,ACK) sent again after the capture missed the first: its ISN, inferred from its first
    # segment seen, was a little above this one.
    missed = not s.isn_seen and s.isn is not None and 0 < s.isn.since(p.seq) <= _MISSED_SYN_SPAN
    again = (s.isn is not None and p.seq == s.isn) or missed
    # The same ISN again, but the capture never saw it on a SYN or SYN,ACK: it missed the first one, whose ISN the
    # peer's ACK of it showed (ack - 1, see _unseen_handshake), or this side's next segment (see missed).
    return _Isn(again, missed, s.isn is None, again and not s.isn_seen)


def _learn(p: Packet, s: _Observer, isn: _Isn) -> Options:
    """What a SYN tells of its sender: its ISN and SND.NXT, its MSS, window and window scale (RFC 7323); its
    options (read from the header once: each ``p.options`` reads them again)."""
    s.isn, s.isn_seen = p.seq, True
    s.syn_data = max(s.syn_data, p.length) if isn.again else p.length  # a resent Fast Open SYN may leave it out
    end = p.seq + 1 + p.length  # the SYN's one sequence number, then any data it carries (TCP Fast Open)
    if s.nxt is None or end > s.nxt:
        s.nxt = end
    options = p.options
    if options.mss is not None:
        s.mss = options.mss
    s.offered_scale = window_shift(options.wscale)
    s.options_cut = p.options_cut
    s.window = p.window
    return options


def _syn_kind(s: _Observer, r: _Observer, isn: _Isn) -> SynKind:
    if isn.again:
        if s.state.synchronized and s.acked is None:
            return SynKind.UNANSWERED
        return SynKind.COPY if s.acked is not None else SynKind.RESENT
    if s.state is S.SYN_RECEIVED and r.state is S.SYN_SENT:
        return SynKind.CROSSED
    return SynKind.FIRST


def _syn(p: Packet, s: _Observer, r: _Observer, isn: _Isn) -> Sentence:
    """A SYN: its kind, both sides' moves (RFC 9293 section 3.10.7.2-3, Figure 8 for a simultaneous open)."""
    s.syns = s.syns + 1 if isn.again else 1
    kind = _syn_kind(s, r, isn)
    if (s.state in (S.CLOSED, S.LISTEN) and kind is not SynKind.COPY) or kind in (SynKind.CROSSED, SynKind.UNANSWERED):
        s.state = S.SYN_SENT
    if r.state is S.LISTEN or (r.state is S.CLOSED and r.listens):
        r.state = S.SYN_RECEIVED
    elif r.state is S.SYN_SENT:
        r.state = S.SYN_RECEIVED  # simultaneous open, RFC 9293 Figure 8
    phrases = _SYN_SAYS[kind](p, s)
    if isn.missed and kind in _AGAIN:
        phrases.append(_MISSED_FIRST)
    if p.flags & _ECN == _ECN:
        phrases.append(Sentence(Why.ECN_ASKED, ()))
    if s.options_cut:
        phrases.append(_OPTIONS_CUT)
    return Sentence(Why.PHRASES, (tuple(phrases),))


def _opens(p: Packet, s: _Observer) -> list[Sentence]:
    if not p.length:
        return [Sentence(Why.SYN, (int(p.seq),))]
    return [Sentence(Why.SYN_WITH_DATA, (int(p.seq), p.length))]


_AGAIN = frozenset({SynKind.RESENT, SynKind.UNANSWERED, SynKind.COPY})
_SYN_SAYS: dict[SynKind, Callable[[Packet, _Observer], list[Sentence]]] = {
    SynKind.FIRST: _opens,
    SynKind.CROSSED: lambda p, s: [*_opens(p, s), Sentence(Why.CROSSED_SYN, ())],
    SynKind.RESENT: lambda p, s: [Sentence(Why.SYN_RESENT, ())],
    SynKind.UNANSWERED: lambda p, s: [Sentence(Why.SYN_UNANSWERED, ())],
    SynKind.COPY: lambda p, s: [Sentence(Why.SYN_COPY, (s.state,))],
}


def _syn_ack_kind(p: Packet, s: _Observer, isn: _Isn) -> SynAckKind:
    if not isn.again:
        return SynAckKind.FIRST
    first = s.acked is None  # after a SYN of its own: a simultaneous open
    if first and not isn.unseen_first:
        return SynAckKind.SIMULTANEOUS
    # The same SYN,ACK again, but it has acknowledged the peer's data since: it had the ACK that completes the
    # handshake.  (With a new ISN it is a new connection's: its numbers replace the old ones.)
    if s.acked is not None and s.acked > p.ack:
        return SynAckKind.LEFTOVER
    # Its SYN,ACK again after an ACK of it, with nothing sent since: that ACK had not reached it.
    if s.state is S.ESTABLISHED and s.nxt == p.seq + 1:
        return SynAckKind.UNANSWERED
    return SynAckKind.RESENT


def _syn_ack(
    p: Packet, s: _Observer, r: _Observer, isn: _Isn, labels: list[str], departure: str | None, wscale: int | None
) -> tuple[Sentence, str | None]:
    """A SYN,ACK: its kind, both sides' moves (RFC 9293 section 3.10.7.3), and what the capture missed."""
    kind = _syn_ack_kind(p, s, isn)
    # A capture begun mid-connection counted the peer's numbers from its first segment seen: this ack shows the
    # ISN of the SYN it answers, a little below that (the same correction as for a SYN resent, see missed).
    renumbered = not r.isn_seen and r.isn is not None and 0 <= r.isn.since(p.ack) <= _MISSED_SYN_SPAN
    if renumbered:
        r.isn = p.ack - 1
    # Its first segment, where both sides were taken to be ESTABLISHED (a capture begun mid-connection), is a
    # SYN,ACK: it is still in SYN-RECEIVED, the ACK that completes the handshake has not reached it.
    midstream = isn.fresh and s.state is S.ESTABLISHED
    unseen = _syn_data_not_captured(p.ack, r)
    if unseen:
        _syn_data_unseen(p, r, labels)
    if r.isn is not None and not _acks_syn(p.ack, r):
        departure = departure or say(Why.SYN_ACK_WRONG_ACK, int(p.ack), int(r.isn), _syn_needs(r))
    _agree_on_scale(s, r)
    _syn_ack_moves(p, s, r, kind, midstream)
    phrases = [_SYN_ACK_SAYS[kind](p, s, r)]
    if kind in _SYN_ACK_AGAIN and (isn.missed or isn.unseen_first):
        phrases.append(_MISSED_FIRST if isn.missed else _ACKED_FIRST)
    if renumbered:
        phrases.append(Sentence(Why.RENUMBERED, (int(p.ack),)))
    if midstream:
        phrases.append(Sentence(Why.STILL_SYN_RECEIVED, ()))
    if unseen:
        phrases.append(Sentence(Why.SYN_DATA_UNSEEN, (_rel(p.ack, r.isn), r.syn_data)))
    phrases += _scale_and_ecn(p, s, r, wscale)
    if s.options_cut:
        phrases.append(_OPTIONS_CUT)
    return Sentence(Why.PHRASES, (tuple(phrases),)), departure


def _syn_ack_moves(p: Packet, s: _Observer, r: _Observer, kind: SynAckKind, midstream: bool) -> None:
    """Its sender to SYN-RECEIVED (RFC 9293 section 3.10.7.2), the SYN's sender to ESTABLISHED when it is
    acknowledged (3.10.7.3); a leftover resend moves neither, nor records its ack."""
    leftover = kind is SynAckKind.LEFTOVER
    if (s.state in (S.LISTEN, S.CLOSED, S.SYN_SENT) and not leftover) or kind is SynAckKind.UNANSWERED or midstream:
        s.state = S.SYN_RECEIVED  # (a leftover resend that comes after the connection has closed leaves it closed)
    if r.state in _HANDSHAKING and _acks_syn(p.ack, r):
        r.state = S.ESTABLISHED
    if not leftover:
        s.acked = p.ack
        s.right_edge = p.ack + p.window
        s.last_numbers = (p.ack, p.window)


def _syn_data_unseen(p: Packet, r: _Observer, labels: list[str]) -> None:
    """The SYN's data, acknowledged here, rode on a sending of the SYN the capture never saw (RFC 7413)."""
    assert r.isn is not None
    r.syn_data = p.ack.since(r.isn) - 1
    if r.nxt is None or p.ack > r.nxt:  # (else its sender was seen past those bytes already)
        r.missed.unseen_acked = p.ack
        labels.append(Label.ACK_LOST_SEGMENT)


def _agree_on_scale(s: _Observer, r: _Observer) -> None:
    """RFC 7323 section 2.2: window scaling is on only when both SYNs carry the option."""
    if s.options_cut or r.options_cut:
        s.scale = r.scale = None  # whether both SYNs offered a scale is not in the capture: windows stay unscaled
    elif r.offered_scale is not None and s.offered_scale is not None:
        s.scale, r.scale = s.offered_scale, r.offered_scale
    elif r.isn_seen:  # (a SYN the capture missed may have offered a scale)
        s.scale = r.scale = 0


def _accepts(p: Packet, s: _Observer, r: _Observer) -> Sentence:
    """The first SYN,ACK: it accepts the connection (and a Fast Open SYN's data, or not: RFC 7413)."""
    if r.syn_data and r.isn is not None and p.ack.since(r.isn) in (1, 1 + r.syn_data):
        why = Why.SYN_ACK_TAKES_DATA if p.ack.since(r.isn) > 1 else Why.SYN_ACK_LEAVES_DATA
        return Sentence(why, (r.syn_data, int(p.seq)))
    return Sentence(Why.SYN_ACK, (int(p.seq),))


_SYN_ACK_AGAIN = frozenset({SynAckKind.RESENT, SynAckKind.UNANSWERED, SynAckKind.LEFTOVER})
_SYN_ACK_SAYS: dict[SynAckKind, Callable[[Packet, _Observer, _Observer], Sentence]] = {
    SynAckKind.FIRST: _accepts,
    SynAckKind.SIMULTANEOUS: lambda p, s, r: Sentence(Why.SIMULTANEOUS_SYN_ACK, (int(p.seq),)),
    SynAckKind.RESENT: lambda p, s, r: Sentence(Why.SYN_ACK_RESENT, ()),
    SynAckKind.UNANSWERED: lambda p, s, r: Sentence(Why.SYN_ACK_UNANSWERED, ()),
    SynAckKind.LEFTOVER: lambda p, s, r: Sentence(
        Why.SYN_ACK_LEFTOVER, (_rel(s.acked, r.isn) if s.acked is not None else 0,)
    ),
}


def _scale_and_ecn(p: Packet, s: _Observer, r: _Observer, wscale: int | None) -> list[Sentence]:
    """What a SYN,ACK settles: window scaling (RFC 7323) and ECN (RFC 3168 section 6.1.1)."""
    said = [Sentence(Why.SCALING_ON, (s.scale, r.scale))] if s.scale is not None and (s.scale or r.scale) else []
    if wscale is not None and wscale > MAX_SCALE:
        said.append(Sentence(Why.SCALE_TOO_LARGE, (wscale,)))
    if p.flags & _ECN == ECE_BIT:
        said.append(Sentence(Why.ECN_AGREED, ()))
    return said


_OPTIONS_CUT = Sentence(Why.OPTIONS_CUT, ())
_MISSED_SYN_SPAN = 1 << 16  # how far below an inferred ISN a resent SYN may be (the SYN's data, at most)
_MISSED_FIRST = Sentence(Why.MISSED_FIRST, ())
_ACKED_FIRST = Sentence(Why.ACKED_FIRST, ())


def _other_syn_ack(p: Packet, s: _Observer, r: _Observer) -> Sentence | None:
    """Why a SYN,ACK with another ISN, from a side the connection has synchronized, is no departure, or "".  It
    answered another sending of the SYN, apart from the connection the capture follows: it was sent before the
    side's latest segment seen (its timestamp is older, RFC 7323 section 4.3) and came late; or the SYN it
    acknowledges was sent more than once, and each sending may have had its own answer (one with a SYN cookie,
    which keeps no state, RFC 4987 section 3.6), come late or sent after the side had dropped the other.  A side
    that holds the connection answers a SYN with an ACK (RFC 5961 section 4), never with a new ISN."""
    latest = s.latest
    assert s.isn is not None
    stamp = p.options.timestamps
    before = latest.options.timestamps if latest is not None else None
    if stamp is not None and before is not None and SeqNum(stamp[0]) < before[0]:
        return Sentence(Why.LATE_SYN_ACK, (int(p.seq), stamp[0], before[0], int(s.isn)))
    if r.syns > 1 and _acks_syn(p.ack, r):
        return Sentence(Why.SYN_ACK_TO_ANOTHER_SENDING, (int(p.seq), r.syns, int(s.isn)))
    return None


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
        and r.ahead.went_on == ack
    )


def _syn_needs(r: _Observer) -> str:
    """The acks that acknowledge ``r``'s SYN, in words."""
    assert r.isn is not None
    first = int(r.isn + 1)
    return say(Why.SYN_NEEDS, first, int(r.isn + 1 + r.syn_data) if r.syn_data else None)


def _unseen_handshake(p: Packet, s: _Observer, r: _Observer) -> Sentence | None:
    """What an ACK from a side still in the handshake shows it has received, where the capture missed it
    (it holds one direction only, say): the sentence that says so, or None."""
    if s.state is S.SYN_SENT:
        s.state = S.ESTABLISHED  # it has the SYN,ACK: the last one seen, or one the capture never saw
        if r.isn is not None:
            return None if r.isn_seen else Sentence(Why.UNSEEN_SYN_ACK_HELD, ())
        r.isn, r.nxt, r.state = p.ack - 1, p.ack, S.SYN_RECEIVED
        return Sentence(Why.UNSEEN_SYN_ACK, (int(r.isn),))
    if r.isn is not None and p.ack.since(r.isn) > 1 + r.syn_data:  # SYN-RECEIVED, and the peer's data acknowledged
        s.state = S.ESTABLISHED
        return Sentence(Why.HANDSHAKE_END_UNSEEN, ())
    return None


_RESET_ANSWERS = 8  # RSTs without ACK remembered per side in the look-ahead (see _answered_by_reset)


def _answered_by_reset(p: Packet, r: _Observer) -> bool:
    """An ACK to a SYN from a side that holds an older connection on these ports: it does not acknowledge the
    SYN, and the SYN's sender answers it with <SEQ=SEG.ACK><CTL=RST> (RFC 9293 section 3.10.7.3), which the
    look-ahead shows.  A challenge ACK (RFC 9293 section 3.10.7.4, RFC 5961 section 4), or the ACK of a
    half-open connection (RFC 9293 Figure 11): its numbers are the older connection's."""
    return (
        r.state is S.SYN_SENT
        and r.isn is not None
        and p.ack in r.ahead.reset_answers
        and not _acks_syn(p.ack, r)
        and _opens_later(r)  # (else acknowledge.py's half-open branch says so: the SYN's sender goes no further)
    )


def _older_connections_ack(p: Packet, s: _Observer, r: _Observer) -> tuple[list[str], Sentence, None]:
    """The ACK ``_answered_by_reset`` finds: nothing of this connection moves but its sender's state."""
    if s.state is S.SYN_RECEIVED:
        s.state = S.ESTABLISHED  # it answered the SYN from the older, synchronized connection it holds
    sentence = Sentence(Why.OLDER_CONNECTIONS_ACK, (int(p.ack), _syn_needs(r)))
    pure = not p.length and not p.flags & _CONTROL
    return [Label.ACK_NEVER_SENT, Label.PURE_ACK] if pure else [Label.ACK_NEVER_SENT], sentence, None


def _opens_later(r: _Observer) -> bool:
    """The look-ahead shows ``r`` (in SYN-SENT) sending past its SYN: it got a SYN,ACK the capture missed."""
    return r.isn is not None and r.ahead.nxt is not None and r.ahead.nxt > r.isn + 1 + r.syn_data
