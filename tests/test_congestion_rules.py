"""Congestion control (RFC 5681, 3465, 6582, 6928, 9438): one test per rule, driven by hand.

The client sends; the tests play the server's ACKs themselves, so every window is visible.
"""

import pytest

from simulator import ScenarioError
from simulator.model.congestion import Algorithm, Congestion, Phase, initial_window
from simulator.model.hystart import Found, HyStart
from simulator.model.keys import CongestionKey
from simulator.model.seq import SeqNum
from simulator.sim.scenario import parse

from .conftest import Wire, make_pair, seg

MSS = 1000
DATA = b"x" * 200_000


def sender(algorithm: str = "reno", **config: object) -> Wire:
    """An established pair whose client has ``algorithm`` and a 1000-byte MSS, nothing sent yet."""
    w = make_pair(congestion=Algorithm(algorithm), mss=MSS, **config)
    w.handshake()
    return w


def ack(w: Wire, upto: int) -> list:
    """The server acknowledges up to ``upto`` (absolute); returns what the client sends in answer."""
    return w.deliver(seg(w.server, w.client, 5001, upto), w.client)


# ------------------------------------------------------------------ initial window
def test_the_initial_window_is_ten_segments():
    # RFC 6928 section 2 (Linux's and FreeBSD's TCP_INIT_CWND): IW = 10 segments
    w = sender()
    w.client.send(DATA, 0.0)
    assert [len(s.payload) for s in w.out(w.client)] == [MSS] * 10
    assert w.client.cc.cwnd == 10 * MSS


@pytest.mark.parametrize(("mss", "segments"), [(1000, 4), (1095, 4), (1460, 3), (2190, 3), (4000, 2)])
def test_rfc5681_initial_window_is_two_to_four_segments_by_mss(mss, segments):
    # RFC 5681 section 3.1: IW = 4 SMSS up to 1095 bytes, 3 up to 2190, else 2
    assert initial_window(mss, None) == segments * mss


def initial_window_after_lost_syns(lost: int, **config: object) -> int:
    w = make_pair(congestion=Algorithm.RENO, mss=MSS, **config)
    w.server.listen(0.0)
    w.client.connect(w.server.addr, w.server.port, 0.0)
    w.out(w.client)
    for i in range(lost):  # each SYN is lost: the timer sends it again
        (syn,) = w.tick(w.client, 2.0 ** (i + 1) - 1)  # at 1 s, then 3 s (the RTO doubles)
    (syn_ack,) = w.deliver(syn, w.server)
    w.deliver(syn_ack, w.client)
    return w.client.cc.cwnd


def test_after_a_lost_syn_the_initial_window_is_one_segment():
    # RFC 5681 section 3.1: "the initial window ... after a correctly transmitted SYN MUST be one segment"
    assert initial_window_after_lost_syns(1, lost_syn_window_after=1) == MSS


def test_linux_keeps_its_initial_window_after_one_lost_syn_but_not_two():
    # Linux's tcp_init_transfer: cwnd = 1 only after more than one SYN retransmission (RFC 6298's 1 s RTO)
    assert initial_window_after_lost_syns(1) == 10 * MSS
    assert initial_window_after_lost_syns(2) == MSS


def test_without_congestion_control_the_whole_peer_window_goes_at_once():
    # congestion = "none": RFC 9293's flow control alone, as in the first lessons
    w = sender("none")
    w.client.send(DATA, 0.0)
    assert sum(len(s.payload) for s in w.out(w.client)) == 65535
    assert w.client.tcb().cwnd is None


# ------------------------------------------------------------------ slow start
def test_slow_start_adds_one_mss_per_mss_acknowledged():
    # RFC 5681 section 3.1, equation 2: cwnd += min(N, SMSS)
    w = sender()
    w.client.send(DATA, 0.0)
    w.out(w.client)
    answer = ack(w, 1001 + MSS)
    assert w.client.cc.cwnd == 11 * MSS
    assert [len(s.payload) for s in answer] == [MSS, MSS]  # one for the segment that left, one for the growth


