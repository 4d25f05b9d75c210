"""`tcpsim check` on the opening: SYN, SYN,ACK and what a capture can miss of them (RFC 9293 3.5, 3.10.7)."""

from __future__ import annotations

import pytest

from simulator import Options, load

from .captures import close, fast_open, handshake, reports, seg, write

pytest.importorskip("scapy", reason="these tests export scenarios with Scapy (pip install -e '.[dev]')")
from simulator.capture.export import export


def test_a_syn_from_a_side_taken_to_have_the_peers_syn_is_a_simultaneous_open(tmp_path):
    export(load("simultaneous_open").run(), tmp_path / "open.pcap", at="client")
    (report,) = reports(tmp_path / "open.pcap")
    assert report.conforms and report.zeek_state == "S1"
    assert [str(s) for s in report.packets[1].after] == ["SYN-RECEIVED", "SYN-SENT"]
    assert "both sides open at once, a simultaneous open" in report.packets[1].explanation
    assert all(p.explanation.startswith("SYN,ACK in a simultaneous open") for p in report.packets[2:4])
    assert [p.flags for p in report.packets[4:]] == ["ACK", "ACK"]  # each side acknowledges the other's SYN,ACK


@pytest.mark.parametrize(
    ("name", "at", "flags", "side", "state", "words"),
    [
        ("lost_syn_ack", "server", "SYN", 0, "SYN-SENT", "the SYN,ACK seen before had not reached it"),
        ("lost_final_ack", "client", "SYN,ACK", 1, "SYN-RECEIVED", "the ACK seen before had not reached it"),
    ],
)
def test_a_handshake_segment_resent_after_the_answer_shows_that_answer_was_lost_after_the_capture_point(
    tmp_path, name, at, flags, side, state, words
):
    export(load(name).run(), tmp_path / "lost.pcap", at=at)
    (report,) = reports(tmp_path / "lost.pcap")
    resent = next(p for p in report.packets if p.flags == flags and "retransmission" in p.labels)
    assert str(resent.after[side]) == state and words in resent.explanation
    assert [str(s) for s in report.packets[-1].after] == ["ESTABLISHED", "ESTABLISHED"]


def test_a_rst_that_acknowledges_bytes_after_the_syn_shows_the_capture_missed_the_handshake_end(tmp_path):
    # tcpdump dropped the SYN,ACK, the ACK and 100 bytes of data: the server's RST acknowledges them.
    (report,) = reports(write(tmp_path / "dropped.pcap", [seg("S", 100), seg("RA", 0, 201, back=True)]))
    assert report.conforms, report.departures
    assert report.packets[1].labels == ("RST", "ACKed segment that wasn't captured")
    assert [str(s) for s in report.packets[1].after] == ["CLOSED", "CLOSED"]
    assert "the capture missed the end of the handshake" in report.packets[1].explanation


def test_an_old_duplicate_syn_is_flagged_at_the_client_that_never_sent_it(tmp_path):
    # RFC 9293 Figure 9: the SYN,ACK answers a SYN from an earlier incarnation.
    trace = load("old_duplicate_syn").run()
    export(trace, tmp_path / "c.pcap", at="client")
    departures = [p.departure for r in reports(tmp_path / "c.pcap") for p in r.departures]
    assert departures and "SYN,ACK acknowledges" in departures[0]


def test_a_syn_ack_with_another_isn_sent_before_and_held_up_on_the_way_is_no_departure(tmp_path):
    # The server answered the first SYN (a SYN cookie) and, its answer held up on a slower path, the SYN sent
    # again (a new ISN); the connection goes on with the second, and the first comes late: its timestamp is older
    # than the server's segment seen before it (found by the soak: six clients for a backlog of one).
    def ts(value, echo):
        return Options(timestamps=(value, echo))

    segments = [seg("S", 100, options=ts(10, 0)), seg("S", 100, options=ts(20, 0))]
    segments += [seg("SA", 500, 101, back=True, options=ts(60, 20)), seg("A", 101, 501, options=ts(21, 60))]
    segments += [seg("SA", 900, 101, back=True, options=ts(50, 10)), seg("A", 101, 501, options=ts(22, 60))]
    (report,) = reports(write(tmp_path / "late.pcap", [*segments, *close()]))
    assert report.conforms, [(p.number, p.departure) for p in report.departures]
    late = report.packets[4]
    assert "sent before its sender's segment seen before it (its timestamp 50 is older" in late.explanation
    assert [str(s) for s in late.after] == ["ESTABLISHED", "ESTABLISHED"]
    assert [(p.seq, p.ack) for p in report.packets[-2:]] == [(1, 2), (2, 2)]  # still counted from ISN 500


