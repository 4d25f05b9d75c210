"""Every connection of a capture, checked streaming and reported in order."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from ...model.segment import FIN_BIT, RST_BIT
from ..connections import Connection, Key, Share, Tally, key_of, stream
from ..reader import CaptureError
from .connection import HORIZON, ConnectionChecker
from .report import ConnectionReport

_T = TypeVar("_T")


LINGER = 5.0  # seconds of capture time a closed connection waits for late packets before it is reported
SWEEP = 1024  # packets between looks for connections to report


@dataclass(slots=True)
class _Open:
    """A connection being collected for checking (or, when not wanted, only followed until it closes)."""

    conn: Connection
    last: float  # capture time of its latest packet
    checker: ConnectionChecker | None  # None when not wanted
    fins: set[tuple[str, int]] = field(default_factory=set)
    closed: bool = False  # a RST, or both FINs and a packet after them


END = sys.maxsize  # the order of the reports made when the capture ends


def check_capture(
    path: str | Path,
    tally: Tally,
    *,
    relative: bool = True,
    wanted: Callable[[Connection], bool] = lambda conn: True,
) -> Iterator[ConnectionReport]:
    """Check every (wanted) connection of a capture, streaming: memory follows the connections open at once.

    A connection is reported once it has closed (RST, or both FINs) and the capture has gone
    ``LINGER`` seconds past its last packet; the rest are reported at the end of the file, in order.
    A reported connection is forgotten: packets on its 4-tuple after that start a new connection.
    """
    for _, report in checked_in_order(path, tally, relative=relative, wanted=wanted):
        yield report


def checked_in_order(
    path: str | Path,
    tally: Tally,
    *,
    relative: bool = True,
    wanted: Callable[[Connection], bool] = lambda conn: True,
    share: Share | None = None,
) -> Iterator[tuple[tuple[int, int], ConnectionReport]]:
    """``check_capture``'s reports, each with its place in the order: (packet number of the sweep that
    reported it, or END; the number of the connection's first packet, which orders connections as
    their numbers do).  Connections not wanted are still followed until they close, so that the
    4-tuple table forgets them, and which connections are wanted does not change when a sweep
    happens: a share of the connections (``share``) checked elsewhere merges back by this order."""
    share = share if share is not None else Share(0, 1, sweep_every=SWEEP)
    collecting: dict[int, _Open] = {}  # in the order they began
    closed: dict[int, _Open] = {}  # the closed ones, oldest latest packet first
    current: dict[Key, Connection] = {}
    sweeps = share.sweeps  # where the reader has passed every SWEEP-th TCP packet of the capture

    def sweep(upto: int) -> Iterator[tuple[tuple[int, int], ConnectionReport]]:
        """Report the connections that closed LINGER seconds before a sweep, at each sweep up to packet ``upto``."""
        while sweeps and sweeps[0][0] <= upto:
            number, time = sweeps.popleft()
            done = []
            for entry in closed.values():
                if time - entry.last <= LINGER:
                    break  # the rest of the queue had packets later still
                done.append(entry)
            for entry in sorted(done, key=lambda e: e.conn.first):
                del collecting[id(entry.conn)], closed[id(entry.conn)]
                newer = current.get(key_of(entry.conn))
                if newer is entry.conn:
                    del current[key_of(entry.conn)]  # reported: a late packet starts a new connection
                    newer = None
                while newer is not None and newer.earlier is not entry.conn:
                    newer = newer.earlier
                if newer is not None:
                    newer.earlier = None  # reported: its late packets go to the connection that replaced it
                if entry.checker is not None:
                    yield (number, entry.conn.first), entry.checker.finish()
            # the reports still to come are of connections that began here or later
            share.oldest_open = next(iter(collecting.values())).conn.first if collecting else number

    damage: list[CaptureError] = []
    # only the headers are checked: a long transfer is not held in memory
    for conn, packet, _ in _until_damaged(stream(path, tally, current, share, headers_only=True), damage):
        if sweeps:  # the sweeps at other shares' packets since this share's last one
            yield from sweep(packet.number - 1)
        entry = collecting.get(id(conn))
        if entry is None:
            checker = (
                ConnectionChecker(conn, relative=relative, horizon=HORIZON, spool_from=HORIZON)
                if wanted(conn)
                else None
            )
            entry = collecting[id(conn)] = _Open(conn, packet.time, checker)
        if entry.checker is not None:
            entry.checker.add(packet)
        entry.last = packet.time
        if entry.closed or packet.flags & RST_BIT or len(entry.fins) == 2:
            entry.closed = True
            closed.pop(id(conn), None)
            closed[id(conn)] = entry  # to the back of the queue
        elif packet.flags & FIN_BIT:
            entry.fins.add(packet.sender)
        if sweeps:
            yield from sweep(packet.number)
    yield from sweep(END)
    for entry in sorted(collecting.values(), key=lambda e: e.conn.first):
        if entry.checker is not None:
            yield (END, entry.conn.first), entry.checker.finish()
    if damage:
        raise damage[0]


def _until_damaged(packets: Iterator[_T], damage: list[CaptureError]) -> Iterator[_T]:
    """The packets up to where the file is damaged (its error is kept in ``damage``): the connections
    before the damage are still checked and reported, and the error comes after them."""
    try:
        yield from packets
    except CaptureError as exc:
        damage.append(exc)
