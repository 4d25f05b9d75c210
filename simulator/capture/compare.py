"""Line up a captured connection with a simulated run, segment by segment, in relative numbers.

Each side's segments are reduced to what the model decides: who sends, the
flags, the sequence and acknowledgement numbers relative to each ISN, and the
payload length.  The two lists are aligned with ``difflib`` (longest matching
runs first), so one extra or missing segment shows as one row, not as every
row after it.  Pure standard library.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from ..model.segment import Flags, Segment
from ..sim.trace import EventKind, Trace
from .analysis import captured as seen_at
from .connections import Connection, key_of, taken_at_client
from .connections import Key as FourTuple


class Key(NamedTuple):
    """What the model decides about a segment: who sends it, flags, relative seq and ack, payload length."""

    direction: str  # "client -> server" or "server -> client"
    flags: str
    seq: int
    ack: int
    length: int

    @property
    def from_client(self) -> bool:
        return self.direction.startswith("client")

    def label(self, *, empty_length: bool = True) -> str:
        """``PSH,ACK seq=1 ack=1 len=5`` (``len=0`` left out when ``empty_length`` is false)."""
        ack = f" ack={self.ack}" if "ACK" in self.flags.split(",") else ""
        length = f" len={self.length}" if self.length or empty_length else ""
        return f"{self.flags} seq={self.seq}{ack}{length}"


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the comparison: the captured segment, the simulated one, or both."""

    captured: Key | None
    simulated: Key | None

    @property
    def same(self) -> bool:
        return self.captured == self.simulated


def key(seg: Segment, length: int, direction: str, own_isn: int, peer_isn: int | None) -> Key:
    """One segment as a key: seq relative to its sender's ISN, ack to its receiver's (0 when unknown)."""
    ack = seg.ack.relative_to(peer_isn) if seg.flags & Flags.ACK and peer_isn is not None else 0
    return Key(direction, seg.flags.names, seg.seq.relative_to(own_isn), ack, length)


def keys(segments: Iterable[tuple[Segment, int]], client: tuple[str, int]) -> list[Key]:
    """Segments (with their payload length on the wire) as keys, numbered from each side's ISN."""
    items = list(segments)
    isn: dict[tuple[str, int], int] = {}
    for seg, _ in items:
        if seg.flags & Flags.SYN:
            isn.setdefault((seg.src_addr, seg.src_port), int(seg.seq))
    for seg, _ in items:
        isn.setdefault((seg.src_addr, seg.src_port), int(seg.seq))
    out = []
    syn_senders = {(seg.src_addr, seg.src_port) for seg, _ in items if seg.flags & Flags.SYN}
    synced: set[tuple[str, int]] = set()  # the sides whose SYN has gone by
    for seg, length in items:
        src, dst = (seg.src_addr, seg.src_port), (seg.dst_addr, seg.dst_port)
        if seg.flags & Flags.SYN:
            synced.add(src)
        direction = "client -> server" if src == client else "server -> client"
        # before its own SYN a side has no ISN to count from (a RST refusing a SYN): its numbers stand as sent
        own = isn[src] if src in synced or src not in syn_senders else 0
        out.append(key(seg, length, direction, own, isn.get(dst)))
    return out


def _capture_host(conn: Connection, trace: Trace) -> str | None:
    """The run's endpoint standing where the capture was taken (the handshake's timing tells)."""
    sends = [e for e in trace.events if e.kind == EventKind.SEND and e.segment is not None]
    client = next((e.endpoint for e in sends if e.segment and e.segment.flags & Flags.SYN), None)
    server = next((e.endpoint for e in sends if e.endpoint != client), None)
    return server if taken_at_client(conn.packets) is False else client


def client_of(segments: Iterable[Segment]) -> tuple[str, int]:
    """The side that sent the first SYN (or, without one, the first segment)."""
    first = None
    for seg in segments:
        if first is None:
            first = (seg.src_addr, seg.src_port)
        if seg.flags & (Flags.SYN | Flags.ACK) == Flags.SYN:
            return (seg.src_addr, seg.src_port)
    return first or ("", 0)


