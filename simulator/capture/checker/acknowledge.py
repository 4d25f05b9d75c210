"""The ACK field (RFC 9293 section 3.10.7.4, fifth check)."""

from __future__ import annotations

from ...model.segment import RST_BIT
from ...model.seq import SeqNum
from ..connections import Packet
from ..labels import Label
from .fin import _FIN_ACKED
from .handshake import _acks_syn, _opens_later, _syn_needs
from .observer import _CONTROL, S, _Observer, _rel, after, record_ack
from .sentences import Sentence, Why, say

_PURE_ACK = Label.PURE_ACK  # (read for most packets: once here, not through the enum each time)
# The answer to a probe is labelled as Wireshark labels it: the probe's label and "ACK".
_PROBE_ACK = {Label.KEEP_ALIVE: Label.KEEP_ALIVE_ACK, Label.ZERO_WINDOW_PROBE: Label.ZERO_WINDOW_PROBE_ACK}


def _acknowledgement(
    p: Packet, seglen: int, s: _Observer, r: _Observer, *, described: bool, after_gap: bool
) -> tuple[list[str], list[Sentence], str | None]:
    """The ACK field of a segment from ``s`` to ``r``: what it acknowledges, what kind of ACK it is (RFC 5681
    section 2 for a duplicate), the window it gives; ``described``: the segment has labels already."""
    labels: list[str] = []
    ack = p.ack
    window = p.window << s.scale if s.scale is not None else p.window
    sentence, departure = _news(p, s, r, labels)
    old = s.acked is not None and ack < s.acked and not seglen
    if old:
        labels.append(Label.OLD_ACK)
    pure = not seglen and not p.flags & _CONTROL
    previous = s.last_pure_ack
    if pure:
        kind = _kind_of_pure_ack(p, s, r, window, labels, old=old, described=described, after_gap=after_gap)
        sentence = sentence or kind
    if previous is None or previous[0] != ack:
        s.dup_acks = 0
    phrases = [sentence] if sentence is not None else []
    _zero_window(p, s, window, labels, phrases)
    if pure and not phrases and not described:
        phrases.append(_old_ack(ack, s, r) if old else Sentence(Why.EVERY_BYTE_BEFORE, (ack, r.isn)))
    if pure:
        s.last_pure_ack = (ack, window)
    record_ack(s, ack, window)
    moved = _ack_moves(ack, r)
    if moved is not None:
        phrases = [moved, *phrases] if _PURE_ACK not in labels else [moved]
    return labels, phrases, departure


_ZERO_WINDOW = Sentence(Why.ZERO_WINDOW, ())


def _zero_window(p: Packet, s: _Observer, window: int, labels: list[str], phrases: list[Sentence]) -> None:
    """A zero window (not on a RST): the peer must stop sending and probe (RFC 9293 section 3.8.6.1)."""
    if window != 0 or p.flags & RST_BIT:
        return
    s.zero_seen = True
    labels.append(Label.ZERO_WINDOW)
    phrases.append(_ZERO_WINDOW)


def _old_ack(ack: SeqNum, s: _Observer, r: _Observer) -> Sentence:
    assert s.acked is not None
    return Sentence(Why.OLD_ACK, (_rel(ack, r.isn), _rel(s.acked, r.isn)))


def _news(p: Packet, s: _Observer, r: _Observer, labels: list[str]) -> tuple[Sentence | None, str | None]:
    """What the ack says of the receiver's sending: data it never sent (a departure), an ACK that does not
    fit its SYN, bytes the capture never saw sent; its sentence and departure."""
    ack, base = p.ack, r.isn
    covered = [(start, end) for start, end in r.missed.holes if start < ack]  # gaps this ACK reaches into
    if covered:  # a gap the receiver acknowledges will not be filled: it was the capture's loss
        r.missed.holes = [(ack if start < ack else start, end) for start, end in r.missed.holes if ack < end]
    # Beyond all the receiver is seen to send, and it is seen again after this ACK at its SND.NXT (not
    # resending), still short of it.  A capture that missed its last segments and shows nothing new from
    # it afterwards cannot tell: see the branch below.
    short = _short_of(ack, r, p)
    if short is not None:
        return None, say(Why.ACK_NEVER_SENT, _rel(ack, base), _rel(short, base))
    if r.state is S.SYN_SENT and r.isn is not None and not _acks_syn(ack, r) and not _opens_later(r):
        return _not_for_the_syn(p, s, r, labels), None
    if r.nxt is not None and ack > r.nxt and (r.missed.unseen_acked is None or ack > r.missed.unseen_acked):
        return _unseen_sent(p, r, labels), None
    if covered:
        gaps = tuple((_rel(start, base), _rel(min(end, ack), base)) for start, end in covered)
        labels.append(Label.ACK_LOST_SEGMENT)
        return Sentence(Why.ACKS_CAPTURE_DROPS, (gaps,)), None
    return None, None


def _not_for_the_syn(p: Packet, s: _Observer, r: _Observer, labels: list[str]) -> Sentence:
    """An ACK to a side in SYN-SENT that does not acknowledge its SYN (RFC 9293 section 3.10.7.3)."""
    labels.append(Label.ACK_NEVER_SENT)
    if s.state is S.SYN_RECEIVED:
        s.state = S.ESTABLISHED  # it answered the SYN from the older, synchronized connection it holds
    return Sentence(Why.NOT_FOR_THE_SYN, (int(p.ack), _syn_needs(r)))


