"""`tcpsim scenario-from` and `tcpsim compare`: a capture replayed in the model, and the two side by side."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import pytest

from simulator import Flags, load
from simulator.capture.connections import read, taken_at_client
from simulator.cli import main
from simulator.model.segment import ACK_BIT, SYN_BIT

from .captures import DATA, close, fast_open, handshake, reports, seg, write

pytest.importorskip("scapy", reason="these tests export scenarios with Scapy (pip install -e '.[dev]')")
from simulator.capture.export import export


def test_a_scenario_made_from_a_fast_open_capture_sends_the_data_the_syn_carried(tmp_path, capsys):
    path = write(tmp_path / "tfo.pcap", [*fast_open(True), seg("PA", 501, 106, b"world", back=True)])
    toml = tmp_path / "replay.toml"
    assert main(["scenario-from", str(path), "-o", str(toml)]) == 0
    text = toml.read_text()
    # (the hand-made capture spaces its packets a second apart: the server answered 2 s after the SYN's data)
    assert 'script = ["connect server", "send 5"]' in text
    assert 'script = ["listen", "wait_for_bytes 5", "wait 2.000000", "send 5"]' in text


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
    # (the client closes a second after its data, as fast_retransmit's own script waits)
    assert 'script = ["connect server", "send 5000", "wait 0.966720", "close"]' in toml.read_text()


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


# ------------------------------------------------------------ issue 24, item 7
def test_crossed_fins_are_two_closes_not_a_wait_for_the_peers_fin(tmp_path):
    path = write(
        tmp_path / "crossed.pcap",
        [
            *handshake(),
            seg("FA", 101, 501),
            seg("FA", 501, 101, back=True),
            seg("A", 102, 502),
            seg("A", 502, 102, back=True),
        ],
    )
    toml = tmp_path / "replay.toml"
    assert main(["scenario-from", str(path), "-o", str(toml)]) == 0
    text = toml.read_text()
    assert 'script = ["listen", "close"]' in text and "wait_for_eof" not in text


def test_the_simultaneous_close_round_trips_through_a_capture(tmp_path, capsys):
    path, toml = tmp_path / "sc.pcap", tmp_path / "sc.toml"
    assert main(["export", "simultaneous_close", "-o", str(path)]) == 0
    assert main(["scenario-from", str(path), "-o", str(toml)]) == 0
    capsys.readouterr()
    assert main(["compare", str(path), str(toml)]) == 0
    assert "7 of 7 rows agree" in capsys.readouterr().out


NINE_WRITES = """
name = "nine"
[network]
latency = 0.05
[endpoint.client]
isn = 1000
nagle = false  # TCP_NODELAY: each write leaves at once
script = ["connect server", "wait 0.2", {}, "close"]
[endpoint.server]
isn = 5000
script = ["listen", "wait_for_eof", "close"]
""".format(", ".join(['"send 10"'] * 9))


def test_nine_small_writes_stay_nine_sends_and_round_trip(tmp_path, capsys):
    scenario, path, toml = tmp_path / "nine.toml", tmp_path / "nine.pcap", tmp_path / "replay.toml"
    scenario.write_text(NINE_WRITES)
    assert main(["export", str(scenario), "-o", str(path)]) == 0
    assert main(["scenario-from", str(path), "-o", str(toml)]) == 0
    client = next(line for line in toml.read_text().splitlines() if line.startswith('script = ["connect server"'))
    assert client.count('"send 10"') == 9 and "send 90" not in client
    capsys.readouterr()
    assert main(["compare", str(path), str(toml)]) == 0
    assert "24 of 24 rows agree" in capsys.readouterr().out


def test_a_capture_with_several_connections_says_which_one_is_replayed(tmp_path, capsys):
    from dataclasses import replace

    first = handshake()
    client_port = first[0].src_port
    second = [  # the same handshake from the next client port
        replace(s, src_port=client_port + 1) if s.src_port == client_port else replace(s, dst_port=client_port + 1)
        for s in first
    ]
    path = write(tmp_path / "two.pcap", [*first, *second])
    assert main(["scenario-from", str(path), "-o", "-"]) == 0
    err = capsys.readouterr().err
    assert "has 2 TCP connections; this is connection 1" in err and "--connection N" in err
    assert main(["scenario-from", str(path), "--connection", "2", "-o", "-"]) == 0
    assert capsys.readouterr().err == ""


def test_compare_names_a_reason_for_each_difference(tmp_path, capsys):
    path = tmp_path / "linux.pcap"
    assert main(["export", "data_transfer", "--profile", "linux", "-o", str(path)]) == 0
    capsys.readouterr()
    main(["compare", str(path), "delayed_ack"])
    out = capsys.readouterr().out
    differ = int(out.split(" of ")[1].split()[0]) - int(out.split(" rows agree")[0].split()[-3])
    assert differ > 0
    explained = sum(
        int(line.split()[0]) for line in out.splitlines() if line.startswith("  ") and " row" in line.split(":")[0]
    )
    departs = sum(1 for line in out.splitlines() if line.startswith("  departs:"))
    departs += sum(int(line.split()[2]) for line in out.splitlines() if line.startswith("  ... and "))
    assert explained + departs == differ


@pytest.mark.parametrize("name", ["lost_syn", "lost_syn_ack"])
def test_the_latency_is_timed_from_segments_sent_once_karns_rule(tmp_path, name):
    path, toml = tmp_path / "c.pcap", tmp_path / "replay.toml"
    assert main(["export", name, "-o", str(path)]) == 0
    assert main(["scenario-from", str(path), "-o", str(toml)]) == 0
    assert "latency = 0.050000" in toml.read_text()  # not half of the 1 s the SYN waited


def test_a_syn_refused_by_rst_is_replayed_against_a_closed_port(tmp_path, capsys):
    path, toml = tmp_path / "c.pcap", tmp_path / "replay.toml"
    assert main(["export", "syn_to_closed_port", "-o", str(path)]) == 0
    assert main(["scenario-from", str(path), "-o", str(toml)]) == 0
    assert toml.read_text().rstrip().endswith("script = []")
    capsys.readouterr()
    assert main(["compare", str(path), str(toml)]) == 0
    assert "2 of 2 rows agree" in capsys.readouterr().out


def test_a_syn_never_answered_is_replayed_with_a_network_that_loses_it(tmp_path, capsys):
    path, toml = tmp_path / "c.pcap", tmp_path / "replay.toml"
    write(path, [seg("S", 100), seg("S", 100), seg("S", 100)])
    assert main(["scenario-from", str(path), "-o", str(toml)]) == 0
    text = toml.read_text()
    assert '[[fault]]\naction = "drop"\nfrom = "client"\nflags = "S"' in text
    trace = load(str(toml)).run()
    assert not [e for e in trace.events if e.kind == "deliver"]  # the server never hears of it


def test_a_simultaneous_open_is_replayed_as_two_connects(tmp_path, capsys):
    path, toml = tmp_path / "so.pcap", tmp_path / "replay.toml"
    assert main(["export", "simultaneous_open", "-o", str(path)]) == 0
    assert main(["scenario-from", str(path), "-o", str(toml)]) == 0
    assert 'script = ["connect client"]' in toml.read_text() and '"listen"' not in toml.read_text()
    capsys.readouterr()
    assert main(["compare", str(path), str(toml)]) == 0
    assert "6 of 6 rows agree" in capsys.readouterr().out


def test_compare_numbers_a_rst_sent_before_its_senders_syn_as_sent(tmp_path):
    from simulator.capture.compare import keys

    # the first SYN is refused, the second (the same ports, later) is taken: the RST has no ISN yet
    segments = [seg("S", 100), seg("RA", 0, 101, back=True), seg("S", 100), seg("SA", 500, 101, back=True)]
    rst = keys([(s, 0) for s in segments], (segments[0].src_addr, segments[0].src_port))[1]
    assert (rst.flags, rst.seq, rst.ack) == ("RST,ACK", 0, 1)


SELF_CONNECT = """
name = "self_connect"
[network]
latency = 0.00001
[endpoint.client]
isn = 100
port = 5000
script = ["connect client", "send 5", "wait_for_bytes 5", "close"]
"""


def test_a_socket_connected_to_itself_is_replayed_by_one_endpoint_and_listed_once(tmp_path, capsys):
    scenario, path, toml = tmp_path / "self.toml", tmp_path / "self.pcap", tmp_path / "replay.toml"
    scenario.write_text(SELF_CONNECT)
    assert main(["export", str(scenario), "-o", str(path)]) == 0
    assert "7 packets" in capsys.readouterr().out  # each segment once: leaving is arriving
    assert main(["scenario-from", str(path), "-o", str(toml)]) == 0
    text = toml.read_text()
    assert text.count("[endpoint.") == 1
    assert 'script = ["connect client", "send 5", "wait_for_bytes 5", "close"]' in text
    capsys.readouterr()
    assert main(["compare", str(path), str(toml)]) == 0
    assert "7 of 7 rows agree" in capsys.readouterr().out


THINK_TIME = """
name = "think"
[network]
latency = 0.05
[endpoint.client]
isn = 1000
script = ["connect server", "send 100", "wait_for_bytes 200", "close"]
[endpoint.server]
isn = 5000
script = ["listen", "wait_for_bytes 100", "wait 0.3", "send 200", "wait_for_eof", "close"]
"""


@pytest.mark.parametrize("at", ["client", "server"])
def test_a_pause_after_a_receive_is_replayed_as_a_wait(tmp_path, capsys, at):
    """The server thinks 0.3 s between the request and its reply. Wherever the capture was
    taken, the replayed server waits for the request, then waits 0.3 s, then answers."""
    scenario, path, toml = tmp_path / "think.toml", tmp_path / "think.pcap", tmp_path / "replay.toml"
    scenario.write_text(THINK_TIME)
    assert main(["export", str(scenario), "--at", at, "-o", str(path)]) == 0
    assert main(["scenario-from", str(path), "-o", str(toml)]) == 0
    server = load(str(toml)).endpoint("server").script
    words = [step.describe() for step in server]
    start = words.index("wait until 100 bytes have arrived")
    pause = server[start + 1]
    assert pause.action == "wait" and pause.seconds == pytest.approx(0.3, abs=0.001), words
    capsys.readouterr()
    assert main(["compare", str(path), str(toml)]) == 0
    out = capsys.readouterr().out
    assert "rows agree" in out and " of " in out
    agreed, total = out.split(" rows agree")[0].split()[-3::2]
    assert agreed == total, out


@pytest.mark.parametrize("number", [1, 2])
def test_compare_lines_up_each_connection_that_reuses_a_4_tuple_with_its_own_run(tmp_path, capsys, number):
    """half_open_connection's client crashes and comes back on the same ports: the capture holds two
    connections, and each is compared with the same incarnation of the run, not with both folded."""
    path = tmp_path / "half_open.pcap"
    assert main(["export", "half_open_connection", "-o", str(path)]) == 0
    capsys.readouterr()
    assert main(["compare", str(path), "half_open_connection", "--connection", str(number)]) == 0
    out = capsys.readouterr().out
    assert "!=" not in out and "rows agree" in out


def test_a_capture_at_a_listening_host_holds_every_connection_it_accepted(tmp_path, capsys):
    path = tmp_path / "many.pcap"
    assert main(["export", "many_clients", "--at", "server", "-o", str(path)]) == 0
    assert len(read(path).connections) == 3
    for number in (1, 2, 3):
        capsys.readouterr()
        assert main(["compare", str(path), "many_clients", "--connection", str(number)]) == 0
        assert "!=" not in capsys.readouterr().out


def _timed(*packets: tuple[str, float]) -> list[SimpleNamespace]:
    bits = {"S": SYN_BIT, "SA": SYN_BIT | ACK_BIT, "A": ACK_BIT}
    return [SimpleNamespace(flags=bits[flags], time=time) for flags, time in packets]


def test_a_capture_is_placed_at_the_server_when_the_ack_comes_a_round_trip_after_the_syn_ack():
    assert taken_at_client(_timed(("S", 0.0), ("SA", 0.0001), ("A", 0.05))) is False
    assert taken_at_client(_timed(("S", 0.0), ("SA", 0.05), ("A", 0.0501))) is True


def test_a_syn_the_server_let_go_unanswered_does_not_make_a_server_capture_look_like_the_clients():
    """The server's accept queue was full and it dropped the first SYN: its capture holds both SYNs, and
    only the one it answered times the round trip (a SYN,ACK sent at once, then the ACK 50 ms later)."""
    packets = _timed(("S", 0.0), ("S", 1.0), ("SA", 1.0001), ("A", 1.05))
    assert taken_at_client(packets) is False


def test_a_capture_without_a_syn_ack_is_placed_nowhere():
    assert taken_at_client(_timed(("S", 0.0), ("S", 1.0))) is None
