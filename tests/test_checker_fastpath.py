"""Header prediction and the full rules say the same of every packet (issue 23).

The checker's fast path (simulator/capture/checker/fastpath.py) recognises in-order data, an ACK
of new data (the one that completes the handshake and those that acknowledge a FIN too) and a
side's first FIN by a few comparisons, and skips the full rules for them.  Here random captures from the model, with loss, duplication and reordering, captured at
either end, are checked with the fast path on and off: every label, state, departure and sentence
must be the same.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator import builtin_names, load
from simulator.capture.checker import checked_in_order, connection, fastpath
from simulator.capture.connections import Tally

pytest.importorskip("scapy", reason="the model's runs are exported with Scapy")

from simulator.capture.export import export

SCENARIOS = sorted(builtin_names())


def everything_said(path, *, fast: bool, monkeypatch) -> tuple[list[tuple[object, ...]], int]:
    """Every packet's report, as plain values, and how many the fast path answered."""
    answered = answered_by_the_fast_path(monkeypatch, fast=fast)
    said = []
    for order, report in checked_in_order(path, Tally()):
        said.append((order, report.verdict, report.notes))
        for p in report.packets:
            said.append((p.number, p.labels, p.before, p.after, p.departure, p.explanation, p.seq, p.ack, p.window))
    return said, len(answered)


def answered_by_the_fast_path(monkeypatch, *, fast: bool) -> list[int]:
    """The numbers of the packets the fast path will answer (with ``fast``: else it is off)."""
    monkeypatch.setattr(connection, "FAST_PATH", fast)
    answered: list[int] = []

    def counted(p, s, r):
        found = fastpath.predicted(p, s, r)
        if found is not None:
            answered.append(p.number)
        return found

    monkeypatch.setattr(connection, "predicted", counted)
    return answered


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(
    name=st.sampled_from(SCENARIOS),
    seed=st.integers(0, 2**16),
    loss=st.floats(0.0, 0.3),
    duplicate=st.floats(0.0, 0.2),
    reorder=st.floats(0.0, 0.3),
    at_first=st.booleans(),
)
def test_the_fast_path_and_the_full_rules_agree_on_random_captures(
    tmp_path_factory, monkeypatch, name, seed, loss, duplicate, reorder, at_first
):
    scenario = load(name)
    link = replace(scenario.link, loss=loss, duplicate=duplicate, reorder=reorder)
    links = tuple((a, b, replace(p, loss=loss, duplicate=duplicate, reorder=reorder)) for a, b, p in scenario.links)
    trace = replace(scenario, seed=seed, link=link, links=links).run()
    ends = [e.name for e in trace.endpoints]
    path = tmp_path_factory.mktemp("fast") / "run.pcap"
    export(trace, path, at=ends[0] if at_first else ends[-1])
    full, none = everything_said(path, fast=False, monkeypatch=monkeypatch)
    fast, _ = everything_said(path, fast=True, monkeypatch=monkeypatch)
    assert none == 0 and fast == full


def test_the_fast_path_answers_most_packets_of_a_transfer(tmp_path, monkeypatch):
    # (else the property above would hold of a fast path that never runs)
    path = tmp_path / "transfer.pcap"
    export(load("data_transfer").run(), path)
    said, predicted = everything_said(path, fast=True, monkeypatch=monkeypatch)
    packets = sum(1 for row in said if len(row) > 3)
    assert predicted > packets / 2, (predicted, packets)


def test_the_fast_path_answers_every_packet_of_a_short_connection_but_its_syns(tmp_path, monkeypatch):
    # the handshake's ACK, the data and their ACKs, both FINs and the last ACK: what the check benchmark is made of
    path = tmp_path / "close.pcap"
    export(load("graceful_close").run(), path)
    answered = answered_by_the_fast_path(monkeypatch, fast=True)
    (_, report), *_ = checked_in_order(path, Tally())
    syns = [p.number for p in report.packets if "SYN" in p.flags]
    assert len(syns) == 2 and sorted(answered + syns) == [p.number for p in report.packets]
