"""The ladder (sequence) diagram: time runs down, one line per endpoint, an arrow per segment."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.text import Text

from ...model.keys import CongestionKey, SendKey
from ...model.segment import Segment
from ...model.states import State
from ...sim.steps import FATES, receivers
from ...sim.trace import EventKind, Trace, TraceEvent
from .placing import Placer
from .style import FONT, LOST, MUTED, Look, colour, line_style

ROW = 1.0  # the smallest vertical step between two things drawn
MAX_IDLE = 5.0  # rows at most for a quiet stretch; longer ones get a marked break
LINEAR_ROWS = 45.0  # about how tall a ladder with a linear time axis is, in rows


@dataclass(slots=True)
class Arrow:
    """One segment on its way: from (sender, y0) to (receiver, y1)."""

    sender: str
    receiver: str
    y0: float
    y1: float
    t0: float
    t1: float | None  # None: it never arrived
    segment: Segment
    label: str
    lost: bool = False
    retransmission: bool = False
    keepalive: bool = False
    duplicate: bool = False
    old: bool = False  # injected by the scenario
    fast: bool = False  # a fast retransmission (three duplicate ACKs), not the timer's
    dupack: bool = False  # a duplicate ACK: it repeats the ack of a gap
    cut: bool = False  # still on its way where the drawing ends (--to): not lost


@dataclass(slots=True)
class Mark:
    """A state written beside an endpoint's line."""

    endpoint: str
    y: float
    text: str


@dataclass(slots=True)
class Bracket:
    """A timer drawn beside an endpoint's line, from y0 to y1."""

    endpoint: str
    y0: float
    y1: float
    text: str


@dataclass(slots=True)
class LadderLayout:
    """Everything the ladder draws, in diagram coordinates (y grows downwards)."""

    endpoints: list[str]
    arrows: list[Arrow] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    cwnd_notes: list[Mark] = field(default_factory=list)  # a reduction or phase change of cwnd, beside its sender
    brackets: list[Bracket] = field(default_factory=list)
    breaks: list[tuple[float, float]] = field(default_factory=list)  # (y, seconds skipped)
    ticks: list[tuple[float, float]] = field(default_factory=list)  # (y, time)
    height: float = 0.0


