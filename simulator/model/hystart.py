"""HyStart: leaving slow start before the first loss, as Linux's CUBIC does (tcp_cubic.c, ``hystart``).

Slow start doubles cwnd each round trip until a loss; by then the queue has overflowed by up to a
whole window.  HyStart (Ha and Rhee, "Taming the elephants", 2011; Linux's default since 2.6.29)
watches each round of ACKs for two signs that the path is full and, at the first, sets ssthresh to
cwnd so that congestion avoidance takes over:

- the ACK train: ACKs arriving close together (at most 2 ms apart) for longer than half the
  minimum RTT since the round began: the round's data has filled the path;
- the delay increase: the smallest RTT of the round's first 8 ACKs exceeds the minimum RTT by
  more than an eighth of it (clamped to 4 .. 16 ms): a queue is building.

Only once cwnd reaches 16 segments (``hystart_low_window``); a round ends when SND.UNA passes the
SND.NXT of its start.  Sans-IO, times in seconds.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .seq import SeqNum

LOW_WINDOW = 16  # hystart_low_window: segments
ACK_DELTA = 0.002  # hystart_ack_delta_us: ACKs of one train are at most 2 ms apart
MIN_SAMPLES = 8  # HYSTART_MIN_SAMPLES: RTT samples per round for the delay test
DELAY_MIN, DELAY_MAX = 0.004, 0.016  # HYSTART_DELAY_MIN / MAX: the delay threshold's clamp


class Found(enum.Enum):
    """Which sign ended slow start."""

    ACK_TRAIN = "ack_train"
    DELAY = "delay"


@dataclass(slots=True)
class HyStart:
    """One sender's HyStart state (Linux's bictcp fields round_start, last_ack, end_seq, curr_rtt...)."""

    delay_min: float | None = None  # the smallest RTT seen
    round_start: float = 0.0
    last_ack: float = 0.0
    end_seq: SeqNum | None = None  # the round ends when this is acknowledged
    curr_rtt: float | None = None  # the smallest RTT of this round's first samples
    samples: int = 0
    found: Found | None = None

    def reset(self, now: float, snd_nxt: SeqNum) -> None:
        """A new round begins (bictcp_hystart_reset)."""
        self.round_start = self.last_ack = now
        self.end_seq = snd_nxt
        self.curr_rtt = None
        self.samples = 0

    def restart(self) -> None:
        """After a loss: look again in the next slow start."""
        self.found = None
        self.end_seq = None

    def on_ack(
        self, now: float, rtt: float | None, snd_una: SeqNum, snd_nxt: SeqNum, cwnd_segments: int
    ) -> Found | None:
        """An ACK in slow start with an RTT sample; returns the sign found now, if one is."""
        if rtt is None:
            return None
        rtt = max(rtt, 1e-6)
        if self.delay_min is None or rtt < self.delay_min:
            self.delay_min = rtt
        if self.end_seq is None or snd_una > self.end_seq:  # the round is over: a new one
            self.reset(now, snd_nxt)
        if self.found is not None or cwnd_segments < LOW_WINDOW:
            return None
        if now - self.last_ack <= ACK_DELTA + 1e-9:  # the ACK train goes on
            self.last_ack = now
            if now - self.round_start > self.delay_min / 2:
                self.found = Found.ACK_TRAIN
                return self.found
        if self.curr_rtt is None or rtt < self.curr_rtt:
            self.curr_rtt = rtt
        if self.samples < MIN_SAMPLES:
            self.samples += 1
        elif self.curr_rtt > self.delay_min + min(max(self.delay_min / 8, DELAY_MIN), DELAY_MAX):
            self.found = Found.DELAY
            return self.found
        return None
