"""The step-through demo: a ladder that grows one event per key press, drawn with rich.

``run_demo(trace, ...)`` is what ``tcpsim demo`` calls.  Keys: Enter, Space or
Right for the next step; Left or b to go back; r to restart; q to quit.  With
``pause=False`` (``--no-pause``, or when standard input is not a terminal)
every step is printed in order.  In quiz mode the student first answers the
flags, seq and ack of each segment (and its sender's next state); answers may
come from a file or standard input, one line per question, for marking.
"""

from __future__ import annotations

import os
import re
import sys
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING

from ..model.errors import TcpsimError
from ..model.notes import TcbView
from ..model.segment import Flags
from ..model.states import State
from ..sim import whatif
from ..sim.scenario import Scenario
from ..sim.steps import Step, receivers, steps
from ..sim.trace import EventKind, Trace, TraceEvent

if TYPE_CHECKING:  # rich is imported only when the demo runs
    from rich.console import Console, RenderableType

_NEXT_SEGMENT = "   (Enter: the next segment) "
KEYS = "→ next  ← back  e end  r restart  s segments/all  x lose next  i what if  q quit"
NEXT_KEYS = {"\r", "\n", " ", "RIGHT"}
BACK_KEYS = {"LEFT", "b"}
TCB_ROWS = (
    ("SND.UNA", "snd_una"),
    ("SND.NXT", "snd_nxt"),
    ("SND.WND", "snd_wnd"),
    ("RCV.NXT", "rcv_nxt"),
    ("RCV.WND", "rcv_wnd"),
    ("ISS", "iss"),
    ("IRS", "irs"),
)
_OWN_SPACE = ("snd_una", "snd_nxt")  # counted from the ISS; RCV.NXT from the IRS
# RFC 5681's sender variables, shown for an endpoint with congestion control (model/congestion.py).
CC_ROWS = (("cwnd", "cwnd"), ("ssthresh", "ssthresh"), ("flight", "flight_size"))
SEND_LIKE = {EventKind.SEND, EventKind.DROP, EventKind.DUPLICATE, EventKind.DELAY, EventKind.INJECT}
SEGMENT_STEPS = frozenset({EventKind.SEND, EventKind.INJECT})  # --segments: a key press per segment
# How the arrow of a segment shows what became of it, and how the one-line summary says it.
_MARKS = {EventKind.DROP: "✗", EventKind.DUPLICATE: "×2", EventKind.DELAY: "…", EventKind.INJECT: "old"}
_FATES = {
    EventKind.DROP: " ✗ lost",
    EventKind.DUPLICATE: " (delivered twice)",
    EventKind.DELAY: " (held back)",
    EventKind.INJECT: " (old)",
}