def test_a_syn_ack_with_a_new_isn_to_a_syn_sent_twice_is_no_departure(tmp_path):
    # SYN cookies: the server kept no state for its first SYN,ACK; the client's SYN, sent again (captured late),
    # reaches it before the ACK and gets a new ISN; the client answers with an ACK of its connection, and the
    # server, in SYN-RECEIVED for the new one, resets it: <SEQ=SEG.ACK><CTL=RST> (found by the soak, with and
    # without timestamps).
    segments = [seg("S", 100), seg("SA", 500, 101, back=True), seg("A", 101, 501), seg("PA", 101, 501, b"hello")]
    segments += [seg("S", 100), seg("SA", 900, 101, back=True), seg("A", 106, 501), seg("R", 501, back=True)]
    (report,) = reports(write(tmp_path / "cookie.pcap", segments))
    assert report.conforms, [(p.number, p.departure) for p in report.departures]
    anew = report.packets[5]
    assert "to the same SYN, which was sent 2 times: its sender answered two sendings apart" in anew.explanation
    assert [str(s) for s in report.packets[-1].after] == ["CLOSED", "CLOSED"]


def test_a_syn_ack_with_a_new_isn_after_the_peer_acknowledged_the_first_is_still_flagged(tmp_path):
    # the same SYN,ACK without a SYN sent again, nor an older timestamp: nothing explains the new ISN
    segments = [seg("S", 100), seg("SA", 500, 101, back=True), seg("A", 101, 501), seg("PA", 101, 501, b"hello")]
    (report,) = reports(write(tmp_path / "bad.pcap", [*segments, seg("SA", 900, 101, back=True)]))
    assert [p.number for p in report.departures] == [5]
    assert "SYN on a synchronized connection with a new ISN 900" in report.departures[0].departure


def test_a_syn_ack_with_an_isn_ahead_in_a_capture_that_saw_nothing_of_the_peer_starts_a_new_connection(tmp_path):
    # tcpdump dropped nearly everything: an ACK of the server's, then its SYN,ACK to a new SYN on the same ports
    # (an ISN ahead of the old numbers, as Linux takes a SYN in TIME-WAIT); the peer's numbers are unknown
    segments = [seg("A", 501, 9001, back=True), seg("SA", 70000, 90001, back=True)]
    old, new = reports(write(tmp_path / "reused.pcap", segments))
    assert old.conforms and new.conforms, [(p.number, p.departure) for p in new.departures]
    assert "the capture missed the SYN" in new.notes[0]


def test_syn_options_cut_by_the_snap_length_leave_the_window_scale_unknown_not_zero(tmp_path):
    # Both SYNs offer a shift of 7, but a 44-byte snap length keeps only 4 bytes of their options: the client's
    # window of 10 is 1280 bytes, so neither the server's 1000 bytes nor its RST at 2001 is beyond it.
    scaled = Options(mss=1460, wscale=7)
    segments = [seg("S", 100, options=scaled), seg("SA", 500, 101, back=True, options=scaled)]
    segments += [seg("A", 101, 501, window=10), seg("PA", 501, 101, b"x" * 1000, back=True)]
    segments += [seg("A", 101, 1501, window=10), seg("RA", 2001, 101, back=True)]
    (report,) = reports(write(tmp_path / "cut_options.pcap", segments, snaplen=44))
    assert report.conforms, [(p.number, p.departure) for p in report.departures]
    assert "the snap length cut its options short" in report.packets[0].explanation
    assert report.packets[-1].labels == ("RST", "RST in window")


def test_a_syn_ack_again_after_its_sender_acknowledged_data_does_not_take_it_back_to_syn_received(tmp_path):
    # Linux sent it for a copy of the client's SYN (duplicated on the way), a second after it took the data.
    segments = [*handshake(), seg("PA", 101, 501, b"hello"), seg("A", 501, 106, back=True)]
    segments += [seg("SA", 500, 101, back=True), seg("A", 106, 501), seg("A", 105, 501)]
    (report,) = reports(write(tmp_path / "leftover.pcap", segments))
    assert report.conforms
    again, ack, probe = report.packets[-3:]
    assert again.labels == ("handshake", "retransmission") and [str(s) for s in again.after] == ["ESTABLISHED"] * 2
    assert "its sender has acknowledged the peer's data since (ack 6)" in again.explanation
    assert ack.labels == ("pure ACK",) and "handshake is complete" not in ack.explanation
    assert probe.labels == ("keep-alive",)  # the server's ack is still 106: the SYN,ACK's older one does not count


