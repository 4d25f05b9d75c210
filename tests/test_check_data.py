"""`tcpsim check` on data and ACKs: windows, gaps the capture left, keep-alives, retransmissions."""

from __future__ import annotations

import pytest

from simulator import Flags, Options, Segment, SeqNum
from simulator.model.segment import NO_OPTIONS

from .captures import CLIENT, SERVER, handshake, reports, seg, write


def test_an_old_ack_one_below_snd_nxt_after_its_senders_fin_is_not_a_keep_alive(tmp_path):
    # The server's ACK of 3 bytes, held up on the way, comes after its FIN and the client's ACK of that FIN.
    segments = [*handshake(), seg("PA", 101, 501, b"hello"), seg("A", 501, 106, back=True)]
    segments += [seg("FA", 501, 106, back=True), seg("A", 106, 502), seg("A", 501, 104, back=True), seg("A", 106, 502)]
    (report,) = reports(write(tmp_path / "old.pcap", segments))
    assert report.conforms
    old, answer = report.packets[-2:]
    assert old.labels == ("old ACK", "pure ACK")
    assert "An old ACK: ack 4 is below the 6 its sender has acknowledged already" in old.explanation
    assert answer.labels == ("pure ACK",)  # not the answer to a keep-alive


def test_keep_alives_after_a_capture_drop_do_not_make_the_ack_before_them_a_departure(tmp_path):
    # tcpdump dropped the SYN,ACK, the ACK and 5 bytes of data: the server acknowledges them, and the client's
    # keep-alives that follow are at SND.NXT - 1, one below that ack, not at SND.NXT.
    segments = [seg("S", 100), seg("A", 501, 106, back=True), seg("A", 105, 501), seg("A", 105, 501)]
    (report,) = reports(write(tmp_path / "dropped.pcap", segments))
    assert report.conforms, [(p.number, p.departure) for p in report.departures]
    acked, first, second = report.packets[1:]
    assert "ACKed segment that wasn't captured" in acked.labels and "no later packet" not in acked.explanation
    assert first.labels == second.labels == ("keep-alive",)
    assert first.explanation.startswith("Its sender has a SYN,ACK this capture never saw, so it is ESTABLISHED")


def test_an_ack_one_beyond_snd_nxt_is_a_departure_when_a_pure_ack_at_snd_nxt_follows(tmp_path):
    segments = [*handshake(), seg("PA", 101, 501, b"hello"), seg("A", 501, 107, back=True), seg("A", 106, 501)]
    (report,) = reports(write(tmp_path / "beyond.pcap", segments))
    assert [p.departure for p in report.departures] == [
        "ACK for data never sent (ack 7 > SND.NXT 6): RFC 9293 section 3.10.7.4 says the receiver answers it with "
        "an ACK and drops it"
    ]


def test_a_segment_after_bytes_the_capture_missed_does_not_show_its_sender_short_of_an_ack(tmp_path):
    # The capture missed the client's 201..301 (and 351..401); the server acknowledges 401.  The client's next
    # segment seen starts past the gap, at 301: it may have come late, and it does not show where the client was.
    segments = [*handshake(), seg("PA", 101, 501, b"a" * 100), seg("A", 501, 401, back=True)]
    (report,) = reports(write(tmp_path / "gap.pcap", [*segments, seg("PA", 301, 501, b"b" * 50)]))
    assert report.conforms and "ACKed segment that wasn't captured" in report.packets[4].labels


@pytest.mark.parametrize(("stamp", "departs"), [((10, 5), False), ((11, 5), True)], ids=["copy", "sent_again"])
def test_a_copy_of_a_pure_ack_shows_nothing_of_where_its_sender_is_but_the_same_ack_sent_again_does(
    tmp_path, stamp, departs
):
    # The client acknowledges 100 bytes of the server's that the capture never saw (echoing TSval 10); then the
    # server's last pure ACK again.  With TSval 10 it was sent before that ACK and came late; with 11, the server
    # sent it afterwards, still at 501, so it never sent those bytes (RFC 7323 section 4.3).
    ack = seg("A", 501, 101, back=True, options=Options(timestamps=(10, 5)))
    again = seg("A", 501, 101, back=True, options=Options(timestamps=stamp))
    segments = [*handshake(), ack, seg("A", 101, 601, options=Options(timestamps=(6, 10))), again]
    (report,) = reports(write(tmp_path / "copy.pcap", segments))
    assert [p.departure is not None for p in report.packets] == [False] * 4 + [departs, False]


