"""One packet's labels, sentence and departure: the rules in RFC 9293 section 3.10.7.4's order."""

from __future__ import annotations

from typing import NamedTuple

from ...model.segment import ACK_BIT, CWR_BIT, ECE_BIT, FIN_BIT, RST_BIT, SYN_BIT, URG_BIT
from ...model.seq import SeqNum
from ..connections import Packet
from ..labels import Label
from .acknowledge import _acknowledgement
from .fin import _FIN_SENT, _FIN_UNACKED, _receive_fin
from .handshake import _answered_by_reset, _handshake, _older_connections_ack, _unseen_handshake
from .observer import _HANDSHAKING, _SIGNALS, S, _gap, _Observer, _rel
from .reset import _reset
from .sentences import Sentence, Why, say


class _Said:
    """What the rules have found so far of one packet: its labels, its sentences and its departure."""

    __slots__ = ("departure", "labels", "sentences")

    def __init__(self) -> None:
        self.labels: list[str] = []
        self.sentences: list[Sentence] = []
        self.departure: str | None = None

    def add(self, label: str, sentence: Sentence) -> None:
        self.labels.append(label)
        self.sentences.append(sentence)


_tuple_new = tuple.__new__
# Labels looked at for most packets, read once here (reading an enum's member costs a descriptor call)
_DATA, _FIN, _GAP, _PROBE = Label.DATA, Label.FIN, Label.LOST_SEGMENT, Label.ZERO_WINDOW_PROBE


class _Span(NamedTuple):
    """The sequence numbers a segment takes, and where its sender was."""

    length: int
    fin: int  # 1 with FIN
    data_end: SeqNum
    end: SeqNum  # past the FIN too
    nxt: SeqNum  # its sender's SND.NXT as seen before it
    base: SeqNum | None  # its sender's ISN


def _classify(p: Packet, s: _Observer, r: _Observer) -> tuple[list[str], Sentence, str | None]:
    """Labels, explanation and departure of one packet; moves both observers on.  The steps of RFC 9293
    section 3.10.7 in order: RST, SYN, then the sequence number, the FIN, the ACK field, the other signals."""
    flags = p.flags
    s.probing = None  # as in Wireshark: the peer's ACK answers a probe only if its sender sent nothing else since
    if flags & RST_BIT:
        return _reset(p, s, r)
    if flags & SYN_BIT:
        return _handshake(p, s, r)
    if flags & ACK_BIT and _answered_by_reset(p, r):  # an older connection's ACK: its numbers are not this one's
        return _older_connections_ack(p, s, r)
    if s.isn is None:  # its first packet in a capture that started mid-connection
        s.isn = p.seq
        s.nxt = p.seq
    said = _Said()
    if flags & ACK_BIT and s.state in _HANDSHAKING:
        unseen = _unseen_handshake(p, s, r)
        if unseen is not None:
            said.sentences.append(unseen)
    span = _span(p, s)
    _sequence(p, s, r, span, said)
    if span.fin:
        _fin(p, s, r, span, said)
    _acknowledged(p, s, r, span, said)
    if flags & _SIGNALS:
        said.sentences += _signals(p, span.base)
    if span.fin:
        _receive_fin(r)
    return said.labels, Sentence(Why.PHRASES, (tuple(said.sentences),)), said.departure


def _span(p: Packet, s: _Observer) -> _Span:
    length = p.length
    fin = 1 if p.flags & FIN_BIT else 0
    data_end = p.seq + length if length else p.seq
    end = data_end + fin if fin else data_end
    span = (length, fin, data_end, end, s.nxt if s.nxt is not None else p.seq, s.isn)
    return _tuple_new(_Span, span)  # _Span(*span) without its __new__


def _sequence(p: Packet, s: _Observer, r: _Observer, span: _Span, said: _Said) -> None:
    """What the segment carries (RFC 9293 section 3.10.7.4, first check: sequence numbers)."""
    if _probe(p, s, r, span, said):
        return
    if span.length or span.fin:
        _carried(p, s, r, span, said)
    elif p.seq > span.nxt:  # no data, but past SND.NXT: the segments before it were not captured
        _not_captured(p.seq, span.nxt, s, r, said)
        s.nxt = p.seq


