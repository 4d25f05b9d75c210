"""Jupyter helpers for the course: run a scenario with the knobs a student turns, step through
it in a widget, and check answers.

``Stepper`` is an ipywidgets panel (buttons and a slider step through the run,
redrawing the ladder up to that step, both endpoints' TCBs and the reason;
sliders for loss, latency, the client's ISN and the server's window re-run
the scenario).  Where widgets cannot run (ipywidgets missing, or a static HTML
render of the notebook) it shows the same step as a static figure and text.
"""

from __future__ import annotations

import html
import io
from dataclasses import replace
from importlib import resources
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from ..model.errors import TcpsimError
from ..model.states import State
from ..sim import whatif
from ..sim.scenario import Scenario, load
from ..sim.trace import EventKind, Trace
from .demo import Question, Screen, correct, questions
from .plot import ladder as ladder_figure


def recorded_capture() -> Path:
    """A capture of real Linux on loopback that ships with tcpsim: lesson 6 uses it where it cannot capture."""
    return Path(str(resources.files(__package__) / "samples" / "linux-loopback.pcap"))


def scenario(
    name: str | Scenario,
    *,
    seed: int | None = None,
    loss: float | None = None,
    latency: float | None = None,
    isn_client: int | None = None,
    isn_server: int | None = None,
    window: int | None = None,
    mss: int | None = None,
) -> Scenario:
    """A built-in scenario (or your own) with the values a student changes; None keeps the file's."""
    chosen = load(name) if isinstance(name, str) else name
    isns = {k: v for k, v in (("client", isn_client), ("server", isn_server)) if v is not None}
    chosen = chosen.with_options(seed=seed, loss=loss, isns=isns)
    if latency is not None:
        chosen = replace(chosen, link=replace(chosen.link, latency=latency))
    if mss is not None:  # both endpoints: the MSS each announces and the largest segment each sends
        chosen = replace(
            chosen, endpoints=tuple(replace(s, config=replace(s.config, mss=mss)) for s in chosen.endpoints)
        )
    if window is not None:
        server = chosen.endpoint("server")
        config = replace(server.config, recv_buffer=window)
        chosen = replace(
            chosen, endpoints=tuple(replace(s, config=config) if s is server else s for s in chosen.endpoints)
        )
    return chosen


def run(name: str | Scenario, **knobs: Any) -> Trace:
    """Run a scenario (see ``scenario`` for the knobs) and return its trace."""
    return scenario(name, **knobs).run()


def ladder(trace: Trace, *, upto: int | None = None, relative: bool = True) -> Figure:
    """The ladder diagram, of the whole run or of its first ``upto`` steps (as the stepper counts them)."""
    if upto is not None:
        screen = Screen.of(trace, relative)
        shown = screen.steps[: max(upto, 0)]
        last = (shown[-1].fate or shown[-1].event) if shown else None
        end = trace.events.index(last) + 1 if last is not None else 0
        trace = replace(trace, events=trace.events[:end])
    return ladder_figure(trace, relative=relative)


def svg(fig: Figure) -> str:
    """A figure as inline SVG text (for static HTML)."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    return buffer.getvalue()


def tcb_table(trace: Trace, upto: int, *, relative: bool = True) -> str:
    """Every endpoint's TCB variables after the first ``upto`` steps, as an HTML table."""
    screen = Screen.of(trace, relative)
    views = screen.views_at(upto)
    rows = ["<tr><th></th>" + "".join(f"<th>{html.escape(n)}</th>" for n in views) + "</tr>"]
    for name in ("state", "snd_una", "snd_nxt", "snd_wnd", "rcv_nxt", "rcv_wnd"):
        cells = []
        for view in views.values():
            value: object = getattr(view, name)
            if relative and name in ("snd_una", "snd_nxt"):
                value = view.snd_una.since(view.iss) if name == "snd_una" else view.snd_nxt.since(view.iss)
            elif name == "rcv_nxt" and view.state in (State.CLOSED, State.LISTEN, State.SYN_SENT):
                value = "-"  # nothing received yet
            elif relative and name == "rcv_nxt":
                value = view.rcv_nxt.since(view.irs)
            cells.append(f"<td>{html.escape(str(value))}</td>")
        rows.append(f"<tr><th>{name.upper().replace('_', '.')}</th>{''.join(cells)}</tr>")
    return "<table>" + "".join(rows) + "</table>"


