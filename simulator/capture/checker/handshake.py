"""SYN and SYN,ACK (RFC 9293 sections 3.5 and 3.10.7.2-3)."""

from __future__ import annotations

from ...model.segment import ACK_BIT, ECE_BIT
from ...model.seq import SeqNum
from ..connections import Packet
from ..labels import Label
from .observer import _CONTROL, _ECN, _HANDSHAKING, MAX_SCALE, S, _Observer, _rel, window_shift


def _handshake(p: Packet, s: _Observer, r: _Observer) -> tuple[list[str], str, str | None]:
    """SYN and SYN,ACK (RFC 9293 sections 3.5 and 3.10.7.2-3)."""
    labels: list[str] = [Label.HANDSHAKE]
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
    s.offered_scale = window_shift(options.wscale)
    s.options_cut = cut = p.options_cut
    s.window = p.window
    if again:
        labels.append(Label.RETRANSMISSION)
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
            labels.append(Label.ACK_LOST_SEGMENT)
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
    if options.wscale is not None and options.wscale > MAX_SCALE:
        scale += f"; its window scale {options.wscale} is more than 14, so 14 is used (RFC 7323 section 2.3)"
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


_RESET_ANSWERS = 8  # RSTs without ACK remembered per side in the look-ahead (see _answered_by_reset)


def _answered_by_reset(p: Packet, r: _Observer) -> bool:
    """An ACK to a SYN from a side that holds an older connection on these ports: it does not acknowledge the
    SYN, and the SYN's sender answers it with <SEQ=SEG.ACK><CTL=RST> (RFC 9293 section 3.10.7.3), which the
    look-ahead shows.  A challenge ACK (RFC 9293 section 3.10.7.4, RFC 5961 section 4), or the ACK of a
    half-open connection (RFC 9293 Figure 11): its numbers are the older connection's."""
    return (
        r.state is S.SYN_SENT
        and r.isn is not None
        and p.ack in r.reset_answers
        and not _acks_syn(p.ack, r)
        and _opens_later(r)  # (else acknowledge.py's half-open branch says so: the SYN's sender goes no further)
    )


def _older_connections_ack(p: Packet, s: _Observer, r: _Observer) -> tuple[list[str], str, None]:
    """The ACK ``_answered_by_reset`` finds: nothing of this connection moves but its sender's state."""
    if s.state is S.SYN_RECEIVED:
        s.state = S.ESTABLISHED  # it answered the SYN from the older, synchronized connection it holds
    sentence = (
        f"An ACK that does not acknowledge the SYN (ack {int(p.ack)}, the SYN needs {_syn_needs(r)}): the peer "
        "holds an older connection on these ports and answers a SYN that does not fit it with a challenge ACK "
        "(RFC 9293 section 3.10.7.4, RFC 5961 section 4), in that connection's numbers; SYN-SENT answers it with "
        "<SEQ=SEG.ACK><CTL=RST> (RFC 9293 section 3.10.7.3), seen later, which ends the older connection."
    )
    pure = not p.length and not p.flags & _CONTROL
    return [Label.ACK_NEVER_SENT, Label.PURE_ACK] if pure else [Label.ACK_NEVER_SENT], sentence, None


def _opens_later(r: _Observer) -> bool:
    """The look-ahead shows ``r`` (in SYN-SENT) sending past its SYN: it got a SYN,ACK the capture missed."""
    return r.isn is not None and r.final_nxt is not None and r.final_nxt > r.isn + 1 + r.syn_data
