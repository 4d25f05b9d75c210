"""RFC 9293 section 3.10: one test per rule the model implements, driven by hand."""

import dataclasses
import itertools

import pytest

from simulator import AckPolicy, Endpoint, EndpointConfig, Flags, ModelError, Segment, SeqNum, State, UserCallError
from simulator.model.endpoint import closed_reply
from simulator.model.timers import Timer

from .conftest import flags_of, make_pair, seg


# ---------------------------------------------------------------- handshake
def test_syn_carries_the_isn_and_no_ack(pair):
    pair.client.connect("10.0.0.2", 80, 0.0)
    (syn,) = pair.out(pair.client)
    assert syn.flags == Flags.SYN
    assert syn.seq == 1000
    assert syn.options.mss == 1460
    assert pair.client.state is State.SYN_SENT
    assert pair.client.snd_nxt == 1001  # the SYN used one sequence number


def test_syn_ack_acknowledges_the_isn_plus_one(pair):
    pair.server.listen(0.0)
    pair.client.connect("10.0.0.2", 80, 0.0)
    (syn,) = pair.out(pair.client)
    (syn_ack,) = pair.deliver(syn, pair.server)
    assert syn_ack.flags == Flags.SYN | Flags.ACK
    assert (syn_ack.seq, syn_ack.ack) == (5000, 1001)
    assert pair.server.state is State.SYN_RECEIVED
    assert pair.server.irs == 1000 and pair.server.rcv_nxt == 1001


def test_the_third_segment_completes_the_handshake_on_both_sides(established):
    assert established.client.state is State.ESTABLISHED
    assert established.server.state is State.ESTABLISHED
    assert established.client.snd_una == established.client.snd_nxt == 1001
    assert established.server.snd_una == established.server.snd_nxt == 5001


def test_mss_is_the_smaller_of_both_offers():
    w = make_pair(server={"mss": 536})
    w.handshake()
    assert w.client.snd_mss == 536


def test_the_timestamps_option_takes_its_room_from_each_segments_data():
    # RFC 9293 3.7.1 (MUST-16): the effective send MSS counts the options every segment carries,
    # so with timestamps (12 bytes with padding) an MSS of 1460 leaves 1448 for data, as in Linux
    w = make_pair(timestamps=True, recv_buffer=60_000)
    w.handshake()
    assert w.client.snd_mss == 1460 - 12
    w.client.send(b"x" * 3000, 0.0)
    assert [len(s.payload) for s in w.out(w.client)] == [1448, 1448, 104]
    without = make_pair(recv_buffer=60_000)
    without.handshake()
    assert without.client.snd_mss == 1460


def test_an_ipv6_endpoint_offers_the_mtu_less_sixty_bytes():
    # RFC 9293 3.7.1: the MSS is the MTU less the IP and TCP headers: 40 bytes on IPv4, 60 on IPv6
    v6 = Endpoint("client", "2001:db8::1", 40000, 1000)
    v6.connect("2001:db8::2", 80, 0.0)
    (syn,) = [n.segment for n in v6.drain() if n.segment is not None]
    assert syn.options.mss == 1500 - 60
    v4 = Endpoint("client", "10.0.0.1", 40000, 1000, EndpointConfig(mtu=9000))
    v4.connect("10.0.0.2", 80, 0.0)
    assert [n.segment.options.mss for n in v4.drain() if n.segment is not None] == [9000 - 40]


def test_without_an_mss_option_an_ipv6_peer_is_sent_1220_byte_segments():
    # RFC 9293 3.7.1 (MUST-15): 536 on IPv4, 1280 - 60 on IPv6
    server = Endpoint("server", "2001:db8::2", 80, 5000)
    server.listen(0.0)
    server.on_segment(Segment(40000, 80, SeqNum(1000), flags=Flags.SYN, window=65535, src_addr="2001:db8::1"), 0.0)
    assert server.snd_mss == 1220


