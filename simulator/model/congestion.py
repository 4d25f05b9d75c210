"""Congestion control of one sender: cwnd, ssthresh and the rules that move them (sans-IO).

The endpoint tells a ``Congestion`` what happened (an ACK of new data, a duplicate ACK, a
retransmission timeout) and asks how much it may have in flight; each change comes back as a
``Change`` whose key selects a sentence in ``explain.CONGESTION``.  Everything is in bytes, in
RFC 5681's words: cwnd, ssthresh, FlightSize (SND.NXT - SND.UNA), SMSS.

- ``none``: no congestion window; the peer's window alone limits the sender (RFC 9293's flow
  control, the first lessons).
- ``reno``: RFC 5681 slow start and congestion avoidance, byte counting (RFC 3465), fast
  retransmit with NewReno fast recovery (RFC 6582); FreeBSD's default ``newreno`` and Linux's
  ``reno`` module.
- ``cubic``: RFC 9438 (Linux's default since 2.6.19) over the same loss recovery.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from .hystart import Found, HyStart
from .keys import CongestionKey
from .seq import SeqNum

# RFC 9438 section 4.1: C and beta_cubic, and the Reno-friendly alpha of section 4.3.
CUBIC_C = 0.4
CUBIC_BETA = 0.7
CUBIC_ALPHA = 3 * (1 - CUBIC_BETA) / (1 + CUBIC_BETA)
# RFC 3465 section 2.3: slow start grows by at most L = 2 SMSS per ACK (the default of ``slow_start_limit``).
ABC_LIMIT = 2


class Algorithm(enum.StrEnum):
    """The congestion control an endpoint uses (``congestion = ...`` in a scenario)."""

    NONE = "none"
    RENO = "reno"
    CUBIC = "cubic"


class Phase(enum.Enum):
    """Where the sender is: growing the window, or repairing a loss."""

    OPEN = "open"  # slow start or congestion avoidance
    FAST_RECOVERY = "fast_recovery"  # RFC 6582: after the third duplicate ACK, until recover is acknowledged
    LOSS = "loss"  # after a retransmission timeout, until recover is acknowledged


def initial_window(mss: int, segments: int | None) -> int:
    """IW in bytes: ``segments`` full segments (RFC 6928: 10), or RFC 5681 section 3.1's rule."""
    if segments is not None:
        return segments * mss
    if mss > 2190:
        return 2 * mss
    return 3 * mss if mss > 1095 else 4 * mss


@dataclass(frozen=True, slots=True)
class Change:
    """One change of cwnd or ssthresh, with the numbers its sentence needs."""

    key: CongestionKey
    args: tuple[tuple[str, object], ...]


