"""Scenario files are user input: any table gives a runnable scenario or one ScenarioError."""

from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulator import ScenarioError
from simulator.sim.app import ACTIONS
from simulator.sim.scenario import _CONFIG_KEYS, _FAULT_KEYS, _INJECT_KEYS, _LINK_KEYS, _scenario

scalars = st.one_of(
    st.booleans(),
    st.integers(-5, 70000),
    st.floats(-1.0, 2.0, allow_nan=False),
    st.sampled_from(["SA", "S", "A", "FA", "R", "client", "server", "immediate", "delayed", "drop", "x"]),
)
steps = st.one_of(
    st.sampled_from(sorted(ACTIONS)),
    st.builds(
        lambda a, b: f"{a} {b}",
        st.sampled_from(sorted(ACTIONS)),
        st.sampled_from(["5", "server", "client", "0.1", "'hi'", "x"]),
    ),
    st.dictionaries(st.sampled_from(["send", "connect", "wait", "isn", "read"]), scalars, max_size=2),
    scalars,
)
endpoint = st.dictionaries(
    st.sampled_from(sorted({*_CONFIG_KEYS, "address", "port", "isn", "start", "accept_many", "bogus"})),
    scalars,
    max_size=5,
).flatmap(lambda d: st.lists(steps, max_size=6).map(lambda s: {**d, "script": s}))
network = st.dictionaries(st.sampled_from(sorted(_LINK_KEYS)), scalars, max_size=4)
fault = st.dictionaries(st.sampled_from(sorted(_FAULT_KEYS)), scalars, max_size=5)
inject = st.dictionaries(st.sampled_from(sorted(_INJECT_KEYS)), scalars, max_size=6)
tables = st.fixed_dictionaries(
    {"endpoint": st.dictionaries(st.sampled_from(["client", "server", "other"]), endpoint, min_size=1, max_size=3)},
    optional={
        "network": network,
        "fault": st.lists(fault, max_size=2),
        "inject": st.lists(inject, max_size=2),
        "seed": scalars,
        "until": scalars,
    },
)


def load_or_error(data):
    """(scenario, "") or (None, the error message): nothing else may come out."""
    try:
        return _scenario(data, "fuzz"), ""
    except ScenarioError as exc:
        return None, str(exc)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables)
def test_any_scenario_table_runs_or_gives_a_scenario_error(data):
    scenario, error = load_or_error(data)
    if scenario is None:
        assert error
        return
    trace = replace(scenario, until=20.0).run()
    assert trace.to_json()


# Mostly valid scenarios: they get past the loader and exercise the model,
# and every explanation sentence of every event is written out.
def _script(peer):
    step = st.one_of(
        st.just(f"connect {peer}"),
        st.builds(lambda n: f"send {n}", st.integers(1, 5000)),
        st.builds(lambda t: f"wait {t}", st.sampled_from([0, 0.01, 0.2, 1, 3])),
        st.builds(lambda n: f"wait_for_bytes {n}", st.integers(1, 3000)),
        st.sampled_from(["wait_for_eof", "shutdown", "close", "abort", "crash", "read", "listen"]),
    )
    return st.lists(step, max_size=7)


settings_ = st.fixed_dictionaries(
    {},
    optional={
        "mss": st.integers(1, 3000),
        "window": st.integers(0, 65535),
        "ack": st.sampled_from(["immediate", "delayed"]),
        "auto_read": st.booleans(),
        "rfc5961": st.booleans(),
        "delay_fin_ack": st.booleans(),
        "isn": st.integers(0, 2**32 - 1),
        "msl": st.sampled_from([0.1, 1.0, 2.0]),
        "syn_retries": st.integers(0, 3),
        "data_retries": st.integers(0, 5),
    },
)
valid_fault = st.fixed_dictionaries(
    {"action": st.sampled_from(["drop", "duplicate", "delay"])},
    optional={
        "from": st.sampled_from(["client", "server"]),
        "flags": st.sampled_from(["S", "SA", "A", "PA", "FA", "R"]),
        "data": st.booleans(),
        "nth": st.integers(1, 4),
        "count": st.integers(1, 3),
        "delay": st.sampled_from([0.01, 0.3]),
    },
)
valid_tables = st.builds(
    lambda c, s, cs, ss, net, faults, seed: {
        "seed": seed,
        "network": net,
        "fault": faults,
        "endpoint": {"client": {**c, "script": cs}, "server": {**s, "script": ss}},
    },
    settings_,
    settings_,
    _script("server"),
    st.one_of(st.just(["listen"]), _script("client").map(lambda s: ["listen", *s])),
    st.fixed_dictionaries(
        {},
        optional={
            "latency": st.floats(0, 0.2),
            "loss": st.floats(0, 0.5),
            "duplicate": st.floats(0, 0.3),
            "reorder": st.floats(0, 0.3),
            "jitter": st.floats(0, 0.1),
        },
    ),
    st.lists(valid_fault, max_size=3),
    st.integers(0, 1000),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_tables)
def test_any_mostly_valid_scenario_runs_and_explains_every_event(data):
    scenario, error = load_or_error(data)
    if scenario is None:
        assert error
        return
    trace = replace(scenario, until=30.0).run()
    for event in trace.events:
        assert event.explanation
    assert trace.to_json()