def _probe(p: Packet, s: _Observer, r: _Observer, span: _Span, said: _Said) -> bool:
    """A keep-alive (RFC 1122 section 4.2.3.6) or Linux's zero-window probe: no data or one byte, one below
    SND.NXT (as the peer's ACKs show it, past what was seen sent when the capture missed segments)."""
    top = span.nxt
    if s.missed.unseen_acked is not None and s.missed.unseen_acked > top:
        top = s.missed.unseen_acked
    # A probe carries the ack of now: one below an ack its sender has sent already is an old segment, come late.
    below = (
        span.length <= 1
        and not span.fin
        and p.seq == top - 1
        and (r.acked is None or r.acked == top)
        and (s.acked is None or p.ack >= s.acked)
    )
    if not below:
        return False
    seq = _rel(p.seq, span.base)
    if r.acked is None or (r.window != 0 and not r.zero_seen):
        # with no window of the peer's seen, as Wireshark says: no probe to tell
        why = Why.KEEP_ALIVE_OR_PROBE if r.acked is None else Why.KEEP_ALIVE
        said.add(Label.KEEP_ALIVE, Sentence(why, (seq,)))
        s.probing = Label.KEEP_ALIVE
        return True
    said.add(Label.ZERO_WINDOW_PROBE, Sentence(Why.LINUX_ZERO_WINDOW_PROBE, (seq, bool(r.window))))
    s.probing = Label.ZERO_WINDOW_PROBE
    return True


def _carried(p: Packet, s: _Observer, r: _Observer, span: _Span, said: _Said) -> None:
    """Data or a FIN: a probe into a zero window, a gap filled, a resend, or new (RFC 9293 section 3.10.7.4)."""
    length, fin, end, nxt, base = span.length, span.fin, span.end, span.nxt, span.base
    in_hole = next((h for h in s.missed.holes if h[0] <= p.seq and end <= h[1]), None)
    if r.window == 0 and p.seq == nxt and length == 1 and not fin:  # a probe is one byte (Wireshark's rule too)
        said.add(Label.ZERO_WINDOW_PROBE, Sentence(Why.ZERO_WINDOW_PROBE, (_rel(p.seq, base),)))
    elif in_hole is not None:
        _fills(p, s, r, span, in_hole, said)
    elif end <= nxt:
        _resent(p, s, r, span, said)
    elif p.seq < nxt:
        said.add(Label.RETRANSMISSION, Sentence(Why.RESENT_WITH_NEW_DATA, (_rel(p.seq, base), _rel(nxt, base))))
    else:
        _new(p, s, r, span, said)
    if s.fin is not None and length and span.data_end > s.fin:
        _after_fin(p, s, span, said)
    elif length and _PROBE not in said.labels:
        _past_window(p, s, r, span, said)
    if end > nxt and _PROBE not in said.labels:
        s.nxt = end
        r.zero_seen = False


def _fills(p: Packet, s: _Observer, r: _Observer, span: _Span, hole: tuple[SeqNum, SeqNum], said: _Said) -> None:
    """It fills (part of) a gap the capture left: out of order, or resent because the peer asked for it."""
    end, base = span.end, span.base
    s.missed.holes.remove(hole)
    if hole[0] != p.seq:
        s.missed.holes.append((hole[0], p.seq))
    if hole[1] != end:
        s.missed.holes.append((end, hole[1]))
    if _asked_again(p, r):
        _fast_retransmission(p, r, base, said, unseen=True)
    else:
        said.add(Label.OUT_OF_ORDER, Sentence(Why.OUT_OF_ORDER, (_rel(p.seq, base), _rel(end, base))))


def _resent(p: Packet, s: _Observer, r: _Observer, span: _Span, said: _Said) -> None:
    """Every number it takes was sent before: which kind of resend (RFC 6298, RFC 5681, RFC 7413)."""
    end, base = span.end, span.base
    if r.acked is not None and end <= r.acked:
        resent = (_rel(p.seq, base), _rel(end, base), _rel(r.acked, base))
        said.add(Label.SPURIOUS_RETRANSMISSION, Sentence(Why.SPURIOUS_RETRANSMISSION, resent))
    elif _asked_again(p, r):
        _fast_retransmission(p, r, base, said)
    elif s.syn_data and s.isn is not None and p.seq == s.isn + 1 and r.acked == p.seq:
        said.add(Label.RETRANSMISSION, Sentence(Why.SYN_DATA_AGAIN, (s.syn_data,)))
    else:
        said.add(Label.RETRANSMISSION, _why_resent(p, s, r, span))


