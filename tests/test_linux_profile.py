"""The linux profile's rules, one test each: options, windows, timestamps, SACK, ACKs, timers, Nagle.

Each rule is what a Linux 6.x kernel does (the source named beside it); the real-kernel captures of
tests/test_linux_conversations.py hold the profile to whole conversations.
"""

from dataclasses import asdict, replace

from simulator import Flags, State
from simulator.model.profiles import PROFILES
from simulator.model.timers import Timer
from simulator.sim.scenario import parse

from .conftest import make_pair, seg

LINUX = asdict(PROFILES["linux"].config)


def linux_pair(server: dict[str, object] | None = None, **changes: object):
    return make_pair(server=server, **{**LINUX, **changes})


def established(**changes: object):
    w = linux_pair(**changes)
    w.handshake()
    return w


# ------------------------------------------------------------------ options and windows
def test_a_linux_syn_offers_mss_sack_timestamps_and_window_scale():
    w = linux_pair()
    w.client.connect("10.0.0.2", 80, 0.0)
    (syn,) = w.out(w.client)
    assert (syn.options.mss, syn.options.sack_permitted, syn.options.wscale) == (1460, True, 7)
    assert syn.options.timestamps is not None and syn.options.timestamps[1] == 0  # nothing to echo yet
    assert syn.window == 64240  # 44 whole segments of 1460 (tcp_select_initial_window)


def test_the_syn_ack_window_counts_segments_less_the_timestamps():
    w = linux_pair()
    w.server.listen(0.0)
    w.client.connect("10.0.0.2", 80, 0.0)
    (syn,) = w.out(w.client)
    (syn_ack,) = w.deliver(syn, w.server)
    assert syn_ack.window == 65160  # 45 x 1448


def test_the_offered_shift_is_what_the_largest_buffer_needs_and_0_for_a_fixed_small_one():
    assert linux_pair(recv_buffer_max=33554432).client._offered_wscale() == 10  # Linux 6.16's 32 MiB
    assert linux_pair(recv_buffer=2048, fixed_recv_buffer=True).client._offered_wscale() == 0  # SO_RCVBUF


def test_after_the_handshake_the_window_is_rounded_up_to_the_scale():
    w = established()
    (data,) = (w.client.send(b"x", 0.0), w.out(w.client))[1]
    assert data.window == 502  # 64240 rounded up to 128: 502 x 128 = 64256


def test_a_peer_window_is_scaled_once_both_offered_the_option():
    w = established()
    w.server.send(b"y", 0.0)
    (data,) = w.out(w.server)
    w.deliver(data, w.client)
    assert w.client.snd_wnd == data.window << 7


# ------------------------------------------------------------------ timestamps
def test_timestamps_echo_the_peer_and_count_from_a_per_connection_offset():
    w = established()
    w.now = 0.25
    w.client.send(b"x", 0.25)
    (data,) = w.out(w.client)
    tsval, tsecr = data.options.timestamps
    assert tsecr == w.client._ts_recent != 0
    other = linux_pair(client_isn=7777)
    other.handshake()
    assert tsval != 250 and tsval - w.client._ts_offset == 250  # 250 ms after an offset of its own


def test_paws_drops_a_segment_with_an_older_timestamp_and_answers_it():
    w = established()
    recent = w.server._ts_recent
    old = replace(
        seg(w.client, w.server, 1001, 5001, "PA", b"stale"),
        options=replace(w.client._segment_options(Flags.ACK), timestamps=(recent - 10, 0)),
    )
    (answer,) = w.deliver(old, w.server)
    assert answer.ack == 1001 and w.server.rcv_nxt == 1001  # RFC 7323 5.3: not taken


