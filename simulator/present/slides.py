"""A run as a ladder table for slides and notes: Markdown (GitHub tables) or LaTeX (tabular).

``tcpsim run X --format markdown|latex``.  One row per step: the time, what happens at each
endpoint (a state move, an application call), the segment between them with an arrow that
points the way it travels, and why.  ``explain=False`` (``--brief``) keeps only the segments,
states and calls, which is what fits on a slide.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ..sim.steps import SHOWN, VERBOSE_ONLY, receivers, steps
from ..sim.trace import EventKind, Trace
from .textladder import label, tag


class SlideFormat(enum.StrEnum):
    """The table formats a text ladder can be written in."""

    MARKDOWN = "markdown"
    LATEX = "latex"


_SEGMENT_KINDS = frozenset({EventKind.SEND, EventKind.DROP, EventKind.DUPLICATE, EventKind.DELAY, EventKind.INJECT})


@dataclass(frozen=True, slots=True)
class Row:
    """One step as table cells; ``segment`` is the label, ``rightwards`` the way it travels."""

    time: str
    left: str
    segment: str
    rightwards: bool
    right: str
    why: str
    lost: bool = False


def rows(trace: Trace, *, relative: bool = False, explain: bool = True, verbose: bool = False) -> list[Row]:
    """The steps of ``trace`` as rows; without explanations, arrivals are left out (the arrow says it)."""
    kinds = SHOWN | VERBOSE_ONLY if verbose else SHOWN
    names = [e.name for e in trace.endpoints]
    left = names[0] if names else ""
    columns = set(names[:2])  # a third endpoint's cells say whose they are
    reached = receivers(trace)
    out = []
    for step in steps(trace, kinds):
        event, fate = step.event, step.fate
        kind = fate.kind if fate else event.kind
        on_left = event.endpoint == left
        why = " ".join(e.explained(relative=relative) for e in (event, fate) if e is not None) if explain else ""
        seg = event.segment
        if seg is not None and event.kind in _SEGMENT_KINDS:
            text = label(seg, event, relative=relative, isns=step.isns) + tag(event, kind)
            to = reached.get(id(event), "")
            if not {event.endpoint, to} <= columns:
                text = f"{event.endpoint} → {to}: {text}"
            out.append(Row(f"{event.time:.3f}", "", text, on_left, "", why, kind == EventKind.DROP))
            continue
        if event.kind == EventKind.DELIVER and not explain:
            continue
        if event.kind == EventKind.DELIVER and seg is not None:
            state = event.state_after.get(event.endpoint)
            note = f"arrives: {label(seg, event, relative=relative, isns=step.isns)}" + (f" [{state}]" if state else "")
        elif event.kind == EventKind.STATE:
            note = event.explanation.split(". ", 1)[0].split(": ", 1)[-1]
            why = event.explanation.split(". ", 1)[-1] if explain else ""
        elif event.kind == EventKind.APP:
            note = "app: " + event.explanation.split("'s application ", 1)[-1].split(" (")[0].rstrip(".")
        else:
            note = event.explained(relative=relative)
            why = ""
        if event.endpoint not in columns:
            note = f"{event.endpoint}: {note}"
        out.append(Row(f"{event.time:.3f}", note if on_left else "", "", True, "" if on_left else note, why))
    return out


def render_slides(
    trace: Trace, fmt: SlideFormat, *, relative: bool = False, explain: bool = True, verbose: bool = False
) -> str:
    """The whole run as a Markdown or LaTeX table."""
    table = rows(trace, relative=relative, explain=explain, verbose=verbose)
    names = [e.name for e in trace.endpoints] + ["", ""]
    title = f"{trace.scenario}: {trace.title}" if trace.title else trace.scenario
    if fmt is SlideFormat.MARKDOWN:
        return _markdown(table, title, names[0], names[1], explain)
    return _latex(table, title, names[0], names[1], explain)


# ------------------------------------------------------------------ Markdown
def _md(text: str) -> str:
    """Plain text safe in a GitHub table cell (no HTML tags, no column breaks)."""
    text = text.replace(" -> ", " → ")
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def _md_segment(row: Row) -> str:
    if not row.segment:
        return ""
    text = f"`{row.segment.replace('|', '/')}`"
    if row.lost:
        return f"{text} ✗" if row.rightwards else f"✗ {text}"
    return f"{text} →" if row.rightwards else f"← {text}"


def _markdown(table: list[Row], title: str, left: str, right: str, explain: bool) -> str:
    head = ["t (s)", _md(left), "segment", _md(right)] + (["why"] if explain else [])
    align = ["---:", ":---", ":---:", ":---"] + ([":---"] if explain else [])
    lines = [f"**{_md(title)}**", "", "| " + " | ".join(head) + " |", "| " + " | ".join(align) + " |"]
    for row in table:
        cells = [row.time, _md(row.left), _md_segment(row), _md(row.right)] + ([_md(row.why)] if explain else [])
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------- LaTeX
_LATEX = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "→": r"$\rightarrow$",
    "…": r"\ldots{}",
    "×": r"$\times$",
}


def _tex(text: str) -> str:
    """Text safe in LaTeX's text mode."""
    return "".join(_LATEX.get(ch, ch) for ch in text.replace(" -> ", " → "))


def _tex_segment(row: Row) -> str:
    if not row.segment:
        return ""
    text = r"\texttt{" + _tex(row.segment) + "}"
    if row.lost:
        return text + r" $\times$" if row.rightwards else r"$\times$ " + text
    return text + r" $\longrightarrow$" if row.rightwards else r"$\longleftarrow$ " + text


def _latex(table: list[Row], title: str, left: str, right: str, explain: bool) -> str:
    spec = "r l c l" + (" p{0.35\\linewidth}" if explain else "")
    head = ["$t$ (s)", _tex(left), "", _tex(right)] + (["why"] if explain else [])
    lines = [
        f"% {_tex(title)} (tcpsim run --format latex)",
        "\\begin{tabular}{" + spec + "}",
        "\\hline",
        " & ".join(head) + " \\\\",
        "\\hline",
    ]
    for row in table:
        cells = [row.time, _tex(row.left), _tex_segment(row), _tex(row.right)] + ([_tex(row.why)] if explain else [])
        lines.append(" & ".join(cells) + " \\\\")
    lines += ["\\hline", "\\end{tabular}"]
    return "\n".join(lines) + "\n"
