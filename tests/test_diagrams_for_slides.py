"""Diagrams fit for slides (issue 24, item 5): no label covers another, a stretch, a size, a
font size and a linear time axis on demand, legends beside the data, and every kind of
segment named."""

from __future__ import annotations

import itertools

import pytest

from simulator import builtin_names, load
from simulator.model.errors import TcpsimError
from simulator.sim.scenario import parse

matplotlib = pytest.importorskip("matplotlib", reason="diagrams need matplotlib (pip install -e '.[plot]')")

from simulator.present.plot import KINDS, Bound, Look, draw  # noqa: E402
from simulator.present.plot.ladder import layout  # noqa: E402
from simulator.present.plot.timeseq import series  # noqa: E402
from tests.labels import overlapping, text_boxes  # noqa: E402

THREE_LOST_SYNS = """
name = "three_lost_syns"
[network]
latency = 0.05
[[fault]]
action = "drop"
from = "client"
flags = "S"
nth = 1
count = 3
[endpoint.client]
isn = 1000
profile = "rfc"  # RFC 6298 5.5: the RTO doubles from the first retransmission
script = ["connect server"]
[endpoint.server]
isn = 5000
script = ["listen"]
"""


@pytest.mark.parametrize("kind", KINDS)
def test_no_two_labels_overlap_in_the_fast_retransmit_diagrams(kind):
    assert overlapping(draw(kind, load("fast_retransmit").run())) == []


@pytest.mark.slow
@pytest.mark.parametrize("name", builtin_names())
def test_no_two_labels_overlap_in_any_built_in_diagram(name):
    trace = load(name).run()
    for kind in KINDS:
        assert overlapping(draw(kind, trace)) == [], kind


def test_no_labels_overlap_with_a_big_font_either():
    assert overlapping(draw("ladder", load("lost_data_retransmit").run(), look=Look(font_size=12))) == []


def test_a_fast_retransmission_and_duplicate_acks_are_named_in_the_ladder():
    lay = layout(load("fast_retransmit").run())
    assert [a.fast for a in lay.arrows if a.retransmission] == [True]
    assert sum(a.dupack for a in lay.arrows) == 3
    texts = [t for t, _ in text_boxes(draw("ladder", load("fast_retransmit").run()))]
    assert any("[fast retransmission]" in t for t in texts)
    assert sum("duplicate ACK" in t for t in texts) == 3
    timer = [t for t, _ in text_boxes(draw("ladder", load("lost_data_retransmit").run()))]
    assert any("[retransmission]" in t for t in timer) and not any("fast" in t for t in timer)


def test_the_time_sequence_graph_marks_duplicate_acks_and_names_the_fast_retransmission():
    ts = series(load("fast_retransmit").run())
    assert [a for _, a in ts.dupacks] == [1001, 1001, 1001]
    assert len(ts.fast) == 1
    legend = draw("timeseq", load("fast_retransmit").run()).axes[0].get_legend()
    words = [t.get_text() for t in legend.get_texts()]
    assert any(w.startswith("fast retransmission") for w in words)
    assert any(w.startswith("duplicate ACK") for w in words)


@pytest.mark.parametrize("name", ["fast_retransmit", "zero_window", "lost_syn"])
def test_the_time_sequence_legend_lies_outside_the_data(name):
    fig = draw("timeseq", load(name).run())
    fig.canvas.draw()
    ax = fig.axes[0]
    legend = ax.get_legend().get_window_extent()
    assert not legend.overlaps(ax.get_window_extent())


def test_the_state_diagram_paths_never_run_through_a_transition_label():
    fig = draw("states", load("graceful_close").run())
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    paths = [p for p in ax.patches if type(p).__name__ == "FancyArrowPatch" and p.get_linewidth() > 2]
    labels = [t for t in ax.texts if "\n" in t.get_text() or t.get_text().startswith(("rcv", "CLOSE", "SEND"))]
    assert paths and labels
    for label in labels:
        box = label.get_window_extent(renderer)
        crossing = [p for p in paths if p.get_transform().transform_path(p.get_path()).intersects_bbox(box, False)]
        assert crossing == [], label.get_text()


def test_the_state_diagram_legend_does_not_contradict_the_endpoints_dashed_lines():
    fig = draw("states", load("graceful_close").run())
    texts = " ".join(t.get_text() for t in fig.texts + fig.axes[0].texts)
    assert "grey dashed: resets and time-outs" in texts
    assert "dashed: resets" not in texts.replace("grey dashed: resets", "")


def test_from_and_to_draw_only_that_stretch():
    trace = load("fast_retransmit").run()
    whole = layout(trace)
    look = Look(start=Bound.parse("0.2"), end=Bound.parse("0.3s"))
    part = layout(trace, span=look.span(trace))
    assert 0 < len(part.arrows) < len(whole.arrows)
    assert all(0.2 <= a.t0 <= 0.3 for a in part.arrows)
    steps = Look(start=Bound.parse("step:1"), end=Bound.parse("step:6"))
    first = layout(trace, span=steps.span(trace))
    assert [a.label for a in first.arrows] == ["SYN seq=1000"]


def test_a_segment_still_on_its_way_where_the_stretch_ends_is_not_drawn_as_lost():
    trace = load("three_way_handshake").run()
    lay = layout(trace, span=Look(end=Bound.parse("0.0")).span(trace))
    (syn,) = lay.arrows
    assert syn.cut and not syn.lost


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [("step:999", None, "past the end"), ("0.1", "0.05", "comes after"), (None, "-1", "outside the run")],
)
def test_a_stretch_outside_the_run_is_one_clear_error(start, end, message):
    look = Look(start=Bound.parse(start) if start else None, end=Bound.parse(end) if end else None)
    with pytest.raises(TcpsimError, match=message):
        look.span(load("three_way_handshake").run())


def test_a_bound_that_is_neither_a_time_nor_a_step_is_refused():
    with pytest.raises(TcpsimError, match="neither a time"):
        Bound.parse("soon")


def test_width_height_and_font_size_are_what_was_asked():
    trace = load("three_way_handshake").run()
    for kind in KINDS:
        fig = draw(kind, trace, look=Look(width=10, height=5.625))
        assert tuple(fig.get_size_inches()) == (10, 5.625)
    small = max(t.get_fontsize() for t in draw("ladder", trace).findobj(matplotlib.text.Text))
    big = max(t.get_fontsize() for t in draw("ladder", trace, look=Look(font_size=16)).findobj(matplotlib.text.Text))
    assert big == pytest.approx(2 * small)


def test_a_linear_time_axis_shows_the_rto_doubling():
    trace = parse(THREE_LOST_SYNS).run()
    sends = [t for _, t in layout(trace).ticks]
    assert len(sends) >= 4  # three lost SYNs, the one that arrives, and the rest

    def gaps(lay):
        ys = [y for y, _ in lay.ticks[:4]]
        return [b - a for a, b in itertools.pairwise(ys)]

    cut = gaps(layout(trace))
    linear = gaps(layout(trace, linear=True))
    assert max(cut) < 1.5 * min(cut)  # 1, 2 and 4 s look alike when quiet stretches are cut
    # the retransmissions at 1, 3 and 7 s: 2 s and then 4 s apart, drawn 1 : 2
    assert linear[2] == pytest.approx(2 * linear[1], rel=0.02)
    assert linear[1] > linear[0]