def test_a_late_copy_of_the_syn_after_its_sender_closed_leaves_it_closed(tmp_path):
    # The server closed first (it is in TIME-WAIT, the client CLOSED); a copy of the client's SYN comes late.
    segments = [*handshake(), seg("FA", 501, 101, back=True), seg("FA", 101, 502), seg("A", 502, 102, back=True)]
    (report,) = reports(write(tmp_path / "copy.pcap", [*segments, seg("S", 100)]))
    copy = report.packets[-1]
    assert report.conforms and [str(s) for s in copy.after] == ["CLOSED", "TIME-WAIT"]
    assert "a copy of its first SYN" in copy.explanation and "its state does not go back" in copy.explanation


def test_a_syn_ack_with_a_new_isn_for_a_late_copy_of_the_syn_is_reset_as_an_old_duplicate(tmp_path):
    # After the client's abort, its SYN's copy reaches the listener, which answers with a new ISN; the
    # client has no connection and resets it with <SEQ=SEG.ACK><CTL=RST> (RFC 9293 Figure 9).
    segments = [*handshake(), seg("PA", 101, 501, b"hello"), seg("A", 501, 106, back=True), seg("RA", 106, 501)]
    segments += [seg("S", 100), seg("SA", 9000, 101, back=True), seg("R", 101)]
    (report,) = reports(write(tmp_path / "figure9.pcap", segments))
    assert report.conforms
    rst = report.packets[-1]
    assert rst.labels == ("RST", "RST in window") and "old duplicate" in rst.explanation
    assert [str(s) for s in rst.after] == ["CLOSED", "LISTEN"]


def test_ecn_is_explained_from_the_handshake_that_agrees_to_it_to_the_signals_it_carries(tmp_path):
    segments = [seg("SEC", 100), seg("SAE", 500, 101, back=True), seg("A", 101, 501), seg("PA", 101, 501, b"x")]
    segments += [seg("AE", 501, 102, back=True), seg("PAC", 102, 501, b"y"), seg("A", 501, 103, back=True)]
    (report,) = reports(write(tmp_path / "ecn.pcap", segments))
    assert report.conforms
    syn, syn_ack, _, _, echo, reduced, _ = (p.explanation for p in report.packets)
    assert "ECE and CWR together ask to use Explicit Congestion Notification" in syn
    assert "ECE without CWR agrees to use Explicit Congestion Notification" in syn_ack
    assert "ECE: it echoes a congestion mark (CE)" in echo and "CWR: its sender has reduced" in reduced


def test_connection_refused_is_rej_and_conforms(tmp_path):
    (report,) = reports(write(tmp_path / "rej.pcap", [seg("S", 100), seg("RA", 0, 101, back=True)]))
    assert report.conforms and report.zeek_state == "REJ"
    assert "connection is refused" in report.packets[1].explanation
    assert [str(s) for s in report.packets[1].after] == ["CLOSED", "CLOSED"]


@pytest.mark.parametrize("taken", [True, False], ids=["data_taken", "data_sent_again"])
def test_data_on_a_syn_takes_sequence_numbers_after_it_and_conforms(tmp_path, taken):
    segments = [*fast_open(taken), seg("A", 501, 106, back=True), seg("FA", 106, 501), seg("FA", 501, 107, back=True)]
    (report,) = reports(write(tmp_path / "tfo.pcap", [*segments, seg("A", 107, 502)]))
    assert report.conforms and report.zeek_state == "SF", [(p.number, p.departure) for p in report.departures]
    syn, synack, third = report.packets[:3]
    assert "carries 5 bytes of data, seq 1..6 (TCP Fast Open" in syn.explanation
    if taken:
        assert "and the 5 bytes of data its SYN carried" in synack.explanation and third.labels == ("pure ACK",)
    else:
        assert "but not the 5 bytes" in synack.explanation and third.labels == ("retransmission",)
        assert third.explanation.startswith("The 5 bytes of data its SYN carried, sent again")
    assert [str(s) for s in report.packets[-1].after] == ["TIME-WAIT", "CLOSED"]