_RTO_AT_LEAST = 0.2  # seconds: Linux's least retransmission timeout (TCP_RTO_MIN; RFC 6298 section 2.4 says 1 s)
_PROBE_AT_LEAST = 0.001  # seconds: a tail loss probe waits for its timer (RFC 8985 section 7.2: 2 SRTT)


def _why_resent(p: Packet, s: _Observer, r: _Observer, span: _Span) -> Sentence:
    """A resend no duplicate ACKs asked for, after a quiet time: the sender's congestion event the capture can
    see.  The oldest byte not acknowledged, at least an RTO after the connection's last packet: its
    retransmission timer fired (RFC 6298 section 5.4; RFC 5681 section 3.1, the loss window).  Its last
    segment, older bytes outstanding, nothing from the peer since it was sent: a tail loss probe (RFC 8985
    section 7).  Else (a resend right after an ACK, say) the capture cannot tell which."""
    base = span.base
    # (the peer may have acknowledged its first part)
    acked = _rel(r.acked, base) if r.acked is not None and p.seq < r.acked else None
    resent = (_rel(p.seq, base), _rel(span.end, base), acked)
    mine, theirs = s.latest, r.latest
    if mine is None or r.acked is None:
        return Sentence(Why.RETRANSMISSION, resent)
    quiet = p.time - (mine.time if theirs is None or mine.number > theirs.number else theirs.time)
    if p.seq == r.acked and quiet >= _RTO_AT_LEAST:
        return Sentence(Why.RTO, (*resent, quiet, span.end == span.nxt))  # (the only segment outstanding?)
    peer_silent = theirs is None or theirs.number < mine.number
    if peer_silent and quiet >= _PROBE_AT_LEAST and p.seq > r.acked and span.end == span.nxt and not r.dup_acks:
        return Sentence(Why.TAIL_LOSS_PROBE, resent)
    return Sentence(Why.RETRANSMISSION, resent)


def _new(p: Packet, s: _Observer, r: _Observer, span: _Span, said: _Said) -> None:
    """New data (or a FIN) at or past SND.NXT."""
    if p.seq > span.nxt:
        _not_captured(p.seq, span.nxt, s, r, said)
    if not span.length:
        return
    data_end, base = span.data_end, span.base
    # Its bytes acknowledged before it was seen (the capture missed their first sending): Wireshark's
    # spurious retransmission, a resend of acknowledged data, or a copy that came late.
    already = s.missed.unseen_acked is not None and s.missed.unseen_acked >= data_end
    why = Why.DATA_ACKED_ALREADY if already else Why.NEW_DATA
    said.add(Label.SPURIOUS_RETRANSMISSION if already else _DATA, Sentence(why, (p, base, data_end, r.mss)))


def _after_fin(p: Packet, s: _Observer, span: _Span, said: _Said) -> None:
    """Data past its sender's FIN: a departure (RFC 9293 section 3.10.4), or a new connection after a gap."""
    assert s.fin is not None
    if p.seq > span.nxt:
        said.sentences.append(Sentence(Why.AFTER_FIN_GAP, ()))
    else:
        said.departure = say(Why.DATA_AFTER_FIN, _rel(span.data_end, span.base), _rel(s.fin, span.base))


def _past_window(p: Packet, s: _Observer, r: _Observer, span: _Span, said: _Said) -> None:
    """Data beyond the last window seen: a departure (RFC 9293 section 3.8.6), unless the capture missed
    the receiver's window update."""
    data_end, base, edge = span.data_end, span.base, r.right_edge
    if edge is None or r.scale is None or not data_end > edge:
        return
    if (p.flags & ACK_BIT and r.nxt is not None and p.ack > r.nxt) or (
        r.ahead.ack is not None and r.ahead.ack >= data_end
    ):
        # the capture missed packets of the receiver (this segment acknowledges its unseen data,
        # or the receiver later acknowledges these bytes, which it would not take beyond its window)
        said.sentences.append(Sentence(Why.PAST_WINDOW_UPDATE_MISSED, (_rel(edge, base),)))
    elif s.missed.holes:  # a gap in this side's segments, not yet acknowledged: the capture is dropping packets
        said.sentences.append(Sentence(Why.PAST_WINDOW_DROPPING, (_rel(edge, base),)))
    else:
        said.departure = say(Why.PAST_WINDOW, _rel(data_end, base), _rel(edge, base))


