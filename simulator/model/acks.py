"""When Linux acknowledges: quick-ACK mode, the adaptive delayed-ACK time and interactive ("pingpong") mode.

RFC 1122 4.2.3.2 and RFC 9293 3.8.6.3 only bound the delay (under 0.5 s, an ACK at least every second
full-sized segment).  Linux's receiver (``net/ipv4/tcp_input.c``: ``tcp_event_data_recv``,
``__tcp_ack_snd_check``, ``tcp_measure_rcv_mss``; ``tcp_output.c``: ``tcp_send_delayed_ack``,
``tcp_event_data_sent``; ``tcp_timer.c``: ``tcp_delack_timer_handler``; ``tcp.c``: ``tcp_cleanup_rbuf``)
decides with a few variables, kept here.  The endpoint asks; this class only counts.
"""

from __future__ import annotations

from dataclasses import dataclass

TCP_MIN_MSS = 88  # the smallest rcv_mss Linux assumes
TCP_MSS_DEFAULT = 536  # RFC 1122's default, Linux's first guess of the peer's segment size
MAX_ATO = 0.5  # tcp_send_delayed_ack: HZ / 2


@dataclass(slots=True)
class LinuxAcks:
    """``icsk_ack`` of one connection: what Linux's receiver remembers to decide when to ACK."""

    ato_min: float  # TCP_ATO_MIN (40 ms): the shortest delay, and the first one
    ato_max: float  # TCP_DELACK_MAX (200 ms): the longest in interactive mode or after a push
    max_quickacks: int  # TCP_MAX_QUICKACKS (16)
    ato: float = 0.0  # the delayed-ACK time; 0 until the first data arrives
    quick: int = 0  # ACKs still to be sent at once (quick-ACK mode)
    pingpong: bool = False  # interactive: we answer what we receive, so our ACKs can wait for our data
    rcv_mss: int = TCP_MSS_DEFAULT  # the peer's segment size, as measured from what arrives
    last_received: float = float("-inf")  # lrcvtime: when data last arrived (or the handshake ended)
    pushed: int = 0  # small (pushed) segments since the last ACK: 1 is ICSK_ACK_PUSHED, 2 PUSHED2

    def start(self, adv_mss: int, window: int, handshake_end: float | None) -> None:
        """tcp_initialize_rcv_mss: a guess of the peer's segment size before any data.  An ordinary
        handshake counts as the last arrival (tcp_finish_connect, tcp_create_openreq_child); a
        simultaneous open does not."""
        self.rcv_mss = max(min(adv_mss, window // 2, TCP_MSS_DEFAULT), TCP_MIN_MSS)
        if handshake_end is not None:
            self.last_received = handshake_end

    def incr_quickack(self, window: int) -> None:
        """tcp_incr_quickack: enough quick ACKs to open the sender's window, at most max_quickacks."""
        wanted = min(window // (2 * self.rcv_mss) or 2, self.max_quickacks)
        self.quick = max(self.quick, wanted)

    def enter_quickack(self, window: int) -> None:
        """tcp_enter_quickack_mode: ACK at once (out-of-order or duplicate data), and leave interactive mode."""
        self.incr_quickack(window)
        self.pingpong = False
        self.ato = self.ato_min

    def data_received(self, size: int, pushed: bool, adv_mss: int, window: int, rto: float, now: float) -> None:
        """tcp_event_data_recv and tcp_measure_rcv_mss, for in-order data of ``size`` bytes."""
        if size >= self.rcv_mss:  # a full segment: the peer's segment size is at least this
            self.rcv_mss = min(size, adv_mss)
            if pushed:
                self.pushed = max(self.pushed, 1)
        else:  # a small segment: the end of a write; two of them make the next read ACK at once
            self.pushed = min(self.pushed + 1, 2)
        if self.ato == 0.0:  # the first data: quick ACKs, and the shortest delay
            self.incr_quickack(window)
            self.ato = self.ato_min
        else:
            gap = now - self.last_received
            if gap <= self.ato_min / 2:  # segments in a burst: the delay tends to its minimum
                self.ato = self.ato / 2 + self.ato_min / 2
            elif gap < self.ato:  # follow the arrivals
                self.ato = min(self.ato / 2 + gap, rto)
            elif gap > rto:  # the peer was quiet for longer than an RTO: start afresh with quick ACKs
                self.incr_quickack(window)
        self.last_received = now

    @property
    def quick_mode(self) -> bool:
        """tcp_in_quickack_mode: quick ACKs left and not interactive."""
        return self.quick > 0 and not self.pingpong

    def data_sent(self, now: float) -> None:
        """tcp_event_data_sent: data sent soon after data arrived makes the connection interactive."""
        if self.ato and now - self.last_received < self.ato:
            self.pingpong = True

    def ack_sent(self, acked_new_data: bool) -> None:
        """tcp_event_ack_sent: an ACK of new data uses up a quick ACK; the pushes are settled."""
        if self.quick and acked_new_data:
            self.quick -= 1
            if not self.quick:
                self.ato = self.ato_min
        self.pushed = 0

    def delay(self, srtt: float | None) -> float:
        """tcp_send_delayed_ack: how long this ACK may wait."""
        ato = self.ato
        if ato > self.ato_min:
            longest = self.ato_max if self.pingpong or self.pushed else MAX_ATO
            if srtt is not None:
                longest = min(longest, max(srtt, self.ato_min))
            ato = min(ato, longest)
        return ato

    def timer_fired(self, rto: float) -> None:
        """tcp_delack_timer_handler: a delayed ACK was not carried by data, so wait longer next time; in
        interactive mode, the guess was wrong: leave it and start again from the shortest delay."""
        if self.pingpong:
            self.pingpong = False
            self.ato = self.ato_min
        else:
            self.ato = min(self.ato * 2, rto)

    def read_wants_ack(self, copied: int, queue_empty: bool) -> bool:
        """tcp_cleanup_rbuf: the application read everything and small pushed segments wait to be ACKed."""
        return copied > 0 and queue_empty and (self.pushed >= 2 or (self.pushed == 1 and not self.pingpong))
