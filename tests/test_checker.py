"""`tcpsim check`: every packet of a capture explained, and only real departures flagged."""

from __future__ import annotations

import itertools
import json
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from simulator import Flags, Options, Segment, SeqNum, Trace, builtin_names, load
from simulator.capture.analysis import captured
from simulator.capture.checker import _WRAP, ConnectionReport, check, wrap
from simulator.capture.reader import read
from simulator.cli import main
from simulator.model.segment import NO_OPTIONS

pytest.importorskip("scapy", reason="the checker tests build captures with Scapy (pip install -e '.[dev]')")
from simulator.capture.export import export, packet_bytes

DATA = Path(__file__).parent / "data"
CLIENT, SERVER = ("10.0.0.1", 40000), ("10.0.0.2", 80)


def reports(path: Path) -> list[ConnectionReport]:
    return [check(conn) for conn in read(path).connections]


def write(path: Path, segments: list[Segment], snaplen: int = 65535) -> Path:
    """A raw-IP pcap of ``segments`` (each checked field by field by the Scapy backend)."""
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snaplen, 101)]
    for i, seg in enumerate(segments):
        raw = packet_bytes(seg)
        out.append(struct.pack("<IIII", i, 0, min(len(raw), snaplen), len(raw)) + raw[:snaplen])
    path.write_bytes(b"".join(out))
    return path


def seg(flags, seq, ack=0, data=b"", *, back=False, window=65535, options=NO_OPTIONS):
    src, dst = (SERVER, CLIENT) if back else (CLIENT, SERVER)
    return Segment(
        src[1],
        dst[1],
        SeqNum(seq),
        SeqNum(ack),
        Flags.parse(flags),
        window,
        options,
        data,
        src[0],
        dst[0],
    )


def handshake() -> list[Segment]:
    return [seg("S", 100), seg("SA", 500, 101, back=True), seg("A", 101, 501)]


def close(client_seq: int = 101, server_seq: int = 501) -> list[Segment]:
    """The client closes first and the server answers with its FIN: the client ends in TIME-WAIT."""
    return [
        seg("FA", client_seq, server_seq),
        seg("FA", server_seq, client_seq + 1, back=True),
        seg("A", client_seq + 1, server_seq + 1),
    ]


def ignored_rst(path: Path, segments: list[Segment], *, because: str) -> ConnectionReport:
    """The report of ``segments``, whose last is a RST outside the window that the receiver rightly ignores."""
    (report,) = reports(write(path, segments))
    assert report.conforms, [(p.number, p.departure) for p in report.departures]
    rst = report.packets[-1]
    assert rst.labels == ("RST", "RST outside the window") and because in rst.explanation
    return report


def test_a_real_linux_conversation_conforms_and_every_step_is_explained():
    (report,) = reports(DATA / "linux-loopback.pcap")
    assert report.conforms and report.zeek_state == "SF"
    assert [p.labels[0] for p in report.packets[:4]] == ["handshake", "handshake", "pure ACK", "data"]
    assert [str(s) for s in report.packets[0].after] == ["SYN-SENT", "SYN-RECEIVED"]
    third = report.packets[2]
    assert "three-way handshake is complete" in third.explanation
    assert [str(s) for s in report.packets[-1].after] == ["TIME-WAIT", "CLOSED"]
    assert report.packets[3].window == 64 << 10  # the negotiated scale is applied


@pytest.mark.parametrize("name", [n for n in builtin_names() if n != "old_duplicate_syn"])
def test_every_scenario_captured_at_either_end_conforms(tmp_path, name):
    trace = load(name).run()
    for endpoint in trace.endpoints:
        path = tmp_path / f"{endpoint.name}.pcap"
        export(trace, path, at=endpoint.name)
        for report in reports(path):
            assert report.conforms, (endpoint.name, [(p.number, p.departure) for p in report.departures])


# Packets after which the capture cannot show the capturing side's state (the checker's words, not the model's):
NOT_ON_THE_WIRE = {
    # a SYN with a new ISN on ports the server still holds looks like a new connection until its challenge ACK
    ("half_open_connection", "server"): {4},
    # the server's crash shows only when it answers the next segment with a RST
    ("half_open_data_reset", "server"): {4},
    # the scenario puts an old SYN on the client's wire that the client never sent
    ("old_duplicate_syn", "client"): {3, 4, 5, 6},
    ("old_syn_passive_reset", "client"): {1, 2, 3},
}


def model_states(trace: Trace, at: str) -> list[str]:
    """The state of endpoint ``at`` after each packet a capture on it holds: the segment sent or taken in,
    and the moves it makes at once (not those an application call makes next)."""
    events = trace.events
    where = {id(e): i for i, e in enumerate(events)}
    starts = [where[id(step.event)] for step, _ in captured(trace, at)] + [len(events)]
    states = []
    for start, end in itertools.pairwise(starts):
        state = None
        for k, event in enumerate(events[start:end]):
            if event.time != events[start].time or (k and event.kind in ("app", "send", "deliver")):
                break
            view = dict(event.views).get(at)
            state = view.state if view is not None else state
        states.append(str(state))
    return states


@pytest.mark.parametrize("name", builtin_names())
def test_the_capturing_sides_states_follow_the_models_own(tmp_path, name):
    trace = load(name).run()
    for endpoint in trace.endpoints:
        path = tmp_path / f"{endpoint.name}.pcap"
        export(trace, path, at=endpoint.name)
        ours = {}
        for report in reports(path):
            side = [report.a, report.b].index((endpoint.address, endpoint.port))
            ours.update({p.number: str(p.after[side]) for p in report.packets})
        expected = model_states(trace, endpoint.name)
        unknowable = NOT_ON_THE_WIRE.get((name, endpoint.name), set())
        differ = [
            (n, ours[n], model) for n, model in enumerate(expected, 1) if ours[n] != model and n not in unknowable
        ]
        assert not differ, f"{endpoint.name}: (packet, checker, model) {differ}"


def test_a_syn_from_a_side_taken_to_have_the_peers_syn_is_a_simultaneous_open(tmp_path):
    export(load("simultaneous_open").run(), tmp_path / "open.pcap", at="client")
    (report,) = reports(tmp_path / "open.pcap")
    assert report.conforms and report.zeek_state == "S1"
    assert [str(s) for s in report.packets[1].after] == ["SYN-RECEIVED", "SYN-SENT"]
    assert "both sides open at once, a simultaneous open" in report.packets[1].explanation
    assert all(p.explanation.startswith("SYN,ACK in a simultaneous open") for p in report.packets[2:])


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


def test_a_fin_resent_after_an_ack_of_it_shows_that_ack_was_lost_after_the_capture_point(tmp_path):
    closing = [seg("FA", 101, 501), seg("A", 501, 102, back=True), seg("FA", 101, 501), seg("A", 501, 102, back=True)]
    (report,) = reports(write(tmp_path / "fin.pcap", handshake() + closing))
    assert [str(p.after[0]) for p in report.packets[3:]] == ["FIN-WAIT-1", "FIN-WAIT-2", "FIN-WAIT-1", "FIN-WAIT-2"]
    assert "its FIN at seq 1 again: the ACK of it seen before had not reached it" in report.packets[5].explanation