@pytest.mark.parametrize(
    ("offered", "timestamps", "sent"),
    [(0, False, 536), (5, False, 48), (5, True, 48 - 12), (47, False, 48), (48, False, 48), (100, False, 100)],
)
def test_a_peers_tiny_or_zero_mss_is_clamped_as_linux_clamps_it(offered, timestamps, sent):
    # Linux ignores an MSS option of 0 (tcp_parse_options) and raises a smaller one to tcp_min_snd_mss
    # (48), less the options each segment carries: every segment holds data, and the sender never spins
    w = make_pair(timestamps=timestamps)
    w.server.listen(0.0)
    w.client.connect(w.server.addr, w.server.port, 0.0)
    (syn,) = w.out(w.client)
    (syn_ack,) = w.deliver(syn, w.server)
    syn_ack = dataclasses.replace(syn_ack, options=dataclasses.replace(syn_ack.options, mss=offered))
    w.deliver(syn_ack, w.client)
    assert w.client.snd_mss == sent
    w.client.send(b"x" * 300, 0.0)
    sizes = [len(s.payload) for s in w.out(w.client) if s.payload]
    assert sum(sizes) == 300 and max(sizes) == min(sent, 300)


def test_window_scale_applies_only_when_both_sides_offer_it():
    w = make_pair(window_scale=7, recv_buffer=1 << 20)
    w.handshake()
    assert (w.client.snd_wscale, w.client.rcv_wscale) == (7, 7)
    w.client.send(b"x", 0.0)
    (data,) = w.out(w.client)
    assert data.window == (1 << 20) >> 7  # scaled in every segment after the SYN
    one_sided = make_pair(client_isn=1000)
    one_sided.client = Endpoint("client", "10.0.0.1", 40000, 1000, EndpointConfig(window_scale=7, recv_buffer=1 << 20))
    one_sided.handshake()
    assert one_sided.client.snd_wscale == one_sided.client.rcv_wscale == 0


# ------------------------------------------------------ CLOSED and LISTEN
def test_a_closed_port_answers_a_syn_with_rst_ack_seq_zero(pair):
    reply, _ = closed_reply(seg(pair.client, pair.server, 1000, flags="S"))
    assert reply is not None
    assert reply.flags == Flags.RST | Flags.ACK
    assert (reply.seq, reply.ack) == (0, 1001)


def test_a_closed_port_answers_an_ack_with_rst_taken_from_the_ack_field(pair):
    reply, _ = closed_reply(seg(pair.client, pair.server, 1000, 777, "A", b"hello"))
    assert reply is not None
    assert reply.flags == Flags.RST
    assert reply.seq == 777


def test_a_rst_is_never_answered(pair):
    assert closed_reply(seg(pair.client, pair.server, 1, flags="R"))[0] is None
    pair.server.listen(0.0)
    pair.out(pair.server)
    assert pair.deliver(seg(pair.client, pair.server, 1, flags="R"), pair.server) == []
    assert pair.server.state is State.LISTEN


def test_listen_answers_an_ack_with_a_reset(pair):
    pair.server.listen(0.0)
    pair.out(pair.server)
    (rst,) = pair.deliver(seg(pair.client, pair.server, 1000, 4242, "A"), pair.server)
    assert rst.flags == Flags.RST and rst.seq == 4242
    assert pair.server.state is State.LISTEN


# ---------------------------------------------------------------- SYN-SENT
def test_syn_sent_resets_a_syn_ack_that_acknowledges_the_wrong_number(pair):
    pair.client.connect("10.0.0.2", 80, 0.0)
    pair.out(pair.client)
    (rst,) = pair.deliver(seg(pair.server, pair.client, 5000, 91, "SA"), pair.client)
    assert rst.flags == Flags.RST and rst.seq == 91
    assert pair.client.state is State.SYN_SENT  # still waiting for the right answer


def test_rst_with_an_acceptable_ack_in_syn_sent_means_connection_refused(pair):
    pair.client.connect("10.0.0.2", 80, 0.0)
    pair.out(pair.client)
    assert pair.deliver(seg(pair.server, pair.client, 0, 1001, "RA"), pair.client) == []
    assert pair.client.state is State.CLOSED
    assert pair.client.error == "refused"


def test_rst_without_ack_in_syn_sent_is_ignored(pair):
    pair.client.connect("10.0.0.2", 80, 0.0)
    pair.out(pair.client)
    pair.deliver(seg(pair.server, pair.client, 0, 0, "R"), pair.client)
    assert pair.client.state is State.SYN_SENT