# ------------------------------------------------------------------ SACK
def test_out_of_order_data_is_reported_in_sack_blocks_the_latest_first():
    w = established(quickacks=0)
    w.server.send(b"a" * 5000, 0.0)
    s1, s2, _s3, s4 = w.out(w.server)
    (dup1,) = w.deliver(s2, w.client)  # s1 is missing: a duplicate ACK that says what is held
    assert dup1.ack == s1.seq and dup1.options.sack_blocks == ((s2.seq, s2.end),)
    (dup2,) = w.deliver(s4, w.client)
    assert dup2.options.sack_blocks == ((s4.seq, s4.end), (s2.seq, s2.end))  # RFC 2018 4: the latest first
    (ack,) = w.deliver(s1, w.client)
    assert ack.ack == s2.end and ack.options.sack_blocks == ((s4.seq, s4.end),)


def test_a_duplicate_segment_is_reported_as_a_d_sack():
    w = established()
    w.server.send(b"a" * 100, 0.0)
    (data,) = w.out(w.server)
    w.deliver(data, w.client)
    w.out(w.client)
    (answer,) = w.deliver(data, w.client)  # the same segment again
    assert answer.options.sack_blocks == ((data.seq, data.end),)  # RFC 2883: below the ACK, a duplicate


# ------------------------------------------------------------------ ACKs
def test_a_window_that_grows_is_announced_at_once():
    # tcp_grow_window: a bulk segment that lets the offered window grow sets "icsk_ack.quick |= 1", so its
    # ACK goes at once even with no quick ACKs left
    w = established(quickacks=0)
    w.server.send(b"a" * 1448, 0.0)
    (one,) = w.out(w.server)
    (ack,) = w.deliver(one, w.client)
    assert ack.ack == one.end and ack.window << w.client.rcv_wscale > 64240


def test_quick_acks_at_first_then_a_delayed_ack_in_interactive_mode():
    w = established()
    w.client.send(b"GET", 0.0)
    (request,) = w.out(w.client)
    (ack,) = w.deliver(request, w.server)  # quick-ACK mode: at once
    assert ack.ack == request.end and not ack.payload
    w.server.send(b"reply", 0.001)  # an answer right away: interactive ("pingpong")
    (reply,) = w.out(w.server)
    w.deliver(reply, w.client)
    w.out(w.client)
    w.client.send(b"GET", 0.3)
    (request2,) = w.out(w.client)
    assert w.deliver(request2, w.server) == []  # the ACK now waits for data to carry it
    deadline = w.server.timer_deadline(Timer.DELAYED_ACK)
    assert deadline is not None and abs(deadline - w.now - 0.04) < 0.041


def test_more_than_one_full_segment_unacknowledged_is_acked_at_once():
    w = established(quickacks=0)
    w.client._rcv_ssthresh = w.client.recv_buffer  # the window has grown all it may: tcp_grow_window asks no quick ACK
    w.server.send(b"a" * 2896, 0.0)
    one, two = w.out(w.server)
    assert w.deliver(one, w.client) == []  # one full segment: the ACK may wait
    (ack,) = w.deliver(two, w.client)  # the second: at once (RFC 1122 4.2.3.2, __tcp_ack_snd_check)
    assert ack.ack == two.end


def test_the_ack_of_a_fin_waits_for_the_applications_close_to_carry_it():
    w = established()
    w.client.close(0.0)
    (fin,) = w.out(w.client)
    assert w.deliver(fin, w.server) == []  # tcp_fin: interactive mode, a delayed ACK
    w.server.close(0.0)
    (fin_ack,) = w.out(w.server)
    assert fin_ack.flags == Flags.FIN | Flags.ACK and fin_ack.ack == fin.end


# ------------------------------------------------------------------ timers
def test_the_rto_floor_bounds_the_variance_not_the_rto():
    w = established()
    assert abs(w.client.rto.rto - 0.2) < 0.01  # SRTT ~0 + max(4 RTTVAR, 200 ms)


