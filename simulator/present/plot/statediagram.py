"""The RFC 9293 state diagram, drawn from the transition table, with each endpoint's path lit up."""

from __future__ import annotations

import math
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
from matplotlib.text import Text

from ...model.states import TRANSITIONS, State, Transition
from ...sim.trace import EventKind, Trace
from .placing import Placer
from .style import FONT, MUTED, Look, colour, line_style

Candidates = list[tuple[float, float, float]]

S = State
# Where each state sits: RFC 9293 Figure 5's layout.  CLOSED is drawn twice, at
# the top (before a connection) and at the bottom (after one), as the RFC does.
POSITIONS: dict[str, tuple[float, float]] = {
    "CLOSED": (2.4, 0.0),
    "LISTEN": (2.4, 1.6),
    "SYN-RECEIVED": (0.0, 3.0),
    "SYN-SENT": (4.8, 3.0),
    "ESTABLISHED": (2.4, 4.5),
    "FIN-WAIT-1": (0.0, 6.0),
    "CLOSE-WAIT": (4.8, 6.0),
    "FIN-WAIT-2": (0.0, 7.6),
    "CLOSING": (2.4, 7.6),
    "LAST-ACK": (4.8, 7.6),
    "TIME-WAIT": (1.2, 9.2),
    "CLOSED ": (4.8, 9.2),  # the bottom CLOSED
}
BOX_W, BOX_H = 1.25, 0.5
LATE = frozenset({S.ESTABLISHED, S.FIN_WAIT_1, S.FIN_WAIT_2, S.CLOSE_WAIT, S.CLOSING, S.LAST_ACK, S.TIME_WAIT})


def node(state: State, source: State | None = None) -> str:
    """The box a state is drawn in (CLOSED after a connection is the bottom box)."""
    if state is S.CLOSED and source is not None and source in LATE:
        return "CLOSED "
    return state.value


@dataclass(frozen=True, slots=True)
class PathStep:
    endpoint: str
    source: State
    target: State
    order: int


def paths(trace: Trace) -> list[PathStep]:
    """Every state change of every endpoint, in order."""
    out: list[PathStep] = []
    last: dict[str, State] = {}
    count: dict[str, int] = {}
    for event in trace.events:
        if event.kind != EventKind.STATE:
            continue
        new = event.state_after.get(event.endpoint)
        old = last.get(event.endpoint, S.CLOSED)
        if new is None:
            continue
        count[event.endpoint] = count.get(event.endpoint, 0) + 1
        out.append(PathStep(event.endpoint, old, new, count[event.endpoint]))
        last[event.endpoint] = new
    return out