def test_simultaneous_open_goes_through_syn_received(pair):
    a, b = pair.client, pair.server
    a.connect(b.addr, b.port, 0.0)
    b.connect(a.addr, a.port, 0.0)
    (syn_a,) = pair.out(a)
    (syn_b,) = pair.out(b)
    (sa_b,) = pair.deliver(syn_a, b)
    (sa_a,) = pair.deliver(syn_b, a)
    assert a.state is b.state is State.SYN_RECEIVED
    assert flags_of([sa_a, sa_b]) == ["SA", "SA"]
    # each SYN,ACK completes the open, and its SYN, a copy of one already acknowledged, is acknowledged at once
    ((ack_a,), (ack_b,)) = pair.deliver(sa_b, a), pair.deliver(sa_a, b)
    assert a.state is b.state is State.ESTABLISHED
    assert flags_of([ack_a, ack_b]) == ["A", "A"] and (ack_a.seq, ack_a.ack) == (a.iss + 1, b.iss + 1)


# ------------------------------------------------------- synchronized states
def test_an_unacceptable_segment_is_answered_with_an_ack(established):
    w = established
    (ack,) = w.deliver(seg(w.client, w.server, 900_000, 5001, "PA", b"junk"), w.server)
    assert ack.flags == Flags.ACK
    assert (ack.seq, ack.ack) == (5001, 1001)
    assert w.server.rcv_nxt == 1001


def test_a_rst_exactly_at_rcv_nxt_resets_the_connection(established):
    w = established
    assert w.deliver(seg(w.client, w.server, 1001, 0, "R"), w.server) == []
    assert w.server.state is State.CLOSED
    assert w.server.error == "reset"


def test_an_in_window_rst_not_at_rcv_nxt_gets_a_challenge_ack(established):
    w = established
    (challenge,) = w.deliver(seg(w.client, w.server, 1500, 0, "R"), w.server)
    assert challenge.flags == Flags.ACK and challenge.ack == 1001
    assert w.server.state is State.ESTABLISHED


def test_without_rfc5961_an_in_window_rst_resets():
    w = make_pair(rfc5961=False)
    w.handshake()
    w.deliver(seg(w.client, w.server, 1500, 0, "R"), w.server)
    assert w.server.state is State.CLOSED


def test_a_rst_outside_the_window_is_dropped_silently(established):
    w = established
    assert w.deliver(seg(w.client, w.server, 1001 + 70000, 0, "R"), w.server) == []
    assert w.server.state is State.ESTABLISHED


def test_a_syn_on_an_established_connection_gets_a_challenge_ack(established):
    w = established
    (challenge,) = w.deliver(seg(w.client, w.server, 1001, 0, "S"), w.server)
    assert challenge.flags == Flags.ACK
    assert w.server.state is State.ESTABLISHED


def test_without_rfc5961_a_syn_in_the_window_resets_the_connection():
    w = make_pair(rfc5961=False)
    w.handshake()
    (rst,) = w.deliver(seg(w.client, w.server, 1001, 0, "S"), w.server)
    assert Flags.RST in rst.flags
    assert w.server.state is State.CLOSED


def test_an_ack_for_data_never_sent_is_answered_and_dropped(established):
    w = established
    (ack,) = w.deliver(seg(w.client, w.server, 1001, 9999, "PA", b"hi"), w.server)
    assert ack.ack == 1001  # the data was dropped with the segment
    assert w.server.snd_una == 5001


def test_a_segment_without_ack_is_dropped_after_the_handshake(established):
    w = established
    assert w.deliver(seg(w.client, w.server, 1001, 0, "P", b"hi"), w.server) == []
    assert w.server.rcv_nxt == 1001


def test_data_is_acknowledged_with_the_next_expected_byte(established):
    w = established
    (ack,) = w.deliver(seg(w.client, w.server, 1001, 5001, "PA", b"hello"), w.server)
    assert ack.ack == 1006
    assert w.server.receive() == b"hello"


def test_an_out_of_order_segment_gets_a_duplicate_ack_and_is_kept(established):
    w = established
    (dup,) = w.deliver(seg(w.client, w.server, 1006, 5001, "PA", b"world"), w.server)
    assert dup.ack == 1001
    (ack,) = w.deliver(seg(w.client, w.server, 1001, 5001, "A", b"hello"), w.server)
    assert ack.ack == 1011  # the gap is filled: one ACK covers both
    assert w.server.receive() == b"helloworld"


