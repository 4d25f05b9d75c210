"""The congestion window over time: cwnd, ssthresh and flight size of every sender, recoveries marked."""

from __future__ import annotations

from dataclasses import dataclass, field

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ...model.keys import CongestionKey
from ...sim.trace import EventKind, Trace
from .style import FONT, MUTED, colour, frame, line_style

# The keys that open and close a recovery episode (model/congestion.py).
_ENTER = {CongestionKey.FAST_RECOVERY: "fast recovery", CongestionKey.FAST_RECOVERY_CUBIC: "fast recovery"}
_TIMEOUTS = {CongestionKey.TIMEOUT, CongestionKey.TIMEOUT_CUBIC, CongestionKey.TIMEOUT_AGAIN}
RECOVERY = "#E69F00"
TIMEOUT = "#D55E00"


@dataclass(slots=True)
class Window:
    """One sender's congestion variables at each of its events, and its loss episodes."""

    name: str
    times: list[float] = field(default_factory=list)
    cwnd: list[int] = field(default_factory=list)
    ssthresh: list[int | None] = field(default_factory=list)
    flight: list[int] = field(default_factory=list)
    recoveries: list[tuple[float, float]] = field(default_factory=list)  # fast recovery: (entered, left)
    timeouts: list[float] = field(default_factory=list)


def windows(trace: Trace) -> list[Window]:
    """Every endpoint that has a congestion window and sent data, in the trace's order."""
    senders = {e.endpoint for e in trace.events if e.kind == EventKind.SEND and e.segment and e.segment.payload}
    out: dict[str, Window] = {}
    entered: dict[str, float] = {}
    for e in trace.events:
        if e.endpoint not in senders:
            continue
        view = e.view(e.endpoint)
        if view is None or view.cwnd is None:
            continue
        w = out.setdefault(e.endpoint, Window(e.endpoint))
        w.times.append(e.time)
        w.cwnd.append(view.cwnd)
        w.ssthresh.append(view.ssthresh)
        w.flight.append(view.flight_size)
        if e.kind != EventKind.CWND:
            continue
        if e.key in _ENTER:
            entered[e.endpoint] = e.time
        elif e.key == CongestionKey.FULL_ACK and e.endpoint in entered:
            w.recoveries.append((entered.pop(e.endpoint), e.time))
        elif e.key in _TIMEOUTS:
            w.timeouts.append(e.time)
    for name, start in entered.items():  # still recovering when the run ended
        out[name].recoveries.append((start, out[name].times[-1]))
    order = [i.name for i in trace.endpoints]
    return sorted(out.values(), key=lambda w: order.index(w.name) if w.name in order else len(order))


def mark_episodes(ax: Axes, trace: Trace, sender: str) -> None:
    """Shade ``sender``'s fast recoveries and draw a line at each timeout (for the time-sequence graph)."""
    for w in windows(trace):
        if w.name == sender:
            _episodes(ax, w, label=True)


def _episodes(ax: Axes, w: Window, *, label: bool) -> None:
    for i, (start, end) in enumerate(w.recoveries):
        ax.axvspan(start, end, color=RECOVERY, alpha=0.18, lw=0, label="fast recovery" if label and i == 0 else None)
    for i, t in enumerate(w.timeouts):
        ax.axvline(t, color=TIMEOUT, lw=1.2, ls=":", label="retransmission timeout" if label and i == 0 else None)


def figure(trace: Trace) -> Figure:
    """cwnd (solid), ssthresh (dashed) and flight size (thin) of every sender, in bytes over time."""
    fig = Figure(figsize=(9.5, 5.8))
    ax = fig.add_axes((0.1, 0.11, 0.86, 0.78))
    found = windows(trace)
    names = [e.name for e in trace.endpoints]
    for n, w in enumerate(found):
        c = colour(names.index(w.name) if w.name in names else n)
        times = [*w.times, w.times[-1]]
        ax.step(times, [*w.cwnd, w.cwnd[-1]], where="post", color=c, lw=1.8, ls=line_style(n), label=f"{w.name} cwnd")
        known = [(t, s) for t, s in zip(w.times, w.ssthresh, strict=True) if s is not None]
        if known:
            ts, ss = zip(*known, strict=True)
            ax.step(
                [*ts, w.times[-1]],
                [*ss, ss[-1]],
                where="post",
                color=c,
                lw=1.1,
                ls="--",
                alpha=0.8,
                label=f"{w.name} ssthresh",
            )
        ax.step(
            times, [*w.flight, w.flight[-1]], where="post", color=c, lw=0.7, alpha=0.45, label=f"{w.name} flight size"
        )
        _episodes(ax, w, label=n == 0)
    if not found:
        ax.text(
            0.5,
            0.5,
            'no sender with congestion control in this run\n(congestion = "none", or no data)',
            transform=ax.transAxes,
            ha="center",
            va="center",
            color=MUTED,
            family=FONT["family"],
        )
    if found:
        ax.set_xlim(left=min(w.times[0] for w in found), right=_last_change(found) * 1.05 + 0.01)
    ax.set_xlabel("time (s)", family=FONT["family"])
    ax.set_ylabel("bytes", family=FONT["family"])
    ax.grid(True, color="#dddddd", lw=0.6)
    if found:
        ax.legend(loc="upper left", fontsize=8.5, frameon=True)
    frame(fig, ax, f"{trace.scenario}: congestion window (cwnd), ssthresh and flight size", top=0.97)
    return fig


def _last_change(found: list[Window]) -> float:
    """When the last sender's cwnd or flight size last moved: the idle tail after it is cut off."""
    last = 0.0
    for w in found:
        for i in range(1, len(w.times)):
            if (w.cwnd[i], w.flight[i]) != (w.cwnd[i - 1], w.flight[i - 1]):
                last = max(last, w.times[i])
    return last or max(w.times[-1] for w in found)