@pytest.mark.parametrize("at", ["client", "server"])
def test_fins_that_cross_are_a_simultaneous_close_both_sides_through_closing(tmp_path, at):
    export(load("simultaneous_close").run(), tmp_path / "close.pcap", at=at)
    (report,) = reports(tmp_path / "close.pcap")
    second_fin = [p for p in report.packets if "FIN" in p.labels][1]
    assert [str(s) for s in second_fin.after] == ["CLOSING", "CLOSING"]
    assert "the two FINs crossed, a simultaneous close" in second_fin.explanation
    assert [str(s) for s in report.packets[-1].after] == ["TIME-WAIT", "TIME-WAIT"]


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


def test_a_rst_that_acknowledges_bytes_after_the_syn_shows_the_capture_missed_the_handshake_end(tmp_path):
    # tcpdump dropped the SYN,ACK, the ACK and 100 bytes of data: the server's RST acknowledges them.
    (report,) = reports(write(tmp_path / "dropped.pcap", [seg("S", 100), seg("RA", 0, 201, back=True)]))
    assert report.conforms, report.departures
    assert report.packets[1].labels == ("RST", "ACKed segment that wasn't captured")
    assert [str(s) for s in report.packets[1].after] == ["CLOSED", "CLOSED"]
    assert "the capture missed the end of the handshake" in report.packets[1].explanation


def test_data_past_a_fin_and_a_capture_gap_is_taken_for_a_new_connection_whose_syn_was_missed(tmp_path):
    # The client closes, then reuses the port: tcpdump dropped the new SYN and SYN,ACK (and the old close's end).
    segments = [*handshake(), seg("FA", 101, 501), seg("PA", 90_000, 7_000, b"again", back=False)]
    (report,) = reports(write(tmp_path / "reused.pcap", segments))
    assert report.conforms, [(p.number, p.departure) for p in report.departures]
    assert "most likely a new connection on these ports" in report.packets[-1].explanation


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


def test_a_rst_that_does_not_acknowledge_the_syn_is_ignored_in_syn_sent(tmp_path):
    # Its ack is below the SYN's: no capture gap explains it, and SYN-SENT drops it (RFC 9293 section 3.10.7.3).
    (report,) = reports(write(tmp_path / "bad.pcap", [seg("S", 100), seg("RA", 0, 50, back=True)]))
    assert [p.departure for p in report.departures] == [
        "RST outside the window: a correct stack ignores it (RFC 9293 section 3.10.7.4, RFC 5961)"
    ]
    assert str(report.packets[1].after[0]) == "SYN-SENT"
    assert "it does not acknowledge the SYN" in report.packets[1].explanation


def test_an_old_duplicate_syn_is_flagged_at_the_client_that_never_sent_it(tmp_path):
    # RFC 9293 Figure 9: the SYN,ACK answers a SYN from an earlier incarnation.
    trace = load("old_duplicate_syn").run()
    export(trace, tmp_path / "c.pcap", at="client")
    departures = [p.departure for r in reports(tmp_path / "c.pcap") for p in r.departures]
    assert departures and "SYN,ACK acknowledges" in departures[0]


def test_loss_recovery_is_labelled_as_wireshark_would(tmp_path):
    export(load("fast_retransmit").run(), tmp_path / "f.pcap", at="server")
    labels = [label for r in reports(tmp_path / "f.pcap") for p in r.packets for label in p.labels]
    assert "previous segment not captured" in labels
    assert "duplicate ACK (#3)" in labels
    # the server's capture never saw the lost segment: the resend fills that gap, asked for by the duplicates
    (resend,) = [p for r in reports(tmp_path / "f.pcap") for p in r.packets if "fast retransmission" in p.labels]
    assert "this capture never saw it sent before" in resend.explanation


def test_zero_window_and_probes_are_named(tmp_path):
    export(load("zero_window").run(), tmp_path / "z.pcap", at="client")
    labels = {label for r in reports(tmp_path / "z.pcap") for p in r.packets for label in p.labels}
    assert {"zero window", "zero window probe", "window update"} <= labels


@pytest.mark.parametrize(
    ("extra", "rule"),
    [
        # the server's next ACK still starts at 501: it never sent up to 9001
        ([seg("A", 101, 9001), seg("A", 501, 101, back=True)], "ACK for data never sent (ack 8501 > SND.NXT 1)"),
        ([seg("FA", 101, 501), seg("PA", 102, 501, b"late")], "data after FIN"),
        # the client's next ACK is still at 101: it never sent up to 100000
        ([seg("R", 100_000), seg("A", 101, 501)], "RST outside the window: a correct stack ignores it"),
        ([seg("SA", 7777, 101, back=True)], "SYN on a synchronized connection"),
        ([seg("", 101, 0, b"no flags")], "neither SYN, ACK nor RST"),
    ],
    ids=["ack_never_sent", "data_after_fin", "rst_outside_window", "syn_when_established", "no_ack"],
)
def test_hand_made_broken_captures_are_flagged_with_the_rule(tmp_path, extra, rule):
    (report,) = reports(write(tmp_path / "bad.pcap", handshake() + extra))
    assert not report.conforms
    assert rule in report.departures[-1].departure


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


def test_a_syn_ack_with_a_new_isn_after_a_close_answers_a_syn_the_capture_missed_on_reused_ports(tmp_path):
    # The client reuses its port after the close; tcpdump dropped its new SYN (ISN 90000), so the capture shows
    # the server's SYN,ACK (a new ISN, 70000) first: a new connection, not a new ISN on the old one (the soak).
    again = [seg("SA", 70000, 90001, back=True), seg("A", 90001, 70001), seg("PA", 90001, 70001, b"again")]
    segments = [*handshake(), *close(), *again, seg("A", 70001, 90006, back=True)]
    first, second = reports(write(tmp_path / "reused.pcap", segments))
    assert first.conforms and second.conforms, [(p.number, p.departure) for p in second.departures]
    assert [p.number for p in second.packets] == [7, 8, 9, 10]
    assert "the capture missed the SYN" in second.notes[0]
    assert (second.packets[2].seq, second.packets[2].labels) == (1, ("data",))


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


def test_a_syn_ack_with_an_isn_ahead_in_a_capture_that_saw_nothing_of_the_peer_starts_a_new_connection(tmp_path):
    # tcpdump dropped nearly everything: an ACK of the server's, then its SYN,ACK to a new SYN on the same ports
    # (an ISN ahead of the old numbers, as Linux takes a SYN in TIME-WAIT); the peer's numbers are unknown
    segments = [seg("A", 501, 9001, back=True), seg("SA", 70000, 90001, back=True)]
    old, new = reports(write(tmp_path / "reused.pcap", segments))
    assert old.conforms and new.conforms, [(p.number, p.departure) for p in new.departures]
    assert "the capture missed the SYN" in new.notes[0]


