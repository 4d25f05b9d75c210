"""How a sender spends its time, as Linux counts it for ``tcp_info`` (tcp_chrono_start, tcp_chrono_stop).

A connection is *busy* from the moment data waits in its write queue until everything it sent is
acknowledged and nothing waits; part of that time the receiver's window held it back
(*rwnd-limited*: the next segment did not fit, tcp_snd_wnd_test) or its send buffer was full
(*sndbuf-limited*).  One of these is running at a time, the most limiting; ``tcpi_busy_time`` is
their sum, ``tcpi_rwnd_limited`` and ``tcpi_sndbuf_limited`` the last two.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class ChronoKind(enum.IntEnum):
    """Linux's enum tcp_chrono, in order: a higher one takes over from a lower one."""

    IDLE = 0  # TCP_CHRONO_UNSPEC: nothing to send
    BUSY = 1  # data waits or is in flight
    RWND_LIMITED = 2  # the peer's window holds the next segment back
    SNDBUF_LIMITED = 3  # the send buffer is full


@dataclass(slots=True)
class Chrono:
    """The running kind, since when, and the time spent in each kind before it."""

    kind: ChronoKind = ChronoKind.IDLE
    since: float = 0.0
    spent: dict[ChronoKind, float] = field(default_factory=dict)

    def _switch(self, kind: ChronoKind, now: float) -> None:
        if self.kind is not ChronoKind.IDLE:
            self.spent[self.kind] = self.spent.get(self.kind, 0.0) + now - self.since
        self.kind, self.since = kind, now

    def start(self, kind: ChronoKind, now: float) -> None:
        """tcp_chrono_start: ``kind`` takes over if it is more limiting than the running one."""
        if kind > self.kind:
            self._switch(kind, now)

    def stop(self, kind: ChronoKind, now: float, *, queues_empty: bool) -> None:
        """tcp_chrono_stop: with nothing queued or in flight the sender is idle; otherwise the end of
        ``kind``, if it is the running one, leaves it busy."""
        if queues_empty:
            if self.kind is not ChronoKind.IDLE:
                self._switch(ChronoKind.IDLE, now)
        elif kind is self.kind:
            self._switch(ChronoKind.BUSY, now)

    def total(self, kind: ChronoKind, now: float) -> float:
        """Seconds spent in ``kind`` so far, the running stretch included (tcp_get_info_chrono_stats)."""
        running = now - self.since if kind is self.kind else 0.0
        return self.spent.get(kind, 0.0) + running
