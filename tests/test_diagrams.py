"""Diagrams: what the ladder, state and time-sequence layouts compute, and files that never drift."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from simulator import Flags, State, load

matplotlib = pytest.importorskip("matplotlib", reason="diagrams need matplotlib (pip install -e '.[plot]')")

from simulator.present.plot import KINDS, draw, save  # noqa: E402
from simulator.present.plot.ladder import layout  # noqa: E402
from simulator.present.plot.statediagram import node, paths  # noqa: E402
from simulator.present.plot.timeseq import series  # noqa: E402

ROOT = Path(__file__).parent.parent


def test_a_lost_segment_stops_half_way_and_its_retransmission_is_marked():
    lay = layout(load("lost_syn").run())
    labels = [(a.label, a.lost, a.retransmission) for a in lay.arrows]
    assert labels == [
        ("SYN seq=1000", True, False),
        ("SYN seq=1000", False, True),
        ("SYN,ACK seq=5000 ack=1001", False, False),
        ("ACK seq=1001 ack=5001", False, False),
    ]
    assert [b.text for b in lay.brackets] == ["RTO 1 s"]
    assert len(lay.breaks) == 1 and lay.breaks[0][1] == pytest.approx(1.0)


def test_arrows_slope_down_and_rows_never_overlap():
    for name in ("data_transfer", "many_clients", "zero_window"):
        lay = layout(load(name).run())
        assert all(a.y1 > a.y0 for a in lay.arrows)
        starts = [a.y0 for a in lay.arrows if not a.duplicate]
        assert starts == sorted(starts) and len(set(starts)) == len(starts)


def test_a_duplicated_segment_gets_a_second_arrow():
    lay = layout(load("duplicate_segment").run())
    assert sum(a.duplicate for a in lay.arrows) == 1


def test_states_are_written_beside_their_line_and_time_wait_is_bracketed():
    lay = layout(load("graceful_close").run())
    client = [m.text for m in lay.marks if m.endpoint == "client"]
    assert client == ["SYN-SENT", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT", "CLOSED"]
    assert any(b.text.startswith("TIME-WAIT") and b.endpoint == "client" for b in lay.brackets)


def test_relative_labels_in_the_ladder():
    lay = layout(load("three_way_handshake").run(), relative=True)
    assert [a.label for a in lay.arrows] == ["SYN seq=0", "SYN,ACK seq=0 ack=1", "ACK seq=1 ack=1"]


def test_the_state_diagram_follows_each_endpoint_in_order():
    steps = paths(load("graceful_close").run())
    client = [(p.source, p.target) for p in steps if p.endpoint == "client"]
    assert client[0] == (State.CLOSED, State.SYN_SENT)
    assert client[-1] == (State.TIME_WAIT, State.CLOSED)
    assert node(State.CLOSED, State.TIME_WAIT) == "CLOSED "  # the bottom box, as in RFC 9293 Figure 5
    assert node(State.CLOSED) == "CLOSED"


def test_the_time_sequence_graph_shows_the_loss_and_the_retransmission():
    ts = series(load("fast_retransmit").run())
    assert ts.sender == "client"
    assert [(a, b) for _, a, b, again in ts.sent if again] == [(1001, 2001)]
    assert [(a, b) for _, a, b in ts.lost] == [(1001, 2001)]
    assert max(a for _, a in ts.acks) == 5002


@pytest.mark.parametrize("kind", [*KINDS, "cwnd"])
def test_the_same_run_gives_the_same_svg_bytes(tmp_path, kind):
    trace = load("lost_syn_ack").run()
    a, b = tmp_path / "a.svg", tmp_path / "b.svg"
    save(draw(kind, trace), a)
    save(draw(kind, trace), b)
    assert a.read_bytes() == b.read_bytes()
    assert b"<dc:date>" not in a.read_bytes()


@pytest.mark.slow
def test_the_diagram_command_writes_svg_png_and_pdf_and_refuses_other_names(tmp_path):
    for suffix in (".svg", ".png", ".pdf"):
        out = tmp_path / f"d{suffix}"
        result = subprocess.run(
            [sys.executable, "-m", "simulator", "diagram", "lost_syn", "--kind", "timeseq", "-o", str(out)],
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, result.stderr
        assert out.stat().st_size > 1000
    bad = subprocess.run(
        [sys.executable, "-m", "simulator", "diagram", "lost_syn", "-o", str(tmp_path / "d.gif")],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2 and "must end in .svg, .png or .pdf" in bad.stderr


@pytest.mark.slow
def test_the_diagrams_folder_is_up_to_date(tmp_path):
    committed = ROOT / "diagrams"
    index = (committed / "README.md").read_text()
    made_with = re.search(r"matplotlib ([\d.]+)", index)
    assert made_with is not None
    if made_with.group(1) != matplotlib.__version__:
        pytest.skip(f"diagrams/ was drawn with matplotlib {made_with.group(1)}, this is {matplotlib.__version__}")
    from simulator.present.gallery import write_gallery

    fresh = write_gallery(tmp_path)
    stale = [p.name for p in fresh if (committed / p.name).read_bytes() != p.read_bytes()]
    assert not stale, f"diagrams/ is out of date (run: tcpsim diagrams --out diagrams/): {stale[:5]}"
    assert {p.name for p in committed.iterdir()} == {p.name for p in fresh}


def test_zero_window_probes_are_marked_in_the_time_sequence_graph():
    ts = series(load("zero_window").run())
    assert ts.probes and ts.probes[0][1] == 2001  # one byte after the SYN (0) and the 2000 bytes sent (1..2000)


def test_a_segment_to_a_listeners_port_points_at_the_connection_it_reached():
    """many_clients: the listener's port is shared by server, server#2 and server#3; each client's SYN is
    drawn to the connection that took it, not to the first endpoint at that port."""
    arrows = layout(load("many_clients").run()).arrows
    syns = {a.sender: a.receiver for a in arrows if a.segment.flags == Flags.SYN}
    assert syns == {"client": "server", "client2": "server#2", "client3": "server#3"}
