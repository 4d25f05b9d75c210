"""A run as a plain-text ladder diagram, with the explanation of every step.

``render`` fits the ladder to a width (the terminal's, by default: ``COLUMNS`` or what
``shutil.get_terminal_size`` finds; 100 columns when the output is not a terminal).
"""

from __future__ import annotations

import re
import shutil
import textwrap

from ..model.segment import Segment
from ..sim.steps import SHOWN, VERBOSE_ONLY, steps
from ..sim.trace import EventKind, Trace, TraceEvent

SIDE = 14  # width of each endpoint's column
MIDDLE = 50  # widest arrow column
NARROWEST = 20  # narrowest arrow column, on a very narrow terminal
RIGHT = 16  # room right of the arrows: the right endpoint's name, or " -> [SYN-RECEIVED]"
TIME = 9  # "  1.050  "
DEFAULT_WIDTH = 100  # when the output is not a terminal and COLUMNS is not set
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
# What a label can do without, in order, when it does not fit its arrow.
_SHEDDABLE = (re.compile(r" <[^>]*>"), re.compile(r" win=\d+"))


def terminal_width() -> int:
    """The width to fit: ``COLUMNS``, else the terminal's, else 100."""
    return shutil.get_terminal_size((DEFAULT_WIDTH, 24)).columns


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


def tag(event: TraceEvent, kind: EventKind) -> str:
    """What an arrow says besides the segment: `` (fast retransmission) LOST``."""
    text = _ARROWS.get(kind, "")
    if event.retransmission:
        return f" ({retransmission_name(event)})" + text
    if event.keepalive:
        return " (keep-alive)" + text
    return text


def retransmission_name(event: TraceEvent) -> str:
    """``fast retransmission`` (three duplicate ACKs) or ``retransmission`` (a timer)."""
    return "fast retransmission" if event.key == "fast_retransmit" else "retransmission"


def shed(text: str, room: int) -> str:
    """A label without its options, then without its window, until it fits ``room`` (if it can)."""
    for pattern in _SHEDDABLE:
        if len(text) <= room:
            return text
        text = pattern.sub("", text, count=1)
    return text


def fit(text: str, room: int) -> str:
    """``text`` in at most ``room`` columns: shed what it can do without, then cut."""
    text = shed(text, room)
    return text if len(text) <= room else text[: max(room - 1, 0)] + "…"


def render(
    trace: Trace,
    *,
    relative: bool = False,
    verbose: bool = False,
    explain: bool = True,
    width: int | None = None,
) -> str:
    """The whole run as text, no line wider than ``width`` (default: the terminal's)."""
    width = terminal_width() if width is None else width
    kinds = SHOWN | VERBOSE_ONLY if verbose else SHOWN
    names = [e.name for e in trace.endpoints]
    left = names[0] if names else ""
    right = names[1] if len(names) > 1 else ""
    layout = _Layout(left, right, width, max(NARROWEST, min(MIDDLE, width - TIME - SIDE - max(RIGHT, len(right) + 2))))
    notes = wrap_plain(width)
    lines = notes.wrap(
        f"{trace.scenario}: {trace.title} (seed {trace.seed})"
        if trace.title
        else f"{trace.scenario} (seed {trace.seed})"
    )
    for info in trace.endpoints:
        lines.append(f"  {info.name:<10} {info.address}:{info.port}  ISN {info.isn}")
    lines.append("")
    lines.append(f"{'time':>7}  {left:<{SIDE}}{'':<{layout.middle}}{right}")
    isns: dict[str, tuple[int, int]] = {}
    wrap = textwrap.TextWrapper(width=max(width, TIME + 20), initial_indent=" " * TIME, subsequent_indent=" " * TIME)
    for step in steps(trace, kinds):
        event, fate = step.event, step.fate
        isns.update(step.isns)
        row = layout.row(event, relative, isns, fate.kind if fate else None)
        lines.append(f"{event.time:7.3f}  " + row[0])
        lines.extend(" " * TIME + more for more in row[1:])
        if not explain:
            continue
        if fate is not None:  # a send and what the network did to it: one arrow
            lines.extend(wrap.wrap(event.explained(relative=relative)))
            lines.extend(wrap.wrap(fate.explained(relative=relative)))
        elif event.kind in _EXPLAINED:
            lines.extend(wrap.wrap(event.explained(relative=relative)))
        elif event.kind == EventKind.STATE:
            lines.extend(wrap.wrap(event.explanation.split(". ", 1)[-1]))
    lines.append("")
    if trace.stopped_at is not None:
        lines.extend(
            notes.wrap(f"stopped at t={trace.stopped_at:g} s with events still pending (set 'until' in the scenario)")
        )
    for warning in trace.warnings:
        lines.extend(notes.wrap(f"note: {warning}"))
    final = trace.final_states()
    lines.extend(notes.wrap("final states: " + ", ".join(f"{name} {state}" for name, state in final.items())))
    return "\n".join(lines) + "\n"


