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
from .sentences import data_carried, tso, will_ack


class _Said:
    """What the rules have found so far of one packet: its labels, its sentences and its departure."""

    __slots__ = ("departure", "labels", "sentences")

    def __init__(self) -> None:
        self.labels: list[str] = []
        self.sentences: list[str] = []
        self.departure: str | None = None

    def add(self, label: str, sentence: str) -> None:
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


def _classify(p: Packet, s: _Observer, r: _Observer) -> tuple[list[str], str, str | None]:
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
        if unseen:
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
    text = "; ".join(said.sentences or ["a segment with nothing new for the model"])
    return said.labels, text[0].upper() + text[1:] + ".", said.departure


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
        _not_captured(p.seq, span.nxt, s, r, said.labels, said.sentences)
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
        said.add(
            Label.KEEP_ALIVE,
            f"a keep-alive (or Linux's zero-window probe: the capture holds no window of the peer's to tell them "
            f"apart): seq {seq} is one below SND.NXT, so the only effect is to make the peer answer "
            "with an ACK (RFC 1122 section 4.2.3.6)"
            if r.acked is None
            else f"a keep-alive: seq {seq} is one below SND.NXT, a byte the peer already has, "
            "so the only effect is to make it answer with an ACK (RFC 1122 section 4.2.3.6)",
        )
        s.probing = Label.KEEP_ALIVE
        return True
    said.add(
        Label.ZERO_WINDOW_PROBE,
        f"a zero-window probe as Linux sends it: seq {seq}, one below SND.NXT, so the peer "
        "answers with an ACK that reports its window (RFC 9293 section 3.8.6.1)"
        + (
            "; the capture saw the window reopen, so that update must have been lost after the capture point"
            if r.window
            else ""
        ),
    )
    s.probing = Label.ZERO_WINDOW_PROBE
    return True


def _carried(p: Packet, s: _Observer, r: _Observer, span: _Span, said: _Said) -> None:
    """Data or a FIN: a probe into a zero window, a gap filled, a resend, or new (RFC 9293 section 3.10.7.4)."""
    length, fin, end, nxt, base = span.length, span.fin, span.end, span.nxt, span.base
    in_hole = next((h for h in s.missed.holes if h[0] <= p.seq and end <= h[1]), None)
    if r.window == 0 and p.seq == nxt and length == 1 and not fin:  # a probe is one byte (Wireshark's rule too)
        said.add(
            Label.ZERO_WINDOW_PROBE,
            f"a zero-window probe: one byte at seq {_rel(p.seq, base)} sent into a zero window, to "
            "learn when it opens (RFC 9293 section 3.8.6.1); the probe byte is not counted as sent",
        )
    elif in_hole is not None:
        _fills(p, s, r, span, in_hole, said)
    elif end <= nxt:
        _resent(p, s, r, span, said)
    elif p.seq < nxt:
        said.add(
            Label.RETRANSMISSION,
            f"a retransmission that also carries new data: seq {_rel(p.seq, base)} is below SND.NXT "
            f"{_rel(nxt, base)} (RFC 9293 section 3.10.7.4 trims the old part)",
        )
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
        said.add(
            Label.FAST_RETRANSMISSION,
            _fast_retransmission(p, r, base) + "; this capture never saw it sent before (the first sending "
            "was lost before the capture point, or the capture dropped it)",
        )
    else:
        said.add(
            Label.OUT_OF_ORDER,
            f"out of order: it fills seq {_rel(p.seq, base)}..{_rel(end, base)}, a gap left earlier "
            "(the network reordered it, or it overtook its own retransmission)",
        )


def _resent(p: Packet, s: _Observer, r: _Observer, span: _Span, said: _Said) -> None:
    """Every number it takes was sent before: which kind of resend (RFC 6298, RFC 5681, RFC 7413)."""
    end, base = span.end, span.base
    if r.acked is not None and end <= r.acked:
        said.add(
            Label.SPURIOUS_RETRANSMISSION,
            f"a spurious retransmission: seq {_rel(p.seq, base)}..{_rel(end, base)} was already "
            f"acknowledged (the peer acked {_rel(r.acked, base)}); the sender took it for lost too early, "
            "or that ACK (seen here) had not reached it",
        )
    elif _asked_again(p, r):
        said.add(Label.FAST_RETRANSMISSION, _fast_retransmission(p, r, base))
    elif s.syn_data and s.isn is not None and p.seq == s.isn + 1 and r.acked == p.seq:
        said.add(
            Label.RETRANSMISSION,
            f"the {s.syn_data} bytes of data its SYN carried, sent again now that the connection is open: "
            "the SYN,ACK acknowledged only the SYN (the server did not take the data, RFC 7413 section 4.2)",
        )
    else:
        acked = (  # the peer may have acknowledged its first part
            f"; the peer had acknowledged up to {_rel(r.acked, base)}, so only the rest still needed it"
            if r.acked is not None and p.seq < r.acked
            else " and not yet acknowledged"
        )
        said.add(
            Label.RETRANSMISSION,
            f"a retransmission: seq {_rel(p.seq, base)}..{_rel(end, base)} was sent before{acked}; the "
            "sender took it for lost, because its retransmission timer fired (RFC 6298) or its loss "
            "detection said so (in Linux: RACK-TLP, RFC 8985)",
        )