@dataclass
class Screen:
    """What the demo knows about a run: its steps and who stands left and right."""

    trace: Trace
    steps: list[Step]
    left: str
    right: str
    relative: bool
    receivers: dict[int, str] = field(default_factory=dict)  # whom each sent segment reached (sim/steps.py)

    @classmethod
    def of(cls, trace: Trace, relative: bool, *, segments_only: bool = False) -> Screen:
        """The demo's view of ``trace``; ``segments_only``: a step per segment, nothing else."""
        names = [e.name for e in trace.endpoints]
        chosen = steps(trace, SEGMENT_STEPS) if segments_only else steps(trace)
        return cls(trace, chosen, names[0], names[1] if len(names) > 1 else "", relative, receivers(trace))

    def switched(self, n: int) -> tuple[Screen, int]:
        """The same run with segments only / every step, and where step ``n`` falls in it."""
        other = Screen.of(self.trace, self.relative, segments_only=len(self.steps) == len(steps(self.trace)))
        if n == 0:
            return other, 0
        order = {id(e): i for i, e in enumerate(self.trace.events)}
        here = order[id(self.steps[n - 1].event)]
        return other, sum(1 for step in other.steps if order[id(step.event)] <= here)

    def views_at(self, n: int) -> dict[str, TcbView]:
        """Every endpoint's TCB after the first ``n`` steps."""
        views: dict[str, TcbView] = {}
        last = self.steps[n - 1].fate or self.steps[n - 1].event if n else None
        for event in self.trace.events:
            for name, view in event.views:
                views[name] = view
            if event is last:
                break
        return views if n else {}

    def before_sending(self, i: int) -> tuple[int, dict[str, TcbView]]:
        """What the quiz may show before asking about the segment of step ``i``: the steps up to
        the sender's own moves that go with it (a state change at the same moment gives the
        answer away), and the TCB then, its SND.NXT not yet past the segment."""
        event = self.steps[i].event
        n = i
        while n > 0 and _goes_with(self.steps[n - 1].event, event):
            n -= 1
        views = self.views_at(n)
        own, seg = views.get(event.endpoint), event.segment
        if own is not None and seg is not None and not event.retransmission and own.snd_nxt.since(seg.seq) > 0:
            views[event.endpoint] = own._replace(snd_nxt=seg.seq)  # the model counts the segment before it leaves
        return n, views

    def label(self, step: Step) -> str:
        seg = step.event.segment
        assert seg is not None
        if self.relative:
            own, peer = step.isns.get(step.event.endpoint, (None, None))
            if step.event.kind == EventKind.DELIVER:
                own, peer = peer, own
            text = seg.label(isn_self=own, isn_peer=peer)
        else:
            text = seg.label()
        return text

    def row(self, step: Step, width: int) -> tuple[str, str, str, str]:
        """(time, left column, middle, right column) of one step, as plain text."""
        event = step.event
        on_left = event.endpoint == self.left
        kind = step.fate.kind if step.fate else event.kind
        time = f"{event.time:.3f}"
        if event.segment is not None and event.kind in SEND_LIKE:
            text = self.label(step)
            if event.retransmission:
                text += " (again)"
            elif event.keepalive:
                text += " (keep-alive)"
            mark = _MARKS.get(kind, "")
            body = f" {text} "
            room = max(width - len(body) - 3, 2)
            if on_left:
                middle = "─" + body + "─" * room + ("✗" if kind == EventKind.DROP else "▶")
            else:
                middle = ("✗" if kind == EventKind.DROP else "◀") + "─" * room + body + "─"
            if mark and kind != EventKind.DROP:
                middle = middle[: -len(mark) - 1] + mark + middle[-1]
            return time, "", middle, ""
        state = "→ " + str(event.state_after.get(event.endpoint, ""))
        if event.kind == EventKind.DELIVER and event.segment is not None:
            text = f"arrives: {self.label(step)}"
            return (time, "", "◀ " + text, "") if on_left else (time, "", (text + " ▶").rjust(width), "")
        if event.kind == EventKind.STATE:
            return (time, state, "", "") if on_left else (time, "", "", state)
        text = event.explained(relative=self.relative)
        if event.kind == EventKind.APP:
            text = "app: " + re.sub(r" \(.*\)", "", text.split("'s application ", 1)[-1].rstrip("."))
        elif event.kind == EventKind.ERROR:
            text = "! " + text
        return (time, "", text, "") if on_left else (time, "", text.rjust(width), "")

    def summary(self, step: Step) -> str:
        """The step in one line: ``client ── SYN seq=1000 ──▶ server``."""
        event = step.event
        who = event.endpoint
        if event.segment is not None and event.kind in SEND_LIKE:
            other = self.receivers.get(id(event)) or (self.right if who == self.left else self.left)
            again = " (again)" if event.retransmission else ""
            kind = step.fate.kind if step.fate else event.kind
            return f"{who} ── {self.label(step)}{again} ──▶ {other}{_FATES.get(kind, '')}"
        state = event.state_after.get(who)
        if event.kind == EventKind.DELIVER and event.segment is not None:
            return f"{who} ◀ arrives: {self.label(step)}   [{state}]"
        if event.kind == EventKind.STATE:
            return f"{who}: " + event.explanation.split(". ", 1)[0].split(": ", 1)[-1]
        if event.kind == EventKind.APP:
            return f"{who}: " + event.explanation.split("'s application ", 1)[-1].rstrip(".")
        return f"{who}: {event.explained(relative=self.relative)}"

    def explanation(self, step: Step) -> str:
        parts = [step.event] + ([step.fate] if step.fate else [])
        return " ".join(e.explained(relative=self.relative) for e in parts)

    def shown(self, view: TcbView, attr: str) -> int:
        """A TCB variable as the screen shows it: relative to the ISS (SND.*) or IRS (RCV.NXT)."""
        value = getattr(view, attr)
        if self.relative and attr in _OWN_SPACE:
            return int(value.since(view.iss))
        if self.relative and attr == "rcv_nxt":
            return int(value.since(view.irs))
        return int(value)