def test_a_longer_out_of_order_segment_from_the_same_start_replaces_the_shorter(established):
    # two out-of-order segments that start alike: the reassembly queue keeps the one that covers more
    # (Linux's tcp_data_queue_ofo), where it once kept the first and lost the rest of the second
    w = established
    w.deliver(seg(w.client, w.server, 1006, 5001, "PA", b"wor"), w.server)
    w.deliver(seg(w.client, w.server, 1006, 5001, "PA", b"world"), w.server)
    w.deliver(seg(w.client, w.server, 1006, 5001, "PA", b"w"), w.server)  # and a shorter one later changes nothing
    (ack,) = w.deliver(seg(w.client, w.server, 1001, 5001, "A", b"hello"), w.server)
    assert ack.ack == 1011
    assert w.server.receive() == b"helloworld"


def test_duplicate_data_is_dropped_and_acknowledged_again(established):
    w = established
    data = seg(w.client, w.server, 1001, 5001, "PA", b"hello")
    w.deliver(data, w.server)
    (again,) = w.deliver(data, w.server)
    assert again.ack == 1006
    assert w.server.receive() == b"hello"  # delivered once


def test_a_partly_old_segment_is_trimmed_to_the_new_bytes(established):
    w = established
    w.deliver(seg(w.client, w.server, 1001, 5001, "A", b"hel"), w.server)
    (ack,) = w.deliver(seg(w.client, w.server, 1001, 5001, "A", b"hello"), w.server)
    assert ack.ack == 1006
    assert w.server.receive() == b"hello"


# ----------------------------------------------------------------- closing
def test_close_sends_a_fin_and_enters_fin_wait_1(established):
    w = established
    w.client.close(0.0)
    (fin,) = w.out(w.client)
    assert fin.flags == Flags.FIN | Flags.ACK and fin.seq == 1001
    assert w.client.state is State.FIN_WAIT_1


def test_a_fin_is_acknowledged_with_its_sequence_number_plus_one():
    w = make_pair(delay_fin_ack=False)
    w.handshake()
    w.client.close(0.0)
    (fin,) = w.out(w.client)
    (ack,) = w.deliver(fin, w.server)
    assert ack.ack == fin.seq + 1
    assert w.server.state is State.CLOSE_WAIT
    assert w.server.eof


def test_linux_holds_the_ack_of_a_fin_so_a_close_can_carry_it(established):
    w = established
    w.client.close(0.0)
    (fin,) = w.out(w.client)
    assert w.deliver(fin, w.server) == []  # no bare ACK yet
    w.server.close(0.0)
    (fin_ack,) = w.out(w.server)
    assert fin_ack.flags == Flags.FIN | Flags.ACK and fin_ack.ack == 1002


def test_a_half_closed_connection_still_carries_data_the_other_way(established):
    w = established
    w.client.close(0.0)
    (fin,) = w.out(w.client)
    w.deliver(fin, w.server)
    (ack_of_fin,) = w.tick(w.server, 0.2)  # the delayed ACK of the FIN
    w.deliver(ack_of_fin, w.client)
    assert w.client.state is State.FIN_WAIT_2
    w.server.send(b"late answer", 0.2)
    (data,) = w.out(w.server)
    (ack,) = w.deliver(data, w.client)
    assert ack.ack == data.end
    assert w.client.receive() == b"late answer"


def test_time_wait_lasts_two_msl_then_the_connection_is_deleted(established):
    w = established
    _, last = w.close_client_first()
    assert w.client.state is State.TIME_WAIT
    assert w.client.next_timer() == pytest.approx(2 * 2.0)
    w.deliver(last, w.server)
    assert w.server.state is State.CLOSED  # LAST-ACK ends at once
    w.tick(w.client, 4.0)
    assert w.client.state is State.CLOSED


def test_time_wait_acknowledges_a_repeated_fin_and_restarts_its_timer(established):
    w = established
    fin2, _ = w.close_client_first()
    w.now = 1.0
    (ack,) = w.deliver(fin2, w.client)
    assert ack.ack == fin2.seq + 1
    assert w.client.next_timer() == pytest.approx(1.0 + 4.0)


