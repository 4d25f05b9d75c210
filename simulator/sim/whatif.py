"""What if: pause a run after one of its events, hand an endpoint a segment of your own (or
let the network lose the next segment), and let the run go on.

A run is deterministic, so pausing is replaying: the same scenario with one more scripted
injection (or fault), which changes nothing before the pause.  The outcome keeps the new
trace and what the model did about the change, each step with its explanation.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..model.errors import ScenarioError
from ..model.segment import Flags
from ..model.seq import MODULUS
from .network import Fault, Injection
from .scenario import Scenario
from .trace import EventKind, Trace, TraceEvent

# How long after the paused event the change happens: after everything at that instant.
AFTER = 1e-6
WHY = "what if: a segment handed to the receiver"


@dataclass(frozen=True, slots=True)
class Outcome:
    """The run with the change, the event that made it, and the model's answer."""

    scenario: Scenario  # the scenario with the change scripted in
    trace: Trace
    change: TraceEvent  # the injected segment leaving, or the network losing one
    answer: tuple[TraceEvent, ...]  # what the model did about it, in order

    def __str__(self) -> str:
        return self.explain()

    def explain(self) -> str:
        """The change and the model's answer, one line each, with their reasons."""
        lines = [f"t={self.change.time:.3f}  {self.change.explanation}"]
        lost = self.change.segment if self.change.kind == EventKind.DROP else None
        if not self.answer and lost is not None and lost.len == 0:
            lines.append("It occupied no sequence numbers, so nothing is sent again: a later ACK says the same.")
        elif not self.answer:
            lines.append("The model does nothing about it before the run ends.")
        for event in self.answer:
            lines.append(f"t={event.time:.3f}  {event.endpoint}: {event.explanation}")
        return "\n".join(lines)


def inject(
    scenario: Scenario,
    after: float,
    *,
    sender: str,
    receiver: str,
    flags: str,
    seq: int,
    ack: int = 0,
    window: int = 65535,
    payload: bytes = b"",
) -> Outcome:
    """``scenario`` run again with a segment from ``sender``'s address to ``receiver`` put on
    the wire just after time ``after`` (any flags, seq, ack, window and payload)."""
    names = [spec.name for spec in scenario.endpoints]
    for who in (sender, receiver):
        if who not in names:
            raise ScenarioError(f"no endpoint called {who!r} (endpoints: {', '.join(names)})")
    if sender == receiver:
        raise ScenarioError("a segment goes from one endpoint to another: sender and receiver are the same")
    try:
        parsed = Flags.parse(flags)
    except ValueError as exc:
        raise ScenarioError(f"flags {flags!r}: {exc}") from None
    for what, value in (("seq", seq), ("ack", ack)):
        if not 0 <= value < MODULUS:
            raise ScenarioError(f"{what} must be a 32-bit sequence number (0..4294967295), not {value}")
    if not 0 <= window <= 65535:
        raise ScenarioError(f"window must be 0..65535 (the 16-bit field), not {window}")
    at = after + AFTER
    injection = Injection(at, sender, receiver, parsed, seq, ack, window, payload, why=WHY)
    changed = replace(scenario, injections=(*scenario.injections, injection))
    trace = changed.run()
    change = next(e for e in trace.events if e.kind == EventKind.INJECT and e.time == at)
    return Outcome(changed, trace, change, _answer_to(trace, change))


def drop_next(scenario: Scenario, after_event: int) -> Outcome:
    """``scenario`` run again with the network losing the first segment sent after the event
    with index ``after_event`` in its trace (segments sent at the same moment count in order)."""
    before = scenario.run()
    if not 0 <= after_event < len(before.events):
        raise ScenarioError(f"the run has events 0..{len(before.events) - 1}, not {after_event}")
    nxt = next((e for e in before.events[after_event + 1 :] if e.kind == EventKind.SEND), None)
    if nxt is None:
        raise ScenarioError("no segment is sent after that: there is nothing to drop")
    sent = [e for e in before.events if e.kind == EventKind.SEND and e.endpoint == nxt.endpoint]
    nth = next(i for i, e in enumerate(sent, 1) if e is nxt)
    changed = replace(scenario, faults=(*scenario.faults, Fault("drop", sender=nxt.endpoint, nth=nth)))
    trace = changed.run()
    change = next(
        e for e in trace.events if e.kind == EventKind.DROP and e.time == nxt.time and e.segment == nxt.segment
    )
    return Outcome(changed, trace, change, _answer_to_loss(trace, change))


def _answer_to(trace: Trace, change: TraceEvent) -> tuple[TraceEvent, ...]:
    """The injected segment's arrival and what the receiver did at that moment."""
    events = trace.events
    start = events.index(change)
    arrival = next(
        (
            i
            for i in range(start + 1, len(events))
            if events[i].kind == EventKind.DELIVER and events[i].segment == change.segment
        ),
        None,
    )
    if arrival is None:
        return ()
    arrived = events[arrival]
    out = [arrived]
    for event in events[arrival + 1 :]:
        if event.time != arrived.time:
            break
        if event.endpoint == arrived.endpoint and event.kind in (EventKind.SEND, EventKind.STATE, EventKind.ERROR):
            out.append(event)
    return tuple(out)


def _answer_to_loss(trace: Trace, change: TraceEvent) -> tuple[TraceEvent, ...]:
    """The sender's repair: the first time the lost bytes go out again."""
    lost = change.segment
    assert lost is not None
    for event in trace.events[trace.events.index(change) + 1 :]:
        again = event.kind == EventKind.SEND and event.endpoint == change.endpoint and event.retransmission
        if again and event.segment is not None and event.segment.seq == lost.seq:
            return (event,)
    return ()