def _new(p: Packet, s: _Observer, r: _Observer, span: _Span, said: _Said) -> None:
    """New data (or a FIN) at or past SND.NXT."""
    if p.seq > span.nxt:
        _not_captured(p.seq, span.nxt, s, r, said.labels, said.sentences)
    if not span.length:
        return
    data_end, base = span.data_end, span.base
    # Its bytes acknowledged before it was seen (the capture missed their first sending): Wireshark's
    # spurious retransmission, a resend of acknowledged data, or a copy that came late.
    already = s.missed.unseen_acked is not None and s.missed.unseen_acked >= data_end
    said.add(
        Label.SPURIOUS_RETRANSMISSION if already else _DATA,
        data_carried(p, base, data_end)
        + (
            "the receiver has acknowledged them already, so the capture missed their first sending "
            "and this is a spurious retransmission (or it saw this segment late)"
            if already
            else will_ack(data_end, base)
        )
        + tso(span.length, r.mss),
    )


def _after_fin(p: Packet, s: _Observer, span: _Span, said: _Said) -> None:
    """Data past its sender's FIN: a departure (RFC 9293 section 3.10.4), or a new connection after a gap."""
    assert s.fin is not None
    if p.seq > span.nxt:
        said.sentences.append(
            "it follows this side's FIN across bytes the capture never saw: most likely a new connection on "
            "these ports, whose SYN and SYN,ACK the capture missed"
        )
    else:
        said.departure = (
            f"data after FIN: bytes up to {_rel(span.data_end, span.base)} follow the FIN at "
            f"{_rel(s.fin, span.base)} (RFC 9293 section 3.10.4: after CLOSE no more SENDs)"
        )


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
        said.sentences.append(
            f"beyond the last window seen ({_rel(edge, base)}), but the receiver accepts these "
            "bytes (or sent packets the capture missed), so the capture missed its window update"
        )
    elif s.missed.holes:  # a gap in this side's segments, not yet acknowledged: the capture is dropping packets
        said.sentences.append(
            f"beyond the last window seen ({_rel(edge, base)}), but this capture missed segments "
            "of this side that are not yet acknowledged, so it may well have missed the receiver's window "
            "update too"
        )
    else:
        said.departure = (
            f"data beyond the receiver's window: seq up to {_rel(data_end, base)} but the window "
            f"ends at {_rel(edge, base)} (RFC 9293 section 3.8.6: send only inside SND.WND)"
        )


def _fin(p: Packet, s: _Observer, r: _Observer, span: _Span, said: _Said) -> None:
    """The FIN: CLOSE's state move (RFC 9293 section 3.10.4), or the same FIN again."""
    data_end, base, flags = span.data_end, span.base, p.flags
    said.labels.append(_FIN)
    sent = s.acked  # the highest ack it has sent
    if s.fin == data_end and s.state in _FIN_UNACKED:  # its FIN again, after the capture saw an ACK of it
        if flags & ACK_BIT and sent is not None and p.ack < sent:
            # Its ack is below one it has sent already: this resend was made before that ACK, and crossed it.
            said.sentences.append(
                f"its FIN at seq {_rel(data_end, base)} again, made before the ACK it sent already: its ack "
                f"{_rel(p.ack, r.isn)} is below that ACK's {_rel(sent, r.isn)}, so its timer resent it just "
                "before the segment that ACK answers arrived, and it was captured after; its state does not go back"
            )
        else:  # that ACK had not reached it
            s.state = _FIN_UNACKED[s.state]
            said.sentences.append(
                f"its FIN at seq {_rel(data_end, base)} again: the ACK of it seen before had not reached it (lost "
                "after the capture point, or on its way)"
            )
    else:
        said.sentences.append(
            f"FIN at seq {_rel(data_end, base)}: no more data from this side; the FIN occupies one sequence "
            f"number, so the peer acks {_rel(data_end + 1, base)}"
        )
    s.fin = data_end
    # Its ack stops short of the peer's FIN, captured before it: the two FINs crossed, and this side
    # was not yet in CLOSE-WAIT when it sent its own (a simultaneous close, RFC 9293 Figure 13).
    crossed = s.state is S.CLOSE_WAIT and bool(flags & ACK_BIT) and r.fin is not None and p.ack <= r.fin
    if crossed:
        s.state = S.ESTABLISHED
        said.sentences.append(
            f"its ack {_rel(p.ack, r.isn)} does not cover the peer's FIN: the two FINs crossed, a simultaneous "
            "close, so each side goes through CLOSING (RFC 9293 Figure 13)"
        )
    s.state = _FIN_SENT.get(s.state, s.state)
    if crossed:
        _receive_fin(s)  # the peer's FIN arrives after this one left


def _acknowledged(p: Packet, s: _Observer, r: _Observer, span: _Span, said: _Said) -> None:
    """What it acknowledges (RFC 9293 section 3.10.7.4, fifth check: the ACK field)."""
    if not p.flags & ACK_BIT:
        said.departure = "a segment with neither SYN, ACK nor RST: RFC 9293 section 3.10.7.4 drops it"
        return
    after_gap = _GAP in said.labels
    labels, sentence, departure = _acknowledgement(
        p, span.length + span.fin, s, r, described=bool(said.labels), after_gap=after_gap
    )
    said.labels.extend(labels)
    if sentence:
        said.sentences.append(sentence)
    said.departure = said.departure or departure


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


def _not_captured(
    seq: SeqNum, nxt: SeqNum, s: _Observer, r: _Observer, labels: list[str], sentences: list[str]
) -> None:
    """A segment starts past where its sender was seen to get: remember the gap (the part the
    receiver has not acknowledged yet), to tell a later segment filling it."""
    labels.append(Label.LOST_SEGMENT)
    start = r.acked if r.acked is not None and r.acked > nxt else nxt
    if start < seq:
        _gap(s, start, seq)
    sentences.append(
        f"seq {_rel(seq, s.isn)} is past {_rel(nxt, s.isn)}, the end of what this side was seen to send: the "
        "bytes between were sent but not captured"
    )


# END
