"""Linux's receive memory: unread data charged per skb (payload plus overhead), the window what is left, halved."""

from hypothesis import given
from hypothesis import strategies as st

from simulator.model.skbmem import ReceiveMemory


def test_each_segment_queued_is_an_skb_charged_its_payload_and_the_overhead():
    mem = ReceiveMemory(832)
    mem.queued(724, in_backlog=False)
    mem.queued(724, in_backlog=False)
    assert mem.charged == 2 * (724 + 832)  # SO_MEMINFO showed 3112 for these two on Linux 6.18


def test_segments_joined_in_the_backlog_cost_one_overhead():
    mem = ReceiveMemory(832)
    mem.queued(724, in_backlog=True)
    mem.queued(724, in_backlog=True)
    assert mem.charged == 1448 + 832  # 2280, as SO_MEMINFO showed after the reader's call ended
    mem.released()
    mem.queued(724, in_backlog=True)  # the next call's backlog starts an skb of its own
    assert mem.charged == 2172 + 2 * 832


def test_an_skb_is_charged_until_it_is_read_whole():
    mem = ReceiveMemory(832)
    mem.queued(1000, in_backlog=False)
    mem.read(999)
    assert mem.charged == 1832
    mem.read(1)
    assert mem.charged == 0


def test_the_window_is_the_room_left_in_a_buffer_twice_the_window_halved():
    mem = ReceiveMemory(832)
    mem.queued(724, in_backlog=False)
    assert mem.free_window(2048) == 2048 - 778  # (4096 - 1556) / 2
    mem.queued(724, in_backlog=False)
    assert mem.free_window(2048) == 2048 - 1556
    mem.queued(20000, in_backlog=False)
    assert mem.free_window(2048) == 0


@given(
    st.lists(st.tuples(st.integers(1, 3000), st.booleans()), max_size=20),
    st.lists(st.integers(1, 5000), max_size=20),
)
def test_reading_everything_frees_everything(arrivals, reads):
    mem = ReceiveMemory(832)
    total = 0
    for n, backlog in arrivals:
        mem.queued(n, in_backlog=backlog)
        total += n
    for n in reads:  # some reads, then the rest
        n = min(n, total)
        mem.read(n)
        total -= n
        assert mem.charged >= (total > 0) * 832
    mem.read(total)
    assert mem.charged == 0