def test_a_fin_resent_across_the_close_and_the_rst_that_answers_it_are_not_departures(tmp_path):
    # Seen in a lossy Linux capture: the client's FIN is lost, both FINs are resent, and the server's resend
    # (made before the client's FIN arrived, so its ack is old) reaches a client that has closed meanwhile.
    segments = [
        *handshake(),
        seg("FA", 501, 101, back=True),  # the server closes
        seg("FA", 101, 502),  # the client's FIN and ACK, lost after the capture point
        seg("FA", 101, 502),  # ... sent again
        seg("A", 502, 102, back=True),  # the server acknowledges it: the client is CLOSED
        seg("FA", 501, 101, back=True),  # the server's FIN again, made before the client's FIN arrived
        seg("R", 101),  # a closed socket answers it: <SEQ=SEG.ACK><CTL=RST>
    ]
    report = ignored_rst(tmp_path / "crossed.pcap", segments, because="a side that has closed")
    resent = report.packets[-2]
    assert "made before the ACK it sent already" in resent.explanation
    assert [str(state) for state in resent.after] == ["CLOSED", "TIME-WAIT"]  # the server's state does not go back


def test_a_rst_that_answers_data_after_the_close_is_ignored_and_not_a_departure(tmp_path):
    # Seen in a lossy Linux capture: the server's data (made before the client's data and FIN arrived) reaches a
    # client that has closed, which aborts (RFC 1122 section 4.2.2.13) and answers with <SEQ=SEG.ACK><CTL=RST>;
    # the server's ACK of that FIN, captured before the RST, has moved its window past it.
    segments = [*handshake(), seg("PA", 101, 501, b"x" * 10), seg("FA", 111, 501)]
    segments += [seg("PA", 501, 101, b"y" * 5, back=True), seg("A", 506, 112, back=True), seg("R", 101)]
    report = ignored_rst(tmp_path / "abort.pcap", segments, because="RFC 1122 section 4.2.2.13")
    assert [str(state) for state in report.packets[-1].after] == ["CLOSED", "CLOSE-WAIT"]  # the client has aborted


def test_numbers_before_a_new_isn_stay_relative_to_the_isn_of_their_time(tmp_path):
    segments = [*handshake(), seg("PA", 501, 101, b"data", back=True), seg("SA", 7777, 101, back=True)]
    (report,) = reports(write(tmp_path / "new_isn.pcap", segments))
    assert [(p.seq, p.ack) for p in report.packets] == [(0, 0), (0, 1), (1, 1), (1, 1), (0, 1)]


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


def test_late_packets_of_a_closed_connection_whose_ports_a_new_syn_reused_are_its_own(tmp_path):
    # The client reuses its port (a new ISN, 5000) after the connection closed; a copy of the old SYN,ACK took a
    # slower way and comes after the new SYN, and the client answers it with <SEQ=SEG.ACK><CTL=RST>.  Both belong
    # to the old connection: its numbers (seq from 500, ack up to 101), not the new one's (from 5000 and 9000).
    old = [*handshake(), *close()]
    new = [seg("S", 5000), seg("SA", 500, 101, back=True), seg("SA", 9000, 5001, back=True), seg("R", 101)]
    first, second = reports(write(tmp_path / "reused.pcap", [*old, *new, seg("A", 5001, 9001)]))
    assert [p.number for p in first.packets] == [1, 2, 3, 4, 5, 6, 8, 10]
    assert [p.number for p in second.packets] == [7, 9, 11]
    assert first.conforms and second.conforms
    assert "2 of its packets came after a new SYN had reused these ports" in first.notes[0]
    assert not any("reused these ports" in note for note in second.notes)
    late, rst = first.packets[-2:]
    assert late.labels == ("handshake", "retransmission") and "a leftover resend" in late.explanation
    assert [str(s) for s in late.after] == ["TIME-WAIT", "CLOSED"]  # the server's side stays closed
    assert rst.labels == ("RST", "RST outside the window")
    assert [str(s) for s in second.packets[-1].after] == ["ESTABLISHED", "ESTABLISHED"]


def test_a_closed_ports_answer_to_a_late_syn_copy_goes_by_its_ack_to_the_connection_of_that_syn(tmp_path):
    # The server closed first (TIME-WAIT), the client reused its port, the new connection is open; then a copy
    # of the first SYN comes late, and the server, which no longer holds that connection nor listens, answers
    # <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK>: its seq says nothing, its ack names the SYN it answers.
    first = [*handshake(), seg("FA", 501, 101, back=True), seg("FA", 101, 502), seg("A", 502, 102, back=True)]
    second = [seg("S", 5000), seg("SA", 9000, 5001, back=True), seg("A", 5001, 9001)]
    one, two = reports(write(tmp_path / "copy.pcap", [*first, *second, seg("S", 100), seg("RA", 0, 101, back=True)]))
    assert [p.number for p in one.packets] == [1, 2, 3, 4, 5, 6, 10, 11] and one.conforms and two.conforms
    rst = one.packets[-1]
    assert "nothing listens on this port any more" in rst.explanation
    assert [str(s) for s in rst.after] == ["CLOSED", "CLOSED"]  # the server's TIME-WAIT has ended


def test_a_late_packet_finds_its_own_connection_among_several_that_reused_the_ports(tmp_path):
    # The port is reused twice; a copy of the first connection's last ACK comes after the third one's SYN.
    first = [*handshake(), *close()]
    second = [seg("S", 5000), seg("SA", 9000, 5001, back=True), seg("R", 5001)]
    third = [seg("S", 20000), seg("A", 102, 502), seg("SA", 30000, 20001, back=True)]
    one, two, three = reports(write(tmp_path / "reused.pcap", first + second + third))
    assert [[p.number for p in r.packets] for r in (one, two, three)] == [[1, 2, 3, 4, 5, 6, 11], [7, 8, 9], [10, 12]]
    assert one.packets[-1].labels == ("pure ACK",) and all(r.conforms for r in (one, two, three))


def test_a_new_syn_on_the_ports_of_a_connection_that_has_not_ended_leaves_the_answers_with_it(tmp_path):
    # A half-open connection (RFC 9293 Figure 11): the client crashed without a FIN, and the server answers its
    # new SYN with an ACK of the old numbers.  That ACK, and the client's RST, are the new attempt's story.
    segments = [*handshake(), seg("S", 5000), seg("A", 501, 101, back=True), seg("R", 101), seg("S", 5000)]
    first, second = reports(write(tmp_path / "half-open.pcap", [*segments, seg("SA", 9000, 5001, back=True)]))
    assert [p.number for p in first.packets] == [1, 2, 3]
    assert [p.number for p in second.packets] == [4, 5, 6, 7, 8]
    assert "ACK of something never sent" in second.packets[1].labels


