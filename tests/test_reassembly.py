"""The reassembly queue (RFC 9293 3.10.7.4, seventh step) and the SACK blocks it reports (RFC 2018 4)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from simulator import Flags
from simulator.model.reassembly import Reassembly
from simulator.model.segment import Segment
from simulator.model.seq import SeqNum

BASE = 0xFFFF_F000  # close below the wrap of the 32-bit sequence space


def data(start: int, length: int) -> Segment:
    return Segment(1, 2, SeqNum((BASE + start) & 0xFFFFFFFF), SeqNum(0), Flags.ACK, 1000, payload=b"x" * length)


class Sorted:
    """The plain rule, for comparison: every held segment in a dict, sorted again at each question."""

    def __init__(self) -> None:
        self.held: dict[int, Segment] = {}
        self.recent: list[int] = []

    def add(self, seg: Segment) -> bool:
        start = int(seg.seq)
        old = self.held.get(start)
        new = old is None or seg.end.since(old.end) > 0
        if new:
            self.held[start] = seg
        self.recent = [start, *(s for s in self.recent if s != start and s in self.held)]
        return new

    def pop_next(self, rcv_nxt: SeqNum) -> Segment | None:
        for start in sorted(self.held, key=lambda s: SeqNum(s).since(rcv_nxt)):
            seg = self.held.pop(start)
            if seg.end.since(rcv_nxt) <= 0:
                continue
            if seg.seq.since(rcv_nxt) <= 0:
                return seg
            self.held[start] = seg
            return None
        return None

    def blocks(self, most: int, rcv_nxt: SeqNum) -> list[tuple[SeqNum, SeqNum]]:
        rank = {start: i for i, start in enumerate(self.recent)}
        ranges: list[tuple[int, SeqNum, SeqNum]] = []
        for start in sorted(self.held, key=lambda s: SeqNum(s).since(rcv_nxt)):
            seg = self.held[start]
            if ranges and seg.seq.since(ranges[-1][2]) <= 0:
                was, first, end = ranges[-1]
                ranges[-1] = (min(was, rank[start]), first, seg.end if seg.end.since(end) > 0 else end)
            else:
                ranges.append((rank[start], seg.seq, seg.end))
        return [(first, end) for _, first, end in sorted(ranges)][:most]


def test_of_two_segments_that_start_alike_the_longer_is_kept():
    queue = Reassembly()
    assert queue.add(data(100, 10), SeqNum(BASE))
    assert queue.add(data(100, 30), SeqNum(BASE))  # longer: replaces the first
    assert not queue.add(data(100, 20), SeqNum(BASE))  # all of it held already: a duplicate
    assert queue.blocks(4) == [(SeqNum(BASE + 100), SeqNum(BASE + 130))]


def test_touching_segments_are_one_block_and_the_latest_arrival_comes_first():
    queue = Reassembly()
    for start in (300, 100, 110):
        queue.add(data(start, 10), SeqNum(BASE))
    first, second = queue.blocks(4)
    assert (int(first[0]) - BASE, int(first[1]) - BASE) == (100, 120)  # 110..120 arrived last, and joins 100
    assert (int(second[0]) - BASE, int(second[1]) - BASE) == (300, 310)


def test_the_next_segment_is_taken_only_once_the_gap_before_it_is_filled():
    queue = Reassembly()
    queue.add(data(10, 10), SeqNum(BASE))
    assert queue.pop_next(SeqNum(BASE)) is None
    taken = queue.pop_next(SeqNum(BASE + 15))  # it starts before RCV.NXT and reaches past it
    assert taken is not None and int(taken.seq) == BASE + 10 and not queue


steps = st.lists(
    st.one_of(
        st.tuples(st.just("add"), st.integers(1, 60), st.integers(1, 8)),  # (start, length) in units of 100
        st.tuples(st.just("advance"), st.integers(0, 6), st.just(0)),
    ),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(steps)
def test_the_ordered_queue_answers_as_sorting_every_time_would(script):
    queue, plain = Reassembly(), Sorted()
    rcv_nxt = SeqNum(BASE)
    for action, a, b in script:
        if action == "add":
            seg = data(int(rcv_nxt.since(SeqNum(BASE))) + a * 100, b * 100)
            assert queue.add(seg, rcv_nxt) == plain.add(seg)
        else:
            rcv_nxt = rcv_nxt + a * 100
            while True:
                got, want = queue.pop_next(rcv_nxt), plain.pop_next(rcv_nxt)
                assert got == want
                if got is None:
                    break
                rcv_nxt = got.end if got.end.since(rcv_nxt) > 0 else rcv_nxt
        for most in (3, 4):
            assert queue.blocks(most) == plain.blocks(most, rcv_nxt)
        assert len(queue) == len(plain.held)
