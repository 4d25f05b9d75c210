"""Invariants across random loss, duplication, reordering, latency and ISNs."""

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator import Endpoint, EndpointConfig, LinkParams, Network, State
from simulator.sim.app import request_reply
from simulator.sim.scenario import pattern_bytes

# Generous retry limits: a connection must survive 30% loss, not give up.
CONFIG = EndpointConfig(mss=500, syn_retries=30, synack_retries=30, data_retries=30, msl=1.0)

links = st.builds(
    LinkParams,
    latency=st.floats(min_value=0.001, max_value=0.3),
    jitter=st.floats(min_value=0.0, max_value=0.2),
    loss=st.floats(min_value=0.0, max_value=0.3),
    duplicate=st.floats(min_value=0.0, max_value=0.2),
    reorder=st.floats(min_value=0.0, max_value=0.3),
)
isns = st.one_of(st.integers(0, 2**32 - 1), st.integers(2**32 - 3000, 2**32 - 1))


def run_conversation(seed, c2s, s2c, request, reply, client_isn, server_isn, ack_policy="immediate"):
    """``ack_policy`` "linux" runs the whole linux profile: options, SACK, Linux's ACKs, timers and Nagle."""
    from dataclasses import replace

    from simulator import AckPolicy
    from simulator.model.profiles import PROFILES

    kept = {f: getattr(CONFIG, f) for f in ("mss", "syn_retries", "synack_retries", "data_retries", "msl")}
    if ack_policy == "linux":
        cfg = replace(PROFILES["linux"].config, **kept)
    else:
        cfg = EndpointConfig(**{**kept, "ack_policy": AckPolicy(ack_policy)})
    net = Network(seed=seed)
    client = Endpoint("client", "10.0.0.1", 40000, client_isn, cfg)
    server = Endpoint("server", "10.0.0.2", 80, server_isn, cfg)
    client_script, server_script = request_reply(request, reply)
    net.add(client, client_script)
    net.add(server, server_script)
    net.set_link("client", "server", c2s)
    net.set_link("server", "client", s2c)
    trace = net.run(max_events=200_000)
    return net, trace


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**16),
    c2s=links,
    s2c=links,
    request_len=st.integers(1, 4000),
    reply_len=st.integers(1, 4000),
    client_isn=isns,
    server_isn=isns,
    ack_policy=st.sampled_from(["immediate", "delayed", "linux"]),
)
def test_data_arrives_complete_and_in_order_and_both_sides_close(
    seed, c2s, s2c, request_len, reply_len, client_isn, server_isn, ack_policy
):
    request, reply = pattern_bytes(request_len), pattern_bytes(reply_len)[::-1]
    net, trace = run_conversation(seed, c2s, s2c, request, reply, client_isn, server_isn, ack_policy)
    # Nothing lost, nothing twice, nothing out of order.
    assert bytes(net.apps["server"].read_data) == request
    assert bytes(net.apps["client"].read_data) == reply
    # Both endpoints end CLOSED (the one that closed first through TIME-WAIT).
    assert net.endpoints["client"].state is State.CLOSED
    assert net.endpoints["server"].state is State.CLOSED
    client_states = [e.state_after["client"] for e in trace.of_kind("state") if e.endpoint == "client"]
    assert State.TIME_WAIT in client_states or net.endpoints["client"].error is not None
    # Invariants at every event.
    una: dict[str, object] = {}
    for event in trace.events:
        for name, view in event.views:
            assert view.snd_una <= view.snd_nxt, event
            if view.state is not State.CLOSED:  # SND.UNA never moves back
                assert name not in una or view.snd_una >= una[name], event
                una[name] = view.snd_una
        if event.kind == "send" and event.segment.flags & 0x10:
            peer = event.view("server" if event.endpoint == "client" else "client")
            if peer is not None and peer.state is not State.CLOSED:
                assert event.segment.ack <= peer.snd_nxt, "acknowledges bytes never sent"


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**16), loss=st.floats(0.0, 0.3))
def test_every_built_in_scenario_survives_random_loss_deterministically(seed, loss):
    from simulator import load

    scenario = load("data_transfer").with_options(seed=seed, loss=loss)
    assert scenario.run().to_json() == scenario.run().to_json()
