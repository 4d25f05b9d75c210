"""The time-sequence graph (Stevens / tcptrace style) of the busier direction of a run."""

from __future__ import annotations

from dataclasses import dataclass, field

from matplotlib.figure import Figure
from matplotlib.text import Text

from ...model.keys import SendKey
from ...model.segment import Flags
from ...sim.trace import EventKind, Trace
from .cwnd import mark_episodes
from .placing import Placer
from .style import FONT, LOST, MUTED, Look, colour, frame


@dataclass(slots=True)
class TimeSeq:
    """What the graph shows, in relative sequence numbers of the sender's byte stream."""

    sender: str
    receiver: str
    sent: list[tuple[float, int, int, bool]] = field(default_factory=list)  # (time, start, end, retransmission)
    fast: list[tuple[float, int]] = field(default_factory=list)  # fast retransmissions: (time, end)
    dupacks: list[tuple[float, int]] = field(default_factory=list)  # duplicate ACKs as the sender receives them
    lost: list[tuple[float, int, int]] = field(default_factory=list)
    probes: list[tuple[float, int]] = field(default_factory=list)  # zero-window probes: (time, seq)
    acks: list[tuple[float, int]] = field(default_factory=list)  # ACKs as the sender receives them
    windows: list[tuple[float, int]] = field(default_factory=list)  # ack + window: the right edge
    end_time: float = 0.0


def series(trace: Trace) -> TimeSeq:
    """Pick the endpoint that sent the most data and collect its view of the transfer."""
    sent_bytes: dict[str, int] = {}
    for e in trace.events:
        if e.kind == EventKind.SEND and e.segment is not None:
            sent_bytes[e.endpoint] = sent_bytes.get(e.endpoint, 0) + len(e.segment.payload)
    names = [e.name for e in trace.endpoints]
    sender = (
        max(sent_bytes, key=lambda n: (sent_bytes[n], -names.index(n) if n in names else 0)) if sent_bytes else names[0]
    )
    receiver = next((n for n in names if n != sender), sender)
    ts = TimeSeq(sender, receiver)
    iss = None
    scale = 0
    for e in trace.events:
        ts.end_time = max(ts.end_time, e.time)
        view = e.view(sender)
        if view is not None and iss is None and view.state.value != "CLOSED":
            iss = int(view.iss)
        seg = e.segment
        if seg is None or iss is None:
            continue
        if e.kind == EventKind.SEND and e.endpoint == sender and (seg.payload or seg.flags & (Flags.SYN | Flags.FIN)):
            start = seg.seq.since(iss)
            ts.sent.append(
                (
                    e.time,
                    start,
                    start + max(seg.len, 1) if not seg.payload else start + len(seg.payload),
                    e.retransmission,
                )
            )
            if e.key in (SendKey.ZERO_WINDOW_PROBE, SendKey.PROBE_AGAIN):
                ts.probes.append((e.time, start))
            if e.key == SendKey.FAST_RETRANSMIT:
                ts.fast.append((e.time, ts.sent[-1][2]))
        elif e.kind == EventKind.DROP and e.endpoint == sender and seg.payload:
            start = seg.seq.since(iss)
            ts.lost.append((e.time, start, start + len(seg.payload)))
        elif e.kind == EventKind.DELIVER and e.endpoint == sender and seg.flags & Flags.ACK:
            ack = seg.ack.since(iss)
            if seg.options.wscale is not None and seg.flags & Flags.SYN:
                scale = seg.options.wscale
            window = seg.window if seg.flags & Flags.SYN else seg.window << scale
            if not seg.payload and not seg.flags & (Flags.SYN | Flags.FIN) and _repeats(ts, ack, ack + window):
                ts.dupacks.append((e.time, ack))
            ts.acks.append((e.time, ack))
            ts.windows.append((e.time, ack + window))
    return ts


def _repeats(ts: TimeSeq, ack: int, edge: int) -> bool:
    """A duplicate ACK (RFC 5681 section 2): the same ack and window again, with data outstanding."""
    outstanding = max((end for _, _, end, _ in ts.sent), default=0) > ack
    return bool(ts.acks) and ts.acks[-1][1] == ack and ts.windows[-1][1] == edge and outstanding