def test_a_syn_is_resent_at_the_initial_rto_four_times_before_backing_off():
    trace = parse(
        "[network]\nlatency = 0.001\n[endpoint.client]\nscript = ['connect server']\n"
        "[endpoint.server]\nscript = ['listen']\n[[fault]]\naction = 'drop'\nfrom = 'client'\nflags = 'S'\ncount = 99\n"
    ).run()
    syns = [round(e.time) for e in trace.of_kind("send") if e.segment.flags == Flags.SYN]
    assert syns == [0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67]  # tcp_syn_linear_timeouts = 4, then doubling
    assert trace.endpoints and trace.of_kind("state")[-1].time == 131  # given up at (2**7 - 1) s


def test_time_wait_lasts_60_seconds():
    w = established()
    w.client.close(0.0)
    (fin,) = w.out(w.client)
    w.deliver(fin, w.server)
    w.server.close(0.0)
    (server_fin,) = w.out(w.server)
    w.deliver(server_fin, w.client)
    assert w.client.state is State.TIME_WAIT and w.client.timer_deadline(Timer.TIME_WAIT) == 60.0


# ------------------------------------------------------------------ the sender
def test_nagle_holds_a_small_segment_while_a_small_one_is_unacknowledged():
    w = established()
    w.client.send(b"head", 0.0)
    w.client.send(b"body", 0.0)
    (head,) = w.out(w.client)  # the body waits (RFC 896, Minshall's variant)
    (ack,) = w.deliver(head, w.server)
    (body,) = w.deliver(ack, w.client)
    assert body.payload == b"body"


def test_tcp_nodelay_sends_each_write_at_once():
    w = established(nagle=False)
    w.client.send(b"head", 0.0)
    w.client.send(b"body", 0.0)
    assert [s.payload for s in w.out(w.client)] == [b"head", b"body"]


def test_tcp_cork_holds_small_writes_until_uncorked_then_sends_them_pushed():
    w = established(nagle=False)
    w.client.set_cork(True, 0.0)
    w.client.send(b"a" * 40, 0.0)
    w.client.send(b"b" * 40, 0.05)
    assert w.out(w.client) == []  # a partial segment waits while corked, Nagle or not (TCP_NAGLE_CORK)
    w.client.set_cork(False, 0.06)
    (both,) = w.out(w.client)
    assert (len(both.payload), bool(both.flags & Flags.PSH)) == (80, True)  # each write still ended pushed


def test_a_cork_lets_full_segments_go_and_holds_the_partial_rest():
    w = established(nagle=False)
    w.client.set_cork(True, 0.0)
    w.client.send(b"x" * 3100, 0.0)
    assert [len(s.payload) for s in w.out(w.client)] == [1448, 1448]  # the last 204 bytes wait


def test_msg_more_holds_the_write_unpushed_and_the_next_ack_sends_it_without_psh():
    w = established(nagle=False)
    w.client.send(b"x" * 1600, 0.0, more=True)
    (full,) = w.out(w.client)  # one full segment; the partial 152 bytes wait for more
    assert not full.flags & Flags.PSH  # MSG_MORE: tcp_push marks no PSH
    (ack,) = w.deliver(full, w.server)
    (rest,) = w.deliver(ack, w.client)  # MSG_MORE corked that one call only: the ACK's push sends the rest
    assert (len(rest.payload), bool(rest.flags & Flags.PSH)) == (152, False)


def test_corked_data_with_nothing_in_flight_goes_after_an_rto_with_psh():
    w = established(nagle=False)
    w.client.send(b"x" * 40, 0.0, more=True)
    assert w.out(w.client) == []
    deadline = w.client.timer_deadline(Timer.PERSIST)
    assert deadline == w.client.rto.rto  # Linux's probe timer (tcp_check_probe_timer): the RTO, >= 200 ms
    (probe,) = w.tick(w.client, deadline)
    assert (len(probe.payload), bool(probe.flags & Flags.PSH)) == (40, True)  # tcp_write_wakeup sets PSH


def test_setting_tcp_nodelay_pushes_corked_data_at_once():
    w = established(nagle=False)
    w.client.set_cork(True, 0.0)
    w.client.send(b"x" * 40, 0.0)
    assert w.out(w.client) == []
    w.client.push(0.01)  # TCP_NODELAY set: TCP_NAGLE_PUSH, whatever the cork says
    (data,) = w.out(w.client)
    assert len(data.payload) == 40


