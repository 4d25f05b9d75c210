"""A bottleneck link: a rate, a propagation delay and a drop-tail queue that several flows share.

Segments of the endpoints it serves (``senders``) wait in one FIFO queue and leave it one after
another at ``rate``; a segment that finds the queue full is dropped (drop-tail), which is where
the losses of congestion control come from.  With ``mark_above``, an ECN-capable segment that finds
that many waiting is marked Congestion Experienced instead (RFC 3168), a signal without a loss.
Virtual time only; no randomness.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from ..model.errors import ScenarioError
from .explain import NetKey, say


@dataclass(frozen=True, slots=True)
class BottleneckParams:
    """The ``[bottleneck]`` table of a scenario."""

    rate: float  # bits per second
    delay: float = 0.0  # propagation delay across the bottleneck, seconds (added to the link's latency)
    queue: int = 100  # packets the queue holds, the one being sent included
    queue_bytes: int | None = None  # or a limit in bytes (IP packets), if given
    mark_above: int | None = None  # ECN: an ECN-capable packet finding this many queued is marked CE
    senders: tuple[str, ...] = ()  # the endpoints whose segments cross it

    def __post_init__(self) -> None:
        if not _finite(self.rate) or self.rate <= 0:
            raise ScenarioError(f"bottleneck rate must be a positive number of bits per second, not {self.rate!r}")
        if not _finite(self.delay) or self.delay < 0:
            raise ScenarioError(f"bottleneck delay must be 0 or more seconds, not {self.delay!r}")
        if not isinstance(self.queue, int) or self.queue < 1:
            raise ScenarioError(f"bottleneck queue must be at least 1 packet, not {self.queue!r}")
        if self.queue_bytes is not None and (not isinstance(self.queue_bytes, int) or self.queue_bytes < 1):
            raise ScenarioError(f"bottleneck queue_bytes must be at least 1 byte, not {self.queue_bytes!r}")
        if self.mark_above is not None and (not isinstance(self.mark_above, int) or self.mark_above < 1):
            raise ScenarioError(f"bottleneck mark_above must be at least 1 packet, not {self.mark_above!r}")


def _finite(value: object) -> bool:
    """A real number (TOML also spells inf and nan, and true is an int to Python)."""
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class DropTailQueue:
    """The queue in front of the bottleneck and the packets it still holds."""

    def __init__(self, params: BottleneckParams) -> None:
        self.params = params
        self._held: deque[tuple[float, int]] = deque()  # (when it has left the queue, its size)
        self._bytes = 0
        self.dropped = 0
        self.peak = 0  # the most packets held at once

    def __len__(self) -> int:
        return len(self._held)

    def _leave(self, now: float) -> None:
        """The packets sent on across the link by ``now`` leave the queue."""
        held = self._held
        while held and held[0][0] <= now:
            self._bytes -= held.popleft()[1]

    def marks(self, now: float) -> bool:
        """Would an ECN-capable packet arriving now be marked CE: ``mark_above`` packets or more wait (a step
        threshold, as DCTCP's K or Linux's ``ce_threshold``; RFC 3168 5: a router marks where it would
        otherwise drop early)."""
        self._leave(now)
        limit = self.params.mark_above
        return limit is not None and len(self._held) >= limit

    def enter(self, size: int, now: float) -> float | None:
        """A packet of ``size`` bytes arrives: how long until it reaches the far end, or None: dropped."""
        self._leave(now)
        held, p = self._held, self.params
        if len(held) >= p.queue or (p.queue_bytes is not None and self._bytes + size > p.queue_bytes):
            self.dropped += 1
            return None
        start = max(held[-1][0], now) if held else now
        leaves = start + size * 8 / p.rate
        held.append((leaves, size))
        self._bytes += size
        self.peak = max(self.peak, len(held))
        return leaves - now + p.delay

    def describe_full(self) -> str:
        p = self.params
        limit = f"{p.queue_bytes} bytes" if p.queue_bytes is not None else f"{p.queue} packets"
        return say(NetKey.QUEUE_FULL, held=len(self._held), limit=limit)
