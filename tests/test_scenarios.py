"""Every built-in scenario runs and teaches what its lesson says."""

import pytest

from simulator import EventKind, Flags, State, Trace, builtin_names, load
from simulator.model.keys import SendKey
from simulator.present.textladder import render
from simulator.sim.scenario import parse

from .conftest import iter_sends

ALL = builtin_names()


def test_the_library_has_every_scenario_the_course_needs():
    needed = {
        "three_way_handshake",
        "data_transfer",
        "graceful_close",
        "graceful_close_server_first",
        "half_close",
        "simultaneous_open",
        "simultaneous_close",
        "rst_abort",
        "syn_to_closed_port",
        "lost_syn",
        "lost_syn_ack",
        "lost_final_ack",
        "lost_data_retransmit",
        "duplicate_segment",
        "reordered_segments",
        "zero_window",
        "sequence_wraparound",
        "half_open_connection",
        "old_duplicate_syn",
    }
    assert needed <= set(ALL)


def test_rfc_9293_figures_6_to_13_each_have_a_scenario():
    figures = {load(name).figure for name in ALL}
    for n in range(6, 14):
        assert any(f == f"RFC 9293 Figure {n}" for f in figures), n


@pytest.mark.parametrize("name", ALL)
def test_every_scenario_has_a_lesson_and_runs_to_completion(name):
    scenario = load(name)
    assert scenario.title and len(scenario.lesson) > 80
    trace = scenario.run()
    assert trace.events
    assert all(e.explanation for e in trace.events)


def _flags(name):
    return [s.flags.letters for s in iter_sends(load(name).run())]


def test_three_way_handshake_is_syn_syn_ack_ack():
    assert _flags("three_way_handshake") == ["S", "SA", "A"]


def test_data_transfer_sends_mss_sized_segments_both_ways():
    sends = list(iter_sends(load("data_transfer").run()))
    sizes = [len(s.payload) for s in sends if s.payload]
    assert sizes == [1000, 1000, 1000, 1000, 1000]


def test_graceful_close_ends_with_the_client_in_time_wait_then_closed():
    trace = load("graceful_close").run()
    states = [e.state_after["client"] for e in trace.of_kind("state") if e.endpoint == "client"]
    assert states[-2:] == [State.TIME_WAIT, State.CLOSED]
    server_states = [e.state_after["server"] for e in trace.of_kind("state") if e.endpoint == "server"]
    assert State.LAST_ACK in server_states and State.TIME_WAIT not in server_states


def test_the_server_that_closes_first_pays_the_time_wait():
    trace = load("graceful_close_server_first").run()
    server_states = [e.state_after["server"] for e in trace.of_kind("state") if e.endpoint == "server"]
    assert State.TIME_WAIT in server_states


def test_simultaneous_open_uses_two_syns_and_two_syn_acks():
    # and each side acknowledges the other's SYN,ACK, whose SYN it had already acknowledged
    assert _flags("simultaneous_open") == ["S", "S", "SA", "SA", "A", "A"]


def test_simultaneous_close_passes_through_closing_on_both_sides():
    trace = load("simultaneous_close").run()
    for name in ("client", "server"):
        assert State.CLOSING in [e.state_after[name] for e in trace.of_kind("state") if e.endpoint == name]


def test_syn_to_a_closed_port_is_refused_with_rst_ack():
    trace = load("syn_to_closed_port").run()
    rst = [s for s in iter_sends(trace) if s.flags & Flags.RST]
    assert rst[0].flags == Flags.RST | Flags.ACK and rst[0].ack == 1001
    assert any("connection refused" in e.explanation for e in trace.of_kind("error"))


def test_a_lost_syn_is_sent_again_after_one_second():
    trace = load("lost_syn").run()
    syns = [e for e in trace.of_kind("send") if e.segment.flags == Flags.SYN]
    assert [e.time for e in syns] == [0.0, 1.0]
    assert syns[1].retransmission
    assert trace.final_states() == {"client": State.ESTABLISHED, "server": State.ESTABLISHED}