def test_slow_start_counts_bytes_but_at_most_two_mss_per_ack():
    # RFC 3465 section 2.3: an ACK of five segments (a stretch ACK) adds L = 2 SMSS, not 5
    w = sender()
    w.client.send(DATA, 0.0)
    w.out(w.client)
    ack(w, 1001 + 5 * MSS)
    assert w.client.cc.cwnd == 12 * MSS


def test_slow_start_doubles_the_window_each_round_trip():
    # RFC 5681 section 3.1: every segment of a round is acknowledged, so cwnd doubles
    w = sender()
    w.client.send(DATA, 0.0)
    sent = w.out(w.client)
    flights = []
    for _ in range(3):
        flights.append(len(sent))
        sent = [answer for s in sent for answer in ack(w, int(s.end))]
    assert flights == [10, 20, 40]


def test_slow_start_stops_at_ssthresh():
    # RFC 5681 section 3.1: slow start while cwnd < ssthresh, then congestion avoidance
    w = sender()
    w.client.cc.ssthresh = 11 * MSS
    w.client.send(DATA, 0.0)
    w.out(w.client)
    ack(w, 1001 + 2 * MSS)
    assert w.client.cc.cwnd == 11 * MSS  # not 12: capped at ssthresh


# ------------------------------------------------------------------ congestion avoidance
def test_congestion_avoidance_adds_one_mss_per_window_acknowledged():
    # RFC 5681 section 3.1 with byte counting (RFC 3465 section 2.1): + SMSS once cwnd bytes are ACKed
    w = sender()
    w.client.cc.ssthresh = 10 * MSS
    w.client.send(DATA, 0.0)
    w.out(w.client)
    for i in range(1, 10):
        ack(w, 1001 + i * MSS)
        assert w.client.cc.cwnd == 10 * MSS
    ack(w, 1001 + 10 * MSS)
    assert w.client.cc.cwnd == 11 * MSS


