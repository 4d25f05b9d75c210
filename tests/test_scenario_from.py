"""`tcpsim scenario-from` and `tcpsim compare`: a capture replayed in the model, and the two side by side."""

from __future__ import annotations

import subprocess
import sys

import pytest

from simulator import Flags, load
from simulator.capture.connections import read
from simulator.cli import main

from .captures import DATA, close, fast_open, handshake, reports, seg, write

pytest.importorskip("scapy", reason="these tests export scenarios with Scapy (pip install -e '.[dev]')")
from simulator.capture.export import export


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
    export = ["export", "duplicate_segment", "--loss", "0.2", "--seed", "5", "--at", "client", "-o", str(path)]
    assert main(export) == 0
    assert "previous segment not captured" in [label for r in reports(path) for p in r.packets for label in p.labels]
    assert main(["scenario-from", str(path), "-o", str(toml)]) == 0
    assert 'script = ["listen", "wait_for_eof", "close"]' in toml.read_text()


def test_a_scenario_made_from_a_capture_that_missed_data_sends_what_the_peer_acknowledged(tmp_path, capsys):
    # segments lost before the server's capture point: the client's FIN, and the server's ACKs, show them sent
    path, toml = tmp_path / "lossy.pcap", tmp_path / "replay.toml"
    # the rfc profile has no congestion window: every pause the capture shows is the application's
    export = ["export", "fast_retransmit", "--loss", "0.2", "--seed", "4", "--at", "server", "--profile", "rfc"]
    assert main([*export, "-o", str(path)]) == 0
    (conn,) = read(path).connections
    sent = [p.segment for p in conn.packets if p.segment.dst_port == 5000]
    fin = next(i for i, s in enumerate(sent) if s.flags & Flags.FIN)
    assert len({s.seq for s in sent[:fin] if s.payload}) < 5  # the FIN came before all 5000 bytes were seen
    assert main(["scenario-from", str(path), "-o", str(toml)]) == 0
    assert 'script = ["connect server", "send 5000", "close"]' in toml.read_text()


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


def test_compare_draws_the_two_column_ladder_the_same_every_time(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    first, second = tmp_path / "a.svg", tmp_path / "b.svg"
    for out in (first, second):
        assert main(["compare", str(DATA / "linux-loopback.pcap"), "half_close", "-o", str(out)]) == 1
    svg = first.read_bytes()
    assert svg == second.read_bytes() and b"<svg" in svg
    assert f"wrote {second}" in capsys.readouterr().out