def _fin(p: Packet, s: _Observer, r: _Observer, span: _Span, said: _Said) -> None:
    """The FIN: CLOSE's state move (RFC 9293 section 3.10.4), or the same FIN again."""
    data_end, base, flags = span.data_end, span.base, p.flags
    said.labels.append(_FIN)
    sent = s.acked  # the highest ack it has sent
    if s.fin == data_end and s.state in _FIN_UNACKED:  # its FIN again, after the capture saw an ACK of it
        if flags & ACK_BIT and sent is not None and p.ack < sent:
            # Its ack is below one it has sent already: this resend was made before that ACK, and crossed it.
            crossed_ack = (_rel(data_end, base), _rel(p.ack, r.isn), _rel(sent, r.isn))
            said.sentences.append(Sentence(Why.FIN_AGAIN_CROSSED, crossed_ack))
        else:  # that ACK had not reached it
            s.state = _FIN_UNACKED[s.state]
            said.sentences.append(Sentence(Why.FIN_AGAIN, (_rel(data_end, base),)))
    else:
        said.sentences.append(Sentence(Why.FIN, (data_end, base)))
    s.fin = data_end
    # Its ack stops short of the peer's FIN, captured before it: the two FINs crossed, and this side
    # was not yet in CLOSE-WAIT when it sent its own (a simultaneous close, RFC 9293 Figure 13).
    crossed = s.state is S.CLOSE_WAIT and bool(flags & ACK_BIT) and r.fin is not None and p.ack <= r.fin
    if crossed:
        s.state = S.ESTABLISHED
        said.sentences.append(Sentence(Why.FINS_CROSSED, (_rel(p.ack, r.isn),)))
    s.state = _FIN_SENT.get(s.state, s.state)
    if crossed:
        _receive_fin(s)  # the peer's FIN arrives after this one left


def _acknowledged(p: Packet, s: _Observer, r: _Observer, span: _Span, said: _Said) -> None:
    """What it acknowledges (RFC 9293 section 3.10.7.4, fifth check: the ACK field)."""
    if not p.flags & ACK_BIT:
        said.departure = say(Why.NO_CONTROL)
        return
    after_gap = _GAP in said.labels
    labels, phrases, departure = _acknowledgement(
        p, span.length + span.fin, s, r, described=bool(said.labels), after_gap=after_gap
    )
    said.labels.extend(labels)
    said.sentences += phrases
    said.departure = said.departure or departure


def _asked_again(p: Packet, r: _Observer) -> bool:
    """The receiver's latest pure ACKs, two duplicates or more, ask for the bytes at this segment's seq."""
    return r.dup_acks >= 2 and r.last_pure_ack is not None and p.seq == r.last_pure_ack[0]


def _fast_retransmission(p: Packet, r: _Observer, base: SeqNum | None, said: _Said, *, unseen: bool = False) -> None:
    """A resend that duplicate ACKs asked for; after three, the sender's congestion response (RFC 5681 3.2)."""
    said.add(Label.FAST_RETRANSMISSION, Sentence(Why.FAST_RETRANSMISSION, (r.dup_acks, _rel(p.seq, base))))
    if unseen:
        said.sentences.append(Sentence(Why.FIRST_SENDING_UNSEEN, ()))
    if r.dup_acks >= 3:
        said.sentences.append(Sentence(Why.LOSS_EVENT, ()))


def _signals(p: Packet, base: SeqNum | None) -> list[Sentence]:
    """What URG, ECE and CWR say on a synchronized connection."""
    flags, said = p.flags, []
    if flags & URG_BIT:
        urgent = p.segment.urgent
        said.append(Sentence(Why.URG, (urgent, _rel(p.seq + urgent, base))))
    if flags & ECE_BIT:
        said.append(Sentence(Why.ECE, ()))
    if flags & CWR_BIT:
        said.append(Sentence(Why.CWR, ()))
    return said


def _not_captured(seq: SeqNum, nxt: SeqNum, s: _Observer, r: _Observer, said: _Said) -> None:
    """A segment starts past where its sender was seen to get: remember the gap (the part the
    receiver has not acknowledged yet), to tell a later segment filling it."""
    start = r.acked if r.acked is not None and r.acked > nxt else nxt
    if start < seq:
        _gap(s, start, seq)
    said.add(Label.LOST_SEGMENT, Sentence(Why.NOT_CAPTURED, (seq, nxt, s.isn)))


# END
