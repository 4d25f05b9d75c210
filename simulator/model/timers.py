"""Timers: which ones an endpoint keeps, and the RFC 6298 retransmission timeout."""

from __future__ import annotations

import enum

from .keys import TimerKey


class Timer(enum.Enum):
    """The timers of one connection; each one's value is the key of its sentence."""

    # Members compare by identity, so hash by identity too (Enum's own hash
    # goes through the member name and is slow in the model's hot path).
    __hash__ = object.__hash__

    RETRANSMIT = TimerKey.RETRANSMIT  # RFC 6298
    PERSIST = TimerKey.PERSIST  # zero-window probe, RFC 9293 section 3.8.6.1
    DELAYED_ACK = TimerKey.DELAYED_ACK  # RFC 1122 section 4.2.3.2
    TIME_WAIT = TimerKey.TIME_WAIT  # 2*MSL, RFC 9293 section 3.10.7.4
    ESTABLISH = TimerKey.ESTABLISH  # give up a handshake (TCP_KEEPINIT, RFC 1122 R2 for SYNs)
    KEEPALIVE = TimerKey.KEEPALIVE  # probe a quiet peer (SO_KEEPALIVE), RFC 1122 section 4.2.3.6
    REORDER = TimerKey.REORDER  # RACK's reordering window, RFC 8985 section 6.3
    LOSS_PROBE = TimerKey.LOSS_PROBE  # the tail loss probe, RFC 8985 section 7.2


class RtoEstimator:
    """Smoothed RTT and retransmission timeout, RFC 6298 sections 2 and 5."""

    __slots__ = ("backoff", "base", "floor_on_variance", "g", "max_rto", "min_rto", "rto", "rttvar", "slop", "srtt")

    def __init__(
        self,
        initial: float,
        minimum: float,
        maximum: float,
        granularity: float,
        slop: float = 0.0,
        *,
        floor_on_variance: bool = False,
    ) -> None:
        self.srtt: float | None = None
        self.rttvar = 0.0
        self.rto = initial  # section 2.1: until a sample, RTO = 1 s
        self.min_rto = minimum
        self.max_rto = maximum
        self.g = granularity
        self.backoff = 0  # times the timer has expired for the same segment
        self.base = initial  # the RTO before any slop is added
        self.slop = slop  # FreeBSD adds rexmit_slop to each computed RTO
        self.floor_on_variance = floor_on_variance  # Linux: the minimum bounds the variance term, not the RTO

    def sample(self, r: float) -> None:
        """Take one RTT measurement R (only from segments never retransmitted: Karn)."""
        if self.srtt is None:  # section 2.2: the first measurement
            self.srtt = r
            self.rttvar = r / 2
        else:  # section 2.3, alpha = 1/8, beta = 1/4
            self.rttvar = 0.75 * self.rttvar + 0.25 * abs(self.srtt - r)
            self.srtt = 0.875 * self.srtt + 0.125 * r
        if self.floor_on_variance:  # Linux's tcp_set_rto: RTO = SRTT + max(4 * RTTVAR, tcp_rto_min)
            rto = self.srtt + max(self.g, 4 * self.rttvar, self.min_rto)
        else:
            rto = self.srtt + max(self.g, 4 * self.rttvar)
        self.base = min(max(rto, self.min_rto), self.max_rto)  # section 2.4 and 2.5
        self.rto = self.base + self.slop
        self.backoff = 0

    def back_off(self) -> None:
        """Section 5.5: on expiry, RTO = RTO * 2 (bounded by the maximum)."""
        self.base = min(self.base * 2, self.max_rto)
        self.rto = self.base + self.slop
        self.backoff += 1
