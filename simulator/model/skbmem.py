"""Socket memory counted as Linux counts it: per packet buffer (skb), payload plus a fixed overhead.

Linux charges a socket's buffers with each skb's ``truesize`` (the payload and the ``struct sk_buff``,
its shared info and its header room: ``SKB_TRUESIZE``), not with the bytes the application wrote or
will read.  The receive queue is charged ``sk_rmem_alloc`` (``skb_set_owner_r``) until the reader has
consumed an skb whole (``tcp_eat_recv_skb``).  Two ways let segments share one skb, charged one overhead:
contiguous segments that wait in the socket's backlog while the application's call holds it are joined
(``tcp_add_backlog``: ``skb_try_coalesce``), and (``rcv_coalesce``) an in-order segment joins the receive
queue's last skb (``tcp_queue_rcv`` -> ``tcp_try_coalesce`` -> ``skb_try_coalesce``), charged its payload
only, while that skb has room for its fragments (``MAX_SKB_FRAGS``) and is not shared (see ``queued``).
``tcp_space`` turns what is left of ``sk_rcvbuf`` into a window with ``tcp_win_from_space``: times
``scaling_ratio`` / 256, 1/2 at first (``TCP_DEFAULT_SCALING_RATIO``), later (``measured_scaling_ratio``)
measured from the segments that arrive (``tcp_measure_rcv_mss``).  The buffer ``sk_rcvbuf`` is twice the
window it offers at the first ratio.  This class only counts; the endpoint asks.
"""

from __future__ import annotations

from collections import deque

MAX_SKB_FRAGS = 17  # include/linux/skbuff.h (CONFIG_MAX_SKB_FRAGS): page fragments one skb holds
PAGE_SIZE = 4096  # a user page: a MSG_ZEROCOPY write pins one fragment per page of each buffer
TCP_RMEM_TO_WIN_SCALE = 8  # include/net/tcp.h: scaling_ratio is a fraction of 256
TCP_DEFAULT_SCALING_RATIO = 1 << (TCP_RMEM_TO_WIN_SCALE - 1)  # include/net/tcp.h: 1/2 until measured


def zerocopy_skbs(buffers: tuple[int, ...], n: int, size_goal: int) -> list[int]:
    """The first ``n`` bytes of a MSG_ZEROCOPY write cut where an skb ran out of page fragments: the write's
    user buffers (its iovecs, each taken to start on a page) are pinned, not copied, one fragment per page
    an skb holds of them; an skb ends at ``size_goal`` bytes, or, pushed, when it holds MAX_SKB_FRAGS and the
    write goes on (tcp_sendmsg_locked: ``i >= max_skb_frags``: tcp_mark_push, then new_segment;
    skb_zerocopy_iter_stream).  Each piece but the last ends such a pushed skb."""
    pieces: list[int] = []
    piece = skb = frags = left = 0
    for length in buffers:
        length, offset = min(length, n - left), 0
        while length > 0:
            if skb >= size_goal:  # a new skb, the write's size goal reached: no push
                skb = frags = 0
            if frags == MAX_SKB_FRAGS:  # out of fragments: the skb is pushed, and the write goes on
                pieces.append(piece)
                piece = skb = frags = 0
            take = min(length, PAGE_SIZE - offset % PAGE_SIZE, size_goal - skb)
            piece, skb, frags, left = piece + take, skb + take, frags + 1, left + take
            length, offset = length - take, offset + take
    pieces.append(piece + n - left)
    return pieces


class ReceiveMemory:
    """The unread receive queue as skbs: their payload sizes, and what they are charged."""

    __slots__ = ("_consumed", "_frags", "_joinable", "_sizes", "charged", "overhead", "ratio")

    def __init__(self, overhead: int) -> None:
        self.overhead = overhead  # bytes an skb costs beyond its payload (SKB_TRUESIZE's part)
        self._sizes: deque[int] = deque()  # payload of each unread skb, oldest first
        self._consumed = 0  # bytes of the oldest skb already read (it is charged until read whole)
        self._joinable = False  # the last skb came from the backlog of the call still holding the socket
        self._frags = 0  # page fragments of the last skb: one per segment it holds
        self.charged = 0  # sk_rmem_alloc: the sum of the unread skbs' truesize
        self.ratio = TCP_DEFAULT_SCALING_RATIO  # tp->scaling_ratio: window bytes per 256 bytes of buffer

    def queued(self, n: int, *, in_backlog: bool, coalesce: bool = False) -> bool:
        """``n`` bytes of in-order data reach the receive queue (``tcp_queue_rcv``).  From the backlog,
        after an skb that came the same way, they join it (``tcp_add_backlog``'s coalescing); with
        ``coalesce`` (the endpoint found the last skb not shared) they join the last skb
        (``tcp_try_coalesce``).  Either way only while it has room for one more fragment
        (``skb_try_coalesce``: ``MAX_SKB_FRAGS``).  True if they joined; False: an skb of their own."""
        joins = (in_backlog and self._joinable) or coalesce
        if joins and self._sizes and self._frags < MAX_SKB_FRAGS:
            self._sizes[-1] += n
            self.charged += n  # the joined skb's head is freed (kfree_skb_partial): its payload stays
            self._frags += 1
        else:
            self._sizes.append(n)
            self.charged += n + self.overhead
            self._frags = 1
            joins = False
        self._joinable = in_backlog
        return joins

    def released(self) -> None:
        """The call that held the socket ended: what comes next starts an skb of its own."""
        self._joinable = False

    def read(self, n: int) -> None:
        """The application read ``n`` bytes: skbs read whole are freed (``tcp_eat_recv_skb``)."""
        n += self._consumed
        while self._sizes and n >= self._sizes[0]:
            size = self._sizes.popleft()
            n -= size
            self.charged -= size + self.overhead
        self._consumed = n if self._sizes else 0

    def clear(self) -> None:
        self._sizes.clear()
        self._consumed = self.charged = self._frags = 0
        self._joinable = False

    def measure(self, n: int) -> bool:
        """``tcp_measure_rcv_mss`` on an skb of ``n`` bytes of a new segment size: ``scaling_ratio`` becomes
        its payload over its truesize (``len << 8 / truesize``, at least 1).  True if the ratio changed."""
        ratio = max(1, min(255, (n << TCP_RMEM_TO_WIN_SCALE) // (n + self.overhead)))  # (a u8)
        changed, self.ratio = ratio != self.ratio, ratio
        return changed

    def win_from_space(self, space: int) -> int:
        """``tcp_win_from_space``: the window ``space`` bytes of buffer can offer, at the ratio."""
        return (space * self.ratio) >> TCP_RMEM_TO_WIN_SCALE

    def full_window(self, window_space: int) -> int:
        """``tcp_full_space``: the window the whole buffer offers; the buffer (``sk_rcvbuf``) holds twice
        ``window_space``, the window it offers at the first ratio."""
        return self.win_from_space(2 * window_space)

    def free_window(self, window_space: int) -> int:
        """``tcp_space``: the window the room left can offer (``sk_rcvbuf`` less ``sk_rmem_alloc``)."""
        return max(0, self.win_from_space(2 * window_space - self.charged))