def test_data_below_an_ack_of_bytes_the_capture_never_saw_shows_nothing_of_where_its_sender_got(tmp_path):
    # tcpdump dropped the server's segments 1501..3501, which the client acknowledges; then a copy of 1501..2001,
    # resent or held up on the way, comes: the client had those bytes, so it shows nothing of where the server
    # is (the server's answer to an ACK of data it never sent would be an ACK at its SND.NXT); found by the soak,
    # with timestamps off (Wireshark calls that copy a spurious retransmission too)
    data = [seg("PA", 501, 101, b"x" * 1000, back=True), seg("A", 101, 1501), seg("A", 101, 3501)]
    (report,) = reports(
        write(tmp_path / "drops.pcap", [*handshake(), *data, seg("PA", 1501, 101, b"y" * 500, back=True)])
    )
    assert report.conforms, [(p.number, p.departure) for p in report.departures]
    assert "ACKed segment that wasn't captured" in report.packets[5].labels
    assert report.packets[6].labels == ("spurious retransmission",)


def test_data_beyond_the_advertised_window_is_flagged(tmp_path):
    segments = [seg("S", 100), seg("SA", 500, 101, back=True, window=10), seg("A", 101, 501)]
    (report,) = reports(write(tmp_path / "win.pcap", [*segments, seg("PA", 101, 501, b"x" * 20)]))
    assert "data beyond the receiver's window: seq up to 21 but the window ends at 11" in report.departures[0].departure


def test_data_beyond_the_last_window_seen_is_no_departure_when_the_capture_missed_the_receivers_packets(tmp_path):
    # the server's 50 bytes were never captured, but the client's segment acknowledges them: the
    # capture missed the server's packets, and with them the window update that let the client send
    segments = [seg("S", 100), seg("SA", 500, 101, back=True, window=10), seg("A", 101, 501)]
    later = seg("PA", 551, 121, b"y" * 5, back=True, window=100)  # the server did get that far
    (report,) = reports(write(tmp_path / "gap.pcap", [*segments, seg("PA", 101, 551, b"x" * 20), later]))
    assert report.conforms, report.departures
    assert "the capture missed its window update" in report.packets[3].explanation


def test_data_beyond_the_last_window_seen_after_a_capture_gap_is_no_departure(tmp_path):
    # the capture missed segments of this side (151..301), and so may well have missed the window updates
    segments = [seg("S", 100), seg("SA", 500, 101, back=True, window=100), seg("A", 101, 501)]
    segments += [seg("PA", 101, 501, b"x" * 50), seg("PA", 301, 501, b"y" * 50)]
    (report,) = reports(write(tmp_path / "gap.pcap", segments))
    assert report.conforms, report.departures
    assert "this capture missed segments of this side that are not yet acknowledged" in report.packets[-1].explanation


def test_data_beyond_the_last_window_seen_that_the_receiver_acknowledges_is_a_missed_window_update(tmp_path):
    segments = [seg("S", 100), seg("SA", 500, 101, back=True, window=10), seg("A", 101, 501)]
    segments += [seg("PA", 101, 501, b"x" * 20), seg("A", 501, 121, back=True)]  # the server took all 20
    (report,) = reports(write(tmp_path / "took.pcap", segments))
    assert report.conforms, report.departures


def test_a_capture_that_starts_mid_connection_is_inferred_not_flagged(tmp_path):
    segments = [seg("PA", 5000, 9000, b"hello"), seg("A", 9000, 5005, back=True), seg("FA", 5005, 9000)]
    (report,) = reports(write(tmp_path / "mid.pcap", segments))
    assert report.conforms and report.zeek_state == "OTH"
    assert "starts mid-connection" in report.notes[0]
    assert [str(s) for s in report.packets[-1].after] == ["FIN-WAIT-1", "CLOSE-WAIT"]


def test_a_snaplen_cut_payload_still_counts_its_wire_length(tmp_path):
    segments = [*handshake(), seg("PA", 101, 501, b"y" * 1000), seg("A", 501, 1101, back=True)]
    (report,) = reports(write(tmp_path / "cut.pcap", segments, snaplen=80))
    assert report.conforms
    assert report.packets[3].length == 1000 and "the capture kept" in report.packets[3].explanation


def test_a_snaplen_that_cuts_into_the_tcp_options_is_not_data(tmp_path):
    # A duplicate segment's ACK carries a D-SACK block (RFC 2883): its 44-byte header is longer than the
    # snap length leaves, and the bytes cut off are options, not payload.
    sack = Options(timestamps=(7, 9), sack_blocks=((SeqNum(101), SeqNum(111)),))
    data = seg("PA", 101, 501, b"d" * 10)
    segments = [*handshake(), data, seg("A", 501, 111, back=True), data, seg("A", 501, 111, back=True, options=sack)]
    (report,) = reports(write(tmp_path / "dsack.pcap", segments, snaplen=56))
    assert report.conforms, report.departures
    assert report.packets[-1].length == 0 and "data" not in report.packets[-1].labels


