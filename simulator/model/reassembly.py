"""The receiver's reassembly queue: out-of-order segments held until the gap before them fills.

RFC 9293 3.10.7.4 (seventh step, SHLD-31) lets a receiver keep segments that arrive beyond RCV.NXT;
RFC 2018 section 4 reports them back as SACK blocks, the block holding the latest arrival first.
The queue is kept in sequence order as segments arrive (a binary search per insertion), so that
taking the next in-order segment, and listing the blocks, never sorts it again: a receiver behind a
long burst of losses may hold thousands of segments.
"""

from __future__ import annotations

import heapq
from bisect import insort

from .segment import Segment
from .seq import SeqNum


class Reassembly:
    """Segments held beyond RCV.NXT, by first sequence number; of two that start alike, the longer."""

    __slots__ = ("_arrival", "_clock", "_ends", "_held", "_order")

    def __init__(self) -> None:
        self._held: dict[int, Segment] = {}
        self._order: list[int] = []  # the held starts in sequence order
        self._ends: dict[int, int] = {}  # start -> the held segment's end
        self._arrival: dict[int, int] = {}  # start -> when a segment starting there last arrived (a counter)
        self._clock = 0

    def __len__(self) -> int:
        return len(self._held)

    def __bool__(self) -> bool:
        return bool(self._held)

    def clear(self) -> None:
        self._held.clear()
        self._ends.clear()
        self._order.clear()
        self._arrival.clear()

    def add(self, seg: Segment, base: SeqNum) -> bool:
        """Hold ``seg`` (``base``: RCV.NXT, which orders the queue).  False if all of it was held already."""
        start = int(seg.seq)
        self._clock += 1
        held = self._held.get(start)
        if held is None:
            insort(self._order, start, key=lambda s: SeqNum(s).since(base))
        elif seg.end.since(held.end) <= 0:
            self._arrival[start] = self._clock  # a copy arriving again is the latest arrival all the same
            return False
        self._held[start] = seg
        self._ends[start] = int(seg.end)
        self._arrival[start] = self._clock
        return True

    def pop_next(self, rcv_nxt: SeqNum) -> Segment | None:
        """The held segment that starts at or before ``rcv_nxt`` and reaches past it (those wholly before it
        are dropped on the way), or None while a gap remains."""
        while self._order:
            start = self._order[0]
            seg = self._held[start]
            if seg.seq.since(rcv_nxt) > 0:
                return None
            del self._order[0]
            del self._held[start]
            del self._ends[start]
            del self._arrival[start]
            if seg.end.since(rcv_nxt) > 0:
                return seg
        return None

    def blocks(self, most: int) -> list[tuple[SeqNum, SeqNum]]:
        """Up to ``most`` SACK blocks: held segments that touch joined into one, the block with the latest
        arrival first (RFC 2018 section 4)."""
        ranges: list[list[int]] = []  # [latest arrival in it, start, end], ends as plain ints
        ends, arrival = self._ends, self._arrival
        for start in self._order:
            end, arrived = ends[start], arrival[start]
            last = ranges[-1] if ranges else None
            if last is not None and _since(start, last[2]) <= 0:  # touches the block before: one block
                if arrived > last[0]:
                    last[0] = arrived
                if _since(end, last[2]) > 0:
                    last[2] = end
            else:
                ranges.append([arrived, start, end])
        top = heapq.nlargest(most, ranges, key=lambda r: r[0])
        return [(SeqNum(first), SeqNum(end)) for _, first, end in top]


_MASK = 0xFFFFFFFF
_HALF = 1 << 31


def _since(a: int, b: int) -> int:
    """a - b in sequence space, as a signed distance in (-2**31, 2**31] (SeqNum.since on plain ints)."""
    d = (a - b) & _MASK
    return d - (1 << 32) if d > _HALF else d
