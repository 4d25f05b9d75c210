"""Linux's receive memory: unread data charged per skb (payload plus overhead), the window what is left, halved."""

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from simulator import Endpoint
from simulator.model.profiles import PROFILES
from simulator.model.skbmem import ReceiveMemory

from .conftest import Wire, seg


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


def test_a_receiver_whose_unread_skbs_fill_its_buffer_offers_only_the_edge_it_promised():
    # RCV.WND comes from tcp_space too, not only the window's growth: 60 unread skbs of 100 bytes are charged
    # 60 x 932, far past the buffer, so no new window is offered, only the right edge already announced
    # (never moved back, RFC 9293 3.8.6.2.2). Counted in bytes, 6000 unread of 8192 would still offer more.
    config = replace(
        PROFILES["linux"].config, recv_buffer=8192, fixed_recv_buffer=True, skb_overhead=832, auto_read=False
    )
    wire = Wire(Endpoint("client", "10.0.0.1", 40000, 1000, config), Endpoint("server", "10.0.0.2", 80, 5000, config))
    wire.handshake()
    for i in range(60):  # small segments the application does not read
        wire.deliver(seg(wire.client, wire.server, 1001 + 100 * i, 5001, flags="PA", payload=b"x" * 100), wire.server)
    server = wire.server
    assert server._rcv_adv is not None
    edge = (server._rcv_adv - int(server.rcv_nxt)) % 2**32  # the right edge last announced, from RCV.NXT
    assert server.rcv_wnd == edge