def test_a_tso_super_segment_is_not_a_departure(tmp_path):
    mss = Options(mss=1460)
    segments = [seg("S", 100, options=mss), seg("SA", 500, 101, back=True, options=mss), seg("A", 101, 501)]
    segments += [seg("PA", 101, 501, b"z" * 20000), seg("A", 501, 20101, back=True)]
    (report,) = reports(write(tmp_path / "tso.pcap", segments))
    assert report.conforms and "TSO/GSO" in report.packets[3].explanation


def test_a_lost_segment_after_the_capture_point_is_a_retransmission(tmp_path):
    data = seg("PA", 101, 501, b"abc")
    segments = [*handshake(), data, data, seg("A", 501, 104, back=True)]
    (report,) = reports(write(tmp_path / "rto.pcap", segments))
    assert report.conforms and report.packets[4].labels == ("retransmission",)


def test_keep_alives_are_recognised(tmp_path):
    segments = [*handshake(), seg("A", 100, 501), seg("A", 501, 101, back=True)]
    (report,) = reports(write(tmp_path / "ka.pcap", segments))
    assert report.conforms
    assert "keep-alive" in report.packets[3].labels and "keep-alive ACK" in report.packets[4].labels


def test_an_ack_after_the_prober_has_moved_on_is_not_a_keep_alive_ack(tmp_path):
    # The keep-alive's answer was not captured; the ACK of the FIN sent later answers the FIN, not the probe.
    segments = [*handshake(), seg("PA", 101, 501, b"hello"), seg("A", 501, 106, back=True), seg("A", 105, 501)]
    segments += [seg("FA", 106, 501), seg("A", 501, 107, back=True)]
    (report,) = reports(write(tmp_path / "unanswered.pcap", segments))
    assert report.conforms
    assert report.packets[5].labels == ("keep-alive",) and report.packets[-1].labels == ("pure ACK",)


def test_a_gap_filled_after_duplicate_acks_asked_for_it_is_a_fast_retransmission(tmp_path):
    # Captured at the receiver: 201..301 was lost before the capture point, so the capture has a gap there.
    segments = [*handshake(), seg("PA", 101, 501, b"a" * 100), seg("A", 501, 201, back=True)]
    segments += [seg("PA", 301, 501, b"c" * 100), seg("A", 501, 201, back=True)]
    segments += [seg("PA", 401, 501, b"d" * 100), seg("A", 501, 201, back=True)]
    filled = [*segments, seg("PA", 201, 501, b"b" * 100), seg("A", 501, 501, back=True)]
    (report,) = reports(write(tmp_path / "gap.pcap", filled))
    assert report.conforms
    assert [p.labels for p in report.packets[5:9]] == [
        ("previous segment not captured", "data"),
        ("duplicate ACK (#1)",),
        ("data",),
        ("duplicate ACK (#2)",),
    ]
    assert report.packets[9].labels == ("fast retransmission",)
    assert "2 duplicate ACKs asked for seq 101" in report.packets[9].explanation
    # with fewer duplicates, a segment that fills the gap came late: the network reordered it
    early = [*segments[:7], seg("PA", 201, 501, b"b" * 100)]
    (report,) = reports(write(tmp_path / "early.pcap", early))
    assert report.conforms and report.packets[-1].labels == ("out-of-order",)


def test_a_copy_of_an_old_ack_is_not_a_duplicate_ack(tmp_path):
    # The client acked 503, then 505; two copies of its ACK of 503 come late.  A duplicate ACK asks again for
    # the byte its sender still expects (RFC 5681 section 2): this one had moved on, so it asks for nothing.
    segments = [*handshake(), seg("PA", 501, 101, b"ab", back=True), seg("PA", 503, 101, b"cd", back=True)]
    segments += [seg("A", 101, 503), seg("A", 101, 505), seg("A", 101, 503), seg("A", 101, 503)]
    (report,) = reports(write(tmp_path / "copies.pcap", segments))
    assert report.conforms
    assert [p.labels for p in report.packets[-2:]] == [("old ACK", "pure ACK")] * 2