# A 2048-byte SO_RCVBUF that two half-window segments fill: each is an skb of its own, as on loopback where each
# is sent alone and cannot join the other (on a wire, rcv_coalesce would join them and leave 724 bytes of window).
SMALL_RECEIVER = {"recv_buffer": 2048, "fixed_recv_buffer": True, "auto_read": False, "rcv_coalesce": False}


def test_a_zero_window_probe_is_an_empty_ack_just_below_snd_una():
    w = established(server=SMALL_RECEIVER)
    w.client.send(b"x" * 5000, 0.0)
    for data in w.out(w.client):
        for ack in w.deliver(data, w.server):
            w.deliver(ack, w.client)
    for ack in w.tick(w.server, w.server.timer_deadline(Timer.DELAYED_ACK) or w.now):
        w.deliver(ack, w.client)  # the window closes in a delayed ACK
    assert w.client.snd_wnd == 0
    (probe,) = w.tick(w.client, w.client.timer_deadline(Timer.PERSIST))
    assert probe.seq == w.client.snd_una - 1 and not probe.payload


def test_segments_are_at_most_half_the_largest_window_the_peer_offered():
    w = established(server={"recv_buffer": 2048, "fixed_recv_buffer": True, "auto_read": False})
    w.client.send(b"x" * 5000, 0.0)
    assert [len(s.payload) for s in w.out(w.client)] == [724, 724]  # tcp_bound_to_half_wnd


def test_a_full_send_buffer_makes_a_blocking_send_wait():
    # counted in payload bytes (skb_overhead = 0): the buffer takes what fits
    w = established(send_buffer=3000, skb_overhead=0, server={"auto_read": False})
    assert w.client.send(b"x" * 5000, 0.0) == 3000
    assert w.client.send(b"y", 0.0) == 0


def test_linux_checks_the_send_buffer_only_when_a_write_needs_a_new_skb():
    # tcp_sendmsg_locked: a write into an empty queue starts an skb (sk_wmem_queued < sk_sndbuf) and fills it
    # up to the size goal, past SO_SNDBUF; sent, each segment is an skb of its own (payload + 832); the next
    # write needs a new skb and finds the buffer full
    w = established(send_buffer=3000, server={"auto_read": False})
    assert w.client.send(b"x" * 5000, 0.0) == 5000
    assert w.client.wmem_queued == 5000 + 4 * 832  # four segments in flight (1448 * 3 + 656)
    assert w.client.send(b"y", 0.0) == 0


def test_a_write_joins_the_last_unsent_skb_without_a_check():
    # what waits unsent (here held by the peer's window) is one skb: a write adds to it up to the size goal
    # (half the peer's largest window: one segment of 1448 here) whatever the buffer holds
    w = established(send_buffer=3000, server={"auto_read": False})
    w.client.snd_wnd, w.client.max_snd_wnd = 1448, 2896
    assert w.client.send(b"x" * 2000, 0.0) == 2000  # 1448 in flight, 552 wait
    assert w.client.wmem_queued == 1448 + 832 + 552 + 832 >= 3000
    assert w.client.send(b"y" * 500, 0.0) == 500  # joins the unsent skb: 1052 of 1448
    assert w.client.send(b"z" * 500, 0.0) == 396  # fills it; a new skb would be needed, and the buffer is full


# ------------------------------------------------------------------ loopback
def test_on_loopback_the_timers_segments_wait_for_the_other_timers_due_then():
    # the lost SYN,ACK on Linux's lo: both timers fire at 1 s before either's segment is handled, so the
    # server sends three SYN,ACKs (tests/test_linux_conversations.py holds the kernel to it)
    text = (
        "[network]\nloopback = true\n[endpoint.client]\nscript = ['connect server', 'close']\n"
        "[endpoint.server]\nscript = ['listen', 'wait_for_eof', 'close']\n"
        "[[fault]]\naction = 'drop'\nfrom = 'server'\nflags = 'SA'\nnth = 1\n"
    )
    trace = parse(text).run()
    syn_acks = [e for e in trace.of_kind("send") if e.segment.flags == Flags.SYN | Flags.ACK]
    assert len(syn_acks) == 3


