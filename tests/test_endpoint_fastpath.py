"""The endpoint's header prediction changes no outcome, only the time taken (issue 23).

``simulator/model/fastpath.py`` handles the common segment of an established connection (in order,
ACK and perhaps data, nothing else) in a few lines instead of the full RFC 9293 3.10.7.4 steps.  Here
random conversations, with loss, duplication and reordering, under each profile, run with the fast
path on and off: every event of the trace (its time, kind, segment, TCB views, key and sentence) must
be the same, and the fast path must have answered most arrivals.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator import Endpoint, LinkParams, Network, builtin_names, load
from simulator.model import fastpath
from simulator.model.profiles import PROFILES
from simulator.model.segment import Flags, Segment
from simulator.model.states import State
from simulator.sim.app import request_reply
from simulator.sim.scenario import pattern_bytes

T = TypeVar("T")

links = st.builds(
    LinkParams,
    latency=st.floats(min_value=0.001, max_value=0.2),
    jitter=st.floats(min_value=0.0, max_value=0.1),
    loss=st.floats(min_value=0.0, max_value=0.25),
    duplicate=st.floats(min_value=0.0, max_value=0.2),
    reorder=st.floats(min_value=0.0, max_value=0.3),
)


def with_and_without_the_fast_path(run: Callable[..., T], *args: object) -> tuple[T, T]:
    """``run(*args)`` with header prediction on, then with every segment through the full steps."""
    fast = run(*args)
    fastpath.ENABLED = False
    try:
        return fast, run(*args)
    finally:
        fastpath.ENABLED = True


def everything_said(profile: str, seed: int, c2s: LinkParams, s2c: LinkParams, sizes: tuple[int, int]) -> list[object]:
    """Every event of one conversation, as plain values (sentences written out)."""
    cfg = replace(PROFILES[profile].config, syn_retries=30, synack_retries=30, data_retries=30, msl=1.0)
    request, reply = pattern_bytes(sizes[0]), pattern_bytes(sizes[1])[::-1]
    client_script, server_script = request_reply(request, reply)
    net = Network(seed=seed)
    net.add(Endpoint("client", "10.0.0.1", 40000, seed * 7919, cfg), client_script)
    net.add(Endpoint("server", "10.0.0.2", 80, seed * 104729 + 1, cfg), server_script)
    net.set_link("client", "server", c2s)
    net.set_link("server", "client", s2c)
    trace = net.run(max_events=200_000)
    return [
        (e.time, e.kind, e.endpoint, e.segment, e.retransmission, e.views, e.key, e.explained(relative=True))
        for e in trace.events
    ]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    profile=st.sampled_from(sorted(PROFILES)),
    seed=st.integers(0, 2**16),
    c2s=links,
    s2c=links,
    sizes=st.tuples(st.integers(1, 30_000), st.integers(1, 30_000)),
)
def test_the_fast_path_and_the_full_steps_give_the_same_trace(profile, seed, c2s, s2c, sizes):
    fast, full = with_and_without_the_fast_path(everything_said, profile, seed, c2s, s2c, sizes)
    assert fast == full


def scenario_said(name: str, seed: int, loss: float, duplicate: float, reorder: float) -> list[object]:
    """Every event of a built-in scenario run over lossy links, as plain values."""
    scenario = load(name)
    link = replace(scenario.link, loss=loss, duplicate=duplicate, reorder=reorder)
    links = tuple((a, b, replace(p, loss=loss, duplicate=duplicate, reorder=reorder)) for a, b, p in scenario.links)
    trace = replace(scenario, seed=seed, link=link, links=links).run()
    return [
        (e.time, e.kind, e.endpoint, e.segment, e.retransmission, e.views, e.key, e.explained(relative=True))
        for e in trace.events
    ]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(builtin_names()),
    seed=st.integers(0, 2**16),
    loss=st.floats(0.0, 0.3),
    duplicate=st.floats(0.0, 0.2),
    reorder=st.floats(0.0, 0.3),
)
def test_every_built_in_scenario_says_the_same_with_and_without_the_fast_path(name, seed, loss, duplicate, reorder):
    """The lessons' own conversations: zero windows, slow readers, half-closes, keep-alive, resets."""
    fast, full = with_and_without_the_fast_path(scenario_said, name, seed, loss, duplicate, reorder)
    assert fast == full


def test_the_fast_path_answers_most_segments_of_a_transfer(monkeypatch):
    """A test that cannot fail counts for nothing: the fast path must actually be taken."""
    taken = []
    predicted = fastpath.predicted

    def counting(ep, seg):
        yes = predicted(ep, seg)
        taken.append(yes)
        return yes

    monkeypatch.setattr(fastpath, "predicted", counting)
    for profile in ("rfc", "linux"):
        taken.clear()
        everything_said(profile, 1, LinkParams(), LinkParams(), (20_000, 20_000))
        assert len(taken) > 20 and sum(taken) > 0.8 * len(taken), (profile, sum(taken), len(taken))


@pytest.mark.parametrize(
    ("flags", "why"),
    [(0x18 | 0x01, "a FIN"), (0x10 | 0x04, "a RST"), (0x10 | 0x20, "URG"), (0x02 | 0x10, "a SYN")],
)
def test_a_control_bit_is_never_predicted(flags, why):
    ep = Endpoint("e", "10.0.0.1", 1, 1000)
    ep.state, ep.rcv_nxt = State.ESTABLISHED, ep.iss + 50
    seg = Segment(2, 1, ep.rcv_nxt, ep.snd_nxt, Flags(flags), 1000, payload=b"x")
    assert not fastpath.predicted(ep, seg), why
    assert fastpath.predicted(ep, replace(seg, flags=Flags(0x18)))