def test_a_new_isn_below_the_old_one_leaves_the_time_wait_answer_with_the_new_attempt(tmp_path):
    # The server closed first and is in TIME-WAIT; the client's new SYN has an ISN (50) below its old one (100),
    # so TIME-WAIT answers it with an ACK of the old numbers (RFC 9293 section 3.10.7.4), the client resets that,
    # and its SYN sent again opens the connection.  Numbers below the old ISN say nothing of which is older.
    old = [*handshake(), seg("FA", 501, 101, back=True), seg("FA", 101, 502), seg("A", 502, 102, back=True)]
    new = [seg("S", 50), seg("A", 502, 102, back=True), seg("R", 102), seg("S", 50), seg("SA", 9000, 51, back=True)]
    first, second = reports(write(tmp_path / "lower.pcap", old + new))
    assert [p.number for p in first.packets] == [1, 2, 3, 4, 5, 6]
    assert [p.number for p in second.packets] == [7, 8, 9, 10, 11]
    assert "ACK of something never sent" in second.packets[1].labels


def test_a_packet_of_an_older_connection_long_after_the_new_syn_is_the_new_connections(tmp_path):
    # Late packets of the connection a SYN replaced are looked for only LATE seconds (5) after that SYN.
    old = [*handshake(), *close()]
    new = [seg("S", 5000), seg("SA", 9000, 5001, back=True), seg("A", 5001, 9001), seg("PA", 5001, 9001, b"hello")]
    new += [seg("A", 9001, 5006, back=True), seg("A", 5006, 9001), seg("A", 5006, 9001), seg("R", 101)]
    first, second = reports(write(tmp_path / "reused.pcap", old + new))  # a packet a second: the RST 7 s on
    assert first.conforms and second.conforms and len(second.packets) == 8
    rst = second.packets[-1]
    assert rst.labels == ("RST", "RST outside the window") and "an older connection on these ports" in rst.explanation
    assert [str(s) for s in rst.after] == ["ESTABLISHED", "ESTABLISHED"]


def test_data_sent_before_an_abort_that_comes_after_its_rst_is_out_of_order(tmp_path):
    # The ABORT's RST is at SND.NXT (301): the segment before it took a slower way and comes after it.
    segments = [*handshake(), seg("PA", 101, 501, b"a" * 100), seg("A", 501, 201, back=True), seg("RA", 301, 501)]
    segments += [seg("PA", 201, 501, b"b" * 100), seg("R", 501, back=True)]
    (report,) = reports(write(tmp_path / "late.pcap", segments))
    assert report.conforms
    rst, late = report.packets[-3:-1]
    assert "its seq 201 is past 101, the end of what its sender was seen to send" in rst.explanation
    assert late.labels == ("out-of-order",)


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


def test_ecn_is_explained_from_the_handshake_that_agrees_to_it_to_the_signals_it_carries(tmp_path):
    segments = [seg("SEC", 100), seg("SAE", 500, 101, back=True), seg("A", 101, 501), seg("PA", 101, 501, b"x")]
    segments += [seg("AE", 501, 102, back=True), seg("PAC", 102, 501, b"y"), seg("A", 501, 103, back=True)]
    (report,) = reports(write(tmp_path / "ecn.pcap", segments))
    assert report.conforms
    syn, syn_ack, _, _, echo, reduced, _ = (p.explanation for p in report.packets)
    assert "ECE and CWR together ask to use Explicit Congestion Notification" in syn
    assert "ECE without CWR agrees to use Explicit Congestion Notification" in syn_ack
    assert "ECE: it echoes a congestion mark (CE)" in echo and "CWR: its sender has reduced" in reduced


def test_urgent_data_is_explained_by_its_pointer(tmp_path):
    urgent = Segment(CLIENT[1], SERVER[1], SeqNum(101), SeqNum(501), Flags.parse("UPA"), 65535, NO_OPTIONS, b"!",
                     CLIENT[0], SERVER[0], urgent=1)  # fmt: skip
    (report,) = reports(write(tmp_path / "urg.pcap", [*handshake(), urgent, seg("A", 501, 102, back=True)]))
    assert report.conforms
    assert report.packets[3].explanation.startswith("1 byte of data, seq 1..2; the receiver will ack 2; URG: the "
                                                    "urgent pointer 1 marks the data before seq 2 as urgent")  # fmt: skip


def test_connection_refused_is_rej_and_conforms(tmp_path):
    (report,) = reports(write(tmp_path / "rej.pcap", [seg("S", 100), seg("RA", 0, 101, back=True)]))
    assert report.conforms and report.zeek_state == "REJ"
    assert "connection is refused" in report.packets[1].explanation
    assert [str(s) for s in report.packets[1].after] == ["CLOSED", "CLOSED"]


def fast_open(taken: bool) -> list[Segment]:
    """TCP Fast Open (RFC 7413): 5 bytes ride on the SYN; the SYN,ACK takes them, or only the SYN."""
    if taken:
        return [seg("S", 100, data=b"hello"), seg("SA", 500, 106, back=True), seg("A", 106, 501)]
    return [seg("S", 100, data=b"hello"), seg("SA", 500, 101, back=True), seg("PA", 101, 501, b"hello")]


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


def test_a_scenario_made_from_a_fast_open_capture_sends_the_data_the_syn_carried(tmp_path, capsys):
    path = write(tmp_path / "tfo.pcap", [*fast_open(True), seg("PA", 501, 106, b"world", back=True)])
    toml = tmp_path / "replay.toml"
    assert main(["scenario-from", str(path), "-o", str(toml)]) == 0
    text = toml.read_text()
    assert (
        'script = ["connect server", "send 5"]' in text and 'script = ["listen", "wait_for_bytes 5", "send 5"]' in text
    )


def test_a_scenario_made_from_a_capture_that_missed_the_fast_open_data_sends_what_the_syn_ack_acknowledges(tmp_path):
    # the capture saw the SYN resent without its 5 bytes, and the SYN,ACK that takes them
    segments = [
        seg("S", 100),
        seg("SA", 500, 106, back=True),
        seg("A", 106, 501),
        seg("PA", 501, 106, b"world", back=True),
    ]
    path = write(tmp_path / "tfo.pcap", [*segments, seg("A", 106, 506)])
    toml = tmp_path / "replay.toml"
    assert main(["scenario-from", str(path), "-o", str(toml)]) == 0
    text = toml.read_text()
    assert 'script = ["connect server", "send 5"]' in text
    assert 'script = ["listen", "wait_for_bytes 5", "send 5"]' in text


def test_a_scenario_made_from_a_capture_that_missed_a_fin_sends_no_byte_for_it(tmp_path, capsys):
    # the server's FIN is lost before the client's capture point: its next ACK is one past it, which is no data
    path, toml = tmp_path / "lossy.pcap", tmp_path / "replay.toml"
    export = ["export", "duplicate_segment", "--loss", "0.2", "--seed", "7", "--at", "client", "-o", str(path)]
    assert main(export) == 0
    assert "previous segment not captured" in [label for r in reports(path) for p in r.packets for label in p.labels]
    assert main(["scenario-from", str(path), "-o", str(toml)]) == 0
    assert 'script = ["listen", "wait_for_eof", "close"]' in toml.read_text()


