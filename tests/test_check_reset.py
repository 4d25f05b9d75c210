"""`tcpsim check` on resets: which RSTs a receiver takes, ignores or never saw coming (RFC 9293 3.5.2, RFC 5961)."""

from __future__ import annotations

import pytest

from simulator import load

from .captures import close, handshake, ignored_rst, reports, seg, write

pytest.importorskip("scapy", reason="these tests export scenarios with Scapy (pip install -e '.[dev]')")
from simulator.capture.export import export


def test_a_rst_that_does_not_acknowledge_the_syn_is_ignored_in_syn_sent(tmp_path):
    # Its ack is below the SYN's: no capture gap explains it, and SYN-SENT drops it (RFC 9293 section 3.10.7.3).
    (report,) = reports(write(tmp_path / "bad.pcap", [seg("S", 100), seg("RA", 0, 50, back=True)]))
    assert [p.departure for p in report.departures] == [
        "RST outside the window: a correct stack ignores it (RFC 9293 section 3.10.7.4, RFC 5961)"
    ]
    assert str(report.packets[1].after[0]) == "SYN-SENT"
    assert "it does not acknowledge the SYN" in report.packets[1].explanation


def test_a_closed_ports_rst_ack_to_a_late_copy_of_the_syn_is_not_a_departure(tmp_path):
    # The copy of the client's SYN comes after the connection closed and the server's listener with it:
    # nothing listens, so the answer is <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK>; the client in TIME-WAIT ignores it.
    segments = [*handshake(), *close(), seg("S", 100), seg("RA", 0, 101, back=True)]
    (report,) = reports(write(tmp_path / "copy.pcap", segments))
    assert report.conforms
    copy, rst = report.packets[-2:]
    assert "a copy of its first SYN" in copy.explanation and str(copy.after[0]) == "TIME-WAIT"
    assert rst.labels == ("RST", "RST outside the window")
    assert "nothing listens on this port any more" in rst.explanation
    assert [str(s) for s in rst.after] == ["TIME-WAIT", "CLOSED"]


@pytest.mark.parametrize(
    ("name", "at", "words", "listener"),
    [
        ("half_open_data_reset", "server", "which has closed it already or lost it (its host restarted", "CLOSED"),
        ("old_syn_passive_reset", "client", "so the SYN that SYN,ACK acknowledges was an old duplicate", "LISTEN"),
    ],
)
def test_a_rst_whose_seq_is_the_ack_it_answers_comes_from_a_side_without_the_connection(
    tmp_path, name, at, words, listener
):
    export(load(name).run(), tmp_path / "rst.pcap", at=at)
    (report,) = reports(tmp_path / "rst.pcap")
    assert report.conforms and words in report.packets[-1].explanation
    assert str(report.packets[-1].after[1]) == listener  # a passive open's reset returns to LISTEN (3.10.7.4)


def test_a_rst_past_what_its_sender_was_seen_to_send_is_a_capture_gap(tmp_path):
    # tcpdump dropped the client's segments 401..80001 with the server's ACKs of them, then saw its abort.
    segments = [*handshake(), seg("PA", 101, 501, b"a" * 300), seg("A", 501, 401, back=True)]
    segments += [seg("RA", 80001, 501)]  # beyond the last window seen
    (report,) = reports(write(tmp_path / "drops.pcap", segments))
    assert report.conforms, [(p.number, p.departure) for p in report.departures]
    assert report.packets[-1].labels == ("RST", "previous segment not captured")
    assert [str(state) for state in report.packets[-1].after] == ["CLOSED", "CLOSED"]


def test_rsts_that_answer_older_acks_captured_late_are_ignored_and_not_departures(tmp_path):
    # Seen on a loopback with data both ways: the client's ACKs were captured out of order after the close, and
    # the server, closed by then, answers each with <SEQ=SEG.ACK><CTL=RST>, below the window the client has.
    segments = [*handshake(), seg("PA", 501, 101, b"x" * 100, back=True), seg("PA", 601, 101, b"y" * 100, back=True)]
    segments += [seg("A", 101, 701), seg("FA", 701, 101, back=True), seg("FA", 101, 702), seg("A", 702, 102, back=True)]
    segments += [seg("A", 102, 601), seg("A", 102, 651), seg("A", 102, 702)]  # captured late
    segments += [seg("R", 601, back=True), seg("R", 651, back=True)]
    (report,) = reports(write(tmp_path / "late_acks.pcap", segments))
    assert report.conforms, [(p.number, p.departure) for p in report.departures]
    assert all(p.labels == ("RST", "RST outside the window") for p in report.packets[-2:])


def test_a_rst_answering_the_first_segment_of_a_capture_begun_mid_connection_is_not_a_departure(tmp_path):
    # The capture starts at the server's FIN (ack 101): after the close, the client answers it again with a RST.
    segments = [seg("FA", 501, 101, back=True), seg("FA", 101, 502), seg("A", 502, 102, back=True), seg("R", 101)]
    report = ignored_rst(tmp_path / "mid.pcap", segments, because="a side that has closed")
    assert "starts mid-connection" in report.notes[0]


def test_an_abort_whose_snd_nxt_is_the_right_edge_of_a_full_window_is_ignored_and_not_a_departure(tmp_path):
    # Seen on a lossy wire: the server has filled the client's window (the client still asks for 501), then
    # aborts with <SEQ=SND.NXT><CTL=RST>; that seq is the window's right edge, just outside it.
    segments = [*handshake(), seg("A", 501, 101, back=True, window=100), seg("PA", 501, 101, b"x" * 100, back=True)]
    segments += [seg("A", 101, 501, window=100), seg("RA", 601, 101, back=True)]
    report = ignored_rst(tmp_path / "full.pcap", segments, because="as an ABORT sends it")
    assert [str(state) for state in report.packets[-1].after] == ["ESTABLISHED", "CLOSED"]  # the client ignores it


