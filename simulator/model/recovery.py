"""Loss recovery with SACK: the scoreboard (RFC 6675) and RACK-TLP loss detection (RFC 8985), sans-IO.

The sender keeps, for each segment of its retransmission queue, whether the peer's SACK blocks
covered it (``sacked``), whether it counts as lost (``lost``) and whether it went again since
(``resent``), and when it last went out (``last_sent``).  This module reads and marks those flags;
the endpoint decides what to send.

- The scoreboard (RFC 6675 section 4): ``mark_sacked`` from the peer's blocks, ``IsLost`` as
  ``mark_lost_by_sack``, ``pipe`` (SetPipe) and ``next_lost`` (NextSeg's first rule).
- RACK (RFC 8985 section 6, Linux's tcp_recovery.c): a segment is lost once a segment sent after
  it has been delivered and more than the RACK RTT plus a reordering window has passed since it
  went out; ``Rack`` keeps that state.
- TLP (RFC 8985 section 7, Linux's tcp_schedule_loss_probe): ``probe_timeout``.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from .seq import SeqNum

DUPTHRESH = 3  # RFC 6675 section 2 (and RFC 5681 3.2): three duplicate ACKs, or three segments SACKed above
REO_WND_PERSIST = 16  # RFC 8985 6.2 step 4 (Linux's TCP_RACK_RECOVERY_THRESH): recoveries a wider window lasts
LINUX_TIMEOUT_MIN = 0.002  # Linux TCP_TIMEOUT_MIN_US: 2 ms added to the reordering and probe timers


class LossDetection(enum.StrEnum):
    """How a sender with SACK decides a segment is lost (``loss_detection = ...``)."""

    DUPACK = "dupack"  # RFC 5681 3.2 / RFC 6675 4 IsLost: by counting duplicate ACKs and SACKed segments
    RACK = "rack"  # RFC 8985: by time, with a tail loss probe (Linux's net.ipv4.tcp_recovery = 1)


class Tracked(Protocol):
    """A segment of the retransmission queue, as the scoreboard sees it."""

    seq: SeqNum
    end: SeqNum
    sacked: bool
    lost: bool
    resent: bool
    last_sent: float
    sent_at: float  # when it first went out


T = TypeVar("T", bound=Tracked)


def valid_blocks(blocks: Iterable[tuple[SeqNum, SeqNum]], una: SeqNum) -> list[tuple[SeqNum, SeqNum]]:
    """The blocks that report data held above SND.UNA: a block at or below it is a D-SACK (RFC 2883 4)."""
    return [(start, end) for start, end in blocks if una < end and una <= start < end]


def mark_sacked(entries: Iterable[T], blocks: Sequence[tuple[SeqNum, SeqNum]]) -> list[T]:
    """Mark each segment a block covers whole (RFC 6675 section 5: update the scoreboard); return them."""
    newly: list[T] = []
    if not blocks:
        return newly
    for entry in entries:
        if entry.sacked:
            continue
        if any(start <= entry.seq and entry.end <= end for start, end in blocks):
            entry.sacked = True
            newly.append(entry)
    return newly


def mark_lost_by_sack(entries: Sequence[T], mss: int) -> list[T]:
    """RFC 6675 section 4, IsLost: a segment is lost once DupThresh segments, or more than
    (DupThresh - 1) * SMSS bytes, above it have been SACKed.  Marks and returns those newly lost."""
    newly: list[T] = []
    count = sacked_bytes = 0
    for entry in reversed(entries):
        if entry.sacked:
            count += 1
            sacked_bytes += entry.end.since(entry.seq)
        elif not entry.lost and (count >= DUPTHRESH or sacked_bytes > (DUPTHRESH - 1) * mss):
            entry.lost = True
            newly.append(entry)
    newly.reverse()
    return newly


def pipe(entries: Iterable[Tracked]) -> int:
    """RFC 6675 section 4, SetPipe: the bytes still in the network.  A segment neither SACKed nor lost
    counts once; a retransmission counts once more (Linux: packets_out - sacked - lost + retrans)."""
    total = 0
    for entry in entries:
        if entry.sacked:
            continue
        size = entry.end.since(entry.seq)
        if not entry.lost:
            total += size
        if entry.resent:
            total += size
    return total


def next_lost(entries: Iterable[T]) -> T | None:
    """RFC 6675 section 4, NextSeg rule 1: the first segment lost, not SACKed and not yet sent again."""
    for entry in entries:
        if entry.lost and not entry.resent and not entry.sacked:
            return entry
    return None


def sacked_count(entries: Iterable[Tracked]) -> int:
    """How many segments the peer has SACKed (Linux's sacked_out)."""
    return sum(1 for entry in entries if entry.sacked)


def _sent_after(t1: float, end1: SeqNum, t2: float, end2: SeqNum) -> bool:
    """RFC 8985 6.2's RACK_sent_after: later, or at the same time but further in sequence space."""
    return t1 > t2 or (t1 == t2 and end1 > end2)


@dataclass(slots=True)
class Rack:
    """RACK's state (RFC 8985 section 6.1): the most recently sent segment delivered, and its RTT."""

    xmit_ts: float = -1.0  # RACK.xmit_ts: when the most recently sent delivered segment went out
    end_seq: SeqNum | None = None  # RACK.end_seq
    rtt: float = 0.0  # RACK.rtt: the RTT of that segment
    min_rtt: float | None = None  # the smallest RTT seen (Linux's tcp_min_rtt)
    reordering_seen: bool = False  # RACK.reordering_seen (Linux's tp->reord_seen)
    advanced: bool = False  # a new segment was delivered since the last detection (Linux's rack.advanced)
    highest_sacked: SeqNum | None = None  # the end of the highest segment SACKed so far
    reo_wnd_mult: int = 1  # RACK.reo_wnd_mult: grows by one per round trip that sees a D-SACK (Linux's reo_wnd_steps)
    reo_wnd_persist: int = 0  # RACK.reo_wnd_persist: recoveries left before the multiplier goes back to 1
    dsack_round: SeqNum | None = None  # RACK.dsack_round: SND.NXT when the multiplier last grew

    def sample(self, rtt: float) -> None:
        """An RTT measurement of the connection (for min_rtt)."""
        if self.min_rtt is None or rtt < self.min_rtt:
            self.min_rtt = rtt

    def delivered(self, entry: Tracked, now: float) -> None:
        """RFC 8985 6.2 step 2 (RACK_update): ``entry`` was SACKed or cumulatively acknowledged."""
        rtt = now - entry.last_sent
        if entry.resent and self.min_rtt is not None and rtt < self.min_rtt:
            return  # an ACK of the original, not of the retransmission: no RTT from it
        if self.highest_sacked is not None and entry.end < self.highest_sacked and not entry.resent:
            self.reordering_seen = True  # RFC 8985 6.2 step 3: delivered below something delivered before
        self.advanced = True
        self.rtt = rtt
        if self.end_seq is None or _sent_after(entry.last_sent, entry.end, self.xmit_ts, self.end_seq):
            self.xmit_ts, self.end_seq = entry.last_sent, entry.end

    def sacked(self, entry: Tracked) -> None:
        """Remember how far SACKs reach, to see reordering."""
        if self.highest_sacked is None or entry.end > self.highest_sacked:
            self.highest_sacked = entry.end

    def on_ack(self, snd_una: SeqNum, snd_nxt: SeqNum, *, dsack: bool) -> None:
        """RFC 8985 6.2 step 4 (RACK_update_reo_wnd; Linux's tcp_rack_update_reo_wnd): a D-SACK says the window
        was too small: widen it by min_RTT / 4, once per round trip, and keep it for 16 recoveries."""
        if self.dsack_round is not None and snd_una >= self.dsack_round:
            self.dsack_round = None
        if dsack and self.dsack_round is None:
            self.dsack_round = snd_nxt
            self.reo_wnd_mult += 1
            self.reo_wnd_persist = REO_WND_PERSIST

    def recovery_over(self) -> None:
        """RFC 8985 6.2 step 4: one more recovery without a D-SACK; after 16 the window is min_RTT / 4 again."""
        self.reo_wnd_persist -= 1
        if self.reo_wnd_persist <= 0:
            self.reo_wnd_mult, self.reo_wnd_persist = 1, 0

    def reo_wnd(self, recovering: bool, sacked: int, srtt: float) -> float:
        """RFC 8985 6.2 step 4 as Linux's tcp_rack_reo_wnd: none while no reordering has been seen and the
        sender recovers or DupThresh segments are SACKed; else reo_wnd_mult x min_RTT / 4, at most SRTT."""
        if not self.reordering_seen and (recovering or sacked >= DUPTHRESH):
            return 0.0
        return min(self.reo_wnd_mult * (self.min_rtt or 0.0) / 4, srtt)

    def detect(self, entries: Iterable[Tracked], now: float, reo_wnd: float) -> tuple[list[Tracked], float]:
        """RFC 8985 6.2 step 5 (RACK_detect_loss): mark lost what was sent before the most recently
        delivered segment more than RACK.rtt + reo_wnd ago.  Returns the newly lost and how long until
        the next one could be (0: none waits)."""
        self.advanced = False
        newly: list[Tracked] = []
        wait = 0.0
        if self.end_seq is None:
            return newly, wait
        for entry in entries:  # in sequence order: segments never sent again went out in this order too
            if entry.sacked or (entry.lost and not entry.resent):
                continue
            if not _sent_after(self.xmit_ts, self.end_seq, entry.last_sent, entry.end):
                if entry.last_sent == entry.sent_at:
                    break  # neither this one nor any later first transmission was sent before
                continue
            remaining = self.rtt + reo_wnd - (now - entry.last_sent)
            if remaining <= 1e-9:
                entry.lost, entry.resent = True, False
                newly.append(entry)
            else:
                wait = max(wait, remaining)
        return newly, wait


def probe_timeout(srtt: float | None, segments_out: int, rto_min: float, tick: float | None = None) -> float:
    """RFC 8985 7.2 as Linux's tcp_schedule_loss_probe: PTO = 2 * SRTT, plus 2 ms, or plus the minimum RTO
    when a single segment is out (its ACK may be delayed); 1 s before any RTT sample.  With a timer
    ``tick`` (Linux's jiffy), the time is rounded up to whole ticks (usecs_to_jiffies) and the timer fires
    on a tick boundary one tick later at most: a loopback probe 2 ms + 2 x SRTT out goes after 8 ms at
    CONFIG_HZ=250 (captures show it 4.7 to 7.9 ms after the last ACK; the model takes the later)."""
    pto = 1.0 if srtt is None else 2 * srtt + (rto_min if segments_out == 1 else LINUX_TIMEOUT_MIN)
    return in_ticks(pto, tick)


def reorder_timeout(wait: float, tick: float | None = None) -> float:
    """RFC 8985 6.3 as Linux's tcp_rack_mark_lost (since 6.7): what is left of the reordering window plus
    2 ms (TCP_TIMEOUT_MIN_US), in whole ticks as the probe timer: at CONFIG_HZ=250 a window with 1.6 ms
    left fires 8 ms on, after the next ACK behind a 6.4 ms ACK spacing, as the live test's kernel does."""
    return in_ticks(wait + LINUX_TIMEOUT_MIN, tick)


def in_ticks(delay: float, tick: float | None) -> float:
    """A Linux timer of ``delay`` counted in jiffies of ``tick``: rounded up to whole ticks
    (usecs_to_jiffies), firing on a tick boundary, the later one (one tick more); None: exact."""
    if not tick:
        return delay
    return (math.ceil(delay / tick - 1e-9) + 1) * tick
