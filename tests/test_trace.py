"""Traces: deterministic, documented JSON that loads back."""

import json

import pytest

from simulator import Trace, TraceFormatError, builtin_names, load


@pytest.mark.parametrize("name", builtin_names())
def test_the_same_scenario_and_seed_give_a_byte_identical_trace(name):
    assert load(name).run().to_json() == load(name).run().to_json()


def test_a_different_seed_gives_different_random_choices():
    lossy = load("data_transfer").with_options(loss=0.3)
    a = lossy.with_options(seed=1).run().to_json()
    b = lossy.with_options(seed=2).run().to_json()
    assert a != b


def test_the_json_has_the_documented_fields():
    data = json.loads(load("graceful_close").run().to_json())
    assert data["format"] == "tcpsim-trace" and data["version"] == 1
    assert data["scenario"] == "graceful_close" and data["seed"] == 1
    send = next(e for e in data["events"] if e["kind"] == "send")
    assert set(send) >= {"time", "kind", "endpoint", "segment", "state_after", "explanation"}
    seg = send["segment"]
    assert set(seg) >= {"src_port", "dst_port", "seq", "ack", "flags", "window", "len", "payload"}
    assert seg["flags"] == "S" and seg["len"] == 1 and seg["payload"] == 0


@pytest.mark.parametrize("name", ["graceful_close", "zero_window", "old_duplicate_syn"])
def test_a_trace_loads_back_to_the_same_json(name):
    text = load(name).run().to_json()
    again = Trace.from_json(text)
    assert again.to_json() == text
    assert again.final_states() == load(name).run().final_states()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "not a JSON trace"),
        ('{"format": "other"}', "not a tcpsim trace"),
        ('{"format": "tcpsim-trace", "version": 99}', "version 99"),
        ('{"format": "tcpsim-trace", "version": 1, "scenario": "x"}', "damaged"),
    ],
)
def test_a_bad_trace_file_gives_a_clear_error(text, message):
    with pytest.raises(TraceFormatError, match=message):
        Trace.from_json(text)