def test_simultaneous_close_goes_through_closing(established):
    w = established
    w.client.close(0.0)
    w.server.close(0.0)
    (fa,) = w.out(w.client)
    (fb,) = w.out(w.server)
    (ack_b,) = w.deliver(fa, w.server)
    (ack_a,) = w.deliver(fb, w.client)
    assert w.client.state is w.server.state is State.CLOSING
    w.deliver(ack_b, w.client)
    w.deliver(ack_a, w.server)
    assert w.client.state is w.server.state is State.TIME_WAIT


def test_abort_sends_a_rst_with_snd_nxt_and_forgets_the_connection(established):
    w = established
    w.client.abort(0.0)
    (rst,) = w.out(w.client)
    assert rst.flags == Flags.RST | Flags.ACK and rst.seq == 1001 and rst.ack == 5001  # Linux adds the ACK
    assert w.client.state is State.CLOSED


def test_the_plain_rfc_profile_aborts_with_a_bare_rst():
    from simulator.model.profiles import profile

    w = make_pair(**{f: getattr(profile("rfc").config, f) for f in ("rfc5961", "rst_carries_ack")})
    w.handshake()
    w.client.abort(0.0)
    (rst,) = w.out(w.client)
    assert rst.flags == Flags.RST and rst.seq == 1001


def test_closing_with_unread_data_resets_the_connection():
    w = make_pair(auto_read=False)
    w.handshake()
    w.deliver(seg(w.client, w.server, 1001, 5001, "PA", b"unread"), w.server)
    w.server.close(0.0, read_too=True)
    (rst,) = w.out(w.server)
    assert rst.flags & Flags.RST
    assert w.server.state is State.CLOSED


# --------------------------------------------------- segmentation and windows
def test_data_is_cut_into_mss_sized_segments():
    w = make_pair(mss=1000)
    w.handshake()
    w.client.send(b"x" * 2500, 0.0)
    out = w.out(w.client)
    assert [len(s.payload) for s in out] == [1000, 1000, 500]
    assert [int(s.seq) for s in out] == [1001, 2001, 3001]
    assert flags_of(out) == ["A", "A", "PA"]  # PSH when the send buffer empties


def test_the_receive_window_limits_the_sender():
    w = make_pair(mss=1000, server={"recv_buffer": 1500, "auto_read": False})
    w.handshake()
    w.client.send(b"x" * 4000, 0.0)
    out = w.out(w.client)
    assert sum(len(s.payload) for s in out) == 1500
    assert w.client.unsent == 2500


def test_a_zero_window_is_probed_when_the_persist_timer_fires():
    w = make_pair(mss=1000, server={"recv_buffer": 1000, "auto_read": False})
    w.handshake()
    w.client.send(b"x" * 2000, 0.0)
    (first,) = w.out(w.client)
    (zero,) = w.deliver(first, w.server)
    assert zero.window == 0
    assert w.deliver(zero, w.client) == []
    assert w.client.timer_deadline(Timer.PERSIST) is not None
    (probe,) = w.tick(w.client, w.client.next_timer())
    assert len(probe.payload) == 1 and probe.seq == 2001
    (refused,) = w.deliver(probe, w.server)
    assert refused.ack == 2001 and refused.window == 0


# ------------------------------------------------------------------ timers
def test_the_initial_rto_is_one_second(pair):
    pair.client.connect("10.0.0.2", 80, 0.0)
    assert pair.client.next_timer() == 1.0


def test_each_timeout_doubles_the_rto(pair):
    pair.client.connect("10.0.0.2", 80, 0.0)
    pair.out(pair.client)
    times = []
    for _ in range(3):
        t = pair.client.next_timer()
        times.append(t)
        (again,) = pair.tick(pair.client, t)
        assert again.flags == Flags.SYN and again.seq == 1000  # same ISN
    assert times == [1.0, 3.0, 7.0]