def test_a_closed_sides_answer_to_an_old_ack_below_its_first_seq_seen_is_no_departure(tmp_path):
    # The capture begins with the client's data at 1101, but the server still acknowledges 101 (the client's earlier
    # data, not captured); after the server's abort, late copies of that old ACK come, and the closed client answers
    # them with <SEQ=SEG.ACK><CTL=RST>: below the first seq seen of it, and outside the window (found by the soak)
    segments = [seg("PA", 1101, 501, b"x" * 100), seg("A", 501, 101, back=True), seg("PA", 101, 501, b"y" * 1100)]
    segments += [seg("A", 501, 1201, back=True), seg("RA", 501, 1201, back=True)]
    segments += [seg("A", 501, 101, back=True), seg("R", 101)]
    (report,) = reports(write(tmp_path / "late.pcap", segments))
    assert report.conforms, [(p.number, p.departure) for p in report.departures]
    assert "the answer of a side that has closed" in report.packets[-1].explanation


def test_a_rst_that_answers_data_after_the_close_is_ignored_and_not_a_departure(tmp_path):
    # Seen in a lossy Linux capture: the server's data (made before the client's data and FIN arrived) reaches a
    # client that has closed, which aborts (RFC 1122 section 4.2.2.13) and answers with <SEQ=SEG.ACK><CTL=RST>;
    # the server's ACK of that FIN, captured before the RST, has moved its window past it.
    segments = [*handshake(), seg("PA", 101, 501, b"x" * 10), seg("FA", 111, 501)]
    segments += [seg("PA", 501, 101, b"y" * 5, back=True), seg("A", 506, 112, back=True), seg("R", 101)]
    report = ignored_rst(tmp_path / "abort.pcap", segments, because="RFC 1122 section 4.2.2.13")
    assert [str(state) for state in report.packets[-1].after] == ["CLOSED", "CLOSE-WAIT"]  # the client has aborted


def test_a_rst_below_the_peers_ack_without_ack_bit_answers_late_segments_after_a_close_the_capture_missed(tmp_path):
    # The client's last 100 bytes and its FIN were not captured, but the server acknowledged them (302); a copy
    # of the server's older ACK (201) comes late, and the client, whose connection has gone, answers it with
    # <SEQ=SEG.ACK><CTL=RST>: a side with a connection would answer with an ACK, or abort at its SND.NXT.
    segments = [*handshake(), seg("PA", 101, 501, b"a" * 100), seg("A", 501, 201, back=True)]
    segments += [seg("A", 501, 302, back=True), seg("A", 501, 201, back=True), seg("R", 201)]
    (report,) = reports(write(tmp_path / "gone.pcap", segments))
    assert report.conforms
    rst = report.packets[-1]
    assert rst.labels == ("RST", "RST outside the window") and "this capture never saw it close" in rst.explanation
    assert str(rst.after[0]) == "CLOSED"


def test_a_rst_below_the_window_past_a_capture_gap_answers_a_late_ack_it_does_not_follow_the_gap(tmp_path):
    # The client's bytes 201..401 and its close were not captured; the server acknowledged them (401).  A copy of
    # its older ACK (301) comes late, and the client answers it with <SEQ=SEG.ACK><CTL=RST>: past what the
    # capture saw the client send, but below what the server acknowledged, so not after the gap but old.
    segments = [*handshake(), seg("PA", 101, 501, b"a" * 100), seg("A", 501, 401, back=True)]
    segments += [seg("A", 501, 301, back=True), seg("R", 301)]
    (report,) = reports(write(tmp_path / "gap.pcap", segments))
    assert report.conforms
    rst = report.packets[-1]
    assert rst.labels == ("RST", "RST outside the window") and "this capture never saw it close" in rst.explanation


def test_data_sent_before_an_abort_that_comes_after_its_rst_is_out_of_order(tmp_path):
    # The ABORT's RST is at SND.NXT (301): the segment before it took a slower way and comes after it.
    segments = [*handshake(), seg("PA", 101, 501, b"a" * 100), seg("A", 501, 201, back=True), seg("RA", 301, 501)]
    segments += [seg("PA", 201, 501, b"b" * 100), seg("R", 501, back=True)]
    (report,) = reports(write(tmp_path / "late.pcap", segments))
    assert report.conforms
    rst, late = report.packets[-3:-1]
    assert "its seq 201 is past 101, the end of what its sender was seen to send" in rst.explanation
    assert late.labels == ("out-of-order",)


def test_a_closed_sides_answer_to_an_old_ack_is_no_departure_where_the_capture_begins_with_that_ack(tmp_path):
    # The capture begins late, with two old ACKs of the client's (held up on a slower path); the server, which has
    # closed, answers each with <SEQ=SEG.ACK><CTL=RST>: the first answer is below the client's latest ack, outside
    # its window, and its sender's first segment in the capture (found by the soak)
    segments = [seg("A", 101, 501), seg("A", 106, 504), seg("R", 501, back=True), seg("R", 504, back=True)]
    (report,) = reports(write(tmp_path / "late.pcap", segments))
    assert report.conforms, [(p.number, p.departure) for p in report.departures]
    first, second = report.packets[2:]
    assert (
        first.labels == ("RST", "RST outside the window")
        and "the answer of a side that has closed" in first.explanation
    )
    assert (first.seq, second.seq) == (0, 3)
