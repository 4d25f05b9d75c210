"""A scenario file is checked once, value by value: a mistake is one line naming the key, never a crash.

And a scenario cannot ask for more work than the budget (bytes sent, simulated time, events): it is
refused, or its run stopped, with one line.
"""

from __future__ import annotations

import time

import pytest

from simulator import ScenarioError
from simulator.cli import main
from simulator.sim import scenario as scenario_module
from simulator.sim.scenario import MAX_BYTES, MAX_DOTS, MAX_FILE, load, parse

PAIR = '[endpoint.client]\nscript = ["connect server", "send 10", "close"]\n[endpoint.server]\nscript = ["listen"]\n'
INJECT = '[[inject]]\nfrom = "client"\nto = "server"\nflags = "S"\nseq = 1\n'


def refused(text: str) -> str:
    with pytest.raises(ScenarioError) as caught:
        parse(text, source="t.toml")
    message = str(caught.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("until = nan\n" + PAIR, "until"),
        ("until = inf\n" + PAIR, "until"),
        ("until = -1\n" + PAIR, "until"),
        ("seed = true\n" + PAIR, "seed"),
        ("name = [1]\n" + PAIR, "name"),
        (PAIR.replace("[endpoint.server]\n", "[endpoint.server]\nstart = nan\n"), "start"),
        (PAIR.replace("[endpoint.server]\n", "[endpoint.server]\nisn = true\n"), "isn"),
        (PAIR.replace("[endpoint.server]\n", "[endpoint.server]\nmin_rto = nan\n"), "min_rto"),
        (PAIR.replace("[endpoint.server]\n", "[endpoint.server]\nmin_rto = 5\nmax_rto = 1\n"), "max_rto"),
        (PAIR.replace("[endpoint.server]\n", "[endpoint.server]\ndelayed_ack_timeout = inf\n"), "delayed_ack_timeout"),
        (PAIR.replace("[endpoint.server]\n", "[endpoint.server]\nwindow_scale = 0.5\n"), "window_scale"),
        (PAIR.replace("[endpoint.server]\n", "[endpoint.server]\nsyn_retries = 1e400\n"), "syn_retries"),
        ("[network]\nlatency = nan\n" + PAIR, "latency"),
        ("[network]\nbandwidth = inf\n" + PAIR, "bandwidth"),
        (PAIR.replace('"send 10"', '"wait nan"'), "wait"),
        (PAIR.replace('"send 10"', '"wait inf"'), "wait"),
        (PAIR.replace('"connect server"', '"connect server isn=4294967296"'), "isn"),
        (PAIR + '[[fault]]\ndata = "true"\n', "data"),
        (PAIR + "[[fault]]\nretransmission = 1\n", "retransmission"),
        (PAIR + "[[fault]]\nnth = 1.5\n", "nth"),
        (PAIR + "[[fault]]\ncount = true\n", "count"),
        (PAIR + "[[fault]]\naction = 5\n", "action"),
        (PAIR + '[[fault]]\naction = "delay"\ndelay = nan\n', "delay"),
        (PAIR + INJECT + 'at = "soon"\n', "at"),
        (PAIR + INJECT + "at = inf\n", "at"),
        (PAIR + INJECT.replace("seq = 1", 'seq = "x"'), "seq"),
        (PAIR + INJECT + "ack = -1\n", "ack"),
        (PAIR + INJECT + "window = 70000\n", "window"),
        (PAIR + INJECT + "len = 1000000000\n", "len"),
        (PAIR + INJECT.replace('flags = "S"', "flags = 2"), "flags"),
        (PAIR + INJECT.replace('from = "client"', 'from = ["client"]'), "from"),
        (PAIR + "[bottleneck]\nrate = inf\n", "rate"),
        (PAIR + "[bottleneck]\nrate = nan\n", "rate"),
        (PAIR + "[bottleneck]\nrate = 1e6\ndelay = nan\n", "delay"),
        (PAIR + "[bottleneck]\nrate = 1e6\ndelay = true\n", "delay"),
    ],
)
def test_a_bad_value_is_one_line_naming_its_key(text, names):
    assert names in refused(text)


def test_send_beyond_the_work_budget_is_refused_before_any_memory_is_taken():
    message = refused(PAIR.replace('"send 10"', '"send 100000000"'))
    assert str(MAX_BYTES) in message


def test_all_sends_together_count_against_the_budget():
    half = MAX_BYTES // 2 + 1
    assert "work budget" in refused(PAIR.replace('"send 10"', f'"send {half}", "send {half}"'))


def test_a_huge_dotted_key_is_refused_before_tomllib_spends_seconds_on_it():
    start = time.perf_counter()
    message = refused(".".join(["a"] * 100_000) + " = 1\n" + PAIR)
    assert f"more than {MAX_DOTS} parts" in message
    assert time.perf_counter() - start < 5  # (a bound for a loaded machine: tomllib alone takes minutes)


def test_a_file_too_large_to_be_a_scenario_is_refused():
    assert "too large" in refused("# " + "x" * MAX_FILE + "\n" + PAIR)


@pytest.mark.parametrize("nesting", ["x = " + "[" * 5000 + "]" * 5000, "x = " + "{a=" * 3000 + "1" + "}" * 3000])
def test_deep_nesting_is_one_line_not_a_recursion_error(nesting):
    assert "nested too deeply" in refused(nesting + "\n" + PAIR)


def test_nesting_that_tomllib_reads_is_bounded_too():
    assert "nested too deeply" in refused("x = [[[[[[[[[[1]]]]]]]]]]\n" + PAIR)


def test_a_run_past_the_event_budget_stops_with_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(scenario_module, "MAX_EVENTS", 50)
    path = tmp_path / "long.toml"
    path.write_text(PAIR.replace('"send 10"', '"send 100000"'))
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "50 events" in err


def test_an_old_syn_injected_into_an_accept_many_server_is_answered_not_a_crash():
    text = load("many_clients")  # accept_many = true on the server
    assert text.endpoint("server").accept_many
    for at in (1, 2, 3):
        extra = f'\n[[inject]]\nat = {at}\nfrom = "client"\nto = "server"\nflags = "S"\nseq = 7777\n'
        source = (scenario_module.resources.files("simulator.sim.scenarios") / "many_clients.toml").read_text()
        trace = parse(source + extra).run()
        assert trace.events


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('title = "red \\u001b[31m text"\n' + PAIR, "title"),
        ('title = "a\\ttab"\n' + PAIR, "title"),
        ('name = "two\\nlines"\n' + PAIR, "name"),
        ('lesson = "right \\u202e to left"\n' + PAIR, "lesson"),
        (PAIR.replace("[endpoint.client]", '[endpoint."cli\\u001bent"]').replace("connect server", "listen"), "name"),
    ],
)
def test_a_control_character_in_a_shown_text_is_refused_without_being_echoed(text, key):
    # An escape sequence would recolour or rewrite the student's terminal; a tab is a glyph the plots lack.
    message = refused(text)
    assert key in message and "control character" in message
    assert not any(ord(char) < 32 or 0x202A <= ord(char) <= 0x202E for char in message)


def test_a_lesson_keeps_its_line_breaks_and_tabs():
    scenario = parse('lesson = """\nfirst line\n\tindented\n"""\n' + PAIR, source="t.toml")
    assert scenario.lesson == "first line\n\tindented"
