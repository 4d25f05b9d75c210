"""A run as a person follows it: the events worth a line or a key press, each send joined to its fate.

The text ladder, the terminal demo and the capture analysis all walk a trace this way.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model.segment import Segment
from .trace import EventKind, Trace, TraceEvent

# Events shown by default; timers and RTT samples only with ``verbose``.
SHOWN = frozenset(
    {
        EventKind.APP,
        EventKind.SEND,
        EventKind.DROP,
        EventKind.DUPLICATE,
        EventKind.DELAY,
        EventKind.INJECT,
        EventKind.DELIVER,
        EventKind.STATE,
        EventKind.ERROR,
        EventKind.EOF,
        EventKind.ECN,
    }
)
VERBOSE_ONLY = frozenset(
    {
        EventKind.TIMER_SET,
        EventKind.TIMER_FIRED,
        EventKind.TIMER_CANCEL,
        EventKind.RTT,
        EventKind.CWND,
        EventKind.DATA,
    }
)
# What the network can do to a segment just sent.
FATES = frozenset({EventKind.DROP, EventKind.DELAY, EventKind.DUPLICATE})


@dataclass(frozen=True, slots=True)
class Step:
    """One step of a run as a person follows it: an event, and for a send what the network did to it."""

    event: TraceEvent
    fate: TraceEvent | None
    isns: dict[str, tuple[int, int]]  # every endpoint's (ISS, IRS) as known at this step


def steps(trace: Trace, kinds: frozenset[EventKind] = SHOWN) -> list[Step]:
    """The events worth a line (or a key press), with each send joined to its drop/delay/duplicate."""
    events = trace.events
    isns: dict[str, tuple[int, int]] = {}
    out: list[Step] = []
    skip = -1
    for i, event in enumerate(events):
        for name, view in event.views:
            isns[name] = (int(view.iss), int(view.irs))
        if event.kind not in kinds or i == skip:
            continue
        fate = _fate(events, i)
        if fate is not None:
            skip = i + 1
        out.append(Step(event, fate, dict(isns)))
    return out


def _fate(events: list[TraceEvent], i: int) -> TraceEvent | None:
    """The drop/delay/duplicate event that belongs to the send event ``i``, if any."""
    if events[i].kind != EventKind.SEND or i + 1 >= len(events):
        return None
    nxt = events[i + 1]
    if nxt.kind in FATES and nxt.segment is events[i].segment:
        return nxt
    return None


def receivers(trace: Trace) -> dict[int, str]:
    """Whom each sent or injected segment reached, by ``id`` of its event: the endpoint of the first later
    delivery of that segment; for one that never arrived (lost), the endpoint its address and port name
    (the first listed, where a listener's connections share them)."""
    waiting: dict[Segment, list[int]] = {}
    out: dict[int, str] = {}
    for event in trace.events:
        seg = event.segment
        if seg is None:
            continue
        if event.kind in (EventKind.SEND, EventKind.INJECT):
            waiting.setdefault(seg, []).append(id(event))
        elif event.kind == EventKind.DELIVER and waiting.get(seg):
            out[waiting[seg].pop(0)] = event.endpoint
    at = {(e.address, e.port): e.name for e in reversed(trace.endpoints)}
    for seg, events in waiting.items():
        for event_id in events:
            out[event_id] = at.get((seg.dst_addr, seg.dst_port), "")
    return out
