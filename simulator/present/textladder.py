"""A run as a plain-text ladder diagram, with the explanation of every step."""

from __future__ import annotations

import textwrap

from ..model.segment import Segment
from ..sim.steps import SHOWN, VERBOSE_ONLY, steps
from ..sim.trace import EventKind, Trace, TraceEvent

SIDE = 14  # width of each endpoint's column
MIDDLE = 50  # width of the arrow column
# A segment on the wire drawn as an arrow, with the tag its kind adds.
_ARROWS = {
    EventKind.SEND: "",
    EventKind.DROP: " LOST",
    EventKind.DUPLICATE: " DUPLICATED",
    EventKind.DELAY: " DELAYED",
    EventKind.INJECT: " OLD",
}
# The events whose explanation follows their line.
_EXPLAINED = frozenset(_ARROWS) | {EventKind.DELIVER, EventKind.ERROR, EventKind.RTT}


def label(seg: Segment, event: TraceEvent, *, relative: bool, isns: dict[str, tuple[int, int]]) -> str:
    """``SYN,ACK seq=5000 ack=1001 win=65535 <mss 1460>`` (relative numbers if asked)."""
    if relative:
        own, peer = isns.get(event.endpoint, (None, None))
        if event.kind == EventKind.DELIVER:  # numbers are the sender's: swap the point of view
            peer, own = own, peer
        text = seg.label(isn_self=own, isn_peer=peer)
    else:
        text = seg.label()
    text += f" win={seg.window}"
    if seg.options:
        text += f" <{seg.options.describe()}>"
    return text


def render(
    trace: Trace, *, relative: bool = False, verbose: bool = False, explain: bool = True, width: int = 100
) -> str:
    """The whole run as text: a header, then one block per event."""
    kinds = SHOWN | VERBOSE_ONLY if verbose else SHOWN
    names = [e.name for e in trace.endpoints]
    left = names[0] if names else ""
    right = names[1] if len(names) > 1 else ""
    lines = [
        f"{trace.scenario}: {trace.title} (seed {trace.seed})"
        if trace.title
        else f"{trace.scenario} (seed {trace.seed})"
    ]
    for info in trace.endpoints:
        lines.append(f"  {info.name:<10} {info.address}:{info.port}  ISN {info.isn}")
    lines.append("")
    lines.append(f"{'time':>7}  {left:<{SIDE}}{'':<{MIDDLE}}{right}")
    isns: dict[str, tuple[int, int]] = {}
    wrap = textwrap.TextWrapper(width=width, initial_indent=" " * 9, subsequent_indent=" " * 9)
    for step in steps(trace, kinds):
        event, fate = step.event, step.fate
        isns.update(step.isns)
        on_left = event.endpoint == left
        lines.append(f"{event.time:7.3f}  " + _row(event, on_left, relative, isns, fate.kind if fate else None))
        if not explain:
            continue
        if fate is not None:  # a send and what the network did to it: one arrow
            lines.extend(wrap.wrap(event.explained(relative=relative)))
            lines.extend(wrap.wrap(fate.explained(relative=relative)))
        elif event.kind in _EXPLAINED:
            lines.extend(wrap.wrap(event.explained(relative=relative)))
        elif explain and event.kind == EventKind.STATE:
            lines.extend(wrap.wrap(event.explanation.split(". ", 1)[-1]))
    lines.append("")
    if trace.stopped_at is not None:
        lines.append(f"stopped at t={trace.stopped_at:g} s with events still pending (set 'until' in the scenario)")
    lines.extend(f"note: {warning}" for warning in trace.warnings)
    final = trace.final_states()
    lines.append("final states: " + ", ".join(f"{name} {state}" for name, state in final.items()))
    return "\n".join(lines) + "\n"


def _row(
    event: TraceEvent, on_left: bool, relative: bool, isns: dict[str, tuple[int, int]], fate: EventKind | None = None
) -> str:
    kind = fate or event.kind
    seg = event.segment
    if seg is not None and kind in _ARROWS:
        text = label(seg, event, relative=relative, isns=isns)
        tag = _ARROWS[kind]
        if event.retransmission:
            tag = " (retransmission)" + tag
        elif event.keepalive:
            tag = " (keep-alive)" + tag
        body = f" {text}{tag} "
        if kind == EventKind.DROP:
            arrow = (
                ("--" + body).ljust(MIDDLE - 2, "-") + "X " if on_left else " X" + ("--" + body).rjust(MIDDLE - 2, "-")
            )
        elif on_left:
            arrow = ("--" + body).ljust(MIDDLE - 1, "-") + ">"
        else:
            arrow = "<" + (body + "--").rjust(MIDDLE - 1, "-")
        return f"{'':<{SIDE}}{arrow}" if on_left else f"{'':<{SIDE}}{arrow}  {event.endpoint}"
    state = event.state_after.get(event.endpoint)
    if kind == EventKind.DELIVER and seg is not None:
        text = "arrives: " + label(seg, event, relative=relative, isns=isns)
        where = f"[{state}]" if state else ""
        if on_left:
            return f"{where:<{SIDE}}<- {text}"
        return f"{'':<{SIDE}}{text:>{MIDDLE - 3}} -> {where}"
    if kind == EventKind.STATE:
        change = event.explanation.split(". ", 1)[0].split(": ", 1)[-1].replace(" -> ", " -> ")
        return f"{change}" if on_left else f"{'':<{SIDE}}{'':<{MIDDLE}}{change}"
    text = event.explained(relative=relative)
    if kind == EventKind.APP:
        text = "app: " + text.split("'s application ", 1)[-1].rstrip(".")
    if kind == EventKind.ERROR:
        text = "ERROR: " + text
    return f"{text}" if on_left else f"{'':<{SIDE}}{'':<{MIDDLE}}{text}"
