"""Loss recovery with SACK (RFC 6675), PRR (RFC 6937) and RACK-TLP (RFC 8985): one test per rule.

The client sends; the tests play the server's ACKs, with SACK blocks, themselves.  The client's
ISN is 1000, so its data starts at 1001; segments are 1000 bytes; the handshake's RTT is 100 ms.
"""

import pytest

from simulator import ScenarioError
from simulator.model.congestion import Algorithm, Congestion, Phase
from simulator.model.keys import SendKey
from simulator.model.notes import NoteKind
from simulator.model.recovery import LossDetection, Rack, mark_lost_by_sack, next_lost, pipe, probe_timeout
from simulator.model.segment import Flags, Options, Segment
from simulator.model.seq import SeqNum
from simulator.model.timers import Timer
from simulator.sim.scenario import parse

from .conftest import Wire, make_pair

MSS = 1000
RTT = 0.1
SACK = {"sack_permitted": True, "sack_recovery": True}
RACK = {**SACK, "loss_detection": LossDetection.RACK, "min_rto": 0.2}


def sender(algorithm: str = "reno", **config: object) -> Wire:
    """An established pair, the handshake taking one RTT; the client's cwnd and SACK as ``config`` says."""
    w = make_pair(congestion=Algorithm(algorithm), mss=MSS, **config)
    w.server.listen(0.0)
    w.client.connect(w.server.addr, w.server.port, 0.0)
    (syn,) = w.out(w.client)
    (syn_ack,) = w.deliver(syn, w.server)
    w.now = RTT
    (ack,) = w.deliver(syn_ack, w.client)
    w.deliver(ack, w.server)
    return w


def send(w: Wire, segments: int) -> list[Segment]:
    w.client.send(b"x" * (segments * MSS), w.now)
    return w.out(w.client)


def ack(w: Wire, upto: int, *blocks: tuple[int, int], at: float | None = None) -> list[Segment]:
    """The server acknowledges up to ``upto`` with SACK ``blocks`` (absolute); what the client sends back."""
    if at is not None:
        w.now = at
    options = Options(sack_blocks=tuple((SeqNum(a), SeqNum(b)) for a, b in blocks))
    seg = Segment(80, 40000, SeqNum(5001), SeqNum(upto), Flags.ACK, 65535, options, b"", "10.0.0.2", "10.0.0.1")
    return w.deliver(seg, w.client)


def starts(segments: list[Segment]) -> list[int]:
    return [int(s.seq) for s in segments]


def seg_at(n: int) -> int:
    """Where the client's n-th segment (from 0) starts."""
    return 1001 + n * MSS


class Entry:
    """A segment of a retransmission queue, as the scoreboard functions read it."""

    def __init__(self, n: int, *, sacked: bool = False, lost: bool = False, resent: bool = False) -> None:
        self.seq, self.end = SeqNum(seg_at(n)), SeqNum(seg_at(n + 1))
        self.sacked, self.lost, self.resent = sacked, lost, resent
        self.last_sent = self.sent_at = 0.0


# ------------------------------------------------------------------ the scoreboard (RFC 6675 section 4)
def test_is_lost_once_three_segments_above_are_sacked():
    # RFC 6675 section 4, IsLost: DupThresh (3) discontiguous SACKed segments above the sequence number
    queue = [Entry(0), Entry(1, sacked=True), Entry(2, sacked=True)]
    assert mark_lost_by_sack(queue, MSS) == []
    queue.append(Entry(3, sacked=True))
    assert mark_lost_by_sack(queue, MSS) == [queue[0]]


def test_is_lost_counts_bytes_too_more_than_two_mss_sacked_above():
    # RFC 6675 section 4, IsLost: "or more than (DupThresh - 1) * SMSS bytes" SACKed above
    big = Entry(1, sacked=True)
    big.end = SeqNum(seg_at(1) + 2 * MSS + 1)
    assert mark_lost_by_sack([Entry(0), big], MSS)


def test_pipe_counts_what_is_neither_sacked_nor_lost_and_each_retransmission_again():
    # RFC 6675 section 4, SetPipe: not lost -> +1 segment; retransmitted -> +1 more; SACKed -> nothing
    queue = [Entry(0, lost=True, resent=True), Entry(1, lost=True), Entry(2), Entry(3, sacked=True)]
    assert pipe(queue) == 2 * MSS  # the retransmission of 0 and the original of 2


