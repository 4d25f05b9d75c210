"""Socket memory counted as Linux counts it: per packet buffer (skb), payload plus a fixed overhead.

Linux charges a socket's buffers with each skb's ``truesize`` (the payload and the ``struct sk_buff``,
its shared info and its header room: ``SKB_TRUESIZE``), not with the bytes the application wrote or
will read.  The receive queue is charged ``sk_rmem_alloc`` (``skb_set_owner_r``) until the reader has
consumed an skb whole (``tcp_eat_recv_skb``); contiguous segments that wait in the socket's backlog
while the application's call holds it are joined into one skb (``tcp_add_backlog``: ``skb_try_coalesce``),
which is charged one overhead.  ``tcp_space`` turns what is left of ``sk_rcvbuf`` into a window with
``tcp_win_from_space`` (``scaling_ratio``, 1/2 by default: ``TCP_DEFAULT_SCALING_RATIO``), so the
receive buffer is twice the window it can offer.  This class only counts; the endpoint asks.
"""

from __future__ import annotations

from collections import deque


class ReceiveMemory:
    """The unread receive queue as skbs: their payload sizes, and what they are charged."""

    __slots__ = ("_consumed", "_joinable", "_sizes", "charged", "overhead")

    def __init__(self, overhead: int) -> None:
        self.overhead = overhead  # bytes an skb costs beyond its payload (SKB_TRUESIZE's part)
        self._sizes: deque[int] = deque()  # payload of each unread skb, oldest first
        self._consumed = 0  # bytes of the oldest skb already read (it is charged until read whole)
        self._joinable = False  # the last skb came from the backlog of the call still holding the socket
        self.charged = 0  # sk_rmem_alloc: the sum of the unread skbs' truesize

    def queued(self, n: int, *, in_backlog: bool) -> None:
        """``n`` bytes of in-order data reach the receive queue (``tcp_queue_rcv``).  From the backlog,
        after an skb that came the same way, they join it (``tcp_add_backlog``'s coalescing)."""
        if in_backlog and self._joinable and self._sizes:
            self._sizes[-1] += n
            self.charged += n
        else:
            self._sizes.append(n)
            self.charged += n + self.overhead
        self._joinable = in_backlog

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
        self._consumed = self.charged = 0
        self._joinable = False

    def free_window(self, window_space: int) -> int:
        """tcp_space: the window the room left can offer, with ``window_space`` the whole buffer's window
        (tcp_full_space): the buffer holds twice that, and the room left is halved again."""
        return max(0, window_space - (self.charged + 1) // 2)