def test_a_scenario_made_from_a_capture_that_missed_data_sends_what_the_peer_acknowledged(tmp_path, capsys):
    # segments lost before the server's capture point: the client's FIN, and the server's ACKs, show them sent
    path, toml = tmp_path / "lossy.pcap", tmp_path / "replay.toml"
    export = ["export", "fast_retransmit", "--loss", "0.2", "--seed", "7", "--at", "server", "-o", str(path)]
    assert main(export) == 0
    assert main(["scenario-from", str(path), "-o", str(toml)]) == 0
    assert 'script = ["connect server", "send 5000", "close"]' in toml.read_text()


# --------------------------------------------------------------- the command line
def test_a_capture_piped_in_on_standard_input_is_checked_like_a_file():
    # tcpdump -w - ... | tcpsim check -
    command = [sys.executable, "-m", "simulator", "check", "-", "--brief", "--jobs", "2"]
    done = subprocess.run(command, input=(DATA / "linux-loopback.pcap").read_bytes(), capture_output=True)
    assert done.returncode == 0, done.stderr
    summary = "standard input: 1 connection, 10 packets: 1 conforms to the model, 0 depart"
    assert done.stdout.decode().splitlines()[-1] == summary


def checking_a_pipe(presses: int) -> subprocess.CompletedProcess[str]:
    """``tcpsim check -`` fed a capture through a pipe that stays open, then Ctrl-C pressed ``presses``
    times once all of it is read, and the pipe closed (as tcpdump closes it on the same Ctrl-C)."""
    import fcntl
    import signal
    import termios
    import time

    command = [sys.executable, "-m", "simulator", "check", "-", "--brief"]
    checking = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert checking.stdin is not None
    checking.stdin.write((DATA / "linux-loopback.pcap").read_bytes())
    checking.stdin.flush()
    waiting = bytearray(4)
    for _ in range(500):  # until tcpsim has read all of it: it is then copying standard input, and waits for more
        fcntl.ioctl(checking.stdin.fileno(), termios.FIONREAD, waiting)
        if not int.from_bytes(waiting, sys.byteorder):
            break
        time.sleep(0.01)
    time.sleep(0.2)
    for _ in range(presses):
        checking.send_signal(signal.SIGINT)
        time.sleep(0.2)
    out, err = checking.communicate()  # closes the pipe
    return subprocess.CompletedProcess(command, checking.returncode, out.decode(), err.decode())


def test_ctrl_c_while_a_capture_is_piped_in_ends_the_capture_and_checks_it_instead_of_losing_it():
    # sudo tcpdump -i lo -w - port 8080 | tcpsim check -, then Ctrl-C: it stops tcpdump, which closes the pipe
    done = checking_a_pipe(presses=1)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "standard input: 1 connection, 10 packets: 1 conforms to the model, 0 depart"
    assert done.stderr == "tcpsim: reading the rest of the capture, then checking it (Ctrl-C again to stop)\n"


def test_ctrl_c_twice_while_a_capture_is_piped_in_stops_tcpsim():
    done = checking_a_pipe(presses=2)
    assert done.returncode == 130 and done.stdout == ""
    assert done.stderr.splitlines() == [
        "tcpsim: reading the rest of the capture, then checking it (Ctrl-C again to stop)",
        "interrupted",
    ]


def test_standard_input_left_at_the_terminal_is_one_clear_error_not_a_wait():
    import os

    terminal, keyboard = os.openpty()
    try:
        done = subprocess.run([sys.executable, "-m", "simulator", "check", "-"], stdin=keyboard, capture_output=True)
    finally:
        os.close(terminal)
        os.close(keyboard)
    assert done.returncode == 2
    expected = "error: standard input is a terminal: pipe a capture in (tcpdump -w - ... | tcpsim check -)\n"
    assert done.stderr.decode() == expected


def test_check_exit_status_is_0_when_everything_conforms(capsys):
    assert main(["check", str(DATA / "linux-loopback.pcap")]) == 0
    out = capsys.readouterr().out
    assert "verdict: conforms to the model" in out
    assert out.rstrip().endswith("1 connection, 10 packets: 1 conforms to the model, 0 depart")


