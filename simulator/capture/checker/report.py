"""What the checker says: a report per packet and per connection."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import NamedTuple

from ...model.states import State
from ..spool import Spool
from .sentences import Sentence

_TEXT = {state: state.value for state in State}  # a state's name, looked up once per packet in JSON


class PacketReport(NamedTuple):
    """What the checker says about one packet (a named tuple: one is made for every packet checked)."""

    number: int
    time: float  # seconds since the connection's first packet
    direction: str  # "->" from the side that sent the first packet, "<-" towards it
    flags: str
    seq: int  # relative to the sender's ISN (absolute with relative=False)
    ack: int
    length: int  # payload bytes on the wire
    window: int  # as advertised, scaled when the scale is known
    labels: tuple[str, ...]
    before: tuple[State, State]  # (side a, side b)
    after: tuple[State, State]
    why: str | Sentence  # its explanation, put into words when asked for (see sentences.py)
    departure: str | None = None
    in_flight: int | None = None  # bytes sent and not yet acknowledged, this segment's too (data only)

    @property
    def explanation(self) -> str:
        """The sentence that explains it."""
        return str(self.why)

    def to_json(self) -> dict[str, object]:
        return {
            "number": self.number,
            "time": round(self.time, 6),
            "direction": self.direction,
            "flags": self.flags,
            "seq": self.seq,
            "ack": self.ack,
            "len": self.length,
            "window": self.window,
            "labels": list(self.labels),
            "before": [_TEXT[self.before[0]], _TEXT[self.before[1]]],
            "after": [_TEXT[self.after[0]], _TEXT[self.after[1]]],
            "explanation": self.explanation,
            "departure": self.departure,
            "bytes_in_flight": self.in_flight,  # Wireshark's tcp.analysis.bytes_in_flight
        }


@dataclass(frozen=True, slots=True)
class ConnectionReport:
    """One connection of a capture, checked packet by packet."""

    a: tuple[str, int]
    b: tuple[str, int]
    zeek_state: str
    packets: tuple[PacketReport, ...] | Spool[PacketReport]  # a long connection's are in a temporary file
    notes: tuple[str, ...]  # what the checker had to infer (mid-connection start, ...)
    number: int = 0  # the connection's number in its capture (as tcpsim read counts them)

    @property
    def departures(self) -> list[PacketReport]:
        if isinstance(self.packets, Spool):
            return list(self.packets.kept)
        return [p for p in self.packets if p.departure is not None]

    @property
    def heading(self) -> Heading:
        return Heading(self.a, self.b, self.zeek_state, len(self.packets), self.notes, len(self.departures))

    @property
    def conforms(self) -> bool:
        return not self.departures

    @property
    def verdict(self) -> str:
        return self.heading.verdict

    def to_json(self) -> dict[str, object]:
        return {**self.heading.to_json(self.number), "packets": [p.to_json() for p in self.packets]}


class Heading(NamedTuple):
    """What a connection's report says before its packets.  Its number is given when it is printed:
    a worker process that checks a share of a capture's connections does not know it.  (A named
    tuple: a worker sends one per connection to the parent, and tuples pickle fast.)"""

    a: tuple[str, int]
    b: tuple[str, int]
    zeek_state: str
    packets: int
    notes: tuple[str, ...]
    departures: int

    @property
    def conforms(self) -> bool:
        return not self.departures

    @property
    def verdict(self) -> str:
        n = self.departures
        if not n:
            return "conforms to the model"
        return f"{n} departure{'s' if n != 1 else ''} from the model"

    def lines(self, number: int) -> Iterator[str]:
        """The report's lines above its packets."""
        yield (
            f"connection {number}: A {_endpoint(self.a)} <-> B {_endpoint(self.b)}, "
            f"{self.packets} packets, Zeek state {self.zeek_state}"
        )
        for note in self.notes:
            yield f"  note: {note}"
        yield f"  {'#':>6} {'time':>9}    {'segment':<38} {'A state':<12} {'B state':<12} what it is"

    def to_json(self, number: int) -> dict[str, object]:
        """The report as JSON, without its packets."""
        return {
            "number": number,
            "a": f"{_endpoint(self.a)}",
            "b": f"{_endpoint(self.b)}",
            "zeek_state": self.zeek_state,
            "conforms": self.conforms,
            "verdict": self.verdict,
            "notes": list(self.notes),
        }


def _endpoint(addr: tuple[str, int]) -> str:
    host, port = addr
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