def test_next_seg_is_the_first_lost_segment_not_yet_sent_again():
    # RFC 6675 section 4, NextSeg rule 1
    queue = [Entry(0, lost=True, resent=True), Entry(1, sacked=True), Entry(2, lost=True), Entry(3, lost=True)]
    assert next_lost(queue) is queue[2]


# ------------------------------------------------------------------ SACK recovery (RFC 6675 section 5)
def test_a_sack_block_marks_the_segments_it_covers():
    # RFC 6675 section 5: "the scoreboard MUST be updated" from the ACK's SACK blocks (RFC 2018)
    w = sender(**SACK)
    send(w, 10)
    ack(w, seg_at(0), (seg_at(2), seg_at(4)), at=2 * RTT)
    assert [e.sacked for e in w.client._rtx][:5] == [False, False, True, True, False]


def test_a_block_covering_part_of_a_segment_does_not_mark_it():
    # RFC 6675 section 4 keeps the scoreboard by segment ("SACKed segments"); Linux's tcp_match_skb_to_sack and
    # tcp_shift_skb_data split only a buffer of several segments, at whole-MSS boundaries, so a segment that a
    # block covers in part is not SACKed (tcp_fragment is never asked for less than an MSS)
    w = sender(**RACK)
    send(w, 10)
    ack(w, seg_at(0), (seg_at(2) + MSS // 2, seg_at(4) + MSS // 2), at=2 * RTT)
    assert [e.sacked for e in w.client._rtx][:5] == [False, False, False, True, False]


def test_a_segment_sacked_in_part_goes_again_whole():
    # RFC 6675 section 4, NextSeg (1): "one segment of up to SMSS octets that MUST include" the first unSACKed
    # sequence number; Linux sends the buffer again as it is (tcp_retransmit_skb), its SACKed half too
    w = sender(**RACK)
    send(w, 10)
    answer = ack(w, seg_at(0), (seg_at(0) + MSS // 2, seg_at(4)), at=2 * RTT)  # 1-3 SACKed, half of 0 too
    assert [(int(s.seq), len(s.payload)) for s in answer][:1] == [(seg_at(0), MSS)]


def test_a_block_below_the_cumulative_ack_is_a_dsack_not_a_sack():
    # RFC 2883 section 4: a first block at or below SEG.ACK reports a duplicate, not data held
    w = sender(**SACK)
    send(w, 10)
    ack(w, seg_at(2), (seg_at(0), seg_at(1)), at=2 * RTT)
    assert not any(e.sacked for e in w.client._rtx)


def test_three_segments_sacked_above_a_hole_start_recovery_with_cwnd_at_ssthresh():
    # RFC 6675 section 5 step 4: ssthresh = cwnd = FlightSize / 2; the first lost segment goes at once
    w = sender(**SACK)
    send(w, 10)
    answer = ack(w, seg_at(0), (seg_at(1), seg_at(4)), at=2 * RTT)
    assert starts(answer)[:1] == [seg_at(0)]
    cc = w.client.cc
    assert cc.phase is Phase.FAST_RECOVERY and cc.ssthresh == cc.cwnd == 5 * MSS


def test_in_sack_recovery_the_pipe_not_flightsize_limits_sending():
    # RFC 6675 section 5 (C): send while cwnd - pipe >= 1 SMSS; SACKed and lost segments leave the pipe
    w = sender(**SACK)
    send(w, 20)  # 10 go (IW 10)
    ack(w, seg_at(0), (seg_at(1), seg_at(4)), at=2 * RTT)  # pipe: 6 out (3-9) + the retransmission = 7
    assert ack(w, seg_at(0), (seg_at(1), seg_at(6)), at=2 * RTT) == []  # 5 in the pipe: cwnd 5 allows none
    answer = ack(w, seg_at(0), (seg_at(1), seg_at(7)), at=2 * RTT)  # 4 in the pipe: one more segment
    assert starts(answer) == [seg_at(10)]


def test_in_sack_recovery_lost_segments_go_before_new_data():
    # RFC 6675 section 4, NextSeg: rule 1 (a lost segment) before rule 2 (new data)
    w = sender(**SACK)
    send(w, 20)
    answer = ack(w, seg_at(0), (seg_at(1), seg_at(2)), (seg_at(3), seg_at(9)), at=2 * RTT)  # 0 and 2 missing
    assert starts(answer) == [seg_at(0), seg_at(2), seg_at(10), seg_at(11)]  # pipe 3 of cwnd 5: two new


def test_in_sack_recovery_a_partial_ack_does_not_deflate_cwnd():
    # RFC 6675 section 5: cwnd stays at ssthresh (no NewReno deflation, RFC 6582 3.2 step 5)
    w = sender(**SACK)
    send(w, 10)
    ack(w, seg_at(0), (seg_at(1), seg_at(2)), (seg_at(3), seg_at(9)), at=2 * RTT)
    ack(w, seg_at(1), (seg_at(3), seg_at(10)), at=3 * RTT)
    assert w.client.cc.cwnd == 5 * MSS and w.client.cc.phase is Phase.FAST_RECOVERY


def test_sack_recovery_ends_when_the_recovery_point_is_acknowledged():
    # RFC 6675 section 5: recovery ends at an ACK of RecoveryPoint (HighData when it began)
    w = sender(**SACK)
    send(w, 10)
    ack(w, seg_at(0), (seg_at(1), seg_at(4)), at=2 * RTT)
    ack(w, seg_at(10), at=3 * RTT)
    assert w.client.cc.phase is Phase.OPEN and w.client.cc.cwnd == 5 * MSS


def test_without_sack_negotiated_the_sender_keeps_newreno():
    # RFC 6675 section 1: it applies when both ends use SACK; else RFC 5681 / RFC 6582
    w = sender(sack_recovery=True)  # the peer does not offer SACK-permitted
    send(w, 10)
    for _ in range(3):
        ack(w, seg_at(0), at=2 * RTT)
    assert w.client.cc.cwnd == 5 * MSS + 3 * MSS  # RFC 5681 3.2 step 3: ssthresh + 3 SMSS


def test_limited_transmit_with_sack_sends_new_data_as_sacked_segments_leave_the_pipe():
    # RFC 6675 section 5 step 3 (RFC 3042 by the pipe; Linux's tcp_packets_in_flight): before recovery each
    # duplicate ACK that SACKs a segment lets one new segment go
    w = sender(limited_transmit=True, **SACK)
    assert len(send(w, 20)) == 10
    assert starts(ack(w, seg_at(0), (seg_at(1), seg_at(2)))) == [seg_at(10)]
    assert starts(ack(w, seg_at(0), (seg_at(1), seg_at(3)))) == [seg_at(11)]
    assert w.client.cc.phase is Phase.OPEN


# ------------------------------------------------------------------ PRR (RFC 6937)
def prr_sender(cwnd: int, flight: int) -> Congestion:
    cc = Congestion(Algorithm.RENO, cwnd, prr=True)
    cc.start(MSS, syn_lost=False)
    cc.enter_sack_recovery(flight * MSS, SeqNum(1001), SeqNum(1001 + flight * MSS), rack=False)
    return cc


def test_prr_sends_in_proportion_to_what_is_delivered():
    # RFC 6937 section 3: while pipe > ssthresh, sndcnt = ceil(prr_delivered * ssthresh / RecoverFS) - prr_out
    cc = prr_sender(20, 20)  # ssthresh 10, RecoverFS 20
    pipe, sent = 19 * MSS, 0
    for _ in range(6):  # one segment delivered per ACK
        pipe -= MSS
        cc.prr_ack(MSS, pipe, una_advanced=False, newly_lost=False)
        n = max(cc.cwnd - pipe, 0)
        cc.sent(n)
        pipe, sent = pipe + n, sent + n
        assert pipe > cc.ssthresh
    assert sent == 3 * MSS  # 6 delivered x 10 / 20


def test_prr_grows_back_to_ssthresh_no_faster_than_slow_start():
    # RFC 6937 section 3, PRR-SSRB: below ssthresh, what was delivered plus one MSS on an ACK that advances
    cc = prr_sender(10, 10)  # ssthresh 5
    cc.sent(MSS)  # the first retransmission
    cc.prr_ack(MSS, MSS, una_advanced=True, newly_lost=False)
    assert cc.cwnd == MSS + 2 * MSS


def test_prr_always_lets_the_first_retransmission_go():
    # Linux's tcp_cwnd_reduction: sndcnt is at least one segment while nothing has been sent in recovery
    cc = prr_sender(10, 10)  # ssthresh 5
    cc.prr_ack(MSS, 5 * MSS, una_advanced=False, newly_lost=True)  # the pipe at ssthresh: PRR-SSRB allows 0
    assert cc.cwnd == 6 * MSS


# ------------------------------------------------------------------ RACK (RFC 8985 section 6)
def test_rack_waits_a_reordering_window_of_a_quarter_min_rtt_before_calling_a_segment_lost():
    # RFC 8985 6.2: lost when a later segment is delivered and RACK.rtt + reo_wnd has passed since it went;
    # reo_wnd = min_RTT / 4 (Linux's tcp_rack_reo_wnd), the timer plus 2 ms (TCP_TIMEOUT_MIN)
    w = sender("cubic", **RACK)
    send(w, 10)
    assert ack(w, seg_at(0), (seg_at(7), seg_at(8)), at=2 * RTT) == []
    deadline = w.client.timer_deadline(Timer.REORDER)
    assert deadline == pytest.approx(2 * RTT + RTT / 4 + 0.002)
    answer = w.tick(w.client, deadline)
    assert starts(answer)[:1] == [seg_at(0)] and w.client.cc.phase is Phase.FAST_RECOVERY


def test_rack_needs_no_window_once_three_segments_are_sacked():
    # Linux's tcp_rack_reo_wnd: no reordering seen and sacked_out >= dupthresh: reo_wnd = 0 (RFC 8985 6.2)
    w = sender("cubic", **RACK)
    send(w, 10)
    answer = ack(w, seg_at(0), (seg_at(1), seg_at(4)), at=2 * RTT)
    assert starts(answer)[:1] == [seg_at(0)]


def test_a_dsack_widens_rack_reordering_window_once_per_round_trip_for_sixteen_recoveries():
    # RFC 8985 6.2 step 4 (Linux's tcp_rack_update_reo_wnd): a D-SACK adds min_RTT / 4, once per round trip;
    # 16 recoveries without one bring it back to min_RTT / 4
    rack = Rack(min_rtt=0.1)
    rack.on_ack(SeqNum(100), SeqNum(500), dsack=True)
    rack.on_ack(SeqNum(200), SeqNum(600), dsack=True)  # the same round trip: no second step
    assert rack.reo_wnd(False, 0, 1.0) == pytest.approx(0.05)
    rack.on_ack(SeqNum(500), SeqNum(700), dsack=True)  # the next round trip
    assert rack.reo_wnd(False, 0, 1.0) == pytest.approx(0.075)
    for _ in range(16):
        rack.recovery_over()
    assert rack.reo_wnd(False, 0, 1.0) == pytest.approx(0.025)


def test_the_sender_hands_rack_the_dsack_an_ack_carries():
    # RFC 2883 section 4: a first SACK block below the cumulative ACK reports a duplicate: RACK widens its window
    w = sender(**RACK)
    send(w, 4)
    ack(w, seg_at(2), (seg_at(0), seg_at(1)))
    assert w.client._rack.reo_wnd_mult == 2


def test_rack_widens_the_window_once_reordering_has_been_seen():
    # RFC 8985 6.2 step 3: a segment delivered below one delivered before is reordering: reo_wnd stays
    rack = Rack(min_rtt=0.1)
    low, high = Entry(0), Entry(5)
    rack.sacked(high)
    rack.delivered(high, 0.2)
    rack.delivered(low, 0.2)
    assert rack.reordering_seen and rack.reo_wnd(False, 3, 0.1) == pytest.approx(0.025)


def test_rack_marks_by_time_not_by_count():
    # RFC 8985 6.2: a segment sent later and delivered says nothing until RACK.rtt + reo_wnd has passed
    rack = Rack(min_rtt=0.1)
    first, later = Entry(0), Entry(1)
    first.last_sent = first.sent_at = 0.04
    later.last_sent = later.sent_at = 0.05
    rack.delivered(later, 0.15)  # RACK.rtt 0.1
    lost, wait = rack.detect([first, later], 0.15, 0.025)
    assert lost == [] and wait == pytest.approx(0.015)  # 0.1 + 0.025 - 0.11
    assert rack.detect([first, later], 0.165, 0.025)[0] == [first]


# ------------------------------------------------------------------ TLP (RFC 8985 section 7)
def test_the_probe_timeout_is_two_srtt_plus_two_ms():
    # RFC 8985 7.2 as Linux's tcp_schedule_loss_probe: 2 * SRTT + TCP_TIMEOUT_MIN with several segments out
    assert probe_timeout(0.1, 10, 0.2) == pytest.approx(0.202)


def test_with_one_segment_out_the_probe_waits_the_minimum_rto_more():
    # RFC 8985 7.2: with one segment out, the probe allows for a delayed ACK (Linux: + tcp_rto_min)
    assert probe_timeout(0.1, 1, 0.2) == pytest.approx(0.4)


def test_the_tail_loss_probe_resends_the_last_segment_when_there_is_nothing_new():
    # RFC 8985 7.3: no new data: retransmit the most recently sent segment
    w = sender("cubic", **RACK)
    send(w, 4)
    deadline = w.client.timer_deadline(Timer.LOSS_PROBE)
    assert deadline == pytest.approx(RTT + 2 * RTT + 0.002)
    notes = []
    w.now = deadline
    w.client.on_timer(deadline)
    notes = [n for n in w.client.drain() if n.kind is NoteKind.SEND]
    assert [(n.key, int(n.segment.seq)) for n in notes] == [(SendKey.LOSS_PROBE, seg_at(3))]


def test_the_tail_loss_probe_sends_new_data_when_the_window_allows():
    # RFC 8985 7.3: if new data is available and the receive window allows, send it (even beyond cwnd)
    w = sender("cubic", **RACK, initial_window=2)
    send(w, 4)
    (probe,) = w.tick(w.client, w.client.timer_deadline(Timer.LOSS_PROBE))
    assert int(probe.seq) == seg_at(2) and not probe.payload.strip(b"x")


def test_one_probe_per_flight():
    # RFC 8985 7.3: no further probe until the ACK of the one sent (TLP.end_seq)
    w = sender("cubic", **RACK)
    send(w, 4)
    w.tick(w.client, w.client.timer_deadline(Timer.LOSS_PROBE))
    assert w.client.timer_deadline(Timer.LOSS_PROBE) is None


def test_a_probe_that_repaired_a_loss_reduces_cwnd_once():
    # RFC 8985 7.4: an ACK beyond the probe, and no D-SACK for it: the probe repaired a loss
    w = sender("cubic", **RACK)
    send(w, 4)
    w.tick(w.client, w.client.timer_deadline(Timer.LOSS_PROBE))
    send(w, 1)
    ack(w, seg_at(5), at=0.5)
    assert w.client.cc.ssthresh == 7 * MSS and w.client.cc.cwnd < 8 * MSS  # CUBIC: 10 x 0.7


def test_a_dsack_for_the_probe_means_nothing_was_lost():
    # RFC 8985 7.4: the probe arrived as a duplicate (D-SACK, RFC 2883): no reduction
    w = sender("cubic", **RACK)
    send(w, 4)
    w.tick(w.client, w.client.timer_deadline(Timer.LOSS_PROBE))
    ack(w, seg_at(4), (seg_at(3), seg_at(4)), at=0.5)
    assert w.client.cc.cwnd >= 10 * MSS and w.client.cc.ssthresh is None


def test_the_linux_profile_detects_loss_by_rack_and_recovers_by_sack_with_prr():
    from simulator.model.profiles import PROFILES

    linux = PROFILES["linux"].config
    assert (linux.loss_detection, linux.sack_recovery, linux.prr) == (LossDetection.RACK, True, True)
    assert not PROFILES["freebsd"].config.sack_recovery and not PROFILES["simple"].config.sack_recovery


# ------------------------------------------------------------------ bad input
def test_an_unknown_loss_detection_is_one_clear_error():
    with pytest.raises(ScenarioError, match=r'loss_detection must be "dupack", "rack", not .fack.'):
        parse('[endpoint.a]\nloss_detection = "fack"\nscript = []\n')
