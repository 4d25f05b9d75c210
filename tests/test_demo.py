"""The step-through demo, used as a person would: in a terminal, with keys."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from simulator import load
from simulator.present.demo import Screen, correct, questions

pexpect = pytest.importorskip(
    "pexpect", reason="pexpect drives the demo in a pseudo-terminal (pip install -e '.[dev]')"
)

RIGHT = "\x1b[C"
LEFT = "\x1b[D"


def spawn(*args: str, rows: int = 24, cols: int = 80, env: dict[str, str] | None = None) -> pexpect.spawn:
    child = pexpect.spawn(
        sys.executable,
        ["-m", "simulator", "demo", *args],
        dimensions=(rows, cols),
        encoding="utf-8",
        timeout=10,
        env={**os.environ, **(env or {})},
    )
    return child


def test_each_key_press_reveals_one_more_step_and_keys_go_back_and_restart():
    child = spawn("three_way_handshake")
    child.expect("step 0/13")
    child.expect("the lesson")
    child.send("\r")
    child.expect("step 1/13")
    child.send(" ")
    child.expect("step 2/13")
    child.send(RIGHT)
    child.expect("step 3/13")
    child.expect("SYN seq=1000")
    child.expect("its SYN carries its initial sequence number")
    child.send(LEFT)
    child.expect("step 2/13")
    child.send("b")
    child.expect("step 1/13")
    child.send("r")
    child.expect("step 0/13")
    child.send("q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_the_end_of_the_run_is_announced_and_the_tcb_panel_marks_changes():
    child = spawn("three_way_handshake")
    child.expect("step 0/13")
    for _ in range(13):
        child.send(" ")
    child.expect("step 13/13")
    child.expect(r"server (\x1b\[[0-9;]*m)*ESTABLISHED")  # the endpoint panel
    child.expect("end of the run")
    child.send("q")
    child.expect(pexpect.EOF)


def test_without_colour_the_screen_has_no_colour_codes_but_marks_changes_with_a_star():
    child = spawn("three_way_handshake", env={"NO_COLOR": "1", "TERM": "xterm-256color"})
    child.expect("step 0/13")
    for _ in range(2):
        child.send(" ")
    child.expect("step 2/13")
    child.expect(r"SND\.NXT (\x1b\[[0-9;]*m)*1001\*")
    child.send("q")
    child.expect(pexpect.EOF)
    assert "\x1b[3" not in (child.before or "")  # no foreground colours


def test_no_pause_prints_every_step_and_exits():
    out = subprocess.run([sys.executable, "-m", "simulator", "demo", "--no-pause"], capture_output=True, text=True)
    assert out.returncode == 0
    assert " 13/13 " in out.stdout
    assert "client ── SYN seq=1000 ──▶ server" in out.stdout


def test_a_demo_whose_input_is_not_a_terminal_behaves_like_no_pause():
    out = subprocess.run(
        [sys.executable, "-m", "simulator", "demo", "lost_syn"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert out.returncode == 0
    assert "✗ lost" in out.stdout and "(again)" in out.stdout


def test_relative_numbers_in_the_demo():
    out = subprocess.run(
        [sys.executable, "-m", "simulator", "demo", "--no-pause", "--relative"], capture_output=True, text=True
    )
    assert "SYN,ACK seq=0 ack=1" in out.stdout


def test_the_quiz_asks_four_questions_per_segment():
    screen = Screen.of(load("three_way_handshake").run(), relative=False)
    qs = questions(screen)
    assert [q.what for q in qs[:4]] == ["flags", "seq", "ack", "state"]
    assert [q.answer for q in qs] == [
        "SYN",
        "1000",
        "-",
        "SYN-SENT",
        "SYN,ACK",
        "5000",
        "1001",
        "SYN-RECEIVED",
        "ACK",
        "1001",
        "5001",
        "ESTABLISHED",
    ]


@pytest.mark.parametrize(
    ("what", "answer", "given", "right"),
    [
        ("flags", "SYN,ACK", "SA", True),
        ("flags", "SYN,ACK", "S.", True),
        ("flags", "SYN,ACK", "syn ack", True),
        ("flags", "SYN,ACK", "SYN", False),
        ("ack", "-", "none", True),
        ("ack", "1001", "1001", True),
        ("state", "SYN-RECEIVED", "syn_received", True),
        ("state", "SYN-RECEIVED", "established", False),
    ],
)
def test_quiz_answers_are_read_the_way_students_write_them(what, answer, given, right):
    from simulator.present.demo import Question

    assert correct(Question(0, what, "?", answer), given) is right


def test_a_quiz_marked_from_a_file_prints_the_score(tmp_path):
    answers = tmp_path / "answers.txt"
    answers.write_text("S\n1000\n-\nSYN-SENT\nSA\n5000\n1001\nSYN-RECEIVED\nA\n1001\n9999\nESTABLISHED\n")
    out = subprocess.run(
        [sys.executable, "-m", "simulator", "demo", "--quiz", "--answers", str(answers)], capture_output=True, text=True
    )
    assert out.returncode == 0
    assert "no: it is 5001." in out.stdout
    assert "Score: 11/12 (91%)" in out.stdout


def test_quiz_answers_can_come_on_standard_input():
    out = subprocess.run(
        [sys.executable, "-m", "simulator", "demo", "--quiz", "--relative"],
        input="S\n0\n-\nSYN-SENT\nSA\n0\n1\nSYN-RECEIVED\nA\n1\n1\nESTABLISHED\n",
        capture_output=True,
        text=True,
    )
    assert "Score: 12/12 (100%)" in out.stdout


def test_the_quiz_can_be_answered_in_the_terminal():
    child = spawn("--quiz")
    child.expect("Its flags")
    child.sendline("SYN")
    child.expect("right")
    for answer in ["1000", "-", "SYN-SENT", "SA", "5000", "1001", "SYN-RECEIVED", "A", "1001", "5001", "ESTABLISHED"]:
        child.expect("your answer|next segment")
        if "next segment" in child.after:
            child.sendline("")
            child.expect("your answer")
        child.sendline(answer)
    child.expect("next segment")
    child.sendline("")
    child.expect("Score: 12/12")
    child.expect(pexpect.EOF)


# ------------------------------------------------------------ the quiz, issue 24 item 2
def test_the_panel_above_a_question_never_gives_its_answer_away():
    """No sender state it moved into at the moment it sends, no SND.NXT already past the segment."""
    from simulator import builtin_names

    for name in builtin_names():
        screen = Screen.of(load(name).run(), relative=False)
        for q in questions(screen):
            if q.what != "state":
                continue
            send = screen.steps[q.step].event
            shown, views = screen.before_sending(q.step)
            assert shown <= q.step
            panel = views.get(send.endpoint)
            if panel is None:
                continue
            if not send.retransmission:
                assert panel.snd_nxt.since(send.segment.seq) <= 0, (name, q.step)
            first = q.step  # the sender's own state moves just before its segment are not shown yet
            while first > 0 and screen.steps[first - 1].event.kind == "state":
                if screen.steps[first - 1].event.endpoint != send.endpoint:
                    break
                first -= 1
            before = screen.views_at(first).get(send.endpoint)
            assert before is None or panel.state is before.state, (name, q.step, panel.state)


def test_zero_for_a_syns_ack_is_right_and_says_why():
    from simulator.present.demo import Question, remark

    question = Question(0, "ack", "?", "-")
    assert correct(question, "0")
    assert "means nothing" in remark(question, "0")
    assert remark(question, "-") == ""


def test_in_the_terminal_the_quiz_hides_the_answer_and_keeps_each_verdict_until_a_key():
    child = spawn("--quiz")
    child.expect("Its flags")
    screen = child.before
    assert "SYN-SENT" not in screen and "1001" not in screen  # the state and SND.NXT after the SYN
    child.sendline("SYN")
    child.expect("right")
    child.expect("your answer")
    child.sendline("1000")
    child.expect("your answer")
    child.sendline("0")
    child.expect("The ACK flag is off")
    child.expect("your answer")
    child.sendline("SYN-SENT")
    child.expect("its SYN carries its initial sequence number")
    child.expect(r"Enter: the next segment")
    assert "\x1b[2J" not in child.before and "\x1b[H" not in child.before  # nothing wiped the verdicts
    child.sendline("")
    child.expect("Its flags")  # the next segment's screen
    child.sendline("SA")
    child.expect("right")
    child.sendcontrol("c")
    child.expect(pexpect.EOF)


def test_segments_only_takes_a_key_press_per_segment_and_s_switches_back_keeping_the_place():
    """Issue 24, item 11: 13 key presses for a 3-segment handshake was too many."""
    child = spawn("--segments")
    child.expect("step 0/3")
    child.send(" ")
    child.expect("step 1/3")
    child.expect("SYN seq=1000")
    child.send("e")  # the end, at once
    child.expect("step 3/3")
    child.send("s")  # every step again, at the same place: the third segment is step 11
    child.expect("step 11/13")
    child.send("e")
    child.expect("step 13/13")
    child.send("s")
    child.expect("step 3/3")
    child.send("q")
    child.expect(pexpect.EOF)


def test_segments_only_without_pause():
    out = subprocess.run(
        [sys.executable, "-m", "simulator", "demo", "lost_syn", "--segments", "--no-pause"],
        capture_output=True,
        text=True,
    )
    heads = [line for line in out.stdout.splitlines() if "/4  t=" in line]
    assert len(heads) == 4 and "✗ lost" in heads[0] and "(again)" in heads[1]


def test_what_if_keys_lose_the_next_segment_or_hand_over_one_typed_in():
    child = spawn("data_transfer", "--segments", rows=40, cols=120)
    child.expect("step 0/")
    for _ in range(3):
        child.send(" ")
    child.expect("step 3/")  # the client's ACK of the SYN,ACK: its data is next
    child.send("x")
    child.expect("what if: ")
    child.expect("loses the")
    child.expect("go out again")  # the model's answer: the timer resends the bytes
    child.send("r")
    child.expect("step 0/")
    for _ in range(3):  # after the handshake again
        child.send(" ")
    child.send("i")
    child.expect("what if: to")
    child.sendline("server A 1 99999")
    child.expect("never sent|states where")  # the answer depends on what arrived first
    child.send("i")
    child.expect("what if: to")
    child.sendline("server Q 1 1")  # a flag that does not exist: one line, the demo goes on
    child.expect("what if: flags 'Q'")
    child.send("q")
    child.expect(pexpect.EOF)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("many_clients", ["client2 ── SYN seq=2000 ──▶ server#2", "server#2 ── SYN,ACK", "──▶ client2"]),
        ("two_flows_share", ["early ── SYN seq=1000 ──▶ server"]),
    ],
)
def test_each_arrow_names_the_endpoint_the_segment_reached(name, expected):
    """With more than two endpoints the receiver is not simply 'the other one': it is whoever the segment
    was delivered to (sim/steps.py receivers)."""
    screen = Screen.of(load(name).run(), relative=False)
    lines = [screen.summary(step) for step in screen.steps]
    for text in expected:
        assert any(text in line for line in lines), text
