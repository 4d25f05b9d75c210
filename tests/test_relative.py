"""--relative counts every sequence number from its ISN, wherever a number is written (issue 24, item 3).

A student who asked for relative numbers must not meet 5001 in a sentence beside an arrow that
says ack=1: the sentences, the demo's "changed:" lines and TCB, the quiz's explanations, the
pcapng comments and the JSON trace's sentences all follow the flag.
"""

import io
import json

from simulator import Trace, load
from simulator.capture.export import packets
from simulator.cli import main
from simulator.present.demo import Screen, run_demo


def test_the_ladder_sentences_count_from_each_isn(capsys):
    main(["run", "three_way_handshake", "--relative"])
    out = capsys.readouterr().out
    assert "ack=1 (0 + 1) acknowledges server's SYN; seq=1" in out
    assert "IRS=0) and sets RCV.NXT=1" in out
    assert "5001" not in out and "1001" not in out


def test_without_the_flag_the_sentences_keep_the_wire_numbers(capsys):
    main(["run", "three_way_handshake"])
    assert "ack=5001 (5000 + 1)" in capsys.readouterr().out


def test_relative_data_sentences_count_bytes_from_one(capsys):
    main(["run", "data_transfer", "--relative"])
    out = capsys.readouterr().out
    assert "sequence numbers 1..1000" in out


def test_the_demo_changed_lines_and_tcb_are_relative(capsys):
    run_demo(load("three_way_handshake").run(), relative=True, pause=False)
    out = capsys.readouterr().out
    assert "changed: server SND.UNA=1" in out
    assert "SND.UNA=5001" not in out


def test_the_quiz_explanations_are_relative(capsys):
    answers = io.StringIO("S\n0\n-\nSYN-SENT\n" * 3)
    run_demo(load("three_way_handshake").run(), relative=True, quiz_mode=True, answers=answers)
    out = capsys.readouterr().out
    assert "ack=1 (0 + 1)" in out and "5001" not in out


def test_the_screen_shows_relative_tcb_variables():
    screen = Screen.of(load("three_way_handshake").run(), True)
    server = screen.views_at(len(screen.steps))["server"]
    assert (screen.shown(server, "snd_una"), screen.shown(server, "rcv_nxt")) == (1, 1)
    assert screen.shown(server, "iss") == 5000  # the ISN itself is the base: shown as it is


def test_pcapng_comments_follow_the_flag():
    trace = load("three_way_handshake").run()
    absolute = [p.comments[0].decode() for p in packets(trace)]
    relative = [p.comments[0].decode() for p in packets(trace, relative=True)]
    assert any("ack=5001" in c for c in absolute)
    assert not any("5001" in c for c in relative) and any("ack=1 (0 + 1)" in c for c in relative)


def test_run_json_relative_writes_relative_sentences_and_says_so(capsys):
    main(["run", "three_way_handshake", "--json", "--relative"])
    text = capsys.readouterr().out
    data = json.loads(text)
    assert data["relative"] is True
    explanations = " ".join(e["explanation"] for e in data["events"])
    assert "ack=1 (0 + 1)" in explanations
    ack = [e for e in data["events"] if e["kind"] == "send"][-1]["segment"]
    assert ack["ack"] == 5001  # the segment keeps the number on the wire
    assert Trace.from_json(text).events[-1].explanation == data["events"][-1]["explanation"]
    main(["run", "three_way_handshake", "--json"])
    assert "relative" not in json.loads(capsys.readouterr().out)