def _goes_with(earlier: TraceEvent, send: TraceEvent) -> bool:
    """A state move of the sender at the moment it sends: part of what the quiz asks."""
    return earlier.kind == EventKind.STATE and earlier.endpoint == send.endpoint and earlier.time == send.time


# ---------------------------------------------------------------- drawing
def draw(
    screen: Screen, n: int, console: Console, *, quiz: bool = False, views: dict[str, TcbView] | None = None
) -> RenderableType:
    """The whole screen after ``n`` steps (0: the title and the lesson); in a quiz, without the keys."""
    from rich.console import Group
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    width, height = console.size
    total = len(screen.steps)
    title = f"{screen.trace.scenario}: {screen.trace.title}" if screen.trace.title else screen.trace.scenario
    header = Text(f"step {n}/{total}  {title}", style="bold", no_wrap=True, overflow="ellipsis")
    keys = Text("" if quiz else KEYS, style="dim", no_wrap=True, overflow="ellipsis")
    if n == 0 and quiz:
        return Group(header, Text("The first segment is coming: what will it be?", style="italic"))
    if n == 0:
        lesson = _lesson(screen.trace)
        body = Panel(Text(lesson or "Press Enter to start."), title="the lesson", border_style="dim")
        return Group(header, body, keys)
    side = max(15, min(22, width // 5))
    middle = max(20, width - 2 * side - 12)
    ladder = Table(box=None, show_header=True, padding=(0, 1), expand=False, header_style="bold")
    ladder.add_column("time", justify="right", width=7, no_wrap=True)
    ladder.add_column(screen.left, width=side, no_wrap=True, overflow="ellipsis", justify="right")
    ladder.add_column("", width=middle, no_wrap=True, overflow="crop")
    ladder.add_column(screen.right, width=side, no_wrap=True, overflow="ellipsis")
    step = screen.steps[n - 1]
    why_lines = len(textwrap.wrap(screen.explanation(step), max(width - 4, 20)))
    # what else takes rows: header, table head, TCB block, and the "why" box or the quiz's questions
    room = max(3, height - 6 - 3 - (8 if quiz else why_lines + 2 + 2))
    first = max(0, n - room)
    for i in range(first, n):
        time, left, mid, right = screen.row(screen.steps[i], middle)
        # the two endpoints' lines, with a state written beside its line when it changes
        if side - 3 < len("→ SYN-RECEIVED"):  # narrow: the RFC figure's own abbreviations
            left, right = _short(left), _short(right)
        left = left[: side - 3].rjust(side - 3) + " │"
        right = "│ " + right[: side - 3]
        ladder.add_row(time, left, mid, right, style="bold" if i == n - 1 else "")
    views = screen.views_at(n) if views is None else views
    before = screen.views_at(n - 1)
    panels = Table.grid(expand=True, padding=(0, 2))
    panels.add_column(ratio=1)
    panels.add_column(ratio=1)
    panels.add_row(_tcb(screen, screen.left, views, before), _tcb(screen, screen.right, views, before))
    why = Panel(Text(screen.explanation(step)), title="why", border_style="dim")
    done = Text("end of the run: r to restart, q to quit", style="italic") if n == total and not quiz else Text("")
    tcb = Panel(panels, border_style="dim", subtitle="* just changed")
    if quiz:
        return Group(header, ladder, tcb)
    return Group(header, ladder, tcb, why, done, keys)


_SHORT = {"SYN-RECEIVED": "SYN-RCVD", "ESTABLISHED": "ESTAB", "FIN-WAIT-1": "FINWAIT-1", "FIN-WAIT-2": "FINWAIT-2"}


def _short(text: str) -> str:
    for long, short in _SHORT.items():
        text = text.replace(long, short)
    return text


def _tcb(screen: Screen, name: str, views: dict[str, TcbView], before: dict[str, TcbView]) -> RenderableType:
    """An endpoint's state and TCB variables in three lines; what just changed is marked *."""
    from rich.text import Text

    view = views.get(name)
    if view is None:
        return Text(f"{name}: not started yet", style="dim")
    old = before.get(name)
    text = Text()
    state_changed = old is not None and old.state is not view.state
    text.append(f"{name} ", style="bold")
    text.append(view.state.value + (" *" if state_changed else ""), style="bold reverse" if state_changed else "bold")
    for i, (title, attr) in enumerate(TCB_ROWS):
        value = screen.shown(view, attr)
        changed = old is not None and int(getattr(old, attr)) != int(getattr(view, attr))
        text.append("\n" if i in (0, 2, 4) else "  ")
        text.append(f"{title} ", style="dim")
        text.append(f"{value}{'*' if changed else ''}", style="reverse" if changed else "")
    if view.cwnd is not None:
        for i, (title, attr) in enumerate(CC_ROWS):
            shown = getattr(view, attr)
            changed = old is not None and getattr(old, attr) != shown
            text.append("  " if i else "\n")
            text.append(f"{title} ", style="dim")
            text.append(
                f"{'inf' if shown is None else shown}{'*' if changed else ''}", style="reverse" if changed else ""
            )
    return text


def _lesson(trace: Trace) -> str:
    from ..model.errors import ScenarioError
    from ..sim.scenario import load

    try:
        return load(trace.scenario).lesson
    except ScenarioError:
        return ""


# ---------------------------------------------------------------- playing
def play(
    screen: Screen,
    console: Console,
    read_key: Callable[[], str],
    what_if: WhatIf | None = None,
) -> None:
    """The interactive loop: one step per key press (with ``what_if``, x and i change the run)."""
    n = 0
    said = ""
    while True:
        console.clear()
        console.print(draw(screen, n, console))
        if said:
            console.print(said, markup=False, style="bold")
            said = ""
        key = read_key()
        if key in ("x", "i") and what_if is not None:
            screen, n, said = what_if.apply(screen, n, inject=key == "i")
            continue
        if key in NEXT_KEYS:
            n = min(n + 1, len(screen.steps))
        elif key in BACK_KEYS:
            n = max(n - 1, 0)
        elif key == "r":
            n = 0
        elif key in ("e", "END"):
            n = len(screen.steps)
        elif key == "s":
            screen, n = screen.switched(n)
        elif key in ("q", "QUIT"):
            return


@dataclass
class WhatIf:
    """The demo's what-if keys: x loses the next segment, i hands an endpoint a segment typed in
    (``to flags seq ack``, relative numbers when the demo shows them)."""

    scenario: Scenario
    ask: Callable[[str], str]

    def apply(self, screen: Screen, n: int, *, inject: bool) -> tuple[Screen, int, str]:
        """The run with the change, the step of the model's answer, and what to say."""
        shown = screen.steps[n - 1] if n else None
        last = (shown.fate or shown.event) if shown else None
        index = next((i for i, e in enumerate(screen.trace.events) if e is last), 0)
        try:
            if inject:
                outcome = self._inject(screen, last.time if last else -whatif.AFTER)
            else:
                outcome = whatif.drop_next(self.scenario, index)
        except (TcpsimError, ValueError) as exc:
            return screen, n, f"what if: {exc}"
        self.scenario = outcome.scenario
        fresh = Screen.of(outcome.trace, screen.relative, segments_only=len(screen.steps) != len(steps(screen.trace)))
        end = outcome.answer[-1] if outcome.answer else outcome.change
        at = next((i for i, st in enumerate(fresh.steps, 1) if end is st.event or end is st.fate), n)
        return fresh, at, "what if: " + outcome.explain()

    def _inject(self, screen: Screen, after: float) -> whatif.Outcome:
        names = [e.name for e in screen.trace.endpoints]
        words = self.ask(f"what if: to ({'/'.join(names)}) flags seq ack, e.g. {names[-1]} A 1 9999: ").split()
        if len(words) != 4:
            raise ValueError("give four things: the receiver, the flags, seq and ack")
        to, flags, seq, ack = words[0], words[1], int(words[2]), int(words[3])
        sender = next((name for name in names if name != to), to)
        if screen.relative:
            isn = {e.name: e.isn for e in screen.trace.endpoints}
            seq, ack = (seq + isn.get(sender, 0)) % (1 << 32), (ack + isn.get(to, 0)) % (1 << 32)
        return whatif.inject(self.scenario, after, sender=sender, receiver=to, flags=flags, seq=seq, ack=ack)


def print_all(screen: Screen, console: Console) -> None:
    """Every step in order, for scripts and notes (``--no-pause``)."""
    title = f"{screen.trace.scenario}: {screen.trace.title}" if screen.trace.title else screen.trace.scenario
    console.print(title, style="bold", markup=False)
    width = max(console.size.width, 60)
    for i, step in enumerate(screen.steps, 1):
        head = f"{i:>3}/{len(screen.steps)}  t={step.event.time:.3f}  {screen.summary(step)}"
        console.print(head, style="bold", markup=False, soft_wrap=True)
        changes = _changes(screen, i)
        if changes:
            _wrapped(console, "changed: " + changes, width, style="dim")
        _wrapped(console, screen.explanation(step), width)


def _wrapped(console: Console, text: str, width: int, style: str = "") -> None:
    for line in textwrap.wrap(text, width - 8):
        console.print("        " + line, style=style, markup=False, soft_wrap=True)


def _changes(screen: Screen, n: int) -> str:
    now, before = screen.views_at(n), screen.views_at(n - 1)
    parts = []
    for name in (screen.left, screen.right):
        view, old = now.get(name), before.get(name)
        if view is None:
            continue
        if old is None or old.state is not view.state:
            parts.append(f"{name} {view.state.value}")
        for title, attr in TCB_ROWS[:5]:
            if old is not None and getattr(old, attr) != getattr(view, attr):
                parts.append(f"{name} {title}={screen.shown(view, attr)}")
        if view.cwnd is not None and old is not None and old.cwnd != view.cwnd:
            parts.append(f"{name} cwnd={view.cwnd}")
    return ", ".join(parts)


# ------------------------------------------------------------------- quiz
@dataclass(frozen=True, slots=True)
class Question:
    """One thing the student is asked about a segment before it is shown."""

    step: int
    what: str  # "flags", "seq", "ack", "state"
    prompt: str
    answer: str


def questions(screen: Screen) -> list[Question]:
    """Four questions per segment an endpoint sends: flags, seq, ack, and its state after."""
    out: list[Question] = []
    for i, step in enumerate(screen.steps):
        event = step.event
        if event.kind != EventKind.SEND or event.segment is None:
            continue
        seg = event.segment
        own, peer = step.isns.get(event.endpoint, (0, 0))
        seq = seg.seq.since(own) if screen.relative else int(seg.seq)
        ack = (seg.ack.since(peer) if screen.relative else int(seg.ack)) if seg.flags & Flags.ACK else None
        who = event.endpoint
        state = event.state_after.get(who, State.CLOSED)
        out += [
            Question(i, "flags", f"{who} sends the next segment. Its flags (e.g. SYN,ACK)?", seg.flags.names),
            Question(i, "seq", f"Its sequence number{' (relative)' if screen.relative else ''}?", str(seq)),
            Question(
                i, "ack", "Its acknowledgement number (- if the ACK flag is off)?", "-" if ack is None else str(ack)
            ),
            Question(i, "state", f"{who}'s state once it is sent?", state.value),
        ]
    return out


def correct(question: Question, answer: str) -> bool:
    """Is ``answer`` right?  Flags may be letters (SA, S.) or names; states ignore case and _/-."""
    given = answer.strip()
    if question.what == "flags":
        try:
            return Flags.parse(given.replace(".", "A").replace(" ", ",")) == Flags.parse(question.answer)
        except ValueError:
            return False
    if question.what == "ack" and question.answer == "-":
        return given.lower() in ("-", "none", "", "0")  # 0: the field a SYN carries, which means nothing
    if question.what == "state":
        return given.upper().replace("_", "-").replace(" ", "-") == question.answer
    return given == question.answer


def remark(question: Question, given: str) -> str:
    """What a right answer is worth knowing beside: why a 0 for a SYN's ack counts."""
    if question.what == "ack" and question.answer == "-" and given.strip() == "0":
        return " The ACK flag is off, so the field (0 on the wire) means nothing: it is written -."
    return ""


def quiz(
    screen: Screen,
    console: Console,
    answers: Iterator[str],
    interactive: bool,
    wait: Callable[[], object] | None = None,
) -> tuple[int, int]:
    """Ask every question, check it, show the answer and why; return (right, asked).

    In a terminal the ladder so far is shown above the questions, the segment
    asked about not yet on it (nor the sender's state move that goes with it), and the
    verdicts and the explanation stay on the screen until ``wait`` returns (a key press).
    """
    right = 0
    asked = questions(screen)
    by_step: dict[int, list[Question]] = {}
    for q in asked:
        by_step.setdefault(q.step, []).append(q)
    for i, step in enumerate(screen.steps):
        if interactive and i in by_step:
            console.clear()
            shown, views = screen.before_sending(i)
            console.print(draw(screen, shown, console, quiz=True, views=views))
        for q in by_step.get(i, []):
            console.print(f"Q: {q.prompt}", style="bold", markup=False)
            given = next(answers, "")
            if not interactive:
                console.print(f"   answer: {given}", markup=False)
            if correct(q, given):
                right += 1
                console.print("   right." + remark(q, given), style="green", markup=False)
            else:
                console.print(f"   no: it is {q.answer}.", style="red", markup=False)
        if i in by_step:
            console.print("   " + screen.summary(step), markup=False, soft_wrap=True)
            _wrapped(console, screen.explanation(step), max(console.size.width, 60), style="dim")
            if interactive and wait is not None:
                wait()
    console.print(f"Score: {right}/{len(asked)}" + (f" ({100 * right // len(asked)}%)" if asked else ""), style="bold")
    return right, len(asked)


# ------------------------------------------------------------------ input
def read_key(fd: int) -> str:
    """One key press from a terminal already in cbreak mode (arrow keys decoded)."""
    ch = os.read(fd, 1).decode(errors="replace")
    if ch == "\x1b":
        rest = os.read(fd, 2).decode(errors="replace")
        return {"[C": "RIGHT", "[D": "LEFT", "OC": "RIGHT", "OD": "LEFT", "[F": "END", "OF": "END"}.get(rest, "ESC")
    if ch in ("\x03", "\x04", ""):
        return "QUIT"
    return ch


def play_in_terminal(screen: Screen, console: Console, scenario: Scenario | None = None) -> None:
    """``play`` with the terminal in cbreak mode for the whole session, restored afterwards."""
    import termios
    import tty

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)

    def ask(prompt: str) -> str:  # a line typed as usual (echoed, editable), then keys again
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
        try:
            return console.input(prompt)
        finally:
            tty.setcbreak(fd)

    try:
        tty.setcbreak(fd)
        play(screen, console, lambda: read_key(fd), WhatIf(scenario, ask) if scenario is not None else None)
    except KeyboardInterrupt:
        pass
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def run_demo(
    trace: Trace,
    *,
    relative: bool = False,
    pause: bool = True,
    quiz_mode: bool = False,
    answers: IO[str] | None = None,
    segments_only: bool = False,
    scenario: Scenario | None = None,
) -> int:
    """Show ``trace`` as the step-through demo; returns an exit status."""
    from rich.console import Console

    console = Console(highlight=False)
    screen = Screen.of(trace, relative, segments_only=segments_only and not quiz_mode)
    interactive = pause and sys.stdin.isatty() and console.is_terminal
    if quiz_mode:
        if answers is not None:
            lines: Iterator[str] = (line.rstrip("\n") for line in answers)
        elif interactive:
            lines = iter(lambda: console.input("   your answer: "), None)
        else:
            lines = (line.rstrip("\n") for line in sys.stdin)
        quiz(screen, console, lines, interactive and answers is None, lambda: console.input(_NEXT_SEGMENT))
        return 0
    if interactive:
        play_in_terminal(screen, console, scenario)
        return 0
    print_all(screen, console)
    return 0