def figure(trace: Trace | None = None, look: Look | None = None) -> Figure:
    """The state diagram; with a trace, each endpoint's path in its own colour and line style."""
    look = look or Look()
    fig = Figure(figsize=(look.width or 11, look.height or 12.5))
    ax = fig.add_axes((0.01, 0.01, 0.98, 0.93))
    ax.set_xlim(-0.9, 5.7)
    ax.set_ylim(10.1, -0.7)
    ax.axis("off")
    title = "RFC 9293 connection states"
    if trace is not None:
        title += f": the path of {trace.scenario}"
    fixed = [fig.text(0.5, 0.985, title, ha="center", va="top", fontsize=13, fontweight="bold", family=FONT["family"])]
    taken = paths(trace) if trace is not None else []
    names = [e.name for e in trace.endpoints] if trace is not None else []
    visited: dict[str, list[int]] = {}
    for step in taken:
        i = names.index(step.endpoint) if step.endpoint in names else 0
        for n in (node(step.source), node(step.target, step.source)):
            visited.setdefault(n, [])
            if i not in visited[n]:
                visited[n].append(i)
    used = {(node(p.source), node(p.target, p.source)) for p in taken}
    boxes: dict[str, FancyBboxPatch] = {}
    for n, (x, y) in POSITIONS.items():
        rings = visited.get(n, [])
        pad = 0.05 + 0.07 * len(rings)  # arrows stop at the outermost ring
        boxes[n] = FancyBboxPatch(
            (x - BOX_W / 2 - pad, y - BOX_H / 2 - pad),
            BOX_W + 2 * pad,
            BOX_H + 2 * pad,
            boxstyle="round,pad=0.02",
            fc="none",
            ec="none",
        )
        ax.add_patch(boxes[n])
    labels = []
    for t in TRANSITIONS:
        pair = (node(t.source), node(t.target, t.source))
        if t.main or pair in used:
            labels.append(_transition(ax, t, pair, boxes, dim=bool(taken)))
    numbers, arrows = [], []
    for i, name in enumerate(names):
        for p in (p for p in taken if p.endpoint == name):
            pair = (node(p.source), node(p.target, p.source))
            drawn = _path_arrow(ax, pair, i, p.order, boxes, offset=0.07 * (i - (len(names) - 1) / 2))
            if drawn is not None:
                arrows.append(drawn[0])
                numbers.append(drawn[1])
    for n, (x, y) in POSITIONS.items():
        rings = visited.get(n, [])
        ax.add_patch(
            FancyBboxPatch(
                (x - BOX_W / 2, y - BOX_H / 2),
                BOX_W,
                BOX_H,
                zorder=3,
                fc="white",
                ec="black",
                lw=1.0,
                boxstyle="round,pad=0.02,rounding_size=0.08",
            )
        )
        for k, i in enumerate(rings):  # one ring per endpoint that passed through
            pad = 0.05 + 0.07 * k
            ax.add_patch(
                FancyBboxPatch(
                    (x - BOX_W / 2 - pad, y - BOX_H / 2 - pad),
                    BOX_W + 2 * pad,
                    BOX_H + 2 * pad,
                    boxstyle="round,pad=0.02,rounding_size=0.1",
                    fc="none",
                    ec=colour(i),
                    lw=2.4,
                    ls=line_style(i),
                    zorder=3,
                )
            )
        fixed.append(
            ax.text(
                x,
                y,
                n.strip(),
                ha="center",
                va="center",
                fontsize=10,
                fontweight="bold",
                zorder=4,
                family=FONT["family"],
            )
        )
    legend_y = 9.95
    spacing = min(1.5, 6.5 / max(len(names[:6]), 1))  # the legend spans the width, however many endpoints
    for i, name in enumerate(names[:6]):
        ax.annotate(
            "",
            xy=(-0.4 + spacing * i, legend_y),
            xytext=(-0.85 + spacing * i, legend_y),
            arrowprops={"arrowstyle": "-|>", "color": colour(i), "lw": 2.4, "ls": line_style(i)},
        )
        fixed.append(
            ax.text(
                -0.35 + spacing * i,
                legend_y,
                name + " (numbers: the order of its moves)" * (len(names) == 1),
                va="center",
                fontsize=10,
                color=colour(i),
                fontweight="bold",
                family=FONT["family"],
            )
        )
    key = "thin grey: RFC 9293 Figure 5 (grey dashed: resets and time-outs)"
    if names:
        key = "coloured: each endpoint's path, in its own colour and line; numbers: the order of its moves\n" + key
    fixed.append(fig.text(0.5, 0.962, key, ha="center", va="top", fontsize=8, color=MUTED, family=FONT["family"]))
    look.apply_fonts(fig)
    _declutter(fig, ax, fixed, boxes, arrows, numbers, labels)
    return fig


def _declutter(
    fig: Figure,
    ax: Axes,
    fixed: list[Text],
    boxes: dict[str, FancyBboxPatch],
    arrows: list[FancyArrowPatch],
    numbers: list[tuple[Text, Candidates]],
    labels: list[tuple[Text, Candidates] | None],
) -> None:
    """The order numbers on their arrows, then the transition labels clear of them, of the
    boxes and of the endpoints' paths (no path runs through a label)."""
    placer = Placer(fig)
    for text in fixed:
        placer.block(text)
    for box in boxes.values():
        placer.block_extent(box.get_window_extent(placer.renderer))
    for text, candidates in numbers:
        placer.place(text, candidates)
    for arrow in arrows:
        placer.block_line(arrow.get_transform().transform_path(arrow.get_path()))
    for item in labels:
        if item is not None:
            placer.place(*item)


def _edge(pair: tuple[str, str]) -> tuple[tuple[float, float], tuple[float, float]]:
    (x0, y0), (x1, y1) = POSITIONS[pair[0]], POSITIONS[pair[1]]
    return (x0, y0), (x1, y1)


