"""`tcpsim check` on whole conversations: the real Linux captures kept in tests/data and every scenario exported."""

from __future__ import annotations

import itertools
import struct

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from simulator import Trace, builtin_names, load
from simulator.capture.analysis import captured
from simulator.capture.connections import read

from .captures import DATA, handshake, reports, seg, write

pytest.importorskip("scapy", reason="these tests export scenarios with Scapy (pip install -e '.[dev]')")
from simulator.capture.export import export


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
    hosts = {e.address: e for e in reversed(trace.endpoints)}  # a capture per host, named by its first endpoint
    for endpoint in hosts.values():
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
    ("keep_alive", "server"): {12},  # likewise: it answers the next keep-alive probe with a RST
    # the scenario puts an old SYN on the client's wire that the client never sent
    ("old_duplicate_syn", "client"): {3, 4, 5, 6},
    ("old_syn_passive_reset", "client"): {1, 2, 3},
}


def model_states(trace: Trace, at: str) -> list[tuple[str, str]]:
    """The state, after each packet a capture on ``at``'s host holds, of the endpoint on that host that sent
    or took in the segment (a listener's connections share its host), with the moves it makes at once (not
    those an application call makes next)."""
    events = trace.events
    where = {id(e): i for i, e in enumerate(events)}
    steps = [step.event for step, _ in captured(trace, at)]
    starts = [where[id(event)] for event in steps] + [len(events)]
    states = []
    for (start, end), whose in zip(itertools.pairwise(starts), (event.endpoint for event in steps), strict=True):
        state = None
        for k, event in enumerate(events[start:end]):
            if event.time != events[start].time or (k and event.kind in ("app", "send", "deliver")):
                break
            view = dict(event.views).get(whose)
            state = view.state if view is not None else state
        states.append((whose, str(state)))
    return states


@pytest.mark.parametrize("name", builtin_names())
def test_the_capturing_sides_states_follow_the_models_own(tmp_path, name):
    trace = load(name).run()
    hosts = {e.address: e for e in reversed(trace.endpoints)}  # a capture per host, named by its first endpoint
    for endpoint in hosts.values():
        path = tmp_path / f"{endpoint.name}.pcap"
        export(trace, path, at=endpoint.name)
        whose, expected = zip(*model_states(trace, endpoint.name), strict=True)
        where = {e.name: (e.address, e.port) for e in trace.endpoints}
        ours = {}
        for report in reports(path):
            for p in report.packets:  # the state of the host's endpoint that sent or took in packet p
                ours[p.number] = str(p.after[[report.a, report.b].index(where[whose[p.number - 1]])])
        unknowable = NOT_ON_THE_WIRE.get((name, endpoint.name), set())
        differ = [
            (n, ours[n], model) for n, model in enumerate(expected, 1) if ours[n] != model and n not in unknowable
        ]
        assert not differ, f"{endpoint.name}: (packet, checker, model) {differ}"


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