def test_linux_drops_an_ack_of_unsent_data_without_a_word_and_keeps_its_timestamp_out():
    # ts_recent/invalid_ack.pkt: a FIN acknowledging 9999 bytes never sent, with a far-future TSval
    w = established()
    recent = w.server._ts_recent
    bogus = replace(
        seg(w.client, w.server, 1001, 9999, "FA"),
        options=replace(w.client._segment_options(Flags.ACK), timestamps=(recent + 100_000, 0)),
    )
    assert w.deliver(bogus, w.server) == []  # RFC 9293 would ACK; Linux's tcp_ack discards it
    assert w.server._ts_recent == recent and w.server.state is State.ESTABLISHED


def test_a_write_that_joins_the_unsent_tail_takes_the_psh_of_the_write_before_away():
    w = established(server=SMALL_RECEIVER)
    w.client.send(b"x" * 1448, 0.0)  # fills the window, two half-window segments
    for data in w.out(w.client):
        for ack in w.deliver(data, w.server):
            w.deliver(ack, w.client)
    for ack in w.tick(w.server, w.server.timer_deadline(Timer.DELAYED_ACK) or w.now):
        w.deliver(ack, w.client)
    assert w.client.snd_wnd == 0
    for size in (100, 100, 2000):  # three writes wait behind the zero window
        w.client.send(b"y" * size, w.now)
    w.server.receive(None, w.now)
    (update,) = w.out(w.server)
    first, second = w.deliver(update, w.client)
    # tcp_sendmsg_locked: each write's first bytes join the unsent tail skb and clear its PSH ("if (!copied)
    # ... &= ~TCPHDR_PSH"), so the ends at 100 and 200 are not pushed; the third write's data passes
    # pushed_seq (200, where tcp_mark_push last marked) by more than half the window at 1448: forced_push
    assert [(len(s.payload), bool(s.flags & Flags.PSH)) for s in (first, second)] == [(724, False), (724, True)]


def _pushes(segments) -> list[bool]:
    return [bool(s.flags & Flags.PSH) for s in segments]


def test_a_write_cut_by_cwnd_leaves_in_frames_each_pushed_at_its_end():
    w = established()
    w.client.rto.srtt = 0.1  # a 100 ms path: 2 x 14480 B / 0.1 s paces ~283 B a millisecond, so 2-segment frames
    w.client.send(b"x" * 12 * 1448, 0.0)  # more than the 10 segments cwnd lets out
    assert _pushes(w.out(w.client)) == [False, True] * 5  # Linux 6.18 on a tun: 2000 B frames, each P.


def test_on_a_short_path_frames_are_half_of_cwnd_each_pushed():
    w = established()
    w.client.rto.srtt = 0.0001  # 100 us: the 64 KB bonus of tcp_tso_rtt_log; tcp_cwnd_test's cwnd / 2 is less
    w.client.send(b"x" * 12 * 1448, 0.0)
    assert _pushes(w.out(w.client)) == ([False] * 4 + [True]) * 2  # as Linux 6.18 on its loopback


def test_tcp_min_tso_segs_sets_the_smallest_frame_whatever_the_pacing_rate():
    w = established(min_tso_segs=10)  # as packetdrill's slow_start/slow-start-after-idle sets it
    w.client.rto.srtt = 0.1
    w.client.send(b"x" * 12 * 1448, 0.0)
    assert _pushes(w.out(w.client)) == ([False] * 4 + [True]) * 2  # half of cwnd, not 2: P. 1:5001, P. 5001:10001


def test_a_frame_of_one_segment_cut_from_a_write_is_not_pushed():
    w = established(initial_window=5)
    w.client.rto.srtt = 0.1
    w.client.send(b"x" * 8 * 1448, 0.0)
    assert _pushes(w.out(w.client)) == [False, True, False, True, False]  # frames of 2, 2 and 1 (a TLP's alike)