def test_a_syn_ack_that_takes_the_data_of_a_fast_open_syn_resent_without_it_conforms(tmp_path):
    # Linux resends a Fast Open SYN without its data; the server had the first one, and took the data
    segments = [seg("S", 100, data=b"hello"), seg("S", 100), seg("SA", 500, 106, back=True), seg("A", 106, 501)]
    (report,) = reports(write(tmp_path / "tfo.pcap", segments))
    assert report.conforms and [str(s) for s in report.packets[-1].after] == ["ESTABLISHED", "ESTABLISHED"]


def test_a_syn_ack_that_takes_fast_open_data_the_capture_never_saw_conforms(tmp_path):
    # The capture missed the Fast Open SYN and its 5 bytes; Linux resends the SYN without them (it keeps the data
    # apart), and the server, which took them, acknowledges them with its SYN,ACK: the client goes on from there.
    segments = [seg("S", 100), seg("SA", 500, 106, back=True), seg("SA", 500, 106, back=True), seg("A", 106, 501)]
    (report,) = reports(write(tmp_path / "tfo.pcap", [*segments, *close(106)]))
    assert report.conforms and report.zeek_state == "SF", [(p.number, p.departure) for p in report.departures]
    synack, again, ack = report.packets[1:4]
    assert synack.labels == ("handshake", "ACKed segment that wasn't captured")  # as Wireshark says
    assert "the 5 bytes of data its SYN carried" in synack.explanation
    assert (
        "takes 5 bytes of data past the SYN, which carried none here: they rode on a first sending"
        in synack.explanation
    )
    assert [str(s) for s in synack.after] == ["ESTABLISHED", "SYN-RECEIVED"]
    assert again.labels == ("handshake", "retransmission") and again.departure is None
    assert ack.labels == ("previous segment not captured",)  # as Wireshark says


def test_a_syn_ack_resent_after_the_capture_missed_the_first_and_the_fast_open_data_conforms(tmp_path):
    # The capture missed the Fast Open SYN with its 5 bytes and the first SYN,ACK; the client's ACK shows both, is
    # lost after the capture point, and the server resends its SYN,ACK, which takes the 5 bytes (found by the soak).
    segments = [seg("S", 100), seg("A", 106, 501), seg("SA", 500, 106, back=True), seg("A", 106, 501)]
    (report,) = reports(write(tmp_path / "tfo.pcap", [*segments, *close(106)]))
    assert report.conforms and report.zeek_state == "SF", [(p.number, p.departure) for p in report.departures]
    synack = report.packets[2]
    assert synack.labels == ("handshake", "retransmission")
    assert "takes 5 bytes of data past the SYN, which carried none here" in synack.explanation
    assert "simultaneous open" not in synack.explanation


def test_a_syn_ack_resent_after_the_capture_missed_the_first_takes_its_sender_back_to_syn_received(tmp_path):
    # Its ISN came from the client's ACK of the SYN,ACK the capture missed; that ACK was lost after the capture
    # point, so the server resends its SYN,ACK: not a simultaneous open (the server sent no SYN of its own).
    segments = [seg("S", 100), seg("A", 101, 501), seg("SA", 500, 101, back=True), seg("A", 101, 501)]
    (report,) = reports(write(tmp_path / "resent.pcap", [*segments, *close()]))
    assert report.conforms and report.zeek_state == "SF"
    synack, ack = report.packets[2:4]
    assert synack.explanation.startswith("The SYN,ACK again")
    assert "the capture missed the first one, whose ISN the peer's ACK of it had shown" in synack.explanation
    assert [str(s) for s in synack.after] == ["ESTABLISHED", "SYN-RECEIVED"]
    assert [str(s) for s in ack.after] == ["ESTABLISHED", "ESTABLISHED"]


def test_a_syn_ack_in_a_capture_begun_mid_connection_shows_the_unseen_isn_and_a_server_in_syn_received(tmp_path):
    # A server whose accept queue was full dropped the final ACK and the client's data; the capture begins with
    # that data, then the server resends its SYN,ACK: its ack (101) shows the client's ISN, 100, below the first
    # segment seen, and the server is still in SYN-RECEIVED (found by the soak: six clients, a backlog of one).
    segments = [seg("PA", 101, 501, b"hello"), seg("SA", 500, 101, back=True), seg("A", 106, 501)]
    segments += [seg("PA", 101, 501, b"hello"), seg("A", 501, 106, back=True), *close(106)]
    (report,) = reports(write(tmp_path / "midstream.pcap", segments))
    assert report.conforms, [(p.number, p.departure) for p in report.departures]
    synack, ack, resent = report.packets[1:4]
    assert (synack.ack, synack.labels) == (1, ("handshake",))
    assert "shows the ISN of the peer's SYN, 100, which this capture never saw" in synack.explanation
    assert [str(s) for s in synack.after] == ["ESTABLISHED", "SYN-RECEIVED"]
    assert (ack.seq, [str(s) for s in ack.after]) == (6, ["ESTABLISHED", "ESTABLISHED"])
    assert (resent.seq, resent.labels) == (1, ("retransmission",))


