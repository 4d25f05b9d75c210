"""Arguments that say nothing, or cannot be used, are one line and exit status 2, before any work is done."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.cli import main
from simulator.live.kernel import _check
from simulator.live.namespace import LiveError
from simulator.live.probe import parse_target
from simulator.sim.app import Action, Step


def one_line(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    return err


@pytest.mark.parametrize(
    "argv",
    [
        ["probe", ""],
        ["probe", "127.0.0.1:²"],
        ["probe", "127.0.0.1:00000080"],
        ["probe", "127.0.0.1:0"],
        ["run", ""],
        ["check", ""],
        ["read", ""],
        ["export", "graceful_close", "--at", "", "-o", "x.pcap"],
        ["export", "graceful_close", "-o", ""],
        ["export", "graceful_close", "-o", "no/such/folder/x.pcap"],
        ["diagram", "graceful_close", "-o", ""],
        ["diagrams", "--out", ""],
        ["compare", "x.pcap", "graceful_close", "-o", ""],
        ["scenario-from", "x.pcap", "-o", ""],
        ["scenario-from", "x.pcap", "-o", "x.txt"],
        ["live", "graceful_close", "-o", ""],
        ["live", "graceful_close", "-o", "ladder.txt"],
        ["live", "graceful_close", "--pcap", "no/such/folder/x.pcapng"],
        ["live", "graceful_close", "--kernel", ""],
        ["capture", "-o", "", "--", "true"],
        ["capture", "-o", "x.txt", "--", "true"],
    ],
)
def test_an_argument_that_cannot_be_used_is_one_line_before_any_work(argv, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    one_line(capsys)
    assert list(tmp_path.iterdir()) == []  # nothing written, not even into the current folder


def test_a_quiz_answers_file_that_is_not_utf8_is_one_line(tmp_path, capsys):
    answers = tmp_path / "answers.txt"
    answers.write_bytes(b"\xff\xfeS\n")
    assert main(["demo", "--quiz", "--answers", str(answers), "--no-pause"]) == 2
    assert "not UTF-8" in one_line(capsys)


@pytest.mark.parametrize(
    ("script", "words"),
    [
        ([Step(Action.SEND, data=b"x")], "before listen or connect"),
        ([Step(Action.LISTEN), Step(Action.LISTEN)], "opens a second connection"),
        ([Step(Action.CONNECT, peer="server"), Step(Action.LISTEN)], "opens a second connection"),
        ([Step(Action.LISTEN), Step(Action.CRASH)], "cannot be made to crash"),
    ],
)
def test_the_kernels_script_is_checked_before_any_socket_is_made(script, words):
    with pytest.raises(LiveError, match=words):
        _check(script)


def test_a_kernel_script_that_waits_then_listens_is_fine():
    _check([Step(Action.WAIT, seconds=1.0), Step(Action.LISTEN), Step(Action.READ), Step(Action.CLOSE)])


@settings(max_examples=2000, deadline=None)
@given(st.text(max_size=40) | st.from_regex(r"\[?[0-9a-f.:]{0,20}\]?:[0-9²٣]{0,7}", fullmatch=True))
def test_any_probe_target_is_a_loopback_address_and_port_or_one_clear_error(text):
    """``probe`` never sends off loopback, and never takes a target it cannot read."""
    try:
        host, port = parse_target(text)
    except LiveError as exc:
        message = str(exc)
        host, port = "127.0.0.1", 1
    else:
        message = ""
    assert "\n" not in message
    assert ipaddress.ip_address(host).is_loopback and 1 <= port <= 65535