_RAD = {
    ("CLOSED", "LISTEN"): 0.35,
    ("LISTEN", "CLOSED"): 0.35,
    ("CLOSED", "SYN-SENT"): -0.35,
    ("SYN-SENT", "CLOSED"): -0.2,
    ("LISTEN", "SYN-SENT"): 0.0,
    ("LISTEN", "SYN-RECEIVED"): 0.0,
    ("SYN-SENT", "SYN-RECEIVED"): 0.0,
    ("SYN-RECEIVED", "LISTEN"): 0.35,
    ("FIN-WAIT-1", "TIME-WAIT"): 0.3,
    ("SYN-RECEIVED", "FIN-WAIT-1"): 0.0,
    ("CLOSE-WAIT", "LAST-ACK"): 0.0,
    ("FIN-WAIT-1", "FIN-WAIT-2"): 0.0,
    ("TIME-WAIT", "CLOSED "): 0.0,
}


# Where a few labels go instead of the middle of their arrow (crowded spots).
_LABEL_AT = {("SYN-SENT", "CLOSED"): (4.15, 1.45), ("CLOSED", "SYN-SENT"): (4.55, 0.75)}


def _transition(
    ax: Axes, t: Transition, pair: tuple[str, str], boxes: dict[str, FancyBboxPatch], dim: bool
) -> tuple[Text, Candidates] | None:
    (x0, y0), (x1, y1) = _edge(pair)
    if pair[0] == pair[1]:
        return None
    rad = _RAD.get(pair, 0.12)
    arrow = FancyArrowPatch(
        (x0, y0),
        (x1, y1),
        connectionstyle=f"arc3,rad={rad}",
        arrowstyle="-|>",
        mutation_scale=13,
        color="#999999" if dim else "#555555",
        lw=1.1,
        ls="-" if t.main else (0, (4, 3)),
        patchA=boxes[pair[0]],
        patchB=boxes[pair[1]],
        shrinkA=2,
        shrinkB=2,
        zorder=1,
    )
    ax.add_patch(arrow)
    if not t.main:
        return None
    label = t.event + (f"\n{t.action}" if t.action else "")
    xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
    dx, dy = x1 - x0, y1 - y0
    xm += -dy * rad * 0.5
    ym += dx * rad * 0.5
    xm, ym = _LABEL_AT.get(pair, (xm, ym))
    text = ax.text(
        xm,
        ym,
        label,
        ha="center",
        va="center",
        fontsize=7.5,
        color="#444444",
        zorder=2,
        linespacing=1.1,
        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.9},
        family=FONT["family"],
    )
    length = math.hypot(dx, dy) or 1.0
    nx, ny = -dy / length, dx / length  # across the arrow
    candidates = [(xm, ym, 0.0)] + [
        (xm + (dx * f) + nx * d, ym + (dy * f) + ny * d, 0.0)
        for d in (0.28, -0.28, 0.42, -0.42, 0.6, -0.6, 0.8, -0.8, 1.2, -1.2, 1.6, -1.6)
        for f in (0.0, -0.12, 0.12, -0.25, 0.25)
    ]
    return text, candidates


def _path_arrow(
    ax: Axes, pair: tuple[str, str], i: int, order: int, boxes: dict[str, FancyBboxPatch], offset: float
) -> tuple[FancyArrowPatch, tuple[Text, Candidates]] | None:
    if pair[0] == pair[1]:
        return None
    (x0, y0), (x1, y1) = _edge(pair)
    rad = _RAD.get(pair, 0.12)
    arrow = FancyArrowPatch(
        (x0 + offset, y0 + offset),
        (x1 + offset, y1 + offset),
        connectionstyle=f"arc3,rad={rad}",
        arrowstyle="-|>",
        mutation_scale=16,
        color=colour(i),
        lw=2.6,
        ls=line_style(i),
        patchA=boxes[pair[0]],
        patchB=boxes[pair[1]],
        shrinkA=2,
        shrinkB=2,
        zorder=5,
        alpha=0.9,
    )
    ax.add_patch(arrow)
    text = ax.text(
        0,
        0,
        str(order),
        ha="center",
        va="center",
        fontsize=8,
        color="white",
        fontweight="bold",
        zorder=6,
        bbox={"boxstyle": "circle,pad=0.2", "fc": colour(i), "ec": "none"},
        family=FONT["family"],
    )
    candidates = []
    for t in (0.3 + 0.1 * i, 0.4, 0.22, 0.5, 0.6, 0.7, 0.15):
        # on the arc: arc3 bends by rad * 2 t (1 - t) across the chord
        bend = 2 * t * (1 - t) * rad
        xm, ym = x0 + (x1 - x0) * t + offset, y0 + (y1 - y0) * t + offset
        candidates.append((xm - (y1 - y0) * bend, ym + (x1 - x0) * bend, 0.0))
    return arrow, (text, candidates)
