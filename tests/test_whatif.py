"""What if: pause a run, hand an endpoint a segment of your own or lose the next one, and go on
(issue 24: what a teacher reaches for Scapy for)."""

from __future__ import annotations

import pytest

from simulator import ScenarioError, load
from simulator.model.keys import SendKey
from simulator.sim.trace import EventKind
from simulator.sim.whatif import drop_next, inject

HANDSHAKE_DONE = 0.15  # three_way_handshake: the server is ESTABLISHED at 0.150


def test_an_ack_of_bytes_never_sent_is_dropped_and_answered_with_where_the_server_is():
    outcome = inject(
        load("three_way_handshake"), HANDSHAKE_DONE, sender="client", receiver="server", flags="A", seq=1001, ack=9999
    )
    arrival, reply = outcome.answer
    assert arrival.kind == EventKind.DELIVER and arrival.endpoint == "server"
    assert reply.key == SendKey.ACK_FOR_UNSENT and (int(reply.segment.seq), int(reply.segment.ack)) == (5001, 1001)
    assert "never sent" in outcome.explain()


def test_a_rst_exactly_at_rcv_nxt_resets_and_one_beside_it_gets_a_challenge_ack():
    exact = inject(load("three_way_handshake"), HANDSHAKE_DONE, sender="client", receiver="server", flags="R", seq=1001)
    assert exact.trace.final_states()["server"].value == "CLOSED"
    beside = inject(
        load("three_way_handshake"), HANDSHAKE_DONE, sender="client", receiver="server", flags="R", seq=1500
    )
    assert [e.key for e in beside.answer if e.kind == EventKind.SEND] == [SendKey.CHALLENGE_ACK_RST]
    assert beside.trace.final_states()["server"].value == "ESTABLISHED"


def test_nothing_before_the_pause_changes():
    base = load("data_transfer").run()
    outcome = inject(load("data_transfer"), 0.101, sender="client", receiver="server", flags="A", seq=1, ack=1)
    before = [e for e in base.events if e.time <= 0.101]
    assert [(e.time, e.kind, e.explanation) for e in outcome.trace.events[: len(before)]] == [
        (e.time, e.kind, e.explanation) for e in before
    ]


def test_losing_the_next_data_segment_is_repaired_by_a_retransmission_of_the_same_bytes():
    trace = load("data_transfer").run()
    after = next(i for i, e in enumerate(trace.events) if e.kind == EventKind.APP and e.endpoint == "client" and i > 5)
    outcome = drop_next(load("data_transfer"), after)
    assert outcome.change.kind == EventKind.DROP and outcome.change.segment.payload
    (repair,) = outcome.answer
    assert repair.retransmission and repair.segment.seq == outcome.change.segment.seq
    assert "go out again" in outcome.explain()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"flags": "SYNX"}, "flags 'SYNX'"),
        ({"seq": 1 << 32}, "seq must be a 32-bit"),
        ({"ack": -1}, "ack must be a 32-bit"),
        ({"window": 70000}, "window must be 0..65535"),
        ({"receiver": "nobody"}, "no endpoint called 'nobody'"),
        ({"receiver": "client"}, "are the same"),
    ],
)
def test_an_impossible_segment_is_one_clear_error(fields, message):
    given = {"sender": "client", "receiver": "server", "flags": "A", "seq": 1, **fields}
    with pytest.raises(ScenarioError, match=message) as error:
        inject(load("three_way_handshake"), HANDSHAKE_DONE, **given)
    assert "\n" not in str(error.value)


def test_the_stepper_counts_what_if_numbers_from_the_isns_and_moves_to_the_answer():
    from simulator.present import notebook as nb

    stepper = nb.Stepper("three_way_handshake")
    stepper.step = stepper.steps
    outcome = stepper.inject("A", 1, 5000)  # relative: ack = the server's ISN + 5000
    assert int(outcome.change.segment.ack) == 10000 and int(outcome.change.segment.seq) == 1001
    screen = nb.Screen.of(stepper.trace, True)
    assert screen.steps[stepper.step - 1].event is outcome.answer[-1]
    assert stepper.trace is outcome.trace


def test_the_stepper_panel_has_a_what_if_row():
    pytest.importorskip("ipywidgets")
    from simulator.present import notebook as nb

    stepper = nb.Stepper("three_way_handshake")
    panel = stepper.widget()
    row = panel.children[3]
    fields = {c.description: c for c in row.children}
    fields["what if: flags"].value = "A"
    fields["ack"].value = 5000
    stepper_panel_last = panel.children[0].children[3]
    stepper_panel_last.click()
    fields["hand it over"].click()
    assert "never sent" in panel.children[4].value
    fields["what if: flags"].value = "XYZ"
    fields["hand it over"].click()
    assert "cannot do that" in panel.children[4].value
