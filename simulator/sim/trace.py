"""The record of a run: ordered events with explanations, and its JSON form.

JSON schema ``tcpsim-trace`` version 1 (documented in docs/reference/trace-json.md):

    {"format": "tcpsim-trace", "version": 1, "scenario": str, "title": str,
     "seed": int, "endpoints": [{"name", "address", "port", "isn"}],
     "stopped_at": null or the virtual time at which the run was cut off,
     "events": [{"time", "kind", "endpoint", "segment", "retransmission",
                 "key", "state_after", "tcb", "explanation"}]}

``segment`` is null or {"src", "dst", "src_port", "dst_port", "seq", "ack",
"flags" (letters as Scapy writes them, "SA"), "window", "len" (SEG.LEN,
counting SYN and FIN), "payload" (bytes of data), "data" (the bytes, hex),
"options"}.  ``state_after`` maps endpoint names to states after the event;
``tcb`` maps them to their RFC 9293 variables.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..model.errors import TraceFormatError
from ..model.keys import SendKey
from ..model.notes import TcbView
from ..model.segment import Flags, Options, Segment
from ..model.seq import SeqNum
from ..model.states import State

FORMAT = "tcpsim-trace"
VERSION = 1


class EventKind(enum.StrEnum):
    """What happened at one step of a run, in the words the JSON uses."""

    APP = "app"  # the application made a call
    SEND = "send"  # an endpoint put a segment on the wire
    DROP = "drop"  # the network lost it
    DUPLICATE = "duplicate"  # the network delivered it twice
    DELAY = "delay"  # the network held it back (a scripted fault)
    INJECT = "inject"  # the scenario put a foreign segment on the wire (an old duplicate)
    DELIVER = "deliver"  # a segment reached an endpoint, which processed it
    STATE = "state"  # a state change
    TIMER_SET = "timer_set"
    TIMER_FIRED = "timer_fired"
    TIMER_CANCEL = "timer_cancel"
    DATA = "data"  # bytes became readable
    EOF = "eof"  # end of stream for the application
    ERROR = "error"  # the connection failed, or a user call was refused
    RTT = "rtt"  # an RTT sample changed the RTO
    ECN = "ecn"  # a segment arrived marked Congestion Experienced (RFC 3168)
    CWND = "cwnd"  # the congestion window or ssthresh changed


class Explainer(Protocol):
    """Writes an event's sentence when it is read; ``relative`` counts numbers from each ISN."""

    def __call__(self, *, relative: bool = False) -> str: ...


@dataclass(frozen=True, slots=True)
class EndpointInfo:
    """Who took part in a run."""

    name: str
    address: str
    port: int
    isn: int


@dataclass(frozen=True, slots=True)
class TraceEvent:
    """One step of a run.

    ``why`` is the explanation, or a function that writes it: sentences are
    only formatted when someone reads ``explanation`` (most bulk runs never do).
    """

    time: float
    kind: EventKind
    endpoint: str
    why: str | Explainer
    segment: Segment | None = None
    retransmission: bool = False
    views: tuple[tuple[str, TcbView], ...] = ()
    # The note's key (model.keys, e.g. SendKey.FAST_RETRANSMIT; its text when read from JSON);
    # "" for the network's own events (drop, duplicate, delay, inject, a closed port's answer).
    key: str = ""

    @property
    def explanation(self) -> str:
        """The sentence that says why this step happened."""
        why = self.why
        return why if isinstance(why, str) else why()

    def explained(self, *, relative: bool = False) -> str:
        """The sentence, with sequence numbers relative to each ISN when ``relative`` (as
        Wireshark shows them); a trace read back from JSON keeps the numbers it was written with."""
        why = self.why
        return why if isinstance(why, str) else why(relative=relative)

    @property
    def keepalive(self) -> bool:
        """A keep-alive probe: an empty ACK one below SND.NXT (RFC 1122 4.2.3.6)."""
        return self.key == SendKey.KEEPALIVE_PROBE

    @property
    def state_after(self) -> dict[str, State]:
        """Each endpoint's state after this event (the endpoint and its peer)."""
        return {name: view.state for name, view in self.views}

    def view(self, name: str) -> TcbView | None:
        """The TCB of ``name`` after this event, if recorded."""
        for n, v in self.views:
            if n == name:
                return v
        return None