class Congestion:
    """The congestion state of one sender (RFC 5681 section 3, RFC 6582, RFC 9438)."""

    def __init__(
        self,
        algorithm: Algorithm,
        initial_segments: int | None,
        *,
        prr: bool = False,
        hystart: bool = False,
        slow_start_limit: int = ABC_LIMIT,
        cwnd_limited_growth: bool = False,
        cubic_first_growth: float = 0.0,
        cubic_min_rtt: bool = False,
        ssthresh_from_cwnd: bool = False,
        cwr_prr: bool = False,
    ) -> None:
        self.algorithm = algorithm
        self.cwr_prr = cwr_prr  # after ECE, cwnd falls by PRR over the window (Linux's CWR state), not at once
        self.cwr_until: SeqNum | None = None  # reducing for an ECN echo until SND.UNA passes this (high_seq)
        self.cwr_to_send = False  # the next new data segment carries CWR (RFC 3168 6.1.2; TCP_ECN_QUEUE_CWR)
        # Linux's bictcp_update, beside RFC 9438: before the first loss cwnd grows at least this share of
        # itself per RTT (cnt <= 20: 5%), and the curve's target is taken one minimum RTT ahead (delay_min)
        self.cubic_first_growth = cubic_first_growth
        self.cubic_min_rtt = cubic_min_rtt
        self._min_rtt: float | None = None  # the smallest RTT sample (Linux's delay_min)
        self.ssthresh_from_cwnd = ssthresh_from_cwnd  # Reno halves cwnd (Linux), not FlightSize (RFC 5681)
        # Linux's tcp_is_cwnd_limited (RFC 7661's counterpart): cwnd grows only while the sender uses it
        self.cwnd_limited_growth = cwnd_limited_growth
        self._was_cwnd_limited = False  # tcp_cwnd_validate's is_cwnd_limited, for the window being tracked
        self._max_out = 0  # max_packets_out: the most segments out in that window
        self._usage_end: SeqNum | None = None  # cwnd_usage_seq: the tracked window ends when this is acknowledged
        self.slow_start_limit = slow_start_limit  # RFC 3465's L in segments; 0: all acknowledged (Linux)
        self._hystart = HyStart() if hystart else None  # CUBIC leaves slow start early (Linux's hystart)
        self.prr = prr  # in an RFC 6675 recovery, cwnd follows Proportional Rate Reduction (RFC 6937)
        self._prior_cwnd = 0  # RFC 6937's RecoverFS (Linux: prior_cwnd)
        self._prr_delivered = 0  # bytes delivered to the peer since recovery began
        self._prr_out = 0  # bytes sent since recovery began
        self.initial_segments = initial_segments
        self.mss = 0  # SMSS; 0 until the handshake is done
        self.cwnd = 0
        self.ssthresh: int | None = None  # None: "arbitrarily high" (RFC 5681 section 3.1)
        self.phase = Phase.OPEN
        self.recover: SeqNum | None = None  # RFC 6582: the highest sequence number sent when a loss was seen
        self.by_pipe = False  # this recovery is RFC 6675's: cwnd stays at ssthresh, the pipe limits sending
        self._bytes_acked = 0  # RFC 3465 section 2.1: acknowledged bytes counted in congestion avoidance
        # RFC 9438 section 4: the window before the last reduction, when the epoch began, and K
        self.w_max = 0.0  # in segments
        self._w_last_max = 0.0
        self._epoch: float | None = None
        self._cwnd_epoch = 0.0
        self._k = 0.0
        self._w_est = 0.0
        self._cnt = 0.0  # fractions of a segment CUBIC has added but not yet applied

    @property
    def active(self) -> bool:
        """A congestion window limits the sender (the algorithm is not ``none``, the handshake is done)."""
        return self.mss > 0

    def recovering_by_pipe(self) -> bool:
        """In an RFC 6675 recovery: the pipe, not FlightSize, is what cwnd limits."""
        return self.by_pipe and self.phase is Phase.FAST_RECOVERY

    def room(self, pipe: int) -> int | None:
        """How many more bytes may go out with ``pipe`` in the network; None: no limit."""
        return self.cwnd - pipe if self.mss else None

    # ------------------------------------------------------------ events
    def start(self, mss: int, *, syn_lost: bool) -> list[Change]:
        """The handshake is over: the initial window (RFC 5681 3.1, RFC 6928 2)."""
        if self.algorithm is Algorithm.NONE:
            return []
        self.mss = mss
        if syn_lost:  # RFC 5681 3.1 / RFC 6928 2: after a lost SYN or SYN,ACK, one segment
            self.cwnd = mss
            return [self._change(CongestionKey.INITIAL_WINDOW_AFTER_SYN_LOSS, 0)]
        self.cwnd = initial_window(mss, self.initial_segments)
        if self.initial_segments is None:
            return [self._change(CongestionKey.INITIAL_WINDOW_RFC5681, 0)]
        return [self._change(CongestionKey.INITIAL_WINDOW, 0, segments=self.initial_segments)]

    def on_ack(
        self,
        acked: int,
        flight: int,
        snd_una: SeqNum,
        now: float,
        srtt: float | None,
        *,
        rtt: float | None = None,
        snd_nxt: SeqNum | None = None,
        grow_by: int | None = None,
        ece: bool = False,
    ) -> list[Change]:
        """New data acknowledged: ``acked`` bytes, ``flight`` before the ACK, SND.UNA after it; ``rtt``: the
        ACK's RTT sample, ``snd_nxt``: SND.NXT (for HyStart's rounds); ``grow_by``: what cwnd grows by, if
        not ``acked`` (Linux's acked_sacked); ``ece``: the ACK echoes a congestion mark (RFC 3168)."""
        if not self.mss:
            return []
        grow = acked if grow_by is None else grow_by
        if rtt is not None and (self._min_rtt is None or rtt < self._min_rtt):
            self._min_rtt = rtt
        found = self._hystart_found(now, rtt, snd_una, snd_nxt)
        if self.phase is Phase.OPEN and (ece or self.cwr_until is not None) and snd_nxt is not None:
            return found + self._ecn_ack(grow, flight, snd_una, snd_nxt, now, srtt, ece)
        if self.phase is not Phase.OPEN:
            assert self.recover is not None
            if snd_una < self.recover:
                if self.phase is Phase.FAST_RECOVERY and self.by_pipe:
                    return []  # RFC 6675 section 5: cwnd stays; the scoreboard says what goes next
                if self.phase is Phase.FAST_RECOVERY:  # RFC 6582 3.2 step 5: a partial ACK
                    old = self.cwnd
                    self.cwnd = max(self.cwnd - acked + (self.mss if acked >= self.mss else 0), self.mss)
                    return [self._change(CongestionKey.PARTIAL_ACK, old, acked=acked, recover=int(self.recover))]
                return found + self._grow(grow, flight, now, srtt)  # after an RTO: slow start again
            was = self.phase
            self.phase = Phase.OPEN
            if was is Phase.FAST_RECOVERY:  # RFC 6582 3.2 step 6: a full ACK ends recovery
                old = self.cwnd
                self.cwnd = max(self.ssthresh or self.mss, self.mss)
                return [self._change(CongestionKey.FULL_ACK, old, recover=int(self.recover))]
        return found + self._grow(grow, flight, now, srtt)

    def _ecn_ack(
        self, delivered: int, flight: int, snd_una: SeqNum, snd_nxt: SeqNum, now: float, srtt: float | None, ece: bool
    ) -> list[Change]:
        """An ACK of new data with ECE, or while reducing for one (tcp_fastretrans_alert's CWR exit, then
        tcp_try_to_open's tcp_enter_cwr, then tcp_cong_control: PRR while reducing, else growth)."""
        changes = self.cwr_over(snd_una)
        entered = self.ecn_echo(flight, snd_nxt) if ece else []
        if self.cwr_until is not None and self.cwr_prr:
            pipe = snd_nxt.since(snd_una)
            return changes + entered + self.prr_ack(delivered, pipe, una_advanced=True, newly_lost=False)
        if entered:  # RFC 3168 6.1.2: halved at once; the window grows again from the next ACK
            return changes + entered
        return changes + self._grow(delivered, flight, now, srtt)

    def ecn_echo(self, flight: int, snd_nxt: SeqNum) -> list[Change]:
        """RFC 3168 6.1.2: an ACK with ECE: reduce as for a loss, at most once a window (the data sent so far);
        with ``cwr_prr`` cwnd falls by PRR (Linux's tcp_enter_cwr, tcp_init_cwnd_reduction), else at once."""
        if not self.mss or self.phase is not Phase.OPEN or self.cwr_until is not None:
            return []
        old = self.cwnd
        self._reduce(flight)
        self.cwr_until, self.cwr_to_send = snd_nxt, True
        self._prior_cwnd, self._prr_delivered, self._prr_out = old, 0, 0
        if self.cwr_prr:
            return [self._change(CongestionKey.ECN_ECHO_PRR, old, recover=int(snd_nxt))]
        self.cwnd = max(self.ssthresh or self.mss, self.mss)
        return [self._change(CongestionKey.ECN_ECHO, old, recover=int(snd_nxt))]

    def cwr_over(self, snd_una: SeqNum) -> list[Change]:
        """The window sent when ECE came is acknowledged, and a byte beyond it, so that the CWR sent with new data
        has reached the receiver (tcp_fastretrans_alert: ``snd_una != high_seq``); Linux ends the reduction at
        ssthresh (tcp_end_cwnd_reduction)."""
        if self.cwr_until is None or snd_una <= self.cwr_until:
            return []
        self.cwr_until = None
        if not self.cwr_prr:
            return []
        old = self.cwnd
        self.cwnd = max(self.ssthresh or self.mss, self.mss)
        return [self._change(CongestionKey.CWR_OVER, old)]

    def _hystart_found(self, now: float, rtt: float | None, snd_una: SeqNum, snd_nxt: SeqNum | None) -> list[Change]:
        """CUBIC's HyStart (Linux's cubictcp_acked, before the window grows): ssthresh = cwnd at the first
        sign that the path is full."""
        hystart = self._hystart
        if hystart is None or snd_nxt is None or self.algorithm is not Algorithm.CUBIC:
            return []
        if self.ssthresh is not None and self.cwnd >= self.ssthresh:
            return []  # not in slow start
        found = hystart.on_ack(now, rtt, snd_una, snd_nxt, self.cwnd // self.mss)
        if found is None:
            return []
        self.ssthresh = self.cwnd
        key = CongestionKey.HYSTART_ACK_TRAIN if found is Found.ACK_TRAIN else CongestionKey.HYSTART_DELAY
        delay_min = hystart.delay_min or 0.0
        return [self._change(key, self.cwnd, delay_min=delay_min * 1000, rtt=(hystart.curr_rtt or 0.0) * 1000)]

    def on_duplicate_ack(self, count: int, flight: int, snd_una: SeqNum, snd_nxt: SeqNum) -> tuple[bool, list[Change]]:
        """The ``count``-th duplicate ACK in a row; returns (retransmit the first unacknowledged segment, changes)."""
        if not self.mss:
            return count == 3, []  # ``none``: fast retransmit alone (RFC 5681 3.2, step 2 without the rest)
        if self.phase is Phase.FAST_RECOVERY and self.by_pipe:
            return False, []  # RFC 6675: no inflation, the pipe falls as SACKs arrive
        if self.phase is Phase.FAST_RECOVERY:  # RFC 5681 3.2 step 4: each further one inflates cwnd
            old = self.cwnd
            self.cwnd += self.mss
            return False, [self._change(CongestionKey.FAST_RECOVERY_INFLATE, old, dupacks=count)]
        if count != 3 or self.phase is Phase.LOSS:
            return False, []
        if self.recover is not None and snd_una <= self.recover:
            # RFC 6582 3.2 step 1: the ACK does not cover recover: no second reduction for one loss episode
            return False, [self._change(CongestionKey.NO_SECOND_REDUCTION, self.cwnd, recover=int(self.recover))]
        old, reduced = self.cwnd, self._reduce_once(flight)
        self.recover = snd_nxt
        self.phase = Phase.FAST_RECOVERY
        self.by_pipe = False
        self.cwnd = (self.ssthresh or self.mss) + 3 * self.mss  # RFC 5681 3.2 step 3
        key = CongestionKey.FAST_RECOVERY_CUBIC if self.algorithm is Algorithm.CUBIC else CongestionKey.FAST_RECOVERY
        key = key if reduced else CongestionKey.RECOVERY_IN_CWR
        return True, [self._change(key, old, flight=flight, recover=int(snd_nxt))]

    def enter_sack_recovery(self, flight: int, snd_una: SeqNum, snd_nxt: SeqNum, *, rack: bool) -> list[Change]:
        """A loss seen through SACK (RFC 6675 section 5 step 4; RACK, RFC 8985 6.2): RecoveryPoint = HighData,
        ssthresh as after three duplicate ACKs, and cwnd = ssthresh; the pipe limits what goes out."""
        if not self.mss or self.phase is not Phase.OPEN:
            return []
        if self.recover is not None and snd_una <= self.recover:  # RFC 6582 3.2 step 1, RFC 6675 5 step 4
            return [self._change(CongestionKey.NO_SECOND_REDUCTION, self.cwnd, recover=int(self.recover))]
        old, reduced = self.cwnd, self._reduce_once(flight)
        self.recover = snd_nxt
        self.phase = Phase.FAST_RECOVERY
        self.by_pipe = True
        if not reduced:  # PRR goes on from where the ECN echo's reduction began
            return [self._change(CongestionKey.RECOVERY_IN_CWR, old, recover=int(snd_nxt))]
        self._prior_cwnd, self._prr_delivered, self._prr_out = old, 0, 0
        self.cwnd = max(self.ssthresh or self.mss, self.mss)
        key = CongestionKey.RACK_RECOVERY if rack else CongestionKey.SACK_RECOVERY
        beta = "0.7 (CUBIC)" if self.algorithm is Algorithm.CUBIC else "1/2"
        return [self._change(key, old, flight=flight, recover=int(snd_nxt), beta=beta)]

    def validate(self, limited: bool, packets_out: int, snd_una: SeqNum, snd_nxt: SeqNum) -> None:
        """After a send (Linux's tcp_cwnd_validate, from tcp_write_xmit): per window of data, remember whether
        cwnd stopped the sender (``limited``) or else the most segments it had out (RFC 7661 section 4.1)."""
        end = self._usage_end
        if end is None or snd_una >= end or limited or (not self._was_cwnd_limited and packets_out > self._max_out):
            self._was_cwnd_limited = limited
            self._max_out = packets_out
            self._usage_end = snd_nxt

    def cwnd_limited(self) -> bool:
        """May cwnd grow (Linux's tcp_is_cwnd_limited)?  Yes if cwnd stopped the sender in the window tracked;
        in slow start also while cwnd is below twice the most segments out, so that an application-limited
        sender still ends up with twice what it used (slow start's own overshoot).  RFC 7661 section 4.3 keeps
        cwnd from growing in its non-validated phase."""
        if not self.cwnd_limited_growth or self._was_cwnd_limited:
            return True
        if self.ssthresh is None or self.cwnd < self.ssthresh:
            return self.cwnd < 2 * self._max_out * self.mss
        return False

    def sent(self, n: int) -> None:
        """``n`` bytes went out (RFC 6937's prr_out)."""
        self._prr_out += n

    def prr_ack(self, delivered: int, pipe: int, *, una_advanced: bool, newly_lost: bool) -> list[Change]:
        """RFC 6937 section 3 as Linux's tcp_cwnd_reduction: on each ACK in recovery, cwnd = pipe + sndcnt,
        so that the sender slows to ssthresh in proportion to what is delivered (PRR), or, once the pipe is
        below ssthresh, grows back to it no faster than slow start (PRR-SSRB)."""
        if not ((self.prr and self.recovering_by_pipe()) or self.cwr_until is not None) or delivered <= 0:
            return []
        ssthresh = self.ssthresh or self.mss
        self._prr_delivered += delivered
        if pipe > ssthresh:  # proportional: ceil(prr_delivered * ssthresh / RecoverFS) - prr_out
            # (in whole segments, as Linux counts packets)
            share = -(-self._prr_delivered * ssthresh // (max(self._prior_cwnd, 1) * self.mss))
            sndcnt = share * self.mss - self._prr_out
            key = CongestionKey.PRR
        else:  # slow-start reduction bound: as many as delivered, one MSS more on an ACK that advances
            sndcnt = max(self._prr_delivered - self._prr_out, delivered)
            if una_advanced and not newly_lost:
                sndcnt += self.mss
            sndcnt = min(ssthresh - pipe, sndcnt)
            key = CongestionKey.PRR_SLOW_START
        sndcnt = max(sndcnt, 0 if self._prr_out else self.mss)  # Linux: the first retransmission always goes
        old = self.cwnd
        self.cwnd = max(pipe + sndcnt, self.mss)
        return [self._change(key, old, pipe=pipe, delivered=self._prr_delivered, out=self._prr_out)]

    def reduce_once(self, flight: int) -> list[Change]:
        """A loss repaired without recovery (RFC 8985 7.4, the tail loss probe): ssthresh as after a loss,
        cwnd = ssthresh (Linux's tcp_init_cwnd_reduction and tcp_end_cwnd_reduction, in the CWR state)."""
        if not self.mss or self.phase is not Phase.OPEN:
            return []
        old = self.cwnd
        self._reduce(flight)
        self.cwnd = max(self.ssthresh or self.mss, self.mss)
        return [self._change(CongestionKey.PROBE_REPAIRED, old)]

    def restart_after_idle(self, idle: float, rto: float) -> list[Change]:
        """RFC 5681 4.1, as Linux's tcp_cwnd_restart counts it in whole segments: ssthresh keeps at least
        3/4 of cwnd (tcp_current_ssthresh), and cwnd halves for each RTO of the ``idle`` time, down to the
        restart window min(IW, cwnd)."""
        if not self.mss:
            return []
        old, mss = self.cwnd, self.mss
        segments = self.cwnd // mss
        restart = min(initial_window(mss, self.initial_segments) // mss, segments)
        if self.ssthresh is not None and self.phase is Phase.OPEN:
            self.ssthresh = max(self.ssthresh, ((segments >> 1) + (segments >> 2)) * mss)
        while (idle := idle - rto) > 0 and segments > restart:
            segments >>= 1
        self.cwnd = max(segments, restart) * mss
        return [self._change(CongestionKey.RESTART_AFTER_IDLE, old, rto=rto)] if self.cwnd != old else []

    def resume_sending(self, quiet: float, now: float) -> None:
        """Data goes out with nothing in flight after ``quiet`` seconds without data: CUBIC's curve is a
        function of time since the epoch began, so the epoch moves on by the quiet time, and an idle
        sender does not come back far along its curve (RFC 9438 5.8; Linux's cubictcp_cwnd_event on
        CA_EVENT_TX_START)."""
        if self._epoch is not None and quiet > 0:
            self._epoch = min(self._epoch + quiet, now)

    def on_timeout(self, flight: int, snd_nxt: SeqNum, *, first: bool) -> list[Change]:
        """The retransmission timer expired (RFC 5681 3.1 equation 4; RFC 9438 4.8)."""
        if not self.mss:
            return []
        old = self.cwnd
        if first:  # ssthresh is not lowered again when the retransmission itself is lost
            self._reduce(flight)
        self.cwnd = self.mss  # the loss window, LW = 1 SMSS
        self.recover = snd_nxt  # RFC 6582 section 4: no fast retransmit for what was sent before the timeout
        self.phase = Phase.LOSS
        self.by_pipe = False
        self.cwr_until = None  # (tcp_enter_loss: the Loss state takes over from CWR)
        if self._hystart is not None:  # Linux's cubictcp_state for TCP_CA_Loss: HyStart looks again
            self._hystart.restart()
        self._epoch = None
        if not first:
            return [self._change(CongestionKey.TIMEOUT_AGAIN, old)]
        key = CongestionKey.TIMEOUT_CUBIC if self.algorithm is Algorithm.CUBIC else CongestionKey.TIMEOUT
        return [self._change(key, old, flight=flight)]

    # ------------------------------------------------------------ rules
    def _reduce_once(self, flight: int) -> bool:
        """A loss starts recovery: reduce ssthresh, unless an ECN echo already did in this window (RFC 3168
        6.1.2: react at most once a window; Linux's tcp_enter_recovery, in the CWR state, keeps its reduction).
        Returns whether it reduced.  Either way the CWR state ends: recovery takes over."""
        in_cwr, self.cwr_until = self.cwr_until is not None, None
        if not in_cwr:
            self._reduce(flight)
        return not in_cwr

    def _reduce(self, flight: int) -> None:
        """ssthresh after a loss: RFC 5681 equation 4, or CUBIC's multiplicative decrease."""
        if self.algorithm is Algorithm.CUBIC:
            # RFC 9438 4.6 and 4.7 (fast convergence): remember W_max, ssthresh = cwnd * beta_cubic
            segments = self.cwnd / self.mss
            self.w_max = segments * (1 + CUBIC_BETA) / 2 if segments < self._w_last_max else segments
            self._w_last_max = segments
            self.ssthresh = max(int(self.cwnd * CUBIC_BETA), 2 * self.mss)
            self._epoch = None
        elif self.ssthresh_from_cwnd:  # Linux's tcp_reno_ssthresh: max(cwnd >> 1, 2), in whole segments
            self.ssthresh = max(self.cwnd // self.mss // 2, 2) * self.mss
        else:  # RFC 5681 equation 4
            self.ssthresh = max(flight // 2, 2 * self.mss)
        self._bytes_acked = 0

    def _grow(self, acked: int, flight: int, now: float, srtt: float | None) -> list[Change]:
        if acked <= 0 or not self.cwnd_limited():  # (tcp_reno_cong_avoid, cubictcp_cong_avoid return at once)
            return []
        old = self.cwnd
        if self.ssthresh is None or self.cwnd < self.ssthresh:
            # RFC 5681 3.1 with RFC 3465 2.3: cwnd += min(N, L * SMSS), not beyond ssthresh
            # (Linux's tcp_slow_start has no L: every segment acknowledged adds one)
            limit = self.slow_start_limit
            grown = self.cwnd + (min(acked, limit * self.mss) if limit else acked)
            self.cwnd = grown if self.ssthresh is None else min(grown, self.ssthresh)
            return [self._change(CongestionKey.SLOW_START, old, acked=acked)]
        if self.algorithm is Algorithm.CUBIC:
            ahead = self._min_rtt if self.cubic_min_rtt and self._min_rtt is not None else srtt
            return self._cubic(acked, now, ahead or 0.0)
        # RFC 5681 3.1 with RFC 3465 2.1: one SMSS once a whole cwnd of bytes has been acknowledged
        self._bytes_acked += acked
        if self._bytes_acked < self.cwnd:
            return []
        self._bytes_acked -= self.cwnd
        self.cwnd += self.mss
        return [self._change(CongestionKey.AVOIDANCE, old)]

    def _cubic(self, acked: int, now: float, rtt: float) -> list[Change]:
        """RFC 9438 4.2-4.5: follow W_cubic(t + RTT), or the Reno-friendly W_est when it is larger; with
        ``cubic_first_growth``, no slower than that share of cwnd per RTT while no loss has been seen."""
        mss = self.mss
        cwnd = self.cwnd / mss
        if self._epoch is None:  # section 4.2: a new congestion avoidance epoch
            self._epoch = now
            self._cwnd_epoch = cwnd
            if self.w_max < cwnd:  # no loss yet, or the window has passed W_max: the plateau is here
                self.w_max = cwnd
            self._k = ((self.w_max - cwnd) / CUBIC_C) ** (1 / 3)
            self._w_est = cwnd
        t = now - self._epoch
        segments = acked / mss
        alpha = CUBIC_ALPHA if self._w_est < self.w_max else 1.0  # section 4.3
        self._w_est += alpha * segments / cwnd
        w_cubic = CUBIC_C * (t - self._k) ** 3 + self.w_max
        target = CUBIC_C * (t + rtt - self._k) ** 3 + self.w_max  # section 4.4: where to be one RTT on
        key = CongestionKey.CUBIC_GROWTH
        if w_cubic < self._w_est:  # section 4.3: the Reno-friendly region
            target, key = self._w_est, CongestionKey.CUBIC_RENO_FRIENDLY
        target = min(max(target, cwnd), 1.5 * cwnd)
        increase = (target - cwnd) / cwnd  # per segment acknowledged (Linux: 1 / cnt)
        if not self._w_last_max:  # no loss yet: Linux's "if (ca->last_max_cwnd == 0 && ca->cnt > 20) cnt = 20"
            increase = max(increase, self.cubic_first_growth)
        self._cnt += increase * segments
        if self._cnt < 1:
            return []
        whole = int(self._cnt)
        self._cnt -= whole
        old = self.cwnd
        self.cwnd += whole * mss
        return [self._change(key, old, t=t, k=self._k, w_max=int(self.w_max * mss))]

    def _change(self, key: CongestionKey, old: int, **extra: object) -> Change:
        ssthresh = "infinite" if self.ssthresh is None else self.ssthresh
        args = {"old": old, "new": self.cwnd, "ssthresh": ssthresh, "mss": self.mss, **extra}
        return Change(key, tuple(args.items()))