def test_a_copy_of_the_answer_to_a_keep_alive_answers_it_too(tmp_path):
    segments = [*handshake(), seg("A", 100, 501), seg("A", 501, 101, back=True), seg("A", 501, 101, back=True)]
    (report,) = reports(write(tmp_path / "twice.pcap", segments))
    assert report.conforms
    assert [p.labels for p in report.packets[3:]] == [("keep-alive",), ("keep-alive ACK",), ("keep-alive ACK",)]


def test_the_peers_ack_answers_a_keep_alive_only_if_the_prober_sent_nothing_since(tmp_path):
    # As Wireshark has it: after the keep-alive, the prober's window update; the ACK that follows answers that.
    segments = [*handshake(), seg("A", 100, 501), seg("A", 101, 501, window=30000), seg("A", 501, 101, back=True)]
    (report,) = reports(write(tmp_path / "moved_on.pcap", segments))
    assert report.conforms
    assert [p.labels for p in report.packets[3:]] == [("keep-alive",), ("window update",), ("pure ACK",)]


def test_data_the_peer_acknowledged_before_the_capture_saw_it_sent_is_a_spurious_retransmission(tmp_path):
    # tcpdump dropped the segment, the ACK of it was captured, then the segment again (or late): as Wireshark says.
    segments = [*handshake(), seg("A", 501, 201, back=True), seg("PA", 101, 501, b"d" * 100)]
    (report,) = reports(write(tmp_path / "late.pcap", segments))
    assert report.conforms and report.packets[-1].labels == ("spurious retransmission",)
    assert "the receiver has acknowledged them already" in report.packets[-1].explanation


def test_urgent_data_is_explained_by_its_pointer(tmp_path):
    urgent = Segment(CLIENT[1], SERVER[1], SeqNum(101), SeqNum(501), Flags.parse("UPA"), 65535, NO_OPTIONS, b"!",
                     CLIENT[0], SERVER[0], urgent=1)  # fmt: skip
    (report,) = reports(write(tmp_path / "urg.pcap", [*handshake(), urgent, seg("A", 501, 102, back=True)]))
    assert report.conforms
    assert report.packets[3].explanation.startswith("1 byte of data, seq 1..2; the receiver will ack 2; URG: the "
                                                    "urgent pointer 1 marks the data before seq 2 as urgent")  # fmt: skip


def test_a_packet_the_capture_dropped_is_a_gap_not_a_departure(tmp_path):
    # 101..201 was sent but not captured; the ACK for it and the next segment show the gap
    segments = [*handshake(), seg("PA", 101, 501, b"a" * 100), seg("A", 501, 301, back=True)]
    segments += [seg("A", 501, 301, back=True), seg("PA", 301, 501, b"c" * 100), seg("A", 501, 401, back=True)]
    (report,) = reports(write(tmp_path / "gap.pcap", segments))
    assert report.conforms
    assert "ACKed segment that wasn't captured" in report.packets[4].labels
    assert report.packets[5].labels == ("pure ACK",)  # the same ACK again is no news (Wireshark says it once too)
    assert "previous segment not captured" in report.packets[6].labels


def test_a_window_update_after_a_retransmission_starts_at_snd_nxt_as_wireshark_says(tmp_path):
    segments = [*handshake(), seg("PA", 101, 501, b"a" * 100), seg("PA", 201, 501, b"b" * 100)]
    segments += [seg("PA", 101, 501, b"a" * 100), seg("A", 301, 501, window=30000)]  # SND.NXT 301, not 201
    (report,) = reports(write(tmp_path / "update.pcap", segments))
    assert report.conforms and report.packets[5].labels == ("retransmission",)
    assert report.packets[6].labels == ("window update",)


def test_a_pure_ack_past_snd_nxt_means_the_capture_missed_what_its_sender_sent_before(tmp_path):
    # the server sent 300 bytes the capture never saw; its next ACK starts after them
    segments = [*handshake(), seg("PA", 101, 501, b"a" * 100), seg("A", 801, 201, back=True), seg("A", 201, 801)]
    (report,) = reports(write(tmp_path / "jump.pcap", segments))
    assert report.conforms
    assert report.packets[4].labels == ("previous segment not captured",)
    assert report.packets[4].explanation.startswith("Seq 301 is past 1, the end of what this side was seen to send")
    assert "ACKed segment that wasn't captured" in report.packets[5].labels


def test_after_segments_the_capture_missed_a_new_window_is_not_called_a_window_update(tmp_path):
    # the missed segments may have carried that window already: Wireshark does not call it an update either
    segments = [*handshake(), seg("A", 501, 101, back=True), seg("A", 801, 101, back=True, window=30000)]
    (report,) = reports(write(tmp_path / "jump.pcap", segments))
    assert report.conforms and report.packets[4].labels == ("previous segment not captured",)