def step_html(trace: Trace, upto: int, *, relative: bool = True, figure: bool = True) -> str:
    """One step as static HTML: the ladder so far, the TCBs and the reason for the last step."""
    screen = Screen.of(trace, relative)
    upto = min(max(upto, 0), len(screen.steps))
    parts = [f"<p><b>step {upto} of {len(screen.steps)}</b></p>"]
    if upto:
        step = screen.steps[upto - 1]
        parts.append(f"<p><code>{html.escape(screen.summary(step))}</code></p>")
        parts.append(f"<p>{html.escape(screen.explanation(step))}</p>")
    parts.append(tcb_table(trace, upto, relative=relative))
    if figure:
        parts.append(svg(ladder(trace, upto=upto, relative=relative)))
    return "".join(parts)


class Stepper:
    """Step through a scenario: ◀ ▶ buttons and a slider, plus knobs that re-run it.

    In a notebook, the last expression ``Stepper("lost_syn_ack")`` shows the panel.
    """

    def __init__(self, name: str | Scenario = "three_way_handshake", *, relative: bool = True) -> None:
        self.base = load(name) if isinstance(name, str) else name
        self.relative = relative
        self.trace = self.base.run()
        self.step = 0  # the first ▶ shows the first step
        self._box: Any = None

    @property
    def steps(self) -> int:
        return len(Screen.of(self.trace, self.relative).steps)

    def rerun(self, **knobs: Any) -> Trace:
        """Run again with new knobs (loss, latency, isn_client, window, seed); the step goes back to 0."""
        self.trace = run(self.base, **knobs)
        self.step = 0
        return self.trace

    def inject(
        self,
        flags: str,
        seq: int,
        ack: int = 0,
        *,
        window: int = 65535,
        payload: bytes = b"",
        to: str | None = None,
    ) -> whatif.Outcome:
        """What if ``to`` (default: the second endpoint) received a segment of your own just after
        the current step? The run goes on from there with it; the stepper moves to the model's
        answer, which the outcome explains. With relative numbers (the default), ``seq`` counts from
        the sender's ISN and ``ack`` from the receiver's."""
        names = [e.name for e in self.trace.endpoints]
        receiver = to if to is not None else names[-1]
        sender = next((n for n in names if n != receiver), receiver)
        if self.relative:
            isn = {e.name: e.isn for e in self.trace.endpoints}
            seq, ack = (seq + isn.get(sender, 0)) % (1 << 32), (ack + isn.get(receiver, 0)) % (1 << 32)
        outcome = whatif.inject(
            self.base,
            self._paused_at(),
            sender=sender,
            receiver=receiver,
            flags=flags,
            seq=seq,
            ack=ack,
            window=window,
            payload=payload,
        )
        return self._went_on(outcome)

    def drop_next(self) -> whatif.Outcome:
        """What if the network lost the next segment sent after the current step?"""
        if self.step == 0:
            return self._went_on(whatif.drop_next(self.base, 0))
        step = Screen.of(self.trace, self.relative).steps[self.step - 1]
        last = step.fate or step.event
        index = next(i for i, e in enumerate(self.trace.events) if e is last)
        return self._went_on(whatif.drop_next(self.base, index))

    def _paused_at(self) -> float:
        if self.step == 0:
            return -whatif.AFTER  # before anything: the change comes at t=0
        return Screen.of(self.trace, self.relative).steps[self.step - 1].event.time

    def _went_on(self, outcome: whatif.Outcome) -> whatif.Outcome:
        """Follow the run with the change, at the model's answer (or the change itself)."""
        self.base = outcome.scenario
        self.trace = outcome.trace
        screen = Screen.of(self.trace, self.relative)
        last = outcome.answer[-1] if outcome.answer else outcome.change
        self.step = next((i for i, s in enumerate(screen.steps, 1) if last is s.event or last is s.fate), self.step)
        return outcome

    def widget(self) -> Any:
        """The ipywidgets panel (ImportError if ipywidgets is missing)."""
        if self._box is None:
            self._box = _Panel(self).box
        return self._box

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        static = step_html(self.trace, self.step or self.steps, relative=self.relative)  # the whole run
        try:
            bundle: dict[str, Any] = self.widget()._repr_mimebundle_()
        except ImportError:
            bundle = {"text/plain": f"Stepper({self.base.name!r}) (install ipywidgets for the interactive panel)"}
        bundle["text/html"] = static  # what a static render (nbconvert, GitHub) shows instead
        return bundle


