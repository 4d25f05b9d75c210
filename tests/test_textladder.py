"""The text ladder fits the terminal, names a fast retransmission, and goes onto slides (issue 24, item 6)."""

import os
import re
import subprocess
import sys

import markdown
import pytest

from simulator import builtin_names, load
from simulator.present.slides import SlideFormat, render_slides
from simulator.present.textladder import render


@pytest.mark.parametrize("width", [60, 80, 100, 132])
def test_no_line_of_any_ladder_is_wider_than_the_terminal(width):
    for name in builtin_names():
        for verbose in (False, True):
            text = render(load(name).run(), width=width, verbose=verbose)
            wide = [line for line in text.splitlines() if len(line) > width]
            assert wide == [], f"{name}: {wide[:2]}"


def test_tcpsim_run_follows_the_columns_variable():
    env = {**os.environ, "COLUMNS": "80"}
    out = subprocess.run(
        [sys.executable, "-m", "simulator", "run", "zero_window"], capture_output=True, text=True, env=env, check=True
    ).stdout
    assert max(len(line) for line in out.splitlines()) <= 80
    wide = subprocess.run(
        [sys.executable, "-m", "simulator", "run", "zero_window"],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "140"},
        check=True,
    ).stdout
    assert max(len(line) for line in wide.splitlines()) > 100  # the room is used when there is room


def test_a_wide_terminal_keeps_every_label_whole():
    text = render(load("fast_retransmit").run(), width=132, explain=False)
    assert "SYN seq=1000 win=65535 <mss 1000>" in text and "…" not in text


def test_a_narrow_terminal_sheds_options_before_cutting_numbers():
    text = render(load("three_way_handshake").run(), width=72, explain=False)
    assert "SYN,ACK seq=5000 ack=1001" in text


def test_a_fast_retransmission_is_named_as_such():
    text = render(load("fast_retransmit").run(), width=100, explain=False)
    assert "(fast retransmission)" in text
    assert "(fast retransmission)" not in render(load("lost_data_retransmit").run(), width=100, explain=False)


def _table_rows(md_text):
    html = markdown.markdown(md_text, extensions=["tables"])
    return [re.findall(r"<t[dh][^>]*>", row) for row in re.findall(r"<tr>.*?</tr>", html, re.S)]


def test_a_third_endpoints_lines_in_the_right_column_carry_its_name():
    """many_clients: the right column is client's; server#2's state changes, arrivals and application
    calls there say whose they are, as its arrows do."""
    text = render(load("many_clients").run(), explain=False, width=120)
    moves = [line for line in text.splitlines() if "CLOSED -> LISTEN" in line]
    assert [line.split()[1] for line in moves] == ["CLOSED", "server#2:", "server#3:"]
    assert any("server#2 arrives: SYN" in line and line.endswith("-> [LISTEN]") for line in text.splitlines())
    assert not any(line.strip().endswith("client: SYN-SENT -> ESTABLISHED") for line in text.splitlines())


@pytest.mark.parametrize("name", ["three_way_handshake", "fast_retransmit", "lost_syn", "zero_window"])
def test_the_markdown_ladder_is_a_table_with_one_row_per_step(name):
    for brief in (False, True):
        text = render_slides(load(name).run(), SlideFormat.MARKDOWN, explain=not brief)
        rows = _table_rows(text)
        columns = 4 if brief else 5
        assert len(rows) == text.count("\n| ") - 1  # the header and every body row (not the alignment row)
        assert all(len(cells) == columns for cells in rows)
        assert "<mss" not in markdown.markdown(text, extensions=["tables"])  # escaped, not an HTML tag


def test_the_markdown_ladder_points_each_arrow_the_way_the_segment_travels():
    text = render_slides(load("three_way_handshake").run(), SlideFormat.MARKDOWN, explain=False)
    assert "`SYN seq=1000 win=65535 <mss 1460>` →" in text
    assert "← `SYN,ACK seq=5000 ack=1001 win=65535 <mss 1460>`" in text
    assert "CLOSED → SYN-SENT" in text


def test_the_latex_ladder_is_a_balanced_tabular_with_escaped_text():
    text = render_slides(load("lost_syn").run(), SlideFormat.LATEX)
    body = [line for line in text.splitlines() if line.endswith("\\\\")]
    assert text.count("\\begin{tabular}") == text.count("\\end{tabular}") == 1
    assert all(line.count(" & ") == 4 for line in body)  # five columns in every row
    assert "lost\\_syn" in text and "\\textless{}mss 1460\\textgreater{}" in text
    assert "$\\times$" in text  # the lost SYN
    table = text.split("\n", 1)[1]  # after the comment line
    unescaped = re.sub(r"\\[a-zA-Z]+(\{\})?|\\[&%$#_{}]|\$[^$]*\$|\{|\}", "", table)
    assert not re.search(r"[&%#_<>]", unescaped.replace(" & ", " ")), "an unescaped special character"


def test_run_format_and_json_together_is_one_clear_error():
    result = subprocess.run(
        [sys.executable, "-m", "simulator", "run", "lost_syn", "--json", "--format", "latex"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "--format" in result.stderr


def test_a_slide_names_a_third_endpoints_cells_and_the_ends_of_its_segments():
    table = render_slides(load("many_clients").run(), SlideFormat.MARKDOWN)
    assert "client2 → server#2: SYN seq=2000" in table
    assert "| server#2: CLOSED → LISTEN |" in table
    assert "client → server" not in table  # the two columns' own segments need no names
