"""The RFC 9293 state diagram, drawn from the transition table, with each endpoint's path lit up."""

from __future__ import annotations

from dataclasses import dataclass

from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from ...model.states import TRANSITIONS, State, Transition
from ...sim.trace import EventKind, Trace
from .style import FONT, MUTED, colour, line_style

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


def figure(trace: Trace | None = None) -> Figure:
    """The state diagram; with a trace, each endpoint's path in its own colour and line style."""
    fig = Figure(figsize=(11, 12.5))
    ax = fig.add_axes((0.01, 0.01, 0.98, 0.93))
    ax.set_xlim(-0.9, 5.7)
    ax.set_ylim(10.1, -0.7)
    ax.axis("off")
    title = "RFC 9293 connection states"
    if trace is not None:
        title += f": the path of {trace.scenario}"
    fig.text(0.5, 0.985, title, ha="center", va="top", fontsize=13, fontweight="bold", family=FONT["family"])
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
    for t in TRANSITIONS:
        pair = (node(t.source), node(t.target, t.source))
        if t.main or pair in used:
            _transition(ax, t, pair, boxes, dim=bool(taken))
    for i, name in enumerate(names):
        for p in (p for p in taken if p.endpoint == name):
            pair = (node(p.source), node(p.target, p.source))
            _path_arrow(ax, pair, i, p.order, boxes, offset=0.07 * (i - (len(names) - 1) / 2))
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
        ax.text(
            x, y, n.strip(), ha="center", va="center", fontsize=10, fontweight="bold", zorder=4, family=FONT["family"]
        )
    legend_y = 9.95
    for i, name in enumerate(names[:6]):
        ax.annotate(
            "",
            xy=(-0.4 + 1.5 * i, legend_y),
            xytext=(-0.85 + 1.5 * i, legend_y),
            arrowprops={"arrowstyle": "-|>", "color": colour(i), "lw": 2.4, "ls": line_style(i)},
        )
        ax.text(
            -0.35 + 1.5 * i,
            legend_y,
            name,
            va="center",
            fontsize=10,
            color=colour(i),
            fontweight="bold",
            family=FONT["family"],
        )
    ax.text(
        5.65,
        legend_y,
        "numbers: the order of the moves;  grey: RFC 9293 Figure 5;  dashed: resets, time-outs",
        ha="right",
        va="center",
        fontsize=8,
        color=MUTED,
        family=FONT["family"],
    )
    return fig


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


def _transition(ax: object, t: Transition, pair: tuple[str, str], boxes: dict[str, FancyBboxPatch], dim: bool) -> None:
    from matplotlib.axes import Axes

    assert isinstance(ax, Axes)
    (x0, y0), (x1, y1) = _edge(pair)
    if pair[0] == pair[1]:
        return
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
        return
    label = t.event + (f"\n{t.action}" if t.action else "")
    xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
    dx, dy = x1 - x0, y1 - y0
    xm += -dy * rad * 0.5
    ym += dx * rad * 0.5
    xm, ym = _LABEL_AT.get(pair, (xm, ym))
    ax.text(
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


def _path_arrow(
    ax: object, pair: tuple[str, str], i: int, order: int, boxes: dict[str, FancyBboxPatch], offset: float
) -> None:
    from matplotlib.axes import Axes

    assert isinstance(ax, Axes)
    if pair[0] == pair[1]:
        return
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
    t = 0.3 + 0.1 * i
    xm, ym = x0 + (x1 - x0) * t + offset, y0 + (y1 - y0) * t + offset
    ax.text(
        xm - (y1 - y0) * rad * 0.4,
        ym + (x1 - x0) * rad * 0.4,
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