class _Panel:
    """The widgets of one Stepper."""

    def __init__(self, stepper: Stepper) -> None:
        import ipywidgets as w

        self.stepper = stepper
        self.slider = w.IntSlider(0, min=0, max=stepper.steps, description="step", continuous_update=False)
        # plain glyphs: an emoji font is not everywhere
        buttons = [w.Button(description=d, layout=w.Layout(width="60px")) for d in ("|◀", "◀", "▶", "▶|")]
        moves = (lambda n: 0, lambda n: n - 1, lambda n: n + 1, lambda n: stepper.steps)
        for button, move in zip(buttons, moves, strict=True):
            button.on_click(lambda _b, move=move: self._go(move(self.slider.value)))
        self.slider.observe(lambda change: self._show(), names="value")
        knobs = own_knobs(stepper.base)
        wide = {"description_width": "initial"}  # labels whole ("server window"), not cut
        self.knobs = {
            "loss": w.FloatSlider(knobs["loss"], min=0.0, max=0.5, step=0.05, description="loss", style=wide),
            "latency": w.FloatSlider(
                knobs["latency"], min=0.005, max=0.5, step=0.005, description="latency", style=wide
            ),
            "isn_client": w.IntText(knobs["isn_client"], description="client ISN", style=wide),
            "window": w.IntSlider(
                knobs["window"],
                min=0,
                max=max(65535, knobs["window"]),
                step=500,
                description="server window",
                style=wide,
            ),
            "seed": w.IntText(knobs["seed"], description="seed", style=wide),
        }
        rerun = w.Button(description="run again")
        rerun.on_click(lambda _b: self._rerun())
        self.what_if = {
            "flags": w.Text("A", description="what if: flags", style=wide, layout=w.Layout(width="170px")),
            "seq": w.IntText(1, description="seq", style=wide, layout=w.Layout(width="140px")),
            "ack": w.IntText(1, description="ack", style=wide, layout=w.Layout(width="140px")),
            "window": w.IntText(65535, description="window", style=wide, layout=w.Layout(width="160px")),
            "to": w.Dropdown(
                options=[e.name for e in stepper.trace.endpoints],
                value=stepper.trace.endpoints[-1].name,
                description="to",
                style=wide,
            ),
        }
        hand = w.Button(description="hand it over")
        hand.on_click(lambda _b: self._what_if(inject=True))
        drop = w.Button(description="drop the next segment")
        drop.on_click(lambda _b: self._what_if(inject=False))
        self.answer = w.HTML()
        self.out = w.HTML()
        # the ladder right under the buttons, the knobs below it: no scrolling between clicks
        self.box = w.VBox(
            [
                w.HBox([*buttons, self.slider]),
                self.out,
                w.HBox([*self.knobs.values(), rerun], layout=w.Layout(flex_flow="row wrap")),
                w.HBox([*self.what_if.values(), hand, drop], layout=w.Layout(flex_flow="row wrap")),
                self.answer,
            ]
        )
        self._go(stepper.step)

    def _what_if(self, *, inject: bool) -> None:
        """Hand over the segment the what-if row describes, or drop the next one; show the model's answer."""
        v = {name: widget.value for name, widget in self.what_if.items()}
        try:
            if inject:
                outcome = self.stepper.inject(v["flags"], v["seq"], v["ack"], window=v["window"], to=v["to"])
            else:
                outcome = self.stepper.drop_next()
        except TcpsimError as exc:  # impossible fields: one line in the panel
            self.answer.value = f"<p><b>cannot do that:</b> {html.escape(str(exc))}</p>"
            return
        self.answer.value = f"<pre>{html.escape(outcome.explain())}</pre>"
        self.slider.max = self.stepper.steps
        self._go(self.stepper.step)

    def _go(self, n: int) -> None:
        self.slider.value = min(max(n, 0), self.stepper.steps)
        self._show()

    def _show(self) -> None:
        self.stepper.step = self.slider.value
        self.out.value = step_html(self.stepper.trace, self.slider.value, relative=self.stepper.relative)

    def _rerun(self) -> None:
        own = own_knobs(self.stepper.base)  # only what was turned: a scenario's per-path settings stay
        knobs = {name: widget.value for name, widget in self.knobs.items() if widget.value != own[name]}
        try:
            self.stepper.rerun(**knobs)
        except Exception as exc:  # a scenario the knobs make impossible: say so in the panel
            self.out.value = f"<p><b>cannot run this:</b> {html.escape(str(exc))}</p>"
            return
        self.slider.max = self.stepper.steps
        self._go(0)