def test_a_zero_window_probed_for_a_day_keeps_its_probes_at_the_maximum_interval():
    # the persist backoff stops doubling at max_rto: a window closed for 86,400 s is probed every 60 s,
    # where the shift once grew until 2**shift overflowed a float (after about 61,500 simulated seconds)
    w = make_pair(server={"recv_buffer": 1000, "auto_read": False})
    w.handshake()
    w.client.send(b"x" * 3000, 0.0)
    (data,) = w.out(w.client)  # the 1000 bytes the window takes
    (zero,) = w.deliver(data, w.server)
    w.deliver(zero, w.client)
    assert w.client.snd_wnd == 0
    probes = []
    while w.now < 86_400:
        deadline = w.client.next_timer()
        assert deadline is not None
        probes.append(deadline)
        w.tick(w.client, deadline)
    gaps = [b - a for a, b in itertools.pairwise(probes)]
    assert max(gaps) == pytest.approx(60.0) and gaps[-1] == pytest.approx(60.0)


def test_karn_no_rtt_sample_from_a_retransmitted_segment(pair):
    pair.server.listen(0.0)
    pair.client.connect("10.0.0.2", 80, 0.0)
    pair.out(pair.client)
    (syn,) = pair.tick(pair.client, 1.0)  # the first SYN was "lost"
    pair.out(pair.server)
    (syn_ack,) = pair.deliver(syn, pair.server)
    pair.now = 1.1
    pair.deliver(syn_ack, pair.client)
    assert pair.client.rto.srtt is None  # ambiguous: no sample
    assert pair.client.rto.rto == 3.0  # RFC 6298 5.7


def test_an_rtt_sample_sets_srtt_and_rttvar():
    from simulator.model.timers import RtoEstimator

    est = RtoEstimator(1.0, 0.2, 60.0, 0.001)
    est.sample(0.1)
    assert est.srtt == pytest.approx(0.1) and est.rttvar == pytest.approx(0.05)
    assert est.rto == pytest.approx(0.3)
    est.sample(0.3)
    assert est.rttvar == pytest.approx(0.75 * 0.05 + 0.25 * 0.2)
    assert est.srtt == pytest.approx(0.875 * 0.1 + 0.125 * 0.3)


def test_a_syn_that_is_never_answered_gives_up_with_a_timeout():
    w = make_pair(syn_retries=2)
    w.client.connect("10.0.0.2", 80, 0.0)
    w.out(w.client)
    while w.client.state is State.SYN_SENT:
        w.tick(w.client, w.client.next_timer())
    assert w.client.error == "timeout"
    assert w.now == pytest.approx(1 + 2 + 4)


def keepalive_pair(**config: object):
    w = make_pair(
        server={"keepalive": False},
        keepalive=True,
        keepalive_idle=1.0,
        keepalive_interval=1.0,
        keepalive_probes=3,
        **config,
    )
    w.handshake()
    return w


def test_keep_alive_is_off_unless_the_application_asks_for_it(established):
    assert established.client.timer_deadline(Timer.KEEPALIVE) is None


def test_a_quiet_peer_is_probed_with_an_empty_ack_one_below_snd_nxt():
    # RFC 1122 4.2.3.6; Linux and FreeBSD send <SEQ=SND.UNA-1><ACK=RCV.NXT><CTL=ACK> and no data
    w = keepalive_pair()
    (probe,) = w.tick(w.client, 1.0)
    assert probe.flags == Flags.ACK and not probe.payload
    assert probe.seq == w.client.snd_una - 1 and probe.ack == w.client.rcv_nxt
    (answer,) = w.deliver(probe, w.server)  # it lies before the server's window: answered with an ACK
    assert answer.flags == Flags.ACK and (answer.seq, answer.ack) == (w.server.snd_nxt, w.server.rcv_nxt)
    assert w.deliver(answer, w.client) == []
    assert w.tick(w.client, 1.5) == []  # heard from at 1.0: quiet only since then
    (again,) = w.tick(w.client, 2.0)
    assert again.seq == w.client.snd_una - 1


def test_unanswered_keep_alive_probes_end_in_a_reset_and_a_timeout():
    w = keepalive_pair()
    probes = [w.tick(w.client, float(t)) for t in (1, 2, 3)]
    assert [len(p) for p in probes] == [1, 1, 1]
    (rst,) = w.tick(w.client, 4.0)  # keepalive_probes = 3 went unanswered
    assert rst.flags & Flags.RST
    assert w.client.state is State.CLOSED and w.client.error == "timeout"


def test_keep_alive_does_not_probe_while_data_is_in_flight():
    w = keepalive_pair()
    w.client.send(b"hello", 0.5)
    w.out(w.client)  # sent, never acknowledged: the retransmission timer watches the peer
    assert [s.flags for s in w.tick(w.client, 1.5) if not s.payload] == []


