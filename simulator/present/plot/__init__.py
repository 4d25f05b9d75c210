"""Diagrams for slides and notebooks (matplotlib, imported only when drawing).

Each function takes a trace and returns a matplotlib Figure:
``ladder(trace)``, ``states(trace)``, ``timeseq(trace)``, ``cwnd(trace)``; ``save(figure, path)``
writes SVG, PNG or PDF with nothing that changes from run to run.
"""

from __future__ import annotations

from matplotlib.figure import Figure

from ...sim.trace import Trace
from .cwnd import figure as _cwnd
from .ladder import figure as _ladder
from .statediagram import figure as _states
from .style import Bound, Look, save
from .timeseq import figure as _timeseq

KINDS = ("ladder", "states", "timeseq")  # the gallery's (tcpsim diagrams); draw() also takes "cwnd"


def ladder(trace: Trace, *, relative: bool = False, look: Look | None = None) -> Figure:
    """The ladder (sequence) diagram: time runs down, an arrow per segment."""
    return _ladder(trace, relative=relative, look=look)


def states(trace: Trace | None = None, *, look: Look | None = None) -> Figure:
    """The RFC 9293 state diagram, with each endpoint's path in this run."""
    return _states(trace, look)


def timeseq(trace: Trace, *, look: Look | None = None) -> Figure:
    """The time-sequence graph of the direction that carried the most data."""
    return _timeseq(trace, look)


def cwnd(trace: Trace) -> Figure:
    """cwnd, ssthresh and flight size of every sender over time, recoveries marked."""
    return _cwnd(trace)


def draw(kind: str, trace: Trace, *, relative: bool = False, look: Look | None = None) -> Figure:
    """One of ``KINDS`` for ``trace``; ``look``: size, font size, stretch and time axis."""
    if kind == "ladder":
        return ladder(trace, relative=relative, look=look)
    if kind == "states":
        return states(trace, look=look)
    if kind == "cwnd":
        return cwnd(trace)
    return timeseq(trace, look=look)


__all__ = ["KINDS", "Bound", "Look", "cwnd", "draw", "ladder", "save", "states", "timeseq"]