def own_knobs(base: Scenario) -> dict[str, Any]:
    """The stepper's knobs as the scenario itself sets them (its loss, latency, ISN, window, seed)."""
    specs = {spec.name: spec for spec in base.endpoints}
    client, server = specs.get("client", base.endpoints[0]), specs.get("server", base.endpoints[-1])
    return {
        "loss": base.link.loss,
        "latency": base.link.latency,
        "isn_client": client.isn or 0,
        "window": server.config.recv_buffer,
        "seed": base.seed,
    }


def check(question: str, answer: object, expected: object, why: str = "") -> bool:
    """Check a student's answer and say why; ``None`` means not answered yet (no error, so the
    notebook still runs top to bottom)."""
    if answer is None:
        print(f"{question}: not answered yet (replace None with your answer)")
        return False
    right = same_answer(answer, expected)
    print(
        f"{question}: {'✓ right' if right else f'✗ not quite: the answer is {expected}'}" + (f". {why}" if why else "")
    )
    return right


def same_answer(answer: object, expected: object) -> bool:
    """Numbers by value (``1`` is ``1.0``, ``"7"`` is ``7.0``), anything else as text, ignoring case and spaces."""
    a, b = _number(answer), _number(expected)
    if a is not None and b is not None:
        return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))
    return str(answer).strip().upper().replace(" ", "") == str(expected).strip().upper().replace(" ", "")


def _number(value: object) -> float | None:
    if isinstance(value, bool):  # True is not 1 to a student
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def next_segment_questions(trace: Trace, *, relative: bool = True) -> list[Question]:
    """For every segment sent: its flags, seq, ack and the sender's state after (from the demo's quiz)."""
    return questions(Screen.of(trace, relative))


def check_segment(trace: Trace, n: int, what: str, answer: object, *, relative: bool = True, why: bool = True) -> bool:
    """Check an answer about the ``n``-th segment sent in ``trace`` (1-based): its ``flags``, ``seq``,
    ``ack`` (``-`` when the ACK flag is off) or the sender's ``state`` once it is sent.  The model's
    reason is printed with the verdict, once the question has been answered (``why=False``: not
    yet, when a later question asks about the same segment, whose answer the reason would give)."""
    screen = Screen.of(trace, relative)
    asked = [q for q in questions(screen) if q.what == what]
    if what not in ("flags", "seq", "ack", "state") or not 1 <= n <= len(asked):
        raise ValueError(f"no question {what!r} about segment {n} (there are {len(asked)} segments sent)")
    q = asked[n - 1]
    if answer is None:
        print(f"segment {n}, {what}: not answered yet (replace None with your answer)")
        return False
    right = correct(q, str(answer))
    verdict = "✓ right" if right else f"✗ not quite: it is {q.answer}"
    reason = f" Why: {screen.explanation(screen.steps[q.step])}" if why else ""
    print(f"segment {n}, {what}: {verdict}.{reason}")
    return right


def segments(trace: Trace, *, relative: bool = True, first: int | None = None) -> None:
    """Print every segment sent (or the ``first`` few), numbered as ``check_segment`` counts them,
    with what became of it."""
    screen = Screen.of(trace, relative)
    n = 0
    for step in screen.steps:
        if step.event.kind != EventKind.SEND or step.event.segment is None:
            continue
        n += 1
        if first is not None and n > first:
            break
        print(f"{n:3}  {step.event.time:7.3f} s  {screen.summary(step)}")