def test_a_lost_syn_ack_is_sent_again():
    trace = load("lost_syn_ack").run()
    # lost, then sent again in answer to the client's resent SYN, which arrives the instant the server's
    # timer is due: the segment is handled first (a kernel timer never fires early) and restarts the timer
    assert sum(1 for s in iter_sends(trace) if s.flags == Flags.SYN | Flags.ACK) == 2
    (again,) = [e for e in trace.of_kind(EventKind.SEND) if e.segment.flags == Flags.SYN | Flags.ACK][1:]
    assert again.key == SendKey.SYN_ACK_AGAIN
    assert trace.final_states()["server"] is State.ESTABLISHED


def test_a_lost_final_ack_is_repaired_by_the_syn_ack_retransmission():
    trace = load("lost_final_ack").run()
    assert _flags("lost_final_ack")[:5] == ["S", "SA", "A", "SA", "A"]
    assert trace.final_states()["server"] is State.ESTABLISHED


def test_lost_data_is_retransmitted_with_the_same_sequence_numbers():
    trace = load("lost_data_retransmit").run()
    again = [e.segment for e in trace.of_kind("send") if e.retransmission]
    assert [int(s.seq) for s in again] == [3001]


def test_fast_retransmit_comes_before_the_timer():
    trace = load("fast_retransmit").run()
    (again,) = [e for e in trace.of_kind("send") if e.retransmission]
    assert again.segment.seq == 2001 and again.time < 0.5
    assert "duplicate ACK" in again.explanation


def test_a_duplicated_segment_is_delivered_once():
    trace = load("duplicate_segment").run()
    delivered = sum(int(e.explanation.split()[0]) for e in trace.of_kind("data") if e.endpoint == "server")
    assert delivered == 3000


def test_reordered_segments_produce_a_duplicate_ack_then_one_ack_for_both():
    acks = [int(s.ack) for s in iter_sends(load("reordered_segments").run()) if s.src_port == 5000 and not s.payload]
    assert acks[:3] == [1001, 1001, 3001]


def test_a_zero_window_makes_the_sender_probe():
    trace = load("zero_window").run()
    windows = [s.window for s in iter_sends(trace) if s.src_port == 5000]
    assert 0 in windows
    probes = [e for e in trace.of_kind("send") if "persist timer" in e.explanation]
    assert probes and len(probes[0].segment.payload) == 1
    assert trace.final_states() == {"client": State.CLOSED, "server": State.CLOSED}


def test_sequence_numbers_wrap_past_two_to_the_32():
    seqs = [int(s.seq) for s in iter_sends(load("sequence_wraparound").run()) if s.payload]
    assert seqs == [4294966797, 501]


def test_a_half_open_connection_is_found_and_reset():
    trace = load("half_open_connection").run()
    assert any(e.endpoint == "server" and "connection reset" in e.explanation for e in trace.of_kind("error"))
    assert trace.final_states()["client"] is State.ESTABLISHED
    assert trace.final_states()["server#2"] is State.ESTABLISHED


def test_data_to_a_crashed_peer_is_answered_by_a_reset():
    trace = load("half_open_data_reset").run()
    (rst,) = [s for s in iter_sends(trace) if s.flags & Flags.RST]
    assert rst.seq == 301
    assert trace.final_states()["client"] is State.CLOSED


def test_an_old_duplicate_syn_is_reset_and_the_real_one_connects():
    trace = load("old_duplicate_syn").run()
    (rst,) = [s for s in iter_sends(trace) if s.flags & Flags.RST]
    assert rst.seq == 91
    assert trace.final_states() == {"client": State.ESTABLISHED, "server": State.ESTABLISHED}


def test_many_clients_each_get_their_own_server_endpoint():
    trace = load("many_clients").run()
    names = {e.name for e in trace.endpoints}
    assert {"server", "server#2", "server#3"} <= names
    assert set(trace.final_states().values()) == {State.CLOSED}


def test_delayed_acks_acknowledge_every_second_segment():
    sends = iter_sends(load("delayed_ack").run())
    acks = [int(s.ack) for s in sends if s.src_port == 5000 and not s.payload and not s.flags & Flags.SYN]
    assert acks[:3] == [3001, 5001, 7001]