def _unseen_sent(p: Packet, r: _Observer, labels: list[str]) -> Sentence:
    """An ACK past all the receiver was seen to send: the capture missed it (a departure only by _short_of)."""
    ack = p.ack
    r.missed.unseen_acked = ack  # said once: the ACKs after it that ask for no more are not news
    labels.append(Label.ACK_LOST_SEGMENT)
    later = r.ahead.nxt is not None and r.nxt is not None and r.ahead.nxt > r.nxt  # past a gap, say
    no_later = not later and (r.ahead.packet is None or r.ahead.packet.number <= p.number)
    return Sentence(Why.UNSEEN_SENT, (_rel(ack, r.isn), no_later))


def _kind_of_pure_ack(
    p: Packet,
    s: _Observer,
    r: _Observer,
    window: int,
    labels: list[str],
    *,
    old: bool,
    described: bool,
    after_gap: bool,
) -> Sentence | None:
    """A pure ACK: a window update, the answer to a probe, a duplicate ACK or a plain one; its sentence."""
    ack, last, previous = p.ack, s.last_numbers, s.last_pure_ack
    if after_gap:
        return None  # the capture missed segments of this side: the ACK and window they carried are unknown
    if last is not None and p.seq == s.nxt and last[0] == ack and window != last[1]:
        # Wireshark's rule: no data, seq at the next byte to send (SND.NXT as seen: after a
        # retransmission that is not where the latest segment ended), the latest ack, a new window
        labels.append(Label.WINDOW_UPDATE)
        return Sentence(Why.WINDOW_UPDATE, (last[1], window))
    if r.probing:
        labels.append(_PROBE_ACK[r.probing])
        return Sentence(Why.PROBE_ANSWER, (r.probing,))
    if (
        not old  # (a copy of an old ACK repeats nothing its sender still asks for)
        and previous == (ack, window)
        and window != 0
        and r.nxt is not None
        and ack < r.nxt
    ):
        # RFC 5681 section 2: same ACK, same window, no data, data outstanding.
        s.dup_acks += 1
        labels.append(Label.DUPLICATE_ACK.numbered(s.dup_acks))
        return Sentence(Why.DUPLICATE_ACK, (s.dup_acks, _rel(ack, r.isn)))
    if not described:
        labels.append(_PURE_ACK)
    return None


def _short_of(ack: SeqNum, r: _Observer, p: Packet) -> SeqNum | None:
    """The receiver's SND.NXT, when ``ack`` (of packet ``p``) is beyond all it is seen to send and it is seen
    again after ``p``, sending after it, at its SND.NXT (not resending), still short of it: no capture gap
    explains that ack.  A segment without data, SYN or FIN is at SND.NXT, or at SND.NXT - 1 if it is a
    keep-alive (RFC 1122 section 4.2.3.6): one more is allowed after it.  A segment with data shows nothing:
    its bytes lie below that ack, so the receiver may have had them (a resend, or a copy held up on the way);
    the sender's answer to an ACK of data never sent is an ACK at its SND.NXT (RFC 9293 section 3.10.7.4)."""
    final, shown = r.ahead.nxt, r.ahead.packet
    if final is None or not ack > final or r.isn is None or shown is None or shown.number <= p.number:
        return None
    if shown.length:
        return None
    if r.ahead.bare and ack == final + 1:
        return None
    return None if _sent_before(shown, p) else final


def _sent_before(later: Packet, p: Packet) -> bool:
    """``later``, captured after ``p``, was sent no later than a segment of its sender that ``p``'s sender had
    received when it sent ``p``: its TSval is not past the TSecr ``p`` echoes (RFC 7323 section 4.3).  It came
    late (duplicated, or held up on a slower way, or captured late), and shows nothing of where its sender was
    after ``p``.  Without timestamps the capture's order is all there is."""
    stamp, echo = later.options.timestamps, p.options.timestamps
    # (timestamps compare on the same 32-bit circle as sequence numbers, RFC 7323 section 5.2)
    return stamp is not None and echo is not None and not SeqNum(stamp[0]) > echo[1]


def _ack_moves(ack: SeqNum, r: _Observer) -> Sentence | None:
    """The receiver's moves when its SYN or FIN is acknowledged (RFC 9293 section 3.10.7.4)."""
    if r.state is S.SYN_RECEIVED and r.isn is not None and after(ack, r.isn):
        r.state = S.ESTABLISHED
        return _HANDSHAKE_COMPLETE
    if r.fin is not None and after(ack, r.fin) and r.state in _FIN_ACKED:
        r.state = _FIN_ACKED[r.state]
        return _tuple_new(Sentence, (_SAYS_FIN_ACKED, (_rel(ack, r.isn),)))  # (see fastpath._SAYS_DATA)
    return None


_HANDSHAKE_COMPLETE = Sentence(Why.HANDSHAKE_COMPLETE, ())
_SAYS_FIN_ACKED = Why.FIN_ACKED
_tuple_new = tuple.__new__