def test_an_ack_beyond_a_side_that_is_never_seen_again_may_be_the_capture_missing_its_last_segments(tmp_path):
    # the server's last data and FIN were dropped by the capture: nothing later shows how far it got
    segments = [*handshake(), seg("PA", 101, 501, b"a" * 100), seg("A", 501, 201, back=True)]
    segments += [seg("A", 201, 651), seg("FA", 201, 651)]
    (report,) = reports(write(tmp_path / "end.pcap", segments))
    assert report.conforms
    assert report.packets[5].labels == ("ACKed segment that wasn't captured", "pure ACK")
    assert "the capture has no later packet of that side to show how far it got" in report.packets[5].explanation


def test_a_side_seen_again_only_resending_older_data_does_not_show_how_far_it_had_got(tmp_path):
    # 601..701 was sent but not captured; the client's ACK of it was lost after the capture point, so
    # the server resends 501..601: a resend, not a sign that it never sent up to 701
    segments = [*handshake(), seg("PA", 501, 101, b"s" * 100, back=True), seg("A", 101, 701)]
    segments += [seg("PA", 501, 101, b"s" * 100, back=True)]
    (report,) = reports(write(tmp_path / "resend.pcap", segments))
    assert report.conforms
    assert "ACKed segment that wasn't captured" in report.packets[4].labels
    assert report.packets[5].labels == ("spurious retransmission",)


def test_a_full_segment_into_a_zero_window_is_data_after_a_missed_window_update_not_a_probe(tmp_path):
    # a probe is one byte; 1000 bytes the receiver then acknowledges mean the capture missed the window reopening
    segments = [*handshake(), seg("PA", 101, 501, b"a" * 100), seg("A", 501, 201, back=True, window=0)]
    segments += [seg("PA", 201, 501, b"b" * 1000), seg("A", 501, 1201, back=True), seg("A", 1201, 501)]
    (report,) = reports(write(tmp_path / "reopened.pcap", segments))
    assert report.conforms and report.packets[5].labels == ("data",)
    assert report.packets[5].explanation.startswith("1000 bytes of data, seq 101..1101")
    assert report.packets[7].labels == ("pure ACK",)  # the probe byte would not have counted: here all 1000 do


def test_an_ack_across_a_gap_the_capture_left_acknowledges_segments_it_never_saw(tmp_path):
    # 201..301 was sent and received, but the capture dropped it: the ACK of 401 covers it
    segments = [*handshake(), seg("PA", 101, 501, b"a" * 100), seg("PA", 301, 501, b"c" * 100)]
    segments += [seg("A", 501, 401, back=True), seg("PA", 401, 501, b"d" * 100), seg("A", 501, 501, back=True)]
    (report,) = reports(write(tmp_path / "gap.pcap", segments))
    assert report.conforms
    assert "previous segment not captured" in report.packets[4].labels
    assert report.packets[5].labels == ("ACKed segment that wasn't captured", "pure ACK")
    assert "acknowledges bytes 101..201, which this capture never saw" in report.packets[5].explanation
    assert report.packets[7].labels == ("pure ACK",)  # said once, as Wireshark does


def test_a_sparse_capture_of_a_transfer_past_4_gb_whose_numbers_wrap_conforms(tmp_path):
    # One data segment and its ACK in every thousand (a sampled capture) of an 11.6 GB transfer: within the
    # checker's look-ahead the sequence numbers wrap more than twice, and numbers more than half the space apart
    # do not compare (RFC 1982).  The look-ahead's SND.NXT went stale, and every ACK was "for data never sent"
    # (a false alarm on a public capture, issue 26); only numbers near the packet checked count now.
    wrap, step = 1 << 32, 1000 * 1448
    segments = handshake()
    for i in range(8000):
        seq = (101 + i * step) % wrap
        segments += [seg("A", seq, 501, b"x" * 1448), seg("A", 501, (seq + 1448) % wrap, back=True)]
    end = (101 + 8000 * step) % wrap
    segments += [seg("FA", end, 501), seg("FA", 501, (end + 1) % wrap, back=True), seg("A", (end + 1) % wrap, 502)]
    (report,) = reports(write(tmp_path / "sparse.pcap", segments))
    assert report.conforms, report.departures[:3]
    acks = [p for p in report.packets[3:-3] if p.direction == "<-"]
    assert len(acks) == 8000 and acks[0].labels == ("pure ACK",)  # (it acknowledges the one segment before it)
    assert all(p.labels == ("ACKed segment that wasn't captured", "pure ACK") for p in acks[1:])