@dataclass(slots=True)
class Incarnation:
    """The segments of one connection of a run: a 4-tuple, split again when a new SYN reuses it."""

    ends: FourTuple
    isn: dict[tuple[str, int], int]
    segments: list[tuple[Segment, int]]


def _ends(seg: Segment) -> FourTuple:
    src, dst = (seg.src_addr, seg.src_port), (seg.dst_addr, seg.dst_port)
    return (src, dst) if src <= dst else (dst, src)


def incarnations(segments: Iterable[Segment]) -> list[Incarnation]:
    """A run's segments grouped into connections as the capture reader groups a capture's: by
    4-tuple, and a SYN with another ISN on a 4-tuple seen before starts a new connection (the ports
    reused: a crashed host come back, a TIME-WAIT reused)."""
    out: list[Incarnation] = []
    latest: dict[FourTuple, Incarnation] = {}
    for seg in segments:
        ends, src = _ends(seg), (seg.src_addr, seg.src_port)
        current = latest.get(ends)
        pure_syn = seg.flags & (Flags.SYN | Flags.ACK) == Flags.SYN
        if current is None or (pure_syn and current.isn.get(src, int(seg.seq)) != int(seg.seq)):
            current = latest[ends] = Incarnation(ends, {}, [])
            out.append(current)
        if seg.flags & Flags.SYN:
            current.isn.setdefault(src, int(seg.seq))
        current.segments.append((seg, len(seg.payload)))
    return out


def _counterpart(conn: Connection, runs: list[Incarnation]) -> list[tuple[Segment, int]]:
    """The run's connection to line up with ``conn``: the one on the same 4-tuple with the same ISNs,
    else the first on the same 4-tuple; a run on other addresses is taken whole."""
    same = [run for run in runs if run.ends == key_of(conn)]
    if not same:
        return [item for run in runs for item in run.segments]
    isns = {side: int(isn) for side, isn in conn.isn.items()}
    return next((run for run in same if run.isn.items() <= isns.items()), same[0]).segments