def test_a_write_already_sent_does_not_push_a_later_segment():
    w = established(nagle=False)
    w.client.send(b"h" * 51, 0.0)
    (header,) = w.out(w.client)
    w.client.send(b"b" * 2002, 0.0)
    assert [s.flags & Flags.PSH == Flags.PSH for s in w.out(w.client)] == [False, True]  # 1448 + 554: the end
    assert header.flags & Flags.PSH


def test_linux_takes_an_rtt_sample_from_every_ack_of_new_data():
    w = established()
    w.client.send(b"x" * 2896, 0.0)  # two segments, each ACKed at once (quick-ACK mode)
    one, two = w.out(w.client)
    (ack1,) = w.deliver(one, w.server)
    (ack2,) = w.deliver(two, w.server)
    srtt = w.client.rto.srtt  # from the handshake's sample: 0
    w.now = 0.05
    w.deliver(ack1, w.client)
    w.now = 0.06
    w.deliver(ack2, w.client)
    first = 0.875 * srtt + 0.125 * 0.05
    # both ACKs give a sample (RFC 6298 3 would time only the first segment of the round trip)
    assert abs(w.client.rto.srtt - (0.875 * first + 0.125 * 0.06)) < 1e-9


def test_the_user_timeout_aborts_a_connection_whose_data_waits_too_long():
    # TCP_USER_TIMEOUT 3 s (RFC 5482): the data and its retransmissions are lost; the connection is aborted
    # 3 s after the data first went out, the last RTO cut short to end then, and no RST is sent
    trace = parse(
        "[network]\nlatency = 0.01\n[endpoint.client]\nuser_timeout = 3.0\n"
        "script = ['connect server', 'send 100']\n[endpoint.server]\nscript = ['listen']\n"
        "[[fault]]\naction = 'drop'\nfrom = 'client'\ndata = true\ncount = 99\n"
    ).run()
    client = [e for e in trace.events if e.endpoint == "client"]
    gave_up = next(e for e in client if e.kind == "state" and e.state_after["client"] is State.CLOSED)
    first_data = next(e for e in client if e.kind == "send" and e.segment.payload)
    assert abs(gave_up.time - first_data.time - 3.0) < 1e-6
    assert not [e for e in client if e.kind == "send" and e.segment.flags & Flags.RST]


def test_a_read_that_owes_an_ack_sends_one_ack_which_announces_the_opened_window():
    # tcp_cleanup_rbuf decides once whether a read is time to ACK (an ACK owed, or a window grown
    # enough) and sends one ACK, carrying the window the read opened: no second "window update" copy.
    reads = ", ".join(["'read', 'wait 0.001'"] * 20)
    trace = parse(
        f"""name = "slow_reader"
profile = "linux"
[network]
loopback = true
[endpoint.client]
script = ['connect server', 'send 20000', 'close']
[endpoint.server]
script = ['listen', 'wait 2', {reads}, 'close']
window = 2048
fixed_recv_buffer = true
auto_read = false
"""
    ).run()
    acks = [
        (round(e.time, 6), int(e.segment.ack), e.segment.window)
        for e in trace.of_kind("send")
        if e.endpoint == "server" and e.segment is not None and not e.segment.payload
    ]
    assert len(acks) >= 20  # one per read, and the zero-window phase's
    assert len(set(acks)) == len(acks), [a for a in acks if acks.count(a) > 1]


