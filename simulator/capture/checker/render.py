"""A connection's report as text."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator

from ...model.segment import ACK_BIT, FLAG_NAMES
from ...model.states import State
from .report import _TEXT, ConnectionReport

_WRAP = textwrap.TextWrapper(110, initial_indent=" " * 21, subsequent_indent=" " * 23, break_on_hyphens=False)
_WITH_ACK = frozenset(name for bits, name in enumerate(FLAG_NAMES) if bits & ACK_BIT)


_FIRST = _WRAP.width - len(_WRAP.initial_indent)  # room on the first line
_LATER = _WRAP.width - len(_WRAP.subsequent_indent)  # and on the others


def wrap(text: str) -> list[str]:
    """A sentence as the report's indented lines: ``_WRAP.wrap(text)``, made without its regular
    expressions when the text is plain words split by single spaces (every sentence the checker writes):
    each line ends at the last space that leaves it short enough."""
    if not text or not text.isprintable() or "  " in text or text[0] == " " or text[-1] == " ":
        return _WRAP.wrap(text)
    lines: list[str] = []
    indent, room, rest = _WRAP.initial_indent, _FIRST, text
    while len(rest) > room:
        cut = rest.rfind(" ", 0, room + 1)
        if cut <= 0:
            return _WRAP.wrap(text)  # a word longer than a line: textwrap breaks it
        lines.append(indent + rest[:cut])
        rest = rest[cut + 1 :]
        indent, room = _WRAP.subsequent_indent, _LATER
    lines.append(indent + rest)
    return lines


_COLUMN = {state: f"{text:<12} " for state, text in _TEXT.items()}  # a state as the report's table shows it
_TAILS: dict[tuple[tuple[State, State], tuple[str, ...]], str] = {}  # a row's end (states, labels): few kinds
_MOST_TAILS = 4096  # (a long run of duplicate ACKs numbers them: the table is emptied past this)


def _tail(after: tuple[State, State], labels: tuple[str, ...]) -> str:
    """The end of a packet's row: both states after it and its labels (made once for each kind of row)."""
    if len(_TAILS) >= _MOST_TAILS:
        _TAILS.clear()
    tail = _TAILS[after, labels] = f"{_COLUMN[after[0]]}{_COLUMN[after[1]]}{', '.join(labels)}"
    return tail


def render(report: ConnectionReport, *, brief: bool = False) -> list[str]:
    """A connection's report as text lines: header, a row per packet (and its sentence), the verdict."""
    return list(report_lines(report, brief=brief))


def report_lines(report: ConnectionReport, *, brief: bool = False) -> Iterator[str]:
    """``render``'s lines one at a time (a long connection's report is written, never held whole)."""
    yield from report.heading.lines(report.number)
    yield from packet_lines(report, brief=brief)


def packet_lines(report: ConnectionReport, *, brief: bool = False) -> Iterator[str]:
    """``report_lines`` below the heading: a row per packet (and its sentence), then the verdict."""
    for (
        number,
        time,
        direction,
        flags,
        seq,
        ack,
        length,
        window,
        labels,
        _,
        after,
        why,
        departure,
        _in_flight,
    ) in report.packets:
        if flags in _WITH_ACK:
            segment = f"{flags} seq={seq} ack={ack} len={length} win={window}"
        else:
            segment = f"{flags} seq={seq} len={length} win={window}"
        tail = _TAILS.get((after, labels)) or _tail(after, labels)
        yield f"  {number:>6} {time:9.6f} {direction} {segment:<38} {tail}"
        if departure is not None:
            yield from wrap(f"DEPARTS FROM THE MODEL: {departure}")
        if not brief:
            yield from wrap(str(why))
    yield f"  verdict: {report.verdict}"