def test_delayed_acks_come_for_every_second_full_sized_segment():
    w = make_pair(mss=1000, ack_policy=AckPolicy.DELAYED)
    w.handshake()
    w.client.send(b"x" * 2000, 0.0)
    first, second = w.out(w.client)
    assert w.deliver(first, w.server) == []
    (ack,) = w.deliver(second, w.server)
    assert ack.ack == 3001


def test_a_lone_segment_is_acknowledged_when_the_delayed_ack_timer_fires():
    w = make_pair(ack_policy=AckPolicy.DELAYED)
    w.handshake()
    w.client.send(b"hi", 0.0)
    (data,) = w.out(w.client)
    assert w.deliver(data, w.server) == []
    (ack,) = w.tick(w.server, 0.2)
    assert ack.ack == 1003


def test_the_third_duplicate_ack_triggers_a_fast_retransmit():
    w = make_pair(mss=1000)
    w.handshake()
    w.client.send(b"x" * 5000, 0.0)
    segs = w.out(w.client)
    acks = [w.deliver(s, w.server)[0] for s in segs[:1] + segs[2:]]  # segs[1] is lost
    out = []
    for a in acks:
        out += w.deliver(a, w.client)
    assert [int(s.seq) for s in out] == [2001]


# ------------------------------------------------------------- user calls
def test_send_on_a_connection_that_does_not_exist_is_refused(pair):
    with pytest.raises(UserCallError, match="does not exist"):
        pair.client.send(b"x", 0.0)


def test_listen_twice_is_refused(pair):
    pair.server.listen(0.0)
    with pytest.raises(UserCallError, match="cannot listen"):
        pair.server.listen(0.0)


def test_send_after_close_is_refused(established):
    established.client.close(0.0)
    with pytest.raises(UserCallError, match="closing"):
        established.client.send(b"x", 0.0)


def test_the_model_refuses_a_state_move_not_in_the_table(pair):
    with pytest.raises(ModelError, match="does not allow"):
        pair.client._move(State.TIME_WAIT, "bogus")


def test_every_state_appears_in_the_transition_table():
    from simulator.model.states import TRANSITIONS

    seen = {t.source for t in TRANSITIONS} | {t.target for t in TRANSITIONS}
    assert seen == set(State)


def test_seqnum_state_survive_a_wrapping_isn():
    w = make_pair(client_isn=2**32 - 1)
    w.handshake()
    assert w.client.snd_nxt == SeqNum(0)
    w.client.send(b"abc", 0.0)
    (data,) = w.out(w.client)
    (ack,) = w.deliver(data, w.server)
    assert ack.ack == 3


# ------------------------------------------------------------ more corners
def _zero_window_pair():
    w = make_pair(mss=1000, server={"recv_buffer": 1000, "auto_read": False})
    w.handshake()
    w.deliver(seg(w.client, w.server, 1001, 5001, "A", b"x" * 1000), w.server)
    assert w.server.rcv_wnd == 0
    return w


def test_a_zero_window_still_takes_the_ack_field_of_a_segment_at_rcv_nxt():
    w = _zero_window_pair()
    w.server.send(b"reply", 0.0)
    (reply,) = w.out(w.server)
    assert reply.seq == 5001
    (ack,) = w.deliver(seg(w.client, w.server, 2001, 5006, "A", b"y"), w.server)  # a probe that also ACKs
    assert w.server.snd_una == 5006  # the ACK field was used
    assert ack.ack == 2001 and ack.window == 0  # the data was not


def test_a_rst_at_rcv_nxt_resets_even_with_a_zero_window():
    w = _zero_window_pair()
    w.deliver(seg(w.client, w.server, 2001, 0, "R"), w.server)
    assert w.server.state is State.CLOSED


def test_reading_opens_the_window_and_announces_it():
    w = _zero_window_pair()
    assert w.server.receive(now=0.5) == b"x" * 1000
    (update,) = w.out(w.server)
    assert update.flags == Flags.ACK and update.window == 1000 and update.ack == 2001