def test_a_send_the_hosts_own_queue_drops_is_retried_every_half_second_until_the_user_timeout():
    # packetdrill's user_timeout/user-timeout-probe: a qdisc of limit 0 makes tcp_transmit_skb fail; the
    # probe timer retries after an RTO, then every TCP_RESOURCE_PROBE_INTERVAL (0.5 s) without backoff, and
    # the user timeout counts from the first retry (icsk_probes_tstamp)
    w = established(user_timeout=3.0)
    w.client.local_congestion = True
    w.client.send(b"x" * 24, 0.0)
    assert w.out(w.client) == []  # nothing leaves
    first = w.client.timer_deadline(Timer.PERSIST)
    assert first == w.client.rto.rto
    fired = []
    while w.client.state is State.ESTABLISHED and (t := w.client.timer_deadline(Timer.PERSIST)) is not None:
        fired.append(round(t - first, 6))
        w.tick(w.client, t)
    assert fired == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0]
    assert w.client.probes_out == 6 and w.client.rto.backoff == 0  # tcpi_probes 6, tcpi_backoff 0
    assert w.client.error is not None  # ETIMEDOUT


# An orphaned FIN that is never acknowledged: the server closes 1 s after the handshake (RTT 100 ms: RTO 300 ms).
LONE_FIN = """
0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
+0 bind(3, ..., ...) = 0
+0 listen(3, 1) = 0
+0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop>
+0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK>
+.1 < . 1:1(0) ack 1 win 32792
+0 accept(3, ..., ...) = 4
+1 close(4) = 0
+0 > F. 1:1(0) ack 1
+.3 > F. 1:1(0) ack 1
+.3 > F. 1:1(0) ack 1
+.6 > F. 1:1(0) ack 1
+0 < . 1:2(1) ack 1 win 32792
+0 > R 1:1(0)
"""


def test_a_lone_fin_gets_a_tail_loss_probe_at_the_rto_time_and_data_after_close_a_closed_ports_reset(tmp_path):
    # tcp_write_xmit schedules a loss probe after a FIN too; its PTO (2 x SRTT + 200 ms for one segment out)
    # is cut to the RTO's expiry (RFC 8985 7.2's TLP_calc_PTO), so the probe goes at 300 ms and the RTO,
    # rearmed by it and not backed off, 300 ms later, then 600 ms.  Data after the close is answered as a
    # closed port answers (tcp_v4_send_reset: seq = the segment's ACK, no ACK flag): packetdrill's
    # user_timeout/user_timeout.pkt, the same steps
    from simulator.conformance.packetdrill import RunOptions, run_script

    path = tmp_path / "lone_fin.pkt"
    path.write_text(LONE_FIN)
    result = run_script(path, RunOptions(profile="linux"))
    assert (result.status.value, result.message) == ("pass", ""), result.message


def test_an_orphaned_connection_gives_up_after_tcp_orphan_retries_not_tcp_retries2():
    # the application closed (SOCK_DEAD): tcp_write_timeout takes tcp_orphan_retries() (the sysctl's 0 read as
    # 8 while the RTO is below TCP_RTO_MAX) in place of tcp_retries2 (15)
    def fin_timeouts(profile: str) -> int:
        trace = parse(
            f"profile = '{profile}'\n[network]\nlatency = 0.01\n[endpoint.client]\n"
            "script = ['connect server', 'wait 0.1', 'close']\n[endpoint.server]\nscript = ['listen']\n"
            "[[fault]]\naction = 'drop'\nfrom = 'client'\nflags = 'FA'\ncount = 99\n"
        ).run()
        fins = [e for e in trace.events if e.kind == "send" and e.endpoint == "client" and e.segment.flags & Flags.FIN]
        return sum(1 for e in fins if e.key == "rto_retransmit")

    assert fin_timeouts("linux") == 8
    assert fin_timeouts("rfc") > 8  # R2 as for any connection (the run ends before its 15)


def _lost_until_the_rto_fires(w):
    """The client's data is lost; its timers fire (a loss probe, then the RTO) until the RTO has backed off."""
    w.client.send(b"x" * 100, w.now)
    w.out(w.client)
    resent = []
    while w.client.rto.backoff == 0:
        resent = w.tick(w.client, w.client.next_timer())
    return resent[-1]