def figure(trace: Trace, look: Look | None = None) -> Figure:
    """The time-sequence graph: segments as I-bars, the ACK line and the receive-window line."""
    look = look or Look()
    ts = series(trace)
    fig = Figure(figsize=(look.width or 9.5, look.height or 6.6))
    # the data on top, the legend below it (never over the data)
    ax = fig.add_axes((0.1, 0.3, 0.86, 0.6))
    c = colour(0 if trace.endpoints and trace.endpoints[0].name == ts.sender else 1)
    cap = 0.004 * max(ts.end_time, 1)
    fast = {t for t, _ in ts.fast}
    tags: list[Text] = []  # R and F beside the retransmitted bars; where they crowd, the colour says it alone
    for t, a, b, again in ts.sent:
        bar_colour, width = ("#D55E00", 2.2) if again else (c, 1.6)
        for xs, ys in (([t, t], [a, b]), ([t - cap, t + cap], [b, b]), ([t - cap, t + cap], [a, a])):
            ax.plot(xs, ys, color=bar_colour, lw=width)  # an I-bar: seq .. seq+len
        if again:
            tag = " F" if t in fast else " R"
            tags.append(
                ax.text(t, b, tag, color="#D55E00", fontsize=9, fontweight="bold", va="bottom", family=FONT["family"])
            )
    for t, a in ts.probes:
        ax.plot([t], [a], marker="D", markersize=7, color="#CC79A7", mec="black", mew=0.8, ls="none")
    for t, a, b in ts.lost:
        ax.plot([t], [(a + b) / 2], marker="x", markersize=10, mew=2.2, color=LOST)
    if ts.dupacks:
        ax.plot(
            [t for t, _ in ts.dupacks],
            [a for _, a in ts.dupacks],
            marker="o",
            ms=5,
            mfc="white",
            mec="#009E73",
            mew=1.4,
            ls="none",
            zorder=4,
            label="duplicate ACK (the same ack again: a gap)",
        )
    if ts.acks:
        times = [t for t, _ in ts.acks] + [ts.end_time]
        acks = [a for _, a in ts.acks] + [ts.acks[-1][1]]
        ax.step(times, acks, where="post", color="#009E73", lw=1.6, label="ACK (what the receiver has)")
        wins = [w for _, w in ts.windows] + [ts.windows[-1][1]]
        ax.step(times, wins, where="post", color="#CC79A7", lw=1.3, ls="--", label="ACK + window (how far it may send)")
    ax.plot([], [], color=c, lw=1.6, label=f"segment sent by {ts.sender} (seq .. seq+len)")
    if any(again and t not in fast for t, *_, again in ts.sent):
        resent = "retransmission: after the timer, a partial ACK or a loss probe (R)"
        ax.plot([], [], color="#D55E00", lw=2.2, label=resent)
    if ts.fast:
        ax.plot([], [], color="#D55E00", lw=2.2, label="fast retransmission, after 3 duplicate ACKs (F)")
    if ts.lost:
        ax.plot([], [], marker="x", ls="none", color=LOST, mew=2.2, label="lost in the network")
    if ts.probes:
        ax.plot(
            [], [], marker="D", ls="none", color="#CC79A7", mec="black", mew=0.8, label="zero-window probe (1 byte)"
        )
    mark_episodes(ax, trace, ts.sender)
    _zoom(ax, ts)
    ax.set_xlabel("time (s)", family=FONT["family"])
    ax.set_ylabel(f"sequence number, relative to {ts.sender}'s ISN", family=FONT["family"])
    ax.grid(True, color="#dddddd", lw=0.6)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, fontsize=8.5, frameon=False)
    nothing = "" if any(b - a > 1 for _, a, b, _ in ts.sent) else " (no data in this run: only SYN/FIN)"
    frame(fig, ax, f"{trace.scenario}: time-sequence graph of {ts.sender} → {ts.receiver}{nothing}", top=0.985)
    look.apply_fonts(fig)
    placer = Placer(fig)
    for label in tags:
        x, y = label.get_position()
        placer.place_or_hide(label, [(x, y, 0.0)])
    return fig


def _zoom(ax: object, ts: TimeSeq) -> None:
    """Show the transfer itself: from the first segment to the last new ACK; clip a far window line."""
    from matplotlib.axes import Axes

    assert isinstance(ax, Axes)
    if not ts.sent:
        return
    start = ts.sent[0][0]
    end = max(t for t, *_ in ts.sent)
    last_ack = ts.acks[-1][1] if ts.acks else 0
    for t, a in ts.acks:
        if a == last_ack:
            end = max(end, t)
            break
    span = max(end - start, 0.01)
    ax.set_xlim(start - 0.05 * span, end + 0.15 * span)
    top = max([b for _, _, b, _ in ts.sent] + [a for _, a in ts.acks] + [1])
    edge = max((w for _, w in ts.windows), default=0)
    if edge > 2.5 * top:
        ax.set_ylim(-0.04 * top, top * 1.25)
        ax.text(
            0.99,
            0.98,
            f"ACK + window is off the top (up to {edge})",
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=8.5,
            color=MUTED,
            family=FONT["family"],
        )
    else:
        ax.set_ylim(-0.04 * max(edge, top), max(edge, top) * 1.1)
