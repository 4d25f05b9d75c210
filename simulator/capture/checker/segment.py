"""One packet's labels, sentence and departure: the rules in RFC 9293 section 3.10.7.4's order."""

from __future__ import annotations

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


def _classify(p: Packet, s: _Observer, r: _Observer) -> tuple[list[str], str, str | None]:
    """Labels, explanation and departure of one packet; moves both observers on."""
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
        labels.append(Label.KEEP_ALIVE)  # with no window of the peer's seen, as Wireshark says: no probe to tell
        sentences.append(
            f"a keep-alive (or Linux's zero-window probe: the capture holds no window of the peer's to tell them "
            f"apart): seq {_rel(p.seq, base)} is one below SND.NXT, so the only effect is to make the peer answer "
            "with an ACK (RFC 1122 section 4.2.3.6)"
            if r.acked is None
            else f"a keep-alive: seq {_rel(p.seq, base)} is one below SND.NXT, a byte the peer already has, "
            "so the only effect is to make it answer with an ACK (RFC 1122 section 4.2.3.6)"
        )
        s.probing = Label.KEEP_ALIVE
    elif below:
        labels.append(Label.ZERO_WINDOW_PROBE)
        sentences.append(
            f"a zero-window probe as Linux sends it: seq {_rel(p.seq, base)}, one below SND.NXT, so the peer "
            "answers with an ACK that reports its window (RFC 9293 section 3.8.6.1)"
            + (
                "; the capture saw the window reopen, so that update must have been lost after the capture point"
                if r.window
                else ""
            )
        )
        s.probing = Label.ZERO_WINDOW_PROBE
    elif length or fin:
        in_hole = next((h for h in s.holes if h[0] <= p.seq and end <= h[1]), None)
        if r.window == 0 and p.seq == nxt and length == 1 and not fin:  # a probe is one byte (Wireshark's rule too)
            labels.append(Label.ZERO_WINDOW_PROBE)
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
                labels.append(Label.FAST_RETRANSMISSION)
                sentences.append(
                    _fast_retransmission(p, r, base) + "; this capture never saw it sent before (the first sending "
                    "was lost before the capture point, or the capture dropped it)"
                )
            else:
                labels.append(Label.OUT_OF_ORDER)
                sentences.append(
                    f"out of order: it fills seq {_rel(p.seq, base)}..{_rel(end, base)}, a gap left earlier "
                    "(the network reordered it, or it overtook its own retransmission)"
                )
        elif end <= nxt:
            if r.acked is not None and end <= r.acked:
                labels.append(Label.SPURIOUS_RETRANSMISSION)
                sentences.append(
                    f"a spurious retransmission: seq {_rel(p.seq, base)}..{_rel(end, base)} was already "
                    f"acknowledged (the peer acked {_rel(r.acked, base)}); the sender took it for lost too early, "
                    "or that ACK (seen here) had not reached it"
                )
            elif _asked_again(p, r):
                labels.append(Label.FAST_RETRANSMISSION)
                sentences.append(_fast_retransmission(p, r, base))
            elif s.syn_data and s.isn is not None and p.seq == s.isn + 1 and r.acked == p.seq:
                labels.append(Label.RETRANSMISSION)
                sentences.append(
                    f"the {s.syn_data} bytes of data its SYN carried, sent again now that the connection is open: "
                    "the SYN,ACK acknowledged only the SYN (the server did not take the data, RFC 7413 section 4.2)"
                )
            else:
                labels.append(Label.RETRANSMISSION)
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
            labels.append(Label.RETRANSMISSION)
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
                labels.append(Label.SPURIOUS_RETRANSMISSION if already else Label.DATA)
                sentences.append(
                    data_carried(p, base, data_end)
                    + (
                        "the receiver has acknowledged them already, so the capture missed their first sending "
                        "and this is a spurious retransmission (or it saw this segment late)"
                        if already
                        else will_ack(data_end, base)
                    )
                    + tso(length, r.mss)
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
            and Label.ZERO_WINDOW_PROBE not in labels
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
        if end > nxt and Label.ZERO_WINDOW_PROBE not in labels:
            s.nxt = end
            r.zero_seen = False
    elif p.seq > nxt:  # no data, but past SND.NXT: the segments before it were not captured
        _not_captured(p.seq, nxt, s, r, labels, sentences)
        s.nxt = p.seq
    if fin:
        labels.append(Label.FIN)
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
        after_gap = Label.LOST_SEGMENT in labels
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