def test_with_timestamps_the_ack_of_a_retransmission_is_an_rtt_sample_that_ends_the_backoff():
    # RFC 7323 4.1: the TSecr echoes the copy that arrived, so Karn's ambiguity is gone; Linux's
    # tcp_ack_update_rtt takes it (tcp_rtt_tsopt_us, whole milliseconds) and sets icsk_backoff to 0
    w = established()
    resent = _lost_until_the_rto_fires(w)
    w.now += 0.05
    (ack,) = w.deliver(resent, w.server)
    w.now += 0.05
    w.deliver(ack, w.client)
    assert w.client.rto.backoff == 0 and w.client.rto.srtt is not None


def test_without_rtt_from_tsecr_karns_rule_keeps_the_backoff():
    w = established(rtt_from_tsecr=False)
    resent = _lost_until_the_rto_fires(w)
    w.now += 0.05
    (ack,) = w.deliver(resent, w.server)
    w.now += 0.05
    w.deliver(ack, w.client)
    assert w.client.rto.backoff == 1  # RFC 6298 5.7: kept until a sample from a segment sent once


def test_an_mss_no_larger_than_the_timestamps_option_still_opens_a_connection():
    # found by tests/test_scenario_fuzz.py: mss 12 leaves 0 bytes beside the 12 of timestamps, and the
    # SYN,ACK's window (a whole number of segments) divided by it; the guess is at least one byte
    w = established(mss=12)
    assert w.server.state is State.ESTABLISHED


def test_a_loss_probe_sends_the_last_segment_again_when_the_window_takes_no_whole_new_one():
    w = established()
    w.client.snd_wnd = 3000  # room for two segments and 104 bytes
    w.client.send(b"x" * 4000, 0.0)
    _, second = w.out(w.client)
    deadline = w.client.timer_deadline(Timer.LOSS_PROBE)
    assert deadline is not None
    (probe,) = w.tick(w.client, deadline)
    # tcp_send_loss_probe sends new data only if tcp_snd_wnd_test lets a whole segment go; else the last again
    assert (probe.seq, len(probe.payload)) == (second.seq, 1448)


def test_linux_keeps_no_data_of_a_syn_it_does_not_take_by_fast_open():
    # RFC 9293 3.10.7.2 queues a SYN's text for later; Linux's tcp_conn_request keeps only a request sock,
    # so the data is gone once the handshake ends and the peer must send it again.
    for config, kept in ((LINUX, False), (asdict(PROFILES["rfc"].config), True)):
        wire = make_pair(**config)
        wire.server.listen(0.0)
        (syn_ack,) = wire.deliver(seg(wire.client, wire.server, 1000, flags="S", payload=b"hello"), wire.server)
        assert syn_ack.ack == 1001  # the SYN,ACK acknowledges the SYN alone, either way
        wire.deliver(seg(wire.client, wire.server, 1001, 5001), wire.server)  # the handshake's ACK
        assert (wire.server.rcv_nxt == 1001 + len(b"hello")) is kept


def test_linux_answers_an_ecn_setup_syn_with_ece_also_when_it_sends_the_syn_ack_again():
    # RFC 3168 6.1.1: an ECN-setup SYN has ECE and CWR; a host that agrees answers with ECE alone. Linux does
    # with tcp_ecn = 2, its default (tcp_ecn_create_request), and its resent SYN,ACK keeps it (tcp_ecn_make_synack).
    wire = make_pair(**LINUX)
    wire.server.listen(0.0)
    (syn_ack,) = wire.deliver(seg(wire.client, wire.server, 1000, flags="SEC"), wire.server)
    assert syn_ack.flags == Flags.SYN | Flags.ECE | Flags.ACK
    deadline = wire.server.next_timer()
    assert deadline is not None
    (again,) = wire.tick(wire.server, deadline)
    assert again.flags == Flags.SYN | Flags.ECE | Flags.ACK
    plain = make_pair(**LINUX)
    plain.server.listen(0.0)
    (syn_ack,) = plain.deliver(seg(plain.client, plain.server, 1000, flags="SE"), plain.server)  # no CWR: no ECN
    assert syn_ack.flags == Flags.SYN | Flags.ACK
