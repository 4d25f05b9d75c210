"""Linux's receive memory: unread data charged per skb (payload plus overhead), the window what is left of the buffer,
times the ratio of payload to truesize measured on the segments that arrive."""

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from simulator import Endpoint
from simulator.model.profiles import PROFILES
from simulator.model.segment import Segment
from simulator.model.seq import SeqNum
from simulator.model.skbmem import MAX_SKB_FRAGS, ReceiveMemory

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
    # (Each stays an skb of its own, as segments do that cannot join the last: rcv_coalesce off.)
    config = replace(
        PROFILES["linux"].config,
        recv_buffer=8192,
        fixed_recv_buffer=True,
        skb_overhead=832,
        auto_read=False,
        rcv_coalesce=False,
    )
    wire = Wire(Endpoint("client", "10.0.0.1", 40000, 1000, config), Endpoint("server", "10.0.0.2", 80, 5000, config))
    wire.handshake()
    for i in range(60):  # small segments the application does not read
        wire.deliver(seg(wire.client, wire.server, 1001 + 100 * i, 5001, flags="PA", payload=b"x" * 100), wire.server)
    server = wire.server
    assert server._rcv_adv is not None
    edge = (server._rcv_adv - int(server.rcv_nxt)) % 2**32  # the right edge last announced, from RCV.NXT
    assert server.rcv_wnd == edge


def test_an_in_order_segment_joins_the_last_unread_skb_charged_its_payload_only():
    # tcp_queue_rcv -> tcp_try_coalesce: the segment's data is added to the last skb and its own head freed, so
    # the unread queue costs one overhead however many segments it holds (SO_MEMINFO: 1832, then 2832)
    mem = ReceiveMemory(832)
    assert not mem.queued(1000, in_backlog=False, coalesce=True)  # nothing to join: an skb of its own
    assert mem.queued(1000, in_backlog=False, coalesce=True)
    assert mem.charged == 2000 + 832
    mem.read(1500)  # still charged until read whole
    assert mem.charged == 2832


def test_an_skb_holds_at_most_max_skb_frags_segments():
    # skb_try_coalesce refuses once the fragments would pass MAX_SKB_FRAGS (17): the next starts an skb
    mem = ReceiveMemory(832)
    for _ in range(MAX_SKB_FRAGS):
        mem.queued(100, in_backlog=False, coalesce=True)
    assert mem.charged == 1700 + 832
    assert not mem.queued(100, in_backlog=False, coalesce=True)
    assert mem.charged == 1800 + 2 * 832


def test_the_window_per_buffer_byte_is_the_payload_over_the_truesize_of_a_segment_of_a_new_size():
    # tcp_measure_rcv_mss: scaling_ratio = len << 8 / truesize; 1/2 (128/256) before any is measured
    mem = ReceiveMemory(832)
    assert mem.ratio == 128 and mem.full_window(4096) == 4096
    assert mem.measure(1448)
    assert mem.ratio == 1448 * 256 // 2280 == 162  # 0.63: a 2280-byte skb carries 1448 bytes
    assert mem.full_window(4096) == 5184  # tcp_full_space of the 8192-byte buffer
    mem.queued(3448, in_backlog=False)
    assert mem.free_window(4096) == (8192 - 4280) * 162 // 256  # 2475: the window Linux offered, 1448 rounded
    assert not mem.measure(1448)  # the same ratio again


def _linux_pair(**server: object) -> Wire:
    base = replace(PROFILES["linux"].config, recv_buffer=4096, fixed_recv_buffer=True)
    wire = Wire(
        Endpoint("client", "10.0.0.1", 40000, 1000, base),
        Endpoint("server", "10.0.0.2", 80, 5000, replace(base, auto_read=False, **server)),  # type: ignore[arg-type]
    )
    wire.handshake()
    return wire


def _data(wire: Wire, start: int, n: int) -> Segment:
    return seg(wire.client, wire.server, 1001 + start, 5001, flags="PA", payload=b"x" * n)


def test_on_loopback_a_segment_cannot_join_an_skb_its_sender_still_keeps():
    # On lo the receiver holds a clone of the skb its sender keeps for retransmission, until the sender takes
    # the ACK of it and frees it; skb_try_coalesce adds nothing to a cloned skb.  (The network tells the
    # receiver the sender's SND.UNA as each segment arrives, and whether it left in an skb of its own.)
    wire = _linux_pair()
    server = wire.server
    server.loopback_peer_una, server.arrived_alone = SeqNum(1001), True
    wire.deliver(_data(wire, 0, 724), server)
    wire.deliver(_data(wire, 724, 724), server)  # the sender has not yet taken the ACK of the first
    assert server._rmem is not None and server._rmem.charged == 2 * (724 + 832)  # 3112, as SO_MEMINFO showed
    server.loopback_peer_una = SeqNum(1001 + 1448)  # it has now: both freed on its side
    wire.deliver(_data(wire, 1448, 724), server)
    assert server._rmem.charged == 3 * 724 + 2 * 832


def test_a_new_scaling_ratio_resets_the_window_clamp_of_a_fixed_buffer():
    # tcp_measure_rcv_mss -> tcp_set_window_clamp(tcp_win_from_space(sk_rcvbuf)): SO_RCVBUF 4096 offered 2896
    # at first (a segment kept back, tcp_app_win); 1000-byte segments make the ratio 139/256, and the clamp
    # the whole 8192-byte buffer's window at it
    wire = _linux_pair()
    wire.deliver(_data(wire, 0, 1000), wire.server)
    assert wire.server._rmem is not None and wire.server._rmem.ratio == 1000 * 256 // 1832 == 139
    assert wire.server._clamp() == 8192 * 139 // 256
    fixed = _linux_pair(measured_scaling_ratio=False)
    fixed.deliver(_data(fixed, 0, 1000), fixed.server)
    assert fixed.server._clamp() == 2896 and fixed.server._rmem is not None and fixed.server._rmem.ratio == 128