def test_a_conversation_that_never_ends_is_stopped_and_says_so(tmp_path):
    from simulator.sim.scenario import parse

    scenario = parse(
        '[endpoint.client]\nscript = ["connect server", "send 5000"]\n'
        '[endpoint.server]\nwindow = 1000\nauto_read = false\nscript = ["listen"]\n'
    )
    trace = scenario.run()
    assert trace.stopped_at == 300.0
    assert max(e.time for e in trace.events) <= 300.0
    probes = [e for e in trace.of_kind("send") if e.endpoint == "client" and "zero_window_probe" in str(e.key)]
    assert len(probes) >= 5  # the persist timer keeps probing, with backoff


def test_a_scenario_that_ends_by_itself_is_not_marked_stopped():
    assert load("graceful_close").run().stopped_at is None


def test_a_new_syn_reopens_a_connection_from_time_wait():
    from simulator.sim.scenario import parse

    scenario = parse(
        '[endpoint.client]\nisn = 1000\nscript = ["connect server", "send 5", "wait_for_eof", "close", "wait 0.5",'
        ' "connect server isn=900000"]\n'
        '[endpoint.server]\nisn = 5000\naccept_many = true\nscript = ["listen", "wait_for_bytes 5", "close"]\n'
    )
    trace = scenario.run()
    server_states = [e.state_after["server"] for e in trace.of_kind("state") if e.endpoint == "server"]
    assert server_states[-2:] == [State.TIME_WAIT, State.CLOSED]
    ended = next(
        e for e in trace.of_kind("state") if e.endpoint == "server" and "ends TIME-WAIT early" in e.explanation
    )
    assert ended.time < 2.0  # long before 2*MSL = 4 s
    assert trace.final_states()["server#2"] is State.ESTABLISHED


def test_an_mtu_sets_the_mss_an_endpoint_offers():
    scenario = parse(
        'name = "jumbo"\n[endpoint.client]\nmtu = 9000\nscript = ["connect server"]\n'
        '[endpoint.server]\naddress = "10.0.0.2"\nscript = ["listen"]\n'
    )
    syn = next(iter_sends(scenario.run()))
    assert syn.options.mss == 9000 - 40


@pytest.mark.parametrize("name", ALL)
def test_the_move_to_established_shows_the_syn_acknowledged(name):
    # the state change that ends a handshake carries the TCB after the ACK that caused it: SND.UNA has
    # passed the SYN (ISS + 1), where the demo's last screen once showed the server's SND.UNA back at its ISS
    trace = load(name).run()
    moves = [dict(e.views)[e.endpoint] for e in trace.of_kind(EventKind.STATE)]
    moves = [view for view in moves if view.state is State.ESTABLISHED]
    assert all(view.snd_una == view.iss + 1 for view in moves), name


def test_keep_alive_probes_are_named_in_the_ladder_and_the_trace():
    trace = load("keep_alive").run()
    probes = [e for e in trace.of_kind(EventKind.SEND) if e.keepalive]
    assert len(probes) == 3 and all(not e.segment.payload for e in probes)
    assert render(trace, explain=False).count("(keep-alive)") == 3


@pytest.mark.parametrize("name", ALL)
def test_every_scripted_fault_of_a_built_in_scenario_fires(name):
    assert load(name).run().warnings == []


def test_a_fault_that_never_fires_is_said_not_silent():
    # flags = "F" never matches the client's FIN, which also acknowledges (FIN,ACK)
    text = load_text("graceful_close") + '\n[[fault]]\naction = "drop"\nfrom = "client"\nflags = "F"\n'
    trace = parse(text).run()
    (warning,) = trace.warnings
    assert warning.startswith("fault 1 never fired") and '"FA"' in warning
    assert f"note: {warning}" in render(trace, width=400)  # wrapped to the terminal otherwise
    assert Trace.from_json(trace.to_json()).warnings == [warning]


def load_text(name: str) -> str:
    from importlib import resources

    return (resources.files("simulator.sim.scenarios") / f"{name}.toml").read_text("utf-8")


def test_the_lost_final_ack_lesson_says_what_the_run_does():
    """Issue 24, item 4: the client answers the repeated SYN,ACK with an RFC 5961 challenge ACK."""
    scenario = load("lost_final_ack")
    answer = [e for e in scenario.run().events if e.kind == "send" and e.endpoint == "client"][-2]
    assert answer.key == "challenge_ack_syn"
    assert "challenge ACK" in scenario.lesson and "RFC 5961" in scenario.lesson
    assert "outside its window" not in scenario.lesson