def layout(
    trace: Trace, *, relative: bool = False, span: tuple[int, int] | None = None, linear: bool = False
) -> LadderLayout:
    """Place every segment, state and timer of ``trace`` (no drawing).

    ``span``: only the events with these indexes (first, last); ``linear``: distances in time
    stay proportional (no breaks), at a scale that keeps the whole run about LINEAR_ROWS tall.
    """
    names = [e.name for e in trace.endpoints]
    lay = LadderLayout(names)
    reached = receivers(trace)  # whom each segment was delivered to
    first, last = span if span is not None else (0, len(trace.events) - 1)
    latencies = _latencies(trace)
    scale = 3 * ROW / (min(latencies) if latencies else 0.05)  # a typical arrow spans three rows
    shown = [e.time for e in trace.events[first : last + 1]]
    if linear and shown and shown[-1] > shown[0]:
        scale = min(scale, LINEAR_ROWS * ROW / (shown[-1] - shown[0]))
    y = 0.0
    start_t = 0.0
    last_t: float | None = None
    waiting: list[Arrow] = []  # sent, not yet delivered
    isns: dict[str, tuple[int, int]] = {}
    timers: dict[tuple[str, str], float] = {}
    time_wait_from: dict[str, float] = {}
    rto_open: dict[str, tuple[float, float]] = {}  # endpoint -> (timer set, timer fired)
    for index, event in enumerate(trace.events):
        for name, view in event.views:
            isns[name] = (int(view.iss), int(view.irs))
        if index < first or index > last:
            continue
        if not _drawn(event):
            if event.kind == EventKind.CWND and event.key in _CWND_NOTED:
                lay.cwnd_notes.append(Mark(event.endpoint, y, _cwnd_text(event)))
            if event.kind == EventKind.TIMER_SET:
                timers[(event.endpoint, event.explanation.split(" sets ")[-1].split(",")[0])] = event.time
            if event.kind == EventKind.TIMER_FIRED and "retransmission" in event.explanation:
                # the bracket ends at the retransmission it causes, drawn next
                start = timers.get((event.endpoint, "the retransmission timer (RTO)"), event.time)
                rto_open[event.endpoint] = (start, event.time)
            continue
        t = event.time
        if last_t is not None and linear:  # where its time says, unless the rows before push it down
            y = max(y + (ROW if _needs_row(event) else 0.0), (t - start_t) * scale)
        elif last_t is not None:
            idle = (t - last_t) * scale
            if idle > MAX_IDLE * ROW:
                lay.breaks.append((y + MAX_IDLE * ROW / 2, t - last_t))
                idle = MAX_IDLE * ROW
            y += max(idle, ROW if _needs_row(event) else 0.0)
        else:
            start_t = t
        last_t = t
        if event.kind in (EventKind.SEND, EventKind.INJECT):
            seg = event.segment
            assert seg is not None
            arrow = Arrow(
                event.endpoint,
                reached.get(id(event)) or names[-1],
                y,
                y,
                t,
                None,
                seg,
                _label(seg, event.endpoint, isns, relative),
                retransmission=event.retransmission,
                keepalive=event.keepalive,
                old=event.kind == EventKind.INJECT,
                fast=event.key == SendKey.FAST_RETRANSMIT,
                dupack=event.key == SendKey.ACK_OUT_OF_ORDER,
            )
            lay.arrows.append(arrow)
            waiting.append(arrow)
            lay.ticks.append((y, t))
            if event.retransmission and event.endpoint in rto_open:
                started, fired = rto_open.pop(event.endpoint)
                y0 = next((ty for ty, tt in reversed(lay.ticks) if tt <= started), y)
                lay.brackets.append(Bracket(event.endpoint, y0, y, f"RTO {fired - started:g} s"))
        elif event.kind in FATES:
            for arrow in reversed(waiting):
                if arrow.segment is event.segment or arrow.segment == event.segment:
                    if event.kind == EventKind.DROP:
                        arrow.lost = True
                        arrow.y1 = arrow.y0 + _typical_span(latencies, scale)  # the slope of a normal arrow
                        waiting.remove(arrow)
                    elif event.kind == EventKind.DUPLICATE:
                        copy = replace(arrow, duplicate=True)
                        lay.arrows.append(copy)
                        waiting.append(copy)
                    break
        elif event.kind == EventKind.DELIVER and event.segment is not None:
            for arrow in waiting:
                if arrow.segment is event.segment or arrow.segment == event.segment:
                    arrow.y1, arrow.t1 = y, t
                    waiting.remove(arrow)
                    break
        elif event.kind == EventKind.STATE:
            state = event.state_after.get(event.endpoint)
            if state is not None:
                lay.marks.append(Mark(event.endpoint, y, state.value))
                if state is State.TIME_WAIT:
                    time_wait_from[event.endpoint] = y
                elif state is State.CLOSED and event.endpoint in time_wait_from:
                    start = time_wait_from.pop(event.endpoint)
                    lay.brackets.append(Bracket(event.endpoint, start, y, "TIME-WAIT (2·MSL)"))
    for arrow in waiting:  # still in flight where the drawing ends
        arrow.y1 = arrow.y0 + _typical_span(latencies, scale)
        if last < len(trace.events) - 1:
            arrow.cut = True  # the drawing stops before it arrives
        else:
            arrow.lost = True  # the run ended with it on the wire
    arrived = [a for a in lay.arrows if not (a.lost or a.cut)]
    for arrow in lay.arrows:  # a segment that never arrives slopes like its nearest neighbour that did
        if (arrow.lost or arrow.cut) and arrived:
            near = min(arrived, key=lambda a: (a.sender != arrow.sender, abs(a.y0 - arrow.y0)))
            arrow.y1 = arrow.y0 + (near.y1 - near.y0)
    lay.height = max([y] + [a.y1 for a in lay.arrows]) + 2 * ROW
    return lay