@dataclass(slots=True)
class Trace:
    """All events of one run, in order."""

    scenario: str
    seed: int
    title: str = ""
    endpoints: list[EndpointInfo] = field(default_factory=list)
    events: list[TraceEvent] = field(default_factory=list)
    stopped_at: float | None = None  # the run was cut off here with events pending
    warnings: list[str] = field(default_factory=list)  # what the run says about the scenario itself

    def __iter__(self) -> Iterator[TraceEvent]:
        return iter(self.events)

    def __len__(self) -> int:
        return len(self.events)

    def of_kind(self, *kinds: EventKind) -> list[TraceEvent]:
        """The events of the given kinds, in order."""
        return [e for e in self.events if e.kind in kinds]

    def segments_sent(self) -> list[TraceEvent]:
        """Every ``send`` event (including retransmissions), in order."""
        return self.of_kind(EventKind.SEND)

    def final_states(self) -> dict[str, State]:
        """The last recorded state of every endpoint."""
        states: dict[str, State] = {}
        for event in self.events:
            for name, view in event.views:
                states[name] = view.state
        return states

    def to_json(self, *, relative: bool = False) -> str:
        """The trace as JSON text (stable: same run, same bytes); ``relative``: the sentences
        count sequence numbers from each ISN (the segments and TCBs keep the numbers on the wire)."""
        return json.dumps(self.to_dict(relative=relative), indent=1, ensure_ascii=False) + "\n"

    def to_dict(self, *, relative: bool = False) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "scenario": self.scenario,
            "title": self.title,
            "seed": self.seed,
            "endpoints": [{"name": e.name, "address": e.address, "port": e.port, "isn": e.isn} for e in self.endpoints],
            "stopped_at": self.stopped_at,
            **({"warnings": list(self.warnings)} if self.warnings else {}),
            **({"relative": True} if relative else {}),
            "events": [_event_to_dict(e, relative) for e in self.events],
        }

    @classmethod
    def from_json(cls, text: str) -> Trace:
        """Load a trace written by ``to_json``."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise TraceFormatError(f"not a JSON trace: {exc.msg} at line {exc.lineno}") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise TraceFormatError("not a tcpsim trace (the 'format' field is missing or different)")
        if data.get("version") != VERSION:
            raise TraceFormatError(
                f"trace version {data.get('version')!r} is not supported (this tcpsim reads {VERSION})"
            )
        try:
            return cls(
                scenario=str(data["scenario"]),
                seed=int(data["seed"]),
                title=str(data.get("title", "")),
                endpoints=[
                    EndpointInfo(str(e["name"]), str(e["address"]), int(e["port"]), int(e["isn"]))
                    for e in data["endpoints"]
                ],
                events=[_event_from_dict(e) for e in data["events"]],
                stopped_at=float(data["stopped_at"]) if data.get("stopped_at") is not None else None,
                warnings=[str(w) for w in data.get("warnings", [])],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise TraceFormatError(f"the trace is damaged: {exc!r}") from None


def segment_to_dict(seg: Segment) -> dict[str, Any]:
    """A segment in the trace's JSON form."""
    opts = seg.options
    options: dict[str, Any] = {}
    if opts.mss is not None:
        options["mss"] = opts.mss
    if opts.wscale is not None:
        options["wscale"] = opts.wscale
    if opts.sack_permitted:
        options["sack_permitted"] = True
    if opts.sack_blocks:
        options["sack"] = [[int(a), int(b)] for a, b in opts.sack_blocks]
    if opts.timestamps is not None:
        options["timestamps"] = list(opts.timestamps)
    return {
        "src": seg.src_addr,
        "dst": seg.dst_addr,
        "src_port": seg.src_port,
        "dst_port": seg.dst_port,
        "seq": int(seg.seq),
        "ack": int(seg.ack),
        "flags": seg.flags.letters,
        "window": seg.window,
        "len": seg.len,
        "payload": len(seg.payload),
        "data": seg.payload.hex(),
        "options": options,
    }


def segment_from_dict(d: dict[str, Any]) -> Segment:
    """Inverse of ``segment_to_dict``."""
    o = d.get("options", {})
    options = Options(
        mss=o.get("mss"),
        wscale=o.get("wscale"),
        sack_permitted=bool(o.get("sack_permitted", False)),
        sack_blocks=tuple((SeqNum(a), SeqNum(b)) for a, b in o.get("sack", [])),
        timestamps=tuple(o["timestamps"]) if "timestamps" in o else None,
    )
    return Segment(
        src_port=int(d["src_port"]),
        dst_port=int(d["dst_port"]),
        seq=SeqNum(int(d["seq"])),
        ack=SeqNum(int(d["ack"])),
        flags=Flags.parse(str(d["flags"])),
        window=int(d["window"]),
        options=options,
        payload=bytes.fromhex(d.get("data", "")),
        src_addr=str(d.get("src", "")),
        dst_addr=str(d.get("dst", "")),
    )


_TCB_FIELDS = ("iss", "irs", "snd_una", "snd_nxt", "snd_wnd", "rcv_nxt", "rcv_wnd")


def _tcb_to_dict(v: TcbView) -> dict[str, int | None]:
    """The TCB in JSON; cwnd, ssthresh (null until set) and flight_size only with congestion control."""
    out: dict[str, int | None] = {f: int(getattr(v, f)) for f in _TCB_FIELDS}
    if v.cwnd is not None:
        out.update(cwnd=v.cwnd, ssthresh=v.ssthresh, flight_size=v.flight_size)
    return out


def _event_to_dict(e: TraceEvent, relative: bool = False) -> dict[str, Any]:
    return {
        "time": round(e.time, 9),
        "kind": e.kind,
        "endpoint": e.endpoint,
        "segment": segment_to_dict(e.segment) if e.segment is not None else None,
        "retransmission": e.retransmission,
        "key": e.key,
        "state_after": {name: v.state.value for name, v in e.views},
        "tcb": {name: _tcb_to_dict(v) for name, v in e.views},
        "explanation": e.explained(relative=relative),
    }


def _event_from_dict(d: dict[str, Any]) -> TraceEvent:
    views = []
    for name, state in d["state_after"].items():
        t = d["tcb"][name]
        views.append(
            (
                name,
                TcbView(
                    State(state),
                    SeqNum(t["iss"]),
                    SeqNum(t["irs"]),
                    SeqNum(t["snd_una"]),
                    SeqNum(t["snd_nxt"]),
                    int(t["snd_wnd"]),
                    SeqNum(t["rcv_nxt"]),
                    int(t["rcv_wnd"]),
                    t.get("cwnd"),
                    t.get("ssthresh"),
                    int(t.get("flight_size", 0)),
                ),
            )
        )
    try:
        kind = EventKind(d["kind"])
    except ValueError:
        raise ValueError(f"unknown event kind {d['kind']!r}") from None
    return TraceEvent(
        time=float(d["time"]),
        kind=kind,
        endpoint=str(d["endpoint"]),
        why=str(d["explanation"]),
        segment=segment_from_dict(d["segment"]) if d["segment"] is not None else None,
        retransmission=bool(d.get("retransmission", False)),
        views=tuple(views),
        key=str(d.get("key", "")),
    )
