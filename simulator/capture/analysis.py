"""What each segment of a run is, in Wireshark's TCP-analysis vocabulary, from the model's side.

``classify(trace)`` labels every segment an endpoint sends: retransmission,
fast retransmission, duplicate ACK (RFC 5681 section 2), zero window,
zero-window probe and window update.  The labels come from the model's own
reasons (the trace's keys) and from RFC 5681's definition of a duplicate ACK,
so they can be held against what Wireshark infers from the packets alone.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model.errors import TcpsimError
from ..model.keys import ReceiveKey, SendKey
from ..model.segment import Flags, Segment
from ..sim.steps import FATES, Step, steps
from ..sim.trace import EventKind, Trace, TraceEvent
from .labels import Label

LABELS = (
    Label.RETRANSMISSION,
    Label.FAST_RETRANSMISSION,
    Label.DUPLICATE_ACK,
    Label.ZERO_WINDOW,
    Label.ZERO_WINDOW_PROBE,
    Label.WINDOW_UPDATE,
    Label.OUT_OF_ORDER,
    Label.LOST_SEGMENT,
)
# The refused zero-window probe byte, sent again once the window opens, is not in this
# set: Wireshark never counts a probe byte as sent, so to it that is the byte's first send.
_RETRANSMITTED = {SendKey.RTO_RETRANSMIT, SendKey.SYN_ACK_AGAIN}
_PROBES = {SendKey.ZERO_WINDOW_PROBE, SendKey.PROBE_AGAIN}
_NOT_DUP = Flags.SYN | Flags.FIN | Flags.RST
# The events of segments on the wire, and what became of them.
_ON_THE_WIRE = FATES | {EventKind.SEND, EventKind.INJECT, EventKind.DELIVER}


def classify(trace: Trace) -> list[tuple[TraceEvent, frozenset[Label]]]:
    """Every send event of ``trace`` with the analysis labels the model gives it."""
    out: list[tuple[TraceEvent, frozenset[Label]]] = []
    # A zero-window ACK reports the window (a reply to a probe); it is not a loss signal.
    last_ack: dict[str, tuple[int, int]] = {}  # endpoint -> (ack, window) of its last segment
    for event in trace.events:
        seg = event.segment
        if event.kind != EventKind.SEND or seg is None:
            continue
        labels: set[Label] = set()
        if event.key == SendKey.FAST_RETRANSMIT:
            labels.add(Label.FAST_RETRANSMISSION)
        elif event.key in _RETRANSMITTED:
            labels.add(Label.RETRANSMISSION)
        if event.key in _PROBES:
            labels.add(Label.ZERO_WINDOW_PROBE)
        if event.key == SendKey.WINDOW_UPDATE:
            labels.add(Label.WINDOW_UPDATE)
        if seg.window == 0 and not seg.flags & Flags.RST:
            labels.add(Label.ZERO_WINDOW)
        previous = last_ack.get(event.endpoint)
        if (
            seg.flags & Flags.ACK
            and not seg.payload
            and not seg.flags & _NOT_DUP
            and seg.window != 0
            and previous == (int(seg.ack), seg.window)
            and event.key != SendKey.WINDOW_UPDATE
            and _peer_has_data_outstanding(event, int(seg.ack))
        ):
            labels.add(Label.DUPLICATE_ACK)  # RFC 5681 section 2: same ACK, same window, data outstanding
        if seg.flags & Flags.ACK:
            last_ack[event.endpoint] = (int(seg.ack), seg.window)
        out.append((event, frozenset(labels)))
    return out


def _peer_has_data_outstanding(event: TraceEvent, ack: int) -> bool:
    for name, view in event.views:
        if name != event.endpoint:
            return int(view.snd_nxt) != ack
    return True


def captured(trace: Trace, at: str | None = None, *, drops: bool = True) -> Iterator[tuple[Step, bool]]:
    """The steps a capture on the host of endpoint ``at`` (default: the first) sees, and whether each is outgoing.

    The segments of every endpoint on that host's address when they leave (also those the network then loses,
    unless ``drops`` is false) and the others' when they arrive.
    """
    names = [e.name for e in trace.endpoints]
    here = at or (names[0] if names else "")
    if here not in names:
        raise TcpsimError(f"no endpoint called {here!r} to capture at (endpoints: {', '.join(names)})")
    # the host's every socket: a listener's connections (NAME#2, ...) share its address
    address = next(e.address for e in trace.endpoints if e.name == here)
    host = {e.name for e in trace.endpoints if e.address == address}
    own: set[int] = set()  # the segments this host sent (a socket connected to itself receives them too)
    for step in steps(trace, _ON_THE_WIRE):
        event = step.event
        if event.segment is None:
            continue
        if event.kind in (EventKind.SEND, EventKind.INJECT) and event.endpoint in host:
            own.add(id(event.segment))
            if drops or step.fate is None or step.fate.kind != EventKind.DROP:
                yield step, True
        elif event.kind == EventKind.DELIVER and event.endpoint in host and id(event.segment) not in own:
            yield step, False  # (one that came back to its sender was captured once, leaving)


def capture_labels(trace: Trace, at: str | None = None, *, drops: bool = True) -> list[frozenset[Label]]:
    """The labels of every packet of ``captured(trace, at)``, as Wireshark would name them.

    A host's own segments carry what the model meant by them.  A segment that
    arrives also carries what it was to the receiver: beyond a gap (Wireshark:
    previous segment not captured), filling a gap late (out of order), or a copy
    of bytes already there (Wireshark cannot tell a duplicate from a retransmission).
    """
    sent = {id(event.segment): labels for event, labels in classify(trace)}
    out = []
    seen: set[tuple[str, int]] = set()  # (sender, seq) of segments that reached this host
    highest: dict[str, int] = {}  # per sender: the end of the furthest segment that arrived here
    last_ack: dict[str, tuple[int, int]] = {}  # per sender: (ack, window) of its last ACK that arrived here
    for step, outgoing in captured(trace, at, drops=drops):
        event = step.event
        seg = event.segment
        assert seg is not None
        labels = set(sent.get(id(seg), frozenset()))
        if Label.FAST_RETRANSMISSION in labels:
            labels.add(Label.RETRANSMISSION)  # Wireshark sets both
            if not outgoing:  # its 20 ms rule only holds where the duplicate ACKs arrive
                labels.discard(Label.FAST_RETRANSMISSION)
        if not outgoing:
            # what the receiving host's capture shows, as Wireshark judges it from the packets
            sender = f"{seg.src_addr}:{seg.src_port}"
            carries = bool(seg.payload) or bool(seg.flags & (Flags.SYN | Flags.FIN))
            resent = Label.RETRANSMISSION in labels
            labels.discard(Label.RETRANSMISSION)
            labels.discard(Label.DUPLICATE_ACK)  # judged below on the ACKs that arrived here
            if _duplicate_here(seg, last_ack.get(sender), event):
                labels.add(Label.DUPLICATE_ACK)
            if seg.flags & Flags.ACK:
                last_ack[sender] = (int(seg.ack), seg.window)
            end = highest.get(sender)
            below = carries and end is not None and seg.seq.since(end) < 0
            if carries and (sender, int(seg.seq)) in seen:
                labels.add(Label.RETRANSMISSION)  # a copy of something already here (or a duplicate)
            elif below:
                # inside a gap already seen here: a resend comes an RTT or more late, which
                # Wireshark calls a retransmission; only a late original is "out of order"
                labels.add(Label.RETRANSMISSION if resent else Label.OUT_OF_ORDER)
            elif event.key == ReceiveKey.OUT_OF_ORDER and (end is None or seg.seq.since(end) > 0):
                labels.add(Label.LOST_SEGMENT)  # a new gap opens before it
            if Label.ZERO_WINDOW_PROBE in labels:
                carries = False  # Wireshark leaves probe bytes out of its sequence tracking
            if carries:
                seen.add((sender, int(seg.seq)))
                if end is None or seg.end.since(end) > 0:
                    highest[sender] = int(seg.end)
        out.append(frozenset(labels))
    return out


def _duplicate_here(seg: Segment, previous: tuple[int, int] | None, event: TraceEvent) -> bool:
    """RFC 5681's duplicate ACK, judged on the ACKs that reached the capturing host."""
    return (
        bool(seg.flags & Flags.ACK)
        and not seg.payload
        and not seg.flags & _NOT_DUP
        and seg.window != 0
        and previous == (int(seg.ack), seg.window)
        and _outstanding_at(event, int(seg.ack))
    )


def _outstanding_at(event: TraceEvent, ack: int) -> bool:
    view = event.view(event.endpoint)  # the receiver: does it have data the ACK leaves unacknowledged?
    return view is None or int(view.snd_nxt) != ack