def _typical_span(latencies: list[float], scale: float) -> float:
    """How far down an arrow of the usual latency reaches."""
    if not latencies:
        return 3 * ROW
    typical = sorted(latencies)[len(latencies) // 2]
    return max(ROW, typical * scale)


# The events that take a row of their own, and all those the ladder draws.
_ROWS = frozenset({EventKind.SEND, EventKind.INJECT, EventKind.DELIVER, EventKind.STATE})
_DRAWN = _ROWS | FATES


# The cwnd changes a ladder notes (a loss's reduction, the end of a recovery, slow start's end): the
# growth by slow start and congestion avoidance is the cwnd plot's to show.
_CWND_NOTED = frozenset(
    k.value
    for k in (
        CongestionKey.FAST_RECOVERY,
        CongestionKey.FAST_RECOVERY_CUBIC,
        CongestionKey.SACK_RECOVERY,
        CongestionKey.RACK_RECOVERY,
        CongestionKey.FULL_ACK,
        CongestionKey.TIMEOUT,
        CongestionKey.TIMEOUT_CUBIC,
        CongestionKey.PROBE_REPAIRED,
        CongestionKey.HYSTART_ACK_TRAIN,
        CongestionKey.HYSTART_DELAY,
    )
)


def _cwnd_text(event: TraceEvent) -> str:
    view = event.view(event.endpoint)
    if view is None or view.cwnd is None:
        return "cwnd"
    ssthresh = "" if view.ssthresh is None else f", ssthresh {view.ssthresh}"
    return f"cwnd {view.cwnd}{ssthresh}"


def _drawn(event: TraceEvent) -> bool:
    return event.kind in _DRAWN


def _needs_row(event: TraceEvent) -> bool:
    return event.kind in _ROWS


def _latencies(trace: Trace) -> list[float]:
    sent: dict[int, float] = {}
    out = []
    for event in trace.events:
        if event.kind == EventKind.SEND and event.segment is not None:
            sent.setdefault(id(event.segment), event.time)
        elif event.kind == EventKind.DELIVER and event.segment is not None and id(event.segment) in sent:
            d = event.time - sent[id(event.segment)]
            if d > 0:
                out.append(d)
    return out


def _label(seg: Segment, sender: str, isns: dict[str, tuple[int, int]], relative: bool) -> str:
    if relative:
        own, peer = isns.get(sender, (0, 0))
        return seg.label(isn_self=own, isn_peer=peer)
    return seg.label()


# ------------------------------------------------------------------ drawing
def figure(trace: Trace, *, relative: bool = False, look: Look | None = None) -> Figure:
    """The ladder diagram of ``trace`` as a matplotlib Figure."""
    look = look or Look()
    lay = layout(trace, relative=relative, span=look.span(trace), linear=look.linear)
    names = lay.endpoints
    n = len(names)
    xs = {name: (i / (n - 1) if n > 1 else 0.5) for i, name in enumerate(names)}
    width = look.width or (8.5 if n <= 2 else 3.0 * n)
    height = look.height or max(3.5, 0.32 * lay.height * look.font_scale + 1.6)
    fig = Figure(figsize=(width, height))
    top = 1.1 * look.font_scale / height
    ax = fig.add_axes((0.02, 0.02, 0.96, 1 - 0.02 - top))
    ax.set_xlim(-0.34, 1.34)
    ax.set_ylim(lay.height, -1.0)
    ax.axis("off")
    title = f"{trace.scenario}: {trace.title}" if trace.title else trace.scenario
    fixed = [
        fig.text(
            0.5, 1 - 0.35 / height, title, ha="center", va="top", fontsize=12, fontweight="bold", family=FONT["family"]
        )
    ]
    for i, name in enumerate(names):
        x = xs[name]
        ax.plot([x, x], [-0.5, lay.height], color=colour(i), lw=2.2, ls=line_style(i), solid_capstyle="butt")
        fixed.append(
            ax.text(
                x,
                -0.7,
                name,
                ha="center",
                va="bottom",
                fontsize=11,
                fontweight="bold",
                color=colour(i),
                family=FONT["family"],
            )
        )
    for y, t in _spaced(lay.ticks):
        fixed.append(
            ax.text(-0.33, y, f"{t:.3f} s", ha="left", va="center", fontsize=7.5, color=MUTED, family=FONT["family"])
        )
    hints = []  # the "≈ 1 s later" marks: placed last, where arrows leave room
    for y, skipped in lay.breaks:
        hints.append(
            ax.text(
                0.5,
                y,
                f"≈ {skipped:.3g} s later",
                ha="center",
                va="center",
                fontsize=7.5,
                color=MUTED,
                style="italic",
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": MUTED, "lw": 0.5},
                family=FONT["family"],
            )
        )
    for mark in lay.marks:
        fixed.append(_mark(ax, mark, names, xs))
    brackets = [_bracket(ax, bracket, names, xs) for bracket in lay.brackets]
    labels = [_draw_arrow(ax, arrow, xs, names) for arrow in lay.arrows]
    look.apply_fonts(fig)
    placer = Placer(fig)
    for text in fixed:
        placer.block(text)
    for text, candidates in brackets + labels:
        placer.place(text, candidates)
    for hint in hints:
        y = hint.get_position()[1]
        placer.place_or_hide(hint, [(x, y, 0.0) for x in (0.5, 0.3, 0.7, 0.15, 0.85)])
    for note in lay.cwnd_notes:  # where there is room beside the sender's line, else left out
        text, candidates = _cwnd_note(ax, note, names, xs)
        placer.place_or_hide(text, candidates)
    return fig


def _cwnd_note(ax: Axes, note: Mark, names: list[str], xs: dict[str, float]) -> tuple[Text, Candidates]:
    """A congestion-window change beside its endpoint's line: a quieter box than a state mark, free to
    move a row or two up or down."""
    text = _beside_line(ax, note, names, xs, fontsize=7, style="italic", fc="#fff8e6", lw=0.5, ls="--")
    x, _ = text.get_position()
    return text, [(x, note.y + dy, 0.0) for dy in (0.0, ROW, -ROW, 2 * ROW, -2 * ROW)]


def _spaced(ticks: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The time ticks, one per row at most (a burst of segments sent at once gets one)."""
    out: list[tuple[float, float]] = []
    for y, t in ticks:
        if out and (y - out[-1][0] < 0.9 * ROW or t == out[-1][1]):
            continue
        out.append((y, t))
    return out


def _mark(ax: Axes, mark: Mark, names: list[str], xs: dict[str, float]) -> Text:
    return _beside_line(ax, mark, names, xs, fontsize=8, fontweight="bold", fc="white", lw=0.6)


def _beside_line(
    ax: Axes, mark: Mark, names: list[str], xs: dict[str, float], *, fc: str, lw: float, ls: str = "-", **font: Any
) -> Text:
    """``mark``'s text in a box beside its endpoint's line: to the right of the last line, to the left of
    the others, in the endpoint's colour."""
    i = names.index(mark.endpoint) if mark.endpoint in names else 0
    right = i == len(names) - 1 and len(names) > 1
    return ax.text(
        xs.get(mark.endpoint, 0.5) + (0.012 if right else -0.012),
        mark.y,
        mark.text,
        ha="left" if right else "right",
        va="center",
        color=colour(i),
        bbox={"boxstyle": "round,pad=0.15", "fc": fc, "ec": colour(i), "lw": lw, "ls": ls},
        family=FONT["family"],
        **font,
    )


Candidates = list[tuple[float, float, float]]


def _bracket(ax: Axes, bracket: Bracket, names: list[str], xs: dict[str, float]) -> tuple[Text, Candidates]:
    n = len(names)
    i = names.index(bracket.endpoint) if bracket.endpoint in names else 0
    right = i == n - 1 and n > 1
    x = xs.get(bracket.endpoint, 0.5) + (0.2 if right else -0.2)
    tick = 0.012 if right else -0.012
    ax.plot([x - tick, x, x, x - tick], [bracket.y0, bracket.y0, bracket.y1, bracket.y1], color=MUTED, lw=1)
    text = ax.text(
        0,
        0,
        bracket.text,
        rotation=90,
        ha="left" if right else "right",
        va="center",
        fontsize=7.5,
        color=MUTED,
        family=FONT["family"],
    )
    side = 0.01 if right else -0.01
    ys = [bracket.y0 + (bracket.y1 - bracket.y0) * f for f in (0.5, 0.3, 0.7, 0.15, 0.85)]
    return text, [(x + side * k, y, 90) for k in (1, 4) for y in ys]


def _draw_arrow(ax: Axes, arrow: Arrow, xs: dict[str, float], names: list[str]) -> tuple[Text, Candidates]:
    i = names.index(arrow.sender) if arrow.sender in names else 0
    x0, x1 = xs.get(arrow.sender, 0.0), xs.get(arrow.receiver, 1.0)
    y0, y1 = arrow.y0, arrow.y1
    c = LOST if arrow.old else colour(i)
    style = ":" if arrow.old else ("--" if arrow.retransmission else "-")
    if arrow.lost:  # the arrow stops half way, with a cross
        xm, ym = x0 + (x1 - x0) * 0.55, y0 + (y1 - y0) * 0.55
        ax.plot([x0, xm], [y0, ym], color=c, lw=1.4, ls=style)
        ax.plot([xm], [ym], marker="x", markersize=11, mew=2.5, color=LOST)
        # before the cross, else beyond it where the arrow would have gone
        along: tuple[float, ...] = (0.3, 0.22, 0.38, 0.15, 0.45, 0.75, 0.85, 0.65, 0.1, 0.95, 0.55, 0.05)
    elif arrow.cut:  # on its way where the drawing ends
        ax.plot([x0, x1 * 0.5 + x0 * 0.5], [y0, (y0 + y1) / 2], color=c, lw=1.4, ls=style)
        ax.plot([x0 * 0.5 + x1 * 0.5, x1], [(y0 + y1) / 2, y1], color=c, lw=1.0, ls=":")
        along = (0.3, 0.22, 0.38, 0.15, 0.45)
    else:
        ax.annotate(
            "",
            xy=(x1, y1),
            xytext=(x0, y0),
            arrowprops={
                "arrowstyle": "-|>",
                "color": c,
                "lw": 1.4,
                "ls": style,
                "shrinkA": 0,
                "shrinkB": 0,
                "mutation_scale": 12,
            },
        )
        along = (0.5, 0.38, 0.62, 0.28, 0.72, 0.2, 0.8, 0.12, 0.88)
    text = arrow.label + (f"  [{', '.join(_tags(arrow))}]" if _tags(arrow) else "")
    angle = _angle(ax, x0, y0, x1, y1)
    label = ax.text(
        0,
        0,
        text,
        rotation=angle,
        rotation_mode="anchor",
        ha="center",
        va="bottom",
        fontsize=8,
        color=c,
        transform_rotates_text=False,
        bbox={"boxstyle": "square,pad=0.05", "fc": "white", "ec": "none", "alpha": 0.85},
        family=FONT["family"],
    )
    return label, [(x0 + (x1 - x0) * f, y0 + (y1 - y0) * f, angle) for f in along]


def _tags(arrow: Arrow) -> list[str]:
    """What an arrow is besides its segment, in words."""
    extra = []
    if arrow.retransmission:
        extra.append("fast retransmission" if arrow.fast else "retransmission")
    if arrow.dupack:
        extra.append("duplicate ACK")
    if arrow.keepalive:
        extra.append("keep-alive")
    if arrow.duplicate:
        extra.append("duplicated by the network")
    if arrow.old:
        extra.append("old duplicate")
    if arrow.lost:
        extra.append("lost")
    if arrow.cut:
        extra.append("arrives later")
    return extra


def _angle(ax: Axes, x0: float, y0: float, x1: float, y1: float) -> float:
    (a, b), (c, d) = ax.transData.transform([(x0, y0), (x1, y1)])
    angle = math.degrees(math.atan2(d - b, c - a))
    if angle > 90:
        angle -= 180
    elif angle < -90:
        angle += 180
    return angle