# ------------------------------------------------------------------ cwnd validation (RFC 7661, Linux)
def test_an_application_limited_sender_grows_cwnd_only_to_twice_what_it_had_out():
    # RFC 7661 section 4.3 (Linux's tcp_is_cwnd_limited): in slow start cwnd grows while below twice the most
    # segments out in the window; 9 segments out of 10 allowed: 12, 14, 16, 18, then no more
    w = sender(cwnd_limited_growth=True, slow_start_limit=0)
    w.client.send(DATA[: 9 * MSS], 0.0)
    w.out(w.client)
    cwnds = []
    for upto in (2, 4, 6, 8, 9):
        ack(w, 1001 + upto * MSS)
        cwnds.append(w.client.cc.cwnd // MSS)
    assert cwnds == [12, 14, 16, 18, 18]


def test_congestion_avoidance_does_not_grow_a_window_the_sender_does_not_fill():
    # RFC 7661 section 4.3 (Linux's tcp_cwnd_validate): after slow start cwnd grows only if it stopped a send
    w = sender(cwnd_limited_growth=True)
    w.client.cc.ssthresh = 10 * MSS
    for _ in range(4):  # four writes of five segments, each acknowledged: 20 segments, two cwnds' worth
        w.client.send(DATA[: 5 * MSS], 0.0)
        w.out(w.client)
        ack(w, int(w.client.snd_una) + 5 * MSS)
    assert w.client.cc.cwnd == 10 * MSS


def test_without_cwnd_validation_every_ack_grows_cwnd():
    # RFC 5681 section 3.1 as written (the rfc and freebsd profiles): growth does not ask whether cwnd was used
    w = sender(slow_start_limit=0)
    w.client.send(DATA[: 9 * MSS], 0.0)
    w.out(w.client)
    ack(w, 1001 + 9 * MSS)
    assert w.client.cc.cwnd == 19 * MSS


# ------------------------------------------------------------------ limited transmit (RFC 3042)
def test_limited_transmit_sends_one_new_segment_on_each_of_the_first_two_duplicate_acks():
    # RFC 3042 section 2 (RFC 5681 3.2): a new segment per duplicate ACK, cwnd unchanged; the third retransmits
    w = sender(limited_transmit=True)
    w.client.send(DATA, 0.0)
    w.out(w.client)
    assert [[int(s.seq) for s in ack(w, 1001)] for _ in range(2)] == [[11001], [12001]]
    assert w.client.cc.cwnd == 10 * MSS
    assert 1001 in [int(s.seq) for s in ack(w, 1001)]


def test_without_limited_transmit_duplicate_acks_send_nothing_new():
    # RFC 5681 3.2 without RFC 3042: the window is full and the duplicate ACKs do not open it
    w = sender()
    w.client.send(DATA, 0.0)
    w.out(w.client)
    assert [ack(w, 1001) for _ in range(2)] == [[], []]


def test_cwnd_grows_by_what_the_ack_newly_delivers_not_by_what_duplicate_acks_reported():
    # Linux's tcp_cong_control(acked_sacked), tcp_remove_reno_sacks: two duplicate ACKs stood for two segments
    # delivered; the ACK of three then grows slow start's cwnd by one, not three
    w = sender(limited_transmit=True, grow_by_delivered=True, slow_start_limit=0)
    w.client.send(DATA, 0.0)
    w.out(w.client)
    ack(w, 1001)
    ack(w, 1001)
    answer = ack(w, 1001 + 3 * MSS)
    assert w.client.cc.cwnd == 11 * MSS
    assert [int(s.seq) for s in answer] == [13001, 14001]


# ------------------------------------------------------------------ fast retransmit and recovery
def lose_first_segment(w: Wire) -> list:
    """Ten segments out, the first lost, three duplicate ACKs back; returns what the client sends."""
    w.client.send(DATA, 0.0)
    w.out(w.client)
    sent = []
    for _ in range(3):
        sent += ack(w, 1001)
    return sent


def test_the_third_duplicate_ack_halves_the_flight_and_resends_the_segment():
    # RFC 5681 section 3.2 steps 2 and 3: ssthresh = max(FlightSize / 2, 2 SMSS), cwnd = ssthresh + 3 SMSS
    w = sender()
    sent = lose_first_segment(w)
    assert [(int(s.seq), len(s.payload)) for s in sent] == [(1001, MSS)]
    assert w.client.cc.ssthresh == 5 * MSS
    assert w.client.cc.cwnd == 8 * MSS
    assert w.client.cc.phase is Phase.FAST_RECOVERY


def test_each_further_duplicate_ack_inflates_cwnd_and_lets_new_data_out():
    # RFC 5681 section 3.2 step 4: cwnd += SMSS per duplicate ACK; new data goes when cwnd allows
    w = sender()
    lose_first_segment(w)
    sent = []
    for _ in range(5):
        sent += ack(w, 1001)
    assert w.client.cc.cwnd == 13 * MSS
    assert [int(s.seq) for s in sent] == [11001, 12001, 13001]  # FlightSize 10 segments: 3 more fit


def test_a_partial_ack_resends_the_next_hole_and_deflates():
    # RFC 6582 section 3.2 step 5: the first unacknowledged segment goes again; cwnd -= acked, += SMSS
    w = sender()
    lose_first_segment(w)
    before = w.client.cc.cwnd
    answer = ack(w, 1001 + 3 * MSS)  # the resent segment and two more arrived; segment 4 is missing too
    assert int(answer[0].seq) == 1001 + 3 * MSS
    assert w.client.cc.cwnd == before - 3 * MSS + MSS
    assert w.client.cc.phase is Phase.FAST_RECOVERY


def test_a_full_ack_ends_recovery_with_cwnd_at_ssthresh():
    # RFC 6582 section 3.2 step 6: an ACK that covers recover deflates cwnd to ssthresh
    w = sender()
    lose_first_segment(w)
    ack(w, 1001 + 10 * MSS)
    assert w.client.cc.phase is Phase.OPEN
    assert w.client.cc.cwnd == w.client.cc.ssthresh == 5 * MSS


def test_no_second_reduction_for_duplicate_acks_below_recover():
    # RFC 6582 section 3.2 step 1 (and section 4): one reduction per window of data
    cc = Congestion(Algorithm.RENO, 10)
    cc.start(MSS, syn_lost=False)
    cc.on_timeout(10 * MSS, SeqNum(20_000), first=True)
    cc.on_ack(MSS, 10 * MSS, SeqNum(12_000), 1.0, 0.1)  # slow start again after the timeout, below recover
    resend, _ = cc.on_duplicate_ack(3, 4 * MSS, SeqNum(12_000), SeqNum(20_000))
    assert not resend and cc.ssthresh == 5 * MSS


def test_cwnd_never_falls_below_one_mss_in_recovery():
    # RFC 6582's deflation could cross zero on a large partial ACK; a sender always keeps one segment
    cc = Congestion(Algorithm.RENO, 10)
    cc.start(MSS, syn_lost=False)
    cc.on_duplicate_ack(3, 10 * MSS, SeqNum(1000), SeqNum(11_000))
    cc.on_ack(9 * MSS, 10 * MSS, SeqNum(10_000), 0.2, 0.1)
    assert cc.cwnd >= MSS


# ------------------------------------------------------------------ timeout
def test_a_timeout_sets_the_loss_window_and_halves_ssthresh():
    # RFC 5681 section 3.1, equation 4: ssthresh = max(FlightSize / 2, 2 SMSS); cwnd = LW = 1 SMSS
    w = sender()
    w.client.send(DATA, 0.0)
    w.out(w.client)
    (again,) = w.tick(w.client, 1.0)
    assert int(again.seq) == 1001
    assert (w.client.cc.cwnd, w.client.cc.ssthresh) == (MSS, 5 * MSS)


def test_after_a_timeout_the_lost_window_goes_again_in_slow_start():
    # RFC 5681 section 3.1: slow start after the loss window; everything sent before the timeout counts as lost
    w = sender()
    w.client.send(DATA, 0.0)
    w.out(w.client)
    w.tick(w.client, 1.0)
    answer = ack(w, 1001 + MSS)
    assert [int(s.seq) for s in answer] == [2001, 3001]  # cwnd 2: two of the lost segments, in order
    assert all(s.seq < 11001 for s in answer)


def test_a_second_timeout_keeps_ssthresh():
    # RFC 5681 section 3.1: when the retransmission is lost too, ssthresh is not lowered again
    w = sender()
    w.client.send(DATA, 0.0)
    w.out(w.client)
    w.tick(w.client, 1.0)
    w.tick(w.client, 3.0)
    assert (w.client.cc.cwnd, w.client.cc.ssthresh) == (MSS, 5 * MSS)


# ------------------------------------------------------------------ restart after idle
def test_a_sender_quiet_for_longer_than_an_rto_halves_cwnd_per_rto_down_to_the_initial_window():
    # RFC 5681 4.1; Linux's tcp_cwnd_restart: 40 segments, quiet for 2.5 RTOs: 40 -> 20 -> 10, and not below IW
    cc = Congestion(Algorithm.RENO, 10)
    cc.start(MSS, syn_lost=False)
    cc.cwnd, cc.ssthresh = 40 * MSS, 20 * MSS
    (change,) = cc.restart_after_idle(2.5, 1.0)
    assert change.key is CongestionKey.RESTART_AFTER_IDLE
    assert cc.cwnd == 10 * MSS
    assert cc.ssthresh == 30 * MSS  # tcp_current_ssthresh: at least 3/4 of the old cwnd


def test_a_quiet_spell_of_one_rto_or_less_leaves_cwnd_alone():
    cc = Congestion(Algorithm.RENO, 10)
    cc.start(MSS, syn_lost=False)
    cc.cwnd = 40 * MSS
    assert cc.restart_after_idle(1.0, 1.0) == [] and cc.cwnd == 40 * MSS


def test_a_write_after_a_quiet_spell_restarts_the_window_before_it_goes_out():
    # Linux's tcp_slow_start_after_idle_check, when a write starts a new buffer with nothing in flight
    w = sender(slow_start_after_idle=True)
    w.client.send(b"x" * 20 * MSS, 0.0)
    ack(w, 1001 + 10 * MSS)
    ack(w, 1001 + 20 * MSS)
    assert w.client.cc.cwnd == 14 * MSS and not w.client._rtx  # (slow start: at most 2 MSS an ACK)
    w.now = 10.0
    w.client.send(DATA, w.now)
    assert w.client.cc.cwnd == 10 * MSS
    assert len(w.out(w.client)) == 10


def test_without_slow_start_after_idle_the_old_window_goes_at_once():
    w = sender(slow_start_after_idle=False)
    w.client.send(b"x" * 20 * MSS, 0.0)
    ack(w, 1001 + 10 * MSS)
    ack(w, 1001 + 20 * MSS)
    w.now = 10.0
    w.client.send(DATA, w.now)
    assert len(w.out(w.client)) == 14


# ------------------------------------------------------------------ CUBIC
def test_cubic_reduces_by_beta_on_loss():
    # RFC 9438 section 4.6: ssthresh = cwnd * beta_cubic (0.7), W_max = cwnd
    w = sender("cubic")
    lose_first_segment(w)
    assert w.client.cc.ssthresh == 7 * MSS
    assert w.client.cc.w_max == 10


def test_cubic_fast_convergence_lowers_w_max_when_losses_come_sooner():
    # RFC 9438 section 4.7: a loss below the last W_max sets W_max = cwnd * (1 + beta) / 2
    cc = Congestion(Algorithm.CUBIC, 10)
    cc.start(MSS, syn_lost=False)
    cc.on_duplicate_ack(3, 10 * MSS, SeqNum(1000), SeqNum(11_000))
    cc.on_ack(10 * MSS, 10 * MSS, SeqNum(11_000), 0.2, 0.1)  # full ACK: cwnd = 7 MSS
    cc.on_duplicate_ack(3, 7 * MSS, SeqNum(12_000), SeqNum(18_000))
    assert cc.w_max == pytest.approx(7 * 1.7 / 2)


def test_cubic_grows_concave_towards_w_max_then_convex_beyond():
    # RFC 9438 section 4.2: W(t) = C (t - K)^3 + W_max: fast, slow near W_max (t = K), fast again
    cc = Congestion(Algorithm.CUBIC, 100)
    cc.start(MSS, syn_lost=False)
    cc.on_duplicate_ack(3, 100 * MSS, SeqNum(1000), SeqNum(101_000))
    cc.on_ack(100 * MSS, 100 * MSS, SeqNum(101_000), 0.0, 0.1)
    now, una, samples = 0.0, 101_000, []
    while now < 12:  # an ACK per segment, a window per 100 ms round trip
        for _ in range(cc.cwnd // MSS):
            una += MSS
            cc.on_ack(MSS, cc.cwnd, SeqNum(una), now, 0.1)
        samples.append(cc.cwnd // MSS)
        now += 0.1
    k = ((100 - 70) / 0.4) ** (1 / 3)  # 4.2 s

    def at(t: float) -> int:
        return samples[round(t * 10)]

    assert at(1.0) - at(0.0) > at(k - 0.2) - at(k - 1.2)  # concave: slowing down towards W_max
    assert 95 <= at(k) <= 105  # at t = K the window is back at W_max
    assert at(k + 3) - at(k + 2) > at(k + 1) - at(k)  # convex: probing beyond W_max faster and faster


def test_an_idle_spell_moves_cubics_epoch_on_so_the_curve_resumes_where_it_paused():
    # RFC 9438 5.8; Linux's cubictcp_cwnd_event (CA_EVENT_TX_START): t counts time spent sending, not idle
    cc = Congestion(Algorithm.CUBIC, 10)
    cc.start(MSS, syn_lost=False)
    cc.cwnd, cc.ssthresh = 20 * MSS, 20 * MSS
    cc.on_ack(MSS, 20 * MSS, SeqNum(MSS), 1.0, 0.1)  # congestion avoidance: the epoch begins at 1 s
    epoch = cc._epoch
    assert epoch is not None
    cc.resume_sending(5.0, 7.0)
    assert cc._epoch == epoch + 5.0
    cc.resume_sending(50.0, 7.0)
    assert cc._epoch == 7.0  # never beyond now


def test_cubic_is_at_least_as_fast_as_reno_in_the_reno_friendly_region():
    # RFC 9438 section 4.3: with a short RTT and small W_max, cwnd follows W_est, Reno's pace
    cc = Congestion(Algorithm.CUBIC, 10)
    cc.start(MSS, syn_lost=False)
    cc.on_duplicate_ack(3, 10 * MSS, SeqNum(1000), SeqNum(11_000))
    cc.on_ack(10 * MSS, 10 * MSS, SeqNum(11_000), 0.0, 0.001)
    seen = []
    una = 11_000
    for i in range(20):
        for _ in range(cc.cwnd // MSS):
            una += MSS
            seen += [c.key for c in cc.on_ack(MSS, cc.cwnd, SeqNum(una), i * 0.001, 0.001)]
    assert CongestionKey.CUBIC_RENO_FRIENDLY in seen
    assert cc.cwnd >= 7 * MSS + 10 * MSS * 0.5  # about alpha (0.53) MSS per round for 20 rounds


def cubic_after_a_loss(**settings: object) -> Congestion:
    """CUBIC in congestion avoidance after a loss at 101 segments (W_max 101, cwnd 70.7), at time 0."""
    cc = Congestion(Algorithm.CUBIC, 100, **settings)  # type: ignore[arg-type]
    cc.start(MSS, syn_lost=False)
    cc.on_ack(MSS, 100 * MSS, SeqNum(1000), 0.0, 1.0, rtt=0.01)  # the smallest RTT: 10 ms
    cc.on_duplicate_ack(3, 100 * MSS, SeqNum(1000), SeqNum(101_000))
    cc.on_ack(100 * MSS, 100 * MSS, SeqNum(101_000), 0.0, 1.0)  # the full ACK: cwnd = ssthresh = 70
    return cc


def grown_in_one_window(cc: Congestion, srtt: float) -> int:
    """Segments cwnd gains while one window is acknowledged, an ACK per segment every millisecond."""
    before = cc.cwnd
    for i in range(cc.cwnd // MSS):
        cc.on_ack(MSS, cc.cwnd, SeqNum(101_000 + (i + 1) * MSS), 0.001 * (i + 1), srtt)
    return (cc.cwnd - before) // MSS


def test_cubic_aims_one_smoothed_rtt_ahead_and_linux_one_minimum_rtt():
    # RFC 9438 4.2: target = W_cubic(t + RTT), RTT the smoothed one: 1 s ahead the curve is at 87 of W_max 100;
    # Linux's bictcp_update adds delay_min (cubic_min_rtt): 10 ms ahead it has hardly left 70
    assert grown_in_one_window(cubic_after_a_loss(), srtt=1.0) >= 5
    assert grown_in_one_window(cubic_after_a_loss(cubic_min_rtt=True), srtt=1.0) <= 1


def test_before_its_first_loss_linux_cubic_grows_at_least_five_percent_per_rtt():
    # tcp_cubic.c bictcp_update: "if (ca->last_max_cwnd == 0 && ca->cnt > 20) ca->cnt = 20" (cubic_first_growth)
    def grown(**settings: object) -> int:
        cc = Congestion(Algorithm.CUBIC, 100, **settings)  # type: ignore[arg-type]
        cc.start(MSS, syn_lost=False)
        cc.ssthresh = cc.cwnd  # congestion avoidance, no loss yet: the curve is flat at cwnd
        return grown_in_one_window(cc, srtt=0.001)

    assert grown() <= 1  # the Reno-friendly pace: about one segment per window
    assert grown(cubic_first_growth=0.05) == 5  # 5% of 100


def test_reno_halves_flightsize_and_linux_halves_cwnd():
    # RFC 5681 3.1 equation 4: ssthresh = max(FlightSize / 2, 2 SMSS); Linux's tcp_reno_ssthresh (ssthresh_from_cwnd):
    # max(cwnd / 2, 2) in whole segments, whatever is in flight
    for settings, ssthresh in (({}, 6 * MSS), ({"ssthresh_from_cwnd": True}, 10 * MSS)):
        cc = Congestion(Algorithm.RENO, 20, **settings)  # type: ignore[arg-type]
        cc.start(MSS, syn_lost=False)
        cc.on_timeout(12 * MSS, SeqNum(13_000), first=True)  # cwnd 20 segments, 12 in flight
        assert cc.ssthresh == ssthresh


def test_linux_uses_cubic_freebsd_reno_and_the_rfc_and_simple_profiles_none():
    from simulator.model.profiles import PROFILES

    got = {name: p.config.congestion for name, p in PROFILES.items()}
    assert got == {"linux": Algorithm.CUBIC, "simple": Algorithm.NONE, "rfc": Algorithm.NONE, "freebsd": Algorithm.RENO}


# ------------------------------------------------------------------ bad input
def test_an_unknown_algorithm_is_one_clear_error():
    text = '[endpoint.a]\ncongestion = "vegas"\nscript = []\n'
    with pytest.raises(ScenarioError, match=r'congestion must be "none", "reno", "cubic", not .vegas.'):
        parse(text)


def test_an_initial_window_of_zero_is_refused():
    with pytest.raises(ScenarioError, match=r"initial_window must be 1\.\.1000 segments"):
        parse("[endpoint.a]\ninitial_window = 0\nscript = []\n")


# ------------------------------------------------------------------ HyStart (Linux's tcp_cubic)
def test_hystart_ends_slow_start_on_an_ack_train_longer_than_half_the_min_rtt():
    # tcp_cubic.c hystart_update, HYSTART_ACK_TRAIN: ACKs at most 2 ms apart for more than delay_min / 2
    h = HyStart()
    h.on_ack(0.0, 0.010, SeqNum(1000), SeqNum(21_000), 20)  # a round begins; min RTT 10 ms
    found = [h.on_ack(0.001 * i, 0.010, SeqNum(1000 + i), SeqNum(21_000), 20) for i in range(1, 7)]
    assert found == [None] * 5 + [Found.ACK_TRAIN]  # 6 ms > 10 ms / 2


def test_hystart_ends_slow_start_when_the_round_rtt_rises_by_an_eighth_at_least_4_ms():
    # tcp_cubic.c hystart_update, HYSTART_DELAY: the round's smallest of 8 RTTs > delay_min + clamp(min/8, 4, 16 ms)
    h = HyStart(delay_min=0.040)
    h.reset(0.0, SeqNum(50_000))
    got = [h.on_ack(0.01 * i, 0.046, SeqNum(1000 + i), SeqNum(50_000), 20) for i in range(1, 10)]
    assert got[-1] is Found.DELAY and got[:-1] == [None] * 8  # 46 ms > 40 + 5 ms, after 8 samples


def test_hystart_waits_for_a_window_of_16_segments():
    # tcp_cubic.c hystart_low_window = 16: below it slow start goes on whatever the ACKs say
    h = HyStart(delay_min=0.010)
    h.reset(0.0, SeqNum(50_000))
    assert all(h.on_ack(0.001 * i, 0.050, SeqNum(1000), SeqNum(50_000), 15) is None for i in range(1, 20))


def test_hystart_sets_ssthresh_to_cwnd_and_cubic_leaves_slow_start():
    # tcp_cubic.c: found -> tp->snd_ssthresh = cwnd; the next ACK is congestion avoidance (RFC 9438 4.10)
    cc = Congestion(Algorithm.CUBIC, 16, hystart=True)
    cc.start(MSS, syn_lost=False)
    changes = []
    for i in range(10):  # one ACK per ms, the path's RTT 10 ms
        changes += cc.on_ack(MSS, 16 * MSS, SeqNum(1000 + i * MSS), 0.001 * i, 0.01, rtt=0.01, snd_nxt=SeqNum(17_000))
    assert CongestionKey.HYSTART_ACK_TRAIN in [c.key for c in changes]
    assert cc.ssthresh is not None and cc.cwnd - cc.ssthresh <= MSS


def test_the_linux_profile_uses_hystart():
    from simulator.model.profiles import PROFILES

    assert PROFILES["linux"].config.hystart and not PROFILES["freebsd"].config.hystart


def test_a_stretch_ack_grows_slow_start_by_at_most_two_segments_unless_the_limit_is_off():
    # RFC 3465 2.3: L = 2 SMSS per ACK; Linux's tcp_slow_start has no L (slow_start_limit = 0), so an ACK
    # of four segments adds four, as the real kernel's window does behind stretch ACKs
    grown = {}
    for limit in (2, 0):
        cc = Congestion(Algorithm.RENO, 10, slow_start_limit=limit)
        cc.start(MSS, syn_lost=False)
        cc.on_ack(4 * MSS, 10 * MSS, SeqNum(5_000), 1.0, 0.1)
        grown[limit] = cc.cwnd - 10 * MSS
    assert grown == {2: 2 * MSS, 0: 4 * MSS}