def compare(conn: Connection, trace: Trace, *, at: str | None = None) -> list[Row]:
    """The captured connection and the run as a capture at the same host would show it, aligned.
    ``at`` names the run's endpoint where the capture was taken (default: inferred from the handshake)."""
    captured = [(p.segment, p.length) for p in conn.packets]
    if at is None:
        at = _capture_host(conn, trace)
    sent = [step.event.segment for step, _ in seen_at(trace, at)]
    simulated = _counterpart(conn, incarnations(seg for seg in sent if seg is not None))
    ours = keys(captured, client_of(s for s, _ in captured))
    theirs = keys(simulated, client_of(s for s, _ in simulated))
    rows: list[Row] = []
    matcher = difflib.SequenceMatcher(a=ours, b=theirs, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            rows += [Row(ours[i], theirs[j]) for i, j in zip(range(i1, i2), range(j1, j2), strict=True)]
            continue
        left, right = ours[i1:i2], theirs[j1:j2]
        for k in range(max(len(left), len(right))):
            rows.append(Row(left[k] if k < len(left) else None, right[k] if k < len(right) else None))
    return rows


def render(rows: list[Row]) -> list[str]:
    """Two columns, the capture on the left and the model on the right; differing rows marked."""

    def cell(key: Key | None) -> str:
        if key is None:
            return "(none)"
        return f"{'->' if key.from_client else '<-'} {key.label()}"

    lines = [f"   {'capture':<42} model"]
    for row in rows:
        mark = "  " if row.same else "!="
        lines.append(f"{mark} {cell(row.captured):<42} {cell(row.simulated)}")
    agree = sum(row.same for row in rows)
    lines.append(f"{agree} of {len(rows)} rows agree" + ("" if agree == len(rows) else " (differences marked !=)"))
    if agree != len(rows) and same_per_direction(rows):
        lines.append(
            "each direction carries the same segments in the same order: only the interleaving of the two "
            "sides differs (timing)"
        )
    return lines


def same_per_direction(rows: list[Row]) -> bool:
    """True when each direction's segments agree in order, however the two directions interleave."""
    for direction in ("client -> server", "server -> client"):
        ours = [row.captured for row in rows if row.captured is not None and row.captured[0] == direction]
        theirs = [row.simulated for row in rows if row.simulated is not None and row.simulated[0] == direction]
        if ours != theirs:
            return False
    return True


# ------------------------------------------------------------------ reasons
_PSH = "PSH placement: a stack sets PSH where its send buffer runs empty (RFC 9293 3.9.1 leaves it open)"
_ACK_TIMING = "ACK timing: a pure ACK sent at another moment, or not at all (delayed ACKs, RFC 9293 3.8.6.3)"
_SEGMENTING = "the same bytes cut into segments differently (send buffer, Nagle, autocorking)"
_RESENT = "a retransmission on one side only: a loss, or a timer, the other run did not have"
_FOLLOWS = "its ack follows from what arrived before (see the rows around it)"


def reasons(rows: list[Row]) -> list[str]:
    """Why the rows that differ differ, in words: grouped choices a stack may make, then each
    difference no such choice explains (a departure)."""
    bytes_agree = all(_bytes(rows, d, captured=True) == _bytes(rows, d, captured=False) for d in _DIRECTIONS)
    seen: dict[bool, set[Key]] = {True: set(), False: set()}
    counted: dict[str, int] = {}
    departs = []
    for row in rows:
        if not row.same:
            why = _why(row, bytes_agree, seen)
            if why is None:
                departs.append(
                    f"  departs: the capture has {_said(row.captured)} where the model sends {_said(row.simulated)}"
                )
            else:
                counted[why] = counted.get(why, 0) + 1
        for captured, k in ((True, row.captured), (False, row.simulated)):
            if k is not None:
                seen[captured].add(k)
    lines = [f"  {n} row{'s' if n > 1 else ''}: {why}" for why, n in counted.items()]
    if len(departs) > MAX_DEPARTS:
        departs = [*departs[:MAX_DEPARTS], f"  ... and {len(departs) - MAX_DEPARTS} more departures"]
    return lines + departs


_DIRECTIONS = ("client -> server", "server -> client")
MAX_DEPARTS = 10  # the first departures say where the runs part; the rest follow from them


def _bytes(rows: list[Row], direction: str, *, captured: bool) -> int:
    keys_ = (row.captured if captured else row.simulated for row in rows)
    return max((k.seq + k.length for k in keys_ if k is not None and k.direction == direction), default=0)


def _pure_ack(k: Key | None) -> bool:
    return k is None or (k.flags == "ACK" and k.length == 0)


def _without_psh(k: Key) -> Key:
    return k._replace(flags=",".join(f for f in k.flags.split(",") if f != "PSH"))


def _why(row: Row, bytes_agree: bool, seen: dict[bool, set[Key]]) -> str | None:
    c, m = row.captured, row.simulated
    if c is not None and m is not None and _without_psh(c) == _without_psh(m):
        return _PSH
    if _pure_ack(c) and _pure_ack(m):
        return _ACK_TIMING
    if (c is not None and c in seen[True]) or (m is not None and m in seen[False]):
        return _RESENT
    data = [k for k in (c, m) if k is not None]
    if bytes_agree and all(k.length and _without_psh(k).flags == "ACK" for k in data):
        return _SEGMENTING
    if c is not None and m is not None and c._replace(ack=m.ack) == m:
        return _FOLLOWS
    return None


def _said(k: Key | None) -> str:
    return "nothing" if k is None else f"{'->' if k.from_client else '<-'} {k.label()}"