def test_check_exit_status_is_1_for_a_departure_and_json_names_it(tmp_path, capsys):
    path = write(tmp_path / "bad.pcap", [*handshake(), seg("A", 101, 9001), seg("A", 501, 101, back=True)])
    assert main(["check", str(path), "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    (conn,) = report["connections"]
    assert conn["conforms"] is False and conn["packets"][3]["departure"].startswith("ACK for data never sent")


@pytest.mark.parametrize("args", [["--connection", "2"], ["--port", "9"]])
def test_check_asked_for_a_connection_that_is_not_there_is_one_error_line(args):
    result = subprocess.run(
        [sys.executable, "-m", "simulator", "check", str(DATA / "linux-loopback.pcap"), *args],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


# --------------------------------------------------------------- compare and scenario-from
def test_a_scenario_made_from_a_real_capture_replays_it_segment_for_segment(tmp_path, capsys):
    toml = tmp_path / "replay.toml"
    assert main(["scenario-from", str(DATA / "linux-loopback.pcap"), "-o", str(toml)]) == 0
    text = toml.read_text()
    assert 'script = ["connect server", "send 5", "wait_for_bytes 5", "close"]' in text
    assert "isn = 1564712759" in text and "window_scale = 10" in text
    assert text.count("timestamps = true") == 2  # both SYNs offered them: the model's segments carry them too
    capsys.readouterr()
    assert main(["compare", str(DATA / "linux-loopback.pcap"), str(toml)]) == 0
    assert capsys.readouterr().out.rstrip().endswith("10 of 10 rows agree")


def test_a_rst_that_answers_a_late_segment_is_no_abort_in_the_replayed_scenario(tmp_path):
    # The client closed; a late copy of the server's SYN,ACK comes after the client reused its port, and the
    # client, with no connection for it, answers <SEQ=SEG.ACK><CTL=RST>: its kernel's answer, not its application's.
    from simulator.capture.scenario_from import scenario_from

    late = [seg("S", 5000), seg("SA", 500, 101, back=True), seg("SA", 9000, 5001, back=True), seg("R", 101)]
    first, _ = read(write(tmp_path / "late.pcap", [*handshake(), *close(), *late])).connections
    assert 'script = ["connect server", "close"]' in scenario_from(first)


def test_compare_marks_where_the_capture_and_the_run_part(capsys):
    assert main(["compare", str(DATA / "linux-zero-window.pcap"), "graceful_close"]) == 1
    out = capsys.readouterr().out
    assert "   -> SYN seq=0 len=0" in out
    assert "!= -> ACK seq=1 ack=1 len=2048" in out


@pytest.mark.parametrize(
    "name", ["graceful_close", "half_close", "simultaneous_close", "rst_abort", "lost_data_retransmit", "data_transfer"]
)
def test_scenarios_made_from_exports_load_and_run(tmp_path, name):
    export(load(name).run(), tmp_path / "c.pcap", at="server")
    from simulator.capture.scenario_from import scenario_from
    from simulator.sim.scenario import parse

    (conn,) = read(tmp_path / "c.pcap").connections
    trace = parse(scenario_from(conn, name="replay")).run()
    assert [e for e in trace.events if e.kind == "send"]


def test_a_capture_without_a_handshake_cannot_become_a_scenario(tmp_path):
    path = write(tmp_path / "mid.pcap", [seg("PA", 5000, 9000, b"hello")])
    result = subprocess.run(
        [sys.executable, "-m", "simulator", "scenario-from", str(path), "-o", str(tmp_path / "x.toml")],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr == "error: this connection has no SYN in the capture: there is no handshake to replay\n"


@pytest.mark.slow
def test_a_long_check_on_a_terminal_shows_progress_and_a_piped_one_does_not(tmp_path):
    pexpect = pytest.importorskip("pexpect")
    from benchmarks.capture_import import make_capture

    path = tmp_path / "big.pcap"
    make_capture(path, 40_000)
    child = pexpect.spawn(
        sys.executable, ["-m", "simulator", "check", str(path), "--brief"], dimensions=(24, 100), timeout=120
    )
    child.expect("checking")
    child.expect("packets")
    child.expect(pexpect.EOF)
    piped = subprocess.run(
        [sys.executable, "-m", "simulator", "check", str(path), "--brief"], capture_output=True, text=True
    )
    assert "checking" not in piped.stdout and piped.returncode == 0
    assert piped.stdout.rstrip().endswith("4000 connections, 40000 packets: 4000 conform to the model, 0 depart")


def test_compare_draws_the_two_column_ladder_the_same_every_time(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    first, second = tmp_path / "a.svg", tmp_path / "b.svg"
    for out in (first, second):
        assert main(["compare", str(DATA / "linux-loopback.pcap"), "half_close", "-o", str(out)]) == 1
    svg = first.read_bytes()
    assert svg == second.read_bytes() and b"<svg" in svg
    assert f"wrote {second}" in capsys.readouterr().out


@pytest.mark.slow
def test_a_late_packet_after_its_connection_was_reported_goes_to_the_connection_that_replaced_it(tmp_path):
    from benchmarks.capture_import import write_raw_pcap
    from simulator.capture.checker import check_capture
    from simulator.capture.reader import Tally

    def at(seconds: float, segment: Segment) -> tuple[int, int, bytes]:
        return int(seconds), round(seconds % 1 * 1e6), packet_bytes(segment)

    def filler(start: float, count: int) -> list[tuple[int, int, bytes]]:  # another connection's ACKs
        ack = Segment(41000, 80, SeqNum(7), SeqNum(9), Flags.parse("A"), 65535, NO_OPTIONS, b"", CLIENT[0], SERVER[0])
        return [at(start + n / 10_000, ack) for n in range(count)]

    old = [at(n / 10, segment) for n, segment in enumerate([*handshake(), *close()])]
    new = [at(3 + n / 10, segment) for n, segment in enumerate([seg("S", 5000), seg("SA", 9000, 5001, back=True)])]
    # the first 1,024 packets end before the old connection is 5 s (LINGER) past its last packet, the next 1,024
    # after: it is reported at packet 2,048 (a sweep), and its copy of a FIN comes 0.4 s later
    records = old + new + filler(0.7, 1024 - 8) + filler(5.6, 1024) + [at(6.0, seg("FA", 501, 102, back=True))]
    path = tmp_path / "late.pcap"
    write_raw_pcap(path, sorted(records, key=lambda r: r[:2]))
    connections = {r.number: [p.number for p in r.packets] for r in check_capture(path, Tally())}
    assert sorted(connections) == [1, 2, 3]  # reported once each: the late copy made no second report of the first
    assert len(connections[1]) == 6 and connections[3] == [1023, 1024, 2049]  # it went to the SYN's connection


def test_check_streams_reporting_closed_connections_before_the_capture_ends(tmp_path):
    from benchmarks.capture_import import make_capture
    from simulator.capture.checker import check_capture
    from simulator.capture.reader import Tally

    path = tmp_path / "long.pcap"
    make_capture(path, 80_000)  # 8,000 short connections over 8 seconds of capture time
    tally = Tally()
    seen_when_reported = []
    numbers = []
    for report in check_capture(path, tally):
        seen_when_reported.append(tally.packets)
        numbers.append(report.number)
        assert report.conforms and report.zeek_state == "SF"
    assert sorted(numbers) == list(range(1, 8001))
    # the first connection is reported once the capture is LINGER (5 s) past it: at about packet 50,000 of 80,000
    assert seen_when_reported[0] < 60_000


def test_a_capture_that_missed_the_syn_starts_from_the_syn_ack(tmp_path):
    segments = [seg("SA", 500, 101, back=True), seg("A", 101, 501), seg("PA", 101, 501, b"hey")]
    segments += [seg("A", 501, 104, back=True), *close(104)]
    (report,) = reports(write(tmp_path / "nosyn.pcap", segments))
    assert report.conforms and "missed the SYN" in report.notes[0]
    assert [str(s) for s in report.packets[0].after] == ["SYN-RECEIVED", "ESTABLISHED"]
    assert (report.packets[2].seq, report.packets[2].ack) == (1, 1)  # relative to the ISN the SYN,ACK implies
    assert [str(s) for s in report.packets[-1].after] == ["CLOSED", "TIME-WAIT"]


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


@pytest.mark.parametrize("options", [["--brief"], [], ["--json"], ["--port", "5000", "--brief"], ["--connection", "7"]])
@pytest.mark.slow
def test_several_worker_processes_print_exactly_what_one_prints(tmp_path, options):
    from benchmarks.capture_import import make_capture

    path = tmp_path / "many.pcap"
    make_capture(path, 20_000)  # 2,000 connections, some reported mid-file, some at the end
    outputs = [
        subprocess.run(
            [sys.executable, "-m", "simulator", "check", str(path), "--jobs", jobs, *options],
            capture_output=True,
            text=True,
        )
        for jobs in ("1", "2", "3")
    ]
    assert outputs[0].stdout
    for other in outputs[1:]:
        assert (other.returncode, other.stdout, other.stderr) == (
            outputs[0].returncode,
            outputs[0].stdout,
            outputs[0].stderr,
        )


def reused_ports_capture(path: Path, rounds: int = 60) -> Path:
    """Connections interleaved on 24 4-tuples, each reused round after round with a new ISN, half a
    second apart (so some are reported mid-file, LINGER after they close), a few of them left open
    to the end or reset, and packets that are not TCP between them: what a worker's share of the
    connections must number and order exactly as one process does."""
    from benchmarks.capture_import import write_raw_pcap

    def raw(tuple_: int, flags: str, seq: int, ack: int, back: bool, data: bytes = b"") -> bytes:
        client, server = (f"10.0.{tuple_ % 3}.{tuple_}", 40000 + tuple_ % 5), ("10.9.9.9", 80 + tuple_ % 2)
        src, dst = (server, client) if back else (client, server)
        return packet_bytes(
            Segment(
                src[1], dst[1], SeqNum(seq), SeqNum(ack), Flags.parse(flags), 65535, NO_OPTIONS, data, *(src[0], dst[0])
            )
        )

    udp = bytes.fromhex("4500001c000000004011000009090909090909090035003500080000")
    records, tick = [], 0
    for r in range(rounds):
        for t in range(24):
            if r > 1 and t in (5, 7):
                continue  # their last connections stay open to the end of the capture
            isn, peer = 1000 * r + t, 7000 * r + t
            conversation = [
                raw(t, "S", isn, 0, False),
                raw(t, "SA", peer, isn + 1, True),
                raw(t, "A", isn + 1, peer + 1, False),
                raw(t, "PA", isn + 1, peer + 1, False, b"hi"),
            ]
            if (r, t) in ((1, 5), (1, 7)):
                pass  # left open
            elif t % 7 == 3:
                conversation.append(raw(t, "R", isn + 3, 0, False))
            else:
                conversation += [raw(t, "FA", peer + 1, isn + 3, True), raw(t, "FA", isn + 3, peer + 2, False)]
                conversation.append(raw(t, "A", peer + 2, isn + 4, True))
            for n, frame in enumerate(conversation):
                records.append((tick + n * 7 + t, frame))
        records.append((tick + 1, udp))
        tick += 500_000  # half a second
    records.sort(key=lambda record: record[0])
    write_raw_pcap(path, ((when // 1_000_000, when % 1_000_000, frame) for when, frame in records))
    return path


@pytest.mark.parametrize("options", [["--brief"], ["--json"], ["--port", "80"], ["--absolute"]])
@pytest.mark.slow
def test_workers_number_and_order_reused_and_interleaved_connections_as_one_process_does(tmp_path, options):
    path = reused_ports_capture(tmp_path / "reused.pcap")
    one, *more = (
        subprocess.run(
            [sys.executable, "-m", "simulator", "check", str(path), "--jobs", jobs, *options],
            capture_output=True,
            text=True,
        )
        for jobs in ("1", "2", "3", "4")
    )
    assert one.returncode == 0, one.stderr
    if "--port" not in options:
        assert "1324 connections, 8902 packets: 1324 conform" in one.stdout
    if "--brief" in options:  # 3 of the 24 4-tuples end in a RST, in each of the 60 rounds
        assert one.stdout.count("Zeek state RSTO") == 3 * 60 and "connection 1322: " in one.stdout
    for other in more:
        assert (other.returncode, other.stdout, other.stderr) == (one.returncode, one.stdout, one.stderr)


def test_the_jobs_help_says_how_many_workers_and_from_what_size_a_check_uses_by_itself(capsys):
    from simulator.capture.checkpool import MOST_WORKERS, PARALLEL_FROM

    with pytest.raises(SystemExit):
        main(["check", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert f"one per core, up to {MOST_WORKERS}, for a capture of {PARALLEL_FROM // 1_000_000} MB or more" in help_text


def test_a_damaged_capture_is_checked_up_to_the_damage_then_one_error_line(tmp_path):
    from benchmarks.capture_import import make_capture

    path = tmp_path / "cut.pcap"
    make_capture(path, 5_000)
    path.write_bytes(path.read_bytes()[:-30])  # the last packet is cut short
    one, two = (
        subprocess.run(
            [sys.executable, "-m", "simulator", "check", str(path), "--jobs", jobs], capture_output=True, text=True
        )
        for jobs in ("1", "2")
    )
    assert two.returncode == 2 and two.stderr.count("\n") == 1 and "truncated" in two.stderr
    # no work is lost: every connection before the damage is checked and reported, then the error
    assert "the 500 connections before it are checked above" in two.stderr
    assert two.stdout.endswith("500 connections, 4999 packets: 500 conform to the model, 0 depart\n")
    assert (one.returncode, one.stdout, one.stderr) == (two.returncode, two.stdout, two.stderr)


@given(
    st.lists(
        st.text(alphabet="ab1(.,:;-=)\u2026", min_size=1, max_size=9)
        | st.text(alphabet="ab", min_size=80, max_size=95)
        | st.sampled_from(["", " ", "\n", "x\ty"]),
        min_size=1,
        max_size=80,
    )
)
@example(["x" * 44, "y" * 44, "z" * 43, "w" * 43, "v"])  # lines exactly as wide as they may be: 89, then 87
def test_the_report_wraps_sentences_exactly_as_textwrap_does(words):
    text = " ".join(words)
    assert wrap(text) == _WRAP.wrap(text)


def long_transfer(path: Path, segments: int, size: int, *, scale: int | None = None) -> Path:
    """One connection carrying ``segments`` data segments of ``size`` bytes (cut by the snap length to
    their headers, so a capture of gigabytes stays small), an ACK for every second one, then a close."""
    options = Options(wscale=scale) if scale is not None else NO_OPTIONS
    opening = [seg("S", 100, options=options), seg("SA", 500, 101, back=True, options=options), seg("A", 101, 501)]
    data, ack = packet_bytes(seg("PA", 0, 501, b"x" * size))[:40], packet_bytes(seg("A", 501, 0, back=True))
    records = [(raw, len(raw)) for raw in map(packet_bytes, opening)]
    seq = 101
    for i in range(segments):
        records.append((data[:24] + struct.pack("!I", seq % 2**32) + data[28:], 40 + size))
        seq += size
        if i % 2:
            records.append((ack[:28] + struct.pack("!I", seq % 2**32) + ack[32:], len(ack)))
    records += [(raw, len(raw)) for raw in map(packet_bytes, close(seq % 2**32))]
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 96, 101)]
    out += [struct.pack("<IIII", 0, i, len(raw), wire) + raw for i, (raw, wire) in enumerate(records)]
    path.write_bytes(b"".join(out))
    return path


@pytest.mark.slow
def test_a_transfer_of_more_than_2_gb_wraps_its_sequence_numbers_and_still_conforms(tmp_path, capsys):
    # 34,000 segments of 65,000 bytes: 2.2 GB, more than half the sequence space (RFC 1982), so an ACK
    # compared with the sender's last sequence number, not one near it, would look like one for data never sent
    path = long_transfer(tmp_path / "big.pcap", 34_000, 65_000, scale=7)
    assert main(["check", str(path), "--brief", "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "1 connection, 51006 packets: 1 conforms to the model" in out
    # relative numbers keep counting up past 2**31, as Wireshark shows them
    assert "FIN,ACK seq=2210000001 ack=1 " in out and "ACK seq=1 ack=2210000002 " in out


def test_a_long_connection_is_held_as_a_window_of_packets_and_its_reports_go_to_a_file(tmp_path):
    from simulator.capture.checker import ConnectionChecker
    from simulator.capture.spool import Spool

    (conn,) = read(long_transfer(tmp_path / "long.pcap", 1_000, 1_000)).connections
    checker = ConnectionChecker(conn, horizon=50, spool_from=50)
    for p in conn.packets:
        checker.add(p)
        assert len(checker.waiting) < 2 * 50
    assert isinstance(checker.reports, Spool) and len(checker.reports) > 1_000
    spooled = checker.finish()
    assert list(spooled.packets) == list(check(conn).packets) and spooled.conforms
    assert list(spooled.packets) == list(spooled.packets)  # the file is read again from its start


@pytest.mark.parametrize("options", [["--brief"], [], ["--json"], ["--absolute", "--brief"]])
def test_a_long_connection_checked_in_a_window_prints_what_a_whole_one_does(tmp_path, capsys, monkeypatch, options):
    import simulator.capture.checker

    paths = [str(long_transfer(tmp_path / "long.pcap", 400, 1_000)), str(DATA / "linux-zero-window.pcap")]
    whole = []
    for path in paths:
        main(["check", path, "--jobs", "1", *options])
        whole.append(capsys.readouterr().out)
    monkeypatch.setattr(simulator.capture.checker, "HORIZON", 40)  # and reports to a file after 40
    for path, expected in zip(paths, whole, strict=True):
        for jobs in ("1", "2"):
            main(["check", path, "--jobs", jobs, *options])
            assert capsys.readouterr().out == expected


def test_a_spool_gives_back_what_went_in_across_blocks_and_keeps_the_few_it_is_asked_to(monkeypatch):
    from simulator.capture.spool import Spool

    monkeypatch.setattr(Spool, "BLOCK", 3)
    spool: Spool[tuple[int, str]] = Spool(lambda item: item, tuple, keep=lambda item: item[0] % 4 == 0)
    items = [(n, "x" * n) for n in range(10)]
    spool.extend(items)
    assert list(spool) == items and list(spool) == items and len(spool) == 10
    spool.append((10, "y"))
    assert list(spool) == [*items, (10, "y")] and spool.kept == [(0, ""), (4, "xxxx"), (8, "x" * 8)]
    spool.close()


def test_no_room_for_a_long_connections_report_is_one_clear_error(tmp_path, capsys, monkeypatch):
    import errno
    import tempfile

    import simulator.capture.checker

    def no_room(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    path = long_transfer(tmp_path / "long.pcap", 400, 1_000)
    monkeypatch.setattr(simulator.capture.checker, "HORIZON", 40)
    monkeypatch.setattr(tempfile, "TemporaryFile", no_room)
    assert main(["check", str(path), "--jobs", "1"]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "temporary file (No space left on device); point TMPDIR" in error


def _pcap_records(data: bytes) -> tuple[bytes, list[bytes]]:
    """A little-endian pcap's file header and its records (each with its record header)."""
    records, pos = [], 24
    while pos + 16 <= len(data):
        end = pos + 16 + struct.unpack_from("<I", data, pos + 8)[0]
        records.append(data[pos:end])
        pos = end
    return data[:24], records


@settings(max_examples=100, deadline=None)
@given(
    name=st.sampled_from(["linux-zero-window.pcap", "linux-loopback.pcap"]),
    missed=st.sets(st.integers(1, 494), max_size=150),  # record indices (the SYN stays)
)
@example(name="linux-loopback.pcap", missed={7, 9})  # the client's FIN and last ACK: the server's ACK of it remains
def test_a_real_conversation_still_conforms_whatever_packets_the_capture_missed(tmp_path_factory, name, missed):
    # capture drops are not departures: the gaps they leave are named, never flagged
    head, records = _pcap_records((DATA / name).read_bytes())
    path = tmp_path_factory.mktemp("missed") / name
    path.write_bytes(head + b"".join(r for i, r in enumerate(records) if i not in missed))
    for report in reports(path):
        assert report.conforms, [(p.number, p.departure) for p in report.departures]


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(["linux-zero-window.pcap", "linux-loopback.pcap"]), snaplen=st.integers(54, 140))
def test_a_real_conversation_reads_and_checks_the_same_whatever_the_snap_length(tmp_path_factory, name, snaplen):
    # A snap length keeps the first bytes of each frame (its headers, then some payload, or only part of the
    # TCP options): the payload lengths are the wire's, the labels and states the same as in the whole capture.
    head, records = _pcap_records((DATA / name).read_bytes())
    cut = []
    for record in records:
        sec, usec, caplen, wirelen = struct.unpack_from("<IIII", record)
        cut.append(struct.pack("<IIII", sec, usec, min(caplen, snaplen), wirelen) + record[16 : 16 + snaplen])
    path = tmp_path_factory.mktemp("snap") / name
    path.write_bytes(head[:16] + struct.pack("<I", snaplen) + head[20:] + b"".join(cut))
    (whole,) = reports(DATA / name)
    (report,) = reports(path)
    assert report.conforms, [(p.number, p.departure) for p in report.departures]
    assert [(p.length, p.labels, p.after) for p in report.packets] == [
        (p.length, p.labels, p.after) for p in whole.packets
    ]


@pytest.mark.parametrize("name", ["linux-zero-window.pcap", "linux-loopback.pcap"])
@pytest.mark.parametrize("side", ["client", "server"])
def test_a_capture_of_one_direction_only_conforms_and_infers_the_unseen_handshake(tmp_path, name, side):
    head, records = _pcap_records((DATA / name).read_bytes())
    (conn,) = read(DATA / name).connections
    sender = conn.a if side == "client" else conn.b
    path = tmp_path / f"{side}-only.pcap"
    path.write_bytes(head + b"".join(r for r, p in zip(records, conn.packets, strict=True) if p.sender == sender))
    (report,) = reports(path)
    assert report.conforms, [(p.number, p.departure) for p in report.departures]
    first_ack = next(p for p in report.packets if "handshake" not in p.labels)
    assert [str(s) for s in first_ack.after] == ["ESTABLISHED", "ESTABLISHED"]
    if side == "client":
        assert first_ack.explanation.startswith("It acknowledges a SYN,ACK this capture never saw")
        assert first_ack.ack == 1  # relative to the ISN that SYN,ACK must have had, as Wireshark counts
        (listed,) = read(path).connections  # and as tcpsim read lists it
        assert listed.relative_ack(listed.packets[1].segment) == 1
        assert report.zeek_state == "SH"  # Zeek: the originator's SYN and FIN, never a SYN,ACK
    else:
        assert "which carried the ACK that completes the handshake (not in this capture)" in first_ack.explanation
        assert report.zeek_state == "SHR"  # Zeek: a SYN,ACK and FIN, never the SYN


def test_one_connection_before_the_damage_is_counted_in_the_singular(tmp_path, capsys):
    path = tmp_path / "cut.pcap"
    path.write_bytes((DATA / "linux-loopback.pcap").read_bytes()[:300])  # three whole packets, then a cut
    assert main(["check", str(path), "--brief"]) == 2
    assert capsys.readouterr().err.endswith("; the 1 connection before it is checked above\n")
