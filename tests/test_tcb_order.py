"""The TCB attached to each event is the one after it: no variable steps backwards.

Within one connection (same ISS and IRS) SND.UNA, SND.NXT and RCV.NXT only move forward
(RFC 9293 section 3.3.1: SND.UNA advances with each new acknowledgment, SND.NXT with each
segment sent, RCV.NXT with each in-order byte).  The RFC lets them start over only with a
new connection: from CLOSED or LISTEN, or a new ISS/IRS (a reset, a crash, an old duplicate
SYN taken as a new one).  A student stepping through a run must never see a number go back.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator import State, builtin_names, load

_UNCONNECTED = (State.CLOSED, State.LISTEN)


def steps_backwards(trace):
    """Every (event index, endpoint, variable, before, after) where a variable went back."""
    found = []
    last = {}
    for index, event in enumerate(trace.events):
        for name, view in event.views:
            before, last[name] = last.get(name), view
            if before is None or before.state in _UNCONNECTED or view.state in _UNCONNECTED:
                continue
            if (before.iss, before.irs) != (view.iss, view.irs):
                continue  # a new connection (RFC 9293 3.10.7.3: a SYN-RECEIVED reset back to LISTEN, ...)
            names = ("snd_una", "snd_nxt") if before.state is State.SYN_SENT else ("snd_una", "snd_nxt", "rcv_nxt")
            for variable in names:
                old, new = getattr(before, variable), getattr(view, variable)
                if new.since(old) < 0:
                    found.append((index, event.kind.value, name, variable, int(old), int(new)))
    return found


@pytest.mark.parametrize("name", builtin_names())
def test_no_tcb_variable_steps_backwards_in_a_builtin_scenario(name):
    assert steps_backwards(load(name).run()) == []


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(builtin_names()), seed=st.integers(0, 2**16), loss=st.floats(0.0, 0.3))
def test_no_tcb_variable_steps_backwards_in_a_random_run(name, seed, loss):
    assert steps_backwards(load(name).with_options(seed=seed, loss=loss).run()) == []


def test_the_arrival_that_moves_to_established_already_shows_its_acknowledgment():
    """Issue 24 item 1: the server's SND.UNA reads ISS+1 at and after SYN-RECEIVED -> ESTABLISHED."""
    trace = load("three_way_handshake").run()
    server_iss = next(e for e in trace.endpoints if e.name == "server").isn
    moved = next(e for e in trace.events if e.kind == "state" and e.state_after.get("server") is State.ESTABLISHED)
    assert int(moved.view("server").snd_una) == (server_iss + 1) % 2**32


def test_an_arrival_is_shown_in_the_state_it_arrived_in_and_explained_with_its_outcome():
    """The arrival's TCB is the one before its consequences; its sentence tells the outcome."""
    trace = load("three_way_handshake").run()
    last_arrival = [e for e in trace.events if e.kind == "deliver" and e.endpoint == "server"][-1]
    assert last_arrival.view("server").state is State.SYN_RECEIVED  # the move is the next event
    assert "the three-way handshake is complete" in last_arrival.explanation
    fin = next(e for e in load("data_transfer").run().events if e.kind == "deliver" and "RCV.NXT=7002" in e.explanation)
    assert "counts the FIN" in fin.explanation