def test_a_syn_ack_past_a_syn_without_data_is_flagged_when_its_sender_does_not_go_on_from_that_ack(tmp_path):
    # RFC 9293 section 3.10.7.3: SYN-SENT answers an ack beyond what it sent with <SEQ=SEG.ACK><CTL=RST>
    segments = [seg("S", 100), seg("SA", 500, 106, back=True), seg("R", 106), seg("S", 100)]
    segments += [seg("SA", 500, 101, back=True), seg("A", 101, 501)]
    (report,) = reports(write(tmp_path / "bad.pcap", segments))
    assert [p.number for p in report.departures] == [2]
    assert "so the ack must be 101" in report.departures[0].departure


def test_a_fast_open_client_that_resends_its_syn_never_got_the_answer_the_server_sent_meanwhile(tmp_path):
    # the SYN,ACK, and the reply and FIN a Fast Open server sends before the handshake completes, are lost
    segments = [seg("S", 100, data=b"hello"), seg("SA", 500, 106, back=True)]
    segments += [seg("FPA", 501, 106, b"reply", back=True), seg("S", 100)]
    (report,) = reports(write(tmp_path / "tfo.pcap", segments))
    assert report.conforms and [str(s) for s in report.packets[-1].after] == ["SYN-SENT", "FIN-WAIT-1"]


def test_a_syn_ack_resent_after_the_capture_missed_the_first_is_not_a_new_isn(tmp_path):
    # a Fast Open server's reply comes first; its ISN (500) is inferred as 501 until the SYN,ACK is resent
    segments = [seg("S", 100, data=b"hello"), seg("PA", 501, 106, b"reply", back=True), seg("SA", 500, 106, back=True)]
    (report,) = reports(write(tmp_path / "tfo.pcap", segments))
    assert report.conforms, [(p.number, p.departure) for p in report.departures]
    assert "the capture missed the first one" in report.packets[-1].explanation
    assert report.packets[-1].labels == ("handshake", "retransmission")


def test_a_syn_ack_beyond_the_syn_and_its_data_is_flagged(tmp_path):
    (report,) = reports(write(tmp_path / "bad.pcap", [seg("S", 100, data=b"hello"), seg("SA", 500, 107, back=True)]))
    assert "so the ack must be 101 (or 106 with its data)" in report.departures[0].departure


def test_a_capture_that_missed_the_syn_starts_from_the_syn_ack(tmp_path):
    segments = [seg("SA", 500, 101, back=True), seg("A", 101, 501), seg("PA", 101, 501, b"hey")]
    segments += [seg("A", 501, 104, back=True), *close(104)]
    (report,) = reports(write(tmp_path / "nosyn.pcap", segments))
    assert report.conforms and "missed the SYN" in report.notes[0]
    assert [str(s) for s in report.packets[0].after] == ["SYN-RECEIVED", "ESTABLISHED"]
    assert (report.packets[2].seq, report.packets[2].ack) == (1, 1)  # relative to the ISN the SYN,ACK implies
    assert [str(s) for s in report.packets[-1].after] == ["CLOSED", "TIME-WAIT"]


def test_a_window_scale_above_14_is_taken_as_14(tmp_path):
    # RFC 7323 section 2.3: a shift.cnt above 14 is logged and 14 used (a public capture's 255 gave a 77-digit window)
    from simulator.model.segment import Options

    offer = Options(mss=1460, wscale=255)
    segments = [
        seg("S", 100, options=offer),
        seg("SA", 500, 101, back=True, options=offer),
        seg("A", 101, 501, window=4),
    ]
    segments += [seg("PA", 101, 501, b"x" * 1000, window=4), seg("A", 501, 1101, back=True, window=2)]
    (report,) = reports(write(tmp_path / "scale.pcap", segments))
    assert report.conforms
    assert [p.window for p in report.packets[2:]] == [4 << 14, 4 << 14, 2 << 14]
    assert "its window scale 255 is more than 14, so 14 is used (RFC 7323 section 2.3)" in report.packets[1].explanation