def test_a_passive_connection_reset_in_syn_received_returns_to_listen(pair):
    pair.server.listen(0.0)
    pair.out(pair.server)
    pair.deliver(seg(pair.client, pair.server, 1000, flags="S"), pair.server)
    assert pair.server.state is State.SYN_RECEIVED
    pair.deliver(seg(pair.client, pair.server, 1001, 0, "R"), pair.server)
    assert pair.server.state is State.LISTEN
    assert pair.server.remote_port == 0  # ready for anyone again


def test_a_repeated_syn_gets_the_syn_ack_again_but_not_twice_at_once(pair):
    pair.server.listen(0.0)
    pair.out(pair.server)
    syn = seg(pair.client, pair.server, 1000, flags="S")
    pair.deliver(syn, pair.server)
    pair.now = 0.1
    (again,) = pair.deliver(syn, pair.server)  # the first repeat is answered at once (Linux's tcp_check_req)
    assert again.flags == Flags.SYN | Flags.ACK and again.ack == 1001
    pair.now = 0.3
    assert pair.deliver(syn, pair.server) == []  # but not again within 0.5 s of that answer
    pair.now = 0.7
    (again,) = pair.deliver(syn, pair.server)
    assert again.flags == Flags.SYN | Flags.ACK


def test_the_syn_ack_timer_does_not_count_against_answering_a_repeated_syn(pair):
    # Linux rate-limits answers to repeated SYNs from its last such answer only: a SYN,ACK its timer
    # resent a moment before does not silence the answer (tcp_oow_rate_limited, last_oow_ack_time)
    pair.server.listen(0.0)
    pair.out(pair.server)
    pair.deliver(seg(pair.client, pair.server, 1000, flags="S"), pair.server)
    (resent,) = pair.tick(pair.server, 1.0)  # the SYN,ACK's retransmission timer
    assert resent.flags == Flags.SYN | Flags.ACK
    pair.now = 1.01
    (answer,) = pair.deliver(seg(pair.client, pair.server, 1000, flags="S"), pair.server)
    assert answer.flags == Flags.SYN | Flags.ACK
    assert pair.server.timer_deadline(Timer.RETRANSMIT) == pytest.approx(1.01 + pair.server.rto.rto)  # restarted


def test_data_after_a_full_close_is_answered_by_a_reset(established):
    w = established
    w.server.close(0.0, read_too=True)
    w.out(w.server)
    (rst,) = w.deliver(seg(w.client, w.server, 1001, 5002, "PA", b"late"), w.server)
    assert rst.flags & Flags.RST
    assert w.server.state is State.CLOSED


def test_the_fin_waits_for_queued_data_and_rides_on_the_last_segment():
    w = make_pair(mss=1000, server={"recv_buffer": 1000, "auto_read": False})
    w.handshake()
    w.client.send(b"x" * 1500, 0.0)
    w.client.close(0.0)
    (first,) = w.out(w.client)  # the window takes 1000 bytes; 500 and the FIN wait
    assert not first.flags & Flags.FIN
    assert w.client.state is State.FIN_WAIT_1
    (zero,) = w.deliver(first, w.server)
    w.deliver(zero, w.client)
    w.server.receive(now=0.1)
    (update,) = w.out(w.server)
    (last,) = w.deliver(update, w.client)
    assert last.flags == Flags.FIN | Flags.ACK | Flags.PSH
    assert (int(last.seq), len(last.payload)) == (2001, 500)


def test_close_after_everything_was_sent_sends_a_lone_fin():
    w = make_pair()
    w.handshake()
    w.client.send(b"abc", 0.0)
    w.out(w.client)
    w.client.close(0.0)
    (fin,) = w.out(w.client)
    assert fin.flags == Flags.FIN | Flags.ACK and fin.seq == 1004


def test_a_crashed_host_forgets_the_connection_without_a_word(established):
    w = established
    w.server.crash(1.0)
    assert w.out(w.server) == []
    assert w.server.state is State.CLOSED
    (rst,) = w.deliver(seg(w.client, w.server, 1001, 5001, "PA", b"hi"), w.server)
    assert rst.flags == Flags.RST and rst.seq == 5001  # RFC 9293 Figure 10


def test_rst_in_time_wait_deletes_the_connection(established):
    w = established
    w.close_client_first()
    assert w.client.state is State.TIME_WAIT
    w.deliver(seg(w.server, w.client, 5002, 0, "R"), w.client)
    assert w.client.state is State.CLOSED