def wrap_plain(width: int) -> textwrap.TextWrapper:
    return textwrap.TextWrapper(width=max(width, 40), subsequent_indent="  ", break_on_hyphens=False)


class _Layout:
    """Where the columns of a ladder ``width`` columns wide fall."""

    def __init__(self, left: str, right: str, width: int, middle: int) -> None:
        self.left = left
        self.right = right  # the right column's heading; a third endpoint's lines there carry its name
        self.width = width
        self.middle = middle
        self.column = TIME + SIDE + middle  # where the right endpoint's notes start

    def row(
        self, event: TraceEvent, relative: bool, isns: dict[str, tuple[int, int]], fate: EventKind | None = None
    ) -> list[str]:
        """The event's line (after the time), and the lines its text wraps onto."""
        on_left = event.endpoint == self.left
        kind = fate or event.kind
        seg = event.segment
        middle = self.middle
        if seg is not None and kind in _ARROWS:
            suffix = tag(event, kind)
            room = middle - 6 - (2 if kind == EventKind.DROP else 0)
            text = label(seg, event, relative=relative, isns=isns)
            below = []  # a tag that does not fit on the arrow goes under it
            if len(shed(text, room - len(suffix)) + suffix) <= room or len(suffix) <= len(" DUPLICATED"):
                text = fit(text, room - len(suffix)) + suffix
            else:
                text = fit(text, room)
                below = [" " * (SIDE + 3) + suffix.strip()] if suffix else []
            body = f" {text} "
            if kind == EventKind.DROP:
                arrow = (
                    ("--" + body).ljust(middle - 2, "-") + "X "
                    if on_left
                    else " X" + ("--" + body).rjust(middle - 2, "-")
                )
            elif on_left:
                arrow = ("--" + body).ljust(middle - 1, "-") + ">"
            else:
                arrow = "<" + (body + "--").rjust(middle - 1, "-")
            line = f"{'':<{SIDE}}{arrow}" if on_left else f"{'':<{SIDE}}{arrow}  {event.endpoint}"
            return [line[: self.width - TIME], *below]
        state = event.state_after.get(event.endpoint)
        if kind == EventKind.DELIVER and seg is not None:
            where = f"[{state}]" if state else ""
            name = "" if on_left else self._stranger(event)
            arrives = f"{name} arrives: " if name else "arrives: "
            # on the right, the arrival may reach into the left column, which is empty on its line
            room = (self.width - TIME - SIDE - 3 if on_left else SIDE + middle - 4) - len(arrives)
            text = arrives + fit(label(seg, event, relative=relative, isns=isns), room)
            if on_left:
                return [f"{where:<{SIDE}}<- {text}"]
            return [f"{text:>{SIDE + middle - 3}} -> {where}"]
        if kind == EventKind.STATE:
            text = event.explanation.split(". ", 1)[0].split(": ", 1)[-1]
        else:
            text = event.explained(relative=relative)
            if kind == EventKind.APP:
                text = "app: " + text.split("'s application ", 1)[-1].rstrip(".")
            if kind == EventKind.ERROR:
                text = "ERROR: " + text
        name = "" if on_left else self._stranger(event)
        return self._note(f"{name}: {text}" if name else text, on_left)

    def _stranger(self, event: TraceEvent) -> str:
        """The endpoint's name if the right column is not its own (a third endpoint, or more), else ""."""
        return "" if event.endpoint in (self.left, self.right) else event.endpoint

    def _note(self, text: str, on_left: bool) -> list[str]:
        """A note in its endpoint's column; on the right, wrapped to fit, or moved left if it cannot."""
        room = self.width - TIME
        if on_left:
            return textwrap.wrap(text, room, subsequent_indent="  ") or [""]
        indent = SIDE + self.middle
        if len(text) <= room - indent:
            return [" " * indent + text]
        return [line.rjust(room) for line in textwrap.wrap(text, room)]  # longer: against the right edge
