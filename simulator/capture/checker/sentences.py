"""The checker's sentences, keyed by ``Why`` (as the model's are by its keys, ``model.explain``).

A rule says what it found as a ``Sentence``: the key and the values it speaks of, never words.
The words are made only when the report is printed (``str(sentence)``): ``tcpsim check --brief``
never makes them.  The header-prediction fast path (``fastpath``) and the full rules share these
phrases, so both say the same words.  Several phrases said of one packet are one ``Why.PHRASES``
sentence (joined by "; ", with a capital letter and a full stop); a departure and a note are put
into words at once (``say``): they are few, and kept as text.

Nothing else in the checker holds a sentence (tests/test_checker_sentences.py reads its code).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any, NamedTuple

from ...model.seq import SeqNum
from ...model.states import State
from ..connections import Packet
from .observer import _rel


class Why(StrEnum):
    """What a sentence explains (each key's words are in ``CATALOGUE``)."""

    # how sentences are put together
    PHRASES = "phrases"  # several phrases as one sentence
    MOVED = "moved"  # a sentence and the state moves it made
    # the fast path (whole sentences)
    DATA = "data"  # in-order data at SND.NXT
    PURE_ACK = "pure ACK"  # an ACK of new data, nothing else
    # the sequence number (segment.py)
    NOTHING_NEW = "nothing new"
    NEW_DATA = "new data"
    DATA_ACKED_ALREADY = "data acknowledged already"
    KEEP_ALIVE_OR_PROBE = "keep-alive or probe"
    KEEP_ALIVE = "keep-alive"
    LINUX_ZERO_WINDOW_PROBE = "Linux's zero-window probe"
    ZERO_WINDOW_PROBE = "zero-window probe"
    RESENT_WITH_NEW_DATA = "resent with new data"
    FAST_RETRANSMISSION = "fast retransmission"
    FIRST_SENDING_UNSEEN = "first sending unseen"
    OUT_OF_ORDER = "out of order"
    SPURIOUS_RETRANSMISSION = "spurious retransmission"
    SYN_DATA_AGAIN = "SYN's data again"
    RETRANSMISSION = "retransmission"
    RTO = "retransmission timeout"  # a congestion event: the timer fired (RFC 6298, RFC 5681 section 3.1)
    TAIL_LOSS_PROBE = "tail loss probe"  # RFC 8985 section 7
    LOSS_EVENT = "loss event"  # after three duplicate ACKs: the sender's congestion response (RFC 5681 3.2)
    AFTER_FIN_GAP = "after FIN, past a gap"
    DATA_AFTER_FIN = "data after FIN"  # a departure
    PAST_WINDOW_UPDATE_MISSED = "past the window, update missed"
    PAST_WINDOW_DROPPING = "past the window, capture dropping"
    PAST_WINDOW = "data beyond the window"  # a departure
    FIN = "FIN"
    FIN_AGAIN = "FIN again"
    FIN_AGAIN_CROSSED = "FIN again, crossed its ACK"
    FINS_CROSSED = "FINs crossed"
    NO_CONTROL = "no SYN, ACK or RST"  # a departure
    URG = "URG"
    ECE = "ECE"
    CWR = "CWR"
    NOT_CAPTURED = "not captured"
    # the ACK field (acknowledge.py)
    EVERY_BYTE_BEFORE = "every byte before"
    ZERO_WINDOW = "zero window"
    OLD_ACK = "old ACK"
    ACK_NEVER_SENT = "ACK for data never sent"  # a departure
    ACKS_CAPTURE_DROPS = "acknowledges capture drops"
    NOT_FOR_THE_SYN = "not for the SYN"
    UNSEEN_SENT = "acknowledges unseen bytes"
    WINDOW_UPDATE = "window update"
    PROBE_ANSWER = "answer to a probe"
    DUPLICATE_ACK = "duplicate ACK"
    HANDSHAKE_COMPLETE = "handshake complete"
    FIN_ACKED = "FIN acknowledged"
    # SYN and SYN,ACK (handshake.py)
    NEW_ISN = "SYN with a new ISN"  # a departure
    SYN = "SYN"
    SYN_WITH_DATA = "SYN with data"
    CROSSED_SYN = "crossed SYN"
    SYN_RESENT = "SYN resent"
    SYN_UNANSWERED = "SYN resent, SYN,ACK unseen by it"
    SYN_COPY = "SYN copy"
    ECN_ASKED = "ECN asked for"
    OPTIONS_CUT = "options cut"
    MISSED_FIRST = "first sending missed"
    ACKED_FIRST = "first sending missed, acknowledged"
    SYN_NEEDS = "the acks a SYN needs"  # a part of sentences
    SYN_ACK_WRONG_ACK = "SYN,ACK with a wrong ack"  # a departure
    SYN_ACK = "SYN,ACK"
    SYN_ACK_TAKES_DATA = "SYN,ACK takes the SYN's data"
    SYN_ACK_LEAVES_DATA = "SYN,ACK leaves the SYN's data"
    SIMULTANEOUS_SYN_ACK = "SYN,ACK in a simultaneous open"
    SYN_ACK_RESENT = "SYN,ACK resent"
    SYN_ACK_UNANSWERED = "SYN,ACK resent, ACK unseen by it"
    SYN_ACK_LEFTOVER = "SYN,ACK leftover"
    RENUMBERED = "peer renumbered"
    STILL_SYN_RECEIVED = "still in SYN-RECEIVED"
    SYN_DATA_UNSEEN = "SYN's data unseen"
    SCALING_ON = "window scaling on"
    SCALE_TOO_LARGE = "window scale over 14"
    ECN_AGREED = "ECN agreed"
    LATE_SYN_ACK = "SYN,ACK held up"
    SYN_ACK_TO_ANOTHER_SENDING = "SYN,ACK to another sending"
    UNSEEN_SYN_ACK_HELD = "SYN,ACK unseen, held"
    UNSEEN_SYN_ACK = "SYN,ACK unseen"
    HANDSHAKE_END_UNSEEN = "handshake's end unseen"
    OLDER_CONNECTIONS_ACK = "older connection's ACK"
    # RST (reset.py)
    RST_NO_WINDOW = "RST, no window"
    RST_REFUSED = "RST refuses"
    RST_NOT_FOR_THE_SYN = "RST not for the SYN"
    RST_PAST_HANDSHAKE = "RST past the handshake"
    RST_IN_WINDOW = "RST in window"
    RST_OUTSIDE_WINDOW = "RST outside window"
    RST_PAST_GAP = "RST past a gap"
    RST_IGNORED = "RST ignored"
    RST_OUTSIDE = "RST outside the window"  # a departure
    RST_FROM_NO_CONNECTION = "RST from no connection"
    RST_OLD_DUPLICATE_SYN = "RST to an old duplicate SYN"
    RST_CLOSED_SIDE = "RST of a closed side"
    CLOSE_NOT_CAPTURED = "close not captured"
    RST_OLDER_CONNECTION = "RST of an older connection"
    RST_NOTHING_LISTENS = "RST, nothing listens"
    RST_ABORT_PAST_WINDOW = "RST, abort past the window"
    RST_BEFORE_UNSEEN = "RST after unseen sending"
    RST_RESETS = "RST resets"
    # notes on a connection (connection.py)
    STILL_OPEN = "still open"
    LATE_PACKETS = "late packets"
    SELF_CONNECTED = "connected to itself"
    MIDSTREAM = "mid-connection"
    SYN_MISSED = "SYN missed"


class Sentence(NamedTuple):
    """A sentence not yet put into words: its key and what it speaks of."""

    why: Why
    args: tuple[Any, ...]

    def __str__(self) -> str:
        return CATALOGUE[self.why](*self.args)

    # A sentence is its words: a report read back from a spool file (words only) equals the one it was.
    def __eq__(self, other: object) -> bool:
        return str(self) == str(other) if isinstance(other, str | Sentence) else NotImplemented

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash(str(self))


def say(why: Why, *args: Any) -> str:
    """The words at once (for departures and notes, which are kept as text)."""
    return CATALOGUE[why](*args)


def whole(phrase: str) -> str:
    """A phrase as the report's sentence: a capital letter and a full stop."""
    return phrase[0].upper() + phrase[1:] + "."


def _phrases(parts: tuple[Sentence, ...]) -> str:
    return whole("; ".join(map(str, parts)) or say(Why.NOTHING_NEW))


_NAME = {state: state.value for state in State}  # (an enum's .value is a Python descriptor call)


def _moved(said: Sentence, before: tuple[State, State], after: tuple[State, State], one_side: bool) -> str:
    """A sentence and the state moves its packet made: "... (A SYN-SENT -> ESTABLISHED, B ...)"."""
    moves = [f"A {_NAME[before[0]]} -> {_NAME[after[0]]}"] if before[0] is not after[0] else []
    if before[1] is not after[1] and not one_side:
        moves.append(f"B {_NAME[before[1]]} -> {_NAME[after[1]]}")
    return f"{said} ({', '.join(moves)})"


# ------------------------------------------------------------------ the sequence number and data
def tso(length: int, mss: int | None) -> str:
    """What a segment larger than the MSS is, or ""."""
    if mss is not None and length > mss:
        return f"; {length} bytes is more than the MSS {mss}: a TSO/GSO super-segment the NIC or kernel cuts up later"
    return ""


def data_carried(p: Packet, base: SeqNum | None, data_end: SeqNum) -> str:
    """``N bytes of data, seq a..b`` (and how much the capture kept of them)."""
    length = p.length
    cut = f" (the capture kept {p.captured} of them)" if p.truncated else ""
    return f"{length} byte{'s' if length > 1 else ''} of data{cut}, seq {_rel(p.seq, base)}..{_rel(data_end, base)}; "


def will_ack(data_end: SeqNum, base: SeqNum | None) -> str:
    return f"the receiver will ack {_rel(data_end, base)}"


def _every_byte_before(ack: SeqNum, base: SeqNum | None) -> str:
    return f"acknowledges every byte before {_rel(ack, base)}: the next byte it expects"


def _data(p: Packet, base: SeqNum | None, data_end: SeqNum, mss: int | None) -> str:
    return whole(_new_data(p, base, data_end, mss))


def _pure_ack(ack: SeqNum, base: SeqNum | None) -> str:
    return whole(_every_byte_before(ack, base))


def _new_data(p: Packet, base: SeqNum | None, data_end: SeqNum, mss: int | None) -> str:
    return data_carried(p, base, data_end) + will_ack(data_end, base) + tso(p.length, mss)


def _data_acked_already(p: Packet, base: SeqNum | None, data_end: SeqNum, mss: int | None) -> str:
    return (
        data_carried(p, base, data_end) + "the receiver has acknowledged them already, so the capture missed their "
        "first sending and this is a spurious retransmission (or it saw this segment late)" + tso(p.length, mss)
    )


_KEEP_ALIVE_ONLY = "so the only effect is to make the peer answer with an ACK (RFC 1122 section 4.2.3.6)"


def _keep_alive_or_probe(seq: int) -> str:
    return (
        f"a keep-alive (or Linux's zero-window probe: the capture holds no window of the peer's to tell them "
        f"apart): seq {seq} is one below SND.NXT, {_KEEP_ALIVE_ONLY}"
    )


def _keep_alive(seq: int) -> str:
    return (
        f"a keep-alive: seq {seq} is one below SND.NXT, a byte the peer already has, "
        "so the only effect is to make it answer with an ACK (RFC 1122 section 4.2.3.6)"
    )


def _linux_zero_window_probe(seq: int, reopened: bool) -> str:
    return (
        f"a zero-window probe as Linux sends it: seq {seq}, one below SND.NXT, so the peer "
        "answers with an ACK that reports its window (RFC 9293 section 3.8.6.1)"
        + (
            "; the capture saw the window reopen, so that update must have been lost after the capture point"
            if reopened
            else ""
        )
    )


def _zero_window_probe(seq: int) -> str:
    return (
        f"a zero-window probe: one byte at seq {seq} sent into a zero window, to "
        "learn when it opens (RFC 9293 section 3.8.6.1); the probe byte is not counted as sent"
    )


def _resent_with_new_data(seq: int, nxt: int) -> str:
    return (
        f"a retransmission that also carries new data: seq {seq} is below SND.NXT "
        f"{nxt} (RFC 9293 section 3.10.7.4 trims the old part)"
    )


def _fast_retransmission(dup_acks: int, seq: int) -> str:
    return (
        f"a fast retransmission: {dup_acks} duplicate ACKs asked for seq {seq}, "
        "so it is sent again without waiting for the timer (RFC 5681 section 3.2"
        + (
            ")"
            if dup_acks >= 3
            else " waits for three: the sender's own loss detection decided sooner, in Linux "
            "SACK recovery and RACK-TLP, RFC 6675 and RFC 8985)"
        )
    )


def _loss_event() -> str:
    return (
        "a congestion event: the sender takes the loss as a sign of congestion, halves its congestion window "
        "(ssthresh = max(FlightSize / 2, 2 * SMSS)) and goes into fast recovery (RFC 5681 section 3.2, RFC 6582)"
    )


def _first_sending_unseen() -> str:
    return (
        "this capture never saw it sent before (the first sending "
        "was lost before the capture point, or the capture dropped it)"
    )


def _out_of_order(seq: int, end: int) -> str:
    return (
        f"out of order: it fills seq {seq}..{end}, a gap left earlier "
        "(the network reordered it, or it overtook its own retransmission)"
    )


def _spurious_retransmission(seq: int, end: int, acked: int) -> str:
    return (
        f"a spurious retransmission: seq {seq}..{end} was already "
        f"acknowledged (the peer acked {acked}); the sender took it for lost too early, "
        "or that ACK (seen here) had not reached it"
    )


def _syn_data_again(syn_data: int) -> str:
    return (
        f"the {syn_data} bytes of data its SYN carried, sent again now that the connection is open: "
        "the SYN,ACK acknowledged only the SYN (the server did not take the data, RFC 7413 section 4.2)"
    )


def _resent_bytes(seq: int, end: int, acked: int | None) -> str:
    """``a retransmission: seq a..b was sent before ...``: what is resent, and what the peer had of it."""
    had = (
        f"; the peer had acknowledged up to {acked}, so only the rest still needed it"
        if acked is not None
        else " and not yet acknowledged"
    )
    return f"a retransmission: seq {seq}..{end} was sent before{had}"


def _retransmission(seq: int, end: int, acked: int | None) -> str:
    return (
        _resent_bytes(seq, end, acked) + "; the sender took it for lost, because its retransmission timer fired "
        "(RFC 6298) or its loss detection said so (in Linux: RACK-TLP, RFC 8985)"
    )


def _rto(seq: int, end: int, acked: int | None, quiet: float, lone: bool) -> str:
    return (
        _resent_bytes(seq, end, acked) + f"; it is the oldest byte not acknowledged, resent after {quiet * 1000:.0f} "
        "ms in which the connection was quiet: its retransmission timer fired (RFC 6298 section 5.4), a congestion "
        "event after which the sender's congestion window falls to one segment, the loss window, and slow start "
        "begins again (ssthresh = max(FlightSize / 2, 2 * SMSS), RFC 5681 section 3.1)"
        + (
            "; it was the only segment outstanding, so this may also be Linux's tail loss probe, which resends "
            "the last segment after about 200 ms and leaves the window as it was (RFC 8985 section 7)"
            if lone
            else ""
        )
    )


def _tail_loss_probe(seq: int, end: int, acked: int | None) -> str:
    return (
        _resent_bytes(seq, end, acked) + "; it is the last segment its sender sent, resent though older bytes are "
        "still not acknowledged and no duplicate ACK asked for it: most likely a tail loss probe (in Linux: "
        "RACK-TLP, RFC 8985 section 7), which makes the receiver's ACK show what was lost before the "
        "retransmission timer would fire; a probe does not reduce the congestion window"
    )


def _after_fin_gap() -> str:
    return (
        "it follows this side's FIN across bytes the capture never saw: most likely a new connection on "
        "these ports, whose SYN and SYN,ACK the capture missed"
    )


def _data_after_fin(data_end: int, fin: int) -> str:
    return (
        f"data after FIN: bytes up to {data_end} follow the FIN at "
        f"{fin} (RFC 9293 section 3.10.4: after CLOSE no more SENDs)"
    )


def _past_window_update_missed(edge: int) -> str:
    return (
        f"beyond the last window seen ({edge}), but the receiver accepts these "
        "bytes (or sent packets the capture missed), so the capture missed its window update"
    )


def _past_window_dropping(edge: int) -> str:
    return (
        f"beyond the last window seen ({edge}), but this capture missed segments "
        "of this side that are not yet acknowledged, so it may well have missed the receiver's window "
        "update too"
    )


def _past_window(data_end: int, edge: int) -> str:
    return (
        f"data beyond the receiver's window: seq up to {data_end} but the window "
        f"ends at {edge} (RFC 9293 section 3.8.6: send only inside SND.WND)"
    )


def _fin(seq: SeqNum, base: SeqNum | None) -> str:
    return (
        f"FIN at seq {_rel(seq, base)}: no more data from this side; the FIN occupies one sequence "
        f"number, so the peer acks {_rel(seq + 1, base)}"
    )


def _fin_again(seq: int) -> str:
    return (
        f"its FIN at seq {seq} again: the ACK of it seen before had not reached it (lost "
        "after the capture point, or on its way)"
    )


def _fin_again_crossed(seq: int, ack: int, sent: int) -> str:
    return (
        f"its FIN at seq {seq} again, made before the ACK it sent already: its ack "
        f"{ack} is below that ACK's {sent}, so its timer resent it just "
        "before the segment that ACK answers arrived, and it was captured after; its state does not go back"
    )


def _fins_crossed(ack: int) -> str:
    return (
        f"its ack {ack} does not cover the peer's FIN: the two FINs crossed, a simultaneous "
        "close, so each side goes through CLOSING (RFC 9293 Figure 13)"
    )


def _urg(urgent: int, seq: int) -> str:
    return (
        f"URG: the urgent pointer {urgent} marks the data before seq {seq} as urgent "
        "(its last byte is the out-of-band byte of the sockets API's MSG_OOB); RFC 9293 section 3.8.5 keeps it "
        "for old applications only (RFC 6093)"
    )


def _not_captured(seq: SeqNum, nxt: SeqNum, base: SeqNum | None) -> str:
    return (
        f"seq {_rel(seq, base)} is past {_rel(nxt, base)}, the end of what this side was seen to send: the "
        "bytes between were sent but not captured"
    )


# ------------------------------------------------------------------ the ACK field
def _old_ack(ack: int, acked: int) -> str:
    return (
        f"an old ACK: ack {ack} is below the {acked} its sender has acknowledged "
        "already, so it was sent before that one and comes late (reordered on the way, or captured late)"
    )


def _ack_never_sent(ack: int, short: int) -> str:
    return (
        f"ACK for data never sent (ack {ack} > SND.NXT {short}): "
        "RFC 9293 section 3.10.7.4 says the receiver answers it with an ACK and drops it"
    )


def _acks_capture_drops(gaps: tuple[tuple[int, int], ...]) -> str:
    spans = ", ".join(f"{start}..{end}" for start, end in gaps)
    return f"it acknowledges bytes {spans}, which this capture never saw: they arrived, the capture dropped them"


def _not_for_the_syn(ack: int, needs: str) -> str:
    return (
        f"an ACK that does not acknowledge the SYN (ack {ack}, the SYN needs {needs}): the peer "
        "still holds an older connection on these ports (half-open, RFC 9293 Figure 11), so SYN-SENT answers "
        "it with a RST (RFC 9293 section 3.10.7.3)"
    )


def _unseen_sent(ack: int, no_later: bool) -> str:
    return f"it acknowledges up to {ack}, bytes this capture never saw sent (a capture drop)" + (
        "; the capture has no later packet of that side to show how far it got" if no_later else ""
    )


def _window_update(before: int, after: int) -> str:
    return f"a window update: nothing new acknowledged, only the window changes from {before} to {after}"


def _duplicate_ack(count: int, ack: int) -> str:
    return (
        f"a duplicate ACK (#{count}): it still asks for {ack}, so a segment after that "
        "arrived out of order or the one at it was lost; three of them trigger a fast retransmit"
    )


# ------------------------------------------------------------------ SYN and SYN,ACK
def _new_isn(seq: int, isn: int) -> str:
    return (
        f"SYN on a synchronized connection with a new ISN {seq} (was {isn}): RFC 9293 section "
        "3.10.7.4 answers it with a challenge ACK (RFC 5961 section 4)"
    )


def _syn(seq: int) -> str:
    return (
        f"SYN: opens the connection with ISN {seq} (relative 0); a SYN occupies one sequence "
        "number, so the answer must ack relative 1"
    )


def _syn_with_data(seq: int, length: int) -> str:
    return (
        f"SYN: opens the connection with ISN {seq} (relative 0) and carries {length} bytes of "
        f"data, seq 1..{1 + length} (TCP Fast Open, RFC 7413); a SYN occupies one sequence number, so "
        f"the answer acks relative {1 + length} if the server takes the data with the SYN, or relative 1 "
        "if it does not (the data is then sent again)"
    )


def _crossed_syn() -> str:
    return (
        "its sender has not got the peer's SYN (or it would answer with a SYN,ACK): both sides open at "
        "once, a simultaneous open (RFC 9293 Figure 8)"
    )


def _syn_copy(state: object) -> str:
    return (
        f"The SYN again, same ISN, though its sender has acknowledged the peer's SYN,ACK "
        f"already (it is {state}): a copy of its first SYN, made by the network or held up on the way, not a resend; "
        "its state does not go back"
    )


def _syn_ack_wrong_ack(ack: int, isn: int, needs: str) -> str:
    return (
        f"SYN,ACK acknowledges {ack}, but the SYN had ISN {isn}, so the ack must be {needs} (RFC 9293 section 3.10.7.3)"
    )


def _syn_ack(seq: int) -> str:
    return (
        f"SYN,ACK: accepts the connection; ack = the SYN's ISN + 1 (a SYN occupies one sequence number) and "
        f"its own ISN is {seq}"
    )


def _syn_ack_takes_data(syn_data: int, seq: int) -> str:
    return (
        f"SYN,ACK: accepts the connection and the {syn_data} bytes of data its SYN carried (TCP Fast Open "
        f"with a valid cookie, RFC 7413), so ack = the SYN's ISN + 1 + {syn_data}; its own ISN is "
        f"{seq}"
    )


def _syn_ack_leaves_data(syn_data: int, seq: int) -> str:
    return (
        f"SYN,ACK: accepts the connection but not the {syn_data} bytes of data its SYN carried (no valid "
        "Fast Open cookie, RFC 7413 section 4.2), so ack = the SYN's ISN + 1 and the client sends the data "
        f"again; its own ISN is {seq}"
    )


def _simultaneous_syn_ack(seq: int) -> str:
    return (
        f"SYN,ACK in a simultaneous open: it acknowledges the peer's SYN and sends its own SYN again (the same "
        f"ISN {seq}, so Wireshark calls it a retransmission); the handshake is complete once each SYN is "
        "acknowledged (RFC 9293 Figure 8)"
    )


def _syn_ack_leftover(acked: int) -> str:
    return (
        f"The SYN,ACK again, though its sender has acknowledged the peer's data "
        f"since (ack {acked}), so it had the ACK that completes the "
        "handshake: a leftover resend (for a copy of the SYN the network made, say), and its state does not go back"
    )


def _renumbered(ack: int) -> str:
    return (
        f"its ack {ack} shows the ISN of the peer's SYN, {ack - 1}, which this capture never "
        "saw: the peer's numbers count from it from here on"
    )


def _syn_data_unseen(ack: int, syn_data: int) -> str:
    return (
        f"its ack {ack} takes {syn_data} bytes of data past the SYN, which carried none here: "
        "they rode on a first sending of the SYN that this capture never saw (Linux keeps a Fast Open SYN's "
        "data apart, so the SYN its timer resends carries none), and the SYN's sender goes on from that ack"
    )


def _late_syn_ack(seq: int, stamp: int, before: int, isn: int) -> str:
    return (
        f"A SYN,ACK with another ISN, {seq}, sent before its sender's segment seen before it (its "
        f"timestamp {stamp} is older than that one's {before}, RFC 7323 section 4.3) and held up on the way: "
        "it answered another sending of the SYN" + _peer_answers(isn)
    )


def _syn_ack_to_another_sending(seq: int, syns: int, isn: int) -> str:
    return (
        f"A SYN,ACK with another ISN, {seq}, to the same SYN, which was sent {syns} times: its sender "
        "answered two sendings apart (Linux answers with SYN cookies, which keep no state, when its queue is "
        "full, RFC 4987 section 3.6), and this answer came late (held up on the way), or after it had dropped "
        "the other" + _peer_answers(isn)
    )


def _peer_answers(isn: int) -> str:
    return f"; the peer, which holds the connection with ISN {isn}, answers it with an ACK (RFC 5961 section 4)."


def _unseen_syn_ack(isn: int) -> str:
    return (
        f"it acknowledges a SYN,ACK this capture never saw (whose ISN must be {isn}), so its sender "
        "has it and is ESTABLISHED"
    )


def _older_connections_ack(ack: int, needs: str) -> str:
    return (
        f"An ACK that does not acknowledge the SYN (ack {ack}, the SYN needs {needs}): the peer "
        "holds an older connection on these ports and answers a SYN that does not fit it with a challenge ACK "
        "(RFC 9293 section 3.10.7.4, RFC 5961 section 4), in that connection's numbers; SYN-SENT answers it with "
        "<SEQ=SEG.ACK><CTL=RST> (RFC 9293 section 3.10.7.3), seen later, which ends the older connection."
    )


# ------------------------------------------------------------------ RST
def _rst_past_handshake(ack: int) -> str:
    return (
        f"its ack {ack} is past the SYN: it acknowledges bytes this capture never saw "
        "sent, so the capture missed the end of the handshake and what came after it (a capture drop), "
        "and the connection it resets was open"
    )


def _rst_past_gap(seq: int, nxt: int) -> str:
    return (
        f"its seq {seq} is past {nxt}, the end of what its sender was seen to "
        "send: the bytes between were sent but not captured, nor were the receiver's ACKs of them that moved "
        "its window on"
    )


def _rst_closed_side(seq: int, unseen: bool) -> str:
    return (
        "RST: the answer of a side that has closed to a segment it got (a resend that crossed the close, "
        f"data that came after it, an ACK): seq {seq}, no ACK bit, is that segment's ack (RFC "
        f"9293 section 3.10.7.1; for data after CLOSE, RFC 1122 section 4.2.2.13)"
        + ("; " + say(Why.CLOSE_NOT_CAPTURED) if unseen else "")
        + "; the receiver has acknowledged more since it sent that segment, so the RST is outside its window and "
        "it ignores it (RFC 9293 section 3.10.7.4), as it should."
    )


def _rst_older_connection(seq: int) -> str:
    return (
        f"RST: the answer to a late segment of an older connection on these ports: seq {seq}, "
        "no ACK bit, is that segment's ack (RFC 9293 section 3.10.7.1), below this side's ISN, so that "
        "segment acknowledged an older connection's bytes; the receiver finds the RST outside its window "
        "and ignores it (RFC 9293 section 3.10.7.4), as it should."
    )


def _rst_abort_past_window(seq: int) -> str:
    return (
        f"RST: its sender aborts, with seq {seq} = its SND.NXT as an ABORT sends it (RFC 9293 "
        "section 3.10.5); its data had filled the receiver's window, so that seq is just past the window's "
        "right edge, and the receiver ignores the RST (RFC 9293 section 3.10.7.4), or answers with a "
        "challenge ACK (RFC 5961 section 3.2), as it should."
    )


def _rst_before_unseen(seq: int, nxt: int) -> str:
    return (
        f"its seq {seq} is past {nxt}, the end of what its sender was seen "
        "to send: what it sent before the RST is still on its way, or was not captured"
    )


def _rst_resets(parts: tuple[Sentence, ...]) -> str:
    return "RST: resets the connection; " + "; ".join(map(str, parts)) + "."


# ------------------------------------------------------------------ notes
def _late_packets(late: int) -> str:
    return (
        f"{late} of its packets came after a new SYN had reused these ports (held up on the way, or "
        "answers to such): their numbers, below the new connection's, say they are this connection's"
    )


def _syn_missed(scale_unknown: bool) -> str:
    return (
        "the capture missed the SYN: the side that answered with SYN,ACK was listening, the other sent "
        "a SYN with ISN = that SYN,ACK's ack - 1" + ("; the SYN's window scale is unknown" if scale_unknown else "")
    )


def _constant(words: str) -> Callable[[], str]:
    return lambda: words


_SYN_RESENT = "The SYN again, same ISN: no SYN,ACK came back in time, so the SYN timer resent it (RFC 6298 5.5)"
_SYN_ACK_RESENT = "The SYN,ACK again: the ACK that completes the handshake did not arrive in time, so it is resent"
_NOT_REACHED = "had not reached it (lost after the capture point, or on its way)"


CATALOGUE: dict[Why, Callable[..., str]] = {
    Why.PHRASES: _phrases,
    Why.MOVED: _moved,
    Why.DATA: _data,
    Why.PURE_ACK: _pure_ack,
    Why.NOTHING_NEW: _constant("a segment with nothing new for the model"),
    Why.NEW_DATA: _new_data,
    Why.DATA_ACKED_ALREADY: _data_acked_already,
    Why.KEEP_ALIVE_OR_PROBE: _keep_alive_or_probe,
    Why.KEEP_ALIVE: _keep_alive,
    Why.LINUX_ZERO_WINDOW_PROBE: _linux_zero_window_probe,
    Why.ZERO_WINDOW_PROBE: _zero_window_probe,
    Why.RESENT_WITH_NEW_DATA: _resent_with_new_data,
    Why.FAST_RETRANSMISSION: _fast_retransmission,
    Why.FIRST_SENDING_UNSEEN: _first_sending_unseen,
    Why.OUT_OF_ORDER: _out_of_order,
    Why.SPURIOUS_RETRANSMISSION: _spurious_retransmission,
    Why.SYN_DATA_AGAIN: _syn_data_again,
    Why.RETRANSMISSION: _retransmission,
    Why.RTO: _rto,
    Why.TAIL_LOSS_PROBE: _tail_loss_probe,
    Why.LOSS_EVENT: _loss_event,
    Why.AFTER_FIN_GAP: _after_fin_gap,
    Why.DATA_AFTER_FIN: _data_after_fin,
    Why.PAST_WINDOW_UPDATE_MISSED: _past_window_update_missed,
    Why.PAST_WINDOW_DROPPING: _past_window_dropping,
    Why.PAST_WINDOW: _past_window,
    Why.FIN: _fin,
    Why.FIN_AGAIN: _fin_again,
    Why.FIN_AGAIN_CROSSED: _fin_again_crossed,
    Why.FINS_CROSSED: _fins_crossed,
    Why.NO_CONTROL: _constant("a segment with neither SYN, ACK nor RST: RFC 9293 section 3.10.7.4 drops it"),
    Why.URG: _urg,
    Why.ECE: _constant(
        "ECE: it echoes a congestion mark (CE) that a router set on a packet it received, so the peer "
        "should slow down as for a loss (RFC 3168 section 6.1.2)"
    ),
    Why.CWR: _constant("CWR: its sender has reduced its congestion window, in answer to ECE (RFC 3168 section 6.1.2)"),
    Why.NOT_CAPTURED: _not_captured,
    Why.EVERY_BYTE_BEFORE: _every_byte_before,
    Why.ZERO_WINDOW: _constant(
        "a zero window: its receive buffer is full, so the peer must stop sending and probe (RFC 9293 section 3.8.6.1)"
    ),
    Why.OLD_ACK: _old_ack,
    Why.ACK_NEVER_SENT: _ack_never_sent,
    Why.ACKS_CAPTURE_DROPS: _acks_capture_drops,
    Why.NOT_FOR_THE_SYN: _not_for_the_syn,
    Why.UNSEEN_SENT: _unseen_sent,
    Why.WINDOW_UPDATE: _window_update,
    Why.PROBE_ANSWER: lambda probe: f"the answer to a {probe}: the same ACK again, which shows the peer is alive",
    Why.DUPLICATE_ACK: _duplicate_ack,
    Why.HANDSHAKE_COMPLETE: _constant("it acknowledges the SYN,ACK: the three-way handshake is complete"),
    Why.FIN_ACKED: lambda ack: f"it acknowledges the peer's FIN (ack {ack} = FIN + 1)",
    Why.NEW_ISN: _new_isn,
    Why.SYN: _syn,
    Why.SYN_WITH_DATA: _syn_with_data,
    Why.CROSSED_SYN: _crossed_syn,
    Why.SYN_RESENT: _constant(_SYN_RESENT),
    Why.SYN_UNANSWERED: _constant(_SYN_RESENT + "; the SYN,ACK seen before " + _NOT_REACHED),
    Why.SYN_COPY: _syn_copy,
    Why.ECN_ASKED: _constant(
        "ECE and CWR together ask to use Explicit Congestion Notification: routers may then mark packets "
        "instead of dropping them (RFC 3168 section 6.1.1)"
    ),
    Why.OPTIONS_CUT: _constant(
        "the snap length cut its options short, so whether it offered window scaling is unknown: the windows "
        "are shown as sent, and data is not tested against them"
    ),
    Why.MISSED_FIRST: _constant(
        "the capture missed the first one, so this side's numbers had been counted from its next segment"
    ),
    Why.ACKED_FIRST: _constant("the capture missed the first one, whose ISN the peer's ACK of it had shown"),
    Why.SYN_NEEDS: lambda first, with_data: (
        f"{first}" if with_data is None else f"{first} (or {with_data} with its data)"
    ),
    Why.SYN_ACK_WRONG_ACK: _syn_ack_wrong_ack,
    Why.SYN_ACK: _syn_ack,
    Why.SYN_ACK_TAKES_DATA: _syn_ack_takes_data,
    Why.SYN_ACK_LEAVES_DATA: _syn_ack_leaves_data,
    Why.SIMULTANEOUS_SYN_ACK: _simultaneous_syn_ack,
    Why.SYN_ACK_RESENT: _constant(_SYN_ACK_RESENT),
    Why.SYN_ACK_UNANSWERED: _constant(_SYN_ACK_RESENT + "; the ACK seen before " + _NOT_REACHED),
    Why.SYN_ACK_LEFTOVER: _syn_ack_leftover,
    Why.RENUMBERED: _renumbered,
    Why.STILL_SYN_RECEIVED: _constant(
        "this side was taken to be ESTABLISHED (the capture began mid-connection), but a SYN,ACK shows it "
        "still in SYN-RECEIVED: the ACK that completes the handshake has not reached it"
    ),
    Why.SYN_DATA_UNSEEN: _syn_data_unseen,
    Why.SCALING_ON: lambda mine, theirs: f"window scaling is on (shift {mine} and {theirs}, RFC 7323)",
    Why.SCALE_TOO_LARGE: lambda shift: (
        f"its window scale {shift} is more than 14, so 14 is used (RFC 7323 section 2.3)"
    ),
    Why.ECN_AGREED: _constant(
        "ECE without CWR agrees to use Explicit Congestion Notification (RFC 3168 section 6.1.1)"
    ),
    Why.LATE_SYN_ACK: _late_syn_ack,
    Why.SYN_ACK_TO_ANOTHER_SENDING: _syn_ack_to_another_sending,
    Why.UNSEEN_SYN_ACK_HELD: _constant("its sender has a SYN,ACK this capture never saw, so it is ESTABLISHED"),
    Why.UNSEEN_SYN_ACK: _unseen_syn_ack,
    Why.HANDSHAKE_END_UNSEEN: _constant(
        "it acknowledges data the peer sent after its SYN, which carried the ACK that completes the handshake "
        "(not in this capture), so its sender is ESTABLISHED"
    ),
    Why.OLDER_CONNECTIONS_ACK: _older_connections_ack,
    Why.RST_NO_WINDOW: _constant("the receiver never acknowledged anything, so there is no window to test it against"),
    Why.RST_REFUSED: _constant("it acknowledges the SYN, so the connection is refused: nothing listens on that port"),
    Why.RST_NOT_FOR_THE_SYN: _constant(
        "it does not acknowledge the SYN, and SYN-SENT takes a RST only if it does (RFC 9293 section 3.10.7.3)"
    ),
    Why.RST_PAST_HANDSHAKE: _rst_past_handshake,
    Why.RST_IN_WINDOW: _constant(
        "its seq is inside the receiver's window, so it is accepted (RFC 9293 section 3.10.7.4)"
    ),
    Why.RST_OUTSIDE_WINDOW: _constant("its seq is outside the receiver's window (RFC 9293 section 3.10.7.4)"),
    Why.RST_PAST_GAP: _rst_past_gap,
    Why.RST_IGNORED: lambda where: f"RST: {where}, so a correct stack ignores it.",
    Why.RST_OUTSIDE: _constant(
        "RST outside the window: a correct stack ignores it (RFC 9293 section 3.10.7.4, RFC 5961)"
    ),
    Why.RST_FROM_NO_CONNECTION: _constant(
        "seq = the ack of the segment it answers, and no ACK bit: the answer of a side with no "
        "connection (RFC 9293 section 3.10.7.1), which has closed it already or lost it (its host restarted: "
        "the connection was half-open, RFC 9293 section 3.5.1)"
    ),
    Why.RST_OLD_DUPLICATE_SYN: _constant(
        "seq = the ack of the SYN,ACK it answers, and no ACK bit: the answer of a side with no connection "
        "for it, so the SYN that SYN,ACK acknowledges was an old duplicate (RFC 9293 section 3.5, Figure 9)"
    ),
    Why.RST_CLOSED_SIDE: _rst_closed_side,
    Why.CLOSE_NOT_CAPTURED: _constant(
        "this capture never saw it close (its FIN was not captured, or it aborted or lost the connection), but a "
        "side with a connection would answer with an ACK, or abort at its SND.NXT (RFC 9293 sections 3.5.2, 3.10.5)"
    ),
    Why.RST_OLDER_CONNECTION: _rst_older_connection,
    Why.RST_NOTHING_LISTENS: _constant(
        "RST: nothing listens on this port any more, and this is its answer to the copy of the peer's SYN "
        "(seq 0 and ack = the SYN's ISN + 1, RFC 9293 section 3.10.7.1); the peer, whose connection has "
        "gone past SYN-SENT, finds it outside its window and ignores it (RFC 9293 section 3.10.7.4), as it "
        "should."
    ),
    Why.RST_ABORT_PAST_WINDOW: _rst_abort_past_window,
    Why.RST_BEFORE_UNSEEN: _rst_before_unseen,
    Why.RST_RESETS: _rst_resets,
    Why.STILL_OPEN: lambda a, b: f"the capture ends with the connection still open ({a} / {b})",
    Why.LATE_PACKETS: _late_packets,
    Why.SELF_CONNECTED: _constant("a socket connected to itself: both ends are the same address and port"),
    Why.MIDSTREAM: _constant(
        "the capture starts mid-connection: both sides are taken to be ESTABLISHED, numbers are "
        "relative to the first packet each side sent, and window scaling is unknown"
    ),
    Why.SYN_MISSED: _syn_missed,
}
